// The CronJob controller (upstream pkg/controller/cronjob, the v2
// controller): creates a Job for each scheduled time of a CronJob.
//
// syncCronJob reconciles `status.active` with the Jobs the CronJob owns
// (finished Jobs leave it, recording `lastSuccessfulTime`; vanished ones
// are dropped), deletes finished Jobs beyond the history limits, then
// looks for the most recent unmet schedule time since `lastScheduleTime`
// (bounded by `startingDeadlineSeconds`) and starts a Job for it, honouring
// `concurrencyPolicy`. It never polls: the key is re-queued for the next
// schedule time. The clock is injectable (`now`).
//
// Jobs are named `<cronjob>-<scheduled time in minutes since the epoch>`,
// so a retried creation for the same time is idempotent (AlreadyExists).

import type { ApiClient } from '../client/types.js';
import { isAlreadyExists, isNotFound } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { clone, metaNamespaceKey, objectOf, splitMetaNamespaceKey, NAMESPACE_INDEX, type DeletedFinalStateUnknown } from '../client/store.js';
import { isKnownTimeZone } from '../api/validation/cron.js';
import { QueueController, type ControllerOptions } from './base.js';
import { ApiEventRecorder, type EventRecorder } from './events.js';
import { formatRFC3339InZone, parseCronSchedule, type CronSchedule } from './cron.js';
import { jobsPath } from './job.js';
import { deepEqual, errorMessage, getControllerOf, groupOf, newControllerRef, nowRFC3339, parseTime } from './util.js';

