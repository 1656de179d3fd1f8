// The scheduler and simulated nodes seen through kubectl: nodes register
// and stay Ready, pods get placed and reach Running, unschedulable pods
// say why, and cordoned nodes take no new pods. Then one scenario per test,
// each on its own small server: nodeSelector, taints and tolerations, node
// affinity, pod anti-affinity, topology spread, priority and preemption,
// and resource accounting, with the placements and event texts asserted.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startKts, KUBECTL, type KtsProcess } from './harness.js';
import { eventually } from './harness.js';

let kts: KtsProcess;

before(async () => {
  kts = await startKts({ storage: 'memory', extraArgs: ['--sim-nodes', '3'] });
});
after(async () => {
  await kts?.stop();
});


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

// ---- scheduling scenarios, each on its own small server ----

/** Runs f against a fresh server with n simulated nodes, stopped afterwards. */
async function withKts(n: number, f: (k: KtsProcess) => Promise<void>): Promise<void> {
  const s = await startKts({ storage: 'memory', extraArgs: ['--sim-nodes', String(n)] });
  try {
    await eventually(`${n} nodes`, async () => ((await s.k(['get', 'nodes', '-o', 'name'])).trim().split('\n').filter(Boolean).length === n ? true : undefined));
    await f(s);
  } finally {
    await s.stop();
  }
}

const apply = (s: KtsProcess, obj: unknown) => s.k(['apply', '-f', '-'], JSON.stringify(obj));

function pod(name: string, spec: Record<string, unknown> = {}, labels: Record<string, string> = {}, cpu = '100m'): any {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { scenario: 'yes', ...labels } },
    spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu } } }], ...spec },
  };
}

function deployment(name: string, replicas: number, podSpec: Record<string, unknown>): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' } } }], ...podSpec },
      },
    },
  };
}

