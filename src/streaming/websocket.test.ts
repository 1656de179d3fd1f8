// RFC 6455: framing and masking, the handshake both ways, fragmentation,
// ping/pong, the close handshake and its codes, protocol errors, and
// backpressure; plus interop with the `ws` library (what
// @kubernetes/client-node uses) in both roles.

import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { ByteQueue } from './bytes.js';
import { requestUpgrade, UpgradeFailedError } from './http-upgrade.js';
import {
  acceptKey,
  acceptWebSocket,
  CloseCode,
  connectWebSocket,
  decodeFrame,
  encodeFrame,
  Opcode,
  selectSubprotocol,
  WebSocket,
  webSocketStream,
} from './websocket.js';
import { duplexPair, eventually, pattern, readAll, sleep, tcpPair, upgradeServer } from './testing.js';

const open: WebSocket[] = [];
afterEach(() => {
  for (const ws of open.splice(0)) ws.terminate();
});

/** A connected server/client WebSocket pair over TCP, without HTTP. */
async function wsPair(opts: { maxPayload?: number; clientFrame?: number } = {}): Promise<[WebSocket, WebSocket]> {
  const [c, s] = await tcpPair();
  const pair: [WebSocket, WebSocket] = [
    new WebSocket(s, { role: 'server', maxPayload: opts.maxPayload }),
    new WebSocket(c, { role: 'client', maxFrameSize: opts.clientFrame }),
  ];
  open.push(...pair);
  return pair;
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, binary) => resolve({ data, binary })));
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason })));
}

