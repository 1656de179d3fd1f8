// PodTopologySpread. For DoNotSchedule constraints (Filter): placing the pod
// in a node's domain must keep matching-pods-in-domain minus the global
// minimum within maxSkew; nodes without the topology label cannot host the
// pod at all. minDomains: fewer eligible domains than that makes the global
// minimum 0. For ScheduleAnyway constraints (Score): fewer matching pods in
// the domain is better, weighted by log(number of domains + 2).
//
// Eligible nodes honour the pod's node affinity (nodeAffinityPolicy Honor,
// the default) and, with nodeTaintsPolicy Honor, its tolerations. A pod
// without constraints of its own is scored with upstream's system defaults
// (maxSkew 3 per hostname, 5 per zone, ScheduleAnyway) over the pods its
// Services and controller select (default-spread.ts).
//
// Matching pods are counted once per scheduling cycle from the cache's
// label index (only the pods a selector can match, never every pod on every
// node); Filter and Score per node are then a map lookup per constraint.

import { newRequirement, type LabelSelector } from '../../api/labels.js';
import type { ClusterView, NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { labelSelector, type Labels, type NodeMatcher } from '../selectors.js';
import { MAX_NODE_SCORE, unresolvable, unschedulable, type Status } from './status.js';
import { findUntoleratedTaint } from './taint-toleration.js';

export const POD_TOPOLOGY_SPREAD = 'PodTopologySpread';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

// Rejections are the same for every node: one frozen Status each, not one per node filtered.
const LABEL_MISSING = Object.freeze(unresolvable(POD_TOPOLOGY_SPREAD, ERR_REASON_NODE_LABEL_NOT_MATCH));
const SKEW_EXCEEDED = Object.freeze(unschedulable(POD_TOPOLOGY_SPREAD, ERR_REASON_CONSTRAINTS_NOT_MATCH));

const HOSTNAME = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';

export interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelSelector;
  minDomains: number;
  honorNodeAffinity: boolean;
  honorTaints: boolean;
}

