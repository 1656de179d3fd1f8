// The StatefulSet controller (upstream pkg/controller/statefulset): pods
// with stable identities `<set>-<ordinal>`, each with its own
// PersistentVolumeClaims `<claim>-<set>-<ordinal>`, created, scaled down and
// updated in ordinal order.
//
// Event handlers only map events to StatefulSet keys: a pod or a
// ControllerRevision maps to the StatefulSet named by its controller
// ownerReference; an orphan maps to every StatefulSet whose selector matches
// it (one may adopt it).
//
// syncStatefulSet is level-triggered, as upstream's defaultStatefulSetControl:
//  1. claim the set's ControllerRevisions and pods (adopt and release);
//  2. find or create the update revision (a ControllerRevision holding the
//     template as a patch, named `<set>-<hash>`); the current revision is
//     the one named by `status.currentRevision`;
//  3. create missing ordinals (their PVCs first), delete Failed/Succeeded
//     pods, fix identities and storage; with OrderedReady wait for each
//     ordinal to be Running and Ready before the next one;
//  4. delete condemned ordinals (>= replicas) from the highest down, with
//     OrderedReady one at a time and only when every other pod is healthy;
//  5. RollingUpdate: delete the highest-ordinal pod not at the update
//     revision, down to `partition`, one at a time; OnDelete: nothing;
//  6. write the status and truncate the revision history.
//
// Pod names are deterministic, so a sync working from a stale cache fails
// on AlreadyExists/NotFound and is retried with back-off; no expectations
// are needed (as upstream).

