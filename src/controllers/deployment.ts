// The Deployment controller (upstream pkg/controller/deployment): rolls a
// Deployment's pod template out through ReplicaSets.
//
// The ReplicaSet whose template equals the Deployment's (ignoring the
// pod-template-hash label) is the new one; it is named
// `<deployment>-<hash>` and carries the hash in its labels, selector and
// template, so its pods never overlap with other revisions'. Every other
// ReplicaSet the Deployment controls is old. A sync, in upstream's order:
//
//   deleting            → status only
//   paused              → scale only (proportionally), Progressing=Unknown
//   rollback annotation → copy the old template back (deprecated API)
//   scaling event       → scale only (proportionally)
//   Recreate            → old to 0, wait for their pods to go, new to N
//   RollingUpdate       → new up within maxSurge, old down within maxUnavailable
//
// then status (counts and the Available and Progressing conditions) is
// written back. `kubectl rollout undo` edits the template back to an old
// ReplicaSet's: that ReplicaSet is found again by template and gets the
// next revision. Events handlers only enqueue Deployment keys.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { ApiClient } from '../client/types.js';
import { isAlreadyExists, isNotFound } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { clone, metaNamespaceKey, objectOf, splitMetaNamespaceKey, NAMESPACE_INDEX, type DeletedFinalStateUnknown } from '../client/store.js';
import { QueueController, type ControllerOptions } from './base.js';
import { claimObjects, recheckOwner } from './controller-ref.js';
import { ApiEventRecorder, type EventRecorder, type EventType } from './events.js';
import {
  DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY,
  DESIRED_REPLICAS_ANNOTATION,
  FAILED_RS_CREATE_REASON,
  FOUND_NEW_RS_REASON,
  NEW_REPLICA_SET_REASON,
  NEW_RS_AVAILABLE_REASON,
  PAUSED_DEPLOY_REASON,
  REPLICA_SET_UPDATED_REASON,
  RESUMED_DEPLOY_REASON,
  REVISION_ANNOTATION,
  ROLLBACK_DONE,
  ROLLBACK_REVISION_NOT_FOUND,
  ROLLBACK_TEMPLATE_UNCHANGED,
  ROLLBACK_TO_ANNOTATION,
  TIMED_OUT_REASON,
  availableReplicaCount,
  actualReplicaCount,
  calculateDeploymentStatus,
  computeHash,
  deploymentComplete,
  deploymentProgressing,
  deploymentStatusEqual,
  deploymentTimedOut,
  equalIgnoreHash,
  filterActiveReplicaSets,
  findActiveOrLatest,
  findNewReplicaSet,
  findOldReplicaSets,
  getDeploymentCondition,
  getProportion,
  hasProgressDeadline,
  hasRevisionHistoryLimit,
  isRollingUpdate,
  isSaturated,
  lastRevision,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newDeploymentCondition,
  newRSNewReplicas,
  removeDeploymentCondition,
  replicaCount,
  replicaSetToDeploymentCondition,
  replicasAnnotationsNeedUpdate,
  revisionOf,
  setDeploymentAnnotationsTo,
  setDeploymentCondition,
  setDeploymentRevision,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  sortByRevision,
  sortBySize,
} from './deployment-util.js';
import {
  compareByCreation,
  deepEqual,
  deploymentsPath,
  errorMessage,
  getControllerOf,
  groupOf,
  isNamespaceTerminating,
  labelSelectorOf,
  labelsEqual,
  newControllerRef,
  parseSelectorStrict,
  replicaSetsPath,
} from './util.js';

export interface DeploymentControllerOptions extends ControllerOptions {
  recorder?: EventRecorder;
  now?: () => number;
}

type RS = any; // ReplicaSet, mutable copies
type D = any; // Deployment, the sync's working copy

