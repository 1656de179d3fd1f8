// The API server's request pipeline, independent of HTTP: parse the request
// info, authenticate, route to discovery or to a resource's REST storage,
// then shape the response (object, list, Table, metadata-only, watch
// stream). The HTTP layer and the in-process client both call handle().

import { applyAffinityLabelKeys } from '../api/pod-affinity-label-keys.js';
import type { ResourceInfo } from '../api/registry.js';
import { ResourceRegistry, apiVersionOf } from '../api/registry.js';
import { buildTable } from '../api/printers/index.js';
import { labelSelectorToString, selectorFromLabelSelectorObject } from '../api/labels.js';
import type { Store } from '../storage/types.js';
import { StoreError } from '../storage/types.js';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery.js';
import { decodeBody, negotiate, requireObject, type ResponseShape } from './codec.js';
import { ApiError, internalError, methodNotSupported, resourceNotFound, unauthorized, badRequest, notAcceptable, forbidden, invalid, notFound } from './errors.js';
import YAML from 'yaml';
import { parseRequestInfo, type ResourceRequest } from './request-info.js';
import { ResourceRest, writeOptions, type RestResult, type WatchSink } from './rest.js';
import { WatchCache, type CachedObject } from './watch-cache.js';
import { resourcePrefix } from './objects.js';
import { KUBERNETES_VERSION } from '../version.js';
import { OpenAPIv3 } from './openapi/v3.js';
import { OpenAPIv2 } from './openapi/v2.js';
import { checkFields, pruneUnknownFields, WarningRecorder } from '../api/fieldvalidation/index.js';
import { objectMetaTypeError } from '../api/validation/object-meta-types.js';
import { newServiceAllocation, seedServiceAllocation, serviceHooks, type ServiceAllocation } from './services.js';
import type { ResourceHooks } from './rest.js';
import { CustomResourceManager } from './crds.js';
import { newAdmissionChain, nodeRestrictionLookups } from './admission/index.js';
import { admitNodeRestriction } from './admission/noderestriction.js';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { AlwaysAllow, RbacAuthorizer, type Authorizer } from '../auth/rbac.js';
import { impersonate, type ImpersonationRequest } from '../auth/impersonation.js';
import { isReviewResource, review, ReviewInvalid } from '../auth/reviews.js';
import { matches, parseLabelSelector } from '../api/labels.js';
import { METRICS_GROUP, MetricsApi, metricsItem, metricsList } from './metrics-api.js';
import type { Attributes } from '../auth/rules.js';
import { checkEscalation, type RoleLookup } from '../auth/escalation.js';
import { forbiddenFor, nodeAuthorizerSource, nonResourceAttributes, rbacSource, reconcileBootstrapPolicy, resourceAttributes } from './authorization.js';
import { NodeAuthorizer, UnionAuthorizer } from '../auth/node-authorizer.js';
import { nodeRules } from '../auth/bootstrap-policy.js';
import { ApiAuthentication, type AuthenticationOptions } from './authentication.js';
import { AuditContext, type Auditor } from './audit.js';
import { kubeletGet, kubeletLocation, relayUpgrade, requireHost, resolveContainer, type KubeletClientTLS, type KubeletLocation } from './kubelet-proxy.js';

export interface UserInfo {
  name: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: { accept?: string; contentType?: string; userAgent?: string; impersonate?: ImpersonationRequest; /** The Authorization header (bearer tokens). */ authorization?: string };
  body?: Buffer;
  /** Authenticated user; undefined for anonymous requests. */
  user?: UserInfo;
  /** The client's address, after any X-Forwarded-For addresses (audit `sourceIPs`). */
  sourceIPs?: string[];
}

export type ApiResponse = (
  | { status: number; contentType: string; body: string }
  | { status: number; contentType: string; bytes: Uint8Array }
  | { status: number; contentType: string; stream: (out: StreamOut) => () => void }
) & { /** Warning header values. */ warnings?: string[]; /** The request's audit ID (the Audit-Id header). */ auditID?: string };

export interface StreamOut {
  write(chunk: string | Uint8Array): void;
  end(): void;
}

export interface ApiServerOptions {
  store: Store;
  /** host:port advertised in /api serverAddressByClientCIDRs. */
  serverAddress?: string;
  registry?: ResourceRegistry;
  /** Service ClusterIP range (default 10.43.0.0/16). */
  serviceCIDR?: string;
  /** RBAC (what `kts server` runs) or AlwaysAllow (the default, for tests of other stages). */
  authorization?: 'RBAC' | 'AlwaysAllow';
  /** Bearer tokens, TokenRequest and ServiceAccount admission. */
  authentication?: AuthenticationOptions;
  /** The audit stage (--audit-log-path); none: no audit events, Audit-Id headers still set. */
  audit?: Auditor;
  /** DefaultTolerationSeconds admission (--default-not-ready-toleration-seconds, --default-unreachable-toleration-seconds; default 300 each). */
  defaultNotReadyTolerationSeconds?: number;
  defaultUnreachableTolerationSeconds?: number;
}

const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz', '/version/']);

function yamlResponse(status: number, body: unknown): ApiResponse {
  return { status, contentType: 'application/yaml', body: YAML.stringify(body) };
}

function json(status: number, body: unknown): ApiResponse {
  return { status, contentType: 'application/json', body: JSON.stringify(body) };
}