import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { ControllerRevision, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { ApiClient } from '../client/types.js';
import { isAlreadyExists, isConflict, isNotFound } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { clone, metaNamespaceKey, objectOf, splitMetaNamespaceKey, NAMESPACE_INDEX, type DeletedFinalStateUnknown } from '../client/store.js';
import { QueueController, type ControllerOptions } from './base.js';
import { claimObjects, recheckOwner } from './controller-ref.js';
import { ApiEventRecorder, type EventRecorder } from './events.js';
import { fnv32a, safeEncodeString } from './deployment-util.js';
import { setOrOmit } from './replicaset.js';
import {
  deepEqual,
  errorMessage,
  getControllerOf,
  groupOf,
  isNamespaceTerminating,
  isPodAvailable,
  isPodReady,
  labelSelectorOf,
  labelsEqual,
  namespacedPath,
  newControllerRef,
  parseSelectorStrict,
  podsPath,
  type OwnerReference,
} from './util.js';

export const STATEFULSET_POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';
/** The label ControllerRevisions carry with their hash (upstream's history.ControllerRevisionHashLabel). */
export const REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';

export const statefulSetsPath = (ns: string): string => namespacedPath('apps', 'v1', encodeURIComponent(ns), 'statefulsets');
export const controllerRevisionsPath = (ns: string): string => namespacedPath('apps', 'v1', encodeURIComponent(ns), 'controllerrevisions');
export const pvcsPath = (ns: string): string => namespacedPath('', 'v1', encodeURIComponent(ns), 'persistentvolumeclaims');

export interface StatefulSetControllerOptions extends ControllerOptions {
  recorder?: EventRecorder;
  now?: () => number;
}

export class StatefulSetController extends QueueController {
  readonly recorder: EventRecorder;
  private readonly setInformer: Informer<StatefulSet>;
  private readonly podInformer: Informer<Pod>;
  private readonly revisionInformer: Informer<ControllerRevision>;
  private readonly pvcInformer: Informer<PersistentVolumeClaim>;
  private readonly now: () => number;

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    opts: StatefulSetControllerOptions = {},
  ) {
    super('statefulset', opts);
    this.now = opts.now ?? Date.now;
    this.recorder = opts.recorder ?? new ApiEventRecorder(client, 'statefulset-controller');
    this.setInformer = factory.informerFor<StatefulSet>('/apis/apps/v1/statefulsets');
    this.podInformer = factory.informerFor<Pod>('/api/v1/pods');
    this.revisionInformer = factory.informerFor<ControllerRevision>('/apis/apps/v1/controllerrevisions');
    this.pvcInformer = factory.informerFor<PersistentVolumeClaim>('/api/v1/persistentvolumeclaims');
    this.registrations.push(
      this.setInformer.addEventHandler({
        onAdd: (set) => this.enqueueSet(set),
        onUpdate: (_old, cur) => this.enqueueSet(cur),
        onDelete: (obj) => this.enqueueSet(objectOf(obj)),
      }),
      this.podInformer.addEventHandler({
        onAdd: (pod) => this.enqueueOwnerOf(pod),
        onUpdate: (oldPod, curPod) => this.updateDependent(oldPod, curPod),
        onDelete: (obj) => this.enqueueOwnerOf(objectOf(obj), false),
      }),
      this.revisionInformer.addEventHandler({
        onAdd: (rev) => this.enqueueOwnerOf(rev),
        onUpdate: (oldRev, curRev) => this.updateDependent(oldRev, curRev),
        onDelete: (obj) => this.enqueueOwnerOf(objectOf(obj as ControllerRevision | DeletedFinalStateUnknown<ControllerRevision>), false),
      }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.setInformer, this.podInformer, this.revisionInformer, this.pvcInformer];
  }

  // ---- event handlers: events to keys ----

  private enqueueSet(set: StatefulSet): void {
    this.enqueue(metaNamespaceKey(set));
  }

  private resolveControllerRef(namespace: string, ref: OwnerReference): StatefulSet | undefined {
    if (ref.kind !== 'StatefulSet' || groupOf(ref.apiVersion) !== 'apps') return undefined;
    const set = this.setInformer.getByName(namespace, ref.name);
    return set && set.metadata?.uid === ref.uid ? set : undefined;
  }

  /** StatefulSets in the object's namespace whose (non-empty) selector matches it. */
  private matchingSets(obj: any): StatefulSet[] {
    return this.setInformer.byIndex(NAMESPACE_INDEX, obj.metadata?.namespace ?? '').filter((set) => {
      const sel = labelSelectorOf(set.spec?.selector as any);
      return !sel.isEverything() && sel.matches(obj.metadata?.labels);
    });
  }

  /** The owner's key, or (for an orphan, unless it is gone) every set that may adopt it. */
  private enqueueOwnerOf(obj: any, orphansToo = true): void {
    const ref = getControllerOf(obj);
    if (ref) {
      const set = this.resolveControllerRef(obj.metadata?.namespace ?? '', ref);
      if (set) this.enqueueSet(set);
      return;
    }
    if (orphansToo && !obj.metadata?.deletionTimestamp) for (const set of this.matchingSets(obj)) this.enqueueSet(set);
  }

  private updateDependent(oldObj: any, curObj: any): void {
    if (oldObj.metadata?.resourceVersion === curObj.metadata?.resourceVersion) return; // resync
    const oldRef = getControllerOf(oldObj);
    const curRef = getControllerOf(curObj);
    if (oldRef && !deepEqual(oldRef, curRef)) {
      const set = this.resolveControllerRef(oldObj.metadata?.namespace ?? '', oldRef);
      if (set) this.enqueueSet(set);
    }
    if (curRef) {
      this.enqueueOwnerOf(curObj);
      return;
    }
    if (!labelsEqual(oldObj.metadata?.labels, curObj.metadata?.labels) || oldRef) this.enqueueOwnerOf(curObj);
  }

  // ---- sync ----

  protected async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const cached = this.setInformer.getByName(namespace, name);
    if (!cached) return; // dependents are the garbage collector's
    let selector;
    try {
      selector = parseSelectorStrict(cached.spec?.selector as any);
    } catch (e) {
      console.error(`statefulset ${key}: invalid selector: ${errorMessage(e)}`);
      return; // not retried: the object must change first
    }
    if (selector.isEverything()) {
      console.error(`statefulset ${key}: empty selector, it would select every pod`);
      return;
    }
    const set = clone(cached);
    const setPath = `${statefulSetsPath(namespace)}/${encodeURIComponent(name)}`;
    const canAdopt = recheckOwner(this.client, setPath, set, 'StatefulSet');
    const revisions = await claimObjects(this.revisionInformer.byIndex(NAMESPACE_INDEX, namespace), {
      client: this.client,
      owner: set,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'StatefulSet',
      selector,
      pathOf: (r) => `${controllerRevisionsPath(namespace)}/${encodeURIComponent(r.metadata.name)}`,
      canAdopt,
    });
    // Only pods named after the set are its members (upstream's isMemberOf).
    const candidates = this.podInformer.byIndex(NAMESPACE_INDEX, namespace).filter((p) => parentNameOf(p) === name);
    const pods = await claimObjects(candidates, {
      client: this.client,
      owner: set,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'StatefulSet',
      selector,
      pathOf: (p) => `${podsPath(namespace)}/${encodeURIComponent(p.metadata.name)}`,
      canAdopt,
    });

    const { current, update, collisionCount } = await this.getRevisions(set, revisions);
    const allRevisions = revisions.some((r) => r.metadata?.name === update.metadata?.name) ? revisions : [...revisions, update];
    const status = await this.updateStatefulSet(set, current, update, collisionCount, pods);
    await this.updateStatus(set, status);
    await this.truncateHistory(set, pods, allRevisions, current, update);

    // Availability needs minReadySeconds to pass after readiness: look again then.
    const minReady = set.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && (status.readyReplicas ?? 0) > (status.availableReplicas ?? 0)) this.queue.addAfter(key, minReady * 1000);
  }

  /** Finds or creates the update revision (upstream's getStatefulSetRevisions). */
  private async getRevisions(set: StatefulSet, revisions: ControllerRevision[]): Promise<{ current: ControllerRevision; update: ControllerRevision; collisionCount: number }> {
    const sorted = sortRevisions(revisions);
    let collisionCount = set.status?.collisionCount ?? 0;
    const candidate = newRevision(set, nextRevisionNumber(sorted), collisionCount);
    const equal = sorted.filter((r) => deepEqual(r.data, candidate.data));
    let update: ControllerRevision;
    const latest = sorted[sorted.length - 1];
    if (equal.length && latest && equal[equal.length - 1].metadata?.name === latest.metadata?.name) {
      update = latest; // the latest revision is the template: nothing changed
    } else if (equal.length) {
      // A rollback to an earlier template: that revision becomes the newest.
      const prev = equal[equal.length - 1];
      update = await this.client.update(`${controllerRevisionsPath(set.metadata!.namespace!)}/${encodeURIComponent(prev.metadata!.name!)}`, { ...clone(prev), revision: candidate.revision });
    } else {
      for (;;) {
        const rev = newRevision(set, candidate.revision, collisionCount);
        try {
          update = await this.client.create(controllerRevisionsPath(set.metadata!.namespace!), rev);
          break;
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
          const existing = await this.client.get(`${controllerRevisionsPath(set.metadata!.namespace!)}/${encodeURIComponent(rev.metadata!.name!)}`);
          if (deepEqual(existing.data, rev.data) && getControllerOf(existing)?.uid === set.metadata?.uid) {
            update = existing;
            break;
          }
          collisionCount++; // a different revision holds the name: probe the next hash
        }
      }
    }
    const current = sorted.find((r) => r.metadata?.name === set.status?.currentRevision) ?? update;
    return { current, update, collisionCount };
  }

  /** Acts on the pods and returns the status they give (upstream's updateStatefulSet). */
  private async updateStatefulSet(set: StatefulSet, currentRev: ControllerRevision, updateRev: ControllerRevision, collisionCount: number, pods: Pod[]): Promise<any> {
    const currentSet = applyRevision(set, currentRev);
    const updateSet = applyRevision(set, updateRev);
    const currentName = currentRev.metadata!.name!;
    const updateName = updateRev.metadata!.name!;
    const minReady = set.spec?.minReadySeconds ?? 0;
    const now = this.now();
    const start = startOrdinal(set);
    const replicaCount = set.spec?.replicas ?? 1;

    const status: any = {
      observedGeneration: set.metadata?.generation,
      replicas: 0,
      readyReplicas: 0,
      availableReplicas: 0,
      currentReplicas: 0,
      updatedReplicas: 0,
      currentRevision: currentName,
      updateRevision: updateName,
      collisionCount,
    };
    const replicas: Array<Pod | undefined> = new Array(replicaCount).fill(undefined);
    const condemned: Pod[] = [];
    for (const pod of pods) {
      if (!isTerminating(pod)) {
        status.replicas++;
        if (isRunningAndReady(pod)) {
          status.readyReplicas++;
          if (isPodAvailable(pod, minReady, now)) status.availableReplicas++;
        }
        const rev = podRevision(pod);
        if (rev === currentName) status.currentReplicas++;
        if (rev === updateName) status.updatedReplicas++;
      }
      const ord = ordinalOf(pod);
      if (ord >= start && ord < start + replicaCount) replicas[ord - start] = pod;
      else if (ord >= 0) condemned.push(pod);
    }
    // Missing ordinals: below the partition at the current revision, above it at the update revision.
    for (let i = 0; i < replicaCount; i++) {
      if (!replicas[i]) replicas[i] = newVersionedPod(currentSet, updateSet, currentName, updateName, start + i);
    }
    condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));

    // The first unhealthy pod, in the order OrderedReady processes them.
    const firstUnhealthy = [...replicas, ...[...condemned].reverse()].find((p) => p!.metadata?.uid && !isHealthy(p!));
    if (set.metadata?.deletionTimestamp) return status; // the garbage collector removes the pods

    const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
    const errors: unknown[] = [];

    // Fix claim ownership of condemned pods first, so their claims follow the retention policy when they go.
    for (const pod of condemned) await this.fixClaimOwners(updateSet, pod, replicaCount);

    // Create, recreate and fix the pods that should exist.
    for (let i = 0; i < replicas.length; i++) {
      const pod = replicas[i]!;
      if (!pod.metadata?.uid) {
        // Not created yet.
        try {
          await this.createStatefulPod(set, pod);
        } catch (e) {
          if (monotonic) throw e;
          errors.push(e);
          continue;
        }
        status.replicas++;
        if (podRevision(pod) === currentName) status.currentReplicas++;
        if (podRevision(pod) === updateName) status.updatedReplicas++;
        if (monotonic) return status; // wait for it to become Running and Ready
        continue;
      }
      if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') {
        // Finished pods are replaced (after the deletion is observed).
        if (!isTerminating(pod)) {
          await this.deleteStatefulPod(set, pod);
          status.replicas--;
          if (podRevision(pod) === currentName) status.currentReplicas--;
          if (podRevision(pod) === updateName) status.updatedReplicas--;
        }
        if (monotonic) return status;
        continue;
      }
      if (isTerminating(pod)) {
        if (monotonic) return status; // wait for the termination before going on
        continue;
      }
      if (!isRunningAndReady(pod) && monotonic) return status;
      if (!isPodAvailable(pod, minReady, now) && monotonic) return status; // requeued after minReadySeconds
      // Identity or storage drifted (a relabel, a new claim template): fix it.
      const podSet = podRevision(pod) === currentName ? currentSet : updateSet;
      if (!identityMatches(set, pod) || !storageMatches(set, pod)) {
        try {
          await this.updateStatefulPod(podSet, pod);
        } catch (e) {
          if (monotonic) throw e;
          errors.push(e);
        }
      } else {
        await this.fixClaimOwners(updateSet, pod, replicaCount);
      }
    }

    // Scale down from the highest ordinal.
    for (const pod of condemned) {
      if (isTerminating(pod)) {
        if (monotonic) return status;
        continue;
      }
      // With OrderedReady only the first unhealthy pod may go while something is unhealthy.
      if (monotonic && !isHealthy(pod) && pod !== firstUnhealthy) return status;
      try {
        await this.deleteStatefulPod(set, pod);
      } catch (e) {
        if (monotonic) throw e;
        errors.push(e);
        continue;
      }
      status.replicas--;
      if (podRevision(pod) === currentName) status.currentReplicas--;
      if (podRevision(pod) === updateName) status.updatedReplicas--;
      if (monotonic) return status;
    }
    if (errors.length) throw errors[0];

    if (set.spec?.updateStrategy?.type === 'OnDelete') return status;

    // RollingUpdate: from the highest ordinal down to the partition, one pod at a time.
    const partition = Math.min(set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0, replicas.length);
    for (let i = replicas.length - 1; i >= partition; i--) {
      const pod = replicas[i]!;
      if (podRevision(pod) !== updateName && !isTerminating(pod)) {
        await this.deleteStatefulPod(set, pod);
        if (podRevision(pod) === currentName) status.currentReplicas--;
        return status;
      }
      if (!isHealthy(pod)) return status; // wait for it before touching the next one
    }
    return status;
  }

  /** Creates the pod's claims (if missing), then the pod. */
  private async createStatefulPod(set: StatefulSet, pod: Pod): Promise<void> {
    await this.createClaims(set, pod);
    const setRef = typed(set);
    try {
      await this.client.create(podsPath(set.metadata!.namespace!), pod);
    } catch (e) {
      if (isNamespaceTerminating(e)) return;
      this.recorder.event(setRef, 'Warning', 'FailedCreate', `create Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} failed error: ${errorMessage(e)}`);
      throw e;
    }
    this.recorder.event(setRef, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} successful`);
  }

  private async deleteStatefulPod(set: StatefulSet, pod: Pod): Promise<void> {
    const setRef = typed(set);
    try {
      await this.client.delete(`${podsPath(pod.metadata!.namespace!)}/${encodeURIComponent(pod.metadata!.name!)}`, { preconditions: { uid: pod.metadata!.uid } });
    } catch (e) {
      this.recorder.event(setRef, 'Warning', 'FailedDelete', `delete Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} failed error: ${errorMessage(e)}`);
      throw e;
    }
    this.recorder.event(setRef, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} successful`);
  }

  /** Creates the claims of the pod that do not exist; a claim being deleted is an error (wait for it). */
  private async createClaims(set: StatefulSet, pod: Pod): Promise<void> {
    const ns = set.metadata!.namespace!;
    const replicaCount = set.spec?.replicas ?? 1;
    for (const claim of claimsFor(set, ordinalOf(pod))) {
      const existing = this.pvcInformer.getByName(ns, claim.metadata!.name!);
      if (existing) {
        if (existing.metadata?.deletionTimestamp) throw new Error(`pvc ${claim.metadata!.name} is being deleted`);
        continue;
      }
      claim.metadata!.ownerReferences = claimOwnerRefs([], set, pod, replicaCount);
      if (!claim.metadata!.ownerReferences.length) delete claim.metadata!.ownerReferences;
      try {
        await this.client.create(pvcsPath(ns), claim);
      } catch (e) {
        if (isAlreadyExists(e)) continue; // the cache was behind
        this.recorder.event(typed(set), 'Warning', 'FailedCreate', `create Claim ${claim.metadata!.name} for Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} failed error: ${errorMessage(e)}`);
        throw e;
      }
      this.recorder.event(typed(set), 'Normal', 'SuccessfulCreate', `create Claim ${claim.metadata!.name} Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} success`);
    }
  }

  /** Sets the ownerReferences of the pod's existing claims as the retention policy wants them. */
  private async fixClaimOwners(set: StatefulSet, pod: Pod, replicaCount: number): Promise<void> {
    const ns = set.metadata!.namespace!;
    for (const claim of claimsFor(set, ordinalOf(pod))) {
      const existing = this.pvcInformer.getByName(ns, claim.metadata!.name!);
      if (!existing || existing.metadata?.deletionTimestamp) continue;
      const refs = existing.metadata?.ownerReferences ?? [];
      const want = claimOwnerRefs(refs, set, pod, replicaCount);
      if (deepEqual(refs, want)) continue;
      const updated = clone(existing);
      updated.metadata!.ownerReferences = want;
      if (!want.length) delete updated.metadata!.ownerReferences;
      try {
        await this.client.update(`${pvcsPath(ns)}/${encodeURIComponent(existing.metadata!.name!)}`, updated);
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
        if (isConflict(e)) this.enqueue(metaNamespaceKey(set)); // look again with a fresh cache
      }
    }
  }

  /** Restores the pod's identity and storage (and creates claims that are missing), as upstream's UpdateStatefulPod. */
  private async updateStatefulPod(set: StatefulSet, pod: Pod): Promise<void> {
    const path = `${podsPath(pod.metadata!.namespace!)}/${encodeURIComponent(pod.metadata!.name!)}`;
    let cur: any = clone(pod);
    for (let attempt = 0; ; attempt++) {
      if (!storageMatches(set, cur)) {
        updateStorage(set, cur);
        await this.createClaims(set, cur);
      }
      if (!identityMatches(set, cur)) updateIdentity(set, cur);
      try {
        await this.client.update(path, cur);
        this.recorder.event(typed(set), 'Normal', 'SuccessfulUpdate', `update Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} successful`);
        return;
      } catch (e) {
        if (attempt >= 1 || !isConflict(e)) {
          this.recorder.event(typed(set), 'Warning', 'FailedUpdate', `update Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} failed error: ${errorMessage(e)}`);
          throw e;
        }
        cur = await this.client.get(path);
      }
    }
  }

  /** Writes the status if it changed; retries once on a stale object. */
  private async updateStatus(set: StatefulSet, status: any): Promise<void> {
    // The rollout is complete once every pod runs the update revision and is ready.
    if (set.spec?.updateStrategy?.type !== 'OnDelete' && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
      status.currentReplicas = status.updatedReplicas;
      status.currentRevision = status.updateRevision;
    }
    const next = clone((set.status ?? {}) as any);
    for (const f of ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'collisionCount']) setOrOmit(next, f, status[f]);
    next.replicas = status.replicas; // not omitempty upstream
    next.availableReplicas = status.availableReplicas;
    for (const f of ['currentRevision', 'updateRevision']) next[f] = status[f];
    if (status.observedGeneration) next.observedGeneration = status.observedGeneration;
    if (deepEqual(next, set.status ?? {})) return;
    const path = `${statefulSetsPath(set.metadata!.namespace!)}/${encodeURIComponent(set.metadata!.name!)}`;
    let target: any = set;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.update(`${path}/status`, { ...target, status: next });
        return;
      } catch (e) {
        if (attempt >= 1 || isNotFound(e) || !isConflict(e)) throw e;
        target = await this.client.get(path);
      }
    }
  }

  /** Deletes the oldest revisions no pod uses beyond `revisionHistoryLimit`. */
  private async truncateHistory(set: StatefulSet, pods: Pod[], revisions: ControllerRevision[], current: ControllerRevision, update: ControllerRevision): Promise<void> {
    const live = new Set<string>([current.metadata!.name!, update.metadata!.name!]);
    for (const p of pods) {
      const r = podRevision(p);
      if (r) live.add(r);
    }
    const history = sortRevisions(revisions.filter((r) => !live.has(r.metadata!.name!)));
    const limit = set.spec?.revisionHistoryLimit ?? 10;
    for (const r of history.slice(0, Math.max(0, history.length - limit))) {
      try {
        await this.client.delete(`${controllerRevisionsPath(set.metadata!.namespace!)}/${encodeURIComponent(r.metadata!.name!)}`, {});
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }
}

// ---- pure parts (exported for tests) ----

function typed(set: StatefulSet): any {
  return { ...set, kind: 'StatefulSet', apiVersion: 'apps/v1' };
}

const ORDINAL_NAME = /^(.*)-([0-9]+)$/;

/** The set a pod name belongs to (`web` for `web-3`), or undefined. */
export function parentNameOf(pod: Pod): string | undefined {
  return ORDINAL_NAME.exec(pod.metadata?.name ?? '')?.[1];
}

/** The ordinal of a pod from its name (`3` for `web-3`), or -1. */
export function ordinalOf(pod: Pod): number {
  const m = ORDINAL_NAME.exec(pod.metadata?.name ?? '');
  if (!m) return -1;
  const n = Number(m[2]);
  return Number.isSafeInteger(n) && n <= 2147483647 ? n : -1;
}

export function startOrdinal(set: StatefulSet): number {
  return set.spec?.ordinals?.start ?? 0;
}

export function podNameOf(set: StatefulSet, ordinal: number): string {
  return `${set.metadata!.name}-${ordinal}`;
}

export function claimNameOf(claimTemplate: PersistentVolumeClaim, set: StatefulSet, ordinal: number): string {
  return `${claimTemplate.metadata!.name}-${set.metadata!.name}-${ordinal}`;
}

export function podRevision(pod: Pod): string {
  return pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
}

function isTerminating(pod: Pod): boolean {
  return !!pod.metadata?.deletionTimestamp;
}

function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}

