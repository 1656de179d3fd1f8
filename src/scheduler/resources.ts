// Resource arithmetic for scheduling: quantities as integers (milli-CPU,
// bytes, counts), a pod's effective request (containers summed, init
// containers as a running maximum, restartable "sidecar" init containers
// added to both, plus spec.overhead), and the "non-zero" request the scoring
// plugins use so that pods without requests still spread.

import { parseQuantity } from '../api/validation/quantity.js';

/** Requested or allocatable amounts. Scalar holds extended resources (example.com/gpu, hugepages-2Mi, ...). */
export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Only meaningful for allocatable: status.allocatable.pods. */
  allowedPodNumber: number;
  scalar: Map<string, number> | undefined;
}

export function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, allowedPodNumber: 0, scalar: undefined };
}

export function cloneResource(r: Resource): Resource {
  return { ...r, scalar: r.scalar ? new Map(r.scalar) : undefined };
}

/** Used for pods (containers, init containers) that request no CPU: 0.1 core, as upstream. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** Used for pods that request no memory: 200 MiB, as upstream. */
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

const valueCache = new Map<string, number>();
const milliCache = new Map<string, number>();

function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return q * den === num || num < 0n ? q : q + 1n;
}

/** Quantity.Value(): the amount rounded up to an integer (bytes, counts). Malformed values count as 0. */
export function quantityValue(q: unknown): number {
  if (typeof q === 'number') return Math.ceil(q);
  if (typeof q !== 'string') return 0;
  let v = valueCache.get(q);
  if (v === undefined) {
    const p = parseQuantity(q);
    v = p ? Number(ceilDiv(p.num, p.den)) : 0;
    if (valueCache.size < 10_000) valueCache.set(q, v);
  }
  return v;
}

/** Quantity.MilliValue(): thousandths rounded up (`100m` -> 100, `2` -> 2000). */
export function quantityMilliValue(q: unknown): number {
  if (typeof q === 'number') return Math.ceil(q * 1000);
  if (typeof q !== 'string') return 0;
  let v = milliCache.get(q);
  if (v === undefined) {
    const p = parseQuantity(q);
    v = p ? Number(ceilDiv(p.num * 1000n, p.den)) : 0;
    if (milliCache.size < 10_000) milliCache.set(q, v);
  }
  return v;
}

/** Resources tracked as scalars: extended (domain-prefixed), hugepages and attachable volumes. */
export function isScalarResourceName(name: string): boolean {
  return name.includes('/') || name.startsWith('hugepages-') || name.startsWith('attachable-volumes-');
}

type ResourceList = Record<string, unknown> | undefined | null;

function addList(r: Resource, rl: ResourceList): void {
  if (!rl) return;
  for (const name in rl) {
    const q = rl[name];
    switch (name) {
      case 'cpu':
        r.milliCPU += quantityMilliValue(q);
        break;
      case 'memory':
        r.memory += quantityValue(q);
        break;
      case 'ephemeral-storage':
        r.ephemeralStorage += quantityValue(q);
        break;
      case 'pods':
        r.allowedPodNumber += quantityValue(q);
        break;
      default:
        if (isScalarResourceName(name)) {
          r.scalar ??= new Map();
          r.scalar.set(name, (r.scalar.get(name) ?? 0) + quantityValue(q));
        }
    }
  }
}

/** Adds `b` into `a` (requests only: allowedPodNumber is left alone). */
export function addResource(a: Resource, b: Resource, sign = 1): void {
  a.milliCPU += sign * b.milliCPU;
  a.memory += sign * b.memory;
  a.ephemeralStorage += sign * b.ephemeralStorage;
  if (b.scalar) {
    a.scalar ??= new Map();
    for (const [k, v] of b.scalar) a.scalar.set(k, (a.scalar.get(k) ?? 0) + sign * v);
  }
}

function maxInto(a: Resource, b: Resource): void {
  a.milliCPU = Math.max(a.milliCPU, b.milliCPU);
  a.memory = Math.max(a.memory, b.memory);
  a.ephemeralStorage = Math.max(a.ephemeralStorage, b.ephemeralStorage);
  if (b.scalar) {
    a.scalar ??= new Map();
    for (const [k, v] of b.scalar) a.scalar.set(k, Math.max(a.scalar.get(k) ?? 0, v));
  }
}

/** A resource list (status.allocatable) as a Resource. */
export function resourceFromList(rl: ResourceList): Resource {
  const r = emptyResource();
  addList(r, rl);
  return r;
}

function containerRequests(c: any, nonZero: boolean): Resource {
  const requests = c?.resources?.requests;
  const r = resourceFromList(requests);
  if (nonZero) {
    if (!requests || requests.cpu === undefined) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (!requests || requests.memory === undefined) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * A pod's effective request. Containers run together (summed); init
 * containers run one after another (the maximum counts), except restartable
 * init containers (sidecars, `restartPolicy: Always`) which keep running and
 * so add to everything started after them. spec.overhead is added last.
 * With `nonZero`, containers without a cpu or memory request count the
 * defaults above (what the scoring plugins use).
 */
export function podRequests(pod: any, nonZero = false): Resource {
  const spec = pod?.spec ?? {};
  const reqs = emptyResource();
  for (const c of spec.containers ?? []) addResource(reqs, containerRequests(c, nonZero));
  const sidecars = emptyResource();
  const initMax = emptyResource();
  for (const c of spec.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    if (c?.restartPolicy === 'Always') {
      addResource(reqs, r);
      addResource(sidecars, r);
      maxInto(initMax, sidecars);
    } else {
      addResource(r, sidecars);
      maxInto(initMax, r);
    }
  }
  maxInto(reqs, initMax);
  if (spec.overhead) addList(reqs, spec.overhead);
  return reqs;
}

export function isZeroRequest(r: Resource): boolean {
  if (r.milliCPU !== 0 || r.memory !== 0 || r.ephemeralStorage !== 0) return false;
  if (r.scalar) for (const v of r.scalar.values()) if (v !== 0) return false;
  return true;
}
