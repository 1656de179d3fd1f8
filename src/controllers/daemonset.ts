// The DaemonSet controller (upstream pkg/controller/daemon): one pod of
// each DaemonSet on every node that should run it.
//
// A node should run a DaemonSet's pod when the pod (with the default
// DaemonSet tolerations added) matches the node's labels (nodeSelector,
// required node affinity) and tolerates its NoSchedule and NoExecute
// taints; a pod already there may keep running unless a NoExecute taint
// is not tolerated. The checks are the scheduler's own predicates. Pods are
// created with required node affinity `metadata.name In [node]`, so the
// default scheduler binds them, as upstream does.
//
// Event handlers only map events to DaemonSet keys (pods and
// ControllerRevisions through their controller ownerReference, nodes to
// the DaemonSets whose placement they change). syncDaemonSet is
// level-triggered: claim the pods and ControllerRevisions, make the
// current revision, create missing pods and delete misplaced, failed or
// duplicate ones, then, when nothing is in flight, roll old pods
// (RollingUpdate: delete within maxUnavailable, or with maxSurge create the
// new pod next to the old one, which goes once the new one is available;
// OnDelete waits for the user), prune old revisions and write the status
// back.

import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { ApiClient } from '../client/types.js';
import { isNotFound, ApiRequestError } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { UIDTrackingControllerExpectations } from '../client/expectations.js';
import { clone, metaNamespaceKey, objectOf, splitMetaNamespaceKey, NAMESPACE_INDEX, type DeletedFinalStateUnknown } from '../client/store.js';
import { NodeInfo } from '../scheduler/node-info.js';
import { PodInfo } from '../scheduler/pod-info.js';
import { nodeAffinityFilter } from '../scheduler/plugins/node-affinity.js';
import { findUntoleratedTaint } from '../scheduler/plugins/taint-toleration.js';
import { QueueController, type ControllerOptions } from './base.js';
import { claimObjects, recheckOwner } from './controller-ref.js';
import { ApiEventRecorder, type EventRecorder } from './events.js';
import { computeHash, scaledValueFromIntOrPercent } from './deployment-util.js';
import { BURST_REPLICAS, SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch, setOrOmit } from './replicaset.js';
import {
  compareByCreation,
  deepEqual,
  errorMessage,
  getControllerOf,
  groupOf,
  isNamespaceTerminating,
  isPodAvailable,
  isPodReady,
  labelSelectorOf,
  labelsEqual,
  newControllerRef,
  parseSelectorStrict,
  parseTime,
  podsPath,
} from './util.js';

export const DEFAULT_DAEMONSET_UNIQUE_LABEL_KEY = 'controller-revision-hash';
export const DAEMONSET_TEMPLATE_GENERATION_KEY = 'pod-template-generation';
/** Set by upstream's API server on DaemonSets; kts falls back to metadata.generation. */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NODE_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_NODE_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_NODE_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_NODE_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

export const controllerRevisionsPath = (ns: string): string => `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/controllerrevisions`;
export const daemonSetsPath = (ns: string): string => `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/daemonsets`;

export interface DaemonSetControllerOptions extends ControllerOptions {
  burstReplicas?: number;
  recorder?: EventRecorder;
  now?: () => number;
}

