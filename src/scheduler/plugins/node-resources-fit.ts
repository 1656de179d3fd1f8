// NodeResourcesFit: the pod's requests (cpu, memory, ephemeral-storage,
// extended resources) plus what the node's pods already request must fit in
// status.allocatable, and the node must have room for one more pod. Every
// shortfall is a reason. A request larger than the whole node is
// unresolvable (no preemption can help). The score is LeastAllocated: the
// free fraction of cpu and memory after placing the pod, weighted equally.

import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { isZeroRequest } from '../resources.js';
import { MAX_NODE_SCORE, type Status, type StatusCode } from './status.js';

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';

export function nodeResourcesFitFilter(pod: PodInfo, node: NodeInfo): Status | null {
  // Checked for every node of every cycle: the common "fits" answer allocates nothing.
  const req = pod.requests;
  const alloc = node.allocatable;
  const used = node.requested;
  const podsFit = node.pods.size + 1 <= alloc.allowedPodNumber;
  if (
    podsFit &&
    !req.scalar &&
    !(req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU) &&
    !(req.memory > 0 && req.memory > alloc.memory - used.memory) &&
    !(req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage)
  ) {
    return null;
  }
  const reasons: string[] = [];
  let code: StatusCode = 'Unschedulable';
  if (!podsFit) reasons.push('Too many pods');
  if (reasons.length === 0 && isZeroRequest(req)) return null;
  const check = (name: string, want: number, have: number, inUse: number) => {
    if (want > 0 && want > have - inUse) {
      reasons.push(`Insufficient ${name}`);
      if (want > have) code = 'UnschedulableAndUnresolvable';
    }
  };
  check('cpu', req.milliCPU, alloc.milliCPU, used.milliCPU);
  check('memory', req.memory, alloc.memory, used.memory);
  check('ephemeral-storage', req.ephemeralStorage, alloc.ephemeralStorage, used.ephemeralStorage);
  if (req.scalar) {
    for (const [name, want] of req.scalar) check(name, want, alloc.scalar?.get(name) ?? 0, used.scalar?.get(name) ?? 0);
  }
  return reasons.length ? { code, reasons, plugin: NODE_RESOURCES_FIT } : null;
}

function leastRequested(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** LeastAllocated (cpu and memory, weight 1 each), already 0..100. */
export function leastAllocatedScore(pod: PodInfo, node: NodeInfo): number {
  const alloc = node.allocatable;
  let score = 0;
  let weights = 0;
  if (alloc.milliCPU > 0) {
    score += leastRequested(node.nonZeroRequested.milliCPU + pod.nonZero.milliCPU, alloc.milliCPU);
    weights++;
  }
  if (alloc.memory > 0) {
    score += leastRequested(node.nonZeroRequested.memory + pod.nonZero.memory, alloc.memory);
    weights++;
  }
  return weights ? Math.trunc(score / weights) : 0;
}
