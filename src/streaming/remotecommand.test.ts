// exec/attach streams: our server with our client over SPDY (v5..v2) and
// WebSocket (v5, v4), the exact status JSON on the error channel, TTY and
// resize, base64 framing, SPDY stream-creation timeout, the kubelet-style
// proxy between the two, and @kubernetes/client-node's Exec as a real
// WebSocket peer.

import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import {
  acceptRemoteCommand,
  connectRemoteCommand,
  decodeErrorStream,
  exitCodeStatus,
  proxyRemoteCommand,
  resultStatus,
  type RemoteCommandClient,
  type RemoteCommandSession,
  type TerminalSize,
} from './remotecommand.js';
import { connectSpdy, type SpdySession } from './spdy.js';
import { connectWebSocket, type WebSocket } from './websocket.js';
import { eventually, readAll, sleep, upgradeServer, type UpgradeServer } from './testing.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/**
 * A streaming server whose "commands" are scripted by the test. The command
 * and the stream options come from the query string, as on the kubelet.
 */
async function commandServer(
  run: (s: RemoteCommandSession, cmd: string[]) => unknown = runScript,
  extra: { streamCreationTimeoutMs?: number } = {},
): Promise<UpgradeServer & { sessions: RemoteCommandSession[]; errors: Error[] }> {
  const sessions: RemoteCommandSession[] = [];
  const errors: Error[] = [];
  const srv = await upgradeServer(async (req, socket, head) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const flag = (n: string) => q.get(n) === 'true' || q.get(n) === '1';
    try {
      const s = await acceptRemoteCommand(req, socket, head, {
        stdin: flag('stdin'),
        stdout: flag('stdout'),
        stderr: flag('stderr'),
        tty: flag('tty'),
        ...extra,
      });
      sessions.push(s);
      await run(s, q.getAll('command'));
    } catch (err) {
      errors.push(err as Error);
    }
  });
  cleanup.push(() => srv.close());
  return Object.assign(srv, { sessions, errors });
}

/** upper: stdin upper-cased to stdout until EOF; exit N: some output, then code N; fail: an error. */
async function runScript(s: RemoteCommandSession, cmd: string[]): Promise<void> {
  switch (cmd[0]) {
    case 'upper':
      s.stdin!.on('data', (d: Buffer) => s.stdout!.write(d.toString().toUpperCase()));
      await new Promise((r) => s.stdin!.once('end', r));
      s.stderr?.write('stdin closed');
      return s.finish({ exitCode: 0 });
    case 'exit':
      s.stdout?.write('out');
      s.stderr?.write('err');
      return s.finish({ exitCode: Number(cmd[1]) });
    case 'fail':
      return s.finish({ error: 'boom' });
    case 'sizes': {
      const sizes: TerminalSize[] = [];
      s.resize.on('resize', (size: TerminalSize) => {
        sizes.push(size);
        if (sizes.length === 2) {
          s.stdout!.write(JSON.stringify(sizes));
          void s.finish({ exitCode: 0 });
        }
      });
      return;
    }
  }
}

function execURL(srv: UpgradeServer, cmd: string[], opts: Record<string, boolean>): string {
  const q = new URLSearchParams();
  for (const c of cmd) q.append('command', c);
  for (const [k, v] of Object.entries(opts)) if (v) q.set(k, 'true');
  return `${srv.url}/api/v1/namespaces/default/pods/p/exec?${q}`;
}

async function client(srv: UpgradeServer, cmd: string[], opts: Parameters<typeof connectRemoteCommand>[1]): Promise<RemoteCommandClient> {
  const c = await connectRemoteCommand(execURL(srv, cmd, { stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr, tty: opts.tty }), opts);
  cleanup.push(() => c.close());
  return c;
}

const all = { stdin: true, stdout: true, stderr: true, tty: false };

for (const [transport, protocol] of [
  ['spdy', 'v5.channel.k8s.io'],
  ['spdy', 'v4.channel.k8s.io'],
  ['spdy', 'v3.channel.k8s.io'],
  ['spdy', 'v2.channel.k8s.io'],
  ['websocket', 'v5.channel.k8s.io'],
  ['websocket', 'v4.channel.k8s.io'],
] as const) {
  test(`${transport} ${protocol}: stdin to stdout, stderr, stdin EOF, exit codes`, async () => {
    const srv = await commandServer();
    const version = Number(protocol[1]);
    const c = await client(srv, ['upper'], { ...all, transport, protocols: [protocol] });
    assert.equal(c.protocol, protocol);
    assert.equal(srv.sessions[0]?.transport ?? transport, transport);
    const out = readAll(c.stdout!);
    const err = readAll(c.stderr!);
    c.stdin!.write('hello ');
    c.stdin!.write('world');
    if (transport === 'websocket' && version < 5) {
      // Before v5 a WebSocket cannot half-close stdin: the session is ended server side.
      await eventually(() => srv.sessions.length === 1);
      await sleep(50);
      await srv.sessions[0].finish({ exitCode: 0 });
    } else {
      c.stdin!.end();
    }
    assert.deepEqual(await c.result, { exitCode: 0 });
    assert.equal((await out).toString(), 'HELLO WORLD');
    if (transport === 'spdy' || version >= 5) assert.equal((await err).toString(), 'stdin closed');

    const e = await client(srv, ['exit', '3'], { ...all, stdin: false, transport, protocols: [protocol] });
    const eout = readAll(e.stdout!);
    const exit = await e.result;
    if (version >= 4) {
      assert.deepEqual(exit, { exitCode: 3 });
    } else {
      assert.deepEqual(exit, {
        error:
          'error executing remote command: command terminated with non-zero exit code: command terminated with exit code 3',
      });
    }
    assert.equal((await eout).toString(), 'out');

    const f = await client(srv, ['fail'], { ...all, stdin: false, transport, protocols: [protocol] });
    const failure = await f.result;
    assert.ok('error' in failure);
    assert.match(failure.error, /Internal error occurred: boom/);
  });
}