export class DaemonSetController extends QueueController {
  readonly expectations = new UIDTrackingControllerExpectations();
  readonly recorder: EventRecorder;
  private readonly dsInformer: Informer<DaemonSet>;
  private readonly podInformer: Informer<Pod>;
  private readonly nodeInformer: Informer<Node>;
  private readonly historyInformer: Informer<any>;
  private readonly burstReplicas: number;
  private readonly now: () => number;

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    opts: DaemonSetControllerOptions = {},
  ) {
    super('daemonset', opts);
    this.burstReplicas = opts.burstReplicas ?? BURST_REPLICAS;
    this.now = opts.now ?? Date.now;
    this.recorder = opts.recorder ?? new ApiEventRecorder(client, 'daemonset-controller');
    this.dsInformer = factory.informerFor<DaemonSet>('/apis/apps/v1/daemonsets');
    this.podInformer = factory.informerFor<Pod>('/api/v1/pods');
    this.nodeInformer = factory.informerFor<Node>('/api/v1/nodes');
    this.historyInformer = factory.informerFor<any>('/apis/apps/v1/controllerrevisions');
    this.registrations.push(
      this.dsInformer.addEventHandler({
        onAdd: (ds) => this.enqueueDS(ds),
        onUpdate: (oldDS, curDS) => {
          if (oldDS.metadata?.uid !== curDS.metadata?.uid) this.deleteDS(oldDS);
          this.enqueueDS(curDS);
        },
        onDelete: (obj) => this.deleteDS(obj),
      }),
      this.podInformer.addEventHandler({
        onAdd: (pod) => this.addPod(pod),
        onUpdate: (oldPod, curPod) => this.updatePod(oldPod, curPod),
        onDelete: (obj) => this.deletePod(obj),
      }),
      this.nodeInformer.addEventHandler({
        onAdd: (node) => this.enqueueAllFor(node, undefined),
        onUpdate: (oldNode, curNode) => this.enqueueAllFor(curNode, oldNode),
        onDelete: () => {
          for (const ds of this.dsInformer.list()) this.enqueueDS(ds);
        },
      }),
      this.historyInformer.addEventHandler({
        onAdd: (h) => this.enqueueOwnerOf(h),
        onUpdate: (oldH, curH) => {
          if (!deepEqual(getControllerOf(oldH), getControllerOf(curH))) this.enqueueOwnerOf(oldH);
          this.enqueueOwnerOf(curH);
        },
        onDelete: (obj) => this.enqueueOwnerOf(objectOf(obj)),
      }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.dsInformer, this.podInformer, this.nodeInformer, this.historyInformer];
  }

  // ---- event handlers: events to keys ----

  private enqueueDS(ds: DaemonSet): void {
    this.enqueue(metaNamespaceKey(ds));
  }

  private deleteDS(obj: DaemonSet | DeletedFinalStateUnknown<DaemonSet>): void {
    const key = metaNamespaceKey(objectOf(obj));
    this.expectations.deleteExpectations(key);
    this.enqueue(key);
  }

  private resolveControllerRef(namespace: string, ref: { kind: string; apiVersion: string; name: string; uid: string }): DaemonSet | undefined {
    if (ref.kind !== 'DaemonSet' || groupOf(ref.apiVersion) !== 'apps') return undefined;
    const ds = this.dsInformer.getByName(namespace, ref.name);
    return ds && ds.metadata?.uid === ref.uid ? ds : undefined;
  }

  /** DaemonSets in the object's namespace whose (non-empty) selector matches it. */
  private matchingDaemonSets(obj: any): DaemonSet[] {
    return this.dsInformer.byIndex(NAMESPACE_INDEX, obj.metadata?.namespace ?? '').filter((ds) => {
      const sel = labelSelectorOf(ds.spec?.selector as any);
      return !sel.isEverything() && sel.matches(obj.metadata?.labels);
    });
  }

  private enqueueOwnerOf(obj: any): void {
    const ref = getControllerOf(obj);
    if (ref) {
      const ds = this.resolveControllerRef(obj.metadata?.namespace ?? '', ref);
      if (ds) this.enqueueDS(ds);
      return;
    }
    for (const ds of this.matchingDaemonSets(obj)) this.enqueueDS(ds);
  }

  private addPod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      this.deletePod(pod);
      return;
    }
    const ref = getControllerOf(pod);
    if (ref) {
      const ds = this.resolveControllerRef(pod.metadata?.namespace ?? '', ref);
      if (!ds) return;
      const key = metaNamespaceKey(ds);
      this.expectations.creationObserved(key);
      this.enqueue(key);
      return;
    }
    for (const ds of this.matchingDaemonSets(pod)) this.enqueueDS(ds);
  }

  private updatePod(oldPod: Pod, curPod: Pod): void {
    if (oldPod.metadata?.resourceVersion === curPod.metadata?.resourceVersion) return;
    if (curPod.metadata?.deletionTimestamp) {
      this.deletePod(curPod);
      return;
    }
    const curRef = getControllerOf(curPod);
    const oldRef = getControllerOf(oldPod);
    const refChanged = !deepEqual(curRef, oldRef);
    if (refChanged && oldRef) {
      const ds = this.resolveControllerRef(oldPod.metadata?.namespace ?? '', oldRef);
      if (ds) this.enqueueDS(ds);
    }
    if (curRef) {
      const ds = this.resolveControllerRef(curPod.metadata?.namespace ?? '', curRef);
      if (!ds) return;
      this.enqueueDS(ds);
      const minReady = ds.spec?.minReadySeconds ?? 0;
      if (!isPodReady(oldPod) && isPodReady(curPod) && minReady > 0) {
        this.queue.addAfter(metaNamespaceKey(ds), minReady * 1000 + 1000);
      }
      return;
    }
    if (refChanged || !labelsEqual(oldPod.metadata?.labels, curPod.metadata?.labels)) {
      for (const ds of this.matchingDaemonSets(curPod)) this.enqueueDS(ds);
    }
  }

  private deletePod(obj: Pod | DeletedFinalStateUnknown<Pod>): void {
    const pod = objectOf(obj);
    const ref = getControllerOf(pod);
    if (!ref) return;
    const ds = this.resolveControllerRef(pod.metadata?.namespace ?? '', ref);
    if (!ds) return;
    const key = metaNamespaceKey(ds);
    this.expectations.deletionObservedOf(key, metaNamespaceKey(pod));
    this.enqueue(key);
  }

  /** A node added or changed: the DaemonSets whose placement on it may differ. */
  private enqueueAllFor(node: Node, oldNode: Node | undefined): void {
    if (oldNode && oldNode.metadata?.resourceVersion === node.metadata?.resourceVersion) return;
    for (const ds of this.dsInformer.list()) {
      const cur = nodeShouldRunDaemonPod(node, ds);
      if (!oldNode) {
        if (cur.shouldRun || cur.shouldContinueRunning) this.enqueueDS(ds);
        continue;
      }
      const prev = nodeShouldRunDaemonPod(oldNode, ds);
      if (prev.shouldRun !== cur.shouldRun || prev.shouldContinueRunning !== cur.shouldContinueRunning) this.enqueueDS(ds);
    }
  }

  // ---- sync ----

  protected async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const cached = this.dsInformer.getByName(namespace, name);
    if (!cached) {
      this.expectations.deleteExpectations(key);
      return;
    }
    let selector;
    try {
      selector = parseSelectorStrict(cached.spec?.selector as any);
    } catch (e) {
      console.error(`daemonset ${key}: invalid selector: ${errorMessage(e)}`);
      return;
    }
    if (selector.isEverything()) return; // an empty selector would select every pod of the namespace
    if (cached.metadata?.deletionTimestamp) return; // the garbage collector removes its pods
    const ds = clone(cached);
    const dsPath = `${daemonSetsPath(namespace)}/${encodeURIComponent(name)}`;
    const canAdopt = recheckOwner(this.client, dsPath, ds, 'DaemonSet');

    const { cur, old } = await this.constructHistory(ds, selector, canAdopt);
    const hash: string = cur.metadata?.labels?.[DEFAULT_DAEMONSET_UNIQUE_LABEL_KEY] ?? '';

    const nsPods = this.podInformer.byIndex(NAMESPACE_INDEX, namespace);
    const pods = await claimObjects(nsPods, {
      client: this.client,
      owner: ds,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'DaemonSet',
      selector,
      pathOf: (p) => `${podsPath(namespace)}/${encodeURIComponent(p.metadata.name)}`,
      canAdopt,
    });
    const nodes = this.nodeInformer.list();
    const nodeToPods = nodesToDaemonPods(pods);

    let err: unknown;
    if (this.expectations.satisfied(key)) {
      try {
        const { nodesNeedingPods, podsToDelete } = computeNodeActions(ds, nodes, nodeToPods, hash, this.now());
        await this.syncNodes(ds, podsToDelete, nodesNeedingPods, hash);
        // Roll only from a settled state: the cache may already show this sync's creations, not its view of them.
        const settled = nodesNeedingPods.length === 0 && podsToDelete.length === 0;
        if (settled && (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
          const roll = rollingUpdate(ds, nodes, nodeToPods, hash, this.now());
          await this.syncNodes(ds, roll.podsToDelete, roll.nodesNeedingPods, hash);
        }
        await this.cleanupHistory(ds, old, pods);
      } catch (e) {
        err = e;
      }
    }
    const status = calculateDaemonSetStatus(ds, nodes, nodeToPods, hash, this.now());
    const updated = await this.updateStatus(ds, status);
    const minReady = ds.spec?.minReadySeconds ?? 0;
    if (err === undefined && minReady > 0 && (updated.status?.numberReady ?? 0) !== (updated.status?.numberAvailable ?? 0)) {
      this.queue.addAfter(key, minReady * 1000);
    }
    if (err !== undefined) throw err;
  }

  /** Creates pods on `nodesNeedingPods` (slow start) and deletes `podsToDelete`, with expectations. */
  private async syncNodes(ds: DaemonSet, podsToDelete: Pod[], nodesNeedingPods: string[], hash: string): Promise<void> {
    const key = metaNamespaceKey(ds);
    const creates = nodesNeedingPods.slice(0, this.burstReplicas);
    const deletes = podsToDelete.slice(0, this.burstReplicas);
    if (!creates.length && !deletes.length) return;
    this.expectations.expectDeletionsOf(
      key,
      deletes.map((p) => metaNamespaceKey(p)),
    );
    this.expectations.raiseExpectations(key, creates.length, 0);
    const errors: unknown[] = [];
    const template = newDaemonPodTemplate(ds, templateGeneration(ds), hash);
    let next = 0;
    const { successes, error } = await slowStartBatch(creates.length, SLOW_START_INITIAL_BATCH_SIZE, () => this.createPod(ds, template, creates[next++]));
    for (let i = successes; i < creates.length; i++) this.expectations.creationObserved(key);
    if (error !== undefined) errors.push(error);
    await Promise.all(
      deletes.map(async (p) => {
        try {
          await this.deletePodOf(ds, p);
        } catch (e) {
          this.expectations.deletionObservedOf(key, metaNamespaceKey(p));
          if (!isNotFound(e)) errors.push(e);
        }
      }),
    );
    if (errors.length) throw errors[0];
  }

  private async createPod(ds: DaemonSet, template: any, nodeName: string): Promise<void> {
    const pod = podForNode(ds, template, nodeName);
    const ref = { ...ds, kind: 'DaemonSet', apiVersion: 'apps/v1' };
    let created: any;
    try {
      created = await this.client.create(podsPath(ds.metadata!.namespace!), pod);
    } catch (e) {
      if (isNamespaceTerminating(e)) return;
      this.recorder.event(ref, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(e)}`);
      throw e;
    }
    this.recorder.event(ref, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
  }

  private async deletePodOf(ds: DaemonSet, pod: Pod): Promise<void> {
    const ref = { ...ds, kind: 'DaemonSet', apiVersion: 'apps/v1' };
    try {
      await this.client.delete(`${podsPath(pod.metadata!.namespace!)}/${encodeURIComponent(pod.metadata!.name!)}`, {});
    } catch (e) {
      if (!isNotFound(e)) this.recorder.event(ref, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(e)}`);
      throw e;
    }
    this.recorder.event(ref, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata!.name}`);
  }

  // ---- ControllerRevisions ----

  /**
   * Claims the DaemonSet's ControllerRevisions and returns the one holding
   * the current template (created, or renumbered to be the newest) and the
   * others. Duplicates of the current revision are deleted.
   */
  private async constructHistory(ds: DaemonSet, selector: any, canAdopt: () => Promise<void>): Promise<{ cur: any; old: any[] }> {
    const ns = ds.metadata!.namespace!;
    const histories: any[] = await claimObjects(this.historyInformer.byIndex(NAMESPACE_INDEX, ns), {
      client: this.client,
      owner: ds,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'DaemonSet',
      selector,
      pathOf: (h) => `${controllerRevisionsPath(ns)}/${encodeURIComponent(h.metadata.name)}`,
      canAdopt,
    });
    const data = revisionData(ds);
    let maxRev = 0;
    for (const h of histories) maxRev = Math.max(maxRev, Number(h.revision ?? 0));
    const current = histories.filter((h) => deepEqual(h.data, data)).sort((a, b) => Number(b.revision ?? 0) - Number(a.revision ?? 0));
    const old = histories.filter((h) => !current.includes(h));
    let cur = current[0];
    for (const dup of current.slice(1)) {
      try {
        await this.client.delete(`${controllerRevisionsPath(ns)}/${encodeURIComponent(dup.metadata.name)}`, {});
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    if (cur) {
      if (Number(cur.revision ?? 0) < maxRev) {
        cur = await this.client.update(`${controllerRevisionsPath(ns)}/${encodeURIComponent(cur.metadata.name)}`, { ...clone(cur), revision: maxRev + 1 });
      }
      return { cur, old };
    }
    const collisionCount = ds.status?.collisionCount ?? 0;
    const hash = computeHash(ds.spec?.template, collisionCount);
    const revision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: controllerRevisionName(ds.metadata!.name!, hash),
        namespace: ns,
        labels: { ...(ds.spec?.template?.metadata?.labels ?? {}), [DEFAULT_DAEMONSET_UNIQUE_LABEL_KEY]: hash },
        annotations: { ...(ds.metadata?.annotations ?? {}) },
        ownerReferences: [newControllerRef(ds, 'apps/v1', 'DaemonSet')],
      },
      data,
      revision: maxRev + 1,
    };
    try {
      cur = await this.client.create(controllerRevisionsPath(ns), revision);
    } catch (e) {
      if (!(e instanceof ApiRequestError) || e.code !== 409) throw e;
      const existing = await this.client.get(`${controllerRevisionsPath(ns)}/${encodeURIComponent(revision.metadata.name)}`);
      if (getControllerOf(existing)?.uid === ds.metadata?.uid && deepEqual(existing.data, data)) return { cur: existing, old };
      // A hash collision: bump collisionCount so the next sync hashes differently.
      const statusPath = `${daemonSetsPath(ns)}/${encodeURIComponent(ds.metadata!.name!)}/status`;
      const fresh = await this.client.get(statusPath.slice(0, -'/status'.length));
      await this.client.update(statusPath, { ...fresh, status: { ...(fresh.status ?? {}), collisionCount: (fresh.status?.collisionCount ?? 0) + 1 } });
      throw new Error(`found a hash collision for DaemonSet ${ns}/${ds.metadata!.name}; bumped collisionCount`);
    }
    return { cur, old };
  }

  /** Deletes the oldest revisions beyond revisionHistoryLimit that no live pod still runs. */
  private async cleanupHistory(ds: DaemonSet, old: any[], pods: Pod[]): Promise<void> {
    const limit = ds.spec?.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
    let toKill = old.length - limit;
    if (toKill <= 0) return;
    const live = new Set(pods.map((p) => p.metadata?.labels?.[DEFAULT_DAEMONSET_UNIQUE_LABEL_KEY]).filter(Boolean));
    const ns = ds.metadata!.namespace!;
    for (const h of [...old].sort((a, b) => Number(a.revision ?? 0) - Number(b.revision ?? 0))) {
      if (toKill <= 0) break;
      if (live.has(h.metadata?.labels?.[DEFAULT_DAEMONSET_UNIQUE_LABEL_KEY])) continue;
      try {
        await this.client.delete(`${controllerRevisionsPath(ns)}/${encodeURIComponent(h.metadata.name)}`, {});
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      toKill--;
    }
  }

  /** Writes the status if it changed; retries once on a stale object. */
  private async updateStatus(ds: DaemonSet, newStatus: any): Promise<DaemonSet> {
    const cur: any = ds.status ?? {};
    const generation = ds.metadata?.generation ?? 0;
    const fields = ['desiredNumberScheduled', 'currentNumberScheduled', 'numberMisscheduled', 'numberReady', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable'];
    if (fields.every((f) => (cur[f] ?? 0) === (newStatus[f] ?? 0)) && generation === (cur.observedGeneration ?? 0)) return ds;
    let target: any = ds;
    const path = `${daemonSetsPath(ds.metadata!.namespace!)}/${encodeURIComponent(ds.metadata!.name!)}/status`;
    for (let attempt = 0; ; attempt++) {
      const status: any = { ...(target.status ?? {}), ...newStatus };
      for (const f of ['updatedNumberScheduled', 'numberAvailable', 'numberUnavailable']) setOrOmit(status, f, newStatus[f] ?? 0);
      if (target.metadata.generation) status.observedGeneration = target.metadata.generation;
      try {
        return await this.client.update(path, { ...target, status });
      } catch (e) {
        if (attempt >= 1 || isNotFound(e)) throw e;
        target = await this.client.get(path.slice(0, -'/status'.length));
      }
    }
  }
}

// ---- pure parts (exported for tests) ----

/** Upstream's ControllerRevisionName: `<prefix>-<hash>`, the prefix cut to 223 characters. */
export function controllerRevisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

/** The revision's data: a strategic merge patch replacing the whole pod template (upstream getPatch). */
export function revisionData(ds: DaemonSet): any {
  return { spec: { template: { ...clone((ds.spec?.template ?? {}) as any), $patch: 'replace' } } };
}

/** The DaemonSet's template generation: the deprecated annotation, else metadata.generation. */
export function templateGeneration(ds: DaemonSet): number | undefined {
  const a = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  if (a !== undefined && /^\d+$/.test(a)) return Number(a);
  return ds.metadata?.generation;
}

/** Upstream's IsPodUpdated: the pod carries the current revision hash or template generation. */
export function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata?.labels ?? {};
  const templateMatches = generation !== undefined && labels[DAEMONSET_TEMPLATE_GENERATION_KEY] === String(generation);
  const hashMatches = hash.length > 0 && labels[DEFAULT_DAEMONSET_UNIQUE_LABEL_KEY] === hash;
  return hashMatches || templateMatches;
}

const DEFAULT_TOLERATIONS: any[] = [
  { key: TAINT_NODE_NOT_READY, operator: 'Exists', effect: 'NoExecute' },
  { key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
  { key: TAINT_NODE_DISK_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
  { key: TAINT_NODE_MEMORY_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
  { key: TAINT_NODE_PID_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
  { key: TAINT_NODE_UNSCHEDULABLE, operator: 'Exists', effect: 'NoSchedule' },
];

/**
 * Adds a toleration, replacing one with the same key, operator, value and
 * effect (upstream's AddOrUpdateTolerationInPodSpec: the DaemonSet's own
 * tolerationSeconds-free toleration wins).
 */
function addOrUpdateToleration(tolerations: any[], t: any): any[] {
  const same = (x: any): boolean => (x.key ?? '') === t.key && (x.operator || 'Equal') === t.operator && (x.value ?? '') === (t.value ?? '') && (x.effect ?? '') === t.effect;
  const i = tolerations.findIndex(same);
  if (i < 0) return [...tolerations, t];
  if (deepEqual(tolerations[i], t)) return tolerations;
  const out = [...tolerations];
  out[i] = t;
  return out;
}

/** The tolerations every DaemonSet pod gets (plus network-unavailable for hostNetwork pods). */
export function daemonSetTolerations(podSpec: any): any[] {
  let tolerations: any[] = [...(podSpec?.tolerations ?? [])];
  for (const t of DEFAULT_TOLERATIONS) tolerations = addOrUpdateToleration(tolerations, t);
  if (podSpec?.hostNetwork) tolerations = addOrUpdateToleration(tolerations, { key: TAINT_NODE_NETWORK_UNAVAILABLE, operator: 'Exists', effect: 'NoSchedule' });
  return tolerations;
}

/** The pod template DaemonSet pods are made from (upstream CreatePodTemplate): default tolerations, generation and hash labels. */
export function newDaemonPodTemplate(ds: DaemonSet, generation: number | undefined, hash: string): any {
  const t: any = clone((ds.spec?.template ?? {}) as any);
  t.metadata ??= {};
  t.spec ??= {};
  t.spec.tolerations = daemonSetTolerations(t.spec);
  t.metadata.labels = { ...(t.metadata.labels ?? {}) };
  if (generation !== undefined) t.metadata.labels[DAEMONSET_TEMPLATE_GENERATION_KEY] = String(generation);
  if (hash) t.metadata.labels[DEFAULT_DAEMONSET_UNIQUE_LABEL_KEY] = hash;
  return t;
}

/**
 * The node affinity with its required terms replaced by one term
 * `metadata.name In [nodeName]` (upstream ReplaceDaemonSetPodNodeNameNodeAffinity);
 * preferred terms and pod (anti-)affinity are kept.
 */
export function replaceNodeNameAffinity(affinity: any, nodeName: string): any {
  const out: any = clone(affinity ?? {});
  out.nodeAffinity ??= {};
  out.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
    nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
  };
  return out;
}

/** A pod of the DaemonSet for one node, from `template` (see newDaemonPodTemplate). */
export function podForNode(ds: DaemonSet, template: any, nodeName: string): any {
  const meta: any = { generateName: `${ds.metadata!.name}-` };
  if (template.metadata?.labels) meta.labels = { ...template.metadata.labels };
  if (template.metadata?.annotations) meta.annotations = { ...template.metadata.annotations };
  if (template.metadata?.finalizers?.length) meta.finalizers = [...template.metadata.finalizers];
  meta.ownerReferences = [newControllerRef(ds, 'apps/v1', 'DaemonSet')];
  const spec = clone(template.spec ?? {});
  spec.affinity = replaceNodeNameAffinity(spec.affinity, nodeName);
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec };
}

/** The node a DaemonSet pod is for: spec.nodeName, else the single matchFields metadata.name value (upstream GetTargetNodeName). */
export function getTargetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

/**
 * Whether the DaemonSet should place a pod on the node, and whether a pod
 * there may keep running (upstream NodeShouldRunDaemonPod), using the
 * scheduler's NodeAffinity and TaintToleration predicates.
 */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const nodeName = node.metadata?.name ?? '';
  const templateSpec: any = ds.spec?.template?.spec ?? {};
  if (templateSpec.nodeName && templateSpec.nodeName !== nodeName) return { shouldRun: false, shouldContinueRunning: false };
  const pod = { metadata: { namespace: ds.metadata?.namespace, name: ds.metadata?.name }, spec: { ...templateSpec, tolerations: daemonSetTolerations(templateSpec) } };
  const podInfo = new PodInfo(pod);
  const nodeInfo = new NodeInfo(nodeName);
  nodeInfo.setNode(node);
  if (nodeAffinityFilter(podInfo, nodeInfo) !== null) return { shouldRun: false, shouldContinueRunning: false };
  const noExecute = nodeInfo.taints.filter((t) => t.effect === 'NoExecute');
  if (findUntoleratedTaint(noExecute, podInfo.tolerations)) return { shouldRun: false, shouldContinueRunning: false };
  if (findUntoleratedTaint(nodeInfo.taints, podInfo.tolerations)) return { shouldRun: false, shouldContinueRunning: true };
  return { shouldRun: true, shouldContinueRunning: true };
}

/** The DaemonSet's pods (not being deleted) by target node, oldest first. */
export function nodesToDaemonPods(pods: Pod[]): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue;
    const n = getTargetNodeName(p);
    if (n === undefined) continue;
    let list = out.get(n);
    if (!list) out.set(n, (list = []));
    list.push(p);
  }
  for (const list of out.values()) list.sort(compareByCreation);
  return out;
}

const isTerminal = (p: Pod): boolean => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';

/**
 * The manage step (upstream podsShouldBeOnNode over all nodes): nodes that
 * need a pod, and pods to delete — failed ones, duplicates (see
 * excessDaemonPods), pods on nodes that should not run them, and pods for
 * nodes that no longer exist.
 */
export function computeNodeActions(ds: DaemonSet, nodes: Node[], nodeToPods: Map<string, Pod[]>, hash: string, nowMs: number): { nodesNeedingPods: string[]; podsToDelete: Pod[] } {
  const surge = allowsSurge(ds);
  const nodesNeedingPods: string[] = [];
  const podsToDelete: Pod[] = [];
  const known = new Set<string>();
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    known.add(name);
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    const pods = nodeToPods.get(name) ?? [];
    if (shouldContinueRunning) {
      const running: Pod[] = [];
      for (const p of pods) {
        // A failed pod is replaced; the new one is created once its deletion is observed.
        if (isTerminal(p)) podsToDelete.push(p);
        else running.push(p);
      }
      if (shouldRun && pods.length === 0) nodesNeedingPods.push(name);
      if (running.length > 1) podsToDelete.push(...excessDaemonPods(ds, running, surge, hash, nowMs));
    } else {
      podsToDelete.push(...pods);
    }
  }
  for (const [name, pods] of nodeToPods) if (!known.has(name)) podsToDelete.push(...pods);
  return { nodesNeedingPods, podsToDelete };
}

/**
 * The running pods on one node (oldest first) that must go. Without surge
 * only the oldest stays. With surge an old pod stays next to the new one
 * only while it is ready and the new one is not yet available (upstream's
 * surge rule); any further old or new pods go.
 */
export function excessDaemonPods(ds: DaemonSet, running: Pod[], surge: boolean, hash: string, nowMs: number): Pod[] {
  if (!surge) return running.slice(1);
  const out: Pod[] = [];
  let oldestNew: Pod | undefined;
  let oldestOld: Pod | undefined;
  for (const p of running) {
    if (p.metadata?.labels?.[DEFAULT_DAEMONSET_UNIQUE_LABEL_KEY] === hash) {
      if (!oldestNew) oldestNew = p;
      else out.push(p);
    } else if (!oldestOld) {
      oldestOld = p;
    } else {
      out.push(p);
    }
  }
  if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec?.minReadySeconds ?? 0, nowMs))) out.push(oldestOld);
  return out;
}

/** The DaemonSet's maxSurge against `desired` nodes (upstream SurgeCount): 0 unless RollingUpdate sets it; percentages round up. */
export function daemonSetMaxSurge(ds: DaemonSet, desired: number): number {
  if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return 0;
  return scaledValueFromIntOrPercent((ds.spec?.updateStrategy?.rollingUpdate?.maxSurge as any) ?? 0, desired, true);
}

/** Whether updates surge (upstream AllowsSurge): any non-zero maxSurge, a percentage of one node rounding up to 1. */
export function allowsSurge(ds: DaemonSet): boolean {
  try {
    return daemonSetMaxSurge(ds, 1) > 0;
  } catch {
    return false; // an unparsable value: the API server refuses it, treat it as unset
  }
}

/** The DaemonSet's maxUnavailable against `desired` nodes (percentages round up; at least 1 when maxSurge is 0 too). */
export function daemonSetMaxUnavailable(ds: DaemonSet, desired: number): number {
  const ru: any = ds.spec?.updateStrategy?.rollingUpdate ?? {};
  const surge = scaledValueFromIntOrPercent(ru.maxSurge ?? 0, desired, true);
  let unavailable = scaledValueFromIntOrPercent(ru.maxUnavailable ?? 1, desired, true);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return unavailable;
}

/** The new and old pod on a node; ok is false when there is more than one of either (upstream findUpdatedPodsOnNode). */
export function findUpdatedPodsOnNode(pods: Pod[], hash: string, generation: number | undefined): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(p, hash, generation)) {
      if (newPod) return { ok: false };
      newPod = p;
    } else {
      if (oldPod) return { ok: false };
      oldPod = p;
    }
  }
  return { newPod, oldPod, ok: true };
}

/**
 * One RollingUpdate step from a settled state (upstream rollingUpdate):
 * with maxSurge 0 old pods are deleted within maxUnavailable and the manage
 * step recreates them; with maxSurge new pods are created next to old ones.
 */
export function rollingUpdate(ds: DaemonSet, nodes: Node[], nodeToPods: Map<string, Pod[]>, hash: string, nowMs: number): { podsToDelete: Pod[]; nodesNeedingPods: string[] } {
  const desired = nodes.filter((n) => nodeShouldRunDaemonPod(n, ds).shouldRun).length;
  if (daemonSetMaxSurge(ds, desired) === 0) return { podsToDelete: rollingUpdateDeletions(ds, nodes, nodeToPods, hash, nowMs), nodesNeedingPods: [] };
  return surgeRollingUpdate(ds, nodes, nodeToPods, hash, nowMs);
}

/**
 * A surging RollingUpdate step. Per node with pods:
 * - more than one old or new pod: the manage step settles it; it counts as surging;
 * - an old pod only: if it is unavailable a new pod is created at once (it
 *   was not serving anyway), on a node that should no longer run the
 *   DaemonSet it is deleted instead; if available, the node is a candidate
 *   for a surge pod;
 * - an old and a new pod: surging until the new one is available, then the
 *   old one is deleted.
 * At most maxSurge nodes surge at a time. Available old pods on nodes that
 * should no longer run the DaemonSet go only as far as the other nodes'
 * available pods exceed the desired count, so the DaemonSet never runs
 * short while its placement moves.
 */
export function surgeRollingUpdate(ds: DaemonSet, nodes: Node[], nodeToPods: Map<string, Pod[]>, hash: string, nowMs: number): { podsToDelete: Pod[]; nodesNeedingPods: string[] } {
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const generation = templateGeneration(ds);
  const byName = new Map(nodes.map((n) => [n.metadata?.name ?? '', n]));
  const shouldRun = (nodeName: string): boolean => {
    const node = byName.get(nodeName);
    return node !== undefined && nodeShouldRunDaemonPod(node, ds).shouldRun;
  };
  const desired = nodes.filter((n) => nodeShouldRunDaemonPod(n, ds).shouldRun).length;
  const maxSurge = daemonSetMaxSurge(ds, desired);
  const podsToDelete: Pod[] = [];
  const shouldNotRunToDelete: Pod[] = [];
  const replacements: string[] = [];
  const candidates: string[] = [];
  let numSurge = 0;
  let numAvailable = 0;
  for (const nodeName of [...nodeToPods.keys()].sort()) {
    const { newPod, oldPod, ok } = findUpdatedPodsOnNode(nodeToPods.get(nodeName) ?? [], hash, generation);
    if (!ok) {
      numSurge++;
      continue;
    }
    const serving = oldPod ?? newPod;
    if (serving && isPodAvailable(serving, minReady, nowMs)) numAvailable++;
    if (!oldPod) continue; // up to date, or empty: the manage step's business
    if (!newPod) {
      if (!isPodAvailable(oldPod, minReady, nowMs)) {
        if (shouldRun(nodeName)) replacements.push(nodeName);
        else podsToDelete.push(oldPod);
      } else if (shouldRun(nodeName)) {
        candidates.push(nodeName);
      } else {
        shouldNotRunToDelete.push(oldPod);
      }
    } else if (!isPodAvailable(newPod, minReady, nowMs)) {
      numSurge++;
    } else {
      podsToDelete.push(oldPod);
    }
  }
  const deletable = Math.min(Math.max(numAvailable - desired, 0), shouldNotRunToDelete.length);
  podsToDelete.push(...shouldNotRunToDelete.slice(0, deletable));
  const remainingSurge = Math.min(Math.max(maxSurge - numSurge, 0), candidates.length);
  return { podsToDelete, nodesNeedingPods: [...replacements, ...candidates.slice(0, remainingSurge)] };
}

/**
 * The old pods a RollingUpdate (maxSurge 0) deletes now: every unavailable
 * old pod, and available old pods while fewer than maxUnavailable of the
 * nodes that should run the DaemonSet lack an available new pod.
 */
export function rollingUpdateDeletions(ds: DaemonSet, nodes: Node[], nodeToPods: Map<string, Pod[]>, hash: string, nowMs: number): Pod[] {
  const { desiredNumberScheduled } = calculateDaemonSetStatus(ds, nodes, nodeToPods, hash, nowMs);
  const maxUnavailable = daemonSetMaxUnavailable(ds, desiredNumberScheduled);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const generation = templateGeneration(ds);
  let numUnavailable = 0;
  const replace: Pod[] = [];
  const candidates: Pod[] = [];
  // Every node that should run a pod, or has one: a node still waiting for its pod is unavailable too.
  const names = new Set(nodeToPods.keys());
  for (const n of nodes) if (nodeShouldRunDaemonPod(n, ds).shouldRun) names.add(n.metadata?.name ?? '');
  for (const nodeName of [...names].sort()) {
    const { newPod, oldPod, ok } = findUpdatedPodsOnNode(nodeToPods.get(nodeName) ?? [], hash, generation);
    if (!ok || (!newPod && !oldPod) || (newPod && oldPod)) {
      numUnavailable++; // the manage step settles this node first
    } else if (newPod) {
      if (!isPodAvailable(newPod, minReady, nowMs)) numUnavailable++;
    } else if (!isPodAvailable(oldPod!, minReady, nowMs)) {
      replace.push(oldPod!);
    } else if (numUnavailable < maxUnavailable) {
      candidates.push(oldPod!);
    }
  }
  const remaining = Math.min(Math.max(maxUnavailable - numUnavailable, 0), candidates.length);
  return [...replace, ...candidates.slice(0, remaining)];
}

/**
 * The pod a node's status counts: the oldest (upstream's order: scheduled
 * pods first, then by creation). creationTimestamp has one-second
 * resolution, so a surge pod created in its old pod's second would tie;
 * an outdated pod is the older one then, as the new one replaces it.
 */
export function countedDaemonPod(pods: Pod[], hash: string, generation: number | undefined): Pod {
  let best = pods[0];
  for (const p of pods.slice(1)) {
    const scheduled = Number(!!best.spec?.nodeName) - Number(!!p.spec?.nodeName);
    if (scheduled > 0) continue;
    if (scheduled < 0) {
      best = p;
      continue;
    }
    const byTime = parseTime(p.metadata?.creationTimestamp) - parseTime(best.metadata?.creationTimestamp);
    if (byTime > 0) continue;
    if (byTime < 0) {
      best = p;
      continue;
    }
    const byUpdate = Number(isPodUpdated(p, hash, generation)) - Number(isPodUpdated(best, hash, generation));
    if (byUpdate < 0 || (byUpdate === 0 && (p.metadata?.name ?? '') < (best.metadata?.name ?? ''))) best = p;
  }
  return best;
}

/** The status counts (upstream updateDaemonSetStatus); on each node one pod is counted (countedDaemonPod). */
export function calculateDaemonSetStatus(ds: DaemonSet, nodes: Node[], nodeToPods: Map<string, Pod[]>, hash: string, nowMs: number): any {
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const generation = templateGeneration(ds);
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  for (const node of nodes) {
    const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
    const pods = nodeToPods.get(node.metadata?.name ?? '') ?? [];
    if (!shouldRun) {
      if (pods.length) misscheduled++;
      continue;
    }
    desired++;
    if (!pods.length) continue;
    current++;
    const pod = countedDaemonPod(pods, hash, generation);
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, nowMs)) available++;
    }
    if (isPodUpdated(pod, hash, generation)) updated++;
  }
  return {
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: desired - available,
  };
}
