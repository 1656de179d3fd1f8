// The ReplicaSet controller (upstream pkg/controller/replicaset): keeps
// `spec.replicas` pods running for every ReplicaSet.
//
// Event handlers only map events to ReplicaSet keys: a pod maps to the
// ReplicaSet named by its controller ownerReference; an orphan pod maps to
// every ReplicaSet whose selector matches it (one may adopt it). Pod
// creations and deletions lower the ReplicaSet's expectations, so a sync
// never acts on a cache that has not seen its own previous writes yet.
//
// syncReplicaSet is level-triggered: claim the matching pods (adopt
// orphans, release pods that no longer match), create or delete the
// difference (creations in slow-start batches of 1, 2, 4, ...; deletions
// of the pods ranked first by upstream's ActivePodsWithRanks), and write
// the status back.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { ApiClient } from '../client/types.js';
import { isNotFound } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { UIDTrackingControllerExpectations } from '../client/expectations.js';
import { clone, metaNamespaceKey, objectOf, splitMetaNamespaceKey, NAMESPACE_INDEX, type DeletedFinalStateUnknown } from '../client/store.js';
import { selectorFromSet } from '../api/labels.js';
import { QueueController, type ControllerOptions } from './base.js';
import { claimObjects, recheckOwner } from './controller-ref.js';
import { ApiEventRecorder, type EventRecorder } from './events.js';
import {
  deepEqual,
  errorMessage,
  getControllerOf,
  groupOf,
  isNamespaceTerminating,
  isPodActive,
  isPodAvailable,
  isPodReady,
  labelSelectorOf,
  labelsEqual,
  newControllerRef,
  nowRFC3339,
  parseSelectorStrict,
  parseTime,
  podsPath,
  replicaSetsPath,
} from './util.js';

/** Creations or deletions one sync issues at most (upstream's BurstReplicas). */
export const BURST_REPLICAS = 500;
export const SLOW_START_INITIAL_BATCH_SIZE = 1;
export const CONTROLLER_UID_INDEX = 'controllerUID';
export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

/** Indexes objects by the uid of their controller ownerReference. */
export function controllerUIDIndexFunc(obj: any): string[] {
  const ref = getControllerOf(obj);
  return ref ? [ref.uid] : [];
}

export interface ReplicaSetControllerOptions extends ControllerOptions {
  burstReplicas?: number;
  recorder?: EventRecorder;
  now?: () => number;
}