function isHealthy(pod: Pod): boolean {
  return isRunningAndReady(pod) && !isTerminating(pod);
}

/** The set's claims for one ordinal: the templates named per ordinal, labelled with the selector's matchLabels. */
export function claimsFor(set: StatefulSet, ordinal: number): PersistentVolumeClaim[] {
  const match = set.spec?.selector?.matchLabels ?? {};
  return (set.spec?.volumeClaimTemplates ?? []).map((t) => {
    const c: any = clone(t);
    delete c.status;
    c.apiVersion = 'v1';
    c.kind = 'PersistentVolumeClaim';
    c.metadata = { ...(c.metadata ?? {}), name: claimNameOf(t, set, ordinal), namespace: set.metadata!.namespace, labels: { ...(t.metadata?.labels ?? {}), ...match } };
    delete c.metadata.creationTimestamp;
    return c;
  });
}

/** The pod's name, namespace, identity labels, hostname and subdomain as the set wants them. */
export function updateIdentity(set: StatefulSet, pod: any): void {
  const ord = ordinalOf(pod);
  pod.metadata.name = podNameOf(set, ord);
  pod.metadata.namespace = set.metadata!.namespace;
  pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [STATEFULSET_POD_NAME_LABEL]: pod.metadata.name, [POD_INDEX_LABEL]: String(ord) };
  pod.spec ??= {};
  pod.spec.hostname = pod.metadata.name;
  if (set.spec?.serviceName) pod.spec.subdomain = set.spec.serviceName;
  else delete pod.spec.subdomain;
}

