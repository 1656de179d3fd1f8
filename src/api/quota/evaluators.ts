// Quota evaluators (upstream pkg/quota/v1/evaluator/core and
// apiserver/pkg/quota/v1/generic): for each kind of object, which quota
// resource names it can consume, whether it falls under a quota's scopes,
// and how much one object uses. Pure: the controller sums usage over the
// objects it watches, admission charges one object against status.used.

import { selectorFromLabelSelectorObject } from '../labels.js';
import { compareQuantity, isZero, parseQuantity, type Quantity } from '../validation/quantity.js';
import { addInto, maxInto, parseResourceList, type ResourceList } from './resources.js';

export type Operation = 'CREATE' | 'UPDATE';

export interface ScopeSelectorRequirement {
  scopeName: string;
  operator: string;
  values?: string[];
}

export interface Evaluator {
  readonly group: string;
  readonly resource: string;
  /** Whether an operation can change usage (admission only checks those). */
  handles(op: Operation): boolean;
  /** The subset of `names` this evaluator measures. */
  matchingResources(names: string[]): string[];
  matchesScope(sel: ScopeSelectorRequirement, obj: any): boolean;
  usage(obj: any, nowMs: number): ResourceList;
  /** Pods only: why the object cannot be charged against `required` (upstream Constraints). */
  constraints?(required: string[], obj: any): string | undefined;
}

const ONE: Quantity = { num: 1n, den: 1n, format: 'DecimalSI' };
const count = (n: number): Quantity => ({ num: BigInt(n), den: 1n, format: 'DecimalSI' });

/** `count/<resource>` for the core group, `count/<resource>.<group>` otherwise. */
export function objectCountName(group: string, resource: string): string {
  return group ? `count/${resource}.${group}` : `count/${resource}`;
}

/** Resources quota never tracks (the API server's default ignored list). */
export function isIgnoredResource(group: string, resource: string): boolean {
  return (group === '' || group === 'events.k8s.io') && resource === 'events';
}

/** Scope selectors from spec.scopes (operator Exists) and spec.scopeSelector. */
export function scopeSelectorsOf(quota: any): ScopeSelectorRequirement[] {
  const out: ScopeSelectorRequirement[] = [];
  for (const s of quota?.spec?.scopes ?? []) out.push({ scopeName: s, operator: 'Exists' });
  for (const e of quota?.spec?.scopeSelector?.matchExpressions ?? []) out.push(e);
  return out;
}

/** generic.Matches: the quota limits something this evaluator measures and every scope selects the object. */
export function quotaMatches(ev: Evaluator, hardNames: string[], quota: any, obj: any): boolean {
  if (ev.matchingResources(hardNames).length === 0) return false;
  return scopeSelectorsOf(quota).every((s) => ev.matchesScope(s, obj));
}

// ---- object count (any resource) ----

class ObjectCountEvaluator implements Evaluator {
  private readonly names: string[];
  constructor(
    readonly group: string,
    readonly resource: string,
    legacyName?: string,
  ) {
    this.names = [objectCountName(group, resource), ...(legacyName ? [legacyName] : [])];
  }
  handles(op: Operation): boolean {
    return op === 'CREATE';
  }
  matchingResources(names: string[]): string[] {
    return names.filter((n) => this.names.includes(n));
  }
  matchesScope(): boolean {
    return false;
  }
  usage(): ResourceList {
    const out: ResourceList = {};
    for (const n of this.names) out[n] = ONE;
    return out;
  }
}

// ---- pods ----

const POD_RESOURCES = [
  'count/pods',
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
];
/** If a quota limits these, every container must say them (upstream's backward-compatible rule). */
const VALIDATION_SET = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

function isExtendedResourceName(name: string): boolean {
  return !isNativeResource(name) && !name.startsWith('requests.');
}

/** Quota usage of one container's (or a pod's summed) requests and limits. */
export function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = { pods: ONE };
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    if (r in requests) {
      out[r] = requests[r];
      out[`requests.${r}`] = requests[r];
    }
    if (r in limits) out[`limits.${r}`] = limits[r];
  }
  for (const [k, v] of Object.entries(requests)) {
    if (k.startsWith('hugepages-')) {
      out[k] = v;
      out[`requests.${k}`] = v;
    }
    if (isExtendedResourceName(k)) out[`requests.${k}`] = v;
  }
  return out;
}

function containerResources(c: any, which: 'requests' | 'limits'): ResourceList {
  return parseResourceList(c?.resources?.[which]);
}

