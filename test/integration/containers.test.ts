// Real containers: a kts server with its node agent (containerd, runc, CNI)
// driven by the real kubectl. Needs root and Debian's containerd, runc,
// containernetworking-plugins and busybox-static (.ci/run installs them).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { KUBECTL, eventually, type KtsProcess } from './harness.js';
import { BUSYBOX as IMAGE, startAgentCluster, type AgentCluster } from './agent-harness.js';
import { CriClient } from '../../src/runtime/cri/client.js';
import { containerdPaths } from '../../src/runtime/containerd.js';

let cluster: AgentCluster;
let kts: KtsProcess;

before(async () => {
  cluster = await startAgentCluster();
  kts = cluster.kts;
});

after(async () => {
  await cluster?.destroy();
});

async function pod(name: string): Promise<any> {
  return JSON.parse(await kts.k(['get', 'pod', name, '-o', 'json']));
}

async function waitPhase(name: string, phases: string[], ms = 60_000): Promise<any> {
  return eventually(`pod ${name} in ${phases.join('|')}`, async () => {
    const p = await pod(name);
    return phases.includes(p.status?.phase) ? p : undefined;
  }, ms);
}

function apply(yaml: string): Promise<string> {
  return kts.k(['apply', '-f', '-'], yaml);
}

test('the node reports the machine and the runtime', async () => {
  const node = JSON.parse(await kts.k(['get', 'nodes', '-o', 'json'])).items[0];
  assert.match(node.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\/1\./);
  assert.match(node.status.nodeInfo.kubeletVersion, /^v1\.32\.\d+\+kts$/);
  assert.ok(Number(node.status.capacity.cpu) >= 1);
  assert.match(node.status.capacity.memory, /^\d+Ki$/);
  assert.ok(node.status.addresses.some((a: any) => a.type === 'InternalIP'));
  assert.ok(node.status.daemonEndpoints.kubeletEndpoint.Port > 0);
  const lease = JSON.parse(await kts.k(['get', 'lease', '-n', 'kube-node-lease', node.metadata.name, '-o', 'json']));
  assert.equal(lease.spec.holderIdentity, node.metadata.name);
});

test('kubectl run: a busybox httpd pod runs with an IP; logs come from the container', async () => {
  await kts.k(['run', 'web', `--image=${IMAGE}`, '--', 'sh', '-c', 'echo serving; exec httpd -f -p 80']);
  const p = await waitPhase('web', ['Running']);
  assert.match(p.status.podIP, /^10\.42\.\d+\.\d+$/);
  const cs = p.status.containerStatuses[0];
  assert.equal(cs.ready, true);
  assert.match(cs.containerID, /^containerd:\/\/[0-9a-f]{64}$/);
  assert.ok(p.status.conditions.find((c: any) => c.type === 'Ready' && c.status === 'True'));
  const logs = await eventually('logs', async () => {
    const out = await kts.k(['logs', 'web']);
    return out.includes('serving') ? out : undefined;
  });
  assert.equal(logs, 'serving\n');
  const describe = await kts.k(['describe', 'pod', 'web']);
  assert.match(describe, /Started container web/);
});

test('a container that exits: Never gives Failed with the exit code; logs stay readable', async () => {
  await kts.k(['run', 'fail', `--image=${IMAGE}`, '--restart=Never', '--', 'sh', '-c', 'echo out; sleep 1; echo oops >&2; exit 3']);
  const p = await waitPhase('fail', ['Failed']);
  const t = p.status.containerStatuses[0].state.terminated;
  assert.equal(t.exitCode, 3);
  assert.equal(t.reason, 'Error');
  assert.equal(await kts.k(['logs', 'fail']), 'out\noops\n');
  assert.equal(await kts.k(['logs', 'fail', '--tail=1']), 'oops\n');
  const ts = await kts.k(['logs', 'fail', '--timestamps']);
  assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z out\n/);
  const prev = await kts.kubectl(['logs', 'fail', '--previous']);
  assert.notEqual(prev.code, 0);
  assert.match(prev.stderr, /previous terminated container "fail" in pod "fail" not found/);
});