export function identityMatches(set: StatefulSet, pod: Pod): boolean {
  const ord = ordinalOf(pod);
  const name = podNameOf(set, ord);
  return (
    ord >= 0 &&
    parentNameOf(pod) === set.metadata!.name &&
    pod.metadata?.namespace === set.metadata!.namespace &&
    pod.metadata?.labels?.[STATEFULSET_POD_NAME_LABEL] === name &&
    pod.metadata?.labels?.[POD_INDEX_LABEL] === String(ord) &&
    pod.spec?.hostname === name &&
    (pod.spec?.subdomain ?? '') === (set.spec?.serviceName ?? '')
  );
}

/** Every claim template is mounted as a volume of the same name referencing the ordinal's claim. */
export function storageMatches(set: StatefulSet, pod: Pod): boolean {
  const ord = ordinalOf(pod);
  if (ord < 0) return false;
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const v = pod.spec?.volumes?.find((x) => x.name === t.metadata?.name);
    if (v?.persistentVolumeClaim?.claimName !== claimNameOf(t, set, ord)) return false;
  }
  return true;
}

/** Replaces (or adds) a volume per claim template referencing the ordinal's claim; other volumes stay. */
export function updateStorage(set: StatefulSet, pod: any): void {
  const ord = ordinalOf(pod);
  const templates = set.spec?.volumeClaimTemplates ?? [];
  const names = new Set(templates.map((t) => t.metadata!.name!));
  const vols = templates.map((t) => ({ name: t.metadata!.name!, persistentVolumeClaim: { claimName: claimNameOf(t, set, ord) } }));
  pod.spec ??= {};
  const others = (pod.spec.volumes ?? []).filter((v: any) => !names.has(v.name));
  pod.spec.volumes = [...vols, ...others];
  if (!pod.spec.volumes.length) delete pod.spec.volumes;
}

