// The Endpoints controller (upstream pkg/controller/endpoint): for every
// Service with a selector, an Endpoints object of the same name listing
// the addresses of the selected pods, ready ones in `addresses` and the
// others in `notReadyAddresses`, grouped by port set (RepackSubsets).
//
// Event handlers map events to Service keys: a pod maps to every Service
// of its namespace whose selector matches its old or new labels. A deleted
// Endpoints object re-queues its Service, so it is recreated. Services
// without a selector are left alone (someone else manages their
// Endpoints), and so is default/kubernetes, which the API server owns.
//
// syncService is level-triggered: compute the subsets from the pod cache,
// compare with the cached Endpoints, and write only on a difference.

import type { Pod, Service, Endpoints, EndpointAddress, EndpointPort, EndpointSubset, ServicePort } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../client/types.js';
import { isNotFound } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { clone, metaNamespaceKey, objectOf, splitMetaNamespaceKey, NAMESPACE_INDEX, type DeletedFinalStateUnknown } from '../client/store.js';
import { selectorFromSet } from '../api/labels.js';
import { QueueController, type ControllerOptions } from './base.js';
import { deepEqual, isNamespaceTerminating, isPodReady, labelsEqual, parseTime, podReadyCondition } from './util.js';

/** Upstream's maxCapacity: addresses an Endpoints object holds at most. */
export const MAX_ENDPOINTS_CAPACITY = 1000;
export const LAST_CHANGE_TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';
export const HEADLESS_SERVICE_LABEL = 'service.kubernetes.io/headless';
/** Endpoints carrying this annotation are leader-election records, not a Service's (upstream's checkLeftoverEndpoints). */
export const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

export const endpointsPath = (ns: string): string => `/api/v1/namespaces/${encodeURIComponent(ns)}/endpoints`;

// ---- helpers shared with the EndpointSlice controller ----

/** A Service the endpoint controllers manage: it has a (non-empty) selector, is not ExternalName, and is not default/kubernetes. */
export function isManagedService(svc: Service): boolean {
  if (svc.metadata?.namespace === 'default' && svc.metadata?.name === 'kubernetes') return false;
  if (svc.spec?.type === 'ExternalName') return false;
  return Object.keys(svc.spec?.selector ?? {}).length > 0;
}

/** upstream's ShouldPodBeInEndpoints: it has an IP, is not terminal for its restart policy, and (unless included) not terminating. */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (!pod.status?.podIP) return false;
  const phase = pod.status?.phase;
  const restart = pod.spec?.restartPolicy ?? 'Always';
  if (restart === 'Never' && (phase === 'Failed' || phase === 'Succeeded')) return false;
  if (restart === 'OnFailure' && phase === 'Succeeded') return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

/** The pod's hostname is published when it lives in the Service's namespace and its subdomain names the Service. */
export function shouldSetHostname(pod: Pod, svc: Service): boolean {
  return !!pod.spec?.hostname && pod.spec?.subdomain === svc.metadata?.name && pod.metadata?.namespace === svc.metadata?.namespace;
}

/** upstream's podutil.FindPort: a named targetPort is looked up among the pod's container ports (same protocol); a number is used as is. */
export function findPort(pod: Pod, svcPort: ServicePort): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = svcPort.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** The Services of the pod's namespace whose selector matches the labels. */
export function servicesSelecting(services: Service[], labels: Record<string, string> | undefined): Service[] {
  return services.filter((s) => isManagedService(s) && selectorFromSet(s.spec!.selector).matches(labels ?? {}));
}

/** What about a pod matters to its Services' endpoints (upstream's podChanged / endpointChanged). */
export function podEndpointState(pod: Pod): unknown {
  return {
    ip: pod.status?.podIP,
    ips: pod.status?.podIPs,
    ready: isPodReady(pod),
    phase: pod.status?.phase,
    node: pod.spec?.nodeName,
    hostname: pod.spec?.hostname,
    subdomain: pod.spec?.subdomain,
    deleting: !!pod.metadata?.deletionTimestamp,
    ports: (pod.spec?.containers ?? []).map((c) => c.ports ?? []),
  };
}

