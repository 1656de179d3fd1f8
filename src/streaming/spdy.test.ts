// The SPDY/3.1 session in both roles: the HTTP upgrade and protocol
// negotiation, streams with half-close and reset, pings, GOAWAY, flow
// control between two of our peers, and the Go-compatible mode (no
// SETTINGS from the peer: nothing enforced, reading throttled instead).

import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { ByteQueue } from './bytes.js';
import { UpgradeFailedError } from './http-upgrade.js';
import {
  acceptSpdy,
  connectSpdy,
  RstStatus,
  SpdySession,
  StreamClosedError,
  type SpdySessionOptions,
  type SpdyStream,
} from './spdy.js';
import { FrameType, readRawFrame } from './spdy-frames.js';
import { duplexPair, eventually, pattern, readAll, sleep, tcpPair, upgradeServer } from './testing.js';

const sessions: SpdySession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.destroy();
});

/** Records the frames written to a socket (type names, stream ids). */
function sniff(socket: Duplex): Array<{ type: string; streamId?: number }> {
  const seen: Array<{ type: string; streamId?: number }> = [];
  const q = new ByteQueue();
  const names = Object.fromEntries(Object.entries(FrameType).map(([k, v]) => [v, k]));
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  (socket as unknown as { write: (...args: unknown[]) => boolean }).write = (chunk: unknown, ...rest: unknown[]) => {
    if (Buffer.isBuffer(chunk)) {
      q.push(chunk);
      for (let f = readRawFrame(q); f; f = readRawFrame(q)) {
        if (f.type === 'DATA') seen.push({ type: 'DATA', streamId: f.streamId });
        else seen.push({ type: names[f.frameType] ?? String(f.frameType), streamId: f.payload.length >= 4 ? f.payload.readUInt32BE(0) & 0x7fffffff : undefined });
      }
    }
    return write(chunk, ...rest);
  };
  return seen;
}

async function sessionPair(
  server: Partial<SpdySessionOptions> = {},
  client: Partial<SpdySessionOptions> = {},
): Promise<{ server: SpdySession; client: SpdySession; serverSocket: Duplex; clientSocket: Duplex }> {
  const [c, s] = await tcpPair();
  const pair = {
    server: new SpdySession(s, { role: 'server', ...server }),
    client: new SpdySession(c, { role: 'client', ...client }),
    serverSocket: s as Duplex,
    clientSocket: c as Duplex,
  };
  sessions.push(pair.server, pair.client);
  return pair;
}

function nextStream(session: SpdySession): Promise<SpdyStream> {
  return new Promise((r) => session.once('stream', r));
}

test('upgrade: the server picks the first client version it speaks and names it in the 101', async () => {
  const srv = await upgradeServer((req, socket, head) => {
    try {
      const { session } = acceptSpdy(req, socket, head, { protocols: ['v4.channel.k8s.io', 'v3.channel.k8s.io'] });
      sessions.push(session);
      session.on('stream', (s: SpdyStream) => s.pipe(s));
    } catch {
      // answered
    }
  });
  try {
    const { session, protocol } = await connectSpdy(`${srv.url}/exec`, {
      protocols: ['v5.channel.k8s.io', 'v3.channel.k8s.io', 'v4.channel.k8s.io'],
    });
    sessions.push(session);
    assert.equal(protocol, 'v3.channel.k8s.io');
    const s = await session.openStream({ streamType: 'stdout' });
    s.end('ping');
    assert.equal((await readAll(s)).toString(), 'ping');

    await assert.rejects(connectSpdy(`${srv.url}/exec`, { protocols: ['v9.channel.k8s.io'] }), (err: UpgradeFailedError) => {
      assert.equal(err.statusCode, 403);
      assert.match(err.body, /unable to negotiate protocol: client supports \[v9.channel.k8s.io\], server accepts \[v4.channel.k8s.io v3.channel.k8s.io\]/);
      return true;
    });
    await assert.rejects(connectSpdy(`${srv.url}/exec`, { protocols: [] }), (err: UpgradeFailedError) => {
      assert.equal(err.statusCode, 400);
      assert.match(err.body, /X-Stream-Protocol-Version is required/);
      return true;
    });
  } finally {
    await srv.close();
  }
});

test('a 403 names the accepted versions in X-Accepted-Stream-Protocol-Versions', async () => {
  let answer = '';
  const srv = await upgradeServer((req, socket, head) => {
    const write = socket.write.bind(socket);
    socket.write = ((chunk: Buffer) => {
      answer += chunk.toString();
      return write(chunk);
    }) as typeof socket.write;
    socket.end = ((chunk: Buffer) => {
      answer += chunk.toString();
      return socket.destroy();
    }) as unknown as typeof socket.end;
    assert.throws(() => acceptSpdy(req, socket, head, { protocols: ['portforward.k8s.io'] }));
  });
  try {
    await assert.rejects(connectSpdy(`${srv.url}/pf`, { protocols: ['other'] }));
    assert.match(answer, /^HTTP\/1.1 403 Forbidden\r\n/);
    assert.match(answer, /X-Accepted-Stream-Protocol-Versions: portforward.k8s.io\r\n/);
  } finally {
    await srv.close();
  }
});

