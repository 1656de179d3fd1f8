// exec, attach, cp and port-forward with the real kubectl, through the API
// server and the kubelet to containerd and back. kubectl 1.32 speaks
// WebSocket (v5.channel.k8s.io, and SPDY tunnelled in a WebSocket for
// port-forward); kubectl 1.29 speaks SPDY, the fallback both paths keep.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KUBECTL, eventually, run, type KtsProcess } from './harness.js';
import { BUSYBOX, startAgentCluster, type AgentCluster } from './agent-harness.js';

const SPDY_KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.29';

let cluster: AgentCluster;
let kts: KtsProcess;
let scratch: string;

before(async () => {
  cluster = await startAgentCluster();
  kts = cluster.kts;
  scratch = mkdtempSync(join(tmpdir(), 'kts-streams-'));
  await kts.k(
    ['apply', '-f', '-'],
    `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: ${BUSYBOX}
    command: [sh, -c, 'mkdir -p /www && echo hello from web > /www/index.html && head -c 1048576 /dev/urandom > /www/big && exec httpd -f -p 80 -h /www']
    readinessProbe: {tcpSocket: {port: 80}, periodSeconds: 1}
  - name: side
    image: ${BUSYBOX}
    command: [sh, -c, 'trap "exit 0" TERM; while true; do sleep 1; done']
`,
  );
  await kts.k(['wait', '--for=condition=Ready', 'pod/web', '--timeout=60s']);
});

after(async () => {
  await cluster?.destroy();
  rmSync(scratch, { recursive: true, force: true });
});

test('kubectl exec runs a command in the container and returns its output', async () => {
  assert.equal(await kts.k(['exec', 'web', '-c', 'web', '--', 'cat', '/etc/hostname']), 'web\n');
  assert.equal(await kts.k(['exec', 'web', '-c', 'web', '--', 'cat', '/www/index.html']), 'hello from web\n');
  // -c picks the container: the other one has its own filesystem.
  const side = await kts.kubectl(['exec', 'web', '-c', 'side', '--', 'cat', '/www/index.html']);
  assert.equal(side.code, 1);
  assert.match(side.stderr, /No such file or directory/);
});