/** Services to sync after a pod update (upstream's GetServicesToUpdateOnPodChange, without the symmetric-difference refinement). */
export function servicesForPodChange(services: Service[], oldPod: Pod, curPod: Pod): Service[] {
  if (oldPod.metadata?.resourceVersion === curPod.metadata?.resourceVersion) return [];
  const labelsChanged = !labelsEqual(oldPod.metadata?.labels, curPod.metadata?.labels);
  const podChanged = !deepEqual(podEndpointState(oldPod), podEndpointState(curPod));
  if (!labelsChanged && !podChanged) return [];
  const out = new Map<string, Service>();
  for (const s of servicesSelecting(services, curPod.metadata?.labels)) out.set(metaNamespaceKey(s), s);
  if (labelsChanged) for (const s of servicesSelecting(services, oldPod.metadata?.labels)) out.set(metaNamespaceKey(s), s);
  return [...out.values()];
}

/** Formats a trigger time as Go's RFC3339Nano in UTC. */
export function formatTriggerTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, f: string) => (f ? `.${f}Z` : 'Z'));
}

interface ServiceTriggerState {
  service: number;
  pods: Map<string, number>;
}

/**
 * upstream's TriggerTimeTracker: the last-change-trigger-time of a sync is
 * the earliest trigger time (pod Ready transition, Service creation) that
 * changed since the previous sync; a Service seen for the first time
 * reports its creation time. 0 means nothing changed.
 */
export class TriggerTimeTracker {
  private readonly states = new Map<string, ServiceTriggerState>();

  compute(svc: Service, pods: Pod[]): number {
    const key = metaNamespaceKey(svc);
    const prev = this.states.get(key);
    const desired: ServiceTriggerState = { service: parseTime(svc.metadata?.creationTimestamp), pods: new Map() };
    for (const p of pods) {
      const t = parseTime(podReadyCondition(p)?.lastTransitionTime);
      if (t) desired.pods.set(p.metadata?.name ?? '', t);
    }
    this.states.set(key, desired);
    if (!prev) return desired.service;
    let min = 0;
    const consider = (t: number): void => {
      if (t && (min === 0 || t < min)) min = t;
    };
    for (const [name, t] of desired.pods) {
      const last = prev.pods.get(name);
      if (last === undefined || last < t) consider(t);
    }
    if (prev.service < desired.service) consider(desired.service);
    return min;
  }

  delete(key: string): void {
    this.states.delete(key);
  }
}

// ---- subsets ----