export function spreadConstraints(pod: PodInfo, action: 'DoNotSchedule' | 'ScheduleAnyway'): SpreadConstraint[] {
  const out: SpreadConstraint[] = [];
  for (const c of pod.pod?.spec?.topologySpreadConstraints ?? []) {
    if ((c?.whenUnsatisfiable ?? 'DoNotSchedule') !== action) continue;
    let selector = labelSelector(c?.labelSelector);
    for (const key of c?.matchLabelKeys ?? []) {
      const v = pod.labels[key];
      if (v === undefined) continue;
      try {
        selector = selector.add(newRequirement(key, 'in', [v]));
      } catch {
        // an invalid label key cannot match anything more than before
      }
    }
    out.push({
      maxSkew: Number(c?.maxSkew ?? 1),
      topologyKey: String(c?.topologyKey ?? ''),
      selector,
      minDomains: Number(c?.minDomains ?? 1),
      honorNodeAffinity: (c?.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorTaints: (c?.nodeTaintsPolicy ?? 'Ignore') === 'Honor',
    });
  }
  return out;
}

function hasAllKeys(labels: Labels, cs: readonly SpreadConstraint[]): boolean {
  for (const c of cs) if (!(c.topologyKey in labels)) return false;
  return true;
}

function included(c: SpreadConstraint, pod: PodInfo, node: NodeInfo, affinity: NodeMatcher | undefined): boolean {
  if (c.honorNodeAffinity && affinity && !affinity(node.labels, node.name)) return false;
  if (c.honorTaints && findUntoleratedTaint(node.taints, pod.tolerations)) return false;
  return true;
}

/**
 * Whether a pod counts for a constraint's selector: same namespace, not
 * terminating, and selected. As upstream, a selector without requirements
 * counts no pods at all.
 */
function countsFor(c: SpreadConstraint, namespace: string, p: PodInfo): boolean {
  return !p.terminating && p.namespace === namespace && c.selector.requirements.length > 0 && c.selector.matches(p.labels);
}

/** Pods on the node that count for the constraint (upstream's per-node count; tests compare against it). */
export function countMatching(node: NodeInfo, c: SpreadConstraint, namespace: string): number {
  let n = 0;
  for (const p of node.pods.values()) if (countsFor(c, namespace, p)) n++;
  return n;
}

/** The node an assigned pod is on, when that node still exists. */
function nodeOf(view: ClusterView, p: PodInfo): NodeInfo | undefined {
  const name: string | undefined = p.pod?.spec?.nodeName;
  return name ? view.nodeInfo(name) : undefined;
}

export interface SpreadFilterState {
  pod: PodInfo;
  constraints: SpreadConstraint[];
  /** Per constraint: topology value -> matching pods, for the eligible domains holding any (absent: 0). */
  counts: Map<string, number>[];
  /** Per constraint: how many eligible domains there are (those without matching pods make the minimum 0). */
  domainCounts: number[];
  /** Per constraint: cached minimum over the domains (undefined: recompute). */
  mins: Array<number | undefined>;
}

/** Undefined when the pod has no DoNotSchedule constraints. */
export function podTopologySpreadPreFilter(pod: PodInfo, view: ClusterView): SpreadFilterState | undefined {
  const constraints = spreadConstraints(pod, 'DoNotSchedule');
  if (constraints.length === 0) return undefined;
  const affinity = pod.requiredNodeAffinity;
  // The eligible domains: those of nodes with every constraint's key that
  // node affinity and taints (as the policies say) leave in. Without such
  // filtering they depend on node labels only and the cache keeps them;
  // only their number is needed, the counts below hold the rest.
  const keys = constraints.map((c) => c.topologyKey);
  const filtered = (c: SpreadConstraint) => c.honorTaints || (c.honorNodeAffinity && affinity !== undefined);
  const domainCounts = constraints.map((c) => (filtered(c) ? 0 : view.topologyDomains(c.topologyKey, keys).size));
  if (constraints.some(filtered)) {
    const domains = constraints.map(() => new Set<string>());
    for (const ni of view.nodes()) {
      if (!hasAllKeys(ni.labels, constraints)) continue;
      for (let i = 0; i < constraints.length; i++) {
        const c = constraints[i];
        if (filtered(c) && included(c, pod, ni, affinity)) domains[i].add(ni.labels[c.topologyKey]);
      }
    }
    for (let i = 0; i < constraints.length; i++) if (filtered(constraints[i])) domainCounts[i] = domains[i].size;
  }
  const counts = constraints.map(() => new Map<string, number>());
  for (let i = 0; i < constraints.length; i++) {
    const c = constraints[i];
    const m = counts[i];
    for (const p of view.podCandidates(c.selector)) {
      if (!countsFor(c, pod.namespace, p)) continue;
      const ni = nodeOf(view, p);
      if (!ni || !hasAllKeys(ni.labels, constraints) || !included(c, pod, ni, affinity)) continue;
      const v = ni.labels[c.topologyKey];
      m.set(v, (m.get(v) ?? 0) + 1);
    }
  }
  return { pod, constraints, counts, domainCounts, mins: constraints.map(() => undefined) };
}

export function cloneSpreadFilterState(s: SpreadFilterState): SpreadFilterState {
  return { ...s, counts: s.counts.map((m) => new Map(m)), domainCounts: [...s.domainCounts], mins: [...s.mins] };
}

function updateWithPod(s: SpreadFilterState, existing: PodInfo, node: NodeInfo, delta: number): void {
  if (existing.namespace !== s.pod.namespace || existing.terminating) return;
  if (!hasAllKeys(node.labels, s.constraints)) return;
  const affinity = s.pod.requiredNodeAffinity;
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i];
    if (!c.selector.matches(existing.labels) || !included(c, s.pod, node, affinity)) continue;
    const v = node.labels[c.topologyKey];
    s.counts[i].set(v, (s.counts[i].get(v) ?? 0) + delta);
    s.mins[i] = undefined;
  }
}

export function podTopologySpreadAddPod(s: SpreadFilterState, existing: PodInfo, node: NodeInfo): void {
  updateWithPod(s, existing, node, 1);
}

export function podTopologySpreadRemovePod(s: SpreadFilterState, existing: PodInfo, node: NodeInfo): void {
  updateWithPod(s, existing, node, -1);
}

function globalMin(s: SpreadFilterState, i: number): number {
  const domains = s.domainCounts[i];
  if (domains < s.constraints[i].minDomains) return 0;
  let m = s.mins[i];
  if (m === undefined) {
    // A domain without matching pods has none in the map.
    m = domains > s.counts[i].size ? 0 : Infinity;
    if (m !== 0) for (const n of s.counts[i].values()) if (n < m) m = n;
    s.mins[i] = m;
  }
  return m;
}

export function podTopologySpreadFilter(s: SpreadFilterState | undefined, node: NodeInfo): Status | null {
  if (!s) return null;
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i];
    const v = node.labels[c.topologyKey];
    if (v === undefined) return LABEL_MISSING;
    const self = c.selector.matches(s.pod.labels) ? 1 : 0;
    const skew = (s.counts[i].get(v) ?? 0) + self - globalMin(s, i);
    if (skew > c.maxSkew) return SKEW_EXCEEDED;
  }
  return null;
}

// ---- scoring (ScheduleAnyway) ----

