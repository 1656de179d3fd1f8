// Helpers for the streaming tests: connected socket pairs, an HTTP server
// whose upgrades go to a handler, and small stream utilities.

import http from 'node:http';
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import { Duplex, type Readable } from 'node:stream';

/** Two connected TCP sockets on loopback. */
export async function tcpPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', r));
  const serverSide = await accepted;
  server.close();
  return [client, serverSide];
}

/**
 * Two in-memory Duplexes wired to each other (no net.Socket underneath), to
 * show the protocols only need a Duplex.
 */
export function duplexPair(): [Duplex, Duplex] {
  let a!: Duplex;
  let b!: Duplex;
  const make = (peer: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        const p = peer();
        if (!p.destroyed) p.push(chunk);
        cb();
      },
      final(cb) {
        peer().push(null);
        cb();
      },
      destroy(err, cb) {
        const p = peer();
        if (!p.destroyed) p.push(null);
        cb(err);
      },
    });
  a = make(() => b);
  b = make(() => a);
  return [a, b];
}

export interface UpgradeServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** An HTTP server that hands every upgrade request to the handler. */
export async function upgradeServer(
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void,
  onRequest: http.RequestListener = (_req, res) => {
    res.statusCode = 404;
    res.end();
  },
): Promise<UpgradeServer> {
  const server = http.createServer(onRequest);
  const sockets = new Set<Duplex>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    onUpgrade(req, socket, head);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Everything a readable produces until it ends. */
export function readAll(r: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer | string) => chunks.push(Buffer.from(c)));
    r.once('end', () => resolve(Buffer.concat(chunks)));
    r.once('error', reject);
  });
}

/** Resolves with the first `n` bytes a readable produces (leaves it flowing). */
export function readBytes(r: Readable, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= n) {
        r.off('data', onData);
        r.pause();
        resolve(Buffer.concat(chunks));
      }
    };
    r.on('data', onData);
    r.once('error', reject);
    r.once('end', () => (got < n ? reject(new Error(`stream ended after ${got} of ${n} bytes`)) : undefined));
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until the condition holds or the time runs out. */
export async function eventually(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Deterministic bytes of a given length. */
export function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}
