// DaemonSet rollouts through kubectl over three simulated nodes: the
// updateStrategy validation, a RollingUpdate with maxSurge=1 watched pod by
// pod (a new pod next to the old one, never a node without an available
// pod, never two nodes surging), status during the roll, and rollout
// history / undo through ControllerRevisions.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { startKts, eventually, KUBECTL, type KtsProcess } from './harness.js';

let kts: KtsProcess;
const NODES = ['sim-node-0', 'sim-node-1', 'sim-node-2'];

before(async () => {
  kts = await startKts({ storage: 'memory', extraArgs: ['--sim-nodes', '3'] });
});
after(async () => {
  await kts?.stop();
});

const daemonSet = (rollingUpdate: any) => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'surge' },
  spec: {
    selector: { matchLabels: { app: 'surge' } },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate },
    template: { metadata: { labels: { app: 'surge' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } },
  },
});

/** `kubectl get -w --output-watch-events` with a jsonpath of `|`-separated fields, one line per event. */
function watchLines(args: string[], fields: string[], onLine: (f: string[]) => void): ChildProcess {
  const tmpl = `{.type}|${fields.map((f) => `{.object.${f}}`).join('|')}{"\\n"}`;
  const child = spawn(KUBECTL, ['get', ...args, '--watch', '--output-watch-events', '-o', `jsonpath=${tmpl}`], { env: { ...process.env, KUBECONFIG: kts.kubeconfig } });
  createInterface({ input: child.stdout! }).on('line', (l) => onLine(l.split('|')));
  return child;
}

interface PodState {
  hash: string;
  node: string;
  ready: boolean;
}

/**
 * Runs `action` (a kubectl command starting a roll to `toImage`) while
 * watching the DaemonSet's pods and status; checks the surge invariants
 * after every pod event and returns what was seen.
 */
