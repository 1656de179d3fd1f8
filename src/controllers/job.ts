// The Job controller (upstream pkg/controller/job): runs pods from a Job's
// template until `completions` of them succeeded (NonIndexed), or one pod
// per completion index succeeded (Indexed), at most `parallelism` at once.
//
// Pods carry the tracking finalizer `batch.kubernetes.io/job-tracking`, so
// a finished pod cannot vanish before it was counted. Counting is two-phase
// as upstream: the pod's uid is first recorded in
// `status.uncountedTerminatedPods`, then its finalizer is removed, then the
// uid moves into `succeeded` / `failed` (or `completedIndexes`). Finalizer
// removals the cache has not shown yet are remembered, so a stale pod is not
// counted twice.
//
// Failure: a pod failure policy rule (FailJob / Ignore / Count on exit
// codes or pod conditions), `backoffLimit`, or `activeDeadlineSeconds`
// first set the interim FailureTarget condition and delete the active pods;
// Failed follows once no pod is left to count. Success likewise sets
// SuccessCriteriaMet, then Complete with `completionTime`. Failed pods are
// replaced after an exponential back-off (10 s doubling, capped at 6 min).
//
// `ttlSecondsAfterFinished` is handled here as well (upstream has a
// separate ttl-after-finished controller): a finished Job is deleted with
// background propagation once its TTL has passed.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../client/types.js';
import { isConflict, isNotFound } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { UIDTrackingControllerExpectations } from '../client/expectations.js';
import { clone, metaNamespaceKey, objectOf, splitMetaNamespaceKey, NAMESPACE_INDEX, type DeletedFinalStateUnknown } from '../client/store.js';
import { QueueController, type ControllerOptions } from './base.js';
import { claimObjects, recheckOwner } from './controller-ref.js';
import { ApiEventRecorder, type EventRecorder } from './events.js';
import { slowStartBatch, getPodsToDelete } from './replicaset.js';
import {
  deepEqual,
  errorMessage,
  getControllerOf,
  groupOf,
  isNamespaceTerminating,
  isPodReady,
  newControllerRef,
  nowRFC3339,
  parseSelectorStrict,
  parseTime,
  podsPath,
} from './util.js';

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
export const JOB_COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
/** Upstream's DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff. */
export const DEFAULT_JOB_POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_JOB_POD_FAILURE_BACKOFF_MS = 360_000;
export const JOB_BURST = 500;

export const jobsPath = (ns: string): string => `/apis/batch/v1/namespaces/${encodeURIComponent(ns)}/jobs`;

export interface JobControllerOptions extends ControllerOptions {
  recorder?: EventRecorder;
  now?: () => number;
  /** Back-off before re-creating failed pods: base (default 10 s) doubling up to max (default 6 min). */
  podFailureBackoffMs?: number;
  maxPodFailureBackoffMs?: number;
}

interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime: number;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

