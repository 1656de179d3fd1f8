// A fake upstream resolver for tests and benchmarks: UDP and TCP on one
// port of 127.0.0.1, answering from a function of the question.

import dgram from 'node:dgram';
import net from 'node:net';
import { CLASS_IN, RCode, RRType, decodeMessage, encodeMessage, getEdns, MIN_UDP_SIZE, type Message, type Question, type ResourceRecord } from './wire.js';

export interface FakeAnswer {
  rcode?: number;
  answers?: ResourceRecord[];
  authorities?: ResourceRecord[];
  /** Do not reply at all (timeouts). */
  drop?: boolean;
  /** Answer FORMERR to queries with EDNS, as resolvers from before RFC 2671 do. */
  noEdns?: boolean;
}

export interface FakeUpstream {
  host: string;
  port: number;
  /** Questions received, with the transport. */
  seen: Array<{ q: Question; transport: 'udp' | 'tcp' }>;
  close(): Promise<void>;
}

export function aRecord(name: string, ip: string, ttl = 60): ResourceRecord {
  return { name, type: ip.includes(':') ? RRType.AAAA : RRType.A, class: CLASS_IN, ttl, data: ip };
}

/** Default behaviour: every name has A 192.0.2.1, names starting `nx` do not exist. */
export function defaultFakeAnswer(q: Question): FakeAnswer {
  if (q.name.toLowerCase().startsWith('nx')) {
    return { rcode: RCode.NXDOMAIN, authorities: [{ name: 'example', type: RRType.SOA, class: CLASS_IN, ttl: 60, data: { mname: 'ns.example', rname: 'h.example', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 10 } }] };
  }
  return { answers: q.type === RRType.A ? [aRecord(q.name, '192.0.2.1')] : [] };
}

export async function startFakeUpstream(answer: (q: Question, transport: 'udp' | 'tcp') => FakeAnswer = defaultFakeAnswer): Promise<FakeUpstream> {
  const seen: FakeUpstream['seen'] = [];
  const reply = (packet: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined => {
    let m: Message;
    try {
      m = decodeMessage(packet);
    } catch {
      return undefined;
    }
    const q = m.questions[0];
    seen.push({ q, transport });
    if (seen.length > 10_000) seen.splice(0, 5_000);
    const a = answer(q, transport);
    if (a.drop) return undefined;
    const edns = getEdns(m);
    if (a.noEdns && edns) return encodeMessage({ header: { ...m.header, qr: true, rcode: RCode.FORMERR }, questions: m.questions, answers: [], authorities: [], additionals: [] });
    return encodeMessage(
      { header: { ...m.header, qr: true, ra: true, rcode: a.rcode ?? 0 }, questions: m.questions, answers: a.answers ?? [], authorities: a.authorities ?? [], additionals: [] },
      { maxSize: transport === 'tcp' ? 65535 : (edns?.udpSize ?? MIN_UDP_SIZE) },
    );
  };
  const tcp = net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const n = buf.readUInt16BE(0);
        const out = reply(buf.subarray(2, 2 + n), 'tcp');
        buf = buf.subarray(2 + n);
        if (out) {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(out.length);
          sock.write(Buffer.concat([len, out]));
        }
      }
    });
    sock.on('error', () => sock.destroy());
  });
  // The UDP port the kernel picks may be taken for TCP: try again with another.
  let udp: dgram.Socket;
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    const u = dgram.createSocket('udp4');
    u.on('message', (msg, r) => {
      const out = reply(msg, 'udp');
      if (out) u.send(out, r.port, r.address);
    });
    await new Promise<void>((res) => u.bind(0, '127.0.0.1', () => res()));
    port = u.address().port;
    try {
      await new Promise<void>((res, rej) => {
        tcp.once('error', rej);
        tcp.listen(port, '127.0.0.1', () => {
          tcp.off('error', rej);
          res();
        });
      });
      udp = u;
      break;
    } catch (e) {
      u.close();
      if (attempt >= 5) throw e;
    }
  }
  const conns = new Set<net.Socket>();
  tcp.on('connection', (s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
  });
  return {
    host: '127.0.0.1',
    port,
    seen,
    async close() {
      for (const c of conns) c.destroy();
      await Promise.all([new Promise<void>((r) => udp!.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}
