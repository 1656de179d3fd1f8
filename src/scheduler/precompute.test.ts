// The per-cycle precomputation of InterPodAffinity and PodTopologySpread
// (which reads the cache's label and term indexes) against a naive
// computation that walks every pod on every node, as upstream's plugins
// describe it, on random clusters: same counts, same filter verdicts, same
// scores.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectorFromSet, type LabelSelector } from '../api/labels.js';
import { SchedulerCache, type ClusterView, type NodeInfo } from './node-info.js';
import { HARD_POD_AFFINITY_WEIGHT } from './pod-index.js';
import { PodInfo } from './pod-info.js';
import { affinityTermMatches, type AffinityTerm, type Labels } from './selectors.js';
import { makeNode, makePod } from './test-helpers.js';
import {
  interPodAffinityFilter,
  interPodAffinityNormalize,
  interPodAffinityPreFilter,
  interPodAffinityPreScore,
  interPodAffinityScore,
} from './plugins/inter-pod-affinity.js';
import {
  countMatching,
  defaultSpreadConstraints,
  podTopologySpreadFilter,
  podTopologySpreadNormalize,
  podTopologySpreadPreFilter,
  podTopologySpreadPreScore,
  podTopologySpreadScore,
  spreadConstraints,
  type SpreadConstraint,
} from './plugins/pod-topology-spread.js';
import { findUntoleratedTaint } from './plugins/taint-toleration.js';

// ---- a seeded random cluster ----

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';
const REGION = 'region';
const NAMESPACES = ['ns1', 'ns2', 'ns3'];
const NS_LABELS: Record<string, Record<string, string>> = { ns1: { env: 'prod' }, ns2: { env: 'dev' }, ns3: {} };

