// The real kubectl (1.32) as the client: a minimal fake API server answers
// discovery and one Running pod, and hands exec and port-forward upgrades to
// acceptRemoteCommand / acceptPortForward. Covers exec over WebSocket v5
// (kubectl's default) and the SPDY fallback, stdin, exit codes, errors,
// large output, TTY resize, and port-forward over the SPDY-in-WebSocket
// tunnel (default) and plain SPDY. Skipped when kubectl is not installed.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptPortForward } from './portforward.js';
import { acceptRemoteCommand, type RemoteCommandSession, type TerminalSize } from './remotecommand.js';
import { eventually, pattern, sleep } from './testing.js';

const KUBECTL = process.env.KTS_TEST_KUBECTL ?? '/usr/bin/kubectl';
const skip = existsSync(KUBECTL) ? false : `kubectl not found at ${KUBECTL}`;
const hasScript = spawnSync('script', ['--version']).status === 0;

const POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p1', namespace: 'default', uid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' },
  spec: { containers: [{ name: 'c1', image: 'busybox' }] },
  status: { phase: 'Running' },
};

const DISCOVERY: Record<string, unknown> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
  '/api/v1': {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] },
      { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
    ],
  },
  '/api/v1/namespaces/default/pods/p1': POD,
};

let server: http.Server;
let dir: string;
let echoPort: number;
let echo: net.Server;
const sessions: Array<{ transport: string; protocol: string }> = [];
const resizes: TerminalSize[] = [];

/** The fake container's commands: upper (stdin upper-cased), exit N, fail, big N, sleep MS. */
async function run(s: RemoteCommandSession, cmd: string[]): Promise<void> {
  s.resize.on('resize', (size: TerminalSize) => resizes.push(size));
  switch (cmd[0]) {
    case 'upper':
      s.stdin!.on('data', (d: Buffer) => s.stdout!.write(d.toString().toUpperCase()));
      s.stdin!.once('end', () => void s.finish({ exitCode: 0 }));
      return;
    case 'exit':
      s.stdout?.write('out\n');
      s.stderr?.write('err\n');
      return s.finish({ exitCode: Number(cmd[1]) });
    case 'fail':
      return s.finish({ error: 'the runtime said no' });
    case 'big':
      s.stdout!.write(pattern(Number(cmd[1])));
      return s.finish({ exitCode: 0 });
    case 'sleep':
      await sleep(Number(cmd[1]));
      return s.finish({ exitCode: 0 });
  }
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'kts-streaming-kubectl-'));
  echo = net.createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as net.AddressInfo).port;
  server = http.createServer((req, res) => {
    const body = DISCOVERY[new URL(req.url ?? '/', 'http://x').pathname];
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
  });
  server.on('upgrade', async (req, socket, head) => {
    socket.on('error', () => {});
    const u = new URL(req.url ?? '/', 'http://x');
    const q = u.searchParams;
    try {
      if (u.pathname.endsWith('/exec')) {
        const flag = (n: string) => q.get(n) === 'true';
        const s = await acceptRemoteCommand(req, socket, head, { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr'), tty: flag('tty') });
        sessions.push({ transport: s.transport, protocol: s.protocol });
        await run(s, q.getAll('command'));
      } else if (u.pathname.endsWith('/portforward')) {
        const pf = acceptPortForward(req, socket, head, {
          onConnection(conn) {
            const target = net.connect(conn.port === 9999 ? 1 : echoPort, '127.0.0.1');
            target.on('error', (err) => conn.reportError(`dial: ${err.message}`));
            conn.data.pipe(target);
            target.pipe(conn.data);
          },
        });
        sessions.push({ transport: pf.transport, protocol: 'portforward.k8s.io' });
      }
    } catch {
      // handshake errors were answered
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  writeFileSync(
    join(dir, 'kubeconfig'),
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "http://127.0.0.1:' + port + '"}}]',
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]',
      'current-context: c',
      '',
    ].join('\n'),
  );
});

after(async () => {
  if (skip) return;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await new Promise((r) => echo.close(r));
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function kubectl(args: string[], opts: { env?: Record<string, string>; input?: string | Buffer; script?: boolean } = {}): Promise<Run> {
  const env = { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir, ...opts.env };
  const [cmd, argv] = opts.script
    ? ['script', ['-qec', `stty cols 120 rows 40; ${[KUBECTL, ...args].map((a) => `'${a}'`).join(' ')}`, '/dev/null']]
    : [KUBECTL, args];
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv as string[], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() });
    });
    if (opts.input !== undefined) p.stdin.end(opts.input);
    else if (!opts.script) p.stdin.end();
  });
}

