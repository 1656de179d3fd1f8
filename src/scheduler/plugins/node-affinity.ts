// NodeAffinity: spec.nodeSelector and required node affinity filter nodes
// (In, NotIn, Exists, DoesNotExist, Gt, Lt on labels; matchFields on
// metadata.name); preferred terms add their weights to the score.

import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { defaultNormalizeScore, unresolvable, type Status } from './status.js';

export const NODE_AFFINITY = 'NodeAffinity';
export const ERR_REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

export function nodeAffinityFilter(pod: PodInfo, node: NodeInfo): Status | null {
  const m = pod.requiredNodeAffinity;
  if (!m || m(node.labels, node.name)) return null;
  return unresolvable(NODE_AFFINITY, ERR_REASON_NODE_AFFINITY);
}

/** Raw score: the sum of the weights of the preferred terms the node matches. */
export function nodeAffinityScore(pod: PodInfo, node: NodeInfo): number {
  let score = 0;
  for (const t of pod.preferredNodeAffinity) if (t.match(node.labels, node.name)) score += t.weight;
  return score;
}

export function nodeAffinityNormalize(scores: number[]): void {
  defaultNormalizeScore(scores, false);
}