function gen(seed: number) {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const maybe = (p: number) => r() < p;

  const selector = (): any => {
    switch (Math.floor(r() * 7)) {
      case 0:
        return { matchLabels: { app: pick(['a', 'b', 'c']) } };
      case 1:
        return { matchLabels: { app: pick(['a', 'b']), tier: pick(['x', 'y']) } };
      case 2:
        return { matchExpressions: [{ key: 'app', operator: 'In', values: ['a', 'c'] }] };
      case 3:
        return { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['x'] }] };
      case 4:
        return { matchExpressions: [{ key: 'tier', operator: 'Exists' }] };
      case 5:
        return {};
      default:
        return { matchLabels: { tier: pick(['x', 'y']) }, matchExpressions: [{ key: 'app', operator: 'In', values: ['a', 'b'] }] };
    }
  };
  const term = (): any => {
    const t: any = { labelSelector: selector(), topologyKey: pick([HOST, ZONE, ZONE, REGION]) };
    const ns = Math.floor(r() * 4);
    if (ns === 1) t.namespaces = [pick(NAMESPACES), pick(NAMESPACES)];
    if (ns === 2) t.namespaceSelector = {};
    if (ns === 3) t.namespaceSelector = { matchLabels: { env: 'prod' } };
    return t;
  };
  const terms = (p: number) => (maybe(p) ? Array.from({ length: 1 + Math.floor(r() * 2) }, term) : undefined);
  const weighted = (p: number) => (maybe(p) ? Array.from({ length: 1 + Math.floor(r() * 2) }, () => ({ weight: 1 + Math.floor(r() * 100), podAffinityTerm: term() })) : undefined);
  const affinity = (p: number): any => {
    const a: any = {};
    const ra = terms(p);
    const rx = terms(p);
    const pa = weighted(p);
    const px = weighted(p);
    if (ra || pa) a.podAffinity = { requiredDuringSchedulingIgnoredDuringExecution: ra, preferredDuringSchedulingIgnoredDuringExecution: pa };
    if (rx || px) a.podAntiAffinity = { requiredDuringSchedulingIgnoredDuringExecution: rx, preferredDuringSchedulingIgnoredDuringExecution: px };
    return Object.keys(a).length ? a : undefined;
  };
  const labels = (): Record<string, string> => {
    const l: Record<string, string> = {};
    if (maybe(0.9)) l.app = pick(['a', 'b', 'c']);
    if (maybe(0.6)) l.tier = pick(['x', 'y']);
    return l;
  };

  const nodeCount = 4 + Math.floor(r() * 14);
  const nodes = Array.from({ length: nodeCount }, (_, i) => {
    const l: Record<string, string> = {};
    if (maybe(0.85)) l[ZONE] = pick(['z0', 'z1', 'z2']);
    if (maybe(0.7)) l[REGION] = pick(['r0', 'r1']);
    if (maybe(0.5)) l.disk = pick(['ssd', 'hdd']);
    const taints = maybe(0.2) ? [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] : undefined;
    return makeNode(`n${i}`, { labels: l, taints });
  });
  // Pods may sit on a node that has gone (they must not count).
  const nodeNames = [...nodes.map((n) => n.metadata.name), 'gone'];
  const pods = Array.from({ length: Math.floor(r() * 40) }, (_, i) =>
    makePod(`p${i}`, {
      namespace: pick(NAMESPACES),
      labels: labels(),
      nodeName: pick(nodeNames),
      affinity: affinity(0.25),
      deletionTimestamp: maybe(0.1) ? '2024-01-01T00:00:00Z' : undefined,
    }),
  );

  const spread = (): any[] | undefined => {
    if (!maybe(0.6)) return undefined;
    return Array.from({ length: 1 + Math.floor(r() * 2) }, () => {
      const c: any = {
        maxSkew: 1 + Math.floor(r() * 3),
        topologyKey: pick([HOST, ZONE, REGION]),
        whenUnsatisfiable: pick(['DoNotSchedule', 'ScheduleAnyway']),
        labelSelector: selector(),
      };
      if (maybe(0.3)) c.matchLabelKeys = ['tier'];
      if (maybe(0.3)) c.minDomains = 1 + Math.floor(r() * 4);
      if (maybe(0.2)) c.nodeAffinityPolicy = 'Ignore';
      if (maybe(0.3)) c.nodeTaintsPolicy = 'Honor';
      return c;
    });
  };
  const incoming = makePod('incoming', {
    namespace: pick(NAMESPACES),
    labels: labels(),
    affinity: affinity(0.5),
    topologySpreadConstraints: spread(),
    nodeSelector: maybe(0.2) ? { disk: 'ssd' } : undefined,
    tolerations: maybe(0.3) ? [{ key: 'dedicated', operator: 'Exists' }] : undefined,
  });

  // Default spreading: pods labelled app are "selected by a Service" on app (tier too, sometimes).
  const withTier = maybe(0.5);
  const defaultSelector = (pi: PodInfo): LabelSelector | undefined => {
    if (!pi.labels.app) return undefined;
    return selectorFromSet(withTier && pi.labels.tier ? { app: pi.labels.app, tier: pi.labels.tier } : { app: pi.labels.app });
  };
  const cache = new SchedulerCache((ns) => NS_LABELS[ns], defaultSelector);
  for (const n of nodes) cache.setNode(n);
  for (const p of pods) cache.setPod(p);
  // Assumed pods are indexed as well; and a removed node's pods stop counting.
  if (maybe(0.5)) cache.assumePod(new PodInfo(makePod('assumed', { namespace: incoming.metadata.namespace, labels: labels(), nodeName: pick(nodeNames), affinity: affinity(0.5) })));
  cache.removeNode('n0');
  if (pods.length && maybe(0.5)) cache.removePod(pods[0]);
  return { cache, pod: new PodInfo(incoming), r };
}

// ---- the naive computations (every pod on every node) ----

const pairKey = (k: string, v: string) => `${k}\u0000${v}`;
const nsLabelsOf = (view: ClusterView) => (ns: string) => view.namespaceLabels(ns);