export class ApiServer {
  readonly registry: ResourceRegistry;
  readonly store: Store;
  private caches = new Map<string, WatchCache>();
  private rests = new Map<ResourceInfo, ResourceRest>();
  private serverAddress: string;
  private openapi: OpenAPIv3;
  private openapiV2: OpenAPIv2 | undefined;
  readonly services: ServiceAllocation;
  private serviceHooks: ResourceHooks;
  readonly crds: CustomResourceManager;
  private readonly defaultTolerations: Array<[string, number]>;
  /** Priority admission: spec.priority from the pod's PriorityClass (or the global default). */
  private podHooks: ResourceHooks = {
    beforeCreate: (pod) => {
      this.authn.admitPod(pod);
      // The pod strategy: affinity terms' matchLabelKeys/mismatchLabelKeys join their selectors.
      applyAffinityLabelKeys(pod);
      const pcInfo = this.registry.get('scheduling.k8s.io', 'v1', 'priorityclasses')!;
      const cache = this.cacheFor(pcInfo);
      const name: string | undefined = pod.spec?.priorityClassName;
      let pc: any;
      if (name) {
        pc = cache.get(`${resourcePrefix(pcInfo)}${name}`)?.obj;
        if (!pc) throw forbidden('', 'pods', pod.metadata?.name ?? '', `no PriorityClass with name ${name} was found`);
      } else {
        pc = cache
          .list()
          .map((c) => c.obj)
          .filter((o) => o.globalDefault)
          .sort((a, b) => a.value - b.value)[0];
      }
      const value = pc ? pc.value : 0;
      if (pod.spec.priority !== undefined && pod.spec.priority !== value) {
        throw forbidden('', 'pods', pod.metadata?.name ?? '', 'the integer value of priority must not be provided in pod spec; priority admission controller computed ' + value + ' from the given PriorityClass name');
      }
      pod.spec.priority = value;
      if (pc && !name && pc.metadata?.name) pod.spec.priorityClassName = pc.metadata.name;
      pod.spec.preemptionPolicy ??= pc?.preemptionPolicy ?? 'PreemptLowerPriority';
      // DefaultTolerationSeconds admission: 300 s (configurable) on not-ready and unreachable nodes unless the pod says otherwise.
      const tolerations: any[] = pod.spec.tolerations ?? [];
      for (const [key, seconds] of this.defaultTolerations) {
        const has = tolerations.some((t) => (t.key === key || (!t.key && t.operator === 'Exists')) && (!t.effect || t.effect === 'NoExecute'));
        if (!has) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
      }
      pod.spec.tolerations = tolerations;
    },
  };
  /** LimitRanger and ResourceQuota admission (src/apiserver/admission). */
  private readonly admission = newAdmissionChain(this);
  private ready = false;
  private readonly authorizationMode: 'RBAC' | 'AlwaysAllow';
  authorizer: Authorizer = new AlwaysAllow();
  private readonly auditor: Auditor | undefined;
  /** Set in RBAC mode: writes of roles and bindings are checked for escalation. */
  private roleLookup: RoleLookup | undefined;
  private compactTimer: NodeJS.Timeout | undefined;
  readonly authn: ApiAuthentication;

  constructor(opts: ApiServerOptions) {
    this.store = opts.store;
    this.registry = opts.registry ?? new ResourceRegistry();
    this.serverAddress = opts.serverAddress ?? '127.0.0.1:6443';
    this.authorizationMode = opts.authorization ?? 'AlwaysAllow';
    this.auditor = opts.audit;
    this.defaultTolerations = [
      ['node.kubernetes.io/not-ready', opts.defaultNotReadyTolerationSeconds ?? 300],
      ['node.kubernetes.io/unreachable', opts.defaultUnreachableTolerationSeconds ?? 300],
    ];
    this.openapi = new OpenAPIv3(this.registry);
    this.authn = new ApiAuthentication(this.registry, (i) => this.cacheFor(i), opts.authentication);
    this.services = newServiceAllocation(opts.serviceCIDR);
    this.serviceHooks = serviceHooks(this.services);
    this.crds = new CustomResourceManager({
      registry: this.registry,
      ensureCache: (i) => this.ensureCache(i),
      cacheFor: (i) => this.cacheFor(i),
      rest: (i) => this.rest(i),
      resourcesChanged: () => {
        this.openapi.invalidate();
        this.openapiV2?.invalidate();
      },
      deleteKey: async (k) => {
        try {
          await this.store.delete(k);
        } catch (e) {
          // Already gone is fine; anything else retries the cleanup.
          if (!(e instanceof StoreError && e.code === 'NotFound')) throw e;
        }
      },
    });
  }

  setServerAddress(addr: string): void {
    this.serverAddress = addr;
  }

  /** The client certificate the API server presents to kubelets (logs, exec, attach, port-forward). */
  setKubeletClientTLS(t: KubeletClientTLS): void {
    this.kubeletTLS = t;
  }

  private kubeletTLS: KubeletClientTLS | undefined;
  private readonly metrics = new MetricsApi(
    () => this.kubeletTLS,
    () => {
      const podsInfo = this.registry.get('', 'v1', 'pods')!;
      const byNode = new Map<string, any[]>();
      for (const c of this.cacheFor(podsInfo).list(resourcePrefix(podsInfo))) {
        const node = c.obj.spec?.nodeName;
        if (!node) continue;
        let list = byNode.get(node);
        if (!list) byNode.set(node, (list = []));
        list.push(c.obj);
      }
      return byNode;
    },
  );

  private objectOf(group: string, version: string, resource: string, ns: string, name: string): any {
    const r = this.rest(this.registry.get(group, version, resource)!).get(ns, name);
    if (r.type !== 'object') throw new Error('unexpected');
    return r.obj;
  }

