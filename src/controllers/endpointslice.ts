// The EndpointSlice controller (upstream pkg/controller/endpointslice and
// staging/src/k8s.io/endpointslice/reconciler.go): for every Service with a
// selector, EndpointSlices (discovery.k8s.io/v1) listing the selected pods,
// at most maxEndpointsPerSlice endpoints each, one group of slices per set
// of ports, owned by the Service (the garbage collector removes them with
// it).
//
// Unlike Endpoints, slices keep terminating pods, with conditions
// ready/serving/terminating. Pods whose Node is unknown are skipped and the
// Service retried later, as upstream.
//
// The reconciler keeps existing slices where it can: endpoints still
// wanted stay (updated in place), unwanted ones leave, emptied slices are
// deleted, and new endpoints fill the free room of existing slices before
// new slices are created. A Service with no endpoints keeps one empty
// placeholder slice. A tracker of the resourceVersions this controller
// wrote keeps a sync from acting on a cache that has not seen them yet.

import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice, Endpoint, EndpointPort } from 'kubernetes-types/discovery/v1.js';
import type { ApiClient } from '../client/types.js';
import { isNotFound } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { clone, metaNamespaceKey, objectOf, splitMetaNamespaceKey, NAMESPACE_INDEX } from '../client/store.js';
import { selectorFromSet } from '../api/labels.js';
import { QueueController, type ControllerOptions } from './base.js';
import {
  findPort,
  formatTriggerTime,
  isManagedService,
  servicesForPodChange,
  servicesSelecting,
  shouldPodBeInEndpoints,
  shouldSetHostname,
  TriggerTimeTracker,
  LAST_CHANGE_TRIGGER_TIME_ANNOTATION,
  HEADLESS_SERVICE_LABEL,
} from './endpoints.js';
import { deepEqual, isNamespaceTerminating, isPodReady, newControllerRef } from './util.js';

export const MAX_ENDPOINTS_PER_SLICE = 100;
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** Retry delay for a Service whose pods name an unknown Node, or whose slices the cache has not caught up with. */
export const RETRY_DELAY_MS = 1000;

export const endpointSlicesPath = (ns: string): string => `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/endpointslices`;

export interface EndpointSliceControllerOptions extends ControllerOptions {
  maxEndpointsPerSlice?: number;
}

/** Indexes slices managed by this controller by `<namespace>/<service-name>`. */
export const SERVICE_INDEX = 'endpointslice-service';
export function serviceIndexFunc(slice: EndpointSlice): string[] {
  const l = slice.metadata?.labels ?? {};
  if (l[MANAGED_BY_LABEL] !== CONTROLLER_NAME || !l[SERVICE_NAME_LABEL]) return [];
  return [`${slice.metadata?.namespace ?? ''}/${l[SERVICE_NAME_LABEL]}`];
}

/** The pod's endpoint for the Service (upstream's podToEndpoint). */
export function podToEndpoint(pod: Pod, node: Node | undefined, svc: Service): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = {
    addresses: [pod.status!.podIP!],
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
  };
  if (pod.spec?.nodeName) {
    ep.nodeName = pod.spec.nodeName;
    const zone = node?.metadata?.labels?.[ZONE_LABEL];
    if (zone) ep.zone = zone;
  }
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec!.hostname;
  return ep;
}

/** The ports the pod serves for the Service (upstream's getEndpointPorts). */
export function endpointPorts(svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const p: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol) p.appProtocol = sp.appProtocol;
    out.push(p);
  }
  return out;
}

function portsKey(ports: EndpointPort[] | undefined): string {
  return JSON.stringify((ports ?? []).map((p) => [p.name ?? '', p.port ?? 0, p.protocol ?? 'TCP', p.appProtocol ?? '']).sort());
}

function endpointKey(ep: Endpoint): string {
  return ep.targetRef?.uid ? `uid:${ep.targetRef.uid}` : `ip:${ep.addresses[0]}`;
}

