// Preemption (upstream's DefaultPreemption PostFilter), decided in memory:
// for a pod that fits nowhere, find nodes where removing lower-priority pods
// would make it fit, pick the set of victims on each (remove them all, then
// give back as many as still leave room, the most important first and PDB-
// protected ones before the others), and choose one node: fewest PDB
// violations, then lowest highest-victim priority, smallest priority sum,
// fewest victims, latest start. The scheduler then deletes the victims and
// nominates the node on the preemptor.

import type { ClusterView, NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import { cloneState, fitErrorMessage, runFiltersWithNominated, stateAddPod, stateRemovePod, type CycleState, type Diagnosis, type NominatedPod, type Status } from './framework.js';
import { unresolvable } from './plugins/status.js';
import { labelSelector } from './selectors.js';

export const DEFAULT_PREEMPTION = 'DefaultPreemption';
export const MSG_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const MSG_NO_VICTIMS = 'No preemption victims found for incoming pod';
export const MSG_POLICY_NEVER = 'not eligible due to preemptionPolicy=Never.';
export const MSG_TERMINATING_ON_NOMINATED = 'not eligible due to a terminating pod on the nominated node.';

export interface Candidate {
  nodeName: string;
  /** Most important first. */
  victims: PodInfo[];
  numPDBViolations: number;
}

export type PreemptionResult =
  | { kind: 'nominated'; candidate: Candidate; /** lower-priority pods nominated to the same node, to un-nominate */ displaced: PodInfo[] }
  | { kind: 'failed'; /** upstream's PostFilter message, "preemption: ..." */ message: string; clearNomination: boolean };

export interface PreemptionDeps {
  view: ClusterView;
  priorityOf(pod: any): number;
  /** policy/v1 PodDisruptionBudgets. */
  pdbs(): readonly any[];
  nominatedPods(nodeName: string): readonly NominatedPod[] | undefined;
  random?: () => number;
}

const MIN_CANDIDATE_NODES_PERCENTAGE = 10;
const MIN_CANDIDATE_NODES_ABSOLUTE = 100;

function startTime(pod: any): number {
  const t = pod?.status?.startTime ?? pod?.metadata?.creationTimestamp;
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? Date.now() : ms;
}

/** A victim evicted by the scheduler that is still terminating. */
export function terminatingByPreemption(pod: any): boolean {
  if (!pod?.metadata?.deletionTimestamp) return false;
  const c = (pod?.status?.conditions ?? []).find((x: any) => x?.type === 'DisruptionTarget');
  return !!c && c.status === 'True' && c.reason === 'PreemptionByScheduler';
}

interface CompiledPDB {
  namespace: string;
  matches: (labels: Record<string, string>) => boolean;
  allowed: number;
  disrupted: Record<string, unknown>;
}

function compilePDBs(pdbs: readonly any[]): CompiledPDB[] {
  const out: CompiledPDB[] = [];
  for (const p of pdbs) {
    const selObj = p?.spec?.selector;
    const sel = labelSelector(selObj);
    // A nil or empty selector matches nothing here.
    if (!selObj || sel.isEverything()) continue;
    out.push({ namespace: p?.metadata?.namespace ?? '', matches: (l) => sel.matches(l), allowed: Number(p?.status?.disruptionsAllowed ?? 0), disrupted: p?.status?.disruptedPods ?? {} });
  }
  return out;
}

/** Splits pods (order kept) by whether evicting them, in order, would exceed a matching PDB's allowance. */
export function splitByPDBViolation(pods: readonly PodInfo[], pdbs: readonly any[]): { violating: PodInfo[]; nonViolating: PodInfo[] } {
  const compiled = compilePDBs(pdbs);
  const allowed = compiled.map((p) => p.allowed);
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const pi of pods) {
    let violated = false;
    if (Object.keys(pi.labels).length) {
      compiled.forEach((p, i) => {
        if (p.namespace !== pi.namespace || !p.matches(pi.labels) || pi.name in p.disrupted) return;
        allowed[i]--;
        if (allowed[i] < 0) violated = true;
      });
    }
    (violated ? violating : nonViolating).push(pi);
  }
  return { violating, nonViolating };
}

export class Preemptor {
  constructor(private readonly deps: PreemptionDeps) {}

  /** MoreImportantPod: higher priority first, then the one running longer. */
  private moreImportant = (a: PodInfo, b: PodInfo): number => {
    const pa = this.deps.priorityOf(a.pod);
    const pb = this.deps.priorityOf(b.pod);
    if (pa !== pb) return pb - pa;
    return startTime(a.pod) - startTime(b.pod);
  };

