// Cluster-wide indexes over the assigned (and assumed) pods, kept by the
// scheduler cache, so per-pod precomputation (inter-pod affinity, topology
// spread) visits only the pods and terms that can match instead of every pod
// on every node:
//
//   PodLabelIndex    label key -> value -> pods. A selector's candidates are
//                    the pods in the buckets of its most selective equality
//                    (`=`, `==`, `in`) requirement; a selector without one
//                    falls back to every pod.
//   AffinityTermIndex existing pods' affinity terms, filed under one equality
//                    requirement of the term's selector. The terms that can
//                    match an incoming pod are those filed under one of its
//                    labels plus those with no equality requirement.
//
// Both give supersets: callers still check the full selector, the namespaces
// and the node, so results are those of a scan over every pod.

import type { LabelRequirement, LabelSelector } from '../api/labels.js';
import type { PodInfo } from './pod-info.js';
import type { AffinityTerm, Labels } from './selectors.js';

/**
 * What an existing pod's required affinity term adds to the score of the
 * nodes in its domain when the incoming pod matches it (upstream's
 * hardPodAffinityWeight, default 1).
 */
export const HARD_POD_AFFINITY_WEIGHT = 1;

const pairKey = (key: string, value: string) => `${key}\u0000${value}`;

const NO_PODS: readonly PodInfo[] = Object.freeze([]);

function indexable(r: LabelRequirement): boolean {
  return r.operator === '=' || r.operator === '==' || r.operator === 'in';
}

export class PodLabelIndex {
  private readonly byLabel = new Map<string, Map<string, Set<PodInfo>>>();
  private readonly all = new Set<PodInfo>();

  get size(): number {
    return this.all.size;
  }

  add(pi: PodInfo): void {
    this.all.add(pi);
    for (const k in pi.labels) {
      let byValue = this.byLabel.get(k);
      if (!byValue) this.byLabel.set(k, (byValue = new Map()));
      const v = pi.labels[k];
      let pods = byValue.get(v);
      if (!pods) byValue.set(v, (pods = new Set()));
      pods.add(pi);
    }
  }

  remove(pi: PodInfo): void {
    if (!this.all.delete(pi)) return;
    for (const k in pi.labels) {
      const byValue = this.byLabel.get(k);
      const pods = byValue?.get(pi.labels[k]);
      if (!byValue || !pods) continue;
      pods.delete(pi);
      if (pods.size === 0) byValue.delete(pi.labels[k]);
      if (byValue.size === 0) this.byLabel.delete(k);
    }
  }

  /** How many pods the requirement's buckets hold. */
  private bucketSize(r: LabelRequirement): number {
    const byValue = this.byLabel.get(r.key);
    if (!byValue) return 0;
    let n = 0;
    for (const v of r.values) n += byValue.get(v)?.size ?? 0;
    return n;
  }

  /**
   * A superset of the pods that every given selector matches: the buckets of
   * the smallest equality requirement among them, else every pod.
   */
  candidates(...selectors: LabelSelector[]): Iterable<PodInfo> {
    let best: LabelRequirement | undefined;
    let bestSize = Infinity;
    for (const sel of selectors) {
      if (sel.selectsNothing) return NO_PODS;
      for (const r of sel.requirements) {
        if (!indexable(r)) continue;
        const n = this.bucketSize(r);
        if (n < bestSize) {
          best = r;
          bestSize = n;
        }
      }
    }
    if (!best) return this.all;
    if (bestSize === 0) return NO_PODS;
    const byValue = this.byLabel.get(best.key)!;
    if (best.values.length === 1) return byValue.get(best.values[0]) ?? NO_PODS;
    // A pod has one value per key, so the buckets of an `in` are disjoint.
    const out: PodInfo[] = [];
    for (const v of best.values) for (const p of byValue.get(v) ?? NO_PODS) out.push(p);
    return out;
  }
}

/** One term of an existing pod; `weight` is what it adds to a score (filters ignore it). */
export interface TermEntry {
  pod: PodInfo;
  term: AffinityTerm;
  weight: number;
}

export class AffinityTermIndex {
  private readonly byLabel = new Map<string, Set<TermEntry>>();
  /** Terms whose selector has no equality requirement (they may match any pod). */
  private readonly unindexed = new Set<TermEntry>();
  private readonly ofPod = new Map<PodInfo, Array<{ entry: TermEntry; keys: string[] }>>();

  get podCount(): number {
    return this.ofPod.size;
  }

  add(pod: PodInfo, term: AffinityTerm, weight: number): void {
    if (term.selector.selectsNothing) return;
    const entry: TermEntry = { pod, term, weight };
    const r = term.selector.requirements.find(indexable);
    const keys = r ? r.values.map((v) => pairKey(r.key, v)) : [];
    if (keys.length === 0) this.unindexed.add(entry);
    for (const k of keys) {
      let set = this.byLabel.get(k);
      if (!set) this.byLabel.set(k, (set = new Set()));
      set.add(entry);
    }
    let list = this.ofPod.get(pod);
    if (!list) this.ofPod.set(pod, (list = []));
    list.push({ entry, keys });
  }

  removePod(pod: PodInfo): void {
    const list = this.ofPod.get(pod);
    if (!list) return;
    this.ofPod.delete(pod);
    for (const { entry, keys } of list) {
      if (keys.length === 0) this.unindexed.delete(entry);
      for (const k of keys) {
        const set = this.byLabel.get(k);
        if (!set) continue;
        set.delete(entry);
        if (set.size === 0) this.byLabel.delete(k);
      }
    }
  }

  /** A superset of the terms that could select a pod with these labels (each once). */
  *candidates(labels: Labels): Iterable<TermEntry> {
    yield* this.unindexed;
    for (const k in labels) {
      const set = this.byLabel.get(pairKey(k, labels[k]));
      // A term is filed under one requirement's key, and a pod has one value per key: no repeats.
      if (set) yield* set;
    }
  }
}
