// TaintToleration: NoSchedule and NoExecute taints the pod does not tolerate
// exclude the node (the first one is named in the reason, as upstream 1.32
// prints it); PreferNoSchedule taints it does not tolerate lower the score.
// Readiness is a taint too: see effectiveTaints in node-info.ts.

import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { tolerationsTolerate, toleratesTaint, type Taint } from '../selectors.js';
import { defaultNormalizeScore, unresolvable, type Status } from './status.js';

export const TAINT_TOLERATION = 'TaintToleration';

export function untoleratedTaintReason(t: Taint): string {
  return `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`;
}

/** The first NoSchedule/NoExecute taint no toleration matches, if any. */
export function findUntoleratedTaint(taints: readonly Taint[], tolerations: readonly any[]): Taint | undefined {
  for (const t of taints) {
    if (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') continue;
    if (!tolerationsTolerate(tolerations, t)) return t;
  }
  return undefined;
}

export function taintTolerationFilter(pod: PodInfo, node: NodeInfo): Status | null {
  if (node.taints.length === 0) return null;
  const t = findUntoleratedTaint(node.taints, pod.tolerations);
  return t ? unresolvable(TAINT_TOLERATION, untoleratedTaintReason(t)) : null;
}

/** Raw score: how many PreferNoSchedule taints are not tolerated (fewer is better). */
export function taintTolerationScore(pod: PodInfo, node: NodeInfo): number {
  if (node.taints.length === 0) return 0;
  const tolerations = pod.tolerations.filter((t: any) => !t?.effect || t.effect === 'PreferNoSchedule');
  let n = 0;
  for (const taint of node.taints) {
    if (taint.effect !== 'PreferNoSchedule') continue;
    if (!tolerations.some((t: any) => toleratesTaint(t, taint))) n++;
  }
  return n;
}

export function taintTolerationNormalize(scores: number[]): void {
  defaultNormalizeScore(scores, true);
}
