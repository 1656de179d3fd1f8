// Per-node aggregated state (upstream's NodeInfo) and the scheduler cache
// that keeps one NodeInfo per node current from the informers plus the pods
// the scheduler has assumed onto nodes while their bindings are in flight.
// Filters and scores read only this precomputed state, so checking a node is
// a handful of map lookups and additions. Upstream's per-node lists of pods
// with (anti-)affinity are replaced by the cache's cluster-wide indexes
// (pod-index.ts), which hand a cycle only the pods and terms that can match.

import type { LabelSelector } from '../api/labels.js';
import { PodInfo, podKey } from './pod-info.js';
import { AffinityTermIndex, HARD_POD_AFFINITY_WEIGHT, PodLabelIndex, type TermEntry } from './pod-index.js';
import { addResource, cloneResource, emptyResource, resourceFromList, type Resource } from './resources.js';
import type { Labels, Taint } from './selectors.js';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

const NO_LABELS: Labels = Object.freeze({}) as Labels;

/** `image` -> `image:latest` when it carries no tag, as the kubelet reports names. */
export function normalizedImageName(name: string): string {
  if (name.lastIndexOf(':') <= name.lastIndexOf('/') && !name.includes('@')) return `${name}:latest`;
  return name;
}

/**
 * The node's taints as the scheduler applies them. Upstream's node lifecycle
 * controller taints nodes whose Ready condition is False (not-ready) or
 * Unknown/missing (unreachable); kts may not run that controller, so the
 * same taint is assumed here when the node does not carry it already.
 */
export function effectiveTaints(node: any): Taint[] {
  const taints: Taint[] = (node?.spec?.taints ?? []).map((t: any) => ({ key: t?.key ?? '', value: t?.value ?? '', effect: t?.effect ?? '' }));
  const ready = readyStatus(node);
  if (ready !== 'True') {
    const key = ready === 'False' ? TAINT_NOT_READY : TAINT_UNREACHABLE;
    if (!taints.some((t) => t.key === key)) taints.push({ key, value: '', effect: 'NoSchedule' });
  }
  return taints;
}

/** The Ready condition's status ('' when absent). */
export function readyStatus(node: any): string {
  for (const c of node?.status?.conditions ?? []) if (c?.type === 'Ready') return String(c.status ?? '');
  return '';
}

export class NodeInfo {
  node: any = undefined;
  labels: Labels = NO_LABELS;
  taints: Taint[] = [];
  unschedulable = false;
  allocatable: Resource = emptyResource();
  /** Sum of the pods' requests. */
  requested: Resource = emptyResource();
  /** Sum with cpu/memory defaults for pods that request none (scoring). */
  nonZeroRequested: Resource = emptyResource();
  readonly pods = new Map<string, PodInfo>();
  /** `protocol/port/ip` -> number of pods using it. */
  readonly usedPorts = new Map<string, number>();
  /** normalized image name -> size in bytes. */
  images = new Map<string, number>();
  /** Bumped on every change (for tests and cheap change detection). */
  generation = 0;

  constructor(readonly name: string) {}

  setNode(node: any): void {
    this.node = node;
    this.labels = node?.metadata?.labels ?? NO_LABELS;
    this.taints = effectiveTaints(node);
    this.unschedulable = !!node?.spec?.unschedulable;
    this.allocatable = resourceFromList(node?.status?.allocatable);
    const images = new Map<string, number>();
    for (const img of node?.status?.images ?? []) {
      const size = Number(img?.sizeBytes ?? 0);
      for (const n of img?.names ?? []) images.set(normalizedImageName(String(n)), size);
    }
    this.images = images;
    this.generation++;
  }

  addPod(pi: PodInfo): void {
    this.removePod(pi.key);
    this.pods.set(pi.key, pi);
    addResource(this.requested, pi.requests);
    addResource(this.nonZeroRequested, pi.nonZero);
    for (const hp of pi.hostPorts) {
      const k = portKey(hp.protocol, hp.port, hp.ip);
      this.usedPorts.set(k, (this.usedPorts.get(k) ?? 0) + 1);
    }
    this.generation++;
  }