test('kubectl exec propagates exit codes and keeps stdout and stderr apart', async () => {
  const r = await kts.kubectl(['exec', 'web', '-c', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
  assert.equal(r.code, 7);
  assert.equal(r.stdout, 'out\n');
  assert.match(r.stderr, /^err\n/);
  assert.match(r.stderr, /command terminated with exit code 7/);
  const ok = await kts.kubectl(['exec', 'web', '-c', 'web', '--', 'true']);
  assert.equal(ok.code, 0);
});

test('kubectl exec -i passes stdin through, large input intact, and ends it', async () => {
  const r = await kts.kubectl(['exec', '-i', 'web', '-c', 'web', '--', 'sh', '-c', 'read a; read b; echo "$b $a"'], { input: 'first\nsecond\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'second first\n');
  // 2 MiB in: more than any window, so flow control and stdin EOF both matter.
  const data = randomBytes(2 * 1024 * 1024).toString('base64');
  const sum = await kts.kubectl(['exec', '-i', 'web', '-c', 'web', '--', 'sha256sum'], { input: data });
  assert.equal(sum.code, 0, sum.stderr);
  assert.equal(sum.stdout.split(' ')[0], createHash('sha256').update(data).digest('hex'));
});

test('kubectl exec with a TTY gives the command a terminal', async () => {
  // script(1) gives kubectl a terminal; its stdin stays open (an EOF there would hang up the terminal early).
  const proc = spawn('script', ['-qec', `${KUBECTL} exec -it web -c web -- sh -c 'tty; exit 3'`, '/dev/null'], { env: { ...process.env, KUBECONFIG: kts.kubeconfig }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  proc.stdin!.end();
  assert.equal(code, 3, out);
  assert.match(out, /\/dev\/pts\/\d+/);
});

test('kubectl exec errors: unknown container, missing container name, no such pod', async () => {
  const bad = await kts.kubectl(['exec', 'web', '-c', 'nope', '--', 'true']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /container nope is not valid for pod web/);
  const none = await kts.kubectl(['exec', 'ghost', '--', 'true']);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /pods "ghost" not found/);
});

test('kubectl exec over SPDY (kubectl 1.29) works the same', { skip: existsSync(SPDY_KUBECTL) ? false : 'kubectl 1.29 not installed' }, async () => {
  const env = { ...process.env, KUBECONFIG: kts.kubeconfig };
  const r = await run(SPDY_KUBECTL, ['exec', '-i', 'web', '-c', 'web', '--', 'sh', '-c', 'cat; echo done; exit 5'], { env, input: 'via spdy\n' });
  assert.equal(r.code, 5);
  assert.equal(r.stdout, 'via spdy\ndone\n');
});

test('kubectl cp copies files into and out of a container', async () => {
  const local = join(scratch, 'in.txt');
  writeFileSync(local, 'copied in\n');
  await kts.k(['cp', local, 'web:/tmp/in.txt', '-c', 'web']);
  assert.equal(await kts.k(['exec', 'web', '-c', 'web', '--', 'cat', '/tmp/in.txt']), 'copied in\n');
  const back = join(scratch, 'big');
  await kts.k(['cp', 'web:/www/big', back, '-c', 'web']);
  const remoteSum = (await kts.k(['exec', 'web', '-c', 'web', '--', 'sha256sum', '/www/big'])).split(' ')[0];
  assert.equal(createHash('sha256').update(readFileSync(back)).digest('hex'), remoteSum);
});

test('kubectl run -i --rm attaches to the new pod, stdin included, and deletes it', async () => {
  const r = await kts.kubectl(['run', 'once', '-i', '--rm', `--image=${BUSYBOX}`, '--restart=Never', '--', 'sh', '-c', 'read x; echo got:$x'], { input: 'ping\n', timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /got:ping/);
  assert.match(r.stdout + r.stderr, /pod "once" deleted/);
  assert.equal((await kts.kubectl(['get', 'pod', 'once'])).code, 1);
});

/** Starts `kubectl port-forward` on a random local port; resolves with the process and the port. */
async function portForward(kubectl: string, target: string, remote: number): Promise<{ proc: ChildProcess; port: number; output: () => string }> {
  const proc = spawn(kubectl, ['port-forward', target, `:${remote}`], { env: { ...process.env, KUBECONFIG: kts.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const port = await eventually('port-forward listening', async () => {
    const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
    if (proc.exitCode !== null) throw new Error(`port-forward exited: ${out}`);
    return m ? Number(m[1]) : undefined;
  });
  return { proc, port, output: () => out };
}

function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return Promise.resolve();
  return new Promise((r) => {
    proc.once('exit', () => r());
    proc.kill('SIGTERM');
  });
}

for (const [name, kubectl] of [
  ['WebSocket tunnel (kubectl 1.32)', KUBECTL],
  ['SPDY (kubectl 1.29)', SPDY_KUBECTL],
] as const) {
  test(`kubectl port-forward over ${name} carries HTTP requests to the pod`, { skip: existsSync(kubectl) ? false : `${kubectl} not installed` }, async () => {
    const pf = await portForward(kubectl, 'pod/web', 80);
    try {
      const res = await fetch(`http://127.0.0.1:${pf.port}/index.html`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'hello from web\n');
      // Several connections at once, 1 MiB each: pairing and flow control.
      const remoteSum = (await kts.k(['exec', 'web', '-c', 'web', '--', 'sha256sum', '/www/big'])).split(' ')[0];
      const bodies = await Promise.all([1, 2, 3].map(async () => Buffer.from(await (await fetch(`http://127.0.0.1:${pf.port}/big`)).arrayBuffer())));
      for (const b of bodies) assert.equal(createHash('sha256').update(b).digest('hex'), remoteSum);
      assert.match(pf.output(), /Handling connection for \d+/);
    } finally {
      await stop(pf.proc);
    }
  });
}

test('kubectl port-forward to a port nobody listens on reports the runtime error', async () => {
  const pf = await portForward(KUBECTL, 'pod/web', 81);
  try {
    await fetch(`http://127.0.0.1:${pf.port}/`).then(
      () => assert.fail('expected the connection to fail'),
      () => undefined,
    );
    const refused = /error forwarding port 81 to pod .*connection refused/;
    await eventually('error printed', async () => (refused.test(pf.output()) ? true : undefined), 10_000).catch(() => undefined);
    assert.match(pf.output(), refused);
  } finally {
    await stop(pf.proc);
  }
});

test('kubectl port-forward to a Service picks one of its pods', async () => {
  await kts.k(['label', 'pod', 'web', 'app=web']);
  await kts.k(['expose', 'pod', 'web', '--port', '8080', '--target-port', '80', '--name', 'websvc']);
  const pf = await portForward(KUBECTL, 'service/websvc', 8080);
  try {
    const res = await fetch(`http://127.0.0.1:${pf.port}/index.html`);
    assert.equal(await res.text(), 'hello from web\n');
  } finally {
    await stop(pf.proc);
  }
});
