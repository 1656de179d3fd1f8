// The CronJob controller against an in-process API server with an injected
// clock: sync is driven directly (no workers), the requeue delays are
// observed. Covers schedules and time zones, job naming, concurrency
// policies, starting deadlines, suspend and history limits.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../apiserver/api-server.js';
import type { InProcessClient } from '../client/in-process.js';
import { SharedInformerFactory } from '../client/informer.js';
import { CronJobController, getJobName, mostRecentScheduleTime, CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION } from './cronjob.js';
import { parseCronSchedule, formatRFC3339InZone } from './cron.js';
import { ApiEventRecorder } from './events.js';
import { startTestApi, waitFor } from './testing.js';

let api: ApiServer;
let client: InProcessClient;
let admin: InProcessClient;
let factory: SharedInformerFactory;
let cjc: CronJobController;
let clock = 0;
const requeues = new Map<string, number>();

before(async () => {
  ({ api, client, admin } = await startTestApi());
  for (const ns of ['sched', 'forbid', 'replace', 'allow', 'history', 'deadline', 'susp']) await admin.create('/api/v1/namespaces', { metadata: { name: ns } });
  factory = new SharedInformerFactory(client);
  cjc = new CronJobController(client, factory, { now: () => clock });
  cjc.queue.addAfter = (key: string, ms: number) => void requeues.set(key, ms);
  factory.start();
  await factory.waitForCacheSync();
});

after(async () => {
  await cjc.stop();
  factory.stop();
  await api.stop();
});

const MIN = 60_000;
const cjPath = (ns: string) => `/apis/batch/v1/namespaces/${ns}/cronjobs`;
const jobsPath = (ns: string) => `/apis/batch/v1/namespaces/${ns}/jobs`;
const cronJob = (name: string, spec: any = {}) => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name },
  spec: {
    schedule: '*/5 * * * *',
    jobTemplate: { metadata: { labels: { app: name } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
    ...spec,
  },
});

/** Creates the CronJob; returns it and the first 5-minute boundary after its creation. */
async function create(ns: string, name: string, spec: any = {}): Promise<{ cj: any; first: number }> {
  const cj = await admin.create(cjPath(ns), cronJob(name, spec));
  await waitFor(() => cjc['cronJobInformer'].getByName(ns, name), 'cronjob in cache');
  const created = Date.parse(cj.metadata.creationTimestamp);
  return { cj, first: Math.floor(created / (5 * MIN)) * 5 * MIN + 5 * MIN };
}

async function syncAt(ns: string, name: string, t: number): Promise<any> {
  clock = t;
  await cjc.syncHandler(`${ns}/${name}`);
  const cur = await admin.get(`${cjPath(ns)}/${name}`);
  // Let the informer catch up with our writes before the next sync.
  await waitFor(() => cjc['cronJobInformer'].getByName(ns, name)?.metadata.resourceVersion === cur.metadata.resourceVersion, 'cache caught up');
  const jobs = (await admin.get(jobsPath(ns))).items;
  await waitFor(() => cjc['jobInformer'].byIndex('namespace', ns).length === jobs.length, 'job cache caught up');
  return cur;
}

const jobNames = async (ns: string) => (await admin.get(jobsPath(ns))).items.map((j: any) => j.metadata.name).sort();

async function finishJob(ns: string, name: string, type: 'Complete' | 'Failed', at: number): Promise<void> {
  const path = `${jobsPath(ns)}/${name}`;
  const j = await admin.get(path);
  const t = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const conditions = [{ type, status: 'True', lastProbeTime: t, lastTransitionTime: t }];
  await admin.update(`${path}/status`, { ...j, status: { ...j.status, startTime: t, conditions, ...(type === 'Complete' ? { completionTime: t } : {}) } });
}