export class DeploymentController extends QueueController {
  readonly recorder: EventRecorder;
  private readonly dInformer: Informer<Deployment>;
  private readonly rsInformer: Informer<ReplicaSet>;
  private readonly podInformer: Informer<Pod>;
  private readonly now: () => number;

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    opts: DeploymentControllerOptions = {},
  ) {
    super('deployment', opts);
    this.now = opts.now ?? Date.now;
    this.recorder = opts.recorder ?? new ApiEventRecorder(client, 'deployment-controller');
    this.dInformer = factory.informerFor<Deployment>('/apis/apps/v1/deployments');
    this.rsInformer = factory.informerFor<ReplicaSet>('/apis/apps/v1/replicasets');
    this.podInformer = factory.informerFor<Pod>('/api/v1/pods');
    this.registrations.push(
      this.dInformer.addEventHandler({
        onAdd: (d) => this.enqueueDeployment(d),
        onUpdate: (_old, cur) => this.enqueueDeployment(cur),
        onDelete: (obj) => this.enqueueDeployment(objectOf(obj)),
      }),
      this.rsInformer.addEventHandler({
        onAdd: (rs) => this.addReplicaSet(rs),
        onUpdate: (oldRS, curRS) => this.updateReplicaSet(oldRS, curRS),
        onDelete: (obj) => this.deleteReplicaSet(obj),
      }),
      this.podInformer.addEventHandler({ onDelete: (obj) => this.deletePod(obj) }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.dInformer, this.rsInformer, this.podInformer];
  }

  // ---- event handlers: events to keys ----

  private enqueueDeployment(d: Deployment): void {
    this.enqueue(metaNamespaceKey(d));
  }

  private resolveControllerRef(namespace: string, ref: { kind: string; apiVersion: string; name: string; uid: string }): Deployment | undefined {
    if (ref.kind !== 'Deployment' || groupOf(ref.apiVersion) !== 'apps') return undefined;
    const d = this.dInformer.getByName(namespace, ref.name);
    return d && d.metadata?.uid === ref.uid ? d : undefined;
  }

  /** Deployments in the ReplicaSet's namespace whose (non-empty) selector matches it. */
  private getDeploymentsForReplicaSet(rs: ReplicaSet): Deployment[] {
    if (!rs.metadata?.labels || Object.keys(rs.metadata.labels).length === 0) return [];
    return this.dInformer.byIndex(NAMESPACE_INDEX, rs.metadata?.namespace ?? '').filter((d) => {
      const sel = labelSelectorOf(d.spec?.selector as any);
      return !sel.isEverything() && sel.matches(rs.metadata?.labels);
    });
  }

  private addReplicaSet(rs: ReplicaSet): void {
    if (rs.metadata?.deletionTimestamp) {
      this.deleteReplicaSet(rs);
      return;
    }
    const ref = getControllerOf(rs);
    if (ref) {
      const d = this.resolveControllerRef(rs.metadata?.namespace ?? '', ref);
      if (d) this.enqueueDeployment(d);
      return;
    }
    for (const d of this.getDeploymentsForReplicaSet(rs)) this.enqueueDeployment(d);
  }

  private updateReplicaSet(oldRS: ReplicaSet, curRS: ReplicaSet): void {
    if (oldRS.metadata?.resourceVersion === curRS.metadata?.resourceVersion) return;
    const curRef = getControllerOf(curRS);
    const oldRef = getControllerOf(oldRS);
    const refChanged = !deepEqual(curRef, oldRef);
    if (refChanged && oldRef) {
      const d = this.resolveControllerRef(oldRS.metadata?.namespace ?? '', oldRef);
      if (d) this.enqueueDeployment(d);
    }
    if (curRef) {
      const d = this.resolveControllerRef(curRS.metadata?.namespace ?? '', curRef);
      if (d) this.enqueueDeployment(d);
      return;
    }
    if (refChanged || !labelsEqual(oldRS.metadata?.labels, curRS.metadata?.labels)) {
      for (const d of this.getDeploymentsForReplicaSet(curRS)) this.enqueueDeployment(d);
    }
  }

  private deleteReplicaSet(obj: ReplicaSet | DeletedFinalStateUnknown<ReplicaSet>): void {
    const rs = objectOf(obj);
    const ref = getControllerOf(rs);
    if (!ref) return;
    const d = this.resolveControllerRef(rs.metadata?.namespace ?? '', ref);
    if (d) this.enqueueDeployment(d);
  }

  /** A Recreate Deployment waits for its old pods to be gone: look again when the last one goes. */
  private deletePod(obj: Pod | DeletedFinalStateUnknown<Pod>): void {
    const pod = objectOf(obj);
    const ns = pod.metadata?.namespace ?? '';
    const rsRef = getControllerOf(pod);
    if (!rsRef || rsRef.kind !== 'ReplicaSet') return;
    const rs = this.rsInformer.getByName(ns, rsRef.name);
    if (!rs || rs.metadata?.uid !== rsRef.uid) return;
    const dRef = getControllerOf(rs);
    const d = dRef && this.resolveControllerRef(ns, dRef);
    if (!d || d.spec?.strategy?.type !== 'Recreate') return;
    const rsList = this.rsInformer.byIndex(NAMESPACE_INDEX, ns).filter((r) => getControllerOf(r)?.uid === d.metadata?.uid);
    let n = 0;
    for (const pods of this.getPodMapForDeployment(d, rsList).values()) n += pods.length;
    if (n === 0) this.enqueueDeployment(d);
  }

  // ---- sync ----

  protected async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const cached = this.dInformer.getByName(namespace, name);
    if (!cached) return;
    const d: D = clone(cached);
    d.kind ??= 'Deployment';
    d.apiVersion ??= 'apps/v1';
    d.status ??= {};

    const sel = d.spec?.selector;
    if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) {
      this.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        d.status.observedGeneration = d.metadata.generation;
        await this.updateDeploymentStatus(d);
      }
      return;
    }

    const rsList = await this.getReplicaSetsForDeployment(d);
    const podMap = this.getPodMapForDeployment(d, rsList);

    if (d.metadata.deletionTimestamp) return this.syncStatusOnly(d, rsList);
    await this.checkPausedConditions(d);
    if (d.spec.paused) return this.syncScale(d, rsList);
    if (getRollbackTo(d) !== undefined) return this.rollback(d, rsList);
    if (await this.isScalingEvent(d, rsList)) return this.syncScale(d, rsList);
    if (d.spec.strategy?.type === 'Recreate') return this.rolloutRecreate(d, rsList, podMap);
    return this.rolloutRolling(d, rsList);
  }

  /** The ReplicaSets this Deployment controls, after adopting matching orphans and releasing those that stopped matching. */
  private async getReplicaSetsForDeployment(d: D): Promise<RS[]> {
    const ns = d.metadata.namespace;
    const selector = parseSelectorStrict(d.spec.selector);
    const claimed = await claimObjects(this.rsInformer.byIndex(NAMESPACE_INDEX, ns), {
      client: this.client,
      owner: d,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'Deployment',
      selector,
      pathOf: (rs) => `${replicaSetsPath(ns)}/${encodeURIComponent(rs.metadata.name)}`,
      canAdopt: recheckOwner(this.client, `${deploymentsPath(ns)}/${encodeURIComponent(d.metadata.name)}`, d, 'Deployment'),
    });
    return [...claimed];
  }

  /** Pods of the Deployment, grouped by the uid of the ReplicaSet that controls them. */
  private getPodMapForDeployment(d: Deployment, rsList: ReplicaSet[]): Map<string, Pod[]> {
    const selector = labelSelectorOf(d.spec?.selector as any);
    const map = new Map<string, Pod[]>();
    for (const rs of rsList) map.set(rs.metadata?.uid ?? '', []);
    for (const pod of this.podInformer.byIndex(NAMESPACE_INDEX, d.metadata?.namespace ?? '')) {
      if (!selector.matches(pod.metadata?.labels)) continue;
      const ref = getControllerOf(pod);
      if (!ref) continue;
      map.get(ref.uid)?.push(pod);
    }
    return map;
  }

  /** The new ReplicaSet (created when asked and missing) and all the old ones, with revisions synced. */
  private async getAllReplicaSetsAndSyncRevision(d: D, rsList: RS[], createIfNotExisted: boolean): Promise<{ newRS: RS | undefined; oldRSs: RS[] }> {
    const { all: oldRSs } = findOldReplicaSets(d, rsList);
    const newRS = await this.getNewReplicaSet(d, rsList, oldRSs, createIfNotExisted);
    return { newRS, oldRSs };
  }

  private async getNewReplicaSet(d: D, rsList: RS[], oldRSs: RS[], createIfNotExisted: boolean): Promise<RS | undefined> {
    const ns = d.metadata.namespace;
    const existing = findNewReplicaSet(d, rsList);
    const newRevision = String(maxRevision(oldRSs) + 1);

    if (existing) {
      const rsCopy: RS = clone(existing);
      const annotationsUpdated = setNewReplicaSetAnnotations(d, rsCopy, newRevision, true);
      const minReadyNeedsUpdate = (rsCopy.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0);
      if (annotationsUpdated || minReadyNeedsUpdate) {
        if (d.spec.minReadySeconds) rsCopy.spec.minReadySeconds = d.spec.minReadySeconds;
        else delete rsCopy.spec.minReadySeconds;
        const updated = await this.client.update(`${replicaSetsPath(ns)}/${encodeURIComponent(rsCopy.metadata.name)}`, rsCopy);
        replaceIn(rsList, updated);
        return updated;
      }
      let needsUpdate = setDeploymentRevision(d, rsCopy.metadata.annotations?.[REVISION_ANNOTATION]);
      if (hasProgressDeadline(d) && !getDeploymentCondition(d.status, 'Progressing')) {
        setDeploymentCondition(d.status, newDeploymentCondition('Progressing', 'True', FOUND_NEW_RS_REASON, `Found new replica set "${rsCopy.metadata.name}"`, this.now()));
        needsUpdate = true;
      }
      if (needsUpdate) await this.updateDeploymentStatus(d);
      return rsCopy;
    }
    if (!createIfNotExisted) return undefined;

    const template = clone(d.spec.template ?? {});
    const hash = computeHash(d.spec.template, d.status.collisionCount);
    template.metadata ??= {};
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY]: hash };
    const selector = clone(d.spec.selector);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY]: hash };
    const newRS: RS = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: ns,
        labels: { ...template.metadata.labels },
        ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
      },
      spec: { replicas: 0, selector, template },
    };
    if (d.spec.minReadySeconds) newRS.spec.minReadySeconds = d.spec.minReadySeconds;
    const newReplicasCount = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
    newRS.spec.replicas = newReplicasCount;
    setNewReplicaSetAnnotations(d, newRS, newRevision, false);

    let created: RS;
    let alreadyExists = false;
    try {
      created = await this.client.create(replicaSetsPath(ns), newRS);
    } catch (e) {
      if (isAlreadyExists(e)) {
        alreadyExists = true;
        // A slow cache, or a hash collision with someone else's ReplicaSet.
        const rs = this.rsInformer.getByName(ns, newRS.metadata.name) ?? (await this.client.get(`${replicaSetsPath(ns)}/${encodeURIComponent(newRS.metadata.name)}`));
        const ref = getControllerOf(rs);
        if (ref?.uid === d.metadata.uid && equalIgnoreHash(d.spec.template, rs.spec?.template)) {
          created = rs;
        } else {
          d.status.collisionCount = (d.status.collisionCount ?? 0) + 1;
          try {
            await this.updateDeploymentStatus(d);
          } catch {
            // the requeue retries with the old count
          }
          throw e;
        }
      } else if (isNamespaceTerminating(e)) {
        throw e;
      } else {
        const msg = `Failed to create new replica set "${newRS.metadata.name}": ${errorMessage(e)}`;
        if (hasProgressDeadline(d)) {
          setDeploymentCondition(d.status, newDeploymentCondition('Progressing', 'False', FAILED_RS_CREATE_REASON, msg, this.now()));
          try {
            await this.updateDeploymentStatus(d);
          } catch {
            // the bigger problem is reported below
          }
        }
        this.event(d, 'Warning', FAILED_RS_CREATE_REASON, msg);
        throw e;
      }
    }
    if (!alreadyExists && newReplicasCount > 0) {
      this.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${newReplicasCount}`);
    }
    let needsUpdate = setDeploymentRevision(d, newRevision);
    if (!alreadyExists && hasProgressDeadline(d)) {
      setDeploymentCondition(d.status, newDeploymentCondition('Progressing', 'True', NEW_REPLICA_SET_REASON, `Created new replica set "${created.metadata.name}"`, this.now()));
      needsUpdate = true;
    }
    if (needsUpdate) await this.updateDeploymentStatus(d);
    return created;
  }

  // ---- strategies ----

  private async rolloutRolling(d: D, rsList: RS[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, true);
    const allRSs = [...oldRSs, newRS];
    if (await this.reconcileNewReplicaSet(allRSs, newRS, d)) return this.syncRolloutStatus(allRSs, newRS, d);
    if (await this.reconcileOldReplicaSets(allRSs, filterActiveReplicaSets(oldRSs), newRS, d)) return this.syncRolloutStatus(allRSs, newRS, d);
    if (deploymentComplete(d, d.status)) await this.cleanupDeployment(oldRSs, d);
    return this.syncRolloutStatus(allRSs, newRS, d);
  }

  private async reconcileNewReplicaSet(allRSs: RS[], newRS: RS, d: D): Promise<boolean> {
    const replicas = d.spec.replicas ?? 1;
    if (newRS.spec.replicas === replicas) return false;
    if (newRS.spec.replicas > replicas) return (await this.scaleReplicaSetAndRecordEvent(newRS, replicas, d)).scaled;
    return (await this.scaleReplicaSetAndRecordEvent(newRS, newRSNewReplicas(d, allRSs, newRS), d)).scaled;
  }

  private async reconcileOldReplicaSets(allRSs: RS[], oldRSs: RS[], newRS: RS, d: D): Promise<boolean> {
    const oldPodsCount = replicaCount(oldRSs);
    if (oldPodsCount === 0) return false;
    const allPodsCount = replicaCount(allRSs);
    const minAvailable = (d.spec.replicas ?? 1) - maxUnavailable(d);
    // Unavailable pods of the new ReplicaSet must not let old ones go further.
    const newRSUnavailable = (newRS.spec.replicas ?? 0) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = allPodsCount - minAvailable - newRSUnavailable;
    if (maxScaledDown <= 0) return false;
    let cleaned: { oldRSs: RS[]; count: number };
    try {
      cleaned = await this.cleanupUnhealthyReplicas(oldRSs, d, maxScaledDown);
    } catch {
      return false;
    }
    let scaledDown = 0;
    try {
      scaledDown = await this.scaleDownOldReplicaSetsForRollingUpdate([...cleaned.oldRSs, newRS], cleaned.oldRSs, d);
    } catch {
      return false;
    }
    return cleaned.count + scaledDown > 0;
  }

  /** Scales old ReplicaSets down by their unavailable replicas first: that costs no availability. */
  private async cleanupUnhealthyReplicas(oldRSs: RS[], d: D, maxCleanupCount: number): Promise<{ oldRSs: RS[]; count: number }> {
    const sorted = [...oldRSs].sort(compareByCreation);
    let total = 0;
    for (let i = 0; i < sorted.length; i++) {
      const rs = sorted[i];
      if (total >= maxCleanupCount) break;
      const replicas = rs.spec.replicas ?? 0;
      const available = rs.status?.availableReplicas ?? 0;
      if (replicas === 0 || replicas === available) continue;
      const count = Math.min(maxCleanupCount - total, replicas - available);
      const r = await this.scaleReplicaSetAndRecordEvent(rs, replicas - count, d);
      total += count;
      sorted[i] = r.rs;
    }
    return { oldRSs: sorted, count: total };
  }

  private async scaleDownOldReplicaSetsForRollingUpdate(allRSs: RS[], oldRSs: RS[], d: D): Promise<number> {
    const minAvailable = (d.spec.replicas ?? 1) - maxUnavailable(d);
    const available = availableReplicaCount(allRSs);
    if (available <= minAvailable) return 0;
    const totalToScaleDown = available - minAvailable;
    let total = 0;
    for (const rs of [...oldRSs].sort(compareByCreation)) {
      if (total >= totalToScaleDown) break;
      const replicas = rs.spec.replicas ?? 0;
      if (replicas === 0) continue;
      const count = Math.min(replicas, totalToScaleDown - total);
      await this.scaleReplicaSetAndRecordEvent(rs, replicas - count, d);
      total += count;
    }
    return total;
  }

  private async rolloutRecreate(d: D, rsList: RS[], podMap: Map<string, Pod[]>): Promise<void> {
    // The new ReplicaSet is not created before the old pods are gone.
    let { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    let allRSs = [...oldRSs, newRS];
    let scaledDown = false;
    for (const rs of filterActiveReplicaSets(oldRSs)) {
      if ((await this.scaleReplicaSetAndRecordEvent(rs, 0, d)).scaled) scaledDown = true;
    }
    if (scaledDown) return this.syncRolloutStatus(allRSs, newRS, d);
    if (oldPodsRunning(newRS, oldRSs, podMap)) return this.syncRolloutStatus(allRSs, newRS, d);
    if (!newRS) {
      ({ newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, true));
      allRSs = [...oldRSs, newRS];
    }
    await this.scaleReplicaSetAndRecordEvent(newRS, d.spec.replicas ?? 1, d);
    if (deploymentComplete(d, d.status)) await this.cleanupDeployment(oldRSs, d);
    return this.syncRolloutStatus(allRSs, newRS, d);
  }

  /** Scaling events and paused Deployments: resize without rolling (upstream's sync). */
  private async syncScale(d: D, rsList: RS[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    await this.scale(d, newRS, oldRSs);
    if (d.spec.paused && getRollbackTo(d) === undefined) await this.cleanupDeployment(oldRSs, d);
    return this.syncDeploymentStatus([...oldRSs, newRS], newRS, d);
  }

  private async syncStatusOnly(d: D, rsList: RS[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    return this.syncDeploymentStatus([...oldRSs, newRS], newRS, d);
  }

  /**
   * Resizes proportionally: a lone active ReplicaSet takes the whole size; a
   * saturated new one means old ones go to 0; otherwise, rolling, the
   * difference is spread by each ReplicaSet's share of the old maximum.
   */
  private async scale(d: D, newRS: RS | undefined, oldRSs: RS[]): Promise<void> {
    const replicas = d.spec.replicas ?? 1;
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest) {
      if ((activeOrLatest.spec?.replicas ?? 0) === replicas) return;
      await this.scaleReplicaSetAndRecordEvent(activeOrLatest, replicas, d);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of filterActiveReplicaSets(oldRSs)) await this.scaleReplicaSetAndRecordEvent(old, 0, d);
      return;
    }
    if (!isRollingUpdate(d)) return;
    let all = filterActiveReplicaSets([...oldRSs, newRS]);
    const allReplicas = replicaCount(all);
    const allowedSize = replicas > 0 ? replicas + maxSurge(d) : 0;
    const toAdd = allowedSize - allReplicas;
    let op = '';
    if (toAdd > 0) {
      all = sortBySize(all, true);
      op = 'up';
    } else if (toAdd < 0) {
      all = sortBySize(all, false);
      op = 'down';
    }
    let added = 0;
    const sizes = new Map<string, number>();
    for (const rs of all) {
      if (toAdd !== 0) {
        const p = getProportion(rs, d, toAdd, added);
        sizes.set(rs.metadata!.name!, (rs.spec?.replicas ?? 0) + p);
        added += p;
      } else {
        sizes.set(rs.metadata!.name!, rs.spec?.replicas ?? 0);
      }
    }
    for (let i = 0; i < all.length; i++) {
      const rs = all[i];
      const name = rs.metadata!.name!;
      if (i === 0 && toAdd !== 0) {
        // Leftovers go to the largest.
        sizes.set(name, Math.max(0, sizes.get(name)! + toAdd - added));
      }
      await this.scaleReplicaSet(rs, sizes.get(name)!, d, op);
    }
  }

  private async scaleReplicaSetAndRecordEvent(rs: RS, newScale: number, d: D): Promise<{ scaled: boolean; rs: RS }> {
    if ((rs.spec?.replicas ?? 0) === newScale) return { scaled: false, rs };
    return this.scaleReplicaSet(rs, newScale, d, (rs.spec?.replicas ?? 0) < newScale ? 'up' : 'down');
  }

  private async scaleReplicaSet(rs: RS, newScale: number, d: D, op: string): Promise<{ scaled: boolean; rs: RS }> {
    const replicas = d.spec.replicas ?? 1;
    const oldScale = rs.spec?.replicas ?? 0;
    const sizeNeedsUpdate = oldScale !== newScale;
    const annotationsNeedUpdate = replicasAnnotationsNeedUpdate(rs, replicas, replicas + maxSurge(d));
    if (!sizeNeedsUpdate && !annotationsNeedUpdate) return { scaled: false, rs };
    const rsCopy = clone(rs);
    rsCopy.spec.replicas = newScale;
    setReplicasAnnotations(rsCopy, replicas, replicas + maxSurge(d));
    const updated = await this.client.update(`${replicaSetsPath(rsCopy.metadata.namespace)}/${encodeURIComponent(rsCopy.metadata.name)}`, rsCopy);
    if (sizeNeedsUpdate) this.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${updated.metadata.name} from ${oldScale} to ${newScale}`);
    return { scaled: sizeNeedsUpdate, rs: updated };
  }

  /** Deletes the oldest scaled-down ReplicaSets beyond revisionHistoryLimit. */
  private async cleanupDeployment(oldRSs: RS[], d: D): Promise<void> {
    if (!hasRevisionHistoryLimit(d)) return;
    const cleanable = oldRSs.filter((rs) => rs && !rs.metadata?.deletionTimestamp);
    const diff = cleanable.length - d.spec.revisionHistoryLimit;
    if (diff <= 0) return;
    const sorted: RS[] = sortByRevision(cleanable);
    for (let i = 0; i < diff; i++) {
      const rs = sorted[i];
      if ((rs.status?.replicas ?? 0) !== 0 || (rs.spec?.replicas ?? 0) !== 0 || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0) || rs.metadata?.deletionTimestamp) continue;
      try {
        await this.client.delete(`${replicaSetsPath(rs.metadata.namespace)}/${encodeURIComponent(rs.metadata.name)}`, {});
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  private async isScalingEvent(d: D, rsList: RS[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    const replicas = d.spec.replicas ?? 1;
    for (const rs of filterActiveReplicaSets([...oldRSs, newRS])) {
      const v = rs.metadata?.annotations?.[DESIRED_REPLICAS_ANNOTATION];
      if (v === undefined || !/^-?\d+$/.test(v)) continue;
      if (Number(v) !== replicas) return true;
    }
    return false;
  }

  private async checkPausedConditions(d: D): Promise<void> {
    if (!hasProgressDeadline(d)) return;
    const cond = getDeploymentCondition(d.status, 'Progressing');
    if (cond?.reason === TIMED_OUT_REASON) return; // a reported lack of progress stays
    const pausedCondExists = cond?.reason === PAUSED_DEPLOY_REASON;
    if (d.spec.paused && !pausedCondExists) {
      setDeploymentCondition(d.status, newDeploymentCondition('Progressing', 'Unknown', PAUSED_DEPLOY_REASON, 'Deployment is paused', this.now()));
    } else if (!d.spec.paused && pausedCondExists) {
      setDeploymentCondition(d.status, newDeploymentCondition('Progressing', 'Unknown', RESUMED_DEPLOY_REASON, 'Deployment is resumed', this.now()));
    } else {
      return;
    }
    await this.updateDeploymentStatus(d);
  }

  // ---- rollback through the deprecated annotation (apps/v1 has no spec.rollbackTo) ----

  private async rollback(d: D, rsList: RS[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(d, rsList, true);
    const allRSs = [...oldRSs, newRS].filter(Boolean);
    let revision = getRollbackTo(d)!;
    if (revision === 0) {
      revision = lastRevision(allRSs);
      if (revision === 0) {
        this.event(d, 'Warning', ROLLBACK_REVISION_NOT_FOUND, 'Unable to find last revision.');
        return this.updateDeploymentAndClearRollbackTo(d);
      }
    }
    for (const rs of allRSs) {
      let v: number;
      try {
        v = revisionOf(rs);
      } catch {
        continue;
      }
      if (v !== revision) continue;
      let performed = false;
      if (!equalIgnoreHash(d.spec.template, rs.spec?.template)) {
        const template = clone(rs.spec.template);
        if (template.metadata?.labels) delete template.metadata.labels[DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY];
        d.spec.template = template;
        setDeploymentAnnotationsTo(d, rs);
        performed = true;
      } else {
        this.event(d, 'Warning', ROLLBACK_TEMPLATE_UNCHANGED, `The rollback revision contains the same template as current deployment "${d.metadata.name}"`);
      }
      await this.updateDeploymentAndClearRollbackTo(d);
      if (performed) this.event(d, 'Normal', ROLLBACK_DONE, `Rolled back deployment "${d.metadata.name}" to revision ${revision}`);
      return;
    }
    this.event(d, 'Warning', ROLLBACK_REVISION_NOT_FOUND, 'Unable to find the revision to rollback to.');
    return this.updateDeploymentAndClearRollbackTo(d);
  }

  private async updateDeploymentAndClearRollbackTo(d: D): Promise<void> {
    if (d.metadata.annotations) delete d.metadata.annotations[ROLLBACK_TO_ANNOTATION];
    const updated = await this.client.update(`${deploymentsPath(d.metadata.namespace)}/${encodeURIComponent(d.metadata.name)}`, d);
    d.metadata.resourceVersion = updated.metadata.resourceVersion;
    d.metadata.generation = updated.metadata.generation;
  }

  // ---- status ----

  private async syncDeploymentStatus(allRSs: Array<RS | undefined>, newRS: RS | undefined, d: D): Promise<void> {
    const newStatus = calculateDeploymentStatus(allRSs, newRS, d, this.now());
    if (deploymentStatusEqual(d.status, newStatus)) return;
    d.status = newStatus;
    await this.updateDeploymentStatus(d);
  }

  /** Status plus the Progressing condition (complete, progressing, timed out) and replica failures. */
  private async syncRolloutStatus(allRSs: Array<RS | undefined>, newRS: RS | undefined, d: D): Promise<void> {
    const now = this.now();
    const newStatus = calculateDeploymentStatus(allRSs, newRS, d, now);
    if (!hasProgressDeadline(d)) removeDeploymentCondition(newStatus, 'Progressing');
    const currentCond = getDeploymentCondition(d.status, 'Progressing');
    const isComplete = (newStatus.replicas ?? 0) === (newStatus.updatedReplicas ?? 0) && currentCond?.reason === NEW_RS_AVAILABLE_REASON;
    if (hasProgressDeadline(d) && !isComplete) {
      if (deploymentComplete(d, newStatus)) {
        const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" has successfully progressed.` : `Deployment "${d.metadata.name}" has successfully progressed.`;
        setDeploymentCondition(newStatus, newDeploymentCondition('Progressing', 'True', NEW_RS_AVAILABLE_REASON, msg, now));
      } else if (deploymentProgressing(d, newStatus)) {
        const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" is progressing.` : `Deployment "${d.metadata.name}" is progressing.`;
        const cond = newDeploymentCondition('Progressing', 'True', REPLICA_SET_UPDATED_REASON, msg, now);
        // Progress refreshes lastUpdateTime even when the reason stays the same.
        if (currentCond) {
          if (currentCond.status === 'True') cond.lastTransitionTime = currentCond.lastTransitionTime;
          removeDeploymentCondition(newStatus, 'Progressing');
        }
        setDeploymentCondition(newStatus, cond);
      } else if (deploymentTimedOut(d, newStatus, now)) {
        const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" has timed out progressing.` : `Deployment "${d.metadata.name}" has timed out progressing.`;
        setDeploymentCondition(newStatus, newDeploymentCondition('Progressing', 'False', TIMED_OUT_REASON, msg, now));
      }
    }
    const failure = replicaFailures(allRSs, newRS);
    if (failure) setDeploymentCondition(newStatus, failure);
    else removeDeploymentCondition(newStatus, 'ReplicaFailure');

    if (deploymentStatusEqual(d.status, newStatus)) {
      this.requeueStuckDeployment(d, newStatus);
      return;
    }
    d.status = newStatus;
    await this.updateDeploymentStatus(d);
  }

  /** Looks again when the progress deadline would pass without progress. */
  private requeueStuckDeployment(d: D, newStatus: any): void {
    const cond = getDeploymentCondition(d.status, 'Progressing');
    if (!hasProgressDeadline(d) || !cond) return;
    if (deploymentComplete(d, newStatus) || cond.reason === TIMED_OUT_REASON) return;
    const lastUpdate = Date.parse(cond.lastUpdateTime ?? '') || this.now();
    const after = lastUpdate + d.spec.progressDeadlineSeconds * 1000 - this.now();
    const key = metaNamespaceKey(d);
    if (after < 1000) this.queue.addRateLimited(key);
    else this.queue.addAfter(key, after + 1000);
  }

  /**
   * Writes the working copy's status. The revision annotation also travels
   * this way upstream (the status strategy keeps metadata changes); when the
   * server drops it, it is patched onto the object itself.
   */
  private async updateDeploymentStatus(d: D): Promise<void> {
    const path = `${deploymentsPath(d.metadata.namespace)}/${encodeURIComponent(d.metadata.name)}`;
    const updated = await this.client.update(`${path}/status`, d);
    d.metadata.resourceVersion = updated.metadata.resourceVersion;
    const want = d.metadata.annotations?.[REVISION_ANNOTATION];
    if (want !== undefined && updated.metadata?.annotations?.[REVISION_ANNOTATION] !== want) {
      const patched = await this.client.patch(path, { metadata: { annotations: { [REVISION_ANNOTATION]: want }, resourceVersion: d.metadata.resourceVersion } }, 'merge');
      d.metadata.resourceVersion = patched.metadata.resourceVersion;
      // Only our own annotation changed: the new generation is observed.
      if (patched.metadata.generation !== d.metadata.generation && d.status.observedGeneration === d.metadata.generation) {
        d.metadata.generation = patched.metadata.generation;
        d.status.observedGeneration = patched.metadata.generation;
        const again = await this.client.update(`${path}/status`, d);
        d.metadata.resourceVersion = again.metadata.resourceVersion;
      } else {
        d.metadata.generation = patched.metadata.generation;
      }
    }
  }

  private event(d: D, type: EventType, reason: string, message: string): void {
    this.recorder.event({ ...d, kind: 'Deployment', apiVersion: 'apps/v1' }, type, reason, message);
  }
}

/** The revision asked for by the deprecated rollback annotation (0: the previous one), or undefined. */
export function getRollbackTo(d: Deployment): number | undefined {
  const v = d.metadata?.annotations?.[ROLLBACK_TO_ANNOTATION];
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  // An unparsable value is dropped, as upstream ignores it.
  return Number.isFinite(n) ? n : undefined;
}

/** Old ReplicaSets still have replicas, or their pods are not all terminated. */
export function oldPodsRunning(newRS: RS | undefined, oldRSs: RS[], podMap: Map<string, Pod[]>): boolean {
  if (actualReplicaCount(oldRSs) > 0) return true;
  for (const [uid, pods] of podMap) {
    if (newRS && newRS.metadata?.uid === uid) continue;
    for (const p of pods) {
      const phase = p.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
  }
  return false;
}

/** The new ReplicaSet's ReplicaFailure condition, else an old one's, as a Deployment condition. */
function replicaFailures(allRSs: Array<RS | undefined>, newRS: RS | undefined): ReturnType<typeof replicaSetToDeploymentCondition> | undefined {
  for (const c of newRS?.status?.conditions ?? []) if (c.type === 'ReplicaFailure') return replicaSetToDeploymentCondition(c);
  for (const rs of allRSs) for (const c of rs?.status?.conditions ?? []) if (c.type === 'ReplicaFailure') return replicaSetToDeploymentCondition(c);
  return undefined;
}

function replaceIn(list: RS[], updated: RS): void {
  const i = list.findIndex((x) => x.metadata?.uid === updated.metadata?.uid);
  if (i >= 0) list[i] = updated;
}