/** upstream resourcehelper.PodRequests/PodLimits: containers summed, init containers by the max rule, sidecars added. */
export function podResourceTotals(pod: any, which: 'requests' | 'limits', withOverhead = true): ResourceList {
  const total: ResourceList = {};
  for (const c of pod?.spec?.containers ?? []) addInto(total, containerResources(c, which));
  const sidecars: ResourceList = {};
  const initMax: ResourceList = {};
  for (const c of pod?.spec?.initContainers ?? []) {
    const own = containerResources(c, which);
    let effective: ResourceList;
    if (c?.restartPolicy === 'Always') {
      addInto(total, own);
      addInto(sidecars, own);
      effective = { ...sidecars };
    } else {
      effective = { ...own };
      addInto(effective, sidecars);
    }
    maxInto(initMax, effective);
  }
  maxInto(total, initMax);
  const overhead = withOverhead ? parseResourceList(pod?.spec?.overhead) : {};
  if (which === 'requests') addInto(total, overhead);
  else for (const [k, v] of Object.entries(overhead)) if (k in total) addInto(total, { [k]: v });
  return total;
}

/** QuotaV1Pod: terminal pods and pods past their deletion grace period are not charged compute. */
export function podIsCharged(pod: any, nowMs: number): boolean {
  const phase = pod?.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return false;
  const ts = pod?.metadata?.deletionTimestamp;
  const grace = pod?.metadata?.deletionGracePeriodSeconds;
  if (ts && typeof grace === 'number') {
    const t = Date.parse(ts);
    if (Number.isFinite(t) && nowMs > t + grace * 1000) return false;
  }
  return true;
}

export function isBestEffort(pod: any): boolean {
  const all = [...(pod?.spec?.containers ?? []), ...(pod?.spec?.initContainers ?? [])];
  for (const c of all) {
    for (const which of ['requests', 'limits'] as const) {
      const rl = containerResources(c, which);
      for (const r of ['cpu', 'memory']) if (r in rl && !isZero(rl[r])) return false;
    }
  }
  return true;
}

function isTerminating(pod: any): boolean {
  const ads = pod?.spec?.activeDeadlineSeconds;
  return typeof ads === 'number' && ads >= 0;
}

function usesCrossNamespaceAffinity(pod: any): boolean {
  const terms = (a: any): any[] => [...(a?.requiredDuringSchedulingIgnoredDuringExecution ?? []), ...(a?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w: any) => w?.podAffinityTerm)];
  const aff = pod?.spec?.affinity;
  return [...terms(aff?.podAffinity), ...terms(aff?.podAntiAffinity)].some((t) => (t?.namespaces ?? []).length > 0 || (t?.namespaceSelector !== undefined && t?.namespaceSelector !== null));
}

class PodEvaluator implements Evaluator {
  readonly group = '';
  readonly resource = 'pods';
  handles(op: Operation): boolean {
    return op === 'CREATE';
  }
  matchingResources(names: string[]): string[] {
    return names.filter((n) => POD_RESOURCES.includes(n) || n.startsWith('hugepages-') || n.startsWith('requests.hugepages-') || (!isNativeResource(n) && n.startsWith('requests.')));
  }
  matchesScope(sel: ScopeSelectorRequirement, pod: any): boolean {
    switch (sel.scopeName) {
      case 'Terminating':
        return isTerminating(pod);
      case 'NotTerminating':
        return !isTerminating(pod);
      case 'BestEffort':
        return isBestEffort(pod);
      case 'NotBestEffort':
        return !isBestEffort(pod);
      case 'PriorityClass': {
        const pc: string = pod?.spec?.priorityClassName ?? '';
        if (sel.operator === 'Exists') return pc !== '';
        const labels: Record<string, string> = pc ? { PriorityClass: pc } : {};
        return selectorFromLabelSelectorObject({ matchExpressions: [{ key: 'PriorityClass', operator: sel.operator, values: sel.values }] }).matches(labels);
      }
      case 'CrossNamespacePodAffinity':
        return usesCrossNamespaceAffinity(pod);
    }
    return false;
  }
  usage(pod: any, nowMs: number): ResourceList {
    const out: ResourceList = { 'count/pods': ONE };
    if (!podIsCharged(pod, nowMs)) return out;
    return { ...out, ...computeUsage(podResourceTotals(pod, 'requests'), podResourceTotals(pod, 'limits')) };
  }
  constraints(required: string[], pod: any): string | undefined {
    const req = required.filter((r) => VALIDATION_SET.has(r));
    if (req.length === 0) return undefined;
    const missing = new Map<string, Set<string>>();
    for (const c of [...(pod?.spec?.containers ?? []), ...(pod?.spec?.initContainers ?? [])]) {
      const has = computeUsage(containerResources(c, 'requests'), containerResources(c, 'limits'));
      for (const r of req) {
        if (r in has) continue;
        if (!missing.has(r)) missing.set(r, new Set());
        missing.get(r)!.add(c?.name ?? '');
      }
    }
    if (missing.size === 0) return undefined;
    const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  }
}

