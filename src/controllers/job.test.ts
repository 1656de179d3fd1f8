// The Job controller against an in-process API server: completions and
// parallelism, Indexed jobs, tracking finalizers, backoff limit, active
// deadline, suspend and resume, pod failure policy, TTL after finished.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../apiserver/api-server.js';
import type { InProcessClient } from '../client/in-process.js';
import { SharedInformerFactory } from '../client/informer.js';
import { JobController, JOB_TRACKING_FINALIZER, formatIndexes, parseIndexes, podFromJobTemplate, matchPodFailurePolicy } from './job.js';
import { ApiEventRecorder } from './events.js';
import { listPods, startTestApi, waitFor, sleep } from './testing.js';

let api: ApiServer;
let client: InProcessClient;
let admin: InProcessClient;
let factory: SharedInformerFactory;
let jc: JobController;
let running: Promise<void>;
const NAMESPACES = ['orphan', 'basic', 'par', 'idx', 'fail', 'deadline', 'susp', 'ttl', 'pfp', 'wq'];

before(async () => {
  ({ api, client, admin } = await startTestApi());
  for (const ns of NAMESPACES) await admin.create('/api/v1/namespaces', { metadata: { name: ns } });
  factory = new SharedInformerFactory(client);
  jc = new JobController(client, factory, { podFailureBackoffMs: 20, maxPodFailureBackoffMs: 100 });
  factory.start();
  running = jc.run(3);
});

after(async () => {
  await jc.stop();
  await running;
  factory.stop();
  await api.stop();
});

const jobsPath = (ns: string) => `/apis/batch/v1/namespaces/${ns}/jobs`;
const jobObj = (name: string, spec: any = {}) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name },
  spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
});

const getJob = (ns: string, name: string) => admin.get(`${jobsPath(ns)}/${name}`);

async function activePods(ns: string, job: string): Promise<any[]> {
  return (await listPods(admin, ns, `batch.kubernetes.io/job-name=${job}`)).filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
}

async function waitActive(ns: string, job: string, n: number): Promise<any[]> {
  return waitFor(async () => {
    const p = await activePods(ns, job);
    return p.length === n ? p : undefined;
  }, `${n} active pods of ${ns}/${job}`);
}

