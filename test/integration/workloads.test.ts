// Deployments end to end through kubectl: controllers, scheduler and
// simulated nodes together (pods reach Running without containers).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKts, type KtsProcess } from './harness.js';
import { eventually } from './harness.js';

let kts: KtsProcess;

before(async () => {
  kts = await startKts({ storage: 'memory', extraArgs: ['--sim-nodes', '2'] });
});
after(async () => {
  await kts?.stop();
});


const runningPods = async (sel: string) =>
  (await kts.k(['get', 'pods', '-l', sel, '--field-selector', 'status.phase=Running', '-o', 'name'])).trim().split('\n').filter(Boolean);

test('create deployment: ReplicaSet, pods Running, rollout status completes', async () => {
  assert.equal((await kts.k(['create', 'deployment', 'web', '--image=busybox:1.36', '--replicas=3'])).trim(), 'deployment.apps/web created');
  const r = await kts.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /deployment "web" successfully rolled out/);
  assert.equal((await runningPods('app=web')).length, 3);
  const d = await kts.k(['get', 'deploy', 'web']);
  assert.match(d, /\nweb\s+3\/3\s+3\s+3\s+\d+s\n/);
  const rs = JSON.parse(await kts.k(['get', 'rs', '-l', 'app=web', '-o', 'json'])).items;
  assert.equal(rs.length, 1);
  assert.match(rs[0].metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{9,10}$/);
  assert.equal(rs[0].metadata.annotations['deployment.kubernetes.io/revision'], '1');
  const desc = await kts.k(['describe', 'deployment', 'web']);
  assert.match(desc, /Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-\S+ from 0 to 3/);
});

