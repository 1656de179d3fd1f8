// DNS over UDP and TCP on each listen address. TCP follows RFC 7766: two-byte
// length framing, several queries per connection answered as they complete
// (possibly out of order), idle connections closed after a while.

import dgram from 'node:dgram';
import net from 'node:net';
import type { ServerAddress } from './client.js';
import type { DnsHandler } from './handler.js';

export interface DnsServerOptions {
  listen: ServerAddress[];
  /** Idle TCP connections are closed after this long (default 10 s). */
  tcpIdleMs?: number;
  /** Queries one TCP connection may have in flight (default 64); reading pauses beyond. */
  tcpMaxInflight?: number;
  /** Open TCP connections per listener (default 1024); more are refused. */
  tcpMaxConnections?: number;
  onError?: (what: string, err: unknown) => void;
}

export interface DnsServer {
  /** The bound addresses (port 0 resolved). */
  addresses: ServerAddress[];
  close(): Promise<void>;
}

export async function startDnsServer(handler: DnsHandler, opts: DnsServerOptions): Promise<DnsServer> {
  const report = opts.onError ?? (() => {});
  const udps: dgram.Socket[] = [];
  const tcps: net.Server[] = [];
  const conns = new Set<net.Socket>();
  const addresses: ServerAddress[] = [];
  const closeAll = async () => {
    for (const c of conns) c.destroy();
    await Promise.all([
      ...udps.map((u) => new Promise<void>((r) => { try { u.close(() => r()); } catch { r(); } })),
      ...tcps.map((t) => new Promise<void>((r) => t.close(() => r()))),
    ]);
  };
  try {
    for (const l of opts.listen) {
      // Port 0: take the UDP port the kernel picks and ask for the same one on TCP; retry if TCP's is taken.
      for (let attempt = 0; ; attempt++) {
        const udp = await bindUdp(handler, l, report);
        const port = udp.address().port;
        try {
          const tcp = await listenTcp(handler, { host: l.host, port }, conns, opts, report);
          udps.push(udp);
          tcps.push(tcp);
          addresses.push({ host: l.host, port });
          break;
        } catch (e) {
          udp.close();
          if (l.port !== 0 || attempt >= 5) throw e;
        }
      }
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  return { addresses, close: closeAll };
}

function bindUdp(handler: DnsHandler, l: ServerAddress, report: (what: string, err: unknown) => void): Promise<dgram.Socket> {
  const sock = dgram.createSocket({ type: net.isIPv6(l.host) ? 'udp6' : 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  sock.on('message', (msg, rinfo) => {
    handler.handle(msg, 'udp').then(
      (out) => {
        if (out) sock.send(out, rinfo.port, rinfo.address, (err) => err && report('sending a UDP reply', err));
      },
      (err) => report('handling a UDP query', err),
    );
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(l.port, l.host, () => {
      sock.off('error', reject);
      sock.on('error', (err) => report('UDP socket', err));
      resolve(sock);
    });
  });
}

function listenTcp(handler: DnsHandler, l: ServerAddress, conns: Set<net.Socket>, opts: DnsServerOptions, report: (what: string, err: unknown) => void): Promise<net.Server> {
  const idleMs = opts.tcpIdleMs ?? 10_000;
  const maxInflight = opts.tcpMaxInflight ?? 64;
  // Half-open: a client may send its last query and FIN at once; the replies still go out.
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    conns.add(sock);
    sock.setNoDelay(true);
    sock.setTimeout(idleMs, () => sock.destroy());
    let buf = Buffer.alloc(0);
    let inflight = 0;
    let ended = false;
    const maybeClose = () => {
      if (ended && inflight === 0) sock.end();
    };
    sock.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (n === 0) {
          sock.destroy();
          return;
        }
        if (buf.length < 2 + n) break;
        const msg = Buffer.from(buf.subarray(2, 2 + n));
        buf = buf.subarray(2 + n);
        inflight++;
        if (inflight >= maxInflight) sock.pause();
        handler.handle(msg, 'tcp').then(
          (out) => {
            if (out && !sock.destroyed) {
              const len = Buffer.alloc(2);
              len.writeUInt16BE(out.length);
              sock.write(Buffer.concat([len, out]));
            } else if (!out) {
              // An unanswerable message on a stream: the framing can no longer be trusted.
              sock.destroy();
            }
          },
          (err) => report('handling a TCP query', err),
        ).finally(() => {
          inflight--;
          if (inflight < maxInflight && sock.isPaused()) sock.resume();
          maybeClose();
        });
      }
    });
    sock.on('end', () => {
      ended = true;
      maybeClose();
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => conns.delete(sock));
  });
  server.maxConnections = opts.tcpMaxConnections ?? 1024;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(l.port, l.host, () => {
      server.off('error', reject);
      server.on('error', (err) => report('TCP listener', err));
      resolve(server);
    });
  });
}
