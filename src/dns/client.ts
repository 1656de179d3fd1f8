// A DNS client over UDP (many outstanding queries on one socket, matched by
// ID, source and question) and TCP (RFC 7766 two-byte length framing).
// The forwarder uses it toward upstream resolvers; tests and the benchmark
// use it toward our own server.

import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { CLASS_IN, DnsFormatError, canonicalName, decodeMessage, emptyHeader, encodeMessage, optRecord, type Message, type Question } from './wire.js';

export interface ServerAddress {
  host: string;
  port: number;
}

export class DnsTimeoutError extends Error {
  constructor(what: string) {
    super(`DNS ${what} timed out`);
    this.name = 'DnsTimeoutError';
  }
}

/** A query message for one question (RD set; EDNS with `udpSize` unless 0). */
export function buildQuery(name: string, type: number, opts: { id?: number; udpSize?: number; rd?: boolean; do?: boolean; cd?: boolean } = {}): Message {
  const udpSize = opts.udpSize ?? 1232;
  return {
    header: { ...emptyHeader(opts.id ?? randomInt(0x10000)), rd: opts.rd ?? true, cd: opts.cd ?? false },
    questions: [{ name, type, class: CLASS_IN }],
    answers: [],
    authorities: [],
    additionals: udpSize ? [optRecord(udpSize, { do: opts.do })] : [],
  };
}

function sameQuestion(a: Question | undefined, b: Question | undefined): boolean {
  if (!a || !b) return a === b;
  return a.type === b.type && a.class === b.class && canonicalName(a.name) === canonicalName(b.name);
}

interface Pending {
  question: Question | undefined;
  resolve(m: Message): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * One UDP socket toward one server, with up to 65536 queries in flight.
 * Replies from another address, with an unknown ID or another question
 * are ignored (they may be spoofed or late).
 */
export class UdpDnsClient {
  private socket: dgram.Socket | undefined;
  private bound: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  constructor(
    readonly server: ServerAddress,
    private readonly timeoutMs = 2000,
  ) {}

  private open(): Promise<void> {
    if (this.bound) return this.bound;
    const type = net.isIPv6(this.server.host) ? 'udp6' : 'udp4';
    const s = dgram.createSocket({ type, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    this.socket = s;
    s.on('message', (buf, rinfo) => this.onMessage(buf, rinfo));
    s.on('error', (err) => this.failAll(err));
    this.bound = new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, () => {
        s.off('error', reject);
        resolve();
      });
    });
    return this.bound;
  }

  private onMessage(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    if (rinfo.port !== this.server.port || !sameAddress(rinfo.address, this.server.host)) return;
    if (buf.length < 12) return;
    const p = this.pending.get(buf.readUInt16BE(0));
    if (!p) return;
    let m: Message;
    try {
      m = decodeMessage(buf);
    } catch (e) {
      if (!(e instanceof DnsFormatError)) throw e;
      this.settle(buf.readUInt16BE(0));
      p.reject(e);
      return;
    }
    if (!m.header.qr || !sameQuestion(m.questions[0], p.question)) return;
    this.settle(m.header.id);
    p.resolve(m);
  }

  private settle(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(id);
  }

  private failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      this.settle(id);
      p.reject(err);
    }
  }

  /** Sends the query (its ID is replaced by a free one) and resolves with the reply. */
  async exchange(query: Message, timeoutMs = this.timeoutMs): Promise<Message> {
    if (this.closed) throw new Error('DNS client closed');
    await this.open();
    if (this.pending.size >= 0x10000) throw new Error('too many DNS queries in flight');
    let id = randomInt(0x10000);
    while (this.pending.has(id)) id = (id + 1) & 0xffff;
    const packet = encodeMessage({ ...query, header: { ...query.header, id } });
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new DnsTimeoutError(`query to ${this.server.host}:${this.server.port}`));
      }, timeoutMs);
      this.pending.set(id, { question: query.questions[0], resolve, reject, timer });
      this.socket!.send(packet, this.server.port, this.server.host, (err) => {
        if (!err) return;
        this.settle(id);
        reject(err);
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('DNS client closed'));
    try {
      this.socket?.close();
    } catch {
      // already closed
    }
  }
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const strip = (x: string) => x.replace(/^::ffff:/, '');
  return strip(a) === strip(b) || (b === 'localhost' && (a === '127.0.0.1' || a === '::1'));
}

/** One query over a fresh TCP connection. */
export function tcpExchange(server: ServerAddress, query: Message, timeoutMs = 2000): Promise<Message> {
  const packet = encodeMessage(query);
  return new Promise<Message>((resolve, reject) => {
    const sock = net.connect({ host: server.host, port: server.port });
    let buf = Buffer.alloc(0);
    const done = (err: Error | undefined, m?: Message) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(m!);
    };
    const timer = setTimeout(() => done(new DnsTimeoutError(`TCP query to ${server.host}:${server.port}`)), timeoutMs);
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(packet.length);
      sock.write(Buffer.concat([len, packet]));
    });
    sock.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      if (buf.length < 2) return;
      const n = buf.readUInt16BE(0);
      if (buf.length < 2 + n) return;
      try {
        const m = decodeMessage(buf.subarray(2, 2 + n));
        if (m.header.id !== query.header.id) return done(new Error('TCP reply with another ID'));
        done(undefined, m);
      } catch (e) {
        done(e as Error);
      }
    });
    sock.on('error', (e) => done(e));
    sock.on('close', () => done(new Error(`connection to ${server.host}:${server.port} closed before a reply`)));
  });
}

/** A one-off UDP query; retried over TCP when the reply is truncated. */
export async function lookup(server: ServerAddress, name: string, type: number, opts: { timeoutMs?: number; tcp?: boolean; udpSize?: number } = {}): Promise<Message> {
  const q = buildQuery(name, type, { udpSize: opts.udpSize });
  if (opts.tcp) return tcpExchange(server, q, opts.timeoutMs);
  const c = new UdpDnsClient(server, opts.timeoutMs);
  try {
    const m = await c.exchange(q);
    if (!m.header.tc) return m;
  } finally {
    c.close();
  }
  return tcpExchange(server, q, opts.timeoutMs);
}