test('a due schedule time creates a named, owned, annotated job and requeues for the next one', async () => {
  const { cj, first } = await create('sched', 'tick');
  let cur = await syncAt('sched', 'tick', first - 30_000);
  assert.deepEqual(await jobNames('sched'), [], 'nothing due yet');
  assert.equal(requeues.get('sched/tick'), 30_000 + 100);
  cur = await syncAt('sched', 'tick', first + 20_000);
  const name = `tick-${first / MIN}`;
  assert.equal(getJobName(cj, first), name);
  assert.deepEqual(await jobNames('sched'), [name]);
  const job = await admin.get(`${jobsPath('sched')}/${name}`);
  assert.deepEqual(job.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  assert.equal(job.metadata.annotations[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION], new Date(first).toISOString().replace('.000Z', 'Z'));
  assert.equal(job.metadata.labels.app, 'tick');
  assert.equal(cur.status.lastScheduleTime, new Date(first).toISOString().replace('.000Z', 'Z'));
  assert.deepEqual(
    cur.status.active.map((r: any) => r.name),
    [name],
  );
  assert.equal(requeues.get('sched/tick'), 5 * MIN - 20_000 + 100);
  // Idempotent at the same time.
  await syncAt('sched', 'tick', first + 40_000);
  assert.deepEqual(await jobNames('sched'), [name]);
  await (cjc.recorder as ApiEventRecorder).flush();
  const events = (await admin.get('/api/v1/namespaces/sched/events')).items.map((e: any) => e.reason);
  assert.deepEqual(events, ['SuccessfulCreate']);
  // The job finishes: it leaves active, lastSuccessfulTime is recorded.
  await finishJob('sched', name, 'Complete', first + 60_000);
  cur = await syncAt('sched', 'tick', first + 90_000);
  assert.equal(cur.status.active, undefined);
  assert.equal(cur.status.lastSuccessfulTime, new Date(first + 60_000).toISOString().replace('.000Z', 'Z'));
});

test('concurrencyPolicy Forbid skips while a job runs', async () => {
  const { first } = await create('forbid', 'f', { concurrencyPolicy: 'Forbid' });
  await syncAt('forbid', 'f', first + 1000);
  await syncAt('forbid', 'f', first + 5 * MIN + 1000);
  assert.deepEqual(await jobNames('forbid'), [`f-${first / MIN}`]);
  await (cjc.recorder as ApiEventRecorder).flush();
  const events = (await admin.get('/api/v1/namespaces/forbid/events')).items.map((e: any) => e.reason);
  assert.ok(events.includes('JobAlreadyActive'));
  await finishJob('forbid', `f-${first / MIN}`, 'Complete', first + 6 * MIN);
  await syncAt('forbid', 'f', first + 10 * MIN + 1000);
  assert.deepEqual(await jobNames('forbid'), [`f-${first / MIN}`, `f-${first / MIN + 10}`]);
});

test('concurrencyPolicy Replace deletes the running job; Allow runs both', async () => {
  const { first } = await create('replace', 'r', { concurrencyPolicy: 'Replace' });
  await syncAt('replace', 'r', first + 1000);
  const cur = await syncAt('replace', 'r', first + 5 * MIN + 1000);
  assert.deepEqual(await jobNames('replace'), [`r-${first / MIN + 5}`]);
  assert.deepEqual(
    cur.status.active.map((r: any) => r.name),
    [`r-${first / MIN + 5}`],
  );
  const a = await create('allow', 'a');
  await syncAt('allow', 'a', a.first + 1000);
  const cur2 = await syncAt('allow', 'a', a.first + 5 * MIN + 1000);
  assert.equal((await jobNames('allow')).length, 2);
  assert.equal(cur2.status.active.length, 2);
});

test('history limits delete the oldest finished jobs', async () => {
  const { first } = await create('history', 'h', { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 });
  for (let i = 0; i < 3; i++) {
    await syncAt('history', 'h', first + i * 5 * MIN + 1000);
    await finishJob('history', `h-${first / MIN + i * 5}`, i === 1 ? 'Failed' : 'Complete', first + i * 5 * MIN + 2000);
  }
  await syncAt('history', 'h', first + 10 * MIN + 3000);
  assert.deepEqual(await jobNames('history'), [`h-${first / MIN + 10}`, `h-${first / MIN + 5}`].sort());
});

test('startingDeadlineSeconds: a start missed by more than the deadline is skipped', async () => {
  const { first } = await create('deadline', 'd', { startingDeadlineSeconds: 10 });
  await syncAt('deadline', 'd', first + 60_000);
  assert.deepEqual(await jobNames('deadline'), []);
  await syncAt('deadline', 'd', first + 5 * MIN + 5000);
  assert.deepEqual(await jobNames('deadline'), [`d-${first / MIN + 5}`]);
});

test('suspend: no jobs, no requeue', async () => {
  const { first } = await create('susp', 's', { suspend: true });
  requeues.delete('susp/s');
  await syncAt('susp', 's', first + 1000);
  assert.deepEqual(await jobNames('susp'), []);
  assert.equal(requeues.has('susp/s'), false);
  await admin.patch(`${cjPath('susp')}/s`, { spec: { suspend: false } });
  await waitFor(() => cjc['cronJobInformer'].getByName('susp', 's')?.spec.suspend === false, 'resume in cache');
  await syncAt('susp', 's', first + 2000);
  assert.deepEqual(await jobNames('susp'), [`s-${first / MIN}`]);
});

test('cron schedules: fields, macros, day-of-month OR day-of-week, time zones', () => {
  const at = (s: string) => Date.parse(s);
  const iso = (ms: number | undefined) => new Date(ms!).toISOString();
  assert.equal(iso(parseCronSchedule('*/15 * * * *').next(at('2026-01-01T10:07:00Z'))), '2026-01-01T10:15:00.000Z');
  assert.equal(iso(parseCronSchedule('@hourly').next(at('2026-01-01T10:00:00Z'))), '2026-01-01T11:00:00.000Z');
  assert.equal(iso(parseCronSchedule('@daily').next(at('2026-01-01T10:00:00Z'))), '2026-01-02T00:00:00.000Z');
  assert.equal(iso(parseCronSchedule('@monthly').next(at('2026-01-31T10:00:00Z'))), '2026-02-01T00:00:00.000Z');
  assert.equal(iso(parseCronSchedule('@yearly').next(at('2026-03-01T00:00:00Z'))), '2027-01-01T00:00:00.000Z');
  assert.equal(iso(parseCronSchedule('@weekly').next(at('2026-01-01T00:00:00Z'))), '2026-01-04T00:00:00.000Z'); // a Sunday
  assert.equal(iso(parseCronSchedule('30 2 * jan-mar mon-fri').next(at('2026-03-31T03:00:00Z'))), '2027-01-01T02:30:00.000Z');
  // 1st of the month OR a Monday (both restricted).
  assert.equal(iso(parseCronSchedule('0 0 1 * 1').next(at('2026-01-01T00:00:00Z'))), '2026-01-05T00:00:00.000Z');
  // Day-of-week only: `*` day-of-month means AND.
  assert.equal(iso(parseCronSchedule('0 0 * * 1').next(at('2026-01-01T00:00:00Z'))), '2026-01-05T00:00:00.000Z');
  assert.equal(iso(parseCronSchedule('0 0 29 2 *').next(at('2026-01-01T00:00:00Z'))), '2028-02-29T00:00:00.000Z');
  // Time zones, across DST.
  assert.equal(iso(parseCronSchedule('0 9 * * *', 'America/New_York').next(at('2026-01-15T00:00:00Z'))), '2026-01-15T14:00:00.000Z');
  assert.equal(iso(parseCronSchedule('0 9 * * *', 'America/New_York').next(at('2026-07-15T00:00:00Z'))), '2026-07-15T13:00:00.000Z');
  assert.equal(iso(parseCronSchedule('30 5 * * *', 'Asia/Kolkata').next(at('2026-01-01T00:00:00Z'))), '2026-01-02T00:00:00.000Z');
  assert.equal(formatRFC3339InZone(at('2026-01-15T14:00:00Z'), 'America/New_York'), '2026-01-15T09:00:00-05:00');
  assert.equal(formatRFC3339InZone(at('2026-01-15T14:00:00Z'), undefined), '2026-01-15T14:00:00Z');
  assert.throws(() => parseCronSchedule('61 * * * *'), /above maximum/);
});

test('mostRecentScheduleTime: the last missed time and how many were missed', () => {
  const sched = parseCronSchedule('* * * * *');
  const cj = { metadata: { creationTimestamp: '2026-01-01T00:00:00Z' }, spec: {}, status: {} };
  const r = mostRecentScheduleTime(cj, Date.parse('2026-01-01T00:10:30Z'), sched);
  assert.equal(new Date(r.scheduled!).toISOString(), '2026-01-01T00:10:00.000Z');
  assert.equal(r.missed, 10);
  const many = mostRecentScheduleTime(cj, Date.parse('2026-01-02T00:00:30Z'), sched);
  assert.equal(new Date(many.scheduled!).toISOString(), '2026-01-02T00:00:00.000Z');
  assert.ok(many.missed > 100);
  const withDeadline = mostRecentScheduleTime({ ...cj, spec: { startingDeadlineSeconds: 5 } }, Date.parse('2026-01-01T00:10:30Z'), sched);
  assert.equal(withDeadline.scheduled, undefined);
});
