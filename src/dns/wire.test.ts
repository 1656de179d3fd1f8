import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RRType,
  RCode,
  CLASS_IN,
  DnsFormatError,
  decodeMessage,
  decodeHeader,
  encodeMessage,
  emptyHeader,
  getEdns,
  optRecord,
  nameToLabels,
  ipv6ToBytes,
  ipv6ToString,
  reverseName,
  addressFromReverse,
  canonicalIP,
  type Message,
  type ResourceRecord,
} from './wire.js';

function msg(partial: Partial<Message> = {}): Message {
  return { header: { ...emptyHeader(0x1234), qr: true, aa: true, rd: true }, questions: [], answers: [], authorities: [], additionals: [], ...partial };
}

const rr = (name: string, type: number, data: any, ttl = 5): ResourceRecord => ({ name, type, class: CLASS_IN, ttl, data });

test('a query round-trips: header bits, question', () => {
  const m: Message = { header: { ...emptyHeader(7), rd: true, cd: true, opcode: 0 }, questions: [{ name: 'web.default.svc.cluster.local', type: RRType.A, class: CLASS_IN }], answers: [], authorities: [], additionals: [] };
  const b = encodeMessage(m);
  assert.equal(b.length, 12 + 1 + 'web.default.svc.cluster.local'.length + 1 + 4);
  const d = decodeMessage(b);
  assert.deepEqual(d, m);
});

test('every supported record type round-trips', () => {
  const records: ResourceRecord[] = [
    rr('a.example', RRType.A, '10.0.0.1'),
    rr('a.example', RRType.AAAA, 'fd00::1'),
    rr('c.example', RRType.CNAME, 'a.example'),
    rr('1.0.0.10.in-addr.arpa', RRType.PTR, 'a.example'),
    rr('_http._tcp.a.example', RRType.SRV, { priority: 0, weight: 100, port: 80, target: 'a.example' }),
    rr('t.example', RRType.TXT, ['1.1.0', '', 'x y']),
    rr('example', RRType.MX, { preference: 10, exchange: 'mail.example' }),
    rr('example', RRType.NS, 'ns.example'),
    rr('x.example', 99, Buffer.from([1, 2, 3])),
  ];
  const soa = rr('cluster.local', RRType.SOA, { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 1700000000, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 });
  const m = msg({ questions: [{ name: 'a.example', type: RRType.A, class: CLASS_IN }], answers: records, authorities: [soa], additionals: [optRecord(1232, { do: true })] });
  const d = decodeMessage(encodeMessage(m));
  assert.deepEqual(d.answers, records);
  assert.deepEqual(d.authorities, [soa]);
  assert.equal(d.additionals[0].type, RRType.OPT);
  assert.deepEqual(getEdns(d), { udpSize: 1232, version: 0, do: true, options: Buffer.alloc(0) });
});

test('names are compressed when written and followed when read', () => {
  const name = 'web.default.svc.cluster.local';
  const answers = Array.from({ length: 10 }, (_, i) => rr(name, RRType.A, `10.0.0.${i}`));
  const b = encodeMessage(msg({ questions: [{ name, type: RRType.A, class: CLASS_IN }], answers }));
  // Each answer's owner is a 2-byte pointer to the question name.
  const qlen = name.length + 2;
  assert.equal(b.length, 12 + qlen + 4 + 10 * (2 + 10 + 4));
  assert.deepEqual(decodeMessage(b).answers, answers);
  // Suffixes are shared too, case-insensitively; the original case is kept where written.
  const b2 = encodeMessage(msg({ answers: [rr('A.Cluster.Local', RRType.CNAME, 'b.cluster.local')] }));
  // The suffix is a pointer into the owner name, so it reads back in the owner's case (names compare case-insensitively).
  assert.equal(decodeMessage(b2).answers[0].data, 'b.Cluster.Local');
  assert.equal(decodeMessage(b2).answers[0].name, 'A.Cluster.Local');
  assert.ok(b2.length < 12 + 17 + 10 + 17);
});

test('SRV targets are not compressed (RFC 2782) but compressed ones are read', () => {
  const name = 'web.default.svc.cluster.local';
  const b = encodeMessage(msg({ answers: [rr('_http._tcp.' + name, RRType.SRV, { priority: 0, weight: 100, port: 80, target: name })] }));
  assert.ok(b.includes(Buffer.from('\x03web\x07default')));
  // Hand-made: target as a pointer to the owner's "web..." suffix.
  const owner = Buffer.from('\x03web\x07cluster\x05local\x00', 'latin1');
  const pkt = Buffer.concat([Buffer.from([0, 1, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0]), owner, Buffer.from([0, 33, 0, 1, 0, 0, 0, 5, 0, 8, 0, 0, 0, 1, 0, 80, 0xc0, 12])]);
  const d = decodeMessage(pkt);
  assert.deepEqual(d.answers[0].data, { priority: 0, weight: 1, port: 80, target: 'web.cluster.local' });
});

