// The Ingress controller (networking.k8s.io/v1), after ingress-nginx and
// Traefik: it ensures the default IngressClass `kts` (controller
// `kts.io/ingress`), watches Ingresses, IngressClasses, Services,
// EndpointSlices and TLS Secrets through its own informers, merges the served
// Ingresses into one route table (routes.ts) and proxies HTTP and HTTPS (SNI)
// to the Services' ready endpoints (proxy.ts). Served Ingresses get
// `publishAddresses()` as status.loadBalancer.ingress.
//
//   const ing = await startIngressController(client, { http: { host: '0.0.0.0', port: 80 }, publishAddresses: () => nodeIPs });
//   ...
//   await ing.stop();
//
// Not supported: `resource` backends (answered 503), annotations beyond the
// legacy class one (rewrites, auth, rate limits).

import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Secret, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Ingress, IngressClass } from 'kubernetes-types/networking/v1.js';
import type { CertKeyPair } from '../apiserver/pki/index.js';
import { SharedInformerFactory, type Informer } from '../client/informer.js';
import { metaNamespaceKey, objectOf, splitMetaNamespaceKey } from '../client/store.js';
import type { ApiClient } from '../client/types.js';
import { isNotFound } from '../client/types.js';
import { WorkQueue, runWorkers } from '../client/workqueue.js';
import { EndpointPicker, SERVICE_NAME_LABEL } from './backends.js';
import { ensureIngressClass, isDefaultClass, servesIngress } from './class.js';
import { proxyRequest, proxyUpgrade, type ProxyContext, type Target } from './proxy.js';
import { RouteTable, normalizeHost } from './routes.js';
import { CertificateStore, fallbackCertificate } from './tls.js';

export { RouteTable } from './routes.js';
export { CONTROLLER_NAME, servesIngress } from './class.js';

export interface ListenAddress {
  host?: string;
  port?: number;
}

export interface IngressControllerOptions {
  /** Plain HTTP listener (default 0.0.0.0:80); false: none. Port 0 picks a free port. */
  http?: ListenAddress | false;
  /** HTTPS listener with SNI (default 0.0.0.0:443); false: none. */
  https?: ListenAddress | false;
  /** The IngressClass served, ensured at start (default `kts`). */
  className?: string;
  /** Make the class the default when creating it (default true). */
  defaultClass?: boolean;
  /** Addresses written to status.loadBalancer.ingress of served Ingresses (IPs or host names); without it status is left alone. */
  publishAddresses?: () => string[];
  /** How often status is re-checked against publishAddresses() (default 30 s). */
  statusResyncMs?: number;
  /** The certificate for names no Secret covers (default: a self-signed one made at start). */
  defaultCertificate?: CertKeyPair;
  /** Redirect HTTP to HTTPS (308) for hosts that have TLS (default false). */
  sslRedirect?: boolean;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  /** How long start waits for the caches before serving anyway (default 10 s). */
  syncTimeoutMs?: number;
  onError?: (what: string, err: unknown) => void;
}

export interface IngressController {
  httpPort: number;
  httpsPort: number;
  /** The current route table (rebuilt lazily after changes). */
  routes(): RouteTable;
  stop(): Promise<void>;
}

const INGRESSES = '/apis/networking.k8s.io/v1/ingresses';
const SERVICE_INDEX = 'service';

function loadBalancerEntries(addresses: string[]): Array<{ ip?: string; hostname?: string }> {
  const uniq = [...new Set(addresses.filter(Boolean))].sort();
  return uniq.map((a) => (isIP(a) ? { ip: a } : { hostname: a }));
}

function sameEntries(a: Array<{ ip?: string; hostname?: string }> | undefined, b: Array<{ ip?: string; hostname?: string }>): boolean {
  const x = a ?? [];
  return x.length === b.length && x.every((e, i) => (e.ip ?? '') === (b[i].ip ?? '') && (e.hostname ?? '') === (b[i].hostname ?? '') && !(e as any).ports?.length);
}