test('the status on the error stream is metav1.Status JSON with upstream field order', async () => {
  assert.equal(JSON.stringify(resultStatus({ exitCode: 0 })), '{"metadata":{},"status":"Success"}');
  assert.equal(
    JSON.stringify(exitCodeStatus(3, 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3')),
    '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}',
  );
  assert.equal(
    JSON.stringify(resultStatus({ error: 'boom' })),
    '{"metadata":{},"status":"Failure","message":"Internal error occurred: boom","reason":"InternalError","details":{"causes":[{"message":"boom"}]},"code":500}',
  );

  // Read the raw error stream with a bare SPDY client, as client-go does.
  const srv = await commandServer();
  const { session } = await connectSpdy(execURL(srv, ['exit', '7'], { stdout: true }), { protocols: ['v4.channel.k8s.io'] });
  cleanup.push(() => session.destroy());
  const errorStream = await session.openStream({ streamType: 'error' });
  const stdout = await session.openStream({ streamType: 'stdout' });
  const [raw, out] = await Promise.all([readAll(errorStream), readAll(stdout)]);
  assert.equal(out.toString(), 'out');
  assert.equal(
    raw.toString(),
    '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: command terminated with exit code 7","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"7"}]}}',
  );
  assert.deepEqual(decodeErrorStream(raw, 4), { exitCode: 7 });
  assert.deepEqual(decodeErrorStream(Buffer.alloc(0), 4), { exitCode: 0 });
  assert.match((decodeErrorStream(Buffer.from('{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"300"}]}}'), 4) as { error: string }).error, /invalid exit code value "300"/);
});

for (const transport of ['spdy', 'websocket'] as const) {
  test(`${transport}: a TTY drops stderr and delivers terminal sizes`, async () => {
    const srv = await commandServer();
    const c = await client(srv, ['sizes'], { stdin: true, stdout: true, stderr: true, tty: true, transport });
    assert.equal(c.stderr, null);
    await eventually(() => srv.sessions.length === 1);
    assert.equal(srv.sessions[0].stderr, null);
    assert.equal(srv.sessions[0].tty, true);
    const out = readAll(c.stdout!);
    c.resize({ Width: 80, Height: 24 });
    c.resize({ Width: 132, Height: 50 });
    assert.deepEqual(await c.result, { exitCode: 0 });
    assert.deepEqual(JSON.parse((await out).toString()), [
      { Width: 80, Height: 24 },
      { Width: 132, Height: 50 },
    ]);
  });
}

test('websocket: the lowest writable channel gets an empty message first; v5 CLOSE ends stdin', async () => {
  const srv = await commandServer();
  const ws: WebSocket = await connectWebSocket(execURL(srv, ['upper'], { stdin: true, stdout: true }), {
    protocols: ['v5.channel.k8s.io'],
  });
  cleanup.push(() => ws.terminate());
  const messages: Buffer[] = [];
  ws.on('message', (d) => messages.push(d));
  await eventually(() => messages.length === 1);
  assert.deepEqual(messages[0], Buffer.from([1]));
  ws.send(Buffer.from([0, ...Buffer.from('abc')]));
  ws.send(Buffer.from([255, 0]));
  await eventually(() => messages.length === 3, 2000, 'output and status');
  assert.deepEqual(messages[1], Buffer.from([1, ...Buffer.from('ABC')]));
  assert.equal(messages[2][0], 3);
  assert.equal(messages[2].subarray(1).toString(), '{"metadata":{},"status":"Success"}');
});

test('websocket base64 protocols: text messages with a digit channel and base64 payloads', async () => {
  // The test drives the session itself.
  const srv = await commandServer(() => {});
  // v4.base64: stdin in, error status out as base64 JSON.
  const ws: WebSocket = await connectWebSocket(execURL(srv, ['x'], { stdin: true, stdout: true }), {
    protocols: ['v4.base64.channel.k8s.io'],
  });
  cleanup.push(() => ws.terminate());
  const messages: Array<{ data: string; binary: boolean }> = [];
  ws.on('message', (d, binary) => messages.push({ data: d.toString(), binary }));
  await eventually(() => messages.length === 1);
  assert.deepEqual(messages[0], { data: '1', binary: false });
  const session = srv.sessions[0];
  const got: Buffer[] = [];
  session.stdin!.on('data', (d: Buffer) => got.push(d));
  ws.send('0' + Buffer.from('héllo').toString('base64'));
  await eventually(() => got.length === 1);
  assert.equal(Buffer.concat(got).toString(), 'héllo');
  session.stdout!.write(Buffer.from([0, 255, 10]));
  await eventually(() => messages.length === 2);
  assert.deepEqual(messages[1], { data: '1' + Buffer.from([0, 255, 10]).toString('base64'), binary: false });
  await session.finish({ exitCode: 2 });
  const status = messages.find((m) => m.data.startsWith('3'));
  assert.ok(status);
  assert.equal(JSON.parse(Buffer.from(status.data.slice(1), 'base64').toString()).reason, 'NonZeroExitCode');
});

test('websocket channel.k8s.io (v1): only failures are written, as text', async () => {
  const srv = await commandServer();
  for (const [cmd, expected] of [
    [['exit', '0'], null],
    [['fail'], 'Internal error occurred: boom'],
  ] as const) {
    const ws: WebSocket = await connectWebSocket(execURL(srv, [...cmd], { stdout: true }), { protocols: ['channel.k8s.io'] });
    cleanup.push(() => ws.terminate());
    const errors: string[] = [];
    ws.on('message', (d) => {
      if (d[0] === 3) errors.push(d.subarray(1).toString());
    });
    await new Promise((r) => ws.once('close', r));
    assert.deepEqual(errors, expected === null ? [] : [expected]);
  }
});

test('spdy: a client that does not open its streams in time is dropped', async () => {
  const srv = await commandServer(runScript, { streamCreationTimeoutMs: 150 });
  const { session } = await connectSpdy(execURL(srv, ['exit', '0'], { stdout: true, stdin: true }), {
    protocols: ['v4.channel.k8s.io'],
  });
  cleanup.push(() => session.destroy());
  await session.openStream({ streamType: 'error' });
  await new Promise((r) => (session as SpdySession).once('close', r));
  await eventually(() => srv.errors.length === 1);
  assert.match(srv.errors[0].message, /timed out waiting for client to create streams/);
});

test('proxyRemoteCommand: kubectl-facing WebSocket session to a runtime-facing SPDY client', async () => {
  const runtime = await commandServer();
  const proxy = await upgradeServer(async (req, socket, head) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const opts = { stdin: q.has('stdin'), stdout: q.has('stdout'), stderr: q.has('stderr'), tty: false };
    const session = await acceptRemoteCommand(req, socket, head, opts);
    const upstream = await connectRemoteCommand(execURL(runtime, q.getAll('command'), opts), opts);
    await proxyRemoteCommand(session, upstream);
  });
  cleanup.push(() => proxy.close());
  const c = await client(proxy, ['upper'], { ...all, transport: 'websocket' });
  const out = readAll(c.stdout!);
  const err = readAll(c.stderr!);
  c.stdin!.end('through the proxy');
  assert.deepEqual(await c.result, { exitCode: 0 });
  assert.equal((await out).toString(), 'THROUGH THE PROXY');
  assert.equal((await err).toString(), 'stdin closed');
  const e = await client(proxy, ['exit', '42'], { ...all, stdin: false, transport: 'websocket' });
  assert.deepEqual(await e.result, { exitCode: 42 });
});

test('@kubernetes/client-node Exec (WebSocket v5) against our server', async () => {
  const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
  const { Exec } = await import('@kubernetes/client-node/dist/exec.js');
  const srv = await commandServer();
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: srv.url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  const exec = new Exec(kc);
  const sink = () => {
    const chunks: Buffer[] = [];
    const w = new Writable({
      write(c, _e, cb) {
        chunks.push(Buffer.from(c));
        cb();
      },
    });
    return { w, text: () => Buffer.concat(chunks).toString() };
  };
  for (const [cmd, input, expectOut, expectStatus] of [
    [['upper'], 'from client-node', 'FROM CLIENT-NODE', 'Success'],
    [['exit', '5'], null, 'out', 'Failure'],
  ] as const) {
    const out = sink();
    const err = sink();
    const stdin = input === null ? null : new PassThrough();
    const status = new Promise<{ status?: string; reason?: string; details?: { causes?: Array<{ message?: string }> } }>((resolve) => {
      void exec.exec('default', 'p', 'c', [...cmd], out.w, err.w, stdin, false, resolve as never).then((ws) => {
        cleanup.push(() => ws.terminate());
        assert.equal(ws.protocol, 'v5.channel.k8s.io');
        stdin?.end(input);
      });
    });
    const st = await status;
    assert.equal(st.status, expectStatus);
    assert.equal(out.text(), expectOut);
    if (expectStatus === 'Failure') {
      assert.equal(st.reason, 'NonZeroExitCode');
      assert.equal(st.details?.causes?.[0].message, '5');
      assert.equal(err.text(), 'err');
    } else {
      assert.equal(err.text(), 'stdin closed');
    }
  }
});