async function eventMessages(s: KtsProcess, name: string, reason: string): Promise<string[]> {
  const o = await s.k(['get', 'events', '--field-selector', `involvedObject.name=${name},reason=${reason}`, '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
  return o.split('\n').filter(Boolean);
}

const waitEvent = (s: KtsProcess, name: string, reason: string) =>
  eventually(`${reason} event for ${name}`, async () => {
    const m = await eventMessages(s, name, reason);
    return m.length ? m[m.length - 1] : undefined;
  });

async function podJSON(s: KtsProcess, name: string): Promise<any> {
  return JSON.parse(await s.k(['get', 'pod', name, '-o', 'json']));
}

const waitRunningOn = (s: KtsProcess, name: string) =>
  eventually(`${name} Running`, async () => {
    const p = await podJSON(s, name);
    return p.status?.phase === 'Running' && p.spec.nodeName ? (p.spec.nodeName as string) : undefined;
  });

/** Pods matching the selector: name -> nodeName ('' if unbound). */
async function placements(s: KtsProcess, selector: string): Promise<Map<string, string>> {
  const o = await s.k(['get', 'pods', '-l', selector, '-o', 'jsonpath={range .items[*]}{.metadata.name}{" "}{.spec.nodeName}{" "}{.status.phase}{"\\n"}{end}']);
  const m = new Map<string, string>();
  for (const line of o.split('\n').filter(Boolean)) {
    const [name, node, phase] = line.split(' ');
    m.set(name, phase === 'Running' ? node : '');
  }
  return m;
}

/** Waits until `total` pods match and `running` of them run; returns the placements. */
const waitPlacements = (s: KtsProcess, selector: string, total: number, running: number) =>
  eventually(`${running}/${total} pods running for ${selector}`, async () => {
    const m = await placements(s, selector);
    const r = [...m.values()].filter(Boolean).length;
    return m.size === total && r === running ? m : undefined;
  });

async function assertStaysPending(s: KtsProcess, name: string, ms = 1000): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  const p = await podJSON(s, name);
  assert.equal(p.status.phase, 'Pending');
  assert.equal(p.spec.nodeName, undefined);
}

test('nodeSelector on a missing label: Pending with FailedScheduling, bound once a node is labelled', async () => {
  await withKts(3, async (s) => {
    await apply(s, pod('picky', { nodeSelector: { disktype: 'ssd' } }));
    const msg = await waitEvent(s, 'picky', 'FailedScheduling');
    assert.equal(msg, "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.");
    const p = await podJSON(s, 'picky');
    assert.equal(p.status.phase, 'Pending');
    const cond = p.status.conditions.find((c: any) => c.type === 'PodScheduled');
    assert.equal(cond.status, 'False');
    assert.equal(cond.reason, 'Unschedulable');
    assert.equal(cond.message, msg);
    assert.equal((await s.k(['label', 'node', 'sim-node-1', 'disktype=ssd'])).trim(), 'node/sim-node-1 labeled');
    assert.equal(await waitRunningOn(s, 'picky'), 'sim-node-1');
    assert.deepEqual(await eventMessages(s, 'picky', 'Scheduled'), ['Successfully assigned default/picky to sim-node-1']);
  });
});

test('taints and tolerations: a NoSchedule taint keeps pods off, a toleration lets them on', async () => {
  await withKts(3, async (s) => {
    for (const n of ['sim-node-0', 'sim-node-1']) assert.equal((await s.k(['taint', 'node', n, 'dedicated=gpu:NoSchedule'])).trim(), `node/${n} tainted`);
    for (let i = 0; i < 4; i++) await apply(s, pod(`plain-${i}`, {}, { group: 'plain' }));
    const plain = await waitPlacements(s, 'group=plain', 4, 4);
    assert.deepEqual([...new Set(plain.values())], ['sim-node-2']);

    // Pinned to a tainted node without a toleration: nothing fits.
    await apply(s, pod('intolerant', { nodeSelector: { 'kubernetes.io/hostname': 'sim-node-0' } }));
    const msg = await waitEvent(s, 'intolerant', 'FailedScheduling');
    assert.equal(msg, "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.");
    await assertStaysPending(s, 'intolerant', 300);

    // The same pod with a toleration lands there.
    await apply(s, pod('tolerant', { nodeSelector: { 'kubernetes.io/hostname': 'sim-node-0' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }));
    assert.equal(await waitRunningOn(s, 'tolerant'), 'sim-node-0');

    // Removing the taint frees the node for the intolerant pod.
    assert.equal((await s.k(['taint', 'node', 'sim-node-0', 'dedicated=gpu:NoSchedule-'])).trim(), 'node/sim-node-0 untainted');
    assert.equal(await waitRunningOn(s, 'intolerant'), 'sim-node-0');
  });
});

test('required node affinity places pods only on matching nodes', async () => {
  await withKts(3, async (s) => {
    await s.k(['label', 'node', 'sim-node-0', 'tier=gold']);
    await s.k(['label', 'node', 'sim-node-2', 'tier=silver']);
    const affinity = (op: string, values: string[]) => ({
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'tier', operator: op, values }] }] } } },
    });
    for (let i = 0; i < 3; i++) await apply(s, pod(`gold-${i}`, affinity('In', ['gold']), { group: 'gold' }));
    for (let i = 0; i < 3; i++) await apply(s, pod(`notgold-${i}`, affinity('NotIn', ['gold']), { group: 'notgold' }));
    assert.deepEqual([...new Set((await waitPlacements(s, 'group=gold', 3, 3)).values())], ['sim-node-0']);
    const notGold = new Set((await waitPlacements(s, 'group=notgold', 3, 3)).values());
    assert.ok(!notGold.has('sim-node-0'), `NotIn gold placed on ${[...notGold]}`);

    await apply(s, pod('platinum', affinity('In', ['platinum'])));
    assert.equal(
      await waitEvent(s, 'platinum', 'FailedScheduling'),
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
    await s.k(['label', 'node', 'sim-node-1', 'tier=platinum']);
    assert.equal(await waitRunningOn(s, 'platinum'), 'sim-node-1');
  });
});

test('preferred node affinity steers pods but does not block them', async () => {
  await withKts(3, async (s) => {
    await s.k(['label', 'node', 'sim-node-2', 'disktype=ssd']);
    const prefer = (value: string) => ({
      affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'disktype', operator: 'In', values: [value] }] } }] } },
    });
    for (let i = 0; i < 3; i++) await apply(s, pod(`pref-${i}`, prefer('ssd'), { group: 'pref' }));
    assert.deepEqual([...new Set((await waitPlacements(s, 'group=pref', 3, 3)).values())], ['sim-node-2']);
    // A preference no node meets still schedules.
    await apply(s, pod('wishful', prefer('nvme')));
    assert.match(await waitRunningOn(s, 'wishful'), /^sim-node-[012]$/);
  });
});

