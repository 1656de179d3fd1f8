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

// Rejections are the same for every node: one frozen Status each, not one per node filtered.
const AFFINITY_NOT_MATCHED = Object.freeze(unresolvable(INTER_POD_AFFINITY, ERR_REASON_AFFINITY));
const ANTI_AFFINITY_NOT_MATCHED = Object.freeze(unschedulable(INTER_POD_AFFINITY, ERR_REASON_ANTI_AFFINITY));
const EXISTING_ANTI_AFFINITY_NOT_MATCHED = Object.freeze(unschedulable(INTER_POD_AFFINITY, ERR_REASON_EXISTING_ANTI_AFFINITY));

const pair = (key: string, value: string) => `${key}\u0000${value}`;

export interface InterPodAffinityState {
  pod: PodInfo;
  nsLabels: (ns: string) => Labels | undefined;
  /** Pairs where existing pods' required anti-affinity rejects the incoming pod. */
  existingAntiAffinityCounts: Map<string, number>;
  /** The topology keys of those pairs (may hold keys whose count went back to 0): Filter looks only these up, not every node label. */
  existingAntiAffinityKeys: Set<string>;
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
    if (v !== undefined && affinityTermMatches(t, pod.namespace, pod.labels, s.nsLabels)) {
      bump(s.existingAntiAffinityCounts, pair(t.topologyKey, v), delta);
      s.existingAntiAffinityKeys.add(t.topologyKey);
    }
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

/** The node an assigned pod is on, when that node still exists. */
function nodeOf(view: ClusterView, p: PodInfo): NodeInfo | undefined {
  const name: string | undefined = p.pod?.spec?.nodeName;
  return name ? view.nodeInfo(name) : undefined;
}

/**
 * Undefined when there is nothing to check (no required terms anywhere).
 * The counts are upstream's: existing pods' required anti-affinity terms
 * that select the incoming pod, and existing pods that its own required
 * terms select, per topology pair of their nodes. The cache's indexes hand
 * over only the pods and terms that can match, so this costs the matches,
 * not the cluster.
 */
export function interPodAffinityPreFilter(pod: PodInfo, view: ClusterView): InterPodAffinityState | undefined {
  const own = pod.requiredAffinityTerms.length + pod.requiredAntiAffinityTerms.length > 0;
  if (!own && view.podsWithRequiredAntiAffinityCount() === 0) return undefined;
  const s: InterPodAffinityState = {
    pod,
    nsLabels: (ns) => view.namespaceLabels(ns),
    existingAntiAffinityCounts: new Map(),
    existingAntiAffinityKeys: new Set(),
    affinityCounts: new Map(),
    antiAffinityCounts: new Map(),
  };
  if (view.podsWithRequiredAntiAffinityCount() > 0) {
    for (const { pod: existing, term } of view.requiredAntiAffinityTermCandidates(pod.labels)) {
      if (!affinityTermMatches(term, pod.namespace, pod.labels, s.nsLabels)) continue;
      const v = nodeOf(view, existing)?.labels[term.topologyKey];
      if (v === undefined) continue;
      bump(s.existingAntiAffinityCounts, pair(term.topologyKey, v), 1);
      s.existingAntiAffinityKeys.add(term.topologyKey);
    }
  }
  const affinity = pod.requiredAffinityTerms;
  if (affinity.length) {
    for (const existing of view.podCandidates(...affinity.map((t) => t.selector))) {
      if (!matchesAll(affinity, existing.namespace, existing.labels, s.nsLabels)) continue;
      const ni = nodeOf(view, existing);
      if (!ni) continue;
      for (const t of affinity) {
        const v = ni.labels[t.topologyKey];
        if (v !== undefined) bump(s.affinityCounts, pair(t.topologyKey, v), 1);
      }
    }
  }
  for (const t of pod.requiredAntiAffinityTerms) {
    for (const existing of view.podCandidates(t.selector)) {
      if (!affinityTermMatches(t, existing.namespace, existing.labels, s.nsLabels)) continue;
      const v = nodeOf(view, existing)?.labels[t.topologyKey];
      if (v !== undefined) bump(s.antiAffinityCounts, pair(t.topologyKey, v), 1);
    }
  }
  return s;
}

export function cloneInterPodAffinityState(s: InterPodAffinityState): InterPodAffinityState {
  return {
    ...s,
    existingAntiAffinityCounts: new Map(s.existingAntiAffinityCounts),
    existingAntiAffinityKeys: new Set(s.existingAntiAffinityKeys),
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
      if (v === undefined) return AFFINITY_NOT_MATCHED;
      if ((s.affinityCounts.get(pair(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
    }
    // The first pod of a group that selects itself may go anywhere.
    if (!podsExist && !(s.affinityCounts.size === 0 && matchesAll(pod.requiredAffinityTerms, pod.namespace, pod.labels, s.nsLabels))) {
      return AFFINITY_NOT_MATCHED;
    }
  }
  if (s.antiAffinityCounts.size) {
    for (const t of pod.requiredAntiAffinityTerms) {
      const v = labels[t.topologyKey];
      if (v !== undefined && (s.antiAffinityCounts.get(pair(t.topologyKey, v)) ?? 0) > 0) return ANTI_AFFINITY_NOT_MATCHED;
    }
  }
  if (s.existingAntiAffinityCounts.size) {
    // Upstream looks every node label up as a pair; only the terms' topology keys can hit.
    for (const k of s.existingAntiAffinityKeys) {
      const v = labels[k];
      if (v !== undefined && (s.existingAntiAffinityCounts.get(pair(k, v)) ?? 0) > 0) return EXISTING_ANTI_AFFINITY_NOT_MATCHED;
    }
  }
  return null;
}

// ---- scoring ----

/** topologyKey -> value -> score. */
export type TopologyScore = Map<string, Map<string, number>>;

function addScore(m: TopologyScore, topologyKey: string, node: NodeInfo | undefined, weight: number): void {
  const v = node?.labels[topologyKey];
  if (v === undefined) return;
  let byValue = m.get(topologyKey);
  if (!byValue) m.set(topologyKey, (byValue = new Map()));
  byValue.set(v, (byValue.get(v) ?? 0) + weight);
}

/**
 * Undefined when no term on either side could score (the plugin is skipped).
 * Upstream sums, per topology domain of the existing pods' nodes, the
 * incoming pod's preferred terms over the pods they select and the existing
 * pods' required affinity (hard weight) and preferred terms that select the
 * incoming pod; the indexes give just those pods and terms.
 */
export function interPodAffinityPreScore(pod: PodInfo, view: ClusterView): TopologyScore | undefined {
  const hasPreferred = pod.preferredAffinityTerms.length + pod.preferredAntiAffinityTerms.length > 0;
  if (!hasPreferred && view.podsWithAffinityCount() === 0) return undefined;
  const nsLabels = (ns: string) => view.namespaceLabels(ns);
  const m: TopologyScore = new Map();
  const own = (terms: readonly WeightedAffinityTerm[], sign: number) => {
    for (const t of terms) {
      if (!t.weight) continue;
      for (const existing of view.podCandidates(t.selector)) {
        if (affinityTermMatches(t, existing.namespace, existing.labels, nsLabels)) addScore(m, t.topologyKey, nodeOf(view, existing), sign * t.weight);
      }
    }
  };
  own(pod.preferredAffinityTerms, 1);
  own(pod.preferredAntiAffinityTerms, -1);
  if (view.podsWithAffinityCount() > 0) {
    for (const { pod: existing, term, weight } of view.scoringTermCandidates(pod.labels)) {
      if (affinityTermMatches(term, pod.namespace, pod.labels, nsLabels)) addScore(m, term.topologyKey, nodeOf(view, existing), weight);
    }
  }
  return m.size ? m : undefined;
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
  // The fraction first, then the scale, as upstream's float arithmetic does (it can round down by one).
  for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((scores[i] - min) / diff)) : 0;
}