// ---- services ----

class ServiceEvaluator implements Evaluator {
  readonly group = '';
  readonly resource = 'services';
  private static readonly NAMES = ['count/services', 'services', 'services.nodeports', 'services.loadbalancers'];
  handles(op: Operation): boolean {
    return op === 'CREATE' || op === 'UPDATE';
  }
  matchingResources(names: string[]): string[] {
    return names.filter((n) => ServiceEvaluator.NAMES.includes(n));
  }
  matchesScope(): boolean {
    return false;
  }
  usage(svc: any): ResourceList {
    const out: ResourceList = { 'count/services': ONE, services: ONE };
    const ports: any[] = svc?.spec?.ports ?? [];
    const type = svc?.spec?.type;
    if (type === 'NodePort') out['services.nodeports'] = count(ports.length);
    if (type === 'LoadBalancer') {
      const n = svc?.spec?.allocateLoadBalancerNodePorts === false ? ports.filter((p) => p?.nodePort).length : ports.length;
      out['services.nodeports'] = count(n);
      out['services.loadbalancers'] = ONE;
    }
    return out;
  }
}

// ---- persistent volume claims ----

const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';

export function storageClassOf(pvc: any): string {
  const beta = pvc?.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'];
  if (beta) return beta;
  return pvc?.spec?.storageClassName ?? '';
}

class PvcEvaluator implements Evaluator {
  readonly group = '';
  readonly resource = 'persistentvolumeclaims';
  handles(op: Operation): boolean {
    return op === 'CREATE' || op === 'UPDATE';
  }
  matchingResources(names: string[]): string[] {
    return names.filter(
      (n) =>
        n === 'count/persistentvolumeclaims' ||
        n === 'persistentvolumeclaims' ||
        n === 'requests.storage' ||
        n.endsWith(`${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`) ||
        n.endsWith(`${STORAGE_CLASS_SUFFIX}requests.storage`),
    );
  }
  matchesScope(): boolean {
    return false;
  }
  usage(pvc: any): ResourceList {
    const out: ResourceList = { 'count/persistentvolumeclaims': ONE, persistentvolumeclaims: ONE };
    const sc = storageClassOf(pvc);
    if (sc) out[`${sc}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`] = ONE;
    let storage = parseQuantity(pvc?.spec?.resources?.requests?.storage);
    const allocated = parseQuantity(pvc?.status?.allocatedResources?.storage);
    if (allocated && (!storage || compareQuantity(allocated, storage) > 0)) storage = allocated;
    if (storage) {
      out['requests.storage'] = storage;
      if (sc) out[`${sc}${STORAGE_CLASS_SUFFIX}requests.storage`] = storage;
    }
    return out;
  }
}

const LEGACY_COUNT: Record<string, string> = { configmaps: 'configmaps', secrets: 'secrets', replicationcontrollers: 'replicationcontrollers', resourcequotas: 'resourcequotas' };

/** The evaluator for a group/resource (object count for any resource without its own). */
export function evaluatorFor(group: string, resource: string): Evaluator {
  if (group === '') {
    if (resource === 'pods') return new PodEvaluator();
    if (resource === 'services') return new ServiceEvaluator();
    if (resource === 'persistentvolumeclaims') return new PvcEvaluator();
    if (resource in LEGACY_COUNT) return new ObjectCountEvaluator(group, resource, LEGACY_COUNT[resource]);
  }
  return new ObjectCountEvaluator(group, resource);
}

/** The group/resource an object-count name `count/<resource>[.<group>]` or legacy name refers to. */
export function groupResourceOfName(name: string): { group: string; resource: string } | undefined {
  if (name.startsWith('count/')) {
    const rest = name.slice('count/'.length);
    const dot = rest.indexOf('.');
    return dot < 0 ? { group: '', resource: rest } : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
  }
  if (name in LEGACY_COUNT || name === 'services' || name.startsWith('services.')) return { group: '', resource: name in LEGACY_COUNT ? name : 'services' };
  if (name === 'persistentvolumeclaims' || name === 'requests.storage' || name.includes(STORAGE_CLASS_SUFFIX)) return { group: '', resource: 'persistentvolumeclaims' };
  if (new PodEvaluator().matchingResources([name]).length) return { group: '', resource: 'pods' };
  return undefined;
}