export class ReplicaSetController extends QueueController {
  readonly expectations = new UIDTrackingControllerExpectations();
  readonly recorder: EventRecorder;
  private readonly rsInformer: Informer<ReplicaSet>;
  private readonly podInformer: Informer<Pod>;
  private readonly burstReplicas: number;
  private readonly now: () => number;

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    opts: ReplicaSetControllerOptions = {},
  ) {
    super('replicaset', opts);
    this.burstReplicas = opts.burstReplicas ?? BURST_REPLICAS;
    this.now = opts.now ?? Date.now;
    this.recorder = opts.recorder ?? new ApiEventRecorder(client, 'replicaset-controller');
    this.rsInformer = factory.informerFor<ReplicaSet>('/apis/apps/v1/replicasets', { indexers: { [CONTROLLER_UID_INDEX]: controllerUIDIndexFunc } });
    this.podInformer = factory.informerFor<Pod>('/api/v1/pods');
    this.registrations.push(
      this.rsInformer.addEventHandler({
        onAdd: (rs) => this.enqueueRS(rs),
        onUpdate: (oldRS, curRS) => this.updateRS(oldRS, curRS),
        onDelete: (obj) => this.deleteRS(obj),
      }),
      this.podInformer.addEventHandler({
        onAdd: (pod) => this.addPod(pod),
        onUpdate: (oldPod, curPod) => this.updatePod(oldPod, curPod),
        onDelete: (obj) => this.deletePod(obj),
      }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.rsInformer, this.podInformer];
  }

  // ---- event handlers: events to keys ----

  private enqueueRS(rs: ReplicaSet): void {
    this.enqueue(metaNamespaceKey(rs));
  }

  private updateRS(oldRS: ReplicaSet, curRS: ReplicaSet): void {
    // A delete and re-create under the same name can arrive as one update.
    if (oldRS.metadata?.uid !== curRS.metadata?.uid) {
      this.deleteRS({ deletedFinalStateUnknown: true, key: metaNamespaceKey(oldRS), obj: oldRS });
    }
    this.enqueueRS(curRS);
  }

  private deleteRS(obj: ReplicaSet | DeletedFinalStateUnknown<ReplicaSet>): void {
    const rs = objectOf(obj);
    const key = metaNamespaceKey(rs);
    this.expectations.deleteExpectations(key);
    this.enqueue(key);
  }

  private resolveControllerRef(namespace: string, ref: { kind: string; apiVersion: string; name: string; uid: string }): ReplicaSet | undefined {
    if (ref.kind !== 'ReplicaSet' || groupOf(ref.apiVersion) !== 'apps') return undefined;
    const rs = this.rsInformer.getByName(namespace, ref.name);
    return rs && rs.metadata?.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets in the pod's namespace whose (non-empty) selector matches it. */
  private getPodReplicaSets(pod: Pod): ReplicaSet[] {
    const ns = pod.metadata?.namespace ?? '';
    return this.rsInformer.byIndex(NAMESPACE_INDEX, ns).filter((rs) => {
      const sel = labelSelectorOf(rs.spec?.selector as any);
      return !sel.isEverything() && sel.matches(pod.metadata?.labels);
    });
  }

  private addPod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      // Seen for the first time already being deleted (a restart): not a creation.
      this.deletePod(pod);
      return;
    }
    const ref = getControllerOf(pod);
    if (ref) {
      const rs = this.resolveControllerRef(pod.metadata?.namespace ?? '', ref);
      if (!rs) return;
      const key = metaNamespaceKey(rs);
      this.expectations.creationObserved(key);
      this.enqueue(key);
      return;
    }
    // An orphan: whoever matches may adopt it. Not a creation anyone waits for.
    for (const rs of this.getPodReplicaSets(pod)) this.enqueueRS(rs);
  }

  private updatePod(oldPod: Pod, curPod: Pod): void {
    if (oldPod.metadata?.resourceVersion === curPod.metadata?.resourceVersion) return; // resync
    const labelChanged = !labelsEqual(oldPod.metadata?.labels, curPod.metadata?.labels);
    if (curPod.metadata?.deletionTimestamp) {
      // A graceful deletion started: act now rather than when the pod is finally gone.
      this.deletePod(curPod);
      if (labelChanged) this.deletePod(oldPod);
      return;
    }
    const curRef = getControllerOf(curPod);
    const oldRef = getControllerOf(oldPod);
    const refChanged = !deepEqual(curRef, oldRef);
    if (refChanged && oldRef) {
      const rs = this.resolveControllerRef(oldPod.metadata?.namespace ?? '', oldRef);
      if (rs) this.enqueueRS(rs);
    }
    if (curRef) {
      const rs = this.resolveControllerRef(curPod.metadata?.namespace ?? '', curRef);
      if (!rs) return;
      this.enqueueRS(rs);
      // Availability needs minReadySeconds to pass after readiness: look again then.
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (!isPodReady(oldPod) && isPodReady(curPod) && minReady > 0) {
        this.queue.addAfter(metaNamespaceKey(rs), minReady * 1000 + 1000);
      }
      return;
    }
    if (labelChanged || refChanged) {
      for (const rs of this.getPodReplicaSets(curPod)) this.enqueueRS(rs);
    }
  }

  private deletePod(obj: Pod | DeletedFinalStateUnknown<Pod>): void {
    const pod = objectOf(obj);
    const ref = getControllerOf(pod);
    if (!ref) return; // nobody waits for an orphan's deletion
    const rs = this.resolveControllerRef(pod.metadata?.namespace ?? '', ref);
    if (!rs) return;
    const key = metaNamespaceKey(rs);
    this.expectations.deletionObservedOf(key, metaNamespaceKey(pod));
    this.enqueue(key);
  }

  // ---- sync ----

  protected async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const cached = this.rsInformer.getByName(namespace, name);
    if (!cached) {
      this.expectations.deleteExpectations(key);
      return;
    }
    const rsNeedsSync = this.expectations.satisfied(key);
    let selector;
    try {
      selector = parseSelectorStrict(cached.spec?.selector as any);
    } catch (e) {
      console.error(`replicaset ${key}: invalid selector: ${errorMessage(e)}`);
      return; // not retried: the object must change first
    }
    // All pods of the namespace, so that pods we own that no longer match are released.
    const active = this.podInformer.byIndex(NAMESPACE_INDEX, namespace).filter(isPodActive);
    const pods = await claimObjects(active, {
      client: this.client,
      owner: cached,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'ReplicaSet',
      selector,
      pathOf: (p) => `${podsPath(namespace)}/${encodeURIComponent(p.metadata.name)}`,
      canAdopt: recheckOwner(this.client, `${replicaSetsPath(namespace)}/${encodeURIComponent(name)}`, cached, 'ReplicaSet'),
    });

    let manageErr: unknown;
    if (rsNeedsSync && !cached.metadata?.deletionTimestamp) {
      try {
        await this.manageReplicas(pods, cached);
      } catch (e) {
        manageErr = e;
      }
    }
    const rs = clone(cached);
    const newStatus = calculateReplicaSetStatus(rs, pods, manageErr, this.now());
    const updated = await this.updateStatus(rs, newStatus);
    const replicas = updated.spec?.replicas ?? 1;
    const minReady = updated.spec?.minReadySeconds ?? 0;
    // Last line of defence for availability after minReadySeconds.
    if (manageErr === undefined && minReady > 0 && (updated.status?.readyReplicas ?? 0) === replicas && (updated.status?.availableReplicas ?? 0) !== replicas) {
      this.queue.addAfter(key, minReady * 1000);
    }
    if (manageErr !== undefined) throw manageErr;
  }

  private async manageReplicas(pods: Pod[], rs: ReplicaSet): Promise<void> {
    const key = metaNamespaceKey(rs);
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    if (diff < 0) {
      const count = Math.min(-diff, this.burstReplicas);
      this.expectations.expectCreations(key, count);
      const { successes, error } = await slowStartBatch(count, SLOW_START_INITIAL_BATCH_SIZE, () => this.createPod(rs));
      // Creations never attempted, or failed, will never be observed.
      for (let i = successes; i < count; i++) this.expectations.creationObserved(key);
      if (error !== undefined) throw error;
    } else if (diff > 0) {
      const count = Math.min(diff, this.burstReplicas);
      const related = this.getIndirectlyRelatedPods(rs);
      const victims = getPodsToDelete(pods, related, count, this.now());
      this.expectations.expectDeletionsOf(
        key,
        victims.map((p) => metaNamespaceKey(p)),
      );
      const errors: unknown[] = [];
      await Promise.all(
        victims.map(async (p) => {
          try {
            await this.deletePodOf(rs, p);
          } catch (e) {
            this.expectations.deletionObservedOf(key, metaNamespaceKey(p));
            if (!isNotFound(e)) errors.push(e);
          }
        }),
      );
      if (errors.length) throw errors[0];
    }
  }

  private async createPod(rs: ReplicaSet): Promise<void> {
    const pod = podFromTemplate(rs, newControllerRef(rs, 'apps/v1', 'ReplicaSet'));
    const rsRef = { ...rs, kind: 'ReplicaSet', apiVersion: 'apps/v1' };
    if (Object.keys(pod.metadata.labels ?? {}).length === 0) {
      throw new Error('unable to create pods, no labels');
    }
    let created: any;
    try {
      created = await this.client.create(podsPath(rs.metadata!.namespace!), pod);
    } catch (e) {
      if (isNamespaceTerminating(e)) return; // every create will fail; nothing to report
      this.recorder.event(rsRef, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(e)}`);
      throw e;
    }
    this.recorder.event(rsRef, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
  }

  private async deletePodOf(rs: ReplicaSet, pod: Pod): Promise<void> {
    const rsRef = { ...rs, kind: 'ReplicaSet', apiVersion: 'apps/v1' };
    try {
      await this.client.delete(`${podsPath(pod.metadata!.namespace!)}/${encodeURIComponent(pod.metadata!.name!)}`, {});
    } catch (e) {
      if (!isNotFound(e)) this.recorder.event(rsRef, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(e)}`);
      throw e;
    }
    this.recorder.event(rsRef, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata!.name}`);
  }

  /** Pods of every ReplicaSet that shares this one's controller (for co-location ranking). */
  private getIndirectlyRelatedPods(rs: ReplicaSet): Pod[] {
    const ref = getControllerOf(rs);
    if (!ref) return [];
    const seen = new Set<string>();
    const out: Pod[] = [];
    const nsPods = this.podInformer.byIndex(NAMESPACE_INDEX, rs.metadata?.namespace ?? '');
    for (const related of this.rsInformer.byIndex(CONTROLLER_UID_INDEX, ref.uid)) {
      const sel = labelSelectorOf(related.spec?.selector as any);
      for (const p of nsPods) {
        const uid = p.metadata?.uid ?? '';
        if (seen.has(uid) || !sel.matches(p.metadata?.labels)) continue;
        seen.add(uid);
        out.push(p);
      }
    }
    return out;
  }

  /** Writes the status if it changed; retries once on a stale object. */
  private async updateStatus(rs: ReplicaSet, newStatus: any): Promise<ReplicaSet> {
    const cur: any = rs.status ?? {};
    const generation = rs.metadata?.generation ?? 0;
    if (
      (cur.replicas ?? 0) === newStatus.replicas &&
      (cur.fullyLabeledReplicas ?? 0) === (newStatus.fullyLabeledReplicas ?? 0) &&
      (cur.readyReplicas ?? 0) === (newStatus.readyReplicas ?? 0) &&
      (cur.availableReplicas ?? 0) === (newStatus.availableReplicas ?? 0) &&
      generation === (cur.observedGeneration ?? 0) &&
      deepEqual(cur.conditions ?? [], newStatus.conditions ?? [])
    ) {
      return rs;
    }
    let target: any = rs;
    const path = `${replicaSetsPath(rs.metadata!.namespace!)}/${encodeURIComponent(rs.metadata!.name!)}/status`;
    for (let attempt = 0; ; attempt++) {
      const status = { ...newStatus };
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

/** A pod for the ReplicaSet's template: `generateName: <rs>-`, the template's labels, annotations and finalizers, and the controller ref. */
export function podFromTemplate(rs: ReplicaSet, controllerRef: any): any {
  const t: any = rs.spec?.template ?? {};
  const meta: any = { generateName: `${rs.metadata!.name}-` };
  if (t.metadata?.labels) meta.labels = { ...t.metadata.labels };
  if (t.metadata?.annotations) meta.annotations = { ...t.metadata.annotations };
  if (t.metadata?.finalizers?.length) meta.finalizers = [...t.metadata.finalizers];
  meta.ownerReferences = [controllerRef];
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec: clone(t.spec ?? {}) };
}

/**
 * Calls `fn` `count` times in batches of 1, 2, 4, ... (each batch in
 * parallel); stops after the first batch with a failure. Returns how many
 * calls succeeded and the first error.
 */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length) return { successes, error: failed[0].reason };
    remaining -= batch;
  }
  return { successes };
}

export function calculateReplicaSetStatus(rs: ReplicaSet, pods: Pod[], manageErr: unknown, nowMs: number): any {
  const status: any = clone((rs.status ?? {}) as any);
  const template = selectorFromSet(rs.spec?.template?.metadata?.labels);
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const p of pods) {
    if (template.matches(p.metadata?.labels)) fullyLabeled++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, nowMs)) available++;
    }
  }
  const conditions: any[] = status.conditions ?? [];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (manageErr !== undefined && !failure) {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    status.conditions = [...conditions, { type: 'ReplicaFailure', status: 'True', lastTransitionTime: nowRFC3339(nowMs), reason, message: errorMessage(manageErr) }];
  } else if (manageErr === undefined && failure) {
    status.conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  }
  if (status.conditions && status.conditions.length === 0) delete status.conditions;
  status.replicas = pods.length;
  setOrOmit(status, 'fullyLabeledReplicas', fullyLabeled);
  setOrOmit(status, 'readyReplicas', ready);
  setOrOmit(status, 'availableReplicas', available);
  return status;
}

/** Zero-valued `omitempty` fields are absent in upstream's JSON. */
export function setOrOmit(obj: any, field: string, value: number): void {
  if (value) obj[field] = value;
  else delete obj[field];
}

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function phaseOrdinal(p: Pod): number {
  return PHASE_ORDINAL[p.status?.phase ?? ''] ?? 0;
}

function deletionCost(p: Pod): number {
  const v = p.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

function readyTime(p: Pod): number {
  return isPodReady(p) ? parseTime(p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime) : 0;
}

function maxRestarts(p: Pod): number {
  let max = 0;
  for (const c of p.status?.containerStatuses ?? []) max = Math.max(max, c.restartCount ?? 0);
  return max;
}

/** t1 is zero, or later than t2 (zero times sort first). */
function afterOrZero(t1: number, t2: number): boolean {
  if (t1 === 0 || t2 === 0) return t1 === 0;
  return t1 > t2;
}

/** Compares ages on a log2 scale of nanoseconds, so near-equal ages tie (LogarithmicScaleDown). */
function logarithmicRankDiff(t1: number, t2: number, now: number): number {
  const d1 = (now - t1) * 1e6;
  const d2 = (now - t2) * 1e6;
  const r1 = d1 > 0 ? Math.floor(Math.log2(d1)) : -1;
  const r2 = d2 > 0 ? Math.floor(Math.log2(d2)) : -1;
  return r1 - r2;
}

/**
 * True when pod a should be deleted before pod b (upstream's
 * ActivePodsWithRanks.Less with PodDeletionCost and LogarithmicScaleDown):
 * unassigned < assigned; Pending < Unknown < Running; not ready < ready;
 * lower deletion cost first; more pods of the same owner on its node
 * first; ready for less time first; more restarts first; newer first.
 */
export function podDeletionLess(a: Pod, b: Pod, rankA: number, rankB: number, now: number): boolean {
  const na = a.spec?.nodeName ?? '';
  const nb = b.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '';
  if (phaseOrdinal(a) !== phaseOrdinal(b)) return phaseOrdinal(a) < phaseOrdinal(b);
  if (isPodReady(a) !== isPodReady(b)) return !isPodReady(a);
  const ca = deletionCost(a);
  const cb = deletionCost(b);
  if (ca !== cb) return ca < cb;
  if (rankA !== rankB) return rankA > rankB;
  if (isPodReady(a) && isPodReady(b)) {
    const ra = readyTime(a);
    const rb = readyTime(b);
    if (ra !== rb) {
      if (ra === 0 || rb === 0) return afterOrZero(ra, rb);
      const d = logarithmicRankDiff(ra, rb, now);
      if (d === 0) return (a.metadata?.uid ?? '') < (b.metadata?.uid ?? '');
      return d < 0;
    }
  }
  if (maxRestarts(a) !== maxRestarts(b)) return maxRestarts(a) > maxRestarts(b);
  const ta = parseTime(a.metadata?.creationTimestamp);
  const tb = parseTime(b.metadata?.creationTimestamp);
  if (ta !== tb) {
    if (ta === 0 || tb === 0) return afterOrZero(ta, tb);
    const d = logarithmicRankDiff(ta, tb, now);
    if (d === 0) return (a.metadata?.uid ?? '') < (b.metadata?.uid ?? '');
    return d < 0;
  }
  return false;
}

/** The `count` pods to delete first; each pod's rank is how many active related pods share its node. */
export function getPodsToDelete(pods: Pod[], related: Pod[], count: number, now: number): Pod[] {
  if (count >= pods.length) return pods.slice();
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const n = p.spec?.nodeName ?? '';
    onNode.set(n, (onNode.get(n) ?? 0) + 1);
  }
  const ranked = pods.map((p) => ({ p, rank: onNode.get(p.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((x, y) => (podDeletionLess(x.p, y.p, x.rank, y.rank, now) ? -1 : podDeletionLess(y.p, x.p, y.rank, x.rank, now) ? 1 : 0));
  return ranked.slice(0, count).map((r) => r.p);
}