function addressKey(a: EndpointAddress): string {
  return `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;
}

function portKey(p: EndpointPort): string {
  return JSON.stringify([p.name ?? '', p.port, p.protocol ?? '', p.appProtocol ?? '']);
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  const ka = addressKey(a);
  const kb = addressKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  const ka = portKey(a);
  const kb = portKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * upstream's RepackSubsets: maps every port to the addresses that offer it
 * (ready wins over not-ready for the same address and port), then groups
 * ports offered by the same set of addresses into one subset. Subsets
 * without ports (headless without ports) are kept under a sentinel. The
 * order is deterministic (upstream sorts by hash; here by content).
 */
export function repackSubsets(subsets: EndpointSubset[]): EndpointSubset[] {
  const allAddrs = new Map<string, EndpointAddress>();
  const byPort = new Map<string, { port: EndpointPort | undefined; addrs: Map<string, boolean> }>();
  const note = (addr: EndpointAddress, port: EndpointPort | undefined, ready: boolean): void => {
    const ak = addressKey(addr);
    if (!allAddrs.has(ak)) allAddrs.set(ak, addr);
    const pk = port ? portKey(port) : '';
    let entry = byPort.get(pk);
    if (!entry) byPort.set(pk, (entry = { port, addrs: new Map() }));
    if (entry.addrs.get(ak) !== true) entry.addrs.set(ak, ready);
  };
  for (const s of subsets) {
    const ports: Array<EndpointPort | undefined> = s.ports?.length ? s.ports : [undefined];
    for (const port of ports) {
      for (const a of s.addresses ?? []) note(a, port, true);
      for (const a of s.notReadyAddresses ?? []) note(a, port, false);
    }
  }
  const groups = new Map<string, { addrs: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, addrs } of byPort.values()) {
    const key = JSON.stringify([...addrs.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { addrs, ports: [] }));
    if (port) g.ports.push(port);
  }
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [ak, r] of g.addrs) (r ? ready : notReady).push(allAddrs.get(ak)!);
    const subset: EndpointSubset = {};
    if (ready.length) subset.addresses = ready.sort(compareAddresses);
    if (notReady.length) subset.notReadyAddresses = notReady.sort(compareAddresses);
    if (g.ports.length) subset.ports = g.ports.sort(comparePorts);
    out.push(subset);
  }
  const firstKey = (s: EndpointSubset): string => JSON.stringify([s.addresses?.[0] ? addressKey(s.addresses[0]) : '', s.notReadyAddresses?.[0] ? addressKey(s.notReadyAddresses[0]) : '', s.ports?.[0] ? portKey(s.ports[0]) : '']);
  return out.sort((a, b) => {
    const ka = firstKey(a);
    const kb = firstKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** The pod's address for the Service (ip, nodeName, targetRef, hostname). */
export function podEndpointAddress(pod: Pod, svc: Service): EndpointAddress {
  const addr: EndpointAddress = {
    ip: pod.status!.podIP!,
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
  };
  if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
  if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec!.hostname;
  return addr;
}

/** The subsets the Service's pods produce (upstream's syncService loop plus RepackSubsets). */
export function computeSubsets(svc: Service, pods: Pod[]): EndpointSubset[] {
  const tolerateUnready = svc.spec?.publishNotReadyAddresses === true;
  const subsets: EndpointSubset[] = [];
  const add = (pod: Pod, addr: EndpointAddress, port: EndpointPort | undefined): void => {
    const ports = port ? [port] : [];
    if (tolerateUnready || isPodReady(pod)) subsets.push({ addresses: [addr], ports });
    else subsets.push({ notReadyAddresses: [addr], ports });
  };
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const addr = podEndpointAddress(pod, svc);
    const svcPorts = svc.spec?.ports ?? [];
    if (svcPorts.length === 0) {
      // A headless Service may have no ports.
      if (svc.spec?.clusterIP === 'None') add(pod, addr, undefined);
      continue;
    }
    for (const sp of svcPorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const epp: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) epp.name = sp.name;
      if (sp.appProtocol) epp.appProtocol = sp.appProtocol;
      add(pod, addr, epp);
    }
  }
  return repackSubsets(subsets);
}

function countAddresses(subsets: EndpointSubset[]): number {
  let n = 0;
  for (const s of subsets) n += (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0);
  return n;
}

/** upstream's truncateEndpoints: above capacity, not-ready addresses go first, then ready ones, each subset keeping its proportion. */
export function truncateSubsets(subsets: EndpointSubset[], capacity = MAX_ENDPOINTS_CAPACITY): boolean {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += s.addresses?.length ?? 0;
    totalNotReady += s.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= capacity) return false;
  const truncateReady = totalReady > capacity;
  const max = truncateReady ? capacity : capacity - totalReady;
  const numTotal = truncateReady ? totalReady : totalNotReady;
  let canBeAdded = max;
  for (const s of subsets) {
    const inSubset = truncateReady ? (s.addresses?.length ?? 0) : (s.notReadyAddresses?.length ?? 0);
    const toBeAdded = Math.min(Math.ceil((inSubset / numTotal) * max), canBeAdded);
    if (truncateReady) {
      s.addresses = (s.addresses ?? []).slice(0, toBeAdded);
      delete s.notReadyAddresses;
      canBeAdded -= s.addresses.length;
    } else {
      s.notReadyAddresses = (s.notReadyAddresses ?? []).slice(0, toBeAdded);
      canBeAdded -= s.notReadyAddresses.length;
    }
  }
  return true;
}

export interface EndpointsControllerOptions extends ControllerOptions {}

export class EndpointsController extends QueueController {
  readonly triggerTimes = new TriggerTimeTracker();
  private readonly serviceInformer: Informer<Service>;
  private readonly podInformer: Informer<Pod>;
  private readonly endpointsInformer: Informer<Endpoints>;

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    opts: EndpointsControllerOptions = {},
  ) {
    super('endpoint', opts);
    this.serviceInformer = factory.informerFor<Service>('/api/v1/services');
    this.podInformer = factory.informerFor<Pod>('/api/v1/pods');
    this.endpointsInformer = factory.informerFor<Endpoints>('/api/v1/endpoints');
    this.registrations.push(
      this.serviceInformer.addEventHandler({
        onAdd: (svc) => this.enqueue(metaNamespaceKey(svc)),
        onUpdate: (_old, cur) => this.enqueue(metaNamespaceKey(cur)),
        onDelete: (obj) => this.enqueue(metaNamespaceKey(objectOf(obj))),
      }),
      this.podInformer.addEventHandler({
        onAdd: (pod) => this.enqueueServicesOf(pod),
        onUpdate: (oldPod, curPod) => {
          for (const s of servicesForPodChange(this.servicesIn(curPod), oldPod, curPod)) this.enqueue(metaNamespaceKey(s));
        },
        onDelete: (obj) => this.enqueueServicesOf(objectOf(obj)),
      }),
      this.endpointsInformer.addEventHandler({
        // upstream's checkLeftoverEndpoints: Endpoints whose Service is gone are deleted by the sync.
        onAdd: (ep, initial) => {
          if (initial && !ep.metadata?.annotations?.[LEADER_ANNOTATION]) this.enqueue(metaNamespaceKey(ep));
        },
        // A deleted Endpoints object of a managed Service is recreated.
        onDelete: (obj) => this.enqueue(metaNamespaceKey(objectOf(obj))),
      }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.serviceInformer, this.podInformer, this.endpointsInformer];
  }

  private servicesIn(pod: Pod): Service[] {
    return this.serviceInformer.byIndex(NAMESPACE_INDEX, pod.metadata?.namespace ?? '');
  }

  private enqueueServicesOf(pod: Pod): void {
    for (const s of servicesSelecting(this.servicesIn(pod), pod.metadata?.labels)) this.enqueue(metaNamespaceKey(s));
  }

  protected async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    if (namespace === 'default' && name === 'kubernetes') return; // the API server's own
    const svc = this.serviceInformer.getByName(namespace, name);
    if (!svc) {
      // The Service is gone: so are its Endpoints (they carry no ownerReference).
      this.triggerTimes.delete(key);
      if (!this.endpointsInformer.getByName(namespace, name)) return;
      try {
        await this.client.delete(`${endpointsPath(namespace)}/${encodeURIComponent(name)}`, {});
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return;
    }
    if (!isManagedService(svc)) return;
    const selector = selectorFromSet(svc.spec!.selector);
    const pods = this.podInformer.byIndex(NAMESPACE_INDEX, namespace).filter((p) => selector.matches(p.metadata?.labels ?? {}));
    const triggerTime = this.triggerTimes.compute(svc, pods);
    const subsets = computeSubsets(svc, pods);

    const cached = this.endpointsInformer.getByName(namespace, name);
    const current: Endpoints = cached ? clone(cached) : { metadata: { name, namespace, labels: svc.metadata?.labels } };
    const creating = !current.metadata?.resourceVersion;
    const compareLabels = { ...(current.metadata?.labels ?? {}) };
    delete compareLabels[HEADLESS_SERVICE_LABEL];
    if (!creating && deepEqual(current.subsets ?? [], subsets) && labelsEqual(compareLabels, svc.metadata?.labels) && capacityAnnotationSetCorrectly(current)) {
      return;
    }
    const next: Endpoints = { apiVersion: 'v1', kind: 'Endpoints', ...current, metadata: { ...current.metadata, namespace } } as Endpoints;
    next.subsets = subsets;
    const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
    if (svc.spec?.clusterIP === 'None' || !svc.spec?.clusterIP) labels[HEADLESS_SERVICE_LABEL] = '';
    next.metadata!.labels = labels;
    const annotations: Record<string, string> = { ...(next.metadata!.annotations ?? {}) };
    if (triggerTime) annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION] = formatTriggerTime(triggerTime);
    else delete annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION];
    if (truncateSubsets(next.subsets)) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
    else delete annotations[OVER_CAPACITY_ANNOTATION];
    next.metadata!.annotations = annotations;
    try {
      if (creating) await this.client.create(endpointsPath(namespace), next);
      else await this.client.update(`${endpointsPath(namespace)}/${encodeURIComponent(name)}`, next);
    } catch (e) {
      // A namespace being deleted refuses creations; nothing to retry.
      if (creating && isNamespaceTerminating(e)) return;
      // AlreadyExists (a lagging cache) or Conflict: retried with back-off once the cache caught up.
      throw e;
    }
  }
}

function capacityAnnotationSetCorrectly(ep: Endpoints): boolean {
  if (countAddresses(ep.subsets ?? []) > MAX_ENDPOINTS_CAPACITY) return false;
  return !ep.metadata?.annotations?.[OVER_CAPACITY_ANNOTATION];
}
