// InterPodAffinity. Filter: the pod's required affinity terms must find
// matching pods in the node's topology domain, its required anti-affinity
// terms must find none, and no existing pod's required anti-affinity may
// reject it. Score: preferred terms in both directions (and existing pods'
// required affinity at weight 1) summed per topology domain, scaled 0..100.
//
// PreFilter counts matches per (topologyKey, value) pair once per pod, so
// Filter is a few map lookups per node. addPod/removePod keep the counts
// right when preemption simulates removing victims.

import type { ClusterView, NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { affinityTermMatches, type AffinityTerm, type Labels, type WeightedAffinityTerm } from '../selectors.js';
import { MAX_NODE_SCORE, unresolvable, unschedulable, type Status } from './status.js';

export const INTER_POD_AFFINITY = 'InterPodAffinity';
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";

/** Weight given to an existing pod's required affinity term that the incoming pod matches. */
const HARD_POD_AFFINITY_WEIGHT = 1;

const pair = (key: string, value: string) => `${key}\u0000${value}`;

export interface InterPodAffinityState {
  pod: PodInfo;
  nsLabels: (ns: string) => Labels | undefined;
  /** Pairs where existing pods' required anti-affinity rejects the incoming pod. */
  existingAntiAffinityCounts: Map<string, number>;
  /** Pairs holding pods that match all the incoming pod's required affinity terms. */
  affinityCounts: Map<string, number>;
  /** Pairs holding pods that the incoming pod's required anti-affinity terms match. */
  antiAffinityCounts: Map<string, number>;
}

function bump(m: Map<string, number>, k: string, d: number): void {
  const n = (m.get(k) ?? 0) + d;
  if (n === 0) m.delete(k);
  else m.set(k, n);
}

function matchesAll(terms: readonly AffinityTerm[], ns: string, labels: Labels, nsLabels: (ns: string) => Labels | undefined): boolean {
  for (const t of terms) if (!affinityTermMatches(t, ns, labels, nsLabels)) return false;
  return true;
}

function updateWithPod(s: InterPodAffinityState, existing: PodInfo, nodeLabels: Labels, delta: number): void {
  const pod = s.pod;
  for (const t of existing.requiredAntiAffinityTerms) {
    const v = nodeLabels[t.topologyKey];
    if (v !== undefined && affinityTermMatches(t, pod.namespace, pod.labels, s.nsLabels)) bump(s.existingAntiAffinityCounts, pair(t.topologyKey, v), delta);
  }
  if (pod.requiredAffinityTerms.length && matchesAll(pod.requiredAffinityTerms, existing.namespace, existing.labels, s.nsLabels)) {
    for (const t of pod.requiredAffinityTerms) {
      const v = nodeLabels[t.topologyKey];
      if (v !== undefined) bump(s.affinityCounts, pair(t.topologyKey, v), delta);
    }
  }
  for (const t of pod.requiredAntiAffinityTerms) {
    const v = nodeLabels[t.topologyKey];
    if (v !== undefined && affinityTermMatches(t, existing.namespace, existing.labels, s.nsLabels)) bump(s.antiAffinityCounts, pair(t.topologyKey, v), delta);
  }
}

/** Undefined when there is nothing to check (no required terms anywhere). */
export function interPodAffinityPreFilter(pod: PodInfo, view: ClusterView): InterPodAffinityState | undefined {
  const nodes = view.nodes();
  const own = pod.requiredAffinityTerms.length + pod.requiredAntiAffinityTerms.length > 0;
  if (!own && view.podsWithRequiredAntiAffinityCount() === 0) return undefined;
  const s: InterPodAffinityState = {
    pod,
    nsLabels: (ns) => view.namespaceLabels(ns),
    existingAntiAffinityCounts: new Map(),
    affinityCounts: new Map(),
    antiAffinityCounts: new Map(),
  };
  for (const ni of nodes) {
    if (own) {
      for (const existing of ni.pods.values()) updateWithPod(s, existing, ni.labels, 1);
    } else {
      for (const existing of ni.podsWithRequiredAntiAffinity) updateWithPod(s, existing, ni.labels, 1);
    }
  }
  return s;
}

export function cloneInterPodAffinityState(s: InterPodAffinityState): InterPodAffinityState {
  return {
    ...s,
    existingAntiAffinityCounts: new Map(s.existingAntiAffinityCounts),
    affinityCounts: new Map(s.affinityCounts),
    antiAffinityCounts: new Map(s.antiAffinityCounts),
  };
}

export function interPodAffinityAddPod(s: InterPodAffinityState, existing: PodInfo, node: NodeInfo): void {
  updateWithPod(s, existing, node.labels, 1);
}

export function interPodAffinityRemovePod(s: InterPodAffinityState, existing: PodInfo, node: NodeInfo): void {
  updateWithPod(s, existing, node.labels, -1);
}

export function interPodAffinityFilter(s: InterPodAffinityState | undefined, node: NodeInfo): Status | null {
  if (!s) return null;
  const pod = s.pod;
  const labels = node.labels;
  // Required affinity: every term's domain on this node must hold matching pods.
  if (pod.requiredAffinityTerms.length) {
    let podsExist = true;
    for (const t of pod.requiredAffinityTerms) {
      const v = labels[t.topologyKey];
      if (v === undefined) return unresolvable(INTER_POD_AFFINITY, ERR_REASON_AFFINITY);
      if ((s.affinityCounts.get(pair(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
    }
    // The first pod of a group that selects itself may go anywhere.
    if (!podsExist && !(s.affinityCounts.size === 0 && matchesAll(pod.requiredAffinityTerms, pod.namespace, pod.labels, s.nsLabels))) {
      return unresolvable(INTER_POD_AFFINITY, ERR_REASON_AFFINITY);
    }
  }
  if (s.antiAffinityCounts.size) {
    for (const t of pod.requiredAntiAffinityTerms) {
      const v = labels[t.topologyKey];
      if (v !== undefined && (s.antiAffinityCounts.get(pair(t.topologyKey, v)) ?? 0) > 0) return unschedulable(INTER_POD_AFFINITY, ERR_REASON_ANTI_AFFINITY);
    }
  }
  if (s.existingAntiAffinityCounts.size) {
    for (const k in labels) {
      if ((s.existingAntiAffinityCounts.get(pair(k, labels[k])) ?? 0) > 0) return unschedulable(INTER_POD_AFFINITY, ERR_REASON_EXISTING_ANTI_AFFINITY);
    }
  }
  return null;
}

// ---- scoring ----

/** topologyKey -> value -> score. */
export type TopologyScore = Map<string, Map<string, number>>;

function addTerm(m: TopologyScore, t: AffinityTerm, weight: number, ns: string, podLabels: Labels, nsLabels: (ns: string) => Labels | undefined, nodeLabels: Labels): void {
  if (!weight || !affinityTermMatches(t, ns, podLabels, nsLabels)) return;
  const v = nodeLabels[t.topologyKey];
  if (v === undefined) return;
  let byValue = m.get(t.topologyKey);
  if (!byValue) m.set(t.topologyKey, (byValue = new Map()));
  byValue.set(v, (byValue.get(v) ?? 0) + weight);
}

/** Undefined when no term on either side could score (the plugin is skipped). */
export function interPodAffinityPreScore(pod: PodInfo, view: ClusterView): TopologyScore | undefined {
  const hasPreferred = pod.preferredAffinityTerms.length + pod.preferredAntiAffinityTerms.length > 0;
  if (!hasPreferred && view.podsWithAffinityCount() === 0) return undefined;
  const nsLabels = (ns: string) => view.namespaceLabels(ns);
  const m: TopologyScore = new Map();
  let any = false;
  for (const ni of view.nodes()) {
    const pods: Iterable<PodInfo> = hasPreferred ? ni.pods.values() : ni.podsWithAffinity;
    for (const existing of pods) {
      any = true;
      for (const t of pod.preferredAffinityTerms) addTerm(m, t, t.weight, existing.namespace, existing.labels, nsLabels, ni.labels);
      for (const t of pod.preferredAntiAffinityTerms) addTerm(m, t, -t.weight, existing.namespace, existing.labels, nsLabels, ni.labels);
      if (!existing.hasAffinity) continue;
      for (const t of existing.requiredAffinityTerms) addTerm(m, t, HARD_POD_AFFINITY_WEIGHT, pod.namespace, pod.labels, nsLabels, ni.labels);
      for (const t of existing.preferredAffinityTerms as WeightedAffinityTerm[]) addTerm(m, t, t.weight, pod.namespace, pod.labels, nsLabels, ni.labels);
      for (const t of existing.preferredAntiAffinityTerms as WeightedAffinityTerm[]) addTerm(m, t, -t.weight, pod.namespace, pod.labels, nsLabels, ni.labels);
    }
  }
  return any && m.size ? m : undefined;
}

export function interPodAffinityScore(m: TopologyScore, node: NodeInfo): number {
  let score = 0;
  for (const [key, byValue] of m) {
    const v = node.labels[key];
    if (v !== undefined) score += byValue.get(v) ?? 0;
  }
  return score;
}

/** Scores may be negative: scale min..max to 0..100 (all equal: all 0). */
export function interPodAffinityNormalize(scores: number[]): void {
  if (scores.length === 0) return;
  let min = Infinity;
  let max = -Infinity;
  for (const s of scores) {
    if (s < min) min = s;
    if (s > max) max = s;
  }
  const diff = max - min;
  for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (scores[i] - min)) / diff) : 0;
}