  /** Where the kubelet running `pod` listens, and with which credentials to call it. */
  private kubeletFor(pod: any): { loc: KubeletLocation; tls: KubeletClientTLS } {
    const nodeName = requireHost(pod);
    if (!this.kubeletTLS) throw badRequest('this API server has no credentials for kubelets');
    const node = this.objectOf('', 'v1', 'nodes', '', nodeName);
    return { loc: kubeletLocation(node), tls: this.kubeletTLS };
  }

  /** GET pods/log: validated here, streamed from the kubelet. */
  private async podLog(ns: string, name: string, q: URLSearchParams): Promise<ApiResponse> {
    const pod = this.objectOf('', 'v1', 'pods', ns, name);
    const container = resolveContainer(pod, q.get('container'));
    for (const k of ['tailLines', 'limitBytes', 'sinceSeconds']) {
      const v = q.get(k);
      if (v !== null && !/^-?\d+$/.test(v)) throw badRequest(`invalid value for ${k}: ${v}`);
    }
    if (q.has('sinceSeconds') && q.has('sinceTime')) throw badRequest('at most one of sinceTime or sinceSeconds may be specified');
    const { loc, tls } = this.kubeletFor(pod);
    const params = new URLSearchParams();
    for (const k of ['follow', 'previous', 'timestamps', 'tailLines', 'limitBytes', 'sinceSeconds', 'sinceTime']) {
      const v = q.get(k);
      if (v !== null) params.set(k, v);
    }
    const path = `/containerLogs/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}${params.size ? `?${params}` : ''}`;
    const res = await kubeletGet(loc, tls, path);
    return {
      status: 200,
      contentType: 'text/plain',
      stream: (out) => {
        res.on('data', (chunk: Buffer) => out.write(chunk));
        res.on('end', () => out.end());
        res.on('error', () => out.end());
        return () => res.destroy();
      },
    };
  }

  /** metrics.k8s.io: NodeMetrics and PodMetrics from the kubelets' summaries (kubectl top). */
  private async metricsRequest(info: ResourceInfo, ns: string, name: string, req: ApiRequest): Promise<ApiResponse> {
    const nodesInfo = this.registry.get('', 'v1', 'nodes')!;
    const podsInfo = this.registry.get('', 'v1', 'pods')!;
    const nodes = this.cacheFor(nodesInfo).list(resourcePrefix(nodesInfo)).map((c) => c.obj);
    const raw = req.query.get('labelSelector');
    let sel;
    try {
      sel = raw ? parseLabelSelector(raw) : undefined;
    } catch (e) {
      throw badRequest(`unable to parse requirement: ${(e as Error).message}`);
    }
    const keep = (i: any) => (!sel || matches(sel, i.metadata.labels ?? {})) && (!name || i.metadata.name === name);
    if (info.resource === 'nodes') {
      const items = (await this.metrics.nodeMetrics(nodes)).filter(keep);
      if (name) {
        if (!items[0]) throw notFound(METRICS_GROUP, 'nodes', name);
        return json(200, metricsItem('NodeMetrics', items[0]));
      }
      return json(200, metricsList('NodeMetricsList', items));
    }
    const podOf = (pns: string, pname: string) => this.cacheFor(podsInfo).get(`${resourcePrefix(podsInfo)}${pns}/${pname}`)?.obj;
    const items = (await this.metrics.podMetrics(nodes, podOf)).filter((i) => (!ns || i.metadata.namespace === ns) && keep(i));
    if (name) {
      if (!items[0]) throw notFound(METRICS_GROUP, 'pods', name);
      return json(200, metricsItem('PodMetrics', items[0]));
    }
    return json(200, metricsList('PodMetricsList', items));
  }

  /** GET nodes/{name}/proxy/{path}: the node's kubelet API (stats, logs, healthz...). */
  private async nodeProxy(name: string, req: ApiRequest): Promise<ApiResponse> {
    const node = this.objectOf('', 'v1', 'nodes', '', name);
    if (!this.kubeletTLS) throw badRequest('this API server has no credentials for kubelets');
    const prefix = `/api/v1/nodes/${name}/proxy`;
    const rest = req.path.startsWith(prefix) ? req.path.slice(prefix.length) : '';
    const res = await kubeletGet(kubeletLocation(node), this.kubeletTLS, `${rest || '/'}${req.query.size ? `?${req.query}` : ''}`);
    return {
      status: 200,
      contentType: String(res.headers['content-type'] ?? 'application/octet-stream'),
      stream: (out) => {
        res.on('data', (chunk: Buffer) => out.write(chunk));
        res.on('end', () => out.end());
        res.on('error', () => out.end());
        return () => res.destroy();
      },
    };
  }