/** A pod for one ordinal of the set (upstream's newStatefulSetPod), labelled with its revision. */
export function newStatefulSetPod(set: StatefulSet, ordinal: number, revisionName: string): Pod {
  const t: any = set.spec?.template ?? {};
  const meta: any = { name: podNameOf(set, ordinal), namespace: set.metadata!.namespace };
  meta.labels = { ...(t.metadata?.labels ?? {}) };
  if (t.metadata?.annotations) meta.annotations = { ...t.metadata.annotations };
  if (t.metadata?.finalizers?.length) meta.finalizers = [...t.metadata.finalizers];
  meta.ownerReferences = [newControllerRef(set, 'apps/v1', 'StatefulSet')];
  const pod: any = { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec: clone(t.spec ?? {}) };
  updateIdentity(set, pod);
  updateStorage(set, pod);
  if (revisionName) pod.metadata.labels[CONTROLLER_REVISION_HASH_LABEL] = revisionName;
  return pod;
}

/** Ordinals below the partition get the current revision, the others the update revision. */
export function newVersionedPod(currentSet: StatefulSet, updateSet: StatefulSet, currentName: string, updateName: string, ordinal: number): Pod {
  const us = currentSet.spec?.updateStrategy;
  const start = startOrdinal(currentSet);
  const belowPartition =
    (us?.type ?? 'RollingUpdate') === 'RollingUpdate' &&
    (us?.rollingUpdate ? ordinal < start + (us.rollingUpdate.partition ?? 0) : ordinal < start + (currentSet.status?.currentReplicas ?? 0));
  return belowPartition ? newStatefulSetPod(currentSet, ordinal, currentName) : newStatefulSetPod(updateSet, ordinal, updateName);
}