async function watchRoll(action: string[], toImage: string) {
  const pods = new Map<string, PodState>();
  const violations: string[] = [];
  let maxSurging = 0;
  let created = 0;
  let started = false;
  const check = () => {
    const byNode = new Map<string, PodState[]>(NODES.map((n) => [n, []]));
    for (const p of pods.values()) byNode.get(p.node)?.push(p);
    const surging = [...byNode.values()].filter((l) => l.length > 1).length;
    maxSurging = Math.max(maxSurging, surging);
    if (surging > 1) violations.push(`${surging} nodes with two pods: ${JSON.stringify([...pods])}`);
    for (const [n, l] of byNode) if (!l.some((p) => p.ready)) violations.push(`no available pod on ${n}: ${JSON.stringify([...pods])}`);
  };
  const podWatch = watchLines(
    ['pods', '-l', 'app=surge'],
    [
      'metadata.name',
      'metadata.labels.controller-revision-hash',
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values[0]',
      'metadata.deletionTimestamp',
      'status.conditions[?(@.type=="Ready")].status',
    ],
    ([type, name, hash, node, deleting, ready]) => {
      // A pod being deleted no longer serves: it counts as gone (as upstream counts it).
      if (type === 'DELETED' || deleting) pods.delete(name);
      else {
        if (started && !pods.has(name)) created++;
        pods.set(name, { hash, node, ready: ready === 'True' });
      }
      if (started) check();
    },
  );
  const statuses: number[][] = [];
  const dsWatch = watchLines(['ds', 'surge'], ['metadata.generation', 'status.observedGeneration', 'status.updatedNumberScheduled', 'status.numberAvailable', 'status.numberUnavailable'], ([, ...f]) =>
    statuses.push(f.map((x) => Number(x || 0))),
  );
  try {
    await eventually('the watch lists the 3 current pods', async () => (pods.size === 3 && [...pods.values()].every((p) => p.ready) ? true : undefined));
    const oldHashes = new Set([...pods.values()].map((p) => p.hash));
    started = true;
    check();
    await kts.k(action);
    const r = await kts.kubectl(['rollout', 'status', 'ds/surge', '--timeout=60s'], { timeoutMs: 70_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').pop(), 'daemon set "surge" successfully rolled out');
    await eventually('3 new pods and no old one', async () => (pods.size === 3 && [...pods.values()].every((p) => p.ready && !oldHashes.has(p.hash)) ? true : undefined));
    assert.deepEqual(violations, []);
    assert.equal(maxSurging, 1, 'one node at a time had an old and a new pod');
    assert.equal(created, 3, 'one new pod per node');
    assert.deepEqual((await kts.k(['get', 'pods', '-l', 'app=surge', '-o', 'jsonpath={.items[*].spec.containers[0].image}'])).split(' '), [toImage, toImage, toImage]);
    assert.deepEqual((await kts.k(['get', 'pods', '-l', 'app=surge', '-o', 'jsonpath={.items[*].spec.nodeName}'])).split(' ').sort(), NODES);
    return statuses;
  } finally {
    podWatch.kill();
    dsWatch.kill();
  }
}

test('DaemonSet updateStrategy validation: maxSurge and maxUnavailable, exactly one non-zero', async () => {
  const refused = async (ru: any) => {
    const r = await kts.kubectl(['create', '-f', '-'], { input: JSON.stringify(daemonSet(ru)) });
    assert.notEqual(r.code, 0);
    return r.stderr.trim();
  };
  const pre = 'The DaemonSet "surge" is invalid: spec.updateStrategy.rollingUpdate';
  // maxUnavailable defaults to 1, so surging needs an explicit 0.
  assert.equal(await refused({ maxSurge: 1 }), `${pre}.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero`);
  assert.equal(await refused({ maxSurge: 0, maxUnavailable: '0%' }), `${pre}.maxUnavailable: Required value: cannot be 0 when maxSurge is 0`);
  assert.equal(await refused({ maxSurge: '110%', maxUnavailable: 0 }), `${pre}.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"110%"}: must not be greater than 100%`);
  assert.match(await refused({ maxSurge: '1', maxUnavailable: 0 }), /^The DaemonSet "surge" is invalid: spec\.updateStrategy\.rollingUpdate\.maxSurge: Invalid value: .*"1".*: a valid percent string must be a numeric string followed by an ending '%'/);
  assert.equal((await kts.kubectl(['get', 'ds', 'surge'])).code, 1, 'nothing was stored');
});

test('RollingUpdate with maxSurge=1: each node gets its new pod before losing the old one, one node at a time', async () => {
  const r = await kts.kubectl(['create', '-f', '-'], { input: JSON.stringify(daemonSet({ maxSurge: 1, maxUnavailable: 0 })) });
  assert.equal(r.code, 0, r.stderr);
  const st = await kts.kubectl(['rollout', 'status', 'ds/surge', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.equal(st.code, 0, st.stderr);

  const statuses = await watchRoll(['set', 'image', 'ds/surge', 'c=busybox:1.37'], 'busybox:1.37');
  // Status during the roll: the old pods keep serving, so nothing is ever unavailable, and pods count as updated one by one.
  const rolling = statuses.filter(([generation, observed]) => generation === 2 && observed === 2);
  assert.ok(rolling.length > 0);
  for (const [, , , available, unavailable] of rolling) {
    assert.equal(available, 3);
    assert.equal(unavailable, 0);
  }
  const updated = rolling.map(([, , u]) => u);
  assert.deepEqual(updated, [...updated].sort(), 'updatedNumberScheduled only grows');
  assert.equal(updated.at(-1), 3);
  assert.match(await kts.k(['get', 'ds', 'surge']), /\nsurge\s+3\s+3\s+3\s+3\s+3\s+<none>\s+\d+s\n/);
});

test('rollout history and undo go through ControllerRevisions, and undo surges too', async () => {
  assert.equal((await kts.k(['rollout', 'history', 'ds/surge'])).trim(), 'daemonset.apps/surge \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>'.trim());
  assert.match(await kts.k(['rollout', 'history', 'ds/surge', '--revision=1']), /Image:\s+busybox:1\.36\n/);
  const revs = JSON.parse(await kts.k(['get', 'controllerrevisions', '-o', 'json'])).items;
  assert.deepEqual(revs.map((r: any) => r.revision).sort(), [1, 2]);

  await watchRoll(['rollout', 'undo', 'ds/surge'], 'busybox:1.36');
  assert.equal(await kts.k(['get', 'ds', 'surge', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'busybox:1.36');
  // Revision 1 became revision 3; its pods carry its hash again.
  const after = JSON.parse(await kts.k(['get', 'controllerrevisions', '-o', 'json'])).items;
  assert.deepEqual(after.map((r: any) => r.revision).sort(), [2, 3]);
  assert.match(await kts.k(['rollout', 'history', 'ds/surge']), /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/);
  const rev3 = after.find((r: any) => r.revision === 3);
  const hashes = (await kts.k(['get', 'pods', '-l', 'app=surge', '-o', 'jsonpath={.items[*].metadata.labels.controller-revision-hash}'])).split(' ');
  assert.deepEqual(hashes, Array(3).fill(rev3.metadata.labels['controller-revision-hash']));
  const bad = await kts.kubectl(['rollout', 'undo', 'ds/surge', '--to-revision=9']);
  assert.notEqual(bad.code, 0);
  assert.equal(bad.stderr.trim(), 'error: unable to find specified revision 9 in history');
  await kts.k(['delete', 'ds', 'surge']);
});