  /**
   * exec, attach and portforward: upgrade requests (WebSocket or SPDY) relayed
   * to the pod's kubelet. Returns an error response when the request cannot
   * be relayed; undefined once the relay took over the socket.
   */
  async podStream(req: { method: string; path: string; query: URLSearchParams; user?: UserInfo; impersonate?: ImpersonationRequest; authorization?: string; raw: IncomingMessage }, socket: Duplex, head: Buffer): Promise<ApiResponse | undefined> {
    try {
      if (!req.user) req = { ...req, user: this.authn.authenticate(req.authorization) };
      if (!req.user) throw unauthorized();
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/.exec(req.path);
      if (!m) throw resourceNotFound();
      const [, ns, name, sub] = m;
      const user = this.effectiveUser(req.user, req.impersonate);
      this.authorize(user, { resourceRequest: true, verb: 'create', group: '', resource: 'pods', subresource: sub, namespace: decodeURIComponent(ns), name: decodeURIComponent(name) });
      const pod = this.objectOf('', 'v1', 'pods', decodeURIComponent(ns), decodeURIComponent(name));
      const { loc, tls } = this.kubeletFor(pod);
      let path: string;
      if (sub === 'portforward') {
        path = `/portForward/${ns}/${name}${req.query.size ? `?${req.query}` : ''}`;
      } else {
        const container = resolveContainer(pod, req.query.get('container'), sub === 'exec');
        if (sub === 'exec' && !req.query.getAll('command').length) throw badRequest('you must specify at least 1 command');
        if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') throw badRequest(`cannot exec into a container in a completed pod; current phase is ${pod.status.phase}`);
        path = `/${sub}/${ns}/${name}/${encodeURIComponent(container)}${req.query.size ? `?${req.query}` : ''}`;
      }
      relayUpgrade(loc, tls, path, req.raw, socket, head);
      return undefined;
    } catch (e) {
      if (e instanceof ApiError) return json(e.code, e.status);
      return json(500, internalError(e instanceof Error ? e.message : String(e)).status);
    }
  }

  async start(): Promise<void> {
    for (const r of this.registry.all()) await this.ensureCache(r);
    const svcInfo = this.registry.get('', 'v1', 'services')!;
    seedServiceAllocation(this.services, this.cacheFor(svcInfo).list().map((c) => c.obj));
    await this.ensureSystemNamespaces();
    await this.ensureKubernetesService();
    await this.ensureSystemPriorityClasses();
    if (this.authorizationMode === 'RBAC') {
      const source = rbacSource(this.registry, (i) => this.cacheFor(i));
      // Node,RBAC: kubelets' reads of Secrets, ConfigMaps, volumes and tokens follow their pods.
      this.authorizer = new UnionAuthorizer(new NodeAuthorizer(nodeAuthorizerSource(this.registry, (i) => this.cacheFor(i)), nodeRules()), new RbacAuthorizer(source));
      this.roleLookup = {
        roleRules: (kind, ns, name) => {
          const role = kind === 'Role' ? source.role(ns, name) : kind === 'ClusterRole' ? source.clusterRole(name) : undefined;
          return role ? (role.rules ?? []) : undefined;
        },
      };
      await reconcileBootstrapPolicy(this.registry, (i) => this.cacheFor(i), (i) => this.rest(i));
    }
    await this.crds.start();
    this.startCompaction();
    this.ready = true;
  }

  async stop(): Promise<void> {
    this.ready = false;
    this.crds.stop();
    if (this.compactTimer) clearInterval(this.compactTimer);
    for (const c of this.caches.values()) c.stop();
  }

  isReady(): boolean {
    return this.ready;
  }

  private async ensureCache(r: ResourceInfo): Promise<WatchCache> {
    const prefix = resourcePrefix(r);
    let c = this.caches.get(prefix);
    if (!c) {
      c = new WatchCache(this.store, prefix);
      this.caches.set(prefix, c);
      await c.start();
    }
    return c;
  }

  cacheFor(r: ResourceInfo): WatchCache {
    const c = this.caches.get(resourcePrefix(r));
    if (!c) throw new Error(`no watch cache for ${r.resource}`);
    return c;
  }

  rest(info: ResourceInfo): ResourceRest {
    let r = this.rests.get(info);
    if (!r) {
      r = new ResourceRest(
        {
          hooksFor: (i) => (i.group === '' && i.resource === 'services' ? this.serviceHooks : i.group === '' && i.resource === 'pods' ? this.podHooks : undefined),
          admission: this.admission,
          strategyFor: (i) => this.crds.strategyFor(i),
          store: this.store,
          cacheFor: (i) => this.cacheFor(i),
          namespaceState: (ns) => this.namespaceState(ns),
          currentRevision: () => this.store.currentRevision(),
        },
        info,
      );
      this.rests.set(info, r);
    }
    return r;
  }

  private namespaceState(name: string): 'active' | 'terminating' | 'missing' {
    const nsInfo = this.registry.get('', 'v1', 'namespaces')!;
    const c = this.cacheFor(nsInfo).get(`${resourcePrefix(nsInfo)}${name}`);
    if (!c) return 'missing';
    return c.obj.metadata?.deletionTimestamp || c.obj.status?.phase === 'Terminating' ? 'terminating' : 'active';
  }