function addressTypeOf(ip: string): 'IPv4' | 'IPv6' {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

/** The address types the Service serves (from ipFamilies; IPv4 by default). */
function serviceAddressTypes(svc: Service): Set<string> {
  const fams = svc.spec?.ipFamilies ?? [];
  return new Set(fams.length ? fams : ['IPv4']);
}

interface Desired {
  ports: EndpointPort[];
  endpoints: Map<string, Endpoint>;
}

/** Which slice changes a reconcile computed (exported for tests). */
export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

/**
 * upstream's reconciler, for one address type: `existing` are the
 * controller's slices of the Service, `desired` the endpoints per port set.
 */
export function planSlices(svc: Service, addressType: string, existing: EndpointSlice[], desired: Map<string, Desired>, maxPerSlice: number, triggerTime: number): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const labels = sliceLabels(svc);
  const decorate = (s: EndpointSlice): void => {
    s.metadata = { ...s.metadata, labels: { ...labels } };
    const ann: Record<string, string> = { ...(s.metadata.annotations ?? {}) };
    if (triggerTime) ann[LAST_CHANGE_TRIGGER_TIME_ANNOTATION] = formatTriggerTime(triggerTime);
    else delete ann[LAST_CHANGE_TRIGGER_TIME_ANNOTATION];
    if (Object.keys(ann).length) s.metadata.annotations = ann;
    else delete s.metadata.annotations;
  };
  const newSlice = (ports: EndpointPort[], endpoints: Endpoint[]): EndpointSlice => {
    const s: EndpointSlice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { generateName: `${svc.metadata!.name}-`, namespace: svc.metadata!.namespace, ownerReferences: [newControllerRef(svc, 'v1', 'Service')] },
      addressType: addressType as any,
      endpoints,
      ports,
    };
    decorate(s);
    return s;
  };
  const ofType = existing.filter((s) => s.addressType === addressType);
  const totalDesired = [...desired.values()].reduce((n, d) => n + d.endpoints.size, 0);

  if (totalDesired === 0) {
    // A placeholder slice (no endpoints, no ports) stands for the empty Service.
    const keep = ofType.find((s) => (s.endpoints ?? []).length === 0 && (s.ports ?? []).length === 0);
    for (const s of ofType) if (s !== keep) plan.delete.push(s);
    if (!keep) plan.create.push(newSlice([], []));
    else if (!labelsMatch(keep, svc, triggerTime)) {
      const u = clone(keep);
      decorate(u);
      plan.update.push(u);
    }
    return plan;
  }

  const byPorts = new Map<string, EndpointSlice[]>();
  for (const s of ofType) {
    const k = portsKey(s.ports ?? []);
    if (!desired.has(k)) {
      plan.delete.push(s);
      continue;
    }
    let list = byPorts.get(k);
    if (!list) byPorts.set(k, (list = []));
    list.push(s);
  }
  for (const [k, want] of desired) {
    const remaining = new Map(want.endpoints);
    const kept: Array<{ slice: EndpointSlice; changed: boolean }> = [];
    for (const s of byPorts.get(k) ?? []) {
      const eps: Endpoint[] = [];
      let changed = false;
      for (const ep of s.endpoints ?? []) {
        const key = endpointKey(ep);
        const w = remaining.get(key);
        if (!w) {
          changed = true;
          continue;
        }
        remaining.delete(key);
        if (!deepEqual(ep, w)) changed = true;
        eps.push(w);
      }
      if (eps.length === 0) {
        plan.delete.push(s);
        continue;
      }
      const u = clone(s);
      u.endpoints = eps;
      kept.push({ slice: u, changed });
    }
    // New endpoints fill slices being updated anyway first, then untouched ones, then new slices.
    kept.sort((a, b) => Number(b.changed) - Number(a.changed));
    const rest = [...remaining.values()];
    for (const entry of kept) {
      while (rest.length && entry.slice.endpoints.length < maxPerSlice) {
        entry.slice.endpoints.push(rest.shift()!);
        entry.changed = true;
      }
      if (entry.changed || !labelsMatch(entry.slice, svc, triggerTime)) {
        decorate(entry.slice);
        plan.update.push(entry.slice);
      }
    }
    while (rest.length) plan.create.push(newSlice(want.ports, rest.splice(0, maxPerSlice)));
  }
  return plan;
}