export interface SpreadScoreState {
  pod: PodInfo;
  constraints: SpreadConstraint[];
  /** Feasible nodes lacking a constraint's topology key: scored 0. */
  ignored: Set<string>;
  /** Per constraint: topology value -> matching pods (non-hostname), or node name -> matching pods (hostname). */
  counts: Map<string, number>[];
  weights: number[];
}

/** The system default constraints (upstream's systemDefaultConstraints), for pods selected by a Service or controller. */
export function defaultSpreadConstraints(selector: LabelSelector): SpreadConstraint[] {
  const c = { selector, minDomains: 1, honorNodeAffinity: true, honorTaints: false };
  return [
    { ...c, maxSkew: 3, topologyKey: HOSTNAME },
    { ...c, maxSkew: 5, topologyKey: ZONE },
  ];
}

/** Undefined when the pod has no ScheduleAnyway constraints, its own or default (the plugin is skipped). */
export function podTopologySpreadPreScore(pod: PodInfo, feasible: readonly NodeInfo[], view: ClusterView): SpreadScoreState | undefined {
  const own = (pod.pod?.spec?.topologySpreadConstraints?.length ?? 0) > 0;
  let constraints: SpreadConstraint[];
  if (own) constraints = spreadConstraints(pod, 'ScheduleAnyway');
  else {
    const selector = view.defaultSpreadSelector(pod);
    constraints = selector && selector.requirements.length ? defaultSpreadConstraints(selector) : [];
  }
  if (constraints.length === 0 || view.nodes().length === 0) return undefined;
  // Upstream lets nodes without a zone label keep hostname spreading under the system defaults.
  const requireAll = own;
  const ignored = new Set<string>();
  const counts = constraints.map(() => new Map<string, number>());
  for (const ni of feasible) {
    if (requireAll && !hasAllKeys(ni.labels, constraints)) {
      ignored.add(ni.name);
      continue;
    }
    for (let i = 0; i < constraints.length; i++) {
      if (constraints[i].topologyKey === HOSTNAME) continue;
      const v = ni.labels[constraints[i].topologyKey] ?? '';
      if (!counts[i].has(v)) counts[i].set(v, 0);
    }
  }
  const weights = constraints.map((c, i) => Math.log((c.topologyKey === HOSTNAME ? feasible.length - ignored.size : counts[i].size) + 2));
  const affinity = pod.requiredNodeAffinity;
  for (let i = 0; i < constraints.length; i++) {
    const c = constraints[i];
    const m = counts[i];
    const hostname = c.topologyKey === HOSTNAME;
    if (!hostname && m.size === 0) continue;
    for (const p of view.podCandidates(c.selector)) {
      if (!countsFor(c, pod.namespace, p)) continue;
      const ni = nodeOf(view, p);
      if (!ni) continue;
      if (hostname) {
        // Score counts every matching pod on the node itself.
        m.set(ni.name, (m.get(ni.name) ?? 0) + 1);
        continue;
      }
      if (requireAll && !hasAllKeys(ni.labels, constraints)) continue;
      const cur = m.get(ni.labels[c.topologyKey] ?? '');
      // Only domains of feasible nodes are counted.
      if (cur !== undefined && included(c, pod, ni, affinity)) m.set(ni.labels[c.topologyKey] ?? '', cur + 1);
    }
  }
  return { pod, constraints, ignored, counts, weights };
}

/** Raw score: weighted matching pods in the node's domains (lower is better). */
export function podTopologySpreadScore(s: SpreadScoreState, node: NodeInfo): number {
  if (s.ignored.has(node.name)) return 0;
  let score = 0;
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i];
    const v = node.labels[c.topologyKey];
    if (v === undefined) continue;
    const cnt = s.counts[i].get(c.topologyKey === HOSTNAME ? node.name : v) ?? 0;
    score += cnt * s.weights[i] + (c.maxSkew - 1);
  }
  return Math.round(score);
}

/** Inverts raw scores to 0..100 (fewest matching pods best); ignored nodes get 0. */
export function podTopologySpreadNormalize(s: SpreadScoreState, nodes: readonly NodeInfo[], scores: number[]): void {
  let min = Infinity;
  let max = 0;
  for (let i = 0; i < scores.length; i++) {
    if (s.ignored.has(nodes[i].name)) continue;
    if (scores[i] < min) min = scores[i];
    if (scores[i] > max) max = scores[i];
  }
  for (let i = 0; i < scores.length; i++) {
    if (s.ignored.has(nodes[i].name)) scores[i] = 0;
    else if (max === 0) scores[i] = MAX_NODE_SCORE;
    else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - scores[i])) / max);
  }
}