test('set image rolls out a new ReplicaSet; undo goes back', async () => {
  await kts.k(['set', 'image', 'deployment/web', 'busybox=busybox:1.37']);
  const r = await kts.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.equal(r.code, 0, r.stderr);
  const images = async () =>
    (await kts.k(['get', 'pods', '-l', 'app=web', '--field-selector', 'status.phase=Running', '-o', 'jsonpath={.items[*].spec.containers[0].image}'])).split(' ');
  await eventually('3 pods on 1.37', async () => {
    const i = await images();
    return i.length === 3 && i.every((x) => x === 'busybox:1.37') ? i : undefined;
  });
  const hist = await kts.k(['rollout', 'history', 'deployment/web']);
  assert.match(hist, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
  await kts.k(['rollout', 'undo', 'deployment/web']);
  const u = await kts.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.equal(u.code, 0, u.stderr);
  assert.equal(await kts.k(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'busybox:1.36');
  assert.equal((await kts.k(['get', 'rs', '-l', 'app=web', '-o', 'name'])).trim().split('\n').length, 2, 'the old ReplicaSet is reused');
});

test('scale and delete: pods follow, the garbage collector removes dependents', async () => {
  await kts.k(['scale', 'deployment/web', '--replicas=1']);
  await eventually('1 pod', async () => ((await kts.k(['get', 'pods', '-l', 'app=web', '-o', 'name'])).trim().split('\n').filter(Boolean).length === 1 ? true : undefined));
  assert.equal((await kts.k(['delete', 'deployment', 'web'])).trim(), 'deployment.apps "web" deleted');
  await eventually('ReplicaSets and pods gone', async () => {
    const left = (await kts.k(['get', 'rs,pods', '-l', 'app=web', '-o', 'name'])).trim();
    return left === '' ? true : undefined;
  });
});

test('a bare ReplicaSet replaces deleted pods', async () => {
  const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs1' }, spec: { replicas: 2, selector: { matchLabels: { app: 'rs1' } }, template: { metadata: { labels: { app: 'rs1' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } };
  await kts.k(['create', '-f', '-'], JSON.stringify(rs));
  const first = await eventually('2 running', async () => {
    const p = await runningPods('app=rs1');
    return p.length === 2 ? p : undefined;
  });
  await kts.k(['delete', first[0]]);
  await eventually('a replacement', async () => {
    const p = await runningPods('app=rs1');
    return p.length === 2 && !p.includes(first[0]) ? p : undefined;
  });
  await kts.k(['delete', 'rs', 'rs1', '--cascade=foreground']);
  assert.equal((await kts.k(['get', 'pods', '-l', 'app=rs1', '-o', 'name'])).trim(), '');
});

test('Services get Endpoints and EndpointSlices of ready pods; namespaces get a default ServiceAccount', async () => {
  await kts.k(['create', 'namespace', 'svc-demo']);
  const sa = await eventually('default ServiceAccount', async () => ((await kts.k(['-n', 'svc-demo', 'get', 'sa', '-o', 'name'])).trim() === 'serviceaccount/default' ? true : undefined));
  assert.equal(sa, true);
  await kts.k(['-n', 'svc-demo', 'create', 'deployment', 'api', '--image=busybox', '--replicas=2', '--port=8080']);
  await kts.k(['-n', 'svc-demo', 'expose', 'deployment', 'api', '--port=80', '--target-port=8080']);
  const ips = await eventually('2 endpoints', async () => {
    const a = (await kts.k(['-n', 'svc-demo', 'get', 'endpoints', 'api', '-o', 'jsonpath={.subsets[0].addresses[*].ip}'])).split(' ').filter(Boolean);
    return a.length === 2 ? a.sort() : undefined;
  });
  const podIPs = (await kts.k(['-n', 'svc-demo', 'get', 'pods', '-l', 'app=api', '-o', 'jsonpath={.items[*].status.podIP}'])).split(' ').sort();
  assert.deepEqual(ips, podIPs);
  assert.equal(await kts.k(['-n', 'svc-demo', 'get', 'endpoints', 'api', '-o', 'jsonpath={.subsets[0].ports[0].port}']), '8080');
  assert.match(await kts.k(['-n', 'svc-demo', 'get', 'endpoints', 'api']), new RegExp(`\\napi\\s+${ips.map((i) => `${i.replace(/\./g, '\\.')}:8080`).join(',')}\\s+\\d+s\\n`));
  const slices = JSON.parse(await kts.k(['-n', 'svc-demo', 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=api', '-o', 'json'])).items;
  assert.equal(slices.length, 1);
  assert.deepEqual(slices[0].endpoints.map((e: any) => e.addresses[0]).sort(), ips);
  assert.ok(slices[0].endpoints.every((e: any) => e.conditions.ready === true));
  await kts.k(['delete', 'namespace', 'svc-demo', '--timeout=60s']);
});

test('Jobs run to completion; kubectl wait sees Complete; a CronJob spawns a Job on demand', async () => {
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'once' },
    spec: {
      completions: 2,
      parallelism: 2,
      template: { metadata: { annotations: { 'sim.kts.io/exit-code': '0', 'sim.kts.io/run-seconds': '1' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
    },
  };
  await kts.k(['create', '-f', '-'], JSON.stringify(job));
  const w = await kts.kubectl(['wait', '--for=condition=complete', 'job/once', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.equal(w.code, 0, w.stderr);
  assert.equal(w.stdout.trim(), 'job.batch/once condition met');
  assert.equal(await kts.k(['get', 'job', 'once', '-o', 'jsonpath={.status.succeeded}']), '2');
  assert.match(await kts.k(['get', 'job', 'once']), /\nonce\s+Complete\s+2\/2\s+\d+s\s+\d+s\n/);
  await kts.k(['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *']);
  assert.equal((await kts.k(['create', 'job', 'manual', '--from=cronjob/tick'])).trim(), 'job.batch/manual created');
  const owner = await kts.k(['get', 'job', 'manual', '-o', 'jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}']);
  assert.equal(owner, 'CronJob/tick');
  await kts.k(['delete', 'cronjob', 'tick']);
  await kts.k(['delete', 'job', 'once']);
});

test('StatefulSet: ordered pods with stable names, hostnames and claims; PodDisruptionBudget status', async () => {
  const sts = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db' },
    spec: {
      serviceName: 'db',
      replicas: 3,
      selector: { matchLabels: { app: 'db' } },
      template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  };
  await kts.k(['create', '-f', '-'], JSON.stringify(sts));
  const r = await kts.kubectl(['rollout', 'status', 'statefulset/db', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.equal(r.code, 0, r.stderr);
  const pods = JSON.parse(await kts.k(['get', 'pods', '-l', 'app=db', '-o', 'json'])).items;
  assert.deepEqual(pods.map((p: any) => p.metadata.name).sort(), ['db-0', 'db-1', 'db-2']);
  for (const p of pods) {
    assert.equal(p.spec.hostname, p.metadata.name);
    assert.equal(p.spec.subdomain, 'db');
  }
  // OrderedReady: each pod was created after the previous one was ready.
  const created = (n: string) => Date.parse(pods.find((p: any) => p.metadata.name === n).metadata.creationTimestamp);
  assert.ok(created('db-0') <= created('db-1') && created('db-1') <= created('db-2'));
  assert.deepEqual((await kts.k(['get', 'pvc', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').sort(), ['data-db-0', 'data-db-1', 'data-db-2']);
  assert.match(await kts.k(['get', 'sts', 'db']), /\ndb\s+3\/3\s+\d+s\n/);
  await kts.k(['create', 'poddisruptionbudget', 'db-pdb', '--selector=app=db', '--min-available=2']);
  const pdb = await eventually('PDB status', async () => {
    const p = JSON.parse(await kts.k(['get', 'pdb', 'db-pdb', '-o', 'json']));
    return p.status?.currentHealthy === 3 ? p : undefined;
  });
  assert.equal(pdb.status.disruptionsAllowed, 1);
  assert.equal(pdb.status.desiredHealthy, 2);
  await kts.k(['scale', 'statefulset', 'db', '--replicas=1']);
  await eventually('scaled down to db-0', async () => ((await kts.k(['get', 'pods', '-l', 'app=db', '-o', 'name'])).trim() === 'pod/db-0' ? true : undefined));
  await kts.k(['delete', 'sts', 'db']);
  await kts.k(['delete', 'pdb', 'db-pdb']);
});

test('DaemonSet: one pod on each node, placed by the scheduler', async () => {
  const ds = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent' },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
  };
  await kts.k(['create', '-f', '-'], JSON.stringify(ds));
  const r = await kts.kubectl(['rollout', 'status', 'daemonset/agent', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.equal(r.code, 0, r.stderr);
  const nodes = (await kts.k(['get', 'pods', '-l', 'app=agent', '-o', 'jsonpath={.items[*].spec.nodeName}'])).split(' ').sort();
  assert.deepEqual(nodes, ['sim-node-0', 'sim-node-1']);
  assert.match(await kts.k(['get', 'ds', 'agent']), /\nagent\s+2\s+2\s+2\s+2\s+2\s+<none>\s+\d+s\n/);
  await kts.k(['delete', 'ds', 'agent']);
});