  removePod(key: string): PodInfo | undefined {
    const pi = this.pods.get(key);
    if (!pi) return undefined;
    this.pods.delete(key);
    addResource(this.requested, pi.requests, -1);
    addResource(this.nonZeroRequested, pi.nonZero, -1);
    for (const hp of pi.hostPorts) {
      const k = portKey(hp.protocol, hp.port, hp.ip);
      const n = (this.usedPorts.get(k) ?? 0) - 1;
      if (n > 0) this.usedPorts.set(k, n);
      else this.usedPorts.delete(k);
    }
    this.generation++;
    return pi;
  }

  /** Whether a host port is taken: 0.0.0.0 conflicts with every address, and every address with 0.0.0.0. */
  portInUse(protocol: string, port: number, ip: string): boolean {
    if (this.usedPorts.size === 0) return false;
    if (ip === '0.0.0.0') {
      const prefix = `${protocol}/${port}/`;
      for (const k of this.usedPorts.keys()) if (k.startsWith(prefix)) return true;
      return false;
    }
    return this.usedPorts.has(portKey(protocol, port, ip)) || this.usedPorts.has(portKey(protocol, port, '0.0.0.0'));
  }

  /** A deep-enough copy for what-if simulations (preemption, nominated pods). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.node = this.node;
    c.labels = this.labels;
    c.taints = this.taints;
    c.unschedulable = this.unschedulable;
    c.allocatable = this.allocatable;
    c.requested = cloneResource(this.requested);
    c.nonZeroRequested = cloneResource(this.nonZeroRequested);
    for (const [k, v] of this.pods) c.pods.set(k, v);
    for (const [k, v] of this.usedPorts) c.usedPorts.set(k, v);
    c.images = this.images;
    c.generation = this.generation;
    return c;
  }
}

function portKey(protocol: string, port: number, ip: string): string {
  return `${protocol}/${port}/${ip}`;
}

/** What plugins may read about the whole cluster. */
export interface ClusterView {
  /** Every node known (with a Node object), in a stable order. */
  nodes(): readonly NodeInfo[];
  nodeInfo(name: string): NodeInfo | undefined;
  /** Labels of a namespace (for namespaceSelector); undefined when unknown. */
  namespaceLabels(ns: string): Labels | undefined;
  /** On how many nodes an (normalized) image is present. */
  imageNodeCount(image: string): number;
  /** How many assigned pods have any pod (anti-)affinity term (lets plugins skip cluster-wide scans). */
  podsWithAffinityCount(): number;
  /** How many assigned pods have required anti-affinity terms. */
  podsWithRequiredAntiAffinityCount(): number;
  /** A superset of the assigned pods that all the selectors match (check each). */
  podCandidates(...selectors: LabelSelector[]): Iterable<PodInfo>;
  /** A superset of the assigned pods' required anti-affinity terms that could select a pod with these labels. */
  requiredAntiAffinityTermCandidates(labels: Labels): Iterable<TermEntry>;
  /**
   * Likewise for the terms that score an incoming pod: required affinity
   * (at the hard pod affinity weight), preferred affinity (+weight) and
   * preferred anti-affinity (-weight).
   */
  scoringTermCandidates(labels: Labels): Iterable<TermEntry>;
  /**
   * The selector of the system default spread constraints for a pod without
   * its own constraints (from the Services, ReplicationController,
   * ReplicaSet or StatefulSet selecting it); undefined when there is none.
   */
  defaultSpreadSelector(pod: PodInfo): LabelSelector | undefined;
  /**
   * The values of `topologyKey` over the nodes that carry every one of
   * `requiredKeys` (topology spread domains when no node is left out by
   * node affinity or taints). Remembered until a node's labels change or a
   * node comes or goes.
   */
  topologyDomains(topologyKey: string, requiredKeys: readonly string[]): ReadonlySet<string>;
}

/** Which aspects of a node changed in an update (what could make pending pods schedulable). */
export interface NodeChange {
  allocatable: boolean;
  labels: boolean;
  taints: boolean;
  unschedulable: boolean;
  ready: boolean;
}

export class SchedulerCache implements ClusterView {
  private readonly infos = new Map<string, NodeInfo>();
  private list: NodeInfo[] = [];
  private readonly listIndex = new Map<string, number>();
  /** pod key -> node name, for assigned and assumed pods. */
  private readonly podNodes = new Map<string, string>();
  private readonly assumed = new Set<string>();
  private readonly imageNodes = new Map<string, number>();
  private withAffinity = 0;
  private withRequiredAntiAffinity = 0;
  private readonly podIndex = new PodLabelIndex();
  private readonly antiAffinityTerms = new AffinityTermIndex();
  private readonly scoringTerms = new AffinityTermIndex();
  /** Bumped when a node's labels change or a node comes or goes (heartbeats do not). */
  private labelsVersion = 0;
  private domainsVersion = -1;
  private readonly domains = new Map<string, ReadonlySet<string>>();

