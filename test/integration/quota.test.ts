// ResourceQuota and LimitRange end to end through the real kubectl: the
// quota controller's status.used, quota admission's refusals with
// upstream's messages, LimitRanger defaults and limits, and the
// ReplicaSet controller reporting quota refusals as FailedCreate events.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKts, eventually, type KtsProcess } from './harness.js';

let kts: KtsProcess;

before(async () => {
  kts = await startKts({ storage: 'memory' });
});
after(async () => {
  await kts?.stop();
});

const quotaUsed = async (ns: string, name: string) => JSON.parse(await kts.k(['get', 'quota', name, '-n', ns, '-o', 'jsonpath={.status.used}']) || '{}');

/** Waits until the quota's status.used equals `want`. */
async function usedBecomes(ns: string, name: string, want: Record<string, string>, ms = 5000): Promise<void> {
  let last: unknown;
  await eventually(
    `quota ${name} used ${JSON.stringify(want)}`,
    async () => {
      last = await quotaUsed(ns, name);
      try {
        assert.deepEqual(last, want);
        return true;
      } catch {
        return undefined;
      }
    },
    ms,
  ).catch((e) => {
    throw new Error(`${e.message}; last: ${JSON.stringify(last)}`);
  });
}

const pod = (name: string, resources?: object) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c1', image: 'busybox', ...(resources ? { resources } : {}) }] } });

test('pods quota: two pods in, the third refused with the exact message; a deletion makes room', async () => {
  await kts.k(['create', 'namespace', 'q1']);
  await kts.k(['create', 'quota', 'q1', '-n', 'q1', '--hard=pods=2']);
  await usedBecomes('q1', 'q1', { pods: '0' });
  await kts.k(['run', 'p1', '-n', 'q1', '--image=busybox']);
  await kts.k(['run', 'p2', '-n', 'q1', '--image=busybox']);
  const r = await kts.kubectl(['run', 'p3', '-n', 'q1', '--image=busybox']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), 'Error from server (Forbidden): pods "p3" is forbidden: exceeded quota: q1, requested: pods=1, used: pods=2, limited: pods=2');
  assert.deepEqual(await quotaUsed('q1', 'q1'), { pods: '2' });
  await kts.k(['delete', 'pod', 'p1', '-n', 'q1', '--wait=false']);
  await usedBecomes('q1', 'q1', { pods: '1' });
  assert.equal((await kts.k(['run', 'p3', '-n', 'q1', '--image=busybox'])).trim(), 'pod/p3 created');
  await usedBecomes('q1', 'q1', { pods: '2' });
  const desc = await kts.k(['describe', 'quota', 'q1', '-n', 'q1']);
  assert.match(desc, /Name:\s+q1\nNamespace:\s+q1\nResource\s+Used\s+Hard\n-+\s+-+\s+-+\npods\s+2\s+2\n/);
});

test('compute quota: refuses a pod over the limit and a pod without limits', async () => {
  await kts.k(['create', 'namespace', 'q2']);
  await kts.k(['create', 'quota', 'compute', '-n', 'q2', '--hard=requests.cpu=1,limits.memory=1Gi']);
  await usedBecomes('q2', 'compute', { 'limits.memory': '0', 'requests.cpu': '0' });
  const res = { requests: { cpu: '500m', memory: '256Mi' }, limits: { memory: '512Mi' } };
  await kts.k(['apply', '-n', 'q2', '-f', '-'], pod('a', res));
  await kts.k(['apply', '-n', 'q2', '-f', '-'], pod('b', res));
  await usedBecomes('q2', 'compute', { 'limits.memory': '1Gi', 'requests.cpu': '1' });
  const over = await kts.kubectl(['create', '-n', 'q2', '-f', '-'], { input: pod('c', { requests: { cpu: '100m' }, limits: { memory: '512Mi' } }) });
  assert.equal(over.code, 1);
  assert.equal(
    over.stderr.trim(),
    'Error from server (Forbidden): error when creating "STDIN": pods "c" is forbidden: exceeded quota: compute, requested: limits.memory=512Mi,requests.cpu=100m, used: limits.memory=1Gi,requests.cpu=1, limited: limits.memory=1Gi,requests.cpu=1',
  );
  const bare = await kts.kubectl(['create', '-n', 'q2', '-f', '-'], { input: pod('d') });
  assert.equal(bare.code, 1);
  assert.equal(bare.stderr.trim(), 'Error from server (Forbidden): error when creating "STDIN": pods "d" is forbidden: failed quota: compute: must specify limits.memory for: c1; requests.cpu for: c1');
  const desc = await kts.k(['describe', 'quota', 'compute', '-n', 'q2']);
  assert.match(desc, /limits\.memory\s+1Gi\s+1Gi\n\s*requests\.cpu\s+1\s+1\n/);
  await kts.k(['delete', 'pod', 'a', 'b', '-n', 'q2', '--wait=false']);
  await usedBecomes('q2', 'compute', { 'limits.memory': '0', 'requests.cpu': '0' });
});