function naiveAffinityCounts(pod: PodInfo, view: ClusterView) {
  const nsLabels = nsLabelsOf(view);
  const existingAnti = new Map<string, number>();
  const aff = new Map<string, number>();
  const anti = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: string | undefined) => {
    if (v !== undefined) m.set(pairKey(k, v), (m.get(pairKey(k, v)) ?? 0) + 1);
  };
  for (const ni of view.nodes()) {
    for (const e of ni.pods.values()) {
      for (const t of e.requiredAntiAffinityTerms) if (affinityTermMatches(t, pod.namespace, pod.labels, nsLabels)) add(existingAnti, t.topologyKey, ni.labels[t.topologyKey]);
      const all = pod.requiredAffinityTerms;
      if (all.length && all.every((t) => affinityTermMatches(t, e.namespace, e.labels, nsLabels))) for (const t of all) add(aff, t.topologyKey, ni.labels[t.topologyKey]);
      for (const t of pod.requiredAntiAffinityTerms) if (affinityTermMatches(t, e.namespace, e.labels, nsLabels)) add(anti, t.topologyKey, ni.labels[t.topologyKey]);
    }
  }
  return { existingAnti, aff, anti };
}

function naiveAffinityScores(pod: PodInfo, view: ClusterView, feasible: readonly NodeInfo[]): number[] {
  const nsLabels = nsLabelsOf(view);
  const m = new Map<string, number>();
  const add = (t: AffinityTerm, w: number, ns: string, labels: Labels, node: NodeInfo) => {
    const v = node.labels[t.topologyKey];
    if (w && v !== undefined && affinityTermMatches(t, ns, labels, nsLabels)) m.set(pairKey(t.topologyKey, v), (m.get(pairKey(t.topologyKey, v)) ?? 0) + w);
  };
  for (const ni of view.nodes()) {
    for (const e of ni.pods.values()) {
      for (const t of pod.preferredAffinityTerms) add(t, t.weight, e.namespace, e.labels, ni);
      for (const t of pod.preferredAntiAffinityTerms) add(t, -t.weight, e.namespace, e.labels, ni);
      for (const t of e.requiredAffinityTerms) add(t, HARD_POD_AFFINITY_WEIGHT, pod.namespace, pod.labels, ni);
      for (const t of e.preferredAffinityTerms) add(t, t.weight, pod.namespace, pod.labels, ni);
      for (const t of e.preferredAntiAffinityTerms) add(t, -t.weight, pod.namespace, pod.labels, ni);
    }
  }
  const scores = feasible.map((n) => {
    let s = 0;
    for (const k in n.labels) s += m.get(pairKey(k, n.labels[k])) ?? 0;
    return s;
  });
  // Upstream's normalisation, in floating point.
  const min = Math.min(...scores);
  const diff = Math.max(...scores) - min;
  return scores.map((s) => (diff > 0 ? Math.trunc(100 * ((s - min) / diff)) : 0));
}

function included(c: SpreadConstraint, pod: PodInfo, ni: NodeInfo): boolean {
  const aff = pod.requiredNodeAffinity;
  if (c.honorNodeAffinity && aff && !aff(ni.labels, ni.name)) return false;
  return !(c.honorTaints && findUntoleratedTaint(ni.taints, pod.tolerations));
}
const hasAll = (ni: NodeInfo, cs: SpreadConstraint[]) => cs.every((c) => c.topologyKey in ni.labels);

function naiveSpreadCounts(pod: PodInfo, view: ClusterView): Array<Map<string, number>> {
  const cs = spreadConstraints(pod, 'DoNotSchedule');
  return cs.map((c) => {
    const m = new Map<string, number>();
    for (const ni of view.nodes()) {
      if (!hasAll(ni, cs) || !included(c, pod, ni)) continue;
      const v = ni.labels[c.topologyKey];
      m.set(v, (m.get(v) ?? 0) + countMatching(ni, c, pod.namespace));
    }
    return m;
  });
}

