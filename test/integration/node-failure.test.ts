// A node that stops heartbeating gets its pods recreated elsewhere: a
// `kts sim` process owns one node; once it is killed the node lifecycle
// controller marks the node Unknown and taints it unreachable, the pods'
// default unreachable toleration (DefaultTolerationSeconds admission) runs
// out, the pods are evicted and their ReplicaSet recreates them on the
// server's own simulated nodes. Timings are shortened with upstream's
// flags; the grace period stays above the simulated kubelets' 10 s
// heartbeat.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { MAIN, startKts, eventually, type KtsProcess } from './harness.js';

let kts: KtsProcess;
let sim: ChildProcess | undefined;

before(async () => {
  kts = await startKts({
    storage: 'memory',
    extraArgs: [
      '--sim-nodes', '2',
      '--node-monitor-grace-period', '15s',
      '--node-monitor-period', '1s',
      '--default-unreachable-toleration-seconds', '2',
      '--default-not-ready-toleration-seconds', '2',
    ],
  });
});
after(async () => {
  if (sim && sim.exitCode === null && sim.signalCode === null) sim.kill('SIGKILL');
  await kts?.stop();
});

const json = async (args: string[]) => JSON.parse(await kts.k([...args, '-o', 'json']));
const ready = (node: any) => (node.status?.conditions ?? []).find((c: any) => c.type === 'Ready');

test('a node that stops heartbeating gets its pods recreated elsewhere', async () => {
  sim = spawn(process.execPath, [MAIN, 'sim', '--kubeconfig', kts.kubeconfig, '--nodes', '1', '--name-prefix', 'far-'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let simErr = '';
  sim.stderr!.on('data', (d) => (simErr += d));
  await eventually('far-0 Ready', async () => (ready(await json(['get', 'node', 'far-0']))?.status === 'True' ? true : undefined), 30_000).catch((e) => {
    throw new Error(`${(e as Error).message}\nkts sim: ${simErr}`);
  });

  // Pods land on far-0 only: the server's nodes are cordoned while they are created.
  await kts.k(['cordon', 'sim-node-0', 'sim-node-1']);
  await kts.k(['create', 'deployment', 'web', '--image=busybox:1.36', '--replicas=3']);
  const onFar = await eventually('3 pods Running on far-0', async () => {
    const pods = (await json(['get', 'pods', '-l', 'app=web'])).items;
    return pods.length === 3 && pods.every((p: any) => p.spec.nodeName === 'far-0' && p.status.phase === 'Running') ? pods : undefined;
  });
  for (const p of onFar) {
    assert.deepEqual(
      p.spec.tolerations.filter((t: any) => t.key?.startsWith('node.kubernetes.io/')),
      [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
      ],
    );
  }
  await kts.k(['uncordon', 'sim-node-0', 'sim-node-1']);

  // The node's kubelet goes away without a word.
  sim.kill('SIGKILL');
  const node = await eventually('far-0 Unknown and tainted', async () => {
    const n = await json(['get', 'node', 'far-0']);
    return ready(n)?.status === 'Unknown' && (n.spec.taints ?? []).length === 2 ? n : undefined;
  }, 60_000);
  assert.equal(ready(node).reason, 'NodeStatusUnknown');
  assert.equal(ready(node).message, 'Kubelet stopped posting node status.');
  for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) {
    assert.equal(node.status.conditions.find((c: any) => c.type === type).status, 'Unknown', type);
  }
  assert.deepEqual(
    node.spec.taints.map((t: any) => [t.key, t.effect]).sort(),
    [
      ['node.kubernetes.io/unreachable', 'NoExecute'],
      ['node.kubernetes.io/unreachable', 'NoSchedule'],
    ],
  );
  assert.ok(node.spec.taints.find((t: any) => t.effect === 'NoExecute').timeAdded);
  assert.match(await kts.k(['get', 'node', 'far-0']), /\nfar-0\s+NotReady\s+/);

  // Two seconds of toleration later the pods are evicted; replacements run on the other nodes.
  const replaced = await eventually('3 replacement pods Running elsewhere', async () => {
    const pods = (await json(['get', 'pods', '-l', 'app=web'])).items.filter((p: any) => !p.metadata.deletionTimestamp);
    return pods.length === 3 && pods.every((p: any) => p.spec.nodeName?.startsWith('sim-node-') && p.status.phase === 'Running') ? pods : undefined;
  }, 60_000);
  const oldNames = new Set(onFar.map((p: any) => p.metadata.name));
  assert.ok(replaced.every((p: any) => !oldNames.has(p.metadata.name)));
  // The evicted pods stay Terminating, marked not ready, as upstream: no kubelet is left to confirm them gone.
  const evicted = (await json(['get', 'pods', '-l', 'app=web'])).items.filter((p: any) => oldNames.has(p.metadata.name));
  for (const p of evicted) {
    assert.ok(p.metadata.deletionTimestamp, p.metadata.name);
    assert.equal(p.status.conditions.find((c: any) => c.type === 'Ready').status, 'False');
  }
  const events = (await json(['get', 'events'])).items;
  for (const name of oldNames) {
    assert.ok(
      events.some((e: any) => e.reason === 'TaintManagerEviction' && e.involvedObject.name === name && e.message === `Marking for deletion Pod default/${name}`),
      `no eviction event for ${name}`,
    );
  }
  assert.ok(events.some((e: any) => e.reason === 'NodeNotReady' && e.involvedObject.kind === 'Node' && e.message === 'Node far-0 status is now: NodeNotReady'));
  assert.match(await kts.k(['get', 'deploy', 'web']), /\nweb\s+3\/3\s+3\s+3\s+/);
});