test('required pod anti-affinity spreads a Deployment one replica per node; the extra stays Pending', async () => {
  await withKts(3, async (s) => {
    await apply(
      s,
      deployment('spread', 4, {
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'spread' } }, topologyKey: 'kubernetes.io/hostname' }] } },
      }),
    );
    const m = await waitPlacements(s, 'app=spread', 4, 3);
    const nodes = [...m.values()].filter(Boolean).sort();
    assert.deepEqual(nodes, ['sim-node-0', 'sim-node-1', 'sim-node-2']);
    const pending = [...m.entries()].find(([, n]) => !n)![0];
    const msg = await waitEvent(s, pending, 'FailedScheduling');
    assert.equal(msg, "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.");
    await assertStaysPending(s, pending, 500);
    // Scaling down to 3 leaves one per node.
    await s.k(['scale', 'deployment', 'spread', '--replicas=3']);
    const after = await waitPlacements(s, 'app=spread', 3, 3);
    assert.deepEqual([...after.values()].sort(), ['sim-node-0', 'sim-node-1', 'sim-node-2']);
  });
});

test('matchLabelKeys: anti-affinity within one ReplicaSet revision lets a rolling update surge onto occupied nodes', async () => {
  await withKts(2, async (s) => {
    const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'keyed' } }, matchLabelKeys: ['pod-template-hash'], topologyKey: 'kubernetes.io/hostname' }] } };
    await apply(s, deployment('keyed', 2, { affinity: anti }));
    const m = await waitPlacements(s, 'app=keyed', 2, 2);
    assert.deepEqual([...m.values()].sort(), ['sim-node-0', 'sim-node-1']);
    // The API server merged the pod's own pod-template-hash into the term's selector.
    const pod = JSON.parse(await s.k(['get', 'pods', '-l', 'app=keyed', '-o', 'json'])).items[0];
    const hash = pod.metadata.labels['pod-template-hash'];
    assert.deepEqual(pod.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector, { matchLabels: { app: 'keyed' }, matchExpressions: [{ key: 'pod-template-hash', operator: 'In', values: [hash] }] });
    // maxUnavailable rounds down to 0 for 2 replicas: the update needs a surge pod next to an old one.
    await s.k(['set', 'image', 'deployment/keyed', 'c=kts.local/busybox:v2']);
    const r = await s.kubectl(['rollout', 'status', 'deployment/keyed', '--timeout=60s']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /successfully rolled out/);
  });
});

test('topology spread over zones with maxSkew 1 and DoNotSchedule', async () => {
  await withKts(4, async (s) => {
    const zoneOf: Record<string, string> = { 'sim-node-0': 'a', 'sim-node-1': 'a', 'sim-node-2': 'b', 'sim-node-3': 'c' };
    for (const [n, z] of Object.entries(zoneOf)) await s.k(['label', 'node', n, `topology.kubernetes.io/zone=${z}`]);
    await apply(
      s,
      deployment('zonal', 6, {
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'zonal' } } }],
      }),
    );
    const m = await waitPlacements(s, 'app=zonal', 6, 6);
    const perZone: Record<string, number> = {};
    for (const n of m.values()) perZone[zoneOf[n]] = (perZone[zoneOf[n]] ?? 0) + 1;
    assert.deepEqual(perZone, { a: 2, b: 2, c: 2 });

    // Zone c closed (its node cordoned, still counted): zones a and b may
    // each take one more (3/3/2 has skew 1); a 9th replica may not.
    await s.k(['cordon', 'sim-node-3']);
    await s.k(['scale', 'deployment', 'zonal', '--replicas=9']);
    const m2 = await waitPlacements(s, 'app=zonal', 9, 8);
    const perZone2: Record<string, number> = {};
    for (const n of m2.values()) if (n) perZone2[zoneOf[n]] = (perZone2[zoneOf[n]] ?? 0) + 1;
    assert.deepEqual(perZone2, { a: 3, b: 3, c: 2 });
    const pending = [...m2.entries()].find(([, n]) => !n)![0];
    const msg = await waitEvent(s, pending, 'FailedScheduling');
    assert.match(msg, /^0\/4 nodes are available: 1 node\(s\) were unschedulable, 3 node\(s\) didn't match pod topology spread constraints\. preemption: /);
  });
});