function listen(server: http.Server, addr: ListenAddress, fallbackPort: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port ?? fallbackPort, addr.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

function close(server: http.Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startIngressController(client: ApiClient, opts: IngressControllerOptions = {}): Promise<IngressController> {
  const className = opts.className ?? 'kts';
  const report = opts.onError ?? ((what: string, err: unknown) => console.error(`ingress: ${what}: ${err instanceof Error ? err.message : String(err)}`));
  const publish = opts.publishAddresses;

  await ensureIngressClass(client, className, opts.defaultClass ?? true);
  const fallback = opts.defaultCertificate ?? (await fallbackCertificate());

  const factory = new SharedInformerFactory(client, { onError: (err, ctx) => report(ctx, err) });
  const ingresses = factory.informerFor<Ingress>(INGRESSES);
  const classes = factory.informerFor<IngressClass>('/apis/networking.k8s.io/v1/ingressclasses');
  const services = factory.informerFor<Service>('/api/v1/services');
  const slices = factory.informerFor<EndpointSlice>('/apis/discovery.k8s.io/v1/endpointslices');
  // Only TLS Secrets: a field selector the API server applies, so other Secrets never reach this process.
  const secrets = factory.informerFor<Secret>('/api/v1/secrets', { fieldSelector: 'type=kubernetes.io/tls' });
  slices.addIndexers({
    [SERVICE_INDEX]: (s) => {
      const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      return svc ? [`${s.metadata?.namespace ?? ''}/${svc}`] : [];
    },
  });
  const informers: Informer[] = [ingresses, classes, services, slices, secrets];

  const classIsDefault = () => isDefaultClass(classes.getByName('', className));
  const served = (ing: Ingress) => servesIngress(ing, className, classIsDefault());

  let certs: CertificateStore | undefined;
  let table = RouteTable.build([]);
  let dirty = true;
  const routes = (): RouteTable => {
    if (dirty) {
      dirty = false;
      table = RouteTable.build(ingresses.list().filter(served));
      certs?.prune(table.secretKeys);
    }
    return table;
  };
  const picker = new EndpointPicker({
    service: (ns, name) => services.getByName(ns, name),
    endpointSlices: (ns, name) => slices.byIndex(SERVICE_INDEX, `${ns}/${name}`),
  });
  certs = new CertificateStore(fallback, routes, (ns, name) => secrets.getByName(ns, name), report);

  // Status: a work queue of Ingress keys, level-triggered.
  const queue = new WorkQueue<string>({ name: 'ingress-status' });
  const enqueue = (obj: any) => queue.add(metaNamespaceKey(objectOf(obj)));
  const enqueueAll = () => {
    for (const k of ingresses.keys()) queue.add(k);
  };
  ingresses.addEventHandler({
    onAdd: (o) => ((dirty = true), enqueue(o)),
    onUpdate: (_o, n) => ((dirty = true), enqueue(n)),
    onDelete: () => (dirty = true),
  });
  classes.addEventHandler({
    onAdd: () => ((dirty = true), enqueueAll()),
    onUpdate: () => ((dirty = true), enqueueAll()),
    onDelete: () => ((dirty = true), enqueueAll()),
  });
  const invalidate = { onAdd: () => picker.invalidate(), onUpdate: () => picker.invalidate(), onDelete: () => picker.invalidate() };
  services.addEventHandler(invalidate);
  slices.addEventHandler(invalidate);

  async function syncStatus(key: string): Promise<void> {
    const ing = ingresses.get(key);
    if (!ing || !publish) return;
    const mine = loadBalancerEntries(publish());
    const current = ing.status?.loadBalancer?.ingress;
    let want: typeof mine;
    if (served(ing)) want = mine;
    else if ((current?.length ?? 0) > 0 && sameEntries(current, mine)) want = []; // we set it; no longer ours
    else return;
    if (sameEntries(current, want)) return;
    const { namespace, name } = splitMetaNamespaceKey(key);
    const path = `${INGRESSES.replace('/ingresses', '')}/namespaces/${encodeURIComponent(namespace)}/ingresses/${encodeURIComponent(name)}/status`;
    const patch = { metadata: { resourceVersion: ing.metadata?.resourceVersion }, status: { loadBalancer: { ingress: want.length ? want : null } } };
    try {
      await client.patch(path, patch, 'merge');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  factory.start();
  const ac = new AbortController();
  const syncTimer = setTimeout(() => ac.abort(), opts.syncTimeoutMs ?? 10_000);
  await factory.waitForCacheSync(ac.signal).catch(() => false);
  clearTimeout(syncTimer);

  const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 256, scheduling: 'lifo' });
  const timeouts = { connectTimeoutMs: opts.connectTimeoutMs ?? 5000, readTimeoutMs: opts.readTimeoutMs ?? 60_000 };
  let httpsPort = 0;
  let httpPort = 0;

  const target = (scheme: 'http' | 'https') => (req: http.IncomingMessage): Target => {
    const t = routes();
    if (scheme === 'http' && opts.sslRedirect && httpsPort > 0 && t.hasTls(req.headers.host)) {
      const host = normalizeHost(req.headers.host);
      const port = httpsPort === 443 ? '' : `:${httpsPort}`;
      return { status: 308, message: 'Permanent Redirect', location: `https://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}${port}${req.url ?? '/'}` };
    }
    const m = t.match(req.headers.host, req.url ?? '/');
    if (!m.backend) return { status: 404, message: 'Not Found' };
    if (m.backend.kind !== 'service') return { status: 503, message: `Service Unavailable (${m.backend.reason})` };
    const ep = picker.pick(m.backend.target);
    if ('reason' in ep) return { status: 503, message: 'Service Unavailable' };
    return { endpoint: ep };
  };
  const tunnels = new Set<Duplex>();
  const context = (scheme: 'http' | 'https'): ProxyContext => ({ scheme, agent, timeouts, target: target(scheme), onError: report, tunnels });

  const servers: http.Server[] = [];
  let httpServer: http.Server | undefined;
  let httpsServer: https.Server | undefined;
  const stopAll = async () => {
    factory.stop();
    queue.shutDown();
    const closing = Promise.all(servers.map((s) => close(s)));
    for (const t of tunnels) t.destroy();
    await closing;
    agent.destroy();
  };
  try {
    if (opts.http !== false) {
      const ctx = context('http');
      httpServer = http.createServer((req, res) => proxyRequest(req, res, ctx));
      httpServer.on('upgrade', (req, socket, head) => proxyUpgrade(req, socket, head, ctx));
      servers.push(httpServer);
    }
    if (opts.https !== false) {
      const ctx = context('https');
      httpsServer = https.createServer({ cert: fallback.certPem, key: fallback.keyPem, SNICallback: certs.sniCallback }, (req, res) => proxyRequest(req, res, ctx));
      httpsServer.on('upgrade', (req, socket, head) => proxyUpgrade(req, socket, head, ctx));
      servers.push(httpsServer);
    }
    for (const s of servers) s.on('clientError', (_err, socket) => socket.destroy());
    httpsPort = httpsServer ? await listen(httpsServer, opts.https || {}, 443) : 0;
    httpPort = httpServer ? await listen(httpServer, opts.http || {}, 80) : 0;
  } catch (e) {
    await stopAll();
    throw e;
  }

  const workers = runWorkers(queue, 1, syncStatus, { onError: (key, err) => report(`status of ${key}`, err) });
  enqueueAll();
  const resync = setInterval(enqueueAll, opts.statusResyncMs ?? 30_000);
  resync.unref();

  let stopping: Promise<void> | undefined;
  return {
    httpPort,
    httpsPort,
    routes,
    stop() {
      stopping ??= (async () => {
        clearInterval(resync);
        await stopAll();
        await workers;
      })();
      return stopping;
    },
  };
}