async function finish(pod: any, phase: 'Succeeded' | 'Failed', exitCode = phase === 'Succeeded' ? 0 : 1): Promise<void> {
  const path = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`;
  const cur = await admin.get(path);
  const t = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  await admin.update(`${path}/status`, {
    ...cur,
    status: { ...cur.status, phase, containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, startedAt: t, finishedAt: t } } }] },
  });
}

function cond(job: any, type: string): any {
  return (job.status?.conditions ?? []).find((c: any) => c.type === type);
}

async function waitCondition(ns: string, name: string, type: string): Promise<any> {
  return waitFor(async () => {
    const j = await getJob(ns, name);
    return cond(j, type)?.status === 'True' ? j : undefined;
  }, `${type} on ${ns}/${name}`);
}

test('a job runs one pod to completion: labels, finalizer, owner, Complete condition, events', async () => {
  const job = await admin.create(jobsPath('basic'), jobObj('pi'));
  const [pod] = await waitActive('basic', 'pi', 1);
  assert.match(pod.metadata.name, /^pi-[a-z0-9]{5}$/);
  assert.equal(pod.metadata.generateName, 'pi-');
  for (const l of ['batch.kubernetes.io/controller-uid', 'controller-uid']) assert.equal(pod.metadata.labels[l], job.metadata.uid);
  for (const l of ['batch.kubernetes.io/job-name', 'job-name']) assert.equal(pod.metadata.labels[l], 'pi');
  assert.deepEqual(pod.metadata.finalizers, [JOB_TRACKING_FINALIZER]);
  assert.deepEqual(pod.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  const running1 = await waitFor(async () => {
    const j = await getJob('basic', 'pi');
    return j.status?.active === 1 && j.status.startTime ? j : undefined;
  }, 'active 1');
  assert.deepEqual(running1.status.uncountedTerminatedPods, {});
  assert.equal(running1.status.ready, 0);
  await finish(pod, 'Succeeded');
  const done = await waitCondition('basic', 'pi', 'Complete');
  assert.equal(done.status.succeeded, 1);
  assert.equal(done.status.active, undefined);
  assert.ok(done.status.completionTime);
  assert.equal(cond(done, 'SuccessCriteriaMet')?.status, 'True');
  assert.equal(cond(done, 'Complete').reason, 'CompletionsReached');
  const p = await admin.get(`/api/v1/namespaces/basic/pods/${pod.metadata.name}`);
  assert.equal(p.metadata.finalizers, undefined, 'tracking finalizer removed once counted');
  await (jc.recorder as ApiEventRecorder).flush();
  const events = (await admin.get('/api/v1/namespaces/basic/events')).items.map((e: any) => e.reason);
  assert.ok(events.includes('SuccessfulCreate'));
  assert.ok(events.includes('Completed'));
  await sleep(50);
  assert.equal((await getJob('basic', 'pi')).status.succeeded, 1, 'not counted twice');
});

test('completions and parallelism', async () => {
  await admin.create(jobsPath('par'), jobObj('p', { completions: 5, parallelism: 2 }));
  let succeeded = 0;
  while (succeeded < 5) {
    const want = Math.min(2, 5 - succeeded);
    const pods = await waitActive('par', 'p', want);
    await finish(pods[0], 'Succeeded');
    succeeded++;
    await waitFor(async () => ((await getJob('par', 'p')).status?.succeeded ?? 0) >= succeeded, `succeeded ${succeeded}`);
  }
  const done = await waitCondition('par', 'p', 'Complete');
  assert.equal(done.status.succeeded, 5);
  assert.equal((await activePods('par', 'p')).length, 0);
});

test('a work queue job (no completions) completes when a pod succeeded and none is active', async () => {
  await admin.create(jobsPath('wq'), jobObj('q', { parallelism: 2 }));
  const pods = await waitActive('wq', 'q', 2);
  await finish(pods[0], 'Succeeded');
  await sleep(100);
  assert.equal(cond(await getJob('wq', 'q'), 'Complete'), undefined, 'still one active');
  assert.equal((await activePods('wq', 'q')).length, 1, 'no replacement after a success');
  await finish(pods[1], 'Succeeded');
  const done = await waitCondition('wq', 'q', 'Complete');
  assert.equal(done.status.succeeded, 2);
});

test('indexed job: one pod per index with annotation, label, env and hostname', async () => {
  await admin.create(jobsPath('idx'), jobObj('ix', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
  const pods = await waitActive('idx', 'ix', 3);
  const indexes = pods.map((p) => p.metadata.annotations['batch.kubernetes.io/job-completion-index']).sort();
  assert.deepEqual(indexes, ['0', '1', '2']);
  for (const p of pods) {
    const ix = p.metadata.annotations['batch.kubernetes.io/job-completion-index'];
    assert.equal(p.metadata.labels['batch.kubernetes.io/job-completion-index'], ix);
    assert.equal(p.spec.hostname, `ix-${ix}`);
    assert.ok(p.metadata.name.startsWith(`ix-${ix}-`));
    assert.ok(p.spec.containers[0].env.some((e: any) => e.name === 'JOB_COMPLETION_INDEX'));
  }
  const byIx = (i: string) => pods.find((p) => p.metadata.annotations['batch.kubernetes.io/job-completion-index'] === i);
  await finish(byIx('1'), 'Succeeded');
  await waitFor(async () => (await getJob('idx', 'ix')).status?.completedIndexes === '1', 'completedIndexes 1');
  // A failed index is re-created with the same index.
  await finish(byIx('0'), 'Failed');
  const again = await waitFor(async () => (await activePods('idx', 'ix')).find((p) => p.metadata.annotations['batch.kubernetes.io/job-completion-index'] === '0' && p.metadata.uid !== byIx('0').metadata.uid), 'index 0 re-created');
  await finish(again, 'Succeeded');
  await finish(byIx('2'), 'Succeeded');
  const done = await waitCondition('idx', 'ix', 'Complete');
  assert.equal(done.status.completedIndexes, '0-2');
  assert.equal(done.status.succeeded, 3);
  assert.equal(done.status.failed, 1);
});

test('backoffLimit: failures beyond the limit fail the job', async () => {
  await admin.create(jobsPath('fail'), jobObj('f', { backoffLimit: 1 }));
  const [p1] = await waitActive('fail', 'f', 1);
  await finish(p1, 'Failed');
  const p2 = await waitFor(async () => (await activePods('fail', 'f')).find((p) => p.metadata.uid !== p1.metadata.uid), 'replacement after back-off');
  await finish(p2, 'Failed');
  const failed = await waitCondition('fail', 'f', 'Failed');
  assert.equal(cond(failed, 'Failed').reason, 'BackoffLimitExceeded');
  assert.equal(cond(failed, 'FailureTarget')?.reason, 'BackoffLimitExceeded');
  assert.equal(failed.status.failed, 2);
  assert.equal(failed.status.completionTime, undefined);
  await (jc.recorder as ApiEventRecorder).flush();
  const events = (await admin.get('/api/v1/namespaces/fail/events')).items.map((e: any) => e.reason);
  assert.ok(events.includes('BackoffLimitExceeded'));
});

test('activeDeadlineSeconds: active pods are deleted and the job fails with DeadlineExceeded', async () => {
  await admin.create(jobsPath('deadline'), jobObj('d', { activeDeadlineSeconds: 1, parallelism: 2, completions: 2 }));
  await waitActive('deadline', 'd', 2);
  const failed = await waitFor(
    async () => {
      const j = await getJob('deadline', 'd');
      return cond(j, 'Failed')?.status === 'True' ? j : undefined;
    },
    'DeadlineExceeded',
    5000,
  );
  assert.equal(cond(failed, 'Failed').reason, 'DeadlineExceeded');
  assert.equal(failed.status.failed, 2);
  assert.equal((await listPods(admin, 'deadline')).length, 0);
});

test('suspend deletes active pods without counting them; resume re-creates them', async () => {
  await admin.create(jobsPath('susp'), jobObj('s', { parallelism: 2, completions: 2, suspend: true }));
  const suspended = await waitCondition('susp', 's', 'Suspended');
  assert.equal(cond(suspended, 'Suspended').reason, 'JobSuspended');
  assert.equal(suspended.status.startTime, undefined);
  assert.equal((await listPods(admin, 'susp')).length, 0);
  await admin.patch(`${jobsPath('susp')}/s`, { spec: { suspend: false } });
  await waitActive('susp', 's', 2);
  const resumed = await waitFor(async () => {
    const j = await getJob('susp', 's');
    return cond(j, 'Suspended')?.status === 'False' ? j : undefined;
  }, 'resumed');
  assert.equal(cond(resumed, 'Suspended').reason, 'JobResumed');
  await admin.patch(`${jobsPath('susp')}/s`, { spec: { suspend: true } });
  await waitFor(async () => (await listPods(admin, 'susp')).length === 0, 'pods deleted on suspend');
  const j = await waitCondition('susp', 's', 'Suspended');
  assert.equal(j.status.failed, undefined, 'suspension is not a failure');
  assert.equal(j.status.active, undefined);
});

test('pod failure policy: Ignore does not count, FailJob fails at once', async () => {
  const policy = {
    rules: [
      { action: 'Ignore', onExitCodes: { operator: 'In', values: [42] } },
      { action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [3] } },
      { action: 'Count', onExitCodes: { operator: 'NotIn', values: [3, 42] } },
    ],
  };
  await admin.create(jobsPath('pfp'), jobObj('pf', { backoffLimit: 5, podFailurePolicy: policy }));
  const [p1] = await waitActive('pfp', 'pf', 1);
  await finish(p1, 'Failed', 42);
  const p2 = await waitFor(async () => (await activePods('pfp', 'pf')).find((p) => p.metadata.uid !== p1.metadata.uid), 'replacement');
  assert.equal((await getJob('pfp', 'pf')).status.failed, undefined, 'ignored failure not counted');
  await finish(p2, 'Failed', 3);
  const failed = await waitCondition('pfp', 'pf', 'Failed');
  assert.equal(cond(failed, 'Failed').reason, 'PodFailurePolicy');
  assert.match(cond(failed, 'Failed').message, /exit code 3 matching FailJob rule at index 1/);
  assert.equal(failed.status.failed, 1);
});

test('ttlSecondsAfterFinished deletes the finished job', async () => {
  await admin.create(jobsPath('ttl'), jobObj('t', { ttlSecondsAfterFinished: 0 }));
  const [pod] = await waitActive('ttl', 't', 1);
  await finish(pod, 'Succeeded');
  await waitFor(async () => {
    try {
      await getJob('ttl', 't');
      return false;
    } catch (e: any) {
      return e.code === 404;
    }
  }, 'job deleted after ttl');
});

test('pods of a deleted job lose the tracking finalizer', async () => {
  await admin.create(jobsPath('orphan'), jobObj('o', { parallelism: 2, completions: 2 }));
  const pods = await waitActive('orphan', 'o', 2);
  assert.ok(pods.every((p) => p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)));
  // No garbage collector runs here: the pods stay, pointing at a Job that is gone.
  await admin.delete(`${jobsPath('orphan')}/o`, { propagationPolicy: 'Background' });
  await waitFor(async () => (await listPods(admin, 'orphan')).every((p) => !p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)), 'finalizers removed');
});

test('pure helpers: completed indexes, pod template, failure policy', () => {
  assert.equal(formatIndexes(new Set([0, 1, 2, 4, 6, 7])), '0-2,4,6-7');
  assert.deepEqual([...parseIndexes('0-2,4,6-7', 7)].sort(), [0, 1, 2, 4, 6]);
  const pod = podFromJobTemplate({ metadata: { name: 'j', uid: 'u' }, spec: { template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c' }] } } } }, 3);
  assert.equal(pod.metadata.generateName, 'j-3-');
  assert.equal(pod.spec.hostname, 'j-3');
  assert.equal(pod.spec.containers[0].env[0].valueFrom.fieldRef.fieldPath, "metadata.annotations['batch.kubernetes.io/job-completion-index']");
  const failedPod: any = { metadata: { namespace: 'n', name: 'p' }, status: { phase: 'Failed', conditions: [{ type: 'DisruptionTarget', status: 'True' }] } };
  assert.deepEqual(matchPodFailurePolicy({ spec: { podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] } } }, failedPod), { action: 'Ignore' });
  assert.deepEqual(matchPodFailurePolicy({ spec: {} }, failedPod), { action: 'Count' });
});