function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
  labels[SERVICE_NAME_LABEL] = svc.metadata!.name!;
  labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
  if (svc.spec?.clusterIP === 'None' || !svc.spec?.clusterIP) labels[HEADLESS_SERVICE_LABEL] = '';
  else delete labels[HEADLESS_SERVICE_LABEL];
  return labels;
}

/** Whether the slice's labels already are the Service's (the trigger time only matters when something else changes). */
function labelsMatch(s: EndpointSlice, svc: Service, _triggerTime: number): boolean {
  return deepEqual(s.metadata?.labels ?? {}, sliceLabels(svc));
}

export class EndpointSliceController extends QueueController {
  readonly triggerTimes = new TriggerTimeTracker();
  private readonly serviceInformer: Informer<Service>;
  private readonly podInformer: Informer<Pod>;
  private readonly nodeInformer: Informer<Node>;
  private readonly sliceInformer: Informer<EndpointSlice>;
  private readonly maxPerSlice: number;
  /** Per Service key: slice name -> resourceVersion written (or 'deleted'), until the cache shows it. */
  private readonly written = new Map<string, Map<string, string>>();

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    opts: EndpointSliceControllerOptions = {},
  ) {
    super('endpointslice', opts);
    this.maxPerSlice = opts.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
    this.serviceInformer = factory.informerFor<Service>('/api/v1/services');
    this.podInformer = factory.informerFor<Pod>('/api/v1/pods');
    this.nodeInformer = factory.informerFor<Node>('/api/v1/nodes');
    this.sliceInformer = factory.informerFor<EndpointSlice>('/apis/discovery.k8s.io/v1/endpointslices', { indexers: { [SERVICE_INDEX]: serviceIndexFunc } });
    const enqueueSliceService = (s: EndpointSlice): void => {
      for (const k of serviceIndexFunc(s)) this.enqueue(k);
    };
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
      this.nodeInformer.addEventHandler({
        // A Node appearing (or changing zone) matters to the Services of its pods: resync them all, as upstream's topology cache does coarsely.
        onAdd: (_n, initial) => {
          if (!initial) for (const s of this.serviceInformer.list()) if (isManagedService(s)) this.enqueue(metaNamespaceKey(s));
        },
      }),
      this.sliceInformer.addEventHandler({
        // Someone else's change to (or deletion of) a managed slice is undone.
        onUpdate: (_old, cur) => enqueueSliceService(cur),
        onDelete: (obj) => enqueueSliceService(objectOf(obj)),
      }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.serviceInformer, this.podInformer, this.nodeInformer, this.sliceInformer];
  }

  private servicesIn(pod: Pod): Service[] {
    return this.serviceInformer.byIndex(NAMESPACE_INDEX, pod.metadata?.namespace ?? '');
  }

  private enqueueServicesOf(pod: Pod): void {
    for (const s of servicesSelecting(this.servicesIn(pod), pod.metadata?.labels)) this.enqueue(metaNamespaceKey(s));
  }

  /** True when the cache has not yet seen every write of ours for the Service. */
  private cacheIsStale(key: string): boolean {
    const w = this.written.get(key);
    if (!w) return false;
    const { namespace } = splitMetaNamespaceKey(key);
    for (const [name, rv] of w) {
      const cur = this.sliceInformer.getByName(namespace, name);
      const seen = rv === 'deleted' ? !cur : cur !== undefined && !olderRV(cur.metadata?.resourceVersion, rv);
      if (seen) w.delete(name);
    }
    if (w.size === 0) this.written.delete(key);
    return w.size > 0;
  }

  private note(key: string, name: string, rv: string): void {
    let w = this.written.get(key);
    if (!w) this.written.set(key, (w = new Map()));
    w.set(name, rv);
  }

  protected async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const svc = this.serviceInformer.getByName(namespace, name);
    if (!svc) {
      // The slices are owned by the Service: the garbage collector removes them.
      this.triggerTimes.delete(key);
      this.written.delete(key);
      return;
    }
    if (!isManagedService(svc) || svc.metadata?.deletionTimestamp) return;
    if (this.cacheIsStale(key)) {
      this.queue.addAfter(key, RETRY_DELAY_MS / 10);
      return;
    }
    const selector = selectorFromSet(svc.spec!.selector);
    const pods = this.podInformer.byIndex(NAMESPACE_INDEX, namespace).filter((p) => selector.matches(p.metadata?.labels ?? {}));
    const triggerTime = this.triggerTimes.compute(svc, pods);
    const types = serviceAddressTypes(svc);
    const desired = new Map<string, Map<string, Desired>>();
    for (const t of types) desired.set(t, new Map());
    let missingNode = false;
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      const type = addressTypeOf(pod.status!.podIP!);
      const perType = desired.get(type);
      if (!perType) continue;
      let node: Node | undefined;
      if (pod.spec?.nodeName) {
        node = this.nodeInformer.getByName('', pod.spec.nodeName);
        if (!node) {
          missingNode = true;
          continue;
        }
      }
      const ports = endpointPorts(svc, pod);
      // A Service with ports but none resolvable for this pod gets no endpoint for it (headless without ports: an empty port set).
      if ((svc.spec?.ports ?? []).length > 0 && ports.length === 0) continue;
      const k = portsKey(ports);
      let d = perType.get(k);
      if (!d) perType.set(k, (d = { ports, endpoints: new Map() }));
      const ep = podToEndpoint(pod, node, svc);
      d.endpoints.set(endpointKey(ep), ep);
    }
    const existing = this.sliceInformer.byIndex(SERVICE_INDEX, key);
    const plan: SlicePlan = { create: [], update: [], delete: [] };
    for (const [type, d] of desired) {
      const p = planSlices(svc, type, existing, d, this.maxPerSlice, triggerTime);
      plan.create.push(...p.create);
      plan.update.push(...p.update);
      plan.delete.push(...p.delete);
    }
    // Slices of address types the Service no longer serves.
    for (const s of existing) if (!types.has(s.addressType)) plan.delete.push(s);
    await this.apply(key, namespace, plan);
    if (missingNode) this.queue.addAfter(key, RETRY_DELAY_MS);
  }

  private async apply(key: string, namespace: string, plan: SlicePlan): Promise<void> {
    const path = endpointSlicesPath(namespace);
    for (const s of plan.create) {
      try {
        const created = await this.client.create(path, s);
        this.note(key, created.metadata.name, created.metadata.resourceVersion);
      } catch (e) {
        if (isNamespaceTerminating(e)) return;
        throw e;
      }
    }
    for (const s of plan.update) {
      const updated = await this.client.update(`${path}/${encodeURIComponent(s.metadata!.name!)}`, s);
      this.note(key, updated.metadata.name, updated.metadata.resourceVersion);
    }
    for (const s of plan.delete) {
      try {
        await this.client.delete(`${path}/${encodeURIComponent(s.metadata!.name!)}`, {});
        this.note(key, s.metadata!.name!, 'deleted');
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }
}

/** Whether resourceVersion `a` is older than `b` (numeric versions; anything else counts as caught up). */
function olderRV(a: string | undefined, b: string): boolean {
  if (!a || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) < BigInt(b);
}
