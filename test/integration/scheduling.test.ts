// The scheduler and simulated nodes seen through kubectl: nodes register
// and stay Ready, pods get placed and reach Running, unschedulable pods
// say why, and cordoned nodes take no new pods.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKts, type KtsProcess } from './harness.js';

let kts: KtsProcess;

before(async () => {
  kts = await startKts({ storage: 'memory', extraArgs: ['--sim-nodes', '3'] });
});
after(async () => {
  await kts?.stop();
});

async function eventually<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('simulated nodes register and are Ready', async () => {
  const out = await eventually('3 nodes', async () => {
    const o = await kts.k(['get', 'nodes', '--no-headers']);
    return o.trim().split('\n').length === 3 ? o : undefined;
  });
  for (const line of out.trim().split('\n')) assert.match(line, /^sim-node-\d+\s+Ready\s+<none>\s+\d+s\s+v1\.32\.0\+kts$/);
  const leases = await kts.k(['get', 'leases', '-n', 'kube-node-lease', '-o', 'name']);
  assert.equal(leases.trim().split('\n').length, 3);
});

test('kubectl run: the pod is scheduled and reaches Running with an IP', async () => {
  await kts.k(['run', 'web', '--image=busybox', '--restart=Never', '--', 'sleep', '3600']);
  const pod = await eventually('Running', async () => {
    const p = JSON.parse(await kts.k(['get', 'pod', 'web', '-o', 'json']));
    return p.status.phase === 'Running' ? p : undefined;
  });
  assert.match(pod.spec.nodeName, /^sim-node-\d$/);
  assert.match(pod.status.podIP, /^10\.\d+\.\d+\.\d+$/);
  const wide = await kts.k(['get', 'pod', 'web', '-o', 'wide']);
  assert.match(wide, new RegExp(`\\nweb\\s+1/1\\s+Running\\s+0\\s+\\d+s\\s+${pod.status.podIP.replace(/\./g, '\\.')}\\s+${pod.spec.nodeName}\\s`));
  const events = await kts.k(['get', 'events', '--field-selector', 'involvedObject.name=web,reason=Scheduled', '-o', 'jsonpath={.items[0].message}']);
  assert.equal(events, `Successfully assigned default/web to ${pod.spec.nodeName}`);
  assert.match(await kts.k(['describe', 'pod', 'web']), /Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/web/);
  assert.equal((await kts.k(['delete', 'pod', 'web', '--wait=true'])).trim(), 'pod "web" deleted');
});

test('a pod that fits nowhere gets FailedScheduling with the reasons', async () => {
  await kts.k(['run', 'huge', '--image=busybox', '--restart=Never', '--overrides', JSON.stringify({ spec: { containers: [{ name: 'huge', image: 'busybox', resources: { requests: { cpu: '64' } } }] } })]);
  const msg = await eventually('FailedScheduling', async () => {
    const m = await kts.k(['get', 'events', '--field-selector', 'involvedObject.name=huge,reason=FailedScheduling', '-o', 'jsonpath={.items[0].message}']);
    return m || undefined;
  });
  assert.match(msg, /^0\/3 nodes are available: 3 Insufficient cpu\. preemption: 0\/3 nodes are available: 3 No preemption victims found for incoming pod\.$|^0\/3 nodes are available: 3 Insufficient cpu\. preemption: /);
  const p = JSON.parse(await kts.k(['get', 'pod', 'huge', '-o', 'json']));
  assert.equal(p.status.phase, 'Pending');
  const cond = p.status.conditions.find((c: any) => c.type === 'PodScheduled');
  assert.equal(cond.status, 'False');
  assert.equal(cond.reason, 'Unschedulable');
  await kts.k(['delete', 'pod', 'huge']);
});

test('cordoned nodes take no new pods', async () => {
  for (const n of ['sim-node-0', 'sim-node-1']) assert.equal((await kts.k(['cordon', n])).trim(), `node/${n} cordoned`);
  for (let i = 0; i < 4; i++) await kts.k(['run', `c${i}`, '--image=busybox', '--restart=Never']);
  const nodes = await eventually('4 scheduled pods', async () => {
    const o = (await kts.k(['get', 'pods', '-l', 'run', '-o', 'jsonpath={range .items[*]}{.spec.nodeName}{"\\n"}{end}'])).trim().split('\n').filter(Boolean);
    return o.length === 4 ? o : undefined;
  });
  assert.deepEqual([...new Set(nodes)], ['sim-node-2']);
  assert.match(await kts.k(['get', 'node', 'sim-node-0']), /Ready,SchedulingDisabled/);
  await kts.k(['uncordon', 'sim-node-0']);
  await kts.k(['uncordon', 'sim-node-1']);
  await kts.k(['delete', 'pods', '--all']);
});