export class JobController extends QueueController {
  readonly expectations = new UIDTrackingControllerExpectations();
  readonly recorder: EventRecorder;
  /** Pod uids whose tracking finalizer was removed but whose update the cache has not shown yet, per job key. */
  private readonly finalizerExpectations = new Map<string, Set<string>>();
  private readonly backoff = new Map<string, BackoffRecord>();
  private readonly jobInformer: Informer<any>;
  private readonly podInformer: Informer<Pod>;
  private readonly now: () => number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    opts: JobControllerOptions = {},
  ) {
    super('job', opts);
    this.now = opts.now ?? Date.now;
    this.backoffBaseMs = opts.podFailureBackoffMs ?? DEFAULT_JOB_POD_FAILURE_BACKOFF_MS;
    this.backoffMaxMs = opts.maxPodFailureBackoffMs ?? MAX_JOB_POD_FAILURE_BACKOFF_MS;
    this.recorder = opts.recorder ?? new ApiEventRecorder(client, 'job-controller');
    this.jobInformer = factory.informerFor<any>('/apis/batch/v1/jobs');
    this.podInformer = factory.informerFor<Pod>('/api/v1/pods');
    this.registrations.push(
      this.jobInformer.addEventHandler({
        onAdd: (job) => this.enqueue(metaNamespaceKey(job)),
        onUpdate: (oldJob, curJob) => {
          if (oldJob.metadata?.uid !== curJob.metadata?.uid) this.deleteJob(oldJob);
          this.enqueue(metaNamespaceKey(curJob));
        },
        onDelete: (obj) => this.deleteJob(obj),
      }),
      this.podInformer.addEventHandler({
        onAdd: (pod) => this.addPod(pod),
        onUpdate: (oldPod, curPod) => this.updatePod(oldPod, curPod),
        onDelete: (obj) => this.deletePod(obj),
      }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.jobInformer, this.podInformer];
  }

  // ---- event handlers: events to keys ----

  private deleteJob(obj: any | DeletedFinalStateUnknown<any>): void {
    const job = objectOf(obj);
    const key = metaNamespaceKey(job);
    this.expectations.deleteExpectations(key);
    this.finalizerExpectations.delete(key);
    this.backoff.delete(key);
    this.enqueue(key);
  }

  private jobOfPod(pod: Pod): any | undefined {
    const ref = getControllerOf(pod);
    if (!ref || ref.kind !== 'Job' || groupOf(ref.apiVersion) !== 'batch') return undefined;
    const job = this.jobInformer.getByName(pod.metadata?.namespace ?? '', ref.name);
    return job && job.metadata?.uid === ref.uid ? job : undefined;
  }

  /** A pod still tracked by a Job that is gone: the sync of that Job's key releases it. */
  private enqueueOrphan(pod: Pod): void {
    if (!hasTrackingFinalizer(pod)) return;
    const ref = getControllerOf(pod);
    // Without a controller (orphaned by the garbage collector) the job-name label says which Job it was.
    const jobName = ref ? (ref.kind === 'Job' && groupOf(ref.apiVersion) === 'batch' ? ref.name : undefined) : pod.metadata?.labels?.[JOB_NAME_LABEL];
    if (jobName) this.enqueue(`${pod.metadata?.namespace ?? ''}/${jobName}`);
  }

  private finalizerRemovalObserved(key: string, pod: Pod): void {
    const set = this.finalizerExpectations.get(key);
    if (set?.delete(pod.metadata?.uid ?? '') && set.size === 0) this.finalizerExpectations.delete(key);
  }

  private addPod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      this.deletePod(pod);
      return;
    }
    const job = this.jobOfPod(pod);
    if (!job) {
      this.enqueueOrphan(pod); // Jobs never adopt by label alone in practice: their selector names their uid.
      return;
    }
    const key = metaNamespaceKey(job);
    this.expectations.creationObserved(key);
    this.enqueue(key);
  }

  private updatePod(oldPod: Pod, curPod: Pod): void {
    if (oldPod.metadata?.resourceVersion === curPod.metadata?.resourceVersion) return;
    const job = this.jobOfPod(curPod) ?? this.jobOfPod(oldPod);
    if (!job) {
      this.enqueueOrphan(curPod);
      return;
    }
    const key = metaNamespaceKey(job);
    if (!hasTrackingFinalizer(curPod)) this.finalizerRemovalObserved(key, curPod);
    if (curPod.metadata?.deletionTimestamp) this.expectations.deletionObservedOf(key, metaNamespaceKey(curPod));
    this.enqueue(key);
  }

  private deletePod(obj: Pod | DeletedFinalStateUnknown<Pod>): void {
    const pod = objectOf(obj);
    const job = this.jobOfPod(pod);
    if (!job) return;
    const key = metaNamespaceKey(job);
    this.expectations.deletionObservedOf(key, metaNamespaceKey(pod));
    this.finalizerRemovalObserved(key, pod);
    this.enqueue(key);
  }

  // ---- sync ----

  protected async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const cached = this.jobInformer.getByName(namespace, name);
    // Pods whose Job (by this name) is gone keep no tracking finalizer, or they could never be deleted.
    const orphans = this.podInformer.byIndex(NAMESPACE_INDEX, namespace).filter((p) => {
      const ref = getControllerOf(p);
      if (!hasTrackingFinalizer(p)) return false;
      if (!ref) return p.metadata?.labels?.[JOB_NAME_LABEL] === name && (!cached || !!cached.metadata?.deletionTimestamp);
      return ref.kind === 'Job' && groupOf(ref.apiVersion) === 'batch' && ref.name === name && ref.uid !== cached?.metadata?.uid;
    });
    if (orphans.length) {
      const failed = await this.removeFinalizers(`orphans/${key}`, orphans);
      this.finalizerExpectations.delete(`orphans/${key}`);
      if (failed.size) throw new Error(`job ${key}: removing the tracking finalizer from ${failed.size} orphan pods failed`);
    }
    if (!cached) {
      this.expectations.deleteExpectations(key);
      this.finalizerExpectations.delete(key);
      this.backoff.delete(key);
      return;
    }
    const job = clone(cached);
    job.kind ??= 'Job';
    job.apiVersion ??= 'batch/v1';
    const now = this.now();
    const status: any = clone(job.status ?? {});
    const pathOfPod = (p: any): string => `${podsPath(namespace)}/${encodeURIComponent(p.metadata.name)}`;

    let selector;
    try {
      selector = parseSelectorStrict(job.spec?.selector);
    } catch (e) {
      console.error(`job ${key}: invalid selector: ${errorMessage(e)}`);
      return;
    }
    const pods: Pod[] = await claimObjects(
      this.podInformer.byIndex(NAMESPACE_INDEX, namespace),
      {
        client: this.client,
        owner: job,
        ownerApiVersion: 'batch/v1',
        ownerKind: 'Job',
        selector,
        pathOf: pathOfPod,
        canAdopt: recheckOwner(this.client, `${jobsPath(namespace)}/${encodeURIComponent(name)}`, job, 'Job'),
      },
    );

    const finished = finishedCondition(job);
    const indexed = job.spec?.completionMode === 'Indexed';
    const completions: number | undefined = job.spec?.completions ?? undefined;
    const pendingRemoval = this.finalizerExpectations.get(key) ?? new Set<string>();

    // ---- phase 1: record newly terminated pods as uncounted ----
    const uncounted = {
      succeeded: new Set<string>(status.uncountedTerminatedPods?.succeeded ?? []),
      failed: new Set<string>(status.uncountedTerminatedPods?.failed ?? []),
    };
    let completed = parseIndexes(status.completedIndexes ?? '', completions ?? 0);
    const newlyCompleted = new Map<string, number>(); // uid -> index
    const toUntrack: Pod[] = []; // finalizer to remove without counting (ignored failures, duplicates)
    let failureTarget: Condition | undefined = conditionOf(job, 'FailureTarget')?.status === 'True' ? conditionOf(job, 'FailureTarget') : undefined;
    let newFailures = 0;
    let newSuccess = false;
    let lastFailure = 0;

    for (const pod of pods) {
      const uid = pod.metadata?.uid ?? '';
      if (!hasTrackingFinalizer(pod) || pendingRemoval.has(uid)) continue;
      if (uncounted.succeeded.has(uid) || uncounted.failed.has(uid)) continue;
      if (pod.status?.phase === 'Succeeded') {
        if (indexed) {
          const ix = completionIndexOf(pod);
          if (ix === undefined || ix >= (completions ?? 0) || completed.has(ix) || [...newlyCompleted.values()].includes(ix)) {
            toUntrack.push(pod);
            continue;
          }
          newlyCompleted.set(uid, ix);
        }
        uncounted.succeeded.add(uid);
        newSuccess = true;
      } else if (isPodFailed(pod, job) || (finished && !isPodTerminal(pod))) {
        const action = finished ? { action: 'Count' as const } : matchPodFailurePolicy(job, pod);
        if (action.action === 'Ignore') {
          toUntrack.push(pod);
          continue;
        }
        if (action.action === 'FailJob' && !failureTarget) {
          failureTarget = { type: 'FailureTarget', status: 'True', reason: 'PodFailurePolicy', message: action.message };
        }
        uncounted.failed.add(uid);
        newFailures++;
        lastFailure = Math.max(lastFailure, podFinishTime(pod, now));
      }
    }

    // Back-off bookkeeping (upstream's backoffRecord): failures since the last success.
    if (newFailures || newSuccess) {
      const rec = this.backoff.get(key) ?? { failuresAfterLastSuccess: 0, lastFailureTime: 0 };
      if (newSuccess && !newFailures) this.backoff.set(key, { failuresAfterLastSuccess: 0, lastFailureTime: rec.lastFailureTime });
      else this.backoff.set(key, { failuresAfterLastSuccess: (newSuccess ? 0 : rec.failuresAfterLastSuccess) + newFailures, lastFailureTime: Math.max(rec.lastFailureTime, lastFailure) });
    }

    const active = pods.filter((p) => !isPodTerminal(p) && !p.metadata?.deletionTimestamp);
    const terminating = pods.filter((p) => !isPodTerminal(p) && !!p.metadata?.deletionTimestamp);
    const counted = (s: any) => ({
      succeeded: indexed ? completed.size + newlyCompleted.size : (s.succeeded ?? 0) + uncounted.succeeded.size,
      failed: (s.failed ?? 0) + uncounted.failed.size,
    });

    // ---- decide whether the Job is finishing ----
    if (!status.startTime && !job.spec?.suspend && !finished) status.startTime = nowRFC3339(now);
    let successCriteria: Condition | undefined = conditionOf(job, 'SuccessCriteriaMet')?.status === 'True' ? conditionOf(job, 'SuccessCriteriaMet') : undefined;
    const totals = counted(status);
    if (!finished && !failureTarget && !successCriteria) {
      const backoffLimit = job.spec?.backoffLimit ?? 6;
      if (totals.failed > backoffLimit || pastBackoffLimitOnFailure(job, active)) {
        failureTarget = { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
      } else if (pastActiveDeadline(job, status, now)) {
        failureTarget = { type: 'FailureTarget', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
      } else if (completionsReached(job, totals.succeeded, active.length, newSuccess || (status.succeeded ?? 0) > 0)) {
        successCriteria = { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
      }
    }
    const finishing = !finished && (failureTarget || successCriteria);

    // Active pods of a finishing job are deleted; on failure they count as failed.
    if (finishing && active.length) {
      if (failureTarget) {
        for (const p of active) {
          if (hasTrackingFinalizer(p)) uncounted.failed.add(p.metadata!.uid!);
        }
      }
    }

    // Write the uncounted uids (and interim condition) before any finalizer goes.
    let conditions: Condition[] = clone(status.conditions ?? []);
    if (failureTarget) conditions = setCondition(conditions, failureTarget, now);
    if (successCriteria) conditions = setCondition(conditions, successCriteria, now);
    status.conditions = conditions;
    status.uncountedTerminatedPods = uncountedObj(uncounted);
    let current = await this.writeStatusIfChanged(job, status);

    if (finishing && active.length) {
      await this.deletePods(job, active, failureTarget ? failureTarget.reason! : 'CompletionsReached', !failureTarget);
    }

    // A Job being deleted releases the pods it would not count (podReplacementPolicy Failed).
    if (job.metadata?.deletionTimestamp) {
      for (const p of terminating) {
        const uid = p.metadata?.uid ?? '';
        if (hasTrackingFinalizer(p) && !uncounted.failed.has(uid) && !pendingRemoval.has(uid)) toUntrack.push(p);
      }
    }

    // ---- phase 2: remove finalizers, then count ----
    const byUID = new Map(pods.map((p) => [p.metadata?.uid ?? '', p]));
    const removeFrom = [...uncounted.succeeded, ...uncounted.failed]
      .map((uid) => byUID.get(uid))
      .filter((p): p is Pod => !!p && hasTrackingFinalizer(p) && !pendingRemoval.has(p.metadata?.uid ?? ''));
    // Pods being deleted by us on failure stay counted via uncounted; those not terminal yet keep the finalizer until they end.
    const removable = removeFrom.filter((p) => isPodTerminal(p) || !!p.metadata?.deletionTimestamp || failureTarget);
    const failedRemovals = await this.removeFinalizers(key, [...removable, ...toUntrack]);
    const stillTracked = new Set(removeFrom.filter((p) => !removable.includes(p) || failedRemovals.has(p.metadata!.uid!)).map((p) => p.metadata!.uid!));
    let moved = false;
    for (const uid of [...uncounted.succeeded]) {
      if (stillTracked.has(uid)) continue;
      uncounted.succeeded.delete(uid);
      if (indexed) {
        const ix = newlyCompleted.get(uid) ?? completionIndexOf(byUID.get(uid));
        if (ix !== undefined && ix < (completions ?? 0)) completed.add(ix);
      } else status.succeeded = (status.succeeded ?? 0) + 1;
      moved = true;
    }
    for (const uid of [...uncounted.failed]) {
      if (stillTracked.has(uid)) continue;
      uncounted.failed.delete(uid);
      status.failed = (status.failed ?? 0) + 1;
      moved = true;
    }
    if (indexed) {
      completed = new Set([...completed].filter((i) => i < (completions ?? 0)));
      status.succeeded = completed.size;
      const s = formatIndexes(completed);
      if (s) status.completedIndexes = s;
      else delete status.completedIndexes;
    }
    if (moved) status.uncountedTerminatedPods = uncountedObj(uncounted);

    // ---- phase 3: manage pods, or finish ----
    const activeNow = finishing ? [] : active;
    let requeueAfter: number | undefined;
    let manageErr: unknown;
    const uncountedEmpty = uncounted.succeeded.size === 0 && uncounted.failed.size === 0;
    if (finished) {
      // nothing to run
    } else if (failureTarget || successCriteria) {
      const untracked = this.finalizerExpectations.get(key) ?? new Set<string>();
      const podsLeft = pods.some((p) => !isPodTerminal(p) && hasTrackingFinalizer(p) && !untracked.has(p.metadata?.uid ?? ''));
      if (uncountedEmpty && !podsLeft && activeNow.length === 0) {
        const final: Condition = failureTarget
          ? { type: 'Failed', status: 'True', reason: failureTarget.reason, message: failureTarget.message }
          : { type: 'Complete', status: 'True', reason: successCriteria!.reason, message: successCriteria!.message };
        status.conditions = setCondition(status.conditions ?? [], final, now);
        if (!failureTarget) status.completionTime = nowRFC3339(now);
        if (failureTarget) this.recorder.event(job, 'Warning', failureTarget.reason!, failureTarget.message!);
        else this.recorder.event(job, 'Normal', 'Completed', 'Job completed');
      } else if (!uncountedEmpty || podsLeft) {
        this.queue.addAfter(key, 1000); // pods still terminating
      }
    } else if (this.expectations.satisfied(key) && !job.metadata?.deletionTimestamp) {
      try {
        requeueAfter = await this.manageJob(job, status, activeNow, completed, now);
      } catch (e) {
        manageErr = e;
      }
    }

    // ---- status ----
    const stillActive = finishing || finished ? 0 : activeNow.filter((p) => !p.metadata?.deletionTimestamp).length + (this.expectations.get(key)?.add ?? 0);
    setOrDelete(status, 'active', finished ? 0 : Math.max(0, stillActive));
    setOrDelete(status, 'ready', finished || finishing ? 0 : active.filter(isPodReady).length, true);
    setOrDelete(status, 'terminating', terminating.length, true);
    setOrDelete(status, 'succeeded', status.succeeded ?? 0);
    setOrDelete(status, 'failed', status.failed ?? 0);
    current = await this.writeStatusIfChanged(current, status);

    // Active deadline: look again when it expires.
    const deadline = job.spec?.activeDeadlineSeconds;
    if (!finished && !finishing && deadline != null && status.startTime && !job.spec?.suspend) {
      const left = parseTime(status.startTime) + deadline * 1000 - now;
      if (left > 0) this.queue.addAfter(key, left);
    }
    if (requeueAfter !== undefined) this.queue.addAfter(key, requeueAfter);
    if (finishedCondition(current)) await this.handleTTL(current, key, now);
    if (manageErr !== undefined) throw manageErr;
  }

  /** Creates or deletes pods; returns a delay after which to look again (back-off), if any. */
  private async manageJob(job: any, status: any, active: Pod[], completed: Set<number>, now: number): Promise<number | undefined> {
    const key = metaNamespaceKey(job);
    const conditions: Condition[] = status.conditions ?? [];
    const suspendedCond = conditions.find((c) => c.type === 'Suspended');
    if (job.spec?.suspend) {
      if (suspendedCond?.status !== 'True') {
        status.conditions = setCondition(conditions, { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' }, now);
        this.recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
      }
      // A resumed Job's activeDeadlineSeconds counts from the resume.
      delete status.startTime;
      if (active.length) await this.deletePods(job, active, 'JobSuspended', true);
      active.length = 0;
      return undefined;
    }
    if (suspendedCond?.status === 'True') {
      status.conditions = setCondition(conditions, { type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed' }, now);
      this.recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
      status.startTime = nowRFC3339(now);
    }

    const parallelism = job.spec?.parallelism ?? 1;
    const completions: number | undefined = job.spec?.completions ?? undefined;
    const indexed = job.spec?.completionMode === 'Indexed';
    let wantActive: number;
    if (completions == null) wantActive = (status.succeeded ?? 0) > 0 ? Math.min(active.length, parallelism) : parallelism;
    else wantActive = Math.max(0, Math.min(parallelism, completions - (indexed ? completed.size : status.succeeded ?? 0)));

    // Duplicate pods of an index: keep one.
    let excess: Pod[] = [];
    let activeIndexes = new Set<number>();
    if (indexed) {
      const keep: Pod[] = [];
      for (const p of [...active].sort((a, b) => (isPodReady(b) ? 1 : 0) - (isPodReady(a) ? 1 : 0))) {
        const ix = completionIndexOf(p);
        if (ix === undefined || ix >= (completions ?? 0) || completed.has(ix) || activeIndexes.has(ix)) excess.push(p);
        else {
          activeIndexes.add(ix);
          keep.push(p);
        }
      }
      active = keep;
    }
    const diff = active.length - wantActive;
    if (diff > 0) excess = excess.concat(getPodsToDelete(active, [], diff, now));
    if (excess.length) {
      await this.deletePods(job, excess, 'ExcessPods', true);
      return undefined;
    }
    if (diff >= 0) return undefined;

    // Failed pods are re-created after a back-off.
    const rec = this.backoff.get(key);
    if (rec && rec.failuresAfterLastSuccess > 0) {
      const delay = Math.min(this.backoffBaseMs * 2 ** (rec.failuresAfterLastSuccess - 1), this.backoffMaxMs);
      const left = rec.lastFailureTime + delay - now;
      if (left > 0) return left;
    }

    let count = Math.min(-diff, JOB_BURST);
    let indexes: number[] = [];
    if (indexed) {
      for (let i = 0; i < (completions ?? 0) && indexes.length < count; i++) {
        if (!completed.has(i) && !activeIndexes.has(i)) indexes.push(i);
      }
      count = indexes.length;
    }
    if (count === 0) return undefined;
    this.expectations.expectCreations(key, count);
    let next = 0;
    const { successes, error } = await slowStartBatch(count, 1, () => this.createPod(job, indexed ? indexes[next++] : undefined));
    for (let i = successes; i < count; i++) this.expectations.creationObserved(key);
    if (error !== undefined) throw error;
    return undefined;
  }

  private async createPod(job: any, index: number | undefined): Promise<void> {
    const pod = podFromJobTemplate(job, index);
    let created: any;
    try {
      created = await this.client.create(podsPath(job.metadata.namespace), pod);
    } catch (e) {
      if (isNamespaceTerminating(e)) return;
      this.recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(e)}`);
      throw e;
    }
    this.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
  }

  /** Deletes pods; with `untrack` their finalizer goes first so they are not counted. */
  private async deletePods(job: any, pods: Pod[], _why: string, untrack: boolean): Promise<void> {
    const key = metaNamespaceKey(job);
    if (untrack) await this.removeFinalizers(key, pods.filter(hasTrackingFinalizer));
    this.expectations.expectDeletionsOf(
      key,
      pods.map((p) => metaNamespaceKey(p)),
    );
    const errors: unknown[] = [];
    await Promise.all(
      pods.map(async (p) => {
        try {
          await this.client.delete(`${podsPath(p.metadata!.namespace!)}/${encodeURIComponent(p.metadata!.name!)}`, {});
          this.recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata!.name}`);
        } catch (e) {
          this.expectations.deletionObservedOf(key, metaNamespaceKey(p));
          if (!isNotFound(e)) {
            this.recorder.event(job, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(e)}`);
            errors.push(e);
          }
        }
      }),
    );
    if (errors.length) throw errors[0];
  }

  /** Removes the tracking finalizer; returns the uids whose removal failed. */
  private async removeFinalizers(key: string, pods: Pod[]): Promise<Set<string>> {
    const failed = new Set<string>();
    let set = this.finalizerExpectations.get(key);
    await Promise.all(
      pods.map(async (p) => {
        const uid = p.metadata!.uid!;
        try {
          const patch = [
            { op: 'test', path: '/metadata/uid', value: uid },
            { op: 'replace', path: '/metadata/finalizers', value: (p.metadata?.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER) },
          ];
          await this.client.patch(`${podsPath(p.metadata!.namespace!)}/${encodeURIComponent(p.metadata!.name!)}`, patch, 'json');
          if (!set) this.finalizerExpectations.set(key, (set = new Set()));
          set.add(uid);
        } catch (e) {
          if (!isNotFound(e)) failed.add(uid);
        }
      }),
    );
    return failed;
  }

  private async writeStatusIfChanged(job: any, status: any): Promise<any> {
    if (Array.isArray(status.conditions) && status.conditions.length === 0) delete status.conditions;
    if (deepEqual(job.status ?? {}, status)) return job;
    const path = `${jobsPath(job.metadata.namespace)}/${encodeURIComponent(job.metadata.name)}/status`;
    try {
      const updated = await this.client.update(path, { ...job, status: clone(status) });
      updated.kind ??= 'Job';
      updated.apiVersion ??= 'batch/v1';
      return updated;
    } catch (e) {
      // A stale cache: the next sync sees the newer object (never overwrite counts computed from old ones).
      if (isConflict(e)) throw new Error(`job ${job.metadata.namespace}/${job.metadata.name}: status conflict, retrying`);
      throw e;
    }
  }

  private async handleTTL(job: any, key: string, now: number): Promise<void> {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (ttl == null || job.metadata?.deletionTimestamp) return;
    const fin = finishedCondition(job)!;
    const finishedAt = parseTime(job.status?.completionTime) || parseTime(fin.lastTransitionTime) || now;
    const left = finishedAt + ttl * 1000 - now;
    if (left > 0) {
      this.queue.addAfter(key, left);
      return;
    }
    try {
      await this.client.delete(`${jobsPath(job.metadata.namespace)}/${encodeURIComponent(job.metadata.name)}`, {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        propagationPolicy: 'Background',
        preconditions: { uid: job.metadata.uid, resourceVersion: job.metadata.resourceVersion },
      });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }
}

// ---- pure parts (exported for tests) ----

export function hasTrackingFinalizer(pod: Pod): boolean {
  return (pod.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
}

function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** Failed, or (unless only Failed pods are replaced) being deleted before it succeeded (upstream's isPodFailed). */
export function isPodFailed(pod: Pod, job: any): boolean {
  if (pod.status?.phase === 'Failed') return true;
  const onlyFailed = job.spec?.podReplacementPolicy === 'Failed' || !!job.spec?.podFailurePolicy;
  if (onlyFailed) return false;
  return !!pod.metadata?.deletionTimestamp && pod.status?.phase !== 'Succeeded';
}

function podFinishTime(pod: Pod, now: number): number {
  let t = 0;
  for (const c of pod.status?.containerStatuses ?? []) t = Math.max(t, parseTime(c.state?.terminated?.finishedAt));
  return t || now;
}

export function finishedCondition(job: any): Condition | undefined {
  return (job.status?.conditions ?? []).find((c: Condition) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

function conditionOf(job: any, type: string): Condition | undefined {
  return (job.status?.conditions ?? []).find((c: Condition) => c.type === type);
}

/** Sets a condition, keeping lastTransitionTime when the status does not change. */
function setCondition(conditions: Condition[], c: Condition, now: number): Condition[] {
  const t = nowRFC3339(now);
  const i = conditions.findIndex((x) => x.type === c.type);
  if (i < 0) return [...conditions, { ...c, lastProbeTime: t, lastTransitionTime: t }];
  const old = conditions[i];
  if (old.status === c.status && old.reason === c.reason && old.message === c.message) return conditions;
  const next = conditions.slice();
  next[i] = { ...c, lastProbeTime: t, lastTransitionTime: old.status === c.status ? old.lastTransitionTime : t };
  return next;
}

function setOrDelete(obj: any, field: string, value: number, keepZero = false): void {
  if (value || keepZero) obj[field] = value;
  else delete obj[field];
}

function uncountedObj(u: { succeeded: Set<string>; failed: Set<string> }): any {
  const o: any = {};
  if (u.succeeded.size) o.succeeded = [...u.succeeded].sort();
  if (u.failed.size) o.failed = [...u.failed].sort();
  return o;
}

function pastActiveDeadline(job: any, status: any, now: number): boolean {
  const d = job.spec?.activeDeadlineSeconds;
  if (d == null || !status.startTime || job.spec?.suspend) return false;
  return now - parseTime(status.startTime) >= d * 1000;
}

/** With restartPolicy OnFailure, container restarts count against the backoff limit. */
function pastBackoffLimitOnFailure(job: any, active: Pod[]): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  const limit = job.spec?.backoffLimit ?? 6;
  let restarts = 0;
  for (const p of active) {
    for (const c of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) restarts += c.restartCount ?? 0;
  }
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

function completionsReached(job: any, succeeded: number, active: number, anySucceeded: boolean): boolean {
  const completions = job.spec?.completions;
  if (completions == null) return anySucceeded && active === 0;
  return succeeded >= completions;
}

export function completionIndexOf(pod: Pod | undefined): number | undefined {
  const v = pod?.metadata?.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION] ?? pod?.metadata?.labels?.[JOB_COMPLETION_INDEX_ANNOTATION];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Parses `status.completedIndexes` ("1,3-5,7"), keeping indexes below `completions`. */
export function parseIndexes(s: string, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of s.split(',')) {
    if (!part) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let i = lo; i <= hi && i < completions; i++) out.add(i);
  }
  return out;
}

/** Formats indexes as upstream's completedIndexes: sorted, consecutive runs as ranges. */
export function formatIndexes(set: Set<number>): string {
  const xs = [...set].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    parts.push(j === i ? String(xs[i]) : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export type PodFailureAction = { action: 'FailJob'; message: string } | { action: 'Ignore' } | { action: 'Count' } | { action: 'FailIndex' };

/** The first pod failure policy rule matching a failed pod (upstream's matchPodFailurePolicy); Count when none does. */
export function matchPodFailurePolicy(job: any, pod: Pod): PodFailureAction {
  const rules: any[] = job.spec?.podFailurePolicy?.rules ?? [];
  if (pod.status?.phase !== 'Failed') return { action: 'Count' };
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    let matched: string | undefined;
    if (r.onExitCodes) {
      const { containerName, operator, values } = r.onExitCodes;
      for (const cs of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
        if (containerName && cs.name !== containerName) continue;
        const code = cs.state?.terminated?.exitCode;
        if (code === undefined || code === 0) continue;
        const inValues = (values ?? []).includes(code);
        if ((operator === 'In' && inValues) || (operator === 'NotIn' && !inValues)) {
          matched = `Container ${cs.name} for pod ${pod.metadata?.namespace}/${pod.metadata?.name} failed with exit code ${code} matching ${r.action} rule at index ${i}`;
          break;
        }
      }
    } else if (r.onPodConditions) {
      for (const pat of r.onPodConditions) {
        const c = (pod.status?.conditions ?? []).find((x) => x.type === pat.type);
        if (c && c.status === (pat.status ?? 'True')) {
          matched = `Pod ${pod.metadata?.namespace}/${pod.metadata?.name} has condition ${pat.type} matching ${r.action} rule at index ${i}`;
          break;
        }
      }
    }
    if (matched === undefined) continue;
    if (r.action === 'FailJob') return { action: 'FailJob', message: matched };
    if (r.action === 'Ignore') return { action: 'Ignore' };
    if (r.action === 'FailIndex') return { action: 'FailIndex' };
    return { action: 'Count' };
  }
  return { action: 'Count' };
}

/**
 * A pod for the Job: `generateName: <job>-` (`<job>-<index>-` when
 * Indexed), the template's labels and annotations, the tracking finalizer
 * and the controller reference. Indexed pods carry their index as
 * annotation, label, JOB_COMPLETION_INDEX and hostname `<job>-<index>`.
 */
export function podFromJobTemplate(job: any, index?: number): any {
  const t: any = job.spec?.template ?? {};
  const name: string = job.metadata.name;
  const meta: any = { generateName: index === undefined ? `${name}-` : `${name}-${index}-` };
  meta.labels = { ...(t.metadata?.labels ?? {}) };
  if (t.metadata?.annotations) meta.annotations = { ...t.metadata.annotations };
  meta.finalizers = [...(t.metadata?.finalizers ?? []).filter((f: string) => f !== JOB_TRACKING_FINALIZER), JOB_TRACKING_FINALIZER];
  meta.ownerReferences = [newControllerRef(job, 'batch/v1', 'Job')];
  const spec = clone(t.spec ?? {});
  if (index !== undefined) {
    meta.annotations = { ...(meta.annotations ?? {}), [JOB_COMPLETION_INDEX_ANNOTATION]: String(index) };
    meta.labels[JOB_COMPLETION_INDEX_ANNOTATION] = String(index);
    if (!spec.hostname) spec.hostname = `${name}-${index}`;
    const env = { name: JOB_COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX_ANNOTATION}']` } } };
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      if ((c.env ?? []).some((e: any) => e.name === JOB_COMPLETION_INDEX_ENV)) continue;
      c.env = [...(c.env ?? []), env];
    }
  }
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec };
}
