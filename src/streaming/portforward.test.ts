// Port forwarding: our server with our client over plain SPDY and over the
// SPDY-in-WebSocket tunnel, stream pairing by requestID, errors reported on
// the error stream, stream validation, the pairing timeout, and the
// handshake refusals.

import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { requestUpgrade, UpgradeFailedError } from './http-upgrade.js';
import {
  acceptPortForward,
  connectPortForward,
  PortForwardError,
  WEBSOCKET_TUNNEL_PROTOCOL,
  type AcceptPortForwardOptions,
  type PortForwardConnection,
} from './portforward.js';
import { connectSpdy, RstStatus, StreamClosedError } from './spdy.js';
import { eventually, pattern, readAll, upgradeServer, type UpgradeServer } from './testing.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function echoServer(): Promise<number> {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => server.close(r)));
  return (server.address() as net.AddressInfo).port;
}

/** A port-forward endpoint that sends every connection to `target` (or to the handler). */
async function forwarder(
  onConnection: AcceptPortForwardOptions['onConnection'],
  extra: Partial<AcceptPortForwardOptions> = {},
): Promise<UpgradeServer & { errors: Error[] }> {
  const errors: Error[] = [];
  const srv = await upgradeServer((req, socket, head) => {
    try {
      const pf = acceptPortForward(req, socket, head, { onConnection, ...extra });
      cleanup.push(() => pf.session.destroy());
    } catch (err) {
      errors.push(err as Error);
    }
  });
  cleanup.push(() => srv.close());
  return Object.assign(srv, { errors });
}

function toTCP(target: number, seen: PortForwardConnection[] = []) {
  return (conn: PortForwardConnection) => {
    seen.push(conn);
    const sock = net.connect(target, '127.0.0.1');
    sock.on('error', (err) => conn.reportError(err.message));
    conn.data.pipe(sock);
    sock.pipe(conn.data);
  };
}

for (const transport of ['spdy', 'websocket'] as const) {
  test(`${transport}: concurrent forwarded connections, paired by requestID, carry data both ways`, async () => {
    const target = await echoServer();
    const seen: PortForwardConnection[] = [];
    const srv = await forwarder(toTCP(target, seen));
    const pf = await connectPortForward(`${srv.url}/api/v1/namespaces/default/pods/p/portforward`, { transport });
    cleanup.push(() => pf.session.destroy());
    assert.equal(pf.transport, transport);
    const results = await Promise.all(
      [0, 1, 2, 3, 4].map(async (i) => {
        const data = await pf.open(8080 + i);
        const payload = pattern(150_000 + i, i + 3);
        const back = readAll(data);
        data.end(payload);
        return (await back).equals(payload);
      }),
    );
    assert.deepEqual(results, [true, true, true, true, true]);
    assert.deepEqual(seen.map((c) => c.port).sort(), [8080, 8081, 8082, 8083, 8084]);
    assert.deepEqual(seen.map((c) => c.requestID).sort(), ['0', '1', '2', '3', '4']);
  });

  test(`${transport}: an error on the error stream fails that connection for the client`, async () => {
    const srv = await forwarder(toTCP(1)); // nothing listens on port 1
    const pf = await connectPortForward(`${srv.url}/pf`, { transport });
    cleanup.push(() => pf.session.destroy());
    const data: Duplex = await pf.open(80);
    const err = await new Promise<Error>((r) => data.once('error', r));
    assert.ok(err instanceof PortForwardError);
    assert.match(err.message, /an error occurred forwarding 80: connect ECONNREFUSED/);
  });
}

test('the server ends the error stream once its side of the data stream is done', async () => {
  const srv = await forwarder((conn) => {
    conn.data.resume();
    conn.data.end('bye');
  });
  const { session } = await connectSpdy(`${srv.url}/pf`, { protocols: ['portforward.k8s.io'] });
  cleanup.push(() => session.destroy());
  const h = { streamType: 'error', port: '80', requestID: '9' };
  const errorStream = await session.openStream(h);
  errorStream.end();
  const data = await session.openStream({ ...h, streamType: 'data' });
  const [dataBytes, errorBytes] = await Promise.all([readAll(data), readAll(errorStream)]);
  assert.equal(dataBytes.toString(), 'bye');
  assert.equal(errorBytes.length, 0, 'no error, just end of stream');
});

test('streams without a valid port or type are reset; a lone stream times out with a message', async () => {
  const srv = await forwarder(() => assert.fail('no connection expected'), { streamCreationTimeoutMs: 100 });
  const { session } = await connectSpdy(`${srv.url}/pf`, { protocols: ['portforward.k8s.io'] });
  cleanup.push(() => session.destroy());
  const invalid: Array<Record<string, string>> = [
    { streamType: 'data', requestID: '1' },
    { streamType: 'data', port: '0', requestID: '1' },
    { streamType: 'data', port: '70000', requestID: '1' },
    { streamType: 'bogus', port: '80', requestID: '1' },
  ];
  for (const headers of invalid) {
    // The server replies (the handler ran) and then resets.
    const s = await session.openStream(headers).catch((e: StreamClosedError) => e);
    if (s instanceof Error) {
      assert.equal(s.rstStatus, RstStatus.Cancel);
    } else {
      await eventually(() => s.resetStatus === RstStatus.Cancel, 2000, 'reset');
    }
  }
  const lone = await session.openStream({ streamType: 'error', port: '80', requestID: '2' });
  lone.end();
  assert.match((await readAll(lone)).toString(), /\(request=2\) timed out waiting for streams/);
});

test('handshakes: a WebSocket without the tunnel protocol is 400, SPDY without portforward.k8s.io 403', async () => {
  const srv = await forwarder(() => {});
  await assert.rejects(
    requestUpgrade(`${srv.url}/pf`, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Protocol': 'v4.channel.k8s.io',
      },
    }),
    (err: UpgradeFailedError) => {
      assert.equal(err.statusCode, 400);
      assert.match(err.body, /no tunneling spdy protocols provided/);
      return true;
    },
  );
  await assert.rejects(connectSpdy(`${srv.url}/pf`, { protocols: ['v4.channel.k8s.io'] }), (err: UpgradeFailedError) => err.statusCode === 403);
  // The tunnel protocol itself is what a kubectl 1.31+ client offers.
  assert.equal(WEBSOCKET_TUNNEL_PROTOCOL, 'SPDY/3.1+portforward.k8s.io');
});