export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Past this many missed start times a warning is recorded (upstream's limit of 100). */
export const TOO_MANY_MISSED = 100;
/** Added to the requeue delay so the sync lands after the schedule time (upstream's nextScheduleDelta). */
export const NEXT_SCHEDULE_DELTA_MS = 100;

export const cronJobsPath = (ns: string): string => `/apis/batch/v1/namespaces/${encodeURIComponent(ns)}/cronjobs`;

export interface CronJobControllerOptions extends ControllerOptions {
  recorder?: EventRecorder;
  /** The clock (ms since the epoch); injectable for tests. */
  now?: () => number;
}

export class CronJobController extends QueueController {
  readonly recorder: EventRecorder;
  private readonly cronJobInformer: Informer<any>;
  private readonly jobInformer: Informer<any>;
  private readonly now: () => number;

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    opts: CronJobControllerOptions = {},
  ) {
    super('cronjob', opts);
    this.now = opts.now ?? Date.now;
    this.recorder = opts.recorder ?? new ApiEventRecorder(client, 'cronjob-controller');
    this.cronJobInformer = factory.informerFor<any>('/apis/batch/v1/cronjobs');
    this.jobInformer = factory.informerFor<any>('/apis/batch/v1/jobs');
    this.registrations.push(
      this.cronJobInformer.addEventHandler({
        onAdd: (cj) => this.enqueue(metaNamespaceKey(cj)),
        onUpdate: (_old, cur) => this.enqueue(metaNamespaceKey(cur)),
        onDelete: (obj) => this.enqueue(metaNamespaceKey(objectOf(obj))),
      }),
      this.jobInformer.addEventHandler({
        onAdd: (job) => this.enqueueOwner(job),
        onUpdate: (oldJob, curJob) => {
          if (oldJob.metadata?.resourceVersion === curJob.metadata?.resourceVersion) return;
          if (!deepEqual(getControllerOf(oldJob), getControllerOf(curJob))) this.enqueueOwner(oldJob);
          this.enqueueOwner(curJob);
        },
        onDelete: (obj: any | DeletedFinalStateUnknown<any>) => this.enqueueOwner(objectOf(obj)),
      }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.cronJobInformer, this.jobInformer];
  }

  private enqueueOwner(job: any): void {
    const ref = getControllerOf(job);
    if (!ref || ref.kind !== 'CronJob' || groupOf(ref.apiVersion) !== 'batch') return;
    const cj = this.cronJobInformer.getByName(job.metadata?.namespace ?? '', ref.name);
    if (cj && cj.metadata?.uid === ref.uid) this.enqueue(metaNamespaceKey(cj));
  }

  protected async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const cached = this.cronJobInformer.getByName(namespace, name);
    if (!cached) return;
    const cj = clone(cached);
    cj.kind ??= 'CronJob';
    cj.apiVersion ??= 'batch/v1';
    const jobs = this.jobInformer.byIndex(NAMESPACE_INDEX, namespace).filter((j) => getControllerOf(j)?.uid === cj.metadata.uid);
    const status: any = clone(cj.status ?? {});
    const now = this.now();

    await this.reconcileActive(cj, status, jobs);
    await this.cleanupFinishedJobs(cj, jobs);
    const requeueAfter = await this.schedule(cj, status, now);
    await this.updateStatus(cj, status);
    if (requeueAfter !== undefined) this.queue.addAfter(key, requeueAfter);
  }

  /** Keeps `status.active` in line with the owned Jobs. */
  private async reconcileActive(cj: any, status: any, jobs: any[]): Promise<void> {
    const active: any[] = status.active ?? [];
    const byUID = new Map(jobs.map((j) => [j.metadata.uid, j]));
    const next: any[] = [];
    for (const ref of active) {
      const j = byUID.get(ref.uid);
      if (j) {
        if (!jobFinished(j)) next.push(ref);
        continue;
      }
      // Not in the cache: gone for real, or the cache lags behind our own create.
      try {
        const fresh = await this.client.get(`${jobsPath(cj.metadata.namespace)}/${encodeURIComponent(ref.name)}`);
        if (fresh.metadata.uid === ref.uid && !jobFinished(fresh)) {
          next.push(ref);
          continue;
        }
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      this.recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
    }
    const inActive = new Set(next.map((r) => r.uid));
    for (const j of jobs) {
      const finished = jobFinished(j);
      const wasActive = active.some((r: any) => r.uid === j.metadata.uid);
      if (finished && wasActive) {
        this.recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, condition: ${finished.type}`);
      }
      if (finished?.type === 'Complete') {
        const t = j.status?.completionTime;
        if (t && (!status.lastSuccessfulTime || parseTime(t) > parseTime(status.lastSuccessfulTime))) status.lastSuccessfulTime = t;
      }
      if (!finished && !inActive.has(j.metadata.uid) && !j.metadata.deletionTimestamp) {
        // Created but not recorded (a crash between create and status update): track it.
        next.push(jobRef(j));
        inActive.add(j.metadata.uid);
      }
    }
    if (next.length) status.active = next;
    else delete status.active;
  }

  /** Deletes the oldest finished Jobs beyond the history limits. */
  private async cleanupFinishedJobs(cj: any, jobs: any[]): Promise<void> {
    const succeeded = jobs.filter((j) => jobFinished(j)?.type === 'Complete' && !j.metadata.deletionTimestamp);
    const failed = jobs.filter((j) => jobFinished(j)?.type === 'Failed' && !j.metadata.deletionTimestamp);
    const limitS = cj.spec?.successfulJobsHistoryLimit;
    const limitF = cj.spec?.failedJobsHistoryLimit;
    const victims: any[] = [];
    for (const [list, limit] of [
      [succeeded, limitS],
      [failed, limitF],
    ] as Array<[any[], number | undefined]>) {
      if (limit == null || list.length <= limit) continue;
      list.sort(byStartTime);
      victims.push(...list.slice(0, list.length - limit));
    }
    for (const j of victims) await this.deleteJob(cj, j);
  }

  private async deleteJob(cj: any, j: any): Promise<void> {
    try {
      await this.client.delete(`${jobsPath(cj.metadata.namespace)}/${encodeURIComponent(j.metadata.name)}`, {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        propagationPolicy: 'Background',
      });
    } catch (e) {
      if (isNotFound(e)) return;
      this.recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${errorMessage(e)}`);
      throw e;
    }
    this.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
  }

  /** Starts a Job if a schedule time is due; returns when to look again. */
  private async schedule(cj: any, status: any, now: number): Promise<number | undefined> {
    if (cj.metadata.deletionTimestamp) return undefined;
    const tz: string | undefined = cj.spec?.timeZone ?? undefined;
    if (tz && !isKnownTimeZone(tz)) {
      this.recorder.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(tz)}: unknown time zone ${tz}`);
      return undefined;
    }
    let sched: CronSchedule;
    try {
      sched = parseCronSchedule(cj.spec?.schedule ?? '', tz);
    } catch (e) {
      this.recorder.event(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${cj.spec?.schedule} : ${errorMessage(e)}`);
      return undefined;
    }
    if (cj.spec?.suspend) return undefined;
    const requeue = (): number | undefined => {
      const t = sched.next(now);
      return t === undefined ? undefined : t - now + NEXT_SCHEDULE_DELTA_MS;
    };

    const { scheduled, missed } = mostRecentScheduleTime(cj, now, sched);
    if (scheduled === undefined) return requeue();
    if (missed > TOO_MANY_MISSED) {
      this.recorder.event(cj, 'Warning', 'TooManyMissedTimes', `too many missed start times: ${missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
    }
    const sds = cj.spec?.startingDeadlineSeconds;
    if (sds != null && scheduled + sds * 1000 < now) {
      this.recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${formatRFC3339InZone(scheduled, tz)}`);
      return requeue();
    }
    const jobName = getJobName(cj, scheduled);
    const active: any[] = status.active ?? [];
    if (active.some((r) => r.name === jobName) || parseTime(status.lastScheduleTime) === scheduled) return requeue();

    const policy = cj.spec?.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && active.length > 0) {
      this.recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return requeue();
    }
    if (policy === 'Replace') {
      for (const ref of active) {
        const j = this.jobInformer.getByName(cj.metadata.namespace, ref.name) ?? { metadata: { name: ref.name } };
        await this.deleteJob(cj, j);
      }
      delete status.active;
    }

    const job = jobFromTemplate(cj, scheduled, tz);
    let created: any;
    try {
      created = await this.client.create(jobsPath(cj.metadata.namespace), job);
      this.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
    } catch (e) {
      if (!isAlreadyExists(e)) {
        this.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${errorMessage(e)}`);
        throw e;
      }
      // Created by an earlier attempt: use it if it is ours.
      created = await this.client.get(`${jobsPath(cj.metadata.namespace)}/${encodeURIComponent(jobName)}`);
      if (getControllerOf(created)?.uid !== cj.metadata.uid) return requeue();
    }
    if (!jobFinished(created) && !(status.active ?? []).some((r: any) => r.uid === created.metadata.uid)) {
      status.active = [...(status.active ?? []), jobRef(created)];
    }
    status.lastScheduleTime = nowRFC3339(scheduled);
    return requeue();
  }

  private async updateStatus(cj: any, status: any): Promise<void> {
    if (deepEqual(cj.status ?? {}, status)) return;
    await this.client.update(`${cronJobsPath(cj.metadata.namespace)}/${encodeURIComponent(cj.metadata.name)}/status`, { ...cj, status });
  }
}

// ---- pure parts (exported for tests) ----

function jobRef(j: any): any {
  return { kind: 'Job', namespace: j.metadata.namespace, name: j.metadata.name, uid: j.metadata.uid, apiVersion: 'batch/v1', resourceVersion: j.metadata.resourceVersion };
}

/** The Complete or Failed condition of a finished Job. */
export function jobFinished(job: any): { type: string } | undefined {
  return (job.status?.conditions ?? []).find((c: any) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

function byStartTime(a: any, b: any): number {
  const ta = parseTime(a.status?.startTime) || parseTime(a.metadata?.creationTimestamp);
  const tb = parseTime(b.status?.startTime) || parseTime(b.metadata?.creationTimestamp);
  if (ta !== tb) return ta - tb;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/** `<cronjob>-<scheduled time in minutes since the epoch>` (upstream's getJobName). */
export function getJobName(cj: any, scheduledMs: number): string {
  return `${cj.metadata.name}-${Math.floor(scheduledMs / 60000)}`;
}

/**
 * The most recent schedule time in (earliest, now], where earliest is the
 * last schedule time (or the creation time), moved forward to
 * now - startingDeadlineSeconds; and how many times were missed.
 */
export function mostRecentScheduleTime(cj: any, now: number, sched: CronSchedule): { scheduled?: number; missed: number } {
  let earliest = parseTime(cj.status?.lastScheduleTime) || parseTime(cj.metadata?.creationTimestamp);
  const sds = cj.spec?.startingDeadlineSeconds;
  if (sds != null) earliest = Math.max(earliest, now - sds * 1000);
  let t = sched.next(earliest);
  if (t === undefined || t > now) return { missed: 0 };
  let scheduled = t;
  let missed = 0;
  // Count the missed times, but stop walking once too many were missed (jump to the end).
  while (t !== undefined && t <= now) {
    scheduled = t;
    missed++;
    if (missed > TOO_MANY_MISSED) {
      // Find the most recent one without visiting each: search back from now.
      let probe = now - 60000;
      let last = sched.next(probe);
      while (last !== undefined && last > now) {
        probe -= Math.max(60000, now - probe);
        last = sched.next(probe);
      }
      let cur = last;
      while (cur !== undefined && cur <= now) {
        scheduled = cur;
        cur = sched.next(cur);
      }
      break;
    }
    t = sched.next(t);
  }
  return { scheduled, missed };
}

/** The Job for a schedule time: the template's labels, annotations and spec, the scheduled-timestamp annotation and the controller reference. */
export function jobFromTemplate(cj: any, scheduledMs: number, tz?: string): any {
  const t: any = cj.spec?.jobTemplate ?? {};
  const meta: any = { name: getJobName(cj, scheduledMs), namespace: cj.metadata.namespace };
  if (t.metadata?.labels) meta.labels = { ...t.metadata.labels };
  meta.annotations = { ...(t.metadata?.annotations ?? {}), [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: formatRFC3339InZone(scheduledMs, tz) };
  meta.ownerReferences = [newControllerRef(cj, 'batch/v1', 'CronJob')];
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: meta, spec: clone(t.spec ?? {}) };
}