  constructor(
    private readonly nsLabels: (ns: string) => Labels | undefined = () => undefined,
    private readonly spreadSelector: (pod: PodInfo) => LabelSelector | undefined = () => undefined,
  ) {}

  // ---- ClusterView ----

  nodes(): readonly NodeInfo[] {
    return this.list;
  }

  nodeInfo(name: string): NodeInfo | undefined {
    const ni = this.infos.get(name);
    return ni?.node ? ni : undefined;
  }

  namespaceLabels(ns: string): Labels | undefined {
    return this.nsLabels(ns);
  }

  imageNodeCount(image: string): number {
    return this.imageNodes.get(image) ?? 0;
  }

  podsWithAffinityCount(): number {
    return this.withAffinity;
  }

  podsWithRequiredAntiAffinityCount(): number {
    return this.withRequiredAntiAffinity;
  }

  podCandidates(...selectors: LabelSelector[]): Iterable<PodInfo> {
    return this.podIndex.candidates(...selectors);
  }

  requiredAntiAffinityTermCandidates(labels: Labels): Iterable<TermEntry> {
    return this.antiAffinityTerms.candidates(labels);
  }

  scoringTermCandidates(labels: Labels): Iterable<TermEntry> {
    return this.scoringTerms.candidates(labels);
  }

  defaultSpreadSelector(pod: PodInfo): LabelSelector | undefined {
    return this.spreadSelector(pod);
  }

  topologyDomains(topologyKey: string, requiredKeys: readonly string[]): ReadonlySet<string> {
    if (this.domainsVersion !== this.labelsVersion) {
      this.domains.clear();
      this.domainsVersion = this.labelsVersion;
    }
    const memo = `${requiredKeys.join('\u0000')}\u0000\u0000${topologyKey}`;
    let set = this.domains.get(memo);
    if (!set) {
      const values = new Set<string>();
      for (const ni of this.list) {
        if (requiredKeys.every((k) => k in ni.labels)) values.add(ni.labels[topologyKey]);
      }
      this.domains.set(memo, (set = values));
    }
    return set;
  }

  get numNodes(): number {
    return this.list.length;
  }

  // ---- nodes ----

  /** Adds or replaces a node; returns what changed (all true for a new node). */
  setNode(node: any): NodeChange {
    const name: string = node?.metadata?.name ?? '';
    let ni = this.infos.get(name);
    if (!ni) {
      ni = new NodeInfo(name);
      this.infos.set(name, ni);
    }
    const old = ni.node;
    if (old) this.countImages(ni, -1);
    ni.setNode(node);
    this.countImages(ni, 1);
    if (!this.listIndex.has(name)) {
      this.listIndex.set(name, this.list.length);
      this.list.push(ni);
    }
    if (!old) {
      this.labelsVersion++;
      return { allocatable: true, labels: true, taints: true, unschedulable: true, ready: true };
    }
    const change = nodeChange(old, node);
    if (change.labels) this.labelsVersion++;
    return change;
  }

  removeNode(name: string): void {
    const ni = this.infos.get(name);
    if (!ni) return;
    if (ni.node) this.countImages(ni, -1);
    ni.node = undefined;
    this.labelsVersion++;
    const i = this.listIndex.get(name);
    if (i !== undefined) {
      const last = this.list.pop()!;
      if (last !== ni) {
        this.list[i] = last;
        this.listIndex.set(last.name, i);
      }
      this.listIndex.delete(name);
    }
    // Pods still bound to a vanished node keep their NodeInfo until they go.
    if (ni.pods.size === 0) this.infos.delete(name);
  }

