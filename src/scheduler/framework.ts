// One scheduling decision, as upstream's default profile makes it:
//
//   PreFilter  per-pod precomputation (inter-pod affinity and topology
//              spread counts over the whole cluster, once);
//   Filter     the plugins in upstream's order, first rejection wins, over
//              nodes taken round-robin from where the last pod stopped,
//              until enough feasible nodes are found (upstream's adaptive
//              percentageOfNodesToScore: 50% minus 1% per 125 nodes, at
//              least 5% and at least 100 nodes);
//   Score      each plugin scores the feasible nodes, normalizes to 0..100,
//              is multiplied by its weight; the highest total wins, ties
//              broken at random.
//
// When no node fits, the per-node statuses make the FitError message
// ("0/5 nodes are available: ..."). Everything here is synchronous and
// reads the cache as one consistent picture.

import type { ClusterView, NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import { balancedAllocationScore, NODE_RESOURCES_BALANCED_ALLOCATION } from './plugins/balanced-allocation.js';
import { IMAGE_LOCALITY, imageLocalityScore } from './plugins/image-locality.js';
import {
  cloneInterPodAffinityState,
  INTER_POD_AFFINITY,
  interPodAffinityAddPod,
  interPodAffinityFilter,
  interPodAffinityNormalize,
  interPodAffinityPreFilter,
  interPodAffinityPreScore,
  interPodAffinityRemovePod,
  interPodAffinityScore,
  type InterPodAffinityState,
} from './plugins/inter-pod-affinity.js';
import { NODE_AFFINITY, nodeAffinityFilter, nodeAffinityNormalize, nodeAffinityScore } from './plugins/node-affinity.js';
import { nodeNameFilter } from './plugins/node-name.js';
import { nodePortsFilter } from './plugins/node-ports.js';
import { leastAllocatedScore, NODE_RESOURCES_FIT, nodeResourcesFitFilter } from './plugins/node-resources-fit.js';
import { nodeUnschedulableFilter } from './plugins/node-unschedulable.js';
import {
  cloneSpreadFilterState,
  POD_TOPOLOGY_SPREAD,
  podTopologySpreadAddPod,
  podTopologySpreadFilter,
  podTopologySpreadNormalize,
  podTopologySpreadPreFilter,
  podTopologySpreadPreScore,
  podTopologySpreadRemovePod,
  podTopologySpreadScore,
  type SpreadFilterState,
} from './plugins/pod-topology-spread.js';
import type { Status } from './plugins/status.js';
import { TAINT_TOLERATION, taintTolerationFilter, taintTolerationNormalize, taintTolerationScore } from './plugins/taint-toleration.js';

export type { Status } from './plugins/status.js';

/** Per-pod precomputed filter state (upstream's CycleState). */
export interface CycleState {
  pod: PodInfo;
  interPodAffinity: InterPodAffinityState | undefined;
  topologySpread: SpreadFilterState | undefined;
}

export function preFilter(pod: PodInfo, view: ClusterView): CycleState {
  return { pod, interPodAffinity: interPodAffinityPreFilter(pod, view), topologySpread: podTopologySpreadPreFilter(pod, view) };
}

export function cloneState(s: CycleState): CycleState {
  return {
    pod: s.pod,
    interPodAffinity: s.interPodAffinity && cloneInterPodAffinityState(s.interPodAffinity),
    topologySpread: s.topologySpread && cloneSpreadFilterState(s.topologySpread),
  };
}

/** Upstream's PreFilterExtensions.AddPod: `node` is where `existing` is (being) placed. */
export function stateAddPod(s: CycleState, existing: PodInfo, node: NodeInfo): void {
  if (s.interPodAffinity) interPodAffinityAddPod(s.interPodAffinity, existing, node);
  if (s.topologySpread) podTopologySpreadAddPod(s.topologySpread, existing, node);
}

export function stateRemovePod(s: CycleState, existing: PodInfo, node: NodeInfo): void {
  if (s.interPodAffinity) interPodAffinityRemovePod(s.interPodAffinity, existing, node);
  if (s.topologySpread) podTopologySpreadRemovePod(s.topologySpread, existing, node);
}

/** The filters in the default profile's order; the first rejection decides. */
export function runFilters(s: CycleState, node: NodeInfo): Status | null {
  const pod = s.pod;
  return (
    nodeUnschedulableFilter(pod, node) ??
    nodeNameFilter(pod, node) ??
    taintTolerationFilter(pod, node) ??
    nodeAffinityFilter(pod, node) ??
    nodePortsFilter(pod, node) ??
    nodeResourcesFitFilter(pod, node) ??
    podTopologySpreadFilter(s.topologySpread, node) ??
    interPodAffinityFilter(s.interPodAffinity, node)
  );
}

/** A pod nominated to a node (after preemption), with its priority. */
export interface NominatedPod {
  pod: PodInfo;
  priority: number;
}

/**
 * Filters with the node's nominated pods of equal or higher priority counted
 * as if already there (so a preemptor's room is not taken by others), and
 * then without them (affinity to a nominated pod must not be relied on), as
 * upstream's RunFilterPluginsWithNominatedPods.
 */
export function runFiltersWithNominated(s: CycleState, node: NodeInfo, nominated: readonly NominatedPod[] | undefined, priority: number): Status | null {
  if (nominated && nominated.length) {
    let clone: NodeInfo | undefined;
    let state: CycleState | undefined;
    for (const n of nominated) {
      if (n.pod.key === s.pod.key || n.priority < priority) continue;
      clone ??= node.clone();
      state ??= cloneState(s);
      const placed = n.pod.withNodeName(node.name);
      clone.addPod(placed);
      stateAddPod(state, placed, clone);
    }
    if (clone && state) {
      const st = runFilters(state, clone);
      if (st) return st;
    }
  }
  return runFilters(s, node);
}

/** Plugin weights in the default profile. */
export const SCORE_WEIGHTS = {
  [TAINT_TOLERATION]: 3,
  [NODE_AFFINITY]: 2,
  [NODE_RESOURCES_FIT]: 1,
  [POD_TOPOLOGY_SPREAD]: 2,
  [INTER_POD_AFFINITY]: 2,
  [NODE_RESOURCES_BALANCED_ALLOCATION]: 1,
  [IMAGE_LOCALITY]: 1,
} as const;

/** Weighted total score per feasible node (same order). */
export function scoreNodes(pod: PodInfo, feasible: readonly NodeInfo[], view: ClusterView): number[] {
  const n = feasible.length;
  const total = new Array<number>(n).fill(0);
  const raw = new Array<number>(n);
  const accumulate = (weight: number) => {
    for (let i = 0; i < n; i++) total[i] += raw[i] * weight;
  };

  for (let i = 0; i < n; i++) raw[i] = taintTolerationScore(pod, feasible[i]);
  taintTolerationNormalize(raw);
  accumulate(SCORE_WEIGHTS[TAINT_TOLERATION]);

  if (pod.preferredNodeAffinity.length) {
    for (let i = 0; i < n; i++) raw[i] = nodeAffinityScore(pod, feasible[i]);
    nodeAffinityNormalize(raw);
    accumulate(SCORE_WEIGHTS[NODE_AFFINITY]);
  }

  for (let i = 0; i < n; i++) raw[i] = leastAllocatedScore(pod, feasible[i]);
  accumulate(SCORE_WEIGHTS[NODE_RESOURCES_FIT]);

  const spread = podTopologySpreadPreScore(pod, feasible, view);
  if (spread) {
    for (let i = 0; i < n; i++) raw[i] = podTopologySpreadScore(spread, feasible[i]);
    podTopologySpreadNormalize(spread, feasible, raw);
    accumulate(SCORE_WEIGHTS[POD_TOPOLOGY_SPREAD]);
  }

  const affinity = interPodAffinityPreScore(pod, view);
  if (affinity) {
    for (let i = 0; i < n; i++) raw[i] = interPodAffinityScore(affinity, feasible[i]);
    interPodAffinityNormalize(raw);
    accumulate(SCORE_WEIGHTS[INTER_POD_AFFINITY]);
  }

  for (let i = 0; i < n; i++) raw[i] = balancedAllocationScore(pod, feasible[i]);
  accumulate(SCORE_WEIGHTS[NODE_RESOURCES_BALANCED_ALLOCATION]);

  const totalNodes = view.nodes().length;
  for (let i = 0; i < n; i++) raw[i] = imageLocalityScore(pod, feasible[i], view, totalNodes);
  accumulate(SCORE_WEIGHTS[IMAGE_LOCALITY]);

  return total;
}

/** Upstream's numFeasibleNodesToFind with the adaptive default percentage. */
export function numFeasibleNodesToFind(numAllNodes: number, percentageOfNodesToScore = 0): number {
  const MIN_FEASIBLE = 100;
  if (numAllNodes < MIN_FEASIBLE) return numAllNodes;
  let pct = percentageOfNodesToScore;
  if (pct <= 0) pct = Math.max(5, 50 - Math.trunc(numAllNodes / 125));
  if (pct >= 100) return numAllNodes;
  return Math.max(MIN_FEASIBLE, Math.trunc((numAllNodes * pct) / 100));
}

export const ERR_NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/**
 * FitError.Error(): "0/N nodes are available: <count> <reason>, ...." with
 * the "<count> <reason>" strings sorted as strings (as upstream does), then
 * the preemption (PostFilter) message if any.
 */
export function fitErrorMessage(numAllNodes: number, statuses: Iterable<Status>, postFilterMsg = ''): string {
  const counts = new Map<string, number>();
  for (const st of statuses) for (const r of st.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let msg = `0/${numAllNodes} nodes are available:`;
  if (parts.length) msg += ` ${parts.join(', ')}.`;
  if (postFilterMsg) msg += ` ${postFilterMsg}`;
  return msg;
}

export interface Diagnosis {
  /** Node name -> why it was rejected (every node, when nothing fits). */
  statuses: Map<string, Status>;
  /** Plugins that rejected at least one node (what a cluster event must touch to help). */
  unschedulablePlugins: Set<string>;
}

export type ScheduleResult =
  | { kind: 'scheduled'; nodeName: string; evaluatedNodes: number; feasibleNodes: number }
  | { kind: 'unschedulable'; numAllNodes: number; diagnosis: Diagnosis; state: CycleState };

export interface AlgorithmOptions {
  /** 0 (default): upstream's adaptive percentage. */
  percentageOfNodesToScore?: number;
  /** Random in [0, 1) for tie-breaking (tests pin it). */
  random?: () => number;
  /** Pods nominated to a node, for runFiltersWithNominated. */
  nominatedPods?: (nodeName: string) => readonly NominatedPod[] | undefined;
}

export class Algorithm {
  private nextStartNodeIndex = 0;
  private readonly random: () => number;

  constructor(
    private readonly view: ClusterView,
    private readonly opts: AlgorithmOptions = {},
  ) {
    this.random = opts.random ?? Math.random;
  }

  private filterNode(s: CycleState, node: NodeInfo, priority: number): Status | null {
    return runFiltersWithNominated(s, node, this.opts.nominatedPods?.(node.name), priority);
  }

  /**
   * Picks a node for the pod. `nominatedNode` (from the nominator; defaults
   * to status.nominatedNodeName) is tried first, as upstream does for a
   * preemptor whose victims are gone.
   */
  schedule(pod: PodInfo, priority = 0, nominatedNode?: string): ScheduleResult {
    const nodes = this.view.nodes();
    const all = nodes.length;
    const state = preFilter(pod, this.view);

    const nominated = nominatedNode ?? (pod.pod?.status?.nominatedNodeName as string | undefined);
    if (nominated) {
      const ni = this.view.nodeInfo(nominated);
      if (ni && !this.filterNode(state, ni, priority)) return { kind: 'scheduled', nodeName: ni.name, evaluatedNodes: 1, feasibleNodes: 1 };
    }

    const want = numFeasibleNodesToFind(all, this.opts.percentageOfNodesToScore);
    const feasible: NodeInfo[] = [];
    // Why nodes were rejected matters only when none fits: kept in arrays, a map made then.
    const rejected: NodeInfo[] = [];
    const rejections: Status[] = [];
    let processed = 0;
    const start = all ? this.nextStartNodeIndex % all : 0;
    for (let i = 0; i < all && feasible.length < want; i++) {
      const ni = nodes[(start + i) % all];
      processed++;
      const st = this.filterNode(state, ni, priority);
      if (st) {
        rejected.push(ni);
        rejections.push(st);
      } else feasible.push(ni);
    }
    if (all) this.nextStartNodeIndex = (start + processed) % all;

    if (feasible.length === 0) {
      const statuses = new Map<string, Status>();
      const plugins = new Set<string>();
      for (let i = 0; i < rejected.length; i++) {
        statuses.set(rejected[i].name, rejections[i]);
        plugins.add(rejections[i].plugin);
      }
      return { kind: 'unschedulable', numAllNodes: all, diagnosis: { statuses, unschedulablePlugins: plugins }, state };
    }
    if (feasible.length === 1) return { kind: 'scheduled', nodeName: feasible[0].name, evaluatedNodes: processed, feasibleNodes: 1 };

    const scores = scoreNodes(pod, feasible, this.view);
    return { kind: 'scheduled', nodeName: feasible[this.selectHost(scores)].name, evaluatedNodes: processed, feasibleNodes: feasible.length };
  }

  /** Index of the highest score; ties broken uniformly at random (reservoir sampling). */
  selectHost(scores: readonly number[]): number {
    let best = 0;
    let ties = 1;
    for (let i = 1; i < scores.length; i++) {
      if (scores[i] > scores[best]) {
        best = i;
        ties = 1;
      } else if (scores[i] === scores[best]) {
        ties++;
        if (this.random() * ties < 1) best = i;
      }
    }
    return best;
  }
}