function naiveSpreadScores(pod: PodInfo, view: ClusterView, feasible: readonly NodeInfo[]): number[] | undefined {
  const own = (pod.pod.spec.topologySpreadConstraints?.length ?? 0) > 0;
  const sel = own ? undefined : view.defaultSpreadSelector(pod);
  const cs = own ? spreadConstraints(pod, 'ScheduleAnyway') : sel ? defaultSpreadConstraints(sel) : [];
  if (!cs.length) return undefined;
  const ignored = (ni: NodeInfo) => own && !hasAll(ni, cs);
  const kept = feasible.filter((n) => !ignored(n));
  const weights = cs.map((c) => Math.log((c.topologyKey === HOST ? kept.length : new Set(kept.map((n) => n.labels[c.topologyKey] ?? '')).size) + 2));
  const domainCount = (c: SpreadConstraint, v: string) => {
    let n = 0;
    for (const ni of view.nodes()) if ((ni.labels[c.topologyKey] ?? '') === v && !ignored(ni) && included(c, pod, ni)) n += countMatching(ni, c, pod.namespace);
    return n;
  };
  const raw = feasible.map((ni) => {
    if (ignored(ni)) return 0;
    let s = 0;
    cs.forEach((c, i) => {
      const v = ni.labels[c.topologyKey];
      if (v === undefined) return;
      s += (c.topologyKey === HOST ? countMatching(ni, c, pod.namespace) : domainCount(c, v)) * weights[i] + (c.maxSkew - 1);
    });
    return Math.round(s);
  });
  let min = Infinity;
  let max = 0;
  feasible.forEach((ni, i) => {
    if (ignored(ni)) return;
    min = Math.min(min, raw[i]);
    max = Math.max(max, raw[i]);
  });
  return feasible.map((ni, i) => (ignored(ni) ? 0 : max === 0 ? 100 : Math.trunc((100 * (max + min - raw[i])) / max)));
}