test('system default spreading: a pod its Service selects avoids the node holding its siblings, an unselected pod does not', async () => {
  await withKts(2, async (s) => {
    // sim-node-0 holds two web pods, sim-node-1 one big pod: resources alone favour sim-node-0.
    await apply(s, pod('big', { nodeName: 'sim-node-1' }, { app: 'db' }, '2'));
    for (const n of ['web-1', 'web-2']) await apply(s, pod(n, { nodeName: 'sim-node-0' }, { app: 'web' }));
    await waitPlacements(s, 'scenario=yes', 3, 3);
    assert.equal((await s.k(['create', 'service', 'clusterip', 'web', '--tcp=80:80'])).trim(), 'service/web created');
    assert.equal((await s.k(['get', 'service', 'web', '-o', 'jsonpath={.spec.selector}'])).trim(), '{"app":"web"}');

    await apply(s, pod('other', {}, { app: 'other' }));
    assert.equal(await waitRunningOn(s, 'other'), 'sim-node-0', 'no Service selects it: no default spreading');
    await apply(s, pod('web-3', {}, { app: 'web' }));
    assert.equal(await waitRunningOn(s, 'web-3'), 'sim-node-1', 'the web Service selects two pods on sim-node-0');
  });
});

test('priority and preemption: a high-priority pod evicts low-priority pods from a full node', async () => {
  await withKts(2, async (s) => {
    await s.k(['label', 'node', 'sim-node-0', 'pool=hot']);
    await apply(s, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'low' }, value: 10 });
    await apply(s, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 });
    const onHot = { nodeSelector: { pool: 'hot' } };
    for (let i = 0; i < 4; i++) await apply(s, pod(`low-${i}`, { ...onHot, priorityClassName: 'low' }, { tier: 'low' }, '2'));
    const low = await waitPlacements(s, 'tier=low', 4, 4);
    assert.deepEqual([...new Set(low.values())], ['sim-node-0']);

    // Watch the preemptor to see its nomination.
    const seen: string[] = [];
    const watch = spawn(KUBECTL, ['get', 'pods', '-l', 'tier=high', '-w', '-o', 'jsonpath={.metadata.name} nominated={.status.nominatedNodeName} node={.spec.nodeName} phase={.status.phase}{"\\n"}'], {
      env: { ...process.env, KUBECONFIG: s.kubeconfig },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    watch.stdout!.on('data', (d) => seen.push(...String(d).split('\n').filter(Boolean)));
    await new Promise((r) => setTimeout(r, 500));
    try {
      await apply(s, pod('high', { ...onHot, priorityClassName: 'high' }, { tier: 'high' }, '3'));
      assert.equal(await waitRunningOn(s, 'high'), 'sim-node-0');
      await eventually('nomination seen', async () => (seen.some((l) => /nominated=sim-node-0/.test(l)) ? true : undefined), 5000);
    } finally {
      watch.kill();
    }
    // 3 cpu needs two 2-cpu victims; the others stay.
    const left = await waitPlacements(s, 'tier=low', 2, 2);
    assert.deepEqual([...new Set(left.values())], ['sim-node-0']);
    const hp = await podJSON(s, 'high');
    const victims = ['low-0', 'low-1', 'low-2', 'low-3'].filter((n) => !left.has(n));
    assert.equal(victims.length, 2);
    for (const v of victims) {
      assert.equal(await waitEvent(s, v, 'Preempted'), `Preempted by pod ${hp.metadata.uid} on node sim-node-0`);
    }
    // A pod of the same low priority cannot preempt.
    await apply(s, pod('low-late', { ...onHot, priorityClassName: 'low' }, {}, '2'));
    assert.equal(
      await waitEvent(s, 'low-late', 'FailedScheduling'),
      "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
    );
  });
});

test('resource accounting: a node full of requests takes no more until one leaves', async () => {
  await withKts(2, async (s) => {
    const pinned = { nodeSelector: { 'kubernetes.io/hostname': 'sim-node-1' } };
    for (let i = 0; i < 2; i++) await apply(s, pod(`big-${i}`, pinned, { group: 'big' }, '3500m'));
    assert.deepEqual([...new Set((await waitPlacements(s, 'group=big', 2, 2)).values())], ['sim-node-1']);
    await apply(s, pod('one-more', pinned, {}, '1500m'));
    assert.equal(
      await waitEvent(s, 'one-more', 'FailedScheduling'),
      "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
    );
    await assertStaysPending(s, 'one-more', 300);
    // 1 cpu still fits in the 1 cpu left.
    await apply(s, pod('small', pinned, {}, '1'));
    assert.equal(await waitRunningOn(s, 'small'), 'sim-node-1');
    await s.k(['delete', 'pod', 'big-0', '--wait=true']);
    assert.equal(await waitRunningOn(s, 'one-more'), 'sim-node-1');
  });
});