test('crash loop: restarts with back-off, CrashLoopBackOff, and --previous logs', async () => {
  await kts.k(['run', 'crash', `--image=${IMAGE}`, '--', 'sh', '-c', 'echo crashed at $(date +%s); exit 1']);
  const p = await eventually('CrashLoopBackOff', async () => {
    const x = await pod('crash');
    const cs = x.status?.containerStatuses?.[0];
    return cs?.restartCount >= 1 && cs.state?.waiting?.reason === 'CrashLoopBackOff' ? x : undefined;
  }, 60_000);
  const cs = p.status.containerStatuses[0];
  assert.equal(cs.lastState.terminated.exitCode, 1);
  assert.match(cs.state.waiting.message, /^back-off \d+s restarting failed container=crash pod=crash_default\(/);
  assert.match(await kts.k(['logs', 'crash', '--previous']), /^crashed at \d+\n$/);
  const table = await kts.k(['get', 'pod', 'crash']);
  assert.match(table, /CrashLoopBackOff/);
});

test('init containers run in order before the app; env, ConfigMap and downward API volumes have the right content', async () => {
  await apply(`apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {greeting: hello, mode: fast}
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret}
stringData: {password: s3cret}
---
apiVersion: v1
kind: Pod
metadata: {name: ordered, labels: {app: ordered}}
spec:
  restartPolicy: Never
  initContainers:
  - {name: first, image: ${IMAGE}, command: [sh, -c, 'echo first >> /work/order'], volumeMounts: [{name: work, mountPath: /work}]}
  - {name: second, image: ${IMAGE}, command: [sh, -c, 'echo second >> /work/order'], volumeMounts: [{name: work, mountPath: /work}]}
  containers:
  - name: main
    image: ${IMAGE}
    command: [sh, -c, 'cat /work/order; echo "$GREETING $MODE_COPY $PASSWORD $POD_NAME $POD_NS"; cat /config/greeting; echo; cat /info/labels; echo; echo $(EXPANDED)']
    env:
    - {name: GREETING, valueFrom: {configMapKeyRef: {name: app-config, key: greeting}}}
    - {name: MODE, valueFrom: {configMapKeyRef: {name: app-config, key: mode}}}
    - {name: MODE_COPY, value: '$(MODE)-copy'}
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: app-secret, key: password}}}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: POD_NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: EXPANDED, value: expanded-arg}
    volumeMounts:
    - {name: work, mountPath: /work}
    - {name: config, mountPath: /config}
    - {name: info, mountPath: /info}
  volumes:
  - {name: work, emptyDir: {}}
  - {name: config, configMap: {name: app-config}}
  - {name: info, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}}
`);
  const p = await waitPhase('ordered', ['Succeeded', 'Failed']);
  assert.equal(p.status.phase, 'Succeeded', JSON.stringify(p.status));
  assert.deepEqual(p.status.initContainerStatuses.map((s: any) => [s.name, s.state.terminated?.reason]), [['first', 'Completed'], ['second', 'Completed']]);
  const logs = await kts.k(['logs', 'ordered']);
  assert.equal(logs, 'first\nsecond\nhello fast-copy s3cret ordered default\nhello\napp="ordered"\nexpanded-arg\n');
  assert.equal(await kts.k(['logs', 'ordered', '-c', 'second']), '');
});

test('volumes: ConfigMap and Secret files refresh when the objects change; emptyDir Memory is tmpfs; projected sources; logs of all containers, followed and since', async () => {
  await apply(`apiVersion: v1
kind: ConfigMap
metadata: {name: live-config}
data: {color: blue}
---
apiVersion: v1
kind: Secret
metadata: {name: live-secret}
stringData: {token: one}
---
apiVersion: v1
kind: Pod
metadata: {name: vols, labels: {tier: backend}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: a
    image: ${IMAGE}
    command: [sh, -c, 'i=0; while true; do i=$((i+1)); echo "a line $i"; sleep 0.5; done']
    volumeMounts:
    - {name: config, mountPath: /config}
    - {name: secret, mountPath: /secret}
    - {name: cache, mountPath: /cache}
    - {name: all, mountPath: /all}
  - name: b
    image: ${IMAGE}
    command: [sh, -c, 'echo b says hi; exec sleep 100000']
  volumes:
  - {name: config, configMap: {name: live-config}}
  - {name: secret, secret: {secretName: live-secret}}
  - {name: cache, emptyDir: {medium: Memory}}
  - name: all
    projected:
      sources:
      - configMap: {name: live-config, items: [{key: color, path: cfg/color}]}
      - secret: {name: live-secret, items: [{key: token, path: sec/token}]}
      - downwardAPI: {items: [{path: tier, fieldRef: {fieldPath: "metadata.labels['tier']"}}]}
`);
  await kts.k(['wait', '--for=condition=Ready', 'pod/vols', '--timeout=60s']);
  const cat = (path: string) => kts.k(['exec', 'vols', '-c', 'a', '--', 'cat', path]);
  assert.equal(await cat('/config/color'), 'blue');
  assert.equal(await cat('/secret/token'), 'one');
  assert.equal(await cat('/all/cfg/color'), 'blue');
  assert.equal(await cat('/all/sec/token'), 'one');
  assert.equal(await cat('/all/tier'), 'backend');
  assert.match(await kts.k(['exec', 'vols', '-c', 'a', '--', 'sh', '-c', 'grep " /cache " /proc/mounts']), /^tmpfs \/cache tmpfs /);
  await kts.k(['patch', 'configmap', 'live-config', '-p', '{"data":{"color":"green"}}']);
  await kts.k(['patch', 'secret', 'live-secret', '-p', `{"data":{"token":"${Buffer.from('two').toString('base64')}"}}`]);
  await eventually('configMap file refreshed', async () => ((await cat('/config/color')) === 'green' ? true : undefined), 20_000);
  await eventually('secret file refreshed', async () => ((await cat('/secret/token')) === 'two' ? true : undefined), 20_000);
  assert.equal(await cat('/all/cfg/color'), 'green');

  // Logs: every container, prefixed; --since; -f follows new lines.
  const all = await kts.k(['logs', 'vols', '--all-containers', '--prefix']);
  assert.match(all, /^\[pod\/vols\/a\] a line 1$/m);
  assert.match(all, /^\[pod\/vols\/b\] b says hi$/m);
  assert.equal(await kts.k(['logs', 'vols', '-c', 'b', '--since=1s']), '');
  const follow = spawn(KUBECTL, ['logs', '-f', 'vols', '-c', 'a', '--tail=1'], { env: { ...process.env, KUBECONFIG: kts.kubeconfig } });
  let followed = '';
  follow.stdout!.on('data', (d) => (followed += d));
  try {
    await eventually('followed lines', async () => (followed.split('\n').filter(Boolean).length >= 3 ? true : undefined), 10_000);
    const nums = followed.split('\n').filter(Boolean).map((l) => Number(/a line (\d+)/.exec(l)?.[1]));
    assert.deepEqual(nums.slice(1, 3), [nums[0] + 1, nums[0] + 2]);
  } finally {
    follow.kill();
  }
  await kts.k(['delete', 'pod', 'vols', '--wait=false']);
});

test('a PersistentVolumeClaim of the default local-path class is provisioned on first use and its data lands under the data dir', async () => {
  await apply(`apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: writer}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: ${IMAGE}
    command: [sh, -c, 'echo persisted > /data/file; exec sleep 100000']
    volumeMounts: [{name: d, mountPath: /data}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
`);
  await kts.k(['wait', '--for=condition=Ready', 'pod/writer', '--timeout=60s']);
  const pvc = JSON.parse(await kts.k(['get', 'pvc', 'data', '-o', 'json']));
  assert.equal(pvc.status.phase, 'Bound');
  assert.equal(pvc.spec.storageClassName, 'local-path');
  const pv = JSON.parse(await kts.k(['get', 'pv', pvc.spec.volumeName, '-o', 'json']));
  assert.ok(pv.spec.hostPath.path.startsWith(join(cluster.dataDir, 'storage') + '/'), pv.spec.hostPath.path);
  await eventually('file written', async () => (readFileSync(join(pv.spec.hostPath.path, 'file'), 'utf8') === 'persisted\n' ? true : undefined));
  await kts.k(['delete', 'pod', 'writer', '--wait=true']);
  await kts.k(['delete', 'pvc', 'data', '--wait=true']);
});

test('readiness probe gates Ready; a failing liveness probe restarts the container', async () => {
  await apply(`apiVersion: v1
kind: Pod
metadata: {name: probed}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: ${IMAGE}
    command: [sh, -c, 'touch /tmp/alive; sleep 2; touch /tmp/ready; sleep 2; rm /tmp/alive; sleep 3600']
    readinessProbe: {exec: {command: [test, -f, /tmp/ready]}, periodSeconds: 1}
    livenessProbe: {exec: {command: [test, -f, /tmp/alive]}, periodSeconds: 1, failureThreshold: 2}
`);
  const notReady = await waitPhase('probed', ['Running']);
  assert.equal(notReady.status.containerStatuses[0].ready, false);
  await eventually('Ready', async () => ((await pod('probed')).status.containerStatuses[0].ready ? true : undefined));
  const restarted = await eventually('liveness restart', async () => {
    const x = await pod('probed');
    return x.status.containerStatuses[0].restartCount >= 1 ? x : undefined;
  }, 30_000);
  assert.equal(restarted.status.containerStatuses[0].lastState.terminated.reason !== undefined, true);
  const events = await kts.k(['get', 'events', '--field-selector', 'involvedObject.name=probed', '-o', 'jsonpath={range .items[*]}{.reason}:{.message}{"\\n"}{end}']);
  assert.match(events, /Unhealthy:Liveness probe failed/);
  assert.match(events, /Killing:Container app failed liveness probe, will be restarted/);
});

test('graceful termination: TERM first, KILL after terminationGracePeriodSeconds', async () => {
  await apply(`apiVersion: v1
kind: Pod
metadata: {name: stubborn}
spec:
  terminationGracePeriodSeconds: 3
  containers:
  - {name: app, image: ${IMAGE}, command: [sh, -c, 'trap "" TERM; while :; do sleep 1; done']}
---
apiVersion: v1
kind: Pod
metadata: {name: polite}
spec:
  terminationGracePeriodSeconds: 30
  containers:
  - {name: app, image: ${IMAGE}, command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 1; done']}
`);
  await waitPhase('stubborn', ['Running']);
  await waitPhase('polite', ['Running']);
  let t0 = Date.now();
  await kts.k(['delete', 'pod', 'polite', '--wait=true']);
  const politeMs = Date.now() - t0;
  t0 = Date.now();
  await kts.k(['delete', 'pod', 'stubborn', '--wait=true']);
  const stubbornMs = Date.now() - t0;
  // The polite pod stops on TERM (well inside its 30 s); the stubborn one is killed once its 3 s are up.
  assert.ok(politeMs < 10_000, `polite pod took ${politeMs} ms`);
  assert.ok(stubbornMs >= 2_500 && stubbornMs < 15_000, `stubborn pod took ${stubbornMs} ms`);
});

test('a missing image: ErrImagePull then ImagePullBackOff, with the pull error in the event', async () => {
  await kts.k(['run', 'noimage', '--image=kts.local/does-not-exist:1.0']);
  const reason = await eventually('image pull failure', async () => {
    const r = (await pod('noimage')).status?.containerStatuses?.[0]?.state?.waiting?.reason;
    return r === 'ErrImagePull' || r === 'ImagePullBackOff' ? r : undefined;
  });
  assert.ok(reason);
  const events = await kts.k(['get', 'events', '--field-selector', 'involvedObject.name=noimage', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
  assert.match(events, /Failed to pull image "kts\.local\/does-not-exist:1\.0": .*kts\.local/);
  await kts.k(['delete', 'pod', 'noimage', '--wait=true']);
});

test('lifecycle hooks: postStart after start, preStop before TERM; a failing postStart kills the container', async () => {
  const out = mkdtempSync(join(tmpdir(), 'kts-hooks-'));
  try {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: hooks}
spec:
  terminationGracePeriodSeconds: 5
  volumes: [{name: out, hostPath: {path: ${out}}}]
  containers:
  - name: c
    image: ${IMAGE}
    command: [sh, -c, 'trap "echo term >> /out/log; exit 0" TERM; while true; do sleep 0.2; done']
    volumeMounts: [{name: out, mountPath: /out}]
    lifecycle:
      postStart: {exec: {command: [sh, -c, 'echo poststart >> /out/log']}}
      preStop: {exec: {command: [sh, -c, 'echo prestop >> /out/log; sleep 1']}}
---
apiVersion: v1
kind: Pod
metadata: {name: badhook}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: ${IMAGE}
    command: [sleep, '1000']
    lifecycle:
      postStart: {exec: {command: [sh, -c, 'exit 3']}}
`);
    await waitPhase('hooks', ['Running']);
    assert.equal(readFileSync(join(out, 'log'), 'utf8'), 'poststart\n');
    await kts.k(['delete', 'pod', 'hooks', '--wait=true']);
    assert.equal(readFileSync(join(out, 'log'), 'utf8'), 'poststart\nprestop\nterm\n');
    const events = await eventually('FailedPostStartHook event', async () => {
      const e = await kts.k(['get', 'events', '--field-selector', 'involvedObject.name=badhook,reason=FailedPostStartHook', '-o', 'jsonpath={.items[*].message}']);
      return e ? e : undefined;
    });
    assert.match(events, /^Exec lifecycle hook \(\[sh -c exit 3\]\) for Container "c" in Pod "badhook_default\([0-9a-f-]+\)" failed - error: command 'sh -c exit 3' exited with 3/);
    const restarted = await eventually('badhook restarted', async () => {
      const cs = (await pod('badhook')).status?.containerStatuses?.[0];
      return cs && cs.restartCount >= 1 ? cs : undefined;
    });
    assert.equal(restarted.lastState.terminated.exitCode, 137);
    await kts.k(['delete', 'pod', 'badhook', '--wait=false']);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a container over its memory limit is OOMKilled', async () => {
  await apply(`apiVersion: v1
kind: Pod
metadata: {name: oom}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: ${IMAGE}
    command: [sh, -c, 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived']
    resources: {limits: {memory: 20Mi}}
`);
  const p = await waitPhase('oom', ['Failed', 'Succeeded']);
  assert.equal(p.status.phase, 'Failed');
  const t = p.status.containerStatuses[0].state.terminated;
  assert.equal(t.reason, 'OOMKilled');
  assert.equal(t.exitCode, 137);
  assert.match(await kts.k(['get', 'pod', 'oom']), /oom\s+0\/1\s+OOMKilled/);
});

test('securityContext and resources reach the container: user, groups, read-only root, capabilities, cgroup limits', async () => {
  await apply(`apiVersion: v1
kind: Pod
metadata: {name: sec}
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000}
  containers:
  - name: c
    image: ${IMAGE}
    command: [sleep, '1000']
    securityContext:
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
    resources: {limits: {memory: 64Mi, cpu: 500m}, requests: {cpu: 250m, memory: 32Mi}}
`);
  await kts.k(['wait', '--for=condition=Ready', 'pod/sec', '--timeout=60s']);
  assert.equal(await kts.k(['exec', 'sec', '--', 'id']), 'uid=1000 gid=3000 groups=2000,3000\n');
  const touch = await kts.kubectl(['exec', 'sec', '--', 'touch', '/x']);
  assert.equal(touch.code, 1);
  assert.match(touch.stderr, /Read-only file system/);
  assert.match(await kts.k(['exec', 'sec', '--', 'grep', 'CapEff', '/proc/1/status']), /CapEff:\s+0000000000000000/);
  const cg = (await kts.k(['exec', 'sec', '--', 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us', '/sys/fs/cgroup/cpu/cpu.shares'])).split('\n');
  assert.deepEqual(cg.slice(0, 3), ['67108864', '50000', '256']);
  assert.equal((await pod('sec')).status.qosClass, 'Burstable');
  await kts.k(['delete', 'pod', 'sec', '--grace-period=1', '--wait=false']);
});

test('the kubelet reports per-pod CPU and memory from cgroups on /stats/summary (through nodes/proxy), and kubectl top shows them', async () => {
  await apply(`apiVersion: v1
kind: Pod
metadata: {name: burn}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: spin
    image: ${IMAGE}
    command: [sh, -c, 'while true; do :; done']
    resources: {limits: {cpu: 200m, memory: 64Mi}}
`);
  await kts.k(['wait', '--for=condition=Ready', 'pod/burn', '--timeout=60s']);
  const nodeName = (await kts.k(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  const summary = async () => JSON.parse(await kts.k(['get', '--raw', `/api/v1/nodes/${nodeName}/proxy/stats/summary`]));
  await summary();
  await new Promise((r) => setTimeout(r, 2000));
  const s = await summary();
  assert.equal(s.node.nodeName, nodeName);
  assert.ok(s.node.memory.workingSetBytes > 0 && s.node.memory.availableBytes > 0);
  const p = s.pods.find((x: any) => x.podRef.name === 'burn');
  assert.ok(p, 'burn pod in the summary');
  assert.equal(p.podRef.uid, (await pod('burn')).metadata.uid);
  assert.deepEqual(p.containers.map((c: any) => c.name), ['spin']);
  // Throttled to 200m: the rate is near it, never above it by much.
  assert.ok(p.cpu.usageNanoCores > 100_000_000 && p.cpu.usageNanoCores < 260_000_000, `usageNanoCores ${p.cpu.usageNanoCores}`);
  assert.ok(p.containers[0].cpu.usageCoreNanoSeconds > 0);
  assert.ok(p.memory.workingSetBytes > 0);

  // kubectl top reads the same figures through metrics.k8s.io.
  const top = await eventually('kubectl top pod', async () => {
    const r = await kts.kubectl(['top', 'pod', 'burn', '--no-headers']);
    return r.code === 0 ? r.stdout : undefined;
  }, 30_000);
  const m = /^burn\s+(\d+)m\s+(\d+)Mi/.exec(top);
  assert.ok(m, top);
  assert.ok(Number(m[1]) > 100 && Number(m[1]) < 260, `top says ${m[1]}m`);
  const nodes = await kts.k(['top', 'node', '--no-headers']);
  assert.match(nodes, new RegExp(`^${nodeName}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%`));
  const missing = await kts.kubectl(['top', 'pod', 'nope']);
  assert.match(missing.stderr, /pods\.metrics\.k8s\.io "nope" not found/);
  await kts.k(['delete', 'pod', 'burn', '--wait=false']);
});

test('static pods: a manifest on disk runs, is mirrored into the API, survives deleting the mirror, follows edits and removal', async () => {
  const nodeName = (await kts.k(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  const manifest = join(cluster.dataDir, 'agent', 'pod-manifests', 'static-web.yaml');
  const write = (msg: string) => writeFileSync(manifest, `apiVersion: v1
kind: Pod
metadata: {name: static-web, labels: {app: static}}
spec:
  containers:
  - name: web
    image: ${IMAGE}
    command: [sh, -c, 'echo ${msg}; exec httpd -f -p 80']
`);
  write('static v1');
  const name = `static-web-${nodeName}`;
  const first = await waitPhase(name, ['Running']);
  assert.equal(first.metadata.annotations['kubernetes.io/config.source'], 'file');
  assert.equal(first.metadata.annotations['kubernetes.io/config.mirror'], first.metadata.annotations['kubernetes.io/config.hash']);
  assert.deepEqual(first.metadata.ownerReferences.map((o: any) => `${o.kind}/${o.name}`), [`Node/${nodeName}`]);
  assert.equal(await eventually('static logs', async () => ((await kts.kubectl(['logs', name])).stdout || undefined)), 'static v1\n');
  assert.equal(await kts.k(['exec', name, '--', 'cat', '/etc/hostname']), `${name}\n`);
  const containerID = first.status.containerStatuses[0].containerID;

  // Deleting the mirror pod: it comes back, the container keeps running.
  await kts.k(['delete', 'pod', name]);
  const again = await eventually('mirror pod back', async () => {
    const p = JSON.parse((await kts.kubectl(['get', 'pod', name, '-o', 'json'])).stdout || 'null');
    return p && p.metadata.uid !== first.metadata.uid && p.status?.containerStatuses?.[0]?.ready ? p : undefined;
  });
  assert.equal(again.status.containerStatuses[0].containerID, containerID);
  assert.equal(again.status.containerStatuses[0].restartCount, 0);

  // An edited manifest replaces the pod.
  write('static v2');
  await eventually('edited static pod', async () => ((await kts.kubectl(['logs', name])).stdout === 'static v2\n' ? true : undefined), 60_000);

  // Removing the manifest removes the pod.
  rmSync(manifest);
  await eventually('static pod gone', async () => ((await kts.kubectl(['get', 'pod', name])).code !== 0 ? true : undefined), 60_000);
});

test('restarting kts re-adopts running containers instead of starting them again', async () => {
  const before = (await pod('web')).status.containerStatuses[0];
  await kts.kill('SIGKILL');
  kts = await cluster.restart();
  // Give the agent a few sync rounds: nothing may be restarted.
  await new Promise((r) => setTimeout(r, 3000));
  const after = (await pod('web')).status.containerStatuses[0];
  assert.equal(after.containerID, before.containerID);
  assert.equal(after.restartCount, before.restartCount);
  assert.equal(after.ready, true);
});

test('deleting pods removes their containers', async () => {
  await kts.k(['delete', 'pod', '--all', '--wait=true', '--grace-period=1']);
  assert.equal((await kts.k(['get', 'pods', '-o', 'name'])).trim(), '');
  const cri = new CriClient(containerdPaths(cluster.dataDir).socket);
  try {
    await eventually('sandboxes removed', async () => ((await cri.listPodSandbox({ labelSelector: { 'io.kts.managed': 'true' } })).length === 0 ? true : undefined));
  } finally {
    cri.close();
  }
});
