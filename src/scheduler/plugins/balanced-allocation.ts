// NodeResourcesBalancedAllocation: prefers nodes where cpu and memory would
// be used in similar proportions after placing the pod (1 - the standard
// deviation of the used fractions), already 0..100.

import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { MAX_NODE_SCORE } from './status.js';

export const NODE_RESOURCES_BALANCED_ALLOCATION = 'NodeResourcesBalancedAllocation';

export function balancedAllocationScore(pod: PodInfo, node: NodeInfo): number {
  const alloc = node.allocatable;
  const fractions: number[] = [];
  if (alloc.milliCPU > 0) fractions.push(Math.min(1, (node.requested.milliCPU + pod.requests.milliCPU) / alloc.milliCPU));
  if (alloc.memory > 0) fractions.push(Math.min(1, (node.requested.memory + pod.requests.memory) / alloc.memory));
  let std = 0;
  if (fractions.length === 2) std = Math.abs((fractions[0] - fractions[1]) / 2);
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}