for (const [label, env, transport] of [
  ['WebSocket v5 (default)', {}, 'websocket'],
  ['SPDY (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false)', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }, 'spdy'],
] as const) {
  test(`kubectl exec over ${label}: exit codes, stdin, errors, large output`, { skip }, async () => {
    sessions.length = 0;
    const exit = await kubectl(['exec', 'p1', '--', 'exit', '3'], { env });
    assert.equal(exit.code, 3, exit.stderr);
    assert.equal(exit.stdout.toString(), 'out\n');
    assert.match(exit.stderr, /^err\n/);
    assert.match(exit.stderr, /command terminated with exit code 3/);
    assert.deepEqual(sessions[0], { transport, protocol: 'v5.channel.k8s.io' });

    const upper = await kubectl(['exec', '-i', 'p1', '--', 'upper'], { env, input: 'piped\ninput\n' });
    assert.equal(upper.code, 0, upper.stderr);
    assert.equal(upper.stdout.toString(), 'PIPED\nINPUT\n');

    const fail = await kubectl(['exec', 'p1', '--', 'fail'], { env });
    assert.equal(fail.code, 1);
    assert.match(fail.stderr, /Internal error occurred: the runtime said no/);

    const big = await kubectl(['exec', 'p1', '--', 'big', String(3 * 1024 * 1024)], { env });
    assert.equal(big.code, 0, big.stderr);
    assert.ok(big.stdout.equals(pattern(3 * 1024 * 1024)), `got ${big.stdout.length} bytes`);
  });

  test(`kubectl exec -it over ${label}: the terminal size arrives`, { skip: skip || (!hasScript && 'no script(1)') }, async () => {
    resizes.length = 0;
    const r = await kubectl(['exec', '-it', 'p1', '--', 'sleep', '300'], { env, script: true });
    assert.equal(r.code, 0, r.stderr + r.stdout.toString());
    await eventually(() => resizes.length > 0, 2000, 'a resize');
    assert.deepEqual(resizes[0], { Width: 120, Height: 40 });
  });
}

for (const [label, env, transport] of [
  ['the WebSocket tunnel (default)', {}, 'websocket'],
  ['SPDY (KUBECTL_PORT_FORWARD_WEBSOCKETS=false)', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }, 'spdy'],
] as const) {
  test(`kubectl port-forward over ${label}: concurrent connections echo; a dial error ends kubectl`, { skip }, async () => {
    sessions.length = 0;
    const env2 = { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir, ...env };
    const pf = spawn(KUBECTL, ['port-forward', 'pod/p1', ':8080', ':9999'], { env: env2 });
    let out = '';
    let errOut = '';
    pf.stdout.on('data', (d: Buffer) => (out += d));
    pf.stderr.on('data', (d: Buffer) => (errOut += d));
    const exited = new Promise<number | null>((r) => pf.on('close', r));
    try {
      await eventually(() => (out.match(/Forwarding from 127\.0\.0\.1:\d+/g) ?? []).length === 2, 10_000, 'kubectl listening');
      const [good, bad] = [...out.matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g)]
        .sort((a, b) => Number(a[2]) - Number(b[2]))
        .map((m) => Number(m[1]));
      const roundTrip = (i: number) =>
        new Promise<boolean>((resolve, reject) => {
          const payload = pattern(200_000 + i, i + 7);
          const s = net.connect(good, '127.0.0.1');
          const chunks: Buffer[] = [];
          let n = 0;
          s.on('data', (d: Buffer) => {
            chunks.push(d);
            n += d.length;
            if (n >= payload.length) s.end();
          });
          s.on('close', () => resolve(Buffer.concat(chunks).equals(payload)));
          s.on('error', reject);
          s.write(payload);
        });
      assert.deepEqual(await Promise.all([0, 1, 2, 3, 4].map(roundTrip)), [true, true, true, true, true]);
      assert.equal(sessions[0]?.transport, transport);

      // Port 9999 is wired to a closed port: the error stream carries the
      // dial error and kubectl gives up, as it does against a kubelet.
      const s = net.connect(bad, '127.0.0.1');
      s.on('error', () => {});
      const code = await exited;
      assert.equal(code, 1);
      assert.match(errOut, /an error occurred forwarding \d+ -> 9999: dial: connect ECONNREFUSED/);
      assert.match(errOut, /lost connection to pod/);
    } finally {
      pf.kill();
    }
  });
}