test('the accept key matches the example in RFC 6455 section 1.3', () => {
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('frames round-trip at every length encoding, masked and not, fed a byte at a time', () => {
  for (const len of [0, 1, 125, 126, 127, 65535, 65536, 70000]) {
    for (const mask of [false, true]) {
      const payload = pattern(len, len + 1);
      const wire = encodeFrame(Opcode.Binary, payload, { mask });
      const headerLen = 2 + (len < 126 ? 0 : len < 65536 ? 2 : 8) + (mask ? 4 : 0);
      assert.equal(wire.length, headerLen + len);
      assert.equal((wire[1] & 0x80) !== 0, mask);
      if (mask && len > 8) assert.notDeepEqual(wire.subarray(headerLen), payload, 'payload is masked on the wire');
      const q = new ByteQueue();
      let frame = null;
      const step = len > 1000 ? 997 : 1;
      for (let i = 0; i < wire.length && !frame; i += step) {
        q.push(wire.subarray(i, i + step));
        frame = decodeFrame(q);
      }
      assert.ok(frame, `decoded frame of ${len}`);
      assert.equal(frame.opcode, Opcode.Binary);
      assert.equal(frame.fin, true);
      assert.equal(frame.masked, mask);
      assert.deepEqual(frame.payload, payload);
      assert.equal(q.length, 0);
    }
  }
});

test('subprotocols are chosen in the client\'s order among those the server speaks', () => {
  assert.equal(selectSubprotocol(['b', 'a'], ['a', 'b']), 'b');
  assert.equal(selectSubprotocol([], ['', 'a']), '');
  assert.equal(selectSubprotocol([], ['a']), null);
  assert.equal(selectSubprotocol(['x'], ['a', '']), null);
});

test('handshake over HTTP: subprotocol negotiated, messages both ways, clean close', async () => {
  const accepted: WebSocket[] = [];
  const srv = await upgradeServer((req, socket, head) => {
    const ws = acceptWebSocket(req, socket, head, { protocols: ['v4.channel.k8s.io', 'v5.channel.k8s.io'] });
    accepted.push(ws);
    ws.on('message', (data, binary) => ws.send(binary ? Buffer.concat([Buffer.from('echo:'), data]) : `echo:${data}`));
  });
  try {
    const ws = await connectWebSocket(`ws://127.0.0.1:${srv.port}/x`, { protocols: ['v5.channel.k8s.io', 'v4.channel.k8s.io'] });
    assert.equal(ws.protocol, 'v5.channel.k8s.io');
    assert.equal(accepted[0].protocol, 'v5.channel.k8s.io');
    ws.send('héllo');
    assert.deepEqual(await nextMessage(ws), { data: Buffer.from('echo:héllo'), binary: false });
    ws.send(Buffer.from([0, 1, 2]));
    assert.deepEqual(await nextMessage(ws), { data: Buffer.from([...Buffer.from('echo:'), 0, 1, 2]), binary: true });
    const serverClosed = closed(accepted[0]);
    const clientClosed = closed(ws);
    ws.close(4000, 'bye now');
    assert.deepEqual(await serverClosed, { code: 4000, reason: 'bye now' });
    assert.equal((await clientClosed).code, 4000, 'the server echoes the code');
    assert.equal(ws.readyState, 'closed');
  } finally {
    await srv.close();
  }
});

test('handshake refusals: unknown subprotocol is 403, wrong version 400, the client sees the status', async () => {
  const srv = await upgradeServer((req, socket, head) => {
    try {
      acceptWebSocket(req, socket, head, { protocols: ['v5.channel.k8s.io'] });
    } catch {
      // answered already
    }
  });
  try {
    await assert.rejects(connectWebSocket(`${srv.url}/x`, { protocols: ['nope'] }), (err: UpgradeFailedError) => {
      assert.equal(err.statusCode, 403);
      assert.match(err.body, /requested protocol\(s\) are not supported/);
      return true;
    });
    const oldClient = {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '8',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    };
    await assert.rejects(requestUpgrade(`${srv.url}/x`, { headers: oldClient }), (err: UpgradeFailedError) => {
      assert.equal(err.statusCode, 400);
      assert.match(err.body, /unsupported version/);
      return true;
    });
  } finally {
    await srv.close();
  }
});

test('fragmented messages are reassembled; a ping may come between fragments', async () => {
  const [server, client] = await wsPair({ clientFrame: 1000 });
  const pings: Buffer[] = [];
  server.on('ping', (d) => pings.push(d));
  const big = pattern(10_500);
  const got = nextMessage(server);
  client.send(big);
  assert.deepEqual((await got).data, big);

  // Hand-made: text "ab" + ping + "cd", then a lone continuation (an error).
  const raw = (client as unknown as { socket: Duplex }).socket;
  const pongs: Buffer[] = [];
  client.on('pong', (d) => pongs.push(d));
  const text = nextMessage(server);
  raw.write(encodeFrame(Opcode.Text, Buffer.from('ab'), { fin: false, mask: true }));
  raw.write(encodeFrame(Opcode.Ping, Buffer.from('p1'), { mask: true }));
  raw.write(encodeFrame(Opcode.Continuation, Buffer.from('cd'), { fin: true, mask: true }));
  assert.deepEqual(await text, { data: Buffer.from('abcd'), binary: false });
  assert.deepEqual(pings, [Buffer.from('p1')]);
  await eventually(() => pongs.length === 1, 2000, 'pong');
  assert.deepEqual(pongs[0], Buffer.from('p1'));

  const c = closed(client);
  raw.write(encodeFrame(Opcode.Continuation, Buffer.from('x'), { mask: true }));
  assert.equal((await c).code, CloseCode.ProtocolError);
});

test('protocol errors close with the RFC codes: unmasked client frame, bad UTF-8, too big', async () => {
  {
    const [server, client] = await wsPair();
    const raw = (client as unknown as { socket: Duplex }).socket;
    const c = closed(server);
    raw.write(encodeFrame(Opcode.Text, Buffer.from('hi'), { mask: false }));
    assert.equal((await c).code, CloseCode.ProtocolError);
  }
  {
    const [server, client] = await wsPair();
    const raw = (client as unknown as { socket: Duplex }).socket;
    const c = closed(client);
    raw.write(encodeFrame(Opcode.Text, Buffer.from([0xc3, 0x28]), { mask: true }));
    assert.equal((await c).code, CloseCode.InvalidPayload, 'the server echoes 1007 back');
    await eventually(() => server.readyState === 'closed');
  }
  {
    const [server, client] = await wsPair({ maxPayload: 1024 });
    const c = closed(client);
    client.send(Buffer.alloc(2048));
    assert.equal((await c).code, CloseCode.MessageTooBig);
    await eventually(() => server.readyState === 'closed');
  }
  {
    const [server, client] = await wsPair();
    const raw = (client as unknown as { socket: Duplex }).socket;
    const c = closed(server);
    raw.write(encodeFrame(Opcode.Close, Buffer.from([0x03, 0xed]), { mask: true })); // 1005 may not be sent
    assert.equal((await c).code, CloseCode.ProtocolError);
  }
});

test('a peer that drops the connection without a close frame ends in 1006', async () => {
  const [server, client] = await wsPair();
  const c = closed(server);
  client.terminate();
  assert.equal((await c).code, CloseCode.Abnormal);
});

test('backpressure: pause() holds messages back; send() reports a full buffer and drains', async () => {
  const [server, client] = await wsPair();
  const got: string[] = [];
  server.on('message', (d) => got.push(d.toString()));
  server.pause();
  for (let i = 0; i < 5; i++) client.send(`m${i}`);
  await sleep(50);
  assert.deepEqual(got, []);
  server.resume();
  await eventually(() => got.length === 5);
  assert.deepEqual(got, ['m0', 'm1', 'm2', 'm3', 'm4']);

  // With the reader paused, the writer's buffer fills up.
  server.pause();
  let ok = true;
  let sent = 0;
  while (ok && sent < 4096) {
    ok = client.send(Buffer.alloc(64 * 1024));
    sent++;
  }
  assert.equal(ok, false, 'send() eventually returns false');
  const drained = new Promise<void>((r) => client.once('drain', r));
  server.resume();
  await drained;
  await eventually(() => got.length === 5 + sent, 10_000, 'all messages');
});

test('works over any Duplex, not only a socket', async () => {
  const [a, b] = duplexPair();
  const server = new WebSocket(a, { role: 'server' });
  const client = new WebSocket(b, { role: 'client' });
  open.push(server, client);
  const m = nextMessage(server);
  client.send('over a duplex');
  assert.equal((await m).data.toString(), 'over a duplex');
  const sc = closed(server);
  const cc = closed(client);
  server.close(CloseCode.GoingAway, 'done');
  assert.equal((await cc).code, CloseCode.GoingAway);
  assert.equal((await sc).code, CloseCode.GoingAway);
});

test('webSocketStream carries a byte stream over binary messages', async () => {
  const [server, client] = await wsPair();
  const s = webSocketStream(server);
  const c = webSocketStream(client);
  const data = pattern(300_000);
  const received = readAll(s);
  c.end(data);
  assert.deepEqual(await received, data);
});

test('interop with the ws library in both roles', async (t) => {
  // ws (untyped here) is what @kubernetes/client-node uses; it comes with it.
  let wsLib: any;
  try {
    wsLib = await import('ws' as string);
  } catch {
    t.skip('the ws package is not installed');
    return;
  }
  // ws client -> our server
  const srv = await upgradeServer((req, socket, head) => {
    const ws = acceptWebSocket(req, socket, head, { protocols: ['v5.channel.k8s.io'] });
    ws.on('message', (data, binary) => ws.send(binary ? data : data.toString().toUpperCase()));
  });
  try {
    const peer = new wsLib.WebSocket(`ws://127.0.0.1:${srv.port}/`, ['v4.channel.k8s.io', 'v5.channel.k8s.io']);
    await new Promise((r, j) => {
      peer.once('open', r);
      peer.once('error', j);
    });
    assert.equal(peer.protocol, 'v5.channel.k8s.io');
    const replies: Array<{ data: Buffer; binary: boolean }> = [];
    peer.on('message', (data: Buffer, binary: boolean) => replies.push({ data, binary }));
    peer.send('abc');
    const big = pattern(200_000);
    peer.send(big, { fin: true });
    await eventually(() => replies.length === 2, 5000, 'replies');
    assert.deepEqual(replies[0], { data: Buffer.from('ABC'), binary: false });
    assert.deepEqual(replies[1].data, big);
    const code = new Promise((r) => peer.once('close', (c: number) => r(c)));
    peer.close(1000);
    assert.equal(await code, 1000);
  } finally {
    await srv.close();
  }

  // our client -> ws server, which fragments its messages
  const wss = new wsLib.WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: (set: Set<string>) => [...set][1] });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (peer: any) => {
    peer.on('message', (data: Buffer) => {
      peer.send(data.subarray(0, 3), { fin: false });
      peer.send(data.subarray(3), { fin: true });
      peer.ping(Buffer.from('hb'));
    });
  });
  try {
    const ws = await connectWebSocket(`ws://127.0.0.1:${wss.address().port}/`, { protocols: ['a', 'b'] });
    assert.equal(ws.protocol, 'b');
    const m = nextMessage(ws);
    const ping = new Promise<Buffer>((r) => ws.once('ping', r));
    ws.send(Buffer.from('fragmented'));
    assert.equal((await m).data.toString(), 'fragmented');
    assert.equal((await ping).toString(), 'hb');
    const c = closed(ws);
    ws.close(CloseCode.Normal, 'bye');
    assert.equal((await c).code, CloseCode.Normal);
  } finally {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  }
});