test('LimitRange: defaults land in the pod spec and count against quota; max refuses', async () => {
  await kts.k(['create', 'namespace', 'lr']);
  const lr = {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'limits' },
    spec: { limits: [{ type: 'Container', default: { cpu: '200m', memory: '256Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' }, max: { memory: '1Gi' } }] },
  };
  await kts.k(['apply', '-n', 'lr', '-f', '-'], JSON.stringify(lr));
  await kts.k(['create', 'quota', 'mem', '-n', 'lr', '--hard=requests.memory=1Gi,limits.memory=2Gi']);
  await usedBecomes('lr', 'mem', { 'limits.memory': '0', 'requests.memory': '0' });
  await kts.k(['run', 'web', '-n', 'lr', '--image=busybox']);
  assert.equal(
    await kts.k(['get', 'pod', 'web', '-n', 'lr', '-o', 'jsonpath={.spec.containers[0].resources}']),
    '{"limits":{"cpu":"200m","memory":"256Mi"},"requests":{"cpu":"100m","memory":"128Mi"}}',
  );
  assert.equal(
    await kts.k(['get', 'pod', 'web', '-n', 'lr', '-o', 'jsonpath={.metadata.annotations.kubernetes\\.io/limit-ranger}']),
    'LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web',
  );
  await usedBecomes('lr', 'mem', { 'limits.memory': '256Mi', 'requests.memory': '128Mi' });
  const big = await kts.kubectl(['create', '-n', 'lr', '-f', '-'], { input: pod('big', { limits: { memory: '2Gi' } }) });
  assert.equal(big.code, 1);
  assert.equal(big.stderr.trim(), 'Error from server (Forbidden): error when creating "STDIN": pods "big" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi');
  const desc = await kts.k(['describe', 'limitrange', 'limits', '-n', 'lr']);
  assert.match(desc, /Container\s+memory\s+-\s+1Gi\s+128Mi\s+256Mi\s+-\n/);
  assert.match(desc, /Container\s+cpu\s+-\s+-\s+100m\s+200m\s+-\n/);
});

test('count/deployments.apps blocks a second Deployment; a ReplicaSet over the pods quota reports FailedCreate', async () => {
  await kts.k(['create', 'namespace', 'q3']);
  await kts.k(['create', 'quota', 'objs', '-n', 'q3', '--hard=count/deployments.apps=1,pods=2']);
  await usedBecomes('q3', 'objs', { 'count/deployments.apps': '0', pods: '0' });
  await kts.k(['create', 'deployment', 'web', '-n', 'q3', '--image=busybox', '--replicas=3']);
  const second = await kts.kubectl(['create', 'deployment', 'api', '-n', 'q3', '--image=busybox']);
  assert.equal(second.code, 1);
  assert.equal(
    second.stderr.trim(),
    'error: failed to create deployment: deployments.apps "api" is forbidden: exceeded quota: objs, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1',
  );
  await eventually('FailedCreate event', async () => {
    const ev = await kts.k(['get', 'events', '-n', 'q3', '--field-selector', 'reason=FailedCreate', '-o', 'jsonpath={.items[*].message}']);
    return ev.includes('exceeded quota') ? ev : undefined;
  });
  const ev = await kts.k(['get', 'events', '-n', 'q3', '--field-selector', 'reason=FailedCreate', '-o', 'jsonpath={.items[0].message}']);
  assert.match(ev, /^Error creating: pods "web-[a-z0-9]+-[a-z0-9]{5}" is forbidden: exceeded quota: objs, requested: pods=1, used: pods=2, limited: pods=2$/);
  assert.equal((await kts.k(['get', 'pods', '-n', 'q3', '-o', 'name'])).trim().split('\n').length, 2);
  await usedBecomes('q3', 'objs', { 'count/deployments.apps': '1', pods: '2' });
  await kts.k(['delete', 'deployment', 'web', '-n', 'q3']);
  await usedBecomes('q3', 'objs', { 'count/deployments.apps': '0', pods: '0' }, 10_000);
});

test('object counts: configmaps, services and node ports, PVC storage', async () => {
  await kts.k(['create', 'namespace', 'q4']);
  await kts.k(['create', 'quota', 'misc', '-n', 'q4', '--hard=configmaps=5,services=2,services.nodeports=1,requests.storage=1Gi,persistentvolumeclaims=3']);
  // kube-root-ca.crt may or may not be there yet: compare against the namespace's real count.
  await kts.k(['create', 'configmap', 'c1', '-n', 'q4']);
  const cms = (await kts.k(['get', 'configmaps', '-n', 'q4', '-o', 'name'])).trim().split('\n').length;
  await kts.k(['create', 'service', 'nodeport', 'np', '-n', 'q4', '--tcp=80:80']);
  const np2 = await kts.kubectl(['create', 'service', 'nodeport', 'np2', '-n', 'q4', '--tcp=81:81']);
  assert.equal(np2.code, 1);
  assert.match(np2.stderr, /services "np2" is forbidden: exceeded quota: misc, requested: services\.nodeports=1, used: services\.nodeports=1, limited: services\.nodeports=1/);
  const pvc = (name: string, size: string) =>
    JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } } } });
  await kts.k(['apply', '-n', 'q4', '-f', '-'], pvc('d1', '600Mi'));
  const d2 = await kts.kubectl(['apply', '-n', 'q4', '-f', '-'], { input: pvc('d2', '500Mi') });
  assert.equal(d2.code, 1);
  assert.match(d2.stderr, /persistentvolumeclaims "d2" is forbidden: exceeded quota: misc, requested: requests\.storage=500Mi, used: requests\.storage=600Mi, limited: requests\.storage=1Gi/);
  await usedBecomes('q4', 'misc', { configmaps: String(cms), persistentvolumeclaims: '1', 'requests.storage': '600Mi', services: '1', 'services.nodeports': '1' });
});