const sorted = (m: Map<string, number>) => [...m].filter(([, n]) => n !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

// ---- the properties ----

const SEEDS = Array.from({ length: 400 }, (_, i) => i + 1);

test('InterPodAffinity PreFilter from the indexes: the naive scan’s counts and filter verdicts on random clusters', () => {
  let checked = 0;
  for (const seed of SEEDS) {
    const { cache, pod } = gen(seed);
    const s = interPodAffinityPreFilter(pod, cache);
    const naive = naiveAffinityCounts(pod, cache);
    if (!s) {
      assert.equal(pod.requiredAffinityTerms.length + pod.requiredAntiAffinityTerms.length, 0, `seed ${seed}`);
      assert.equal(naive.existingAnti.size, 0, `seed ${seed}`);
      continue;
    }
    checked++;
    assert.deepEqual(sorted(s.existingAntiAffinityCounts), sorted(naive.existingAnti), `seed ${seed}: existing anti-affinity`);
    assert.deepEqual(sorted(s.affinityCounts), sorted(naive.aff), `seed ${seed}: affinity`);
    assert.deepEqual(sorted(s.antiAffinityCounts), sorted(naive.anti), `seed ${seed}: anti-affinity`);
    const n = {
      ...s,
      existingAntiAffinityCounts: naive.existingAnti,
      existingAntiAffinityKeys: new Set([...naive.existingAnti.keys()].map((k) => k.split('\u0000')[0])),
      affinityCounts: naive.aff,
      antiAffinityCounts: naive.anti,
    };
    for (const ni of cache.nodes()) assert.deepEqual(interPodAffinityFilter(s, ni), interPodAffinityFilter(n, ni), `seed ${seed}: ${ni.name}`);
  }
  assert.ok(checked > 100, `only ${checked} clusters had something to check`);
});

test('InterPodAffinity PreScore from the indexes: the naive scan’s normalized scores on random clusters', () => {
  for (const seed of SEEDS) {
    const { cache, pod } = gen(seed);
    const feasible = cache.nodes();
    const m = interPodAffinityPreScore(pod, cache);
    const expected = naiveAffinityScores(pod, cache, feasible);
    const got = feasible.map((n) => (m ? interPodAffinityScore(m, n) : 0));
    interPodAffinityNormalize(got);
    assert.deepEqual(got, expected, `seed ${seed}`);
  }
});

test('PodTopologySpread PreFilter from the label index: the naive per-node counts and filter verdicts on random clusters', () => {
  let checked = 0;
  for (const seed of SEEDS) {
    const { cache, pod } = gen(seed);
    const s = podTopologySpreadPreFilter(pod, cache);
    const naive = naiveSpreadCounts(pod, cache);
    if (!s) {
      assert.equal(naive.length, 0);
      continue;
    }
    checked++;
    assert.deepEqual(s.counts.map(sorted), naive.map(sorted), `seed ${seed}: counts`);
    assert.deepEqual(s.domainCounts, naive.map((m) => m.size), `seed ${seed}: domains`);
    const n = { ...s, counts: naive, domainCounts: naive.map((m) => m.size), mins: naive.map(() => undefined) };
    for (const ni of cache.nodes()) assert.deepEqual(podTopologySpreadFilter(s, ni), podTopologySpreadFilter(n, ni), `seed ${seed}: ${ni.name}`);
  }
  assert.ok(checked > 50, `only ${checked} clusters had DoNotSchedule constraints`);
});

test('PodTopologySpread PreScore (own and system default constraints): the naive scores on random clusters', () => {
  let own = 0;
  let defaulted = 0;
  for (const seed of SEEDS) {
    const { cache, pod, r } = gen(seed);
    const feasible = cache.nodes().filter(() => r() < 0.7);
    if (feasible.length === 0) continue; // never scored
    const expected = naiveSpreadScores(pod, cache, feasible);
    const s = podTopologySpreadPreScore(pod, feasible, cache);
    if (!expected) {
      assert.equal(s, undefined, `seed ${seed}`);
      continue;
    }
    if (pod.pod.spec.topologySpreadConstraints) own++;
    else defaulted++;
    assert.ok(s, `seed ${seed}`);
    const got = feasible.map((n) => podTopologySpreadScore(s, n));
    podTopologySpreadNormalize(s, feasible, got);
    assert.deepEqual(got, expected, `seed ${seed}`);
  }
  assert.ok(own > 30 && defaulted > 30, `own ${own}, defaulted ${defaulted}`);
});

test('topology domains are remembered until a node’s labels change or a node comes or goes, not on status updates', () => {
  const zone = (name: string, z?: string) => makeNode(name, { labels: z ? { [ZONE]: z } : {} });
  const cache = new SchedulerCache();
  cache.setNode(zone('a', 'z0'));
  cache.setNode(zone('b'));
  const domains = () => [...cache.topologyDomains(ZONE, [ZONE])].sort();
  assert.deepEqual(domains(), ['z0']);
  const first = cache.topologyDomains(ZONE, [ZONE]);
  const heartbeat = zone('a', 'z0');
  heartbeat.status.conditions[0].lastHeartbeatTime = '2024-01-01T00:00:10Z';
  cache.setNode(heartbeat);
  assert.equal(cache.topologyDomains(ZONE, [ZONE]), first, 'a status update keeps the memo');
  cache.setNode(zone('b', 'z1'));
  assert.deepEqual(domains(), ['z0', 'z1']);
  cache.setNode(zone('c', 'z2'));
  assert.deepEqual(domains(), ['z0', 'z1', 'z2']);
  cache.removeNode('a');
  assert.deepEqual(domains(), ['z1', 'z2']);
  // Nodes must carry every required key; hostname domains are node names.
  assert.deepEqual([...cache.topologyDomains(HOST, [HOST, REGION])], []);
  assert.deepEqual([...cache.topologyDomains(HOST, [HOST, ZONE])].sort(), ['b', 'c']);
});
