// Cluster DNS: the kts counterpart of CoreDNS with the `kubernetes`,
// `forward . /etc/resolv.conf` and `cache 30` plugins. It watches Namespaces,
// Services and EndpointSlices (and Pods for `pods verified`) through its own
// informers on the given ApiClient and answers on UDP and TCP.
//
//   const dns = await startClusterDns(client, { domain: 'cluster.local', listen: [{ host: '10.43.0.10', port: 53 }] });
//   ...
//   await dns.stop();

import { SharedInformerFactory, type Informer } from '../client/informer.js';
import type { ApiClient } from '../client/types.js';
import type { ServerAddress } from './client.js';
import { Forwarder, hostUpstreams, parseServerAddress } from './forwarder.js';
import { DnsHandler, type HandlerStats } from './handler.js';
import { startDnsServer } from './server.js';
import { IndexedClusterView, slimObject } from './view.js';
import { ClusterZone, type PodMode } from './zone.js';

export { ClusterZone } from './zone.js';
export { IndexedClusterView } from './view.js';
export { DnsHandler } from './handler.js';
export { Forwarder, hostUpstreams, parseResolvConf } from './forwarder.js';
export { startDnsServer } from './server.js';
export { UdpDnsClient, tcpExchange, lookup, buildQuery } from './client.js';
export * as wire from './wire.js';

export interface ClusterDnsOptions {
  /** Cluster domain (default `cluster.local`). */
  domain?: string;
  /** Where to answer, UDP and TCP on each (default 0.0.0.0:53). Port 0 picks a free port. */
  listen?: ServerAddress[];
  /**
   * Resolvers for names outside the cluster, as `host`, `host:port` or
   * addresses (default: the host's /etc/resolv.conf without loopback
   * nameservers). An empty list answers REFUSED for other names.
   */
  upstreams?: Array<string | ServerAddress>;
  /** resolv.conf to read when `upstreams` is not given. */
  resolvConf?: string;
  /** TTL of cluster records (default 5 s). */
  ttl?: number;
  podMode?: PodMode;
  endpointPodNames?: boolean;
  /** Per upstream attempt (default 2000 ms). */
  forwardTimeoutMs?: number;
  /** Forwarded answers cached (default 10,000; 0: no cache). */
  cacheSize?: number;
  /** How long start waits for the caches before serving anyway, as CoreDNS (default 5000 ms). Unknown names are SERVFAIL until then. */
  syncTimeoutMs?: number;
  onError?: (what: string, err: unknown) => void;
}

export interface ClusterDns {
  /** The first listen address's port (handy with port 0). */
  port: number;
  addresses: ServerAddress[];
  upstreams: ServerAddress[];
  zone: ClusterZone;
  stats(): HandlerStats & { cacheHits: number; upstreamErrors: number };
  /** True once the caches have listed. */
  synced(): boolean;
  stop(): Promise<void>;
}

export async function startClusterDns(client: ApiClient, opts: ClusterDnsOptions = {}): Promise<ClusterDns> {
  const report = opts.onError ?? ((what: string, err: unknown) => console.error(`cluster DNS: ${what}: ${err instanceof Error ? err.message : String(err)}`));
  const podMode = opts.podMode ?? 'insecure';
  const factory = new SharedInformerFactory(client, { transform: slimObject, onError: (err, ctx) => report(ctx, err) });
  const namespaces = factory.informerFor('/api/v1/namespaces');
  const services = factory.informerFor('/api/v1/services');
  const slices = factory.informerFor('/apis/discovery.k8s.io/v1/endpointslices');
  const pods = podMode === 'verified' ? factory.informerFor('/api/v1/pods', { fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' }) : undefined;
  const informers: Informer[] = [namespaces, services, slices, ...(pods ? [pods] : [])];
  const view = new IndexedClusterView(
    { namespaces: namespaces.store, services: services.store, endpointSlices: slices.store, pods: pods?.store },
    () => informers.every((i) => i.hasSynced()),
  );
  const touch = { onAdd: () => view.touch(), onUpdate: () => view.touch(), onDelete: () => view.touch() };
  for (const i of informers) i.addEventHandler(touch);
  factory.start();

  const zone = new ClusterZone(view, { domain: opts.domain, ttl: opts.ttl, podMode, endpointPodNames: opts.endpointPodNames });
  const upstreams = opts.upstreams ? opts.upstreams.map((u) => (typeof u === 'string' ? parseServerAddress(u) : u)) : hostUpstreams(opts.resolvConf);
  const forwarder = upstreams.length ? new Forwarder({ upstreams, timeoutMs: opts.forwardTimeoutMs, cacheSize: opts.cacheSize }) : undefined;
  const handler = new DnsHandler(zone, forwarder, report);

  // As CoreDNS: wait a little for the caches so the first answers are right, then serve regardless.
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), opts.syncTimeoutMs ?? 5000);
  await factory.waitForCacheSync(ac.signal).catch(() => false);
  clearTimeout(timer);

  let server;
  try {
    server = await startDnsServer(handler, { listen: opts.listen ?? [{ host: '0.0.0.0', port: 53 }], onError: report });
  } catch (e) {
    factory.stop();
    forwarder?.close();
    throw e;
  }
  let stopping: Promise<void> | undefined;
  return {
    port: server.addresses[0]?.port ?? 0,
    addresses: server.addresses,
    upstreams,
    zone,
    stats: () => ({ ...handler.stats, cacheHits: forwarder?.stats.cacheHits ?? 0, upstreamErrors: forwarder?.stats.upstreamErrors ?? 0 }),
    synced: () => view.synced(),
    stop() {
      stopping ??= (async () => {
        factory.stop();
        forwarder?.close();
        await server.close();
      })();
      return stopping;
    },
  };
}