test('streams: ids by role, SYN_REPLY headers, data both ways, half-close each direction', async () => {
  const { server, client } = await sessionPair();
  server.on('stream', (s: SpdyStream) => {
    s.reply({ 'X-Reply': 'yes' });
    s.on('data', (d: Buffer) => s.write(d.toString().toUpperCase()));
    s.on('end', () => s.end('!'));
  });
  const a = await client.openStream({ streamType: 'stdin', Port: 80 });
  const b = await client.openStream({ streamType: 'stdout' });
  assert.equal(a.id, 1);
  assert.equal(b.id, 3);
  assert.deepEqual(a.replyHeaders.get('x-reply'), ['yes']);
  const got = readAll(a);
  a.write('abc');
  await sleep(20);
  a.end('def');
  assert.equal((await got).toString(), 'ABCDEF!');

  // The server opens streams too (even ids), and keeps writing after the client's FIN.
  const incoming = nextStream(client);
  const fromServer = await server.openStream({ streamType: 'data' });
  const onClient = await incoming;
  assert.equal(fromServer.id, 2);
  assert.equal(onClient.header('StreamType'), 'data');
  onClient.end();
  fromServer.resume();
  await new Promise((r) => fromServer.once('end', r));
  fromServer.end('after your FIN');
  assert.equal((await readAll(onClient)).toString(), 'after your FIN');
  await eventually(() => server.activeStreams === 1 && client.activeStreams === 1, 2000, 'finished streams forgotten');
});

test('many concurrent streams carry large payloads intact', async () => {
  const { server, client } = await sessionPair();
  server.on('stream', (s: SpdyStream) => s.pipe(s));
  const results = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const s = await client.openStream({ n: String(i) });
      const data = pattern(100_000 + i * 997, i + 1);
      const back = readAll(s);
      s.end(data);
      return (await back).equals(data);
    }),
  );
  assert.deepEqual(results, Array(20).fill(true));
});

test('reset: a refused stream rejects openStream; a reset stream ends reading, drops writes, closes', async () => {
  const { server, client } = await sessionPair();
  server.on('stream', (s: SpdyStream) => {
    if (s.header('kind') === 'refuse') s.reset(RstStatus.RefusedStream);
  });
  await assert.rejects(client.openStream({ kind: 'refuse' }), (err: StreamClosedError) => err.rstStatus === RstStatus.RefusedStream);

  const incoming = nextStream(server);
  const s = await client.openStream({ kind: 'ok' });
  const onServer = await incoming;
  const resets: number[] = [];
  s.on('reset', (code: number) => resets.push(code));
  onServer.write('before reset');
  const ended = readAll(s);
  await sleep(20);
  onServer.reset();
  assert.equal((await ended).toString(), 'before reset', 'data sent before the reset is still read');
  assert.deepEqual(resets, [RstStatus.Cancel]);
  assert.equal(s.resetStatus, RstStatus.Cancel);
  // Writing to a reset stream is dropped, not an 'error'; the stream closes.
  const errors: Error[] = [];
  s.on('error', (e: Error) => errors.push(e));
  s.write('too late');
  await eventually(() => s.destroyed, 2000, 'the reset stream closes');
  await sleep(10);
  assert.deepEqual(errors, []);
});

test('when the connection drops, streams end after what arrived, writes are dropped, nothing throws', async () => {
  const { server, client, clientSocket } = await sessionPair();
  const incoming = nextStream(server);
  const s = await client.openStream({});
  const onServer = await incoming;
  onServer.write('last words');
  await sleep(20);
  const serverClosed = new Promise((r) => server.once('close', r));
  clientSocket.destroy();
  assert.equal((await readAll(s)).toString(), 'last words');
  await serverClosed;
  // An echo that keeps writing after the peer is gone must not crash.
  onServer.write('into the void');
  onServer.end();
  onServer.resume(); // the stream closes once its (empty) readable side is consumed
  await eventually(() => s.destroyed && onServer.destroyed, 2000, 'both streams closed');
});

test('ping: both sides measure a round trip; the peer answers', async () => {
  const { server, client } = await sessionPair();
  assert.ok((await client.ping()) >= 0);
  assert.ok((await server.ping()) >= 0);
});

test('GOAWAY: no new streams, open ones finish, then the connection closes', async () => {
  const { server, client } = await sessionPair();
  server.on('stream', (s: SpdyStream) => s.pipe(s));
  const s = await client.openStream({});
  const goaway = new Promise<number>((r) => client.once('goaway', (last: number) => r(last)));
  server.close();
  assert.equal(await goaway, 1);
  await assert.rejects(client.openStream({}), StreamClosedError);
  const back = readAll(s);
  s.end('still works');
  assert.equal((await back).toString(), 'still works');
  await Promise.all([
    new Promise((r) => client.once('close', r)),
    new Promise((r) => server.once('close', r)),
  ]);
  assert.ok(client.closed && server.closed);
});