/**
 * The claim's ownerReferences for the retention policy (upstream's
 * updateClaimOwnerRefForSetAndPod): whenDeleted=Delete makes the set an
 * owner; whenScaled=Delete makes the pod an owner once its ordinal is
 * condemned. References to anything else are kept.
 */
export function claimOwnerRefs(refs: OwnerReference[], set: StatefulSet, pod: Pod, replicaCount: number): OwnerReference[] {
  const policy = set.spec?.persistentVolumeClaimRetentionPolicy ?? {};
  const out = refs.filter((r) => r.uid !== set.metadata?.uid && !(r.kind === 'Pod' && r.name === pod.metadata?.name));
  const ord = ordinalOf(pod);
  const start = startOrdinal(set);
  const condemned = ord < start || ord >= start + replicaCount;
  if (policy.whenDeleted === 'Delete') out.push({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata!.name!, uid: set.metadata!.uid! });
  if (policy.whenScaled === 'Delete' && condemned && pod.metadata?.uid) out.push({ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name!, uid: pod.metadata.uid });
  return out;
}

/** JSON with sorted keys at every level (what Go's json.Marshal of a map gives). */
function sortedJSON(v: unknown): string {
  const norm = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(norm);
    if (x && typeof x === 'object') {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) if ((x as any)[k] !== undefined) o[k] = norm((x as any)[k]);
      return o;
    }
    return x;
  };
  return JSON.stringify(norm(v));
}