test('labels with dots, backslashes and binary bytes survive', () => {
  const name = 'a\\.b.c\\\\d.\\000\\255x.example';
  const labels = nameToLabels(name);
  assert.deepEqual(labels.map((l) => [...l]), [[0x61, 0x2e, 0x62], [0x63, 0x5c, 0x64], [0, 255, 0x78], [...Buffer.from('example')]]);
  const d = decodeMessage(encodeMessage(msg({ questions: [{ name, type: RRType.A, class: CLASS_IN }] })));
  assert.equal(d.questions[0].name, name);
  assert.deepEqual(nameToLabels('example.'), nameToLabels('example'));
  assert.deepEqual(nameToLabels('.'), []);
});

test('names that are too long or have empty labels are refused when encoding', () => {
  assert.throws(() => nameToLabels('a'.repeat(64) + '.x'), DnsFormatError);
  assert.throws(() => nameToLabels(Array(130).fill('a').join('.')), DnsFormatError);
  assert.throws(() => nameToLabels('a..b'), DnsFormatError);
  assert.throws(() => nameToLabels('a\\'), DnsFormatError);
  assert.throws(() => nameToLabels('\\999'), DnsFormatError);
});

test('extended rcode BADVERS goes into the OPT record and comes back', () => {
  const m = msg({ additionals: [optRecord(4096)] });
  m.header.rcode = RCode.BADVERS;
  const b = encodeMessage(m);
  assert.equal(b[3] & 0xf, 0);
  assert.equal(decodeMessage(b).header.rcode, RCode.BADVERS);
});

test('UDP truncation keeps the answers that fit, drops the rest and sets TC; OPT survives', () => {
  const name = 'big.default.svc.cluster.local';
  const answers = Array.from({ length: 100 }, (_, i) => rr(name, RRType.A, `10.0.${i >> 8}.${i & 255}`));
  const soa = rr('cluster.local', RRType.SOA, { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 });
  const m = msg({ questions: [{ name, type: RRType.A, class: CLASS_IN }], answers, authorities: [soa], additionals: [optRecord(512)] });
  const b = encodeMessage(m, { maxSize: 512 });
  assert.ok(b.length <= 512);
  const d = decodeMessage(b);
  assert.equal(d.header.tc, true);
  assert.ok(d.answers.length > 20 && d.answers.length < 100);
  assert.equal(d.authorities.length, 0);
  assert.equal(d.additionals.length, 1);
  assert.equal(d.additionals[0].type, RRType.OPT);
  // Without a limit everything is there and TC is clear.
  const full = decodeMessage(encodeMessage(m));
  assert.equal(full.header.tc, false);
  assert.equal(full.answers.length, 100);
  // Dropping only additional records does not set TC.
  const onlyExtra = msg({ answers: [answers[0]], additionals: answers.slice(1) });
  const d2 = decodeMessage(encodeMessage(onlyExtra, { maxSize: 100 }));
  assert.equal(d2.header.tc, false);
  assert.equal(d2.answers.length, 1);
});

test('compression entries of a rolled-back record are not reused', () => {
  // The record that does not fit introduces a new name; a later pointer to it would be garbage.
  const m = msg({ answers: [rr('a.example', RRType.A, '1.1.1.1'), rr('zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz.example', RRType.A, '1.1.1.2')] });
  const b = encodeMessage(m, { maxSize: 60 });
  const d = decodeMessage(b);
  assert.equal(d.answers.length, 1);
});

test('IPv6 text and bytes', () => {
  assert.equal(ipv6ToString(ipv6ToBytes('fd00:0:0:0:0:0:0:1')!), 'fd00::1');
  assert.equal(ipv6ToString(ipv6ToBytes('::')!), '::');
  assert.equal(ipv6ToString(ipv6ToBytes('1:0:0:2:0:0:0:3')!), '1:0:0:2::3');
  assert.equal(ipv6ToString(ipv6ToBytes('::ffff:10.1.2.3')!), '::ffff:a01:203');
  assert.equal(ipv6ToBytes('1::2::3'), undefined);
  assert.equal(ipv6ToBytes('10.0.0.1'), undefined);
  assert.equal(ipv6ToBytes('1:2:3:4:5:6:7:8:9'), undefined);
  assert.equal(canonicalIP('FD00:0::1'), 'fd00::1');
});