test('flow control between our peers: the sender stops at the receiver\'s window and resumes as it reads', async () => {
  const window = 16 * 1024;
  const { server, client, serverSocket } = await sessionPair({ initialWindowSize: window }, { initialWindowSize: window });
  const serverFrames = sniff(serverSocket);
  const incoming = nextStream(server);
  const s = await client.openStream({});
  const onServer = await incoming;
  onServer.pause();
  const data = pattern(1024 * 1024);
  let written = false;
  s.write(data, () => (written = true));
  await sleep(100);
  assert.equal(written, false, 'the write waits for window');
  // Unread bytes on the receiver stay within window plus one stream buffer.
  assert.ok(onServer.readableLength <= window + 16 * 1024 + 32 * 1024, `buffered ${onServer.readableLength}`);
  const all = readAll(onServer);
  onServer.resume();
  s.end();
  assert.deepEqual(await all, data);
  assert.ok(written);
  assert.ok(serverFrames.some((f) => f.type === 'WindowUpdate' && f.streamId === s.id), 'the receiver returned window');
  assert.ok(serverFrames.some((f) => f.type === 'Settings'));
});

test('Go-compatible mode: a peer that announces nothing is not held to windows; our reading is throttled', async () => {
  // The "client" plays moby/spdystream: no SETTINGS, no WINDOW_UPDATE.
  const { server, client, clientSocket } = await sessionPair({}, { initialWindowSize: 0 });
  const clientFrames = sniff(clientSocket);
  const incoming = nextStream(client);
  const fromServer = await server.openStream({});
  const onClient = await incoming;
  onClient.pause();
  const data = pattern(4 * 1024 * 1024);
  let written = false;
  fromServer.end(data, () => (written = true));
  await sleep(200);
  assert.ok(onClient.readableLength < 512 * 1024, `reader buffered only ${onClient.readableLength} bytes`);
  const all = readAll(onClient);
  onClient.resume();
  assert.deepEqual(await all, data);
  await eventually(() => written, 2000, 'write completion');
  assert.ok(!clientFrames.some((f) => f.type === 'Settings' || f.type === 'WindowUpdate'), 'a Go-like peer sends no flow control');

  // And we send to it without waiting for window updates it will never send.
  const toServer = nextStream(server);
  const fromClient = await client.openStream({});
  (await toServer).resume();
  await new Promise<void>((r) => fromClient.end(pattern(512 * 1024), () => r()));
});

test('toward a Go-like peer we send no window updates, even after a slow read', async () => {
  // spdystream closes its connection right after an exec's status; a late
  // WINDOW_UPDATE would make its kernel reset the connection and drop the
  // output we had not read yet.
  const { server, client, serverSocket } = await sessionPair({}, { initialWindowSize: 0 });
  const serverFrames = sniff(serverSocket);
  const incoming = nextStream(server);
  const fromClient = await client.openStream({});
  const onServer = await incoming;
  await sleep(20);
  serverFrames.length = 0; // the greeting (SETTINGS, session window) is read long before any close
  onServer.pause();
  const data = pattern(2 * 1024 * 1024);
  fromClient.end(data);
  await sleep(100);
  const all = readAll(onServer);
  onServer.resume();
  assert.deepEqual(await all, data);
  assert.ok(!serverFrames.some((f) => f.type === 'WindowUpdate'), `sent: ${serverFrames.map((f) => f.type).join(',')}`);
});

test('a session works over any Duplex', async () => {
  const [a, b] = duplexPair();
  const server = new SpdySession(a, { role: 'server' });
  const client = new SpdySession(b, { role: 'client' });
  sessions.push(server, client);
  server.on('stream', (s: SpdyStream) => s.pipe(s));
  const s = await client.openStream({});
  const back = readAll(s);
  s.end('in memory');
  assert.equal((await back).toString(), 'in memory');
});

test('protocol errors: garbage ends the session with a cause; a SYN_STREAM with the wrong parity is refused', async () => {
  {
    const [c, s] = await tcpPair();
    const server = new SpdySession(s, { role: 'server' });
    sessions.push(server);
    const closed = new Promise<Error | undefined>((r) => server.once('close', r));
    // A control frame of version 2.
    c.write(Buffer.from([0x80, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1]));
    const cause = await closed;
    assert.match(String(cause), /unsupported SPDY version 2/);
    c.destroy();
  }
  {
    const { server, client } = await sessionPair();
    // A server-parity (even) id from the client side is refused with PROTOCOL_ERROR.
    (client as unknown as { nextStreamId: number }).nextStreamId = 2;
    let announced = false;
    server.on('stream', () => (announced = true));
    await assert.rejects(client.openStream({}), (err: StreamClosedError) => err.rstStatus === RstStatus.ProtocolError);
    assert.equal(announced, false);
  }
});
