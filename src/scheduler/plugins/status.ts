// The outcome of a filter for one node, as upstream's framework Status:
// Unschedulable (removing pods might help: preemption considers the node) or
// UnschedulableAndUnresolvable (nothing on the node can change that), with
// the human-readable reasons that go into the FailedScheduling message.

export type StatusCode = 'Unschedulable' | 'UnschedulableAndUnresolvable';

export interface Status {
  code: StatusCode;
  reasons: string[];
  /** The plugin that rejected the node. */
  plugin: string;
}

export function unschedulable(plugin: string, ...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons, plugin };
}

export function unresolvable(plugin: string, ...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons, plugin };
}

/** The most a normalized score can be (framework.MaxNodeScore). */
export const MAX_NODE_SCORE = 100;

/**
 * helper.DefaultNormalizeScore: scales scores to 0..100 by the largest one;
 * `reverse` turns "fewer is better" counts into scores. All-zero input gives
 * all zeros (or all 100 when reversed).
 */
export function defaultNormalizeScore(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = Math.trunc((MAX_NODE_SCORE * scores[i]) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}