test('reverse names both ways', () => {
  assert.equal(reverseName('10.96.0.10'), '10.0.96.10.in-addr.arpa');
  assert.equal(addressFromReverse('10.0.96.10.IN-ADDR.ARPA.'), '10.96.0.10');
  assert.equal(addressFromReverse('0.96.10.in-addr.arpa'), undefined);
  assert.equal(addressFromReverse('300.0.96.10.in-addr.arpa'), undefined);
  const r6 = reverseName('fd00::1')!;
  assert.ok(r6.startsWith('1.0.0.0.') && r6.endsWith('.d.f.ip6.arpa'));
  assert.equal(addressFromReverse(r6), 'fd00::1');
});

// ---------------------------------------------------------------- malformed input

function query(name = 'x.example', type: number = RRType.A): Buffer {
  return encodeMessage({ header: { ...emptyHeader(9), rd: true }, questions: [{ name, type, class: CLASS_IN }], answers: [], authorities: [], additionals: [] });
}

test('truncated packets fail with DnsFormatError at every length', () => {
  const good = encodeMessage(msg({ questions: [{ name: 'a.example', type: RRType.A, class: CLASS_IN }], answers: [rr('a.example', RRType.SRV, { priority: 1, weight: 2, port: 3, target: 'b.example' })], additionals: [optRecord(1232)] }));
  decodeMessage(good);
  for (let n = 0; n < good.length; n++) assert.throws(() => decodeMessage(good.subarray(0, n)), DnsFormatError, `length ${n}`);
  assert.equal(decodeHeader(good.subarray(0, 11)), undefined);
  assert.equal(decodeHeader(good)!.id, 0x1234);
});

test('compression loops, forward pointers and bad label types are refused', () => {
  const head = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  // Pointer to itself.
  assert.throws(() => decodeMessage(Buffer.concat([head, Buffer.from([0xc0, 12, 0, 1, 0, 1])])), /backwards/);
  // Two pointers forming a loop: 12 -> 14 -> 12.
  assert.throws(() => decodeMessage(Buffer.concat([head, Buffer.from([0xc0, 14, 0xc0, 12, 0, 1, 0, 1])])), DnsFormatError);
  // Pointer past the end.
  assert.throws(() => decodeMessage(Buffer.concat([head, Buffer.from([0xc0, 0xff, 0, 1, 0, 1])])), DnsFormatError);
  // 0x40 / 0x80 label types (EDNS0 extended labels) are not supported.
  assert.throws(() => decodeMessage(Buffer.concat([head, Buffer.from([0x41, 0, 0, 1, 0, 1])])), /label type/);
  // A name longer than 255 bytes built from many labels.
  const long = Buffer.concat([...Array(130).fill(Buffer.from([1, 0x61])), Buffer.from([0, 0, 1, 0, 1])]);
  assert.throws(() => decodeMessage(Buffer.concat([head, long])), /255/);
});

test('wrong record lengths, trailing bytes and overlong TXT strings are refused', () => {
  const q = query();
  assert.throws(() => decodeMessage(Buffer.concat([q, Buffer.from([0])])), /after the last record/);
  const withAnswer = (rdata: number[], type: number = RRType.A) => {
    const b = Buffer.concat([q, Buffer.from([0xc0, 12, 0, type, 0, 1, 0, 0, 0, 5, 0, rdata.length, ...rdata])]);
    b.writeUInt16BE(1, 6);
    return b;
  };
  assert.equal(decodeMessage(withAnswer([1, 2, 3, 4])).answers[0].data, '1.2.3.4');
  assert.throws(() => decodeMessage(withAnswer([1, 2, 3])), /A record data/);
  assert.throws(() => decodeMessage(withAnswer([1, 2, 3, 4], RRType.AAAA)), /AAAA/);
  assert.throws(() => decodeMessage(withAnswer([5, 0x61], RRType.TXT)), /TXT/);
  // CNAME whose name is shorter than its rdlength says.
  assert.throws(() => decodeMessage(withAnswer([1, 0x61, 0, 0], RRType.CNAME)), /length says/);
});

test('random garbage never throws anything but DnsFormatError', () => {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const base = encodeMessage(msg({ questions: [{ name: 'a.b.example', type: RRType.SRV, class: CLASS_IN }], answers: [rr('a.b.example', RRType.SRV, { priority: 1, weight: 2, port: 3, target: 'c.b.example' }), rr('a.b.example', RRType.SOA, { mname: 'a', rname: 'b', serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 })] }));
  for (let i = 0; i < 5000; i++) {
    const b = Buffer.from(i % 2 ? base : Buffer.alloc(Math.floor(rnd() * 80)));
    const flips = 1 + Math.floor(rnd() * 6);
    for (let f = 0; f < flips && b.length; f++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    try {
      const d = decodeMessage(b);
      encodeMessage(d); // whatever decodes must encode again
    } catch (e) {
      if (!(e instanceof DnsFormatError)) throw e;
    }
  }
});