  /**
   * The smallest set of lower-priority pods on the node whose removal lets the
   * pod fit, or the status saying why the node cannot help.
   */
  selectVictimsOnNode(state: CycleState, priority: number, ni: NodeInfo, pdbs: readonly any[]): { victims: PodInfo[]; numPDBViolations: number } | Status {
    const potential: PodInfo[] = [];
    for (const p of ni.pods.values()) if (this.deps.priorityOf(p.pod) < priority) potential.push(p);
    if (potential.length === 0) return unresolvable(DEFAULT_PREEMPTION, MSG_NO_VICTIMS);
    const node = ni.clone();
    const s = cloneState(state);
    for (const p of potential) {
      node.removePod(p.key);
      stateRemovePod(s, p, node);
    }
    const nominated = this.deps.nominatedPods(ni.name);
    const fails = runFiltersWithNominated(s, node, nominated, priority);
    if (fails) return fails;
    potential.sort(this.moreImportant);
    const { violating, nonViolating } = splitByPDBViolation(potential, pdbs);
    const victims: PodInfo[] = [];
    let numPDBViolations = 0;
    const reprieve = (p: PodInfo): boolean => {
      node.addPod(p);
      stateAddPod(s, p, node);
      if (!runFiltersWithNominated(s, node, nominated, priority)) return true;
      node.removePod(p.key);
      stateRemovePod(s, p, node);
      victims.push(p);
      return false;
    };
    for (const p of violating) if (!reprieve(p)) numPDBViolations++;
    for (const p of nonViolating) reprieve(p);
    if (violating.length && nonViolating.length) victims.sort(this.moreImportant);
    return { victims, numPDBViolations };
  }

  /** `nominatedNode`: where the pod is nominated already (defaults to status.nominatedNodeName). */
  preempt(pod: PodInfo, priority: number, state: CycleState, diagnosis: Diagnosis, numAllNodes: number, nominatedNode?: string): PreemptionResult {
    const fail = (message: string, clearNomination = false): PreemptionResult => ({ kind: 'failed', message: `preemption: ${message}`, clearNomination });
    if (pod.pod?.spec?.preemptionPolicy === 'Never') return fail(MSG_POLICY_NEVER);
    const view = this.deps.view;

    nominatedNode ??= pod.pod?.status?.nominatedNodeName as string | undefined;
    if (nominatedNode && diagnosis.statuses.get(nominatedNode)?.code !== 'UnschedulableAndUnresolvable') {
      const ni = view.nodeInfo(nominatedNode);
      if (ni) {
        for (const p of ni.pods.values()) {
          if (this.deps.priorityOf(p.pod) < priority && terminatingByPreemption(p.pod)) return fail(MSG_TERMINATING_ON_NOMINATED);
        }
      }
    }

    const potential: NodeInfo[] = [];
    for (const [name, st] of diagnosis.statuses) {
      if (st.code !== 'Unschedulable') continue;
      const ni = view.nodeInfo(name);
      if (ni) potential.push(ni);
    }
    const statuses = new Map<string, Status>();
    const noCandidates = () => {
      const all: Status[] = [...statuses.values()];
      const notHelpful = unresolvable(DEFAULT_PREEMPTION, MSG_NOT_HELPFUL);
      for (let i = statuses.size; i < numAllNodes; i++) all.push(notHelpful);
      return fail(fitErrorMessage(numAllNodes, all), true);
    };
    if (potential.length === 0) return noCandidates();

    const pdbs = this.deps.pdbs();
    let want = Math.trunc((potential.length * MIN_CANDIDATE_NODES_PERCENTAGE) / 100);
    want = Math.min(potential.length, Math.max(want, MIN_CANDIDATE_NODES_ABSOLUTE));
    const offset = Math.floor((this.deps.random ?? Math.random)() * potential.length);
    const nonViolating: Candidate[] = [];
    const violating: Candidate[] = [];
    for (let i = 0; i < potential.length; i++) {
      const ni = potential[(offset + i) % potential.length];
      const r = this.selectVictimsOnNode(state, priority, ni, pdbs);
      if ('code' in r) {
        statuses.set(ni.name, r);
        continue;
      }
      if (r.victims.length === 0) continue;
      (r.numPDBViolations === 0 ? nonViolating : violating).push({ nodeName: ni.name, ...r });
      if (nonViolating.length > 0 && nonViolating.length + violating.length >= want) break;
    }
    const candidates = [...nonViolating, ...violating];
    if (candidates.length === 0) return noCandidates();

    const best = this.pickOne(candidates);
    const displaced: PodInfo[] = [];
    for (const n of this.deps.nominatedPods(best.nodeName) ?? []) {
      if (n.pod.key !== pod.key && n.priority < priority) displaced.push(n.pod);
    }
    return { kind: 'nominated', candidate: best, displaced };
  }

  /** upstream's pickOneNodeForPreemption criteria, in order. */
  pickOne(candidates: Candidate[]): Candidate {
    const prio = (p: PodInfo) => this.deps.priorityOf(p.pod);
    const criteria: Array<(c: Candidate) => number> = [
      (c) => -c.numPDBViolations,
      (c) => -prio(c.victims[0]),
      (c) => -c.victims.reduce((s, p) => s + prio(p) + 2 ** 31, 0),
      (c) => -c.victims.length,
      // The latest start time among the most important victims.
      (c) => {
        const top = prio(c.victims[0]);
        let earliest = Infinity;
        for (const v of c.victims) if (prio(v) === top) earliest = Math.min(earliest, startTime(v.pod));
        return earliest;
      },
    ];
    let pool = candidates;
    for (const f of criteria) {
      let best = -Infinity;
      let next: Candidate[] = [];
      for (const c of pool) {
        const s = f(c);
        if (s > best) {
          best = s;
          next = [c];
        } else if (s === best) next.push(c);
      }
      if (next.length === 1) return next[0];
      pool = next;
    }
    return pool[0];
  }
}