/** The revision data of a set: its template as a replacing patch (upstream's getPatch). */
export function revisionData(set: StatefulSet): any {
  return { spec: { template: { ...clone(set.spec?.template ?? {}), $patch: 'replace' } } };
}

/** FNV-32a of the revision data and the collision count, safely encoded (upstream's HashControllerRevision). */
export function hashRevision(data: unknown, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(sortedJSON(data)));
  if (collisionCount !== undefined) h = fnv32a(new TextEncoder().encode(String(collisionCount)), h);
  return safeEncodeString(String(h));
}

/** A ControllerRevision `<set>-<hash>` for the set's current template. */
export function newRevision(set: StatefulSet, revision: number, collisionCount: number): ControllerRevision {
  const data = revisionData(set);
  const hash = hashRevision(data, collisionCount);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${set.metadata!.name!.slice(0, 223)}-${hash}`,
      namespace: set.metadata!.namespace,
      labels: { ...(set.spec?.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
      ownerReferences: [newControllerRef(set, 'apps/v1', 'StatefulSet')],
    },
    data,
    revision,
  };
}

/** The set with the revision's template (upstream's ApplyRevision). */
export function applyRevision(set: StatefulSet, revision: ControllerRevision): StatefulSet {
  const out = clone(set);
  const t = clone((revision.data as any)?.spec?.template ?? {});
  delete t.$patch;
  out.spec = { ...out.spec!, template: t };
  return out;
}

export function sortRevisions(revisions: ControllerRevision[]): ControllerRevision[] {
  return [...revisions].sort((a, b) => a.revision - b.revision || (a.metadata!.name! < b.metadata!.name! ? -1 : a.metadata!.name! > b.metadata!.name! ? 1 : 0));
}

export function nextRevisionNumber(sorted: ControllerRevision[]): number {
  return sorted.length ? sorted[sorted.length - 1].revision + 1 : 1;
}