  private async ensureSystemNamespaces(): Promise<void> {
    const nsInfo = this.registry.get('', 'v1', 'namespaces')!;
    const rest = this.rest(nsInfo);
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      if (this.namespaceState(name) !== 'missing') continue;
      try {
        await rest.create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { dryRun: false });
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 409)) throw e;
      }
    }
  }

  /** The `kubernetes` Service in `default`: the API server's in-cluster address. */
  private async ensureKubernetesService(): Promise<void> {
    const info = this.registry.get('', 'v1', 'services')!;
    if (this.cacheFor(info).get(`${resourcePrefix(info)}default/kubernetes`)) return;
    const ip = this.services.ips.first();
    try {
      await this.rest(info).create(
        'default',
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
          spec: { type: 'ClusterIP', clusterIP: ip, clusterIPs: [ip], ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }], sessionAffinity: 'None' },
        },
        { dryRun: false },
      );
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
    }
  }

  /** The two built-in PriorityClasses upstream creates at start. */
  private async ensureSystemPriorityClasses(): Promise<void> {
    const info = this.registry.get('scheduling.k8s.io', 'v1', 'priorityclasses')!;
    const classes = [
      { name: 'system-node-critical', value: 2000001000, description: 'Used for system critical pods that must not be moved from their current node.' },
      { name: 'system-cluster-critical', value: 2000000000, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
    ];
    for (const c of classes) {
      if (this.cacheFor(info).get(`${resourcePrefix(info)}${c.name}`)) continue;
      try {
        await this.rest(info).create(
          '',
          { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: c.name }, value: c.value, description: c.description, preemptionPolicy: 'PreemptLowerPriority' },
          { dryRun: false, fieldManager: 'kube-apiserver' },
        );
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 409)) throw e;
      }
    }
  }

  /** Compacts history older than five minutes, as kube-apiserver asks etcd to. */
  private startCompaction(): void {
    let previous: number | undefined;
    this.compactTimer = setInterval(async () => {
      try {
        const now = await this.store.currentRevision();
        if (previous !== undefined && previous > (await this.store.compactedRevision())) await this.store.compact(previous);
        previous = now;
      } catch {
        // Compaction is best effort; the next round tries again.
      }
    }, 5 * 60 * 1000);
    this.compactTimer.unref();
  }

  async handle(req: ApiRequest): Promise<ApiResponse> {
    const warnings = new WarningRecorder();
    const audit = new AuditContext(req);
    let res: ApiResponse;
    let panic = false;
    try {
      res = await this.route(req, warnings, audit);
    } catch (e) {
      if (e instanceof ApiError) res = json(e.code, e.status);
      else {
        panic = true;
        res = json(500, internalError(e instanceof Error ? e.message : String(e)).status);
      }
    }
    if (this.auditor) {
      audit.info ??= parseRequestInfo(req.method, req.path, req.query);
      res = this.auditor.responded(audit, res, panic);
    }
    const w = warnings.headerValues();
    if (w.length) res.warnings = w;
    res.auditID = audit.auditID;
    return res;
  }

  private async route(req: ApiRequest, warnings: WarningRecorder, audit: AuditContext): Promise<ApiResponse> {
    const path = req.path.length > 1 && req.path.endsWith('/') ? req.path.slice(0, -1) : req.path;
    if (path === '/healthz' || path === '/livez' || path === '/readyz' || /^\/(healthz|livez|readyz)\//.test(path)) {
      return this.health(path, req.query);
    }
    if (path === '/version') {
      return json(200, KUBERNETES_VERSION);
    }
    if (!req.user && req.headers.authorization) req = { ...req, user: this.authn.authenticate(req.headers.authorization) };
    if (!req.user && !PUBLIC_PATHS.has(path)) {
      throw unauthorized();
    }
    const ri = parseRequestInfo(req.method, path, req.query);
    audit.user = req.user;
    audit.info = ri;
    this.auditor?.requestReceived(audit);
    if (req.user) {
      const user = this.effectiveUser(req.user, req.headers.impersonate, audit);
      this.authorize(user, ri.type === 'resource' ? resourceAttributes(ri, req.query) : nonResourceAttributes(req.method, path), audit);
      if (user !== req.user) req = { ...req, user };
    }
    if (path === '/openapi/v2') {
      if (req.method !== 'GET') throw methodNotSupported();
      const d = (this.openapiV2 ??= new OpenAPIv2(this.registry)).forAccept(req.headers.accept);
      return typeof d.body === 'string' ? { status: 200, contentType: d.contentType, body: d.body } : { status: 200, contentType: d.contentType, bytes: d.body };
    }
    if (path === '/openapi/v3' || path.startsWith('/openapi/v3/')) {
      if (req.method !== 'GET') throw methodNotSupported();
      if (path === '/openapi/v3') return json(200, this.openapi.root());
      const doc = this.openapi.document(path.slice('/openapi/v3/'.length));
      if (!doc) throw resourceNotFound();
      return { status: 200, contentType: 'application/json', body: doc.body };
    }
    if (ri.type === 'other') {
      throw resourceNotFound();
    }
    if (ri.type === 'discovery') {
      if (req.method !== 'GET') throw methodNotSupported();
      return this.discovery(ri.path, ri.group, ri.version, req.headers.accept);
    }
    return this.resource(ri, req, warnings);
  }

  /** The user a request runs as: the authenticated one, or whom it impersonates if allowed to. */
  private effectiveUser(user: UserInfo, imp: ImpersonationRequest | undefined, audit?: AuditContext): UserInfo {
    if (!imp) return user;
    const r = impersonate(user, imp, this.authorizer);
    if ('badRequest' in r) throw badRequest(r.badRequest);
    if ('denied' in r) {
      if (audit) audit.decision = { allowed: false, reason: '' };
      throw forbiddenFor(user.name, r.denied);
    }
    if (audit) audit.impersonatedUser = r.user;
    return r.user;
  }

  private authorize(user: UserInfo, a: Attributes, audit?: AuditContext): void {
    const d = this.authorizer.authorize(user, a);
    if (audit) audit.decision = d;
    if (!d.allowed) throw forbiddenFor(user.name, a, d.reason);
  }

  /** NodeRestriction for the writes that do not pass the admission chain (token requests, deletes). */
  private nodeRestriction(user: UserInfo | undefined, operation: 'CREATE' | 'DELETE', info: ResourceInfo, sub: string, ns: string, name: string, obj?: any): void {
    if (!user) return;
    admitNodeRestriction({ user, operation, group: info.group, resource: info.resource, subresource: sub, namespace: ns, name, obj }, nodeRestrictionLookups(this));
  }

  private health(path: string, query: URLSearchParams): ApiResponse {
    const ok = this.ready;
    const checks = ['ping', 'log', 'etcd', 'poststarthook/start-apiserver'];
    if (query.has('verbose')) {
      const name = path.slice(1);
      const lines = checks.map((c) => `[${ok ? '+' : '-'}]${c} ${ok ? 'ok' : 'failed'}`);
      return { status: ok ? 200 : 500, contentType: 'text/plain; charset=utf-8', body: `${lines.join('\n')}\n${name} check ${ok ? 'passed' : 'failed'}\n` };
    }
    return { status: ok ? 200 : 500, contentType: 'text/plain; charset=utf-8', body: ok ? 'ok' : 'not ready' };
  }

  private discovery(kind: string, group: string, version: string, accept: string | undefined): ApiResponse {
    const shape = negotiate(accept, { discovery: kind === 'api' || kind === 'apis' });
    if (shape.as === 'discovery') {
      return {
        status: 200,
        contentType: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
        body: JSON.stringify(aggregatedDiscovery(this.registry, kind === 'api')),
      };
    }
    let doc: object | undefined;
    switch (kind) {
      case 'api':
        doc = apiVersions(this.serverAddress);
        break;
      case 'apis':
        doc = apiGroupList(this.registry);
        break;
      case 'group':
        doc = apiGroup(this.registry, group);
        break;
      case 'coreVersion':
        doc = version === 'v1' ? apiResourceList(this.registry, '', 'v1') : undefined;
        break;
      case 'groupVersion':
        doc = apiResourceList(this.registry, group, version);
        break;
    }
    if (!doc) throw resourceNotFound();
    return json(200, doc);
  }

  private async resource(ri: ResourceRequest, req: ApiRequest, warnings: WarningRecorder): Promise<ApiResponse> {
    const info = this.registry.get(ri.group, ri.version, ri.resource);
    if (!info) throw resourceNotFound();
    if (!info.namespaced && ri.namespacedPath && ri.resource !== 'namespaces') throw resourceNotFound();
    const ns = info.namespaced ? ri.namespace : '';
    const name = ri.resource === 'namespaces' ? (ri.name || (ri.namespacedPath ? ri.namespace : '')) : ri.name;
    const sub = ri.resource === 'namespaces' && !ri.name && ri.namespacedPath ? '' : ri.subresource;
    const verb = ri.resource === 'namespaces' && ri.namespacedPath && !ri.name && ri.verb === 'list' ? 'get' : ri.verb === 'deletecollection' && name ? 'delete' : ri.verb;
    if (sub && !info.subresources.some((s) => s.name === sub)) throw resourceNotFound();
    // Watches are served to GET only (a DELETE on a /watch/ path is no delete).
    if (verb === 'watch' && req.method !== 'GET') throw methodNotSupported();
    // A namespaced resource's all-namespaces path serves only list and watch.
    if (info.namespaced && !ri.namespacedPath && verb !== 'list' && verb !== 'watch') throw methodNotSupported();
    // Writes to an item need its name.
    if (!name && (verb === 'update' || verb === 'patch' || (verb === 'get' && sub))) throw methodNotSupported();
    const allowed = sub ? info.subresources.find((s) => s.name === sub)!.verbs : info.verbs;
    if (!allowed.includes(verb)) throw methodNotSupported();
    if (info.group === METRICS_GROUP) return this.metricsRequest(info, ns, name, req);
    if (verb === 'create' && !sub && isReviewResource(info.group, info.resource)) {
      const obj = requireObject(decodeBody(req.body ?? Buffer.alloc(0), req.headers.contentType));
      try {
        return json(201, review(info.resource, obj, req.user!, ns, this.authorizer));
      } catch (e) {
        if (!(e instanceof ReviewInvalid)) throw e;
        const what = `${e.kind}.${info.group} "${obj.metadata?.name ?? ''}" is invalid: ${e.message}`;
        throw invalid(info.group, e.kind, obj.metadata?.name ?? '', what, e.causes);
      }
    }
    if (verb === 'create' && this.authn.serves(info, sub)) {
      const obj = requireObject(decodeBody(req.body ?? Buffer.alloc(0), req.headers.contentType));
      this.nodeRestriction(req.user, 'CREATE', info, sub, ns, name, obj);
      return json(201, this.authn.create(info, ns, name, obj));
    }
    if (verb === 'create' && !sub && info.group === '' && info.resource === 'pods') await this.authn.beforePodCreate(ns);
    if (sub === 'log' && info.resource === 'pods' && info.group === '' && verb === 'get') return this.podLog(ns, name, req.query);
    if (sub === 'proxy' && info.resource === 'nodes' && info.group === '' && verb === 'get') return this.nodeProxy(name, req);
    const csr = info.group === 'certificates.k8s.io' && info.resource === 'certificatesigningrequests';
    if (sub && sub !== 'status' && sub !== 'finalize' && sub !== 'scale' && !(sub === 'binding' && info.resource === 'pods' && info.group === '') && !(sub === 'approval' && csr)) {
      // Other subresources (log, exec, eviction, ...) arrive with later components.
      throw methodNotSupported();
    }

    const shape = negotiate(req.headers.accept);
    const rest = this.rest(info);
    const q = req.query;
    let result: RestResult;
    const wo = (kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions') => ({ ...writeOptions(q, kind, req.headers.userAgent), warnings, user: req.user, optionsKind: kind });
    // A decoded body, with unknown and duplicate fields reported per fieldValidation, then dropped.
    const body = (kind: 'CreateOptions' | 'UpdateOptions' = 'CreateOptions') => {
      if (!req.body || req.body.length === 0) throw badRequest('the request body is empty');
      // Options first: a bad fieldValidation value is a 422 before anything else.
      const directive = writeOptions(q, kind, req.headers.userAgent).fieldValidation ?? 'Warn';
      const obj = requireObject(decodeBody(req.body, req.headers.contentType));
      const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : apiVersionOf(info);
      const kindName = typeof obj.kind === 'string' ? obj.kind : info.kind;
      const typeError = objectMetaTypeError(obj, info.kind);
      if (typeError) throw badRequest(`${kindName} in version ${JSON.stringify(apiVersion.slice(apiVersion.lastIndexOf('/') + 1))} cannot be handled as a ${info.kind}: ${typeError}`);
      const unknownFields = this.crds.strategyFor(info)?.unknownFields?.(obj);
      const r = checkFields({ directive, apiVersion, kind: kindName, targetKind: info.kind, bodyText: req.body.toString('utf8'), contentType: req.headers.contentType, obj, unknownFields });
      if (r.error) throw badRequest(r.error);
      warnings.addAll(r.warnings);
      pruneUnknownFields(apiVersion, kindName, obj);
      return obj;
    };
    if ((sub === 'binding' && verb === 'create') || (info.group === '' && info.resource === 'bindings' && verb === 'create')) {
      const pods = this.rest(this.registry.get('', 'v1', 'pods')!);
      const binding = body();
      if (!binding.metadata) binding.metadata = {};
      if (binding.metadata.namespace && binding.metadata.namespace !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      result = await pods.bindPod(ns, binding, sub === 'binding' ? name : undefined, wo('CreateOptions'));
      return this.respond(info, result, shape, q);
    }
    if (sub === 'scale') {
      result = await this.scale(info, verb, ns, name, req, warnings);
      return this.respond(info, result, shape, q);
    }
    // Roles and bindings may only grant what the writer holds (or may escalate/bind).
    const guard = <T>(obj: T): T => {
      if (this.roleLookup && info.group === 'rbac.authorization.k8s.io' && !sub) {
        const why = checkEscalation(this.authorizer, this.roleLookup, req.user!, info.resource, ns, obj);
        if (why) throw forbidden(info.group, info.resource, (obj as any)?.metadata?.name ?? name, why);
      }
      return obj;
    };
    switch (verb) {
      case 'get':
        result = rest.get(ns, name);
        break;
      case 'list':
        result = await rest.list(ns, q);
        break;
      case 'watch':
        result = rest.watch(ns, name, q);
        break;
      case 'create':
        if (name) throw methodNotSupported();
        result = await rest.create(ns, guard(body('CreateOptions')), wo('CreateOptions'));
        break;
      case 'update':
        result = await rest.update(ns, name, guard(body('UpdateOptions')), sub, wo('UpdateOptions'));
        break;
      case 'patch':
        if (!req.body || req.body.length === 0) throw badRequest('the request body is empty');
        if (this.roleLookup && info.group === 'rbac.authorization.k8s.io' && !req.user!.groups.includes('system:masters')) {
          // The patched object is only known after patching: dry-run it, check, then write.
          const dry = await rest.patch(ns, name, req.body, req.headers.contentType ?? '', sub, { ...wo('PatchOptions'), dryRun: true });
          if (dry.type === 'object') guard(dry.obj);
        }
        result = await rest.patch(ns, name, req.body, req.headers.contentType ?? '', sub, wo('PatchOptions'));
        break;
      case 'delete': {
        this.nodeRestriction(req.user, 'DELETE', info, sub, ns, name);
        const opts = req.body && req.body.length > 0 ? requireObject(decodeBody(req.body, req.headers.contentType)) : deleteOptionsFromQuery(q);
        result = await rest.delete(ns, name, opts, wo('DeleteOptions'));
        break;
      }
      case 'deletecollection': {
        const opts = req.body && req.body.length > 0 ? requireObject(decodeBody(req.body, req.headers.contentType)) : deleteOptionsFromQuery(q);
        result = await rest.deleteCollection(ns, q, opts, wo('DeleteOptions'));
        break;
      }
      default:
        throw methodNotSupported();
    }
    return this.respond(info, result, shape, q);
  }

  /** The scale subresource (autoscaling/v1 Scale) of Deployments, ReplicaSets, StatefulSets, ReplicationControllers. */
  private async scale(info: ResourceInfo, verb: string, ns: string, name: string, req: ApiRequest, warnings: WarningRecorder): Promise<RestResult> {
    const rest = this.rest(info);
    const toScale = (obj: any) => ({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
        creationTimestamp: obj.metadata.creationTimestamp,
      },
      spec: { replicas: obj.spec?.replicas ?? 0 },
      status: { replicas: obj.status?.replicas ?? 0, selector: selectorString(obj.spec?.selector) },
    });
    const cur = rest.get(ns, name);
    if (cur.type !== 'object') throw new Error('unexpected');
    if (verb === 'get') return { type: 'object', status: 200, obj: toScale(cur.obj) };
    let replicas: number;
    let rv: string | undefined;
    if (verb === 'update') {
      const b = requireObject(decodeBody(req.body ?? Buffer.alloc(0), req.headers.contentType));
      replicas = b.spec?.replicas;
      rv = b.metadata?.resourceVersion;
    } else if (verb === 'patch') {
      const { applyMergePatch, applyJsonPatch } = await import('../api/patch/index.js');
      const ct = (req.headers.contentType ?? '').split(';')[0];
      const p = JSON.parse((req.body ?? Buffer.from('{}')).toString('utf8'));
      const patched: any = ct === 'application/json-patch+json' ? applyJsonPatch(toScale(cur.obj), p) : applyMergePatch(toScale(cur.obj), p);
      replicas = patched.spec?.replicas;
      rv = p.metadata?.resourceVersion;
    } else throw methodNotSupported();
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid('autoscaling', 'Scale', name, `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`, [
        { reason: 'FieldValueInvalid', message: `Invalid value: ${replicas}: must be greater than or equal to 0`, field: 'spec.replicas' },
      ]);
    }
    const next = JSON.parse(JSON.stringify(cur.obj));
    next.spec = { ...(next.spec ?? {}), replicas };
    if (rv) next.metadata.resourceVersion = rv;
    const res = await rest.update(ns, name, next, '', { ...writeOptions(req.query, 'UpdateOptions', req.headers.userAgent), warnings, user: req.user });
    if (res.type !== 'object') throw new Error('unexpected');
    return { type: 'object', status: 200, obj: toScale(res.obj) };
  }

  private respond(info: ResourceInfo, result: RestResult, shape: ResponseShape, q: URLSearchParams): ApiResponse {
    const include = includeObjectParam(q);
    switch (result.type) {
      case 'status':
        return json(result.status, result.body);
      case 'object': {
        if (shape.as === 'Table' && result.obj.kind !== 'Status' && result.obj.kind !== 'Scale') {
          const items = result.obj.items ?? [result.obj];
          return json(result.status, this.table(info, items, shape.version, { resourceVersion: result.obj.metadata?.resourceVersion }, include));
        }
        if (shape.as === 'PartialObjectMetadata') {
          if (shape.list) throw notAcceptable();
          return json(result.status, partialMetadata(result.obj, shape.version));
        }
        if (shape.as === 'object' && shape.yaml) return yamlResponse(result.status, result.obj);
        return { status: result.status, contentType: 'application/json', body: result.json ?? JSON.stringify(result.obj) };
      }
      case 'list': {
        if (shape.as === 'Table') {
          return json(200, this.table(info, result.items.map((c) => c.obj), shape.version, result.meta, include));
        }
        if (shape.as === 'PartialObjectMetadata') {
          if (!shape.list) throw notAcceptable();
          return json(200, {
            kind: 'PartialObjectMetadataList',
            apiVersion: `meta.k8s.io/${shape.version}`,
            metadata: result.meta,
            items: result.items.map((c) => partialMetadata(c.obj, shape.version)),
          });
        }
        if (shape.as === 'object' && shape.yaml) {
          return yamlResponse(200, { kind: info.listKind, apiVersion: apiVersionOf(info), metadata: result.meta, items: result.items.map((c) => c.obj) });
        }
        const head = JSON.stringify({ kind: info.listKind, apiVersion: apiVersionOf(info), metadata: result.meta });
        const body = `${head.slice(0, -1)},"items":[${result.items.map((c: CachedObject) => c.json).join(',')}]}`;
        return { status: 200, contentType: 'application/json', body };
      }
      case 'watch':
        return {
          status: 200,
          contentType: 'application/json',
          stream: (out) => {
            let first = true;
            const sink: WatchSink = {
              event: (type, obj, objJson) => {
                let payload: string;
                if (shape.as === 'Table' && type !== 'BOOKMARK') {
                  const t: any = this.table(info, [obj], shape.version, { resourceVersion: obj.metadata?.resourceVersion }, include, !first);
                  first = false;
                  payload = JSON.stringify(t);
                } else if (shape.as === 'PartialObjectMetadata' && type !== 'BOOKMARK') {
                  payload = JSON.stringify(partialMetadata(obj, shape.version));
                } else {
                  payload = objJson ?? JSON.stringify(obj);
                }
                out.write(`{"type":"${type}","object":${payload}}\n`);
              },
              error: (status) => out.write(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`),
              end: () => out.end(),
            };
            return result.start(sink);
          },
        };
    }
  }

  private table(
    info: ResourceInfo,
    objs: any[],
    version: string,
    meta: { resourceVersion?: string; continue?: string; remainingItemCount?: number },
    includeObject: 'None' | 'Metadata' | 'Object',
    noHeaders = false,
  ): object {
    const t: any = buildTable(info.group, info.resource, objs, {
      ...this.printerOptions(info),
      includeObject,
      noHeaders,
      now: new Date(),
      resourceVersion: meta.resourceVersion,
      continue: meta.continue,
      remainingItemCount: meta.remainingItemCount,
    });
    if (version === 'v1beta1') t.apiVersion = 'meta.k8s.io/v1beta1';
    return t;
  }

  private printerOptions(info: ResourceInfo): { columns?: any[]; cells?: (o: any) => unknown[] } {
    const p = this.crds.printerFor(info);
    if (!p) return {};
    const now = new Date();
    return { columns: p.columns, cells: (o) => p.cells(o, now) };
  }

}

function includeObjectParam(q: URLSearchParams): 'None' | 'Metadata' | 'Object' {
  const v = q.get('includeObject');
  if (v === null || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw badRequest(`includeObject: Unsupported value: "${v}": supported values: "Metadata", "None", "Object"`);
}

function partialMetadata(obj: any, version: string): object {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

function deleteOptionsFromQuery(q: URLSearchParams): any {
  const o: any = {};
  const g = q.get('gracePeriodSeconds');
  if (g !== null && g !== '') o.gracePeriodSeconds = Number(g);
  const p = q.get('propagationPolicy');
  if (p) o.propagationPolicy = p;
  return o;
}

function selectorString(sel: any): string {
  if (!sel) return '';
  try {
    return labelSelectorToString(selectorFromLabelSelectorObject(sel));
  } catch {
    return '';
  }
}