  private countImages(ni: NodeInfo, delta: number): void {
    for (const image of ni.images.keys()) {
      const n = (this.imageNodes.get(image) ?? 0) + delta;
      if (n > 0) this.imageNodes.set(image, n);
      else this.imageNodes.delete(image);
    }
  }

  // ---- pods ----

  /** Adds or updates an assigned pod (confirming it if it was assumed). */
  setPod(pod: any): void {
    const nodeName: string = pod?.spec?.nodeName ?? '';
    if (!nodeName) return;
    const key = podKey(pod);
    this.assumed.delete(key);
    this.place(key, nodeName, new PodInfo(pod));
  }

  removePod(pod: any): void {
    this.removeKey(podKey(pod));
  }

  removeKey(key: string): void {
    const nodeName = this.podNodes.get(key);
    if (nodeName === undefined) return;
    this.podNodes.delete(key);
    this.assumed.delete(key);
    const ni = this.infos.get(nodeName);
    if (!ni) return;
    const pi = ni.removePod(key);
    if (pi) this.countAffinity(pi, -1);
    if (!ni.node && ni.pods.size === 0) this.infos.delete(nodeName);
  }

  /** Keeps the counts and cluster-wide indexes in step with the NodeInfos (delta 1: added, -1: removed). */
  private countAffinity(pi: PodInfo, delta: number): void {
    if (delta > 0) this.podIndex.add(pi);
    else this.podIndex.remove(pi);
    if (pi.hasAffinity) this.withAffinity += delta;
    if (pi.requiredAntiAffinityTerms.length) this.withRequiredAntiAffinity += delta;
    if (!pi.hasAffinity) return;
    if (delta < 0) {
      this.antiAffinityTerms.removePod(pi);
      this.scoringTerms.removePod(pi);
      return;
    }
    for (const t of pi.requiredAntiAffinityTerms) this.antiAffinityTerms.add(pi, t, 0);
    for (const t of pi.requiredAffinityTerms) this.scoringTerms.add(pi, t, HARD_POD_AFFINITY_WEIGHT);
    for (const t of pi.preferredAffinityTerms) if (t.weight) this.scoringTerms.add(pi, t, t.weight);
    for (const t of pi.preferredAntiAffinityTerms) if (t.weight) this.scoringTerms.add(pi, t, -t.weight);
  }

  /** Counts a pod against its chosen node before the binding is visible in the informer. */
  assumePod(pi: PodInfo): void {
    const nodeName: string = pi.pod?.spec?.nodeName ?? '';
    this.place(pi.key, nodeName, pi);
    this.assumed.add(pi.key);
  }

  /** Undoes assumePod (binding failed). A pod the informer already confirmed stays. */
  forgetPod(key: string): void {
    if (this.assumed.has(key)) this.removeKey(key);
  }

  isAssumed(key: string): boolean {
    return this.assumed.has(key);
  }

  /** The node an assigned or assumed pod is counted on. */
  nodeOfPod(key: string): string | undefined {
    return this.podNodes.get(key);
  }

  private place(key: string, nodeName: string, pi: PodInfo): void {
    const prev = this.podNodes.get(key);
    if (prev !== undefined) {
      const old = this.infos.get(prev);
      const removed = old?.removePod(key);
      if (removed) this.countAffinity(removed, -1);
      if (old && !old.node && old.pods.size === 0 && prev !== nodeName) this.infos.delete(prev);
    }
    let ni = this.infos.get(nodeName);
    if (!ni) {
      ni = new NodeInfo(nodeName);
      this.infos.set(nodeName, ni);
    }
    ni.addPod(pi);
    this.countAffinity(pi, 1);
    this.podNodes.set(key, nodeName);
  }
}

function sameJSON(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export function nodeChange(oldNode: any, newNode: any): NodeChange {
  return {
    allocatable: !sameJSON(oldNode?.status?.allocatable, newNode?.status?.allocatable),
    labels: !sameJSON(oldNode?.metadata?.labels, newNode?.metadata?.labels),
    taints: !sameJSON(oldNode?.spec?.taints, newNode?.spec?.taints),
    unschedulable: !!oldNode?.spec?.unschedulable !== !!newNode?.spec?.unschedulable,
    ready: readyStatus(oldNode) !== readyStatus(newNode),
  };
}
