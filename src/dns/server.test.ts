// The handler and the UDP/TCP server end to end on 127.0.0.1, with a zone
// over hand-filled caches and a fake upstream; queried with our client and
// with Node's own resolver.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { Resolver } from 'node:dns/promises';
import { ClusterZone } from './zone.js';
import { IndexedClusterView } from './view.js';
import { DnsHandler } from './handler.js';
import { Forwarder, parseResolvConf, parseServerAddress } from './forwarder.js';
import { startDnsServer, type DnsServer } from './server.js';
import { buildQuery, lookup, tcpExchange, UdpDnsClient } from './client.js';
import { startFakeUpstream, aRecord, defaultFakeAnswer, type FakeUpstream } from './testing.js';
import { RCode, RRType, decodeMessage, encodeMessage, reverseName } from './wire.js';

let upstream: FakeUpstream;
let server: DnsServer;
let handler: DnsHandler;
let view: IndexedClusterView;
let addr: { host: string; port: number };
let resolver: Resolver;

before(async () => {
  upstream = await startFakeUpstream((q) => {
    const n = q.name.toLowerCase();
    if (n === 'big.example') {
      return { answers: Array.from({ length: 120 }, (_, i) => aRecord(q.name, `198.51.100.${i}`)) };
    }
    if (n === 'slow.example') return { drop: true };
    if (n === 'old.example') return { ...defaultFakeAnswer(q), noEdns: true };
    if (n === 'tcponly.example') return { answers: Array.from({ length: 300 }, (_, i) => aRecord(q.name, `203.0.113.${i % 256}`)) };
    return defaultFakeAnswer(q);
  });
  view = IndexedClusterView.empty();
  const s = view.stores;
  s.namespaces.set({ metadata: { name: 'default' } });
  s.services.set({ metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
  s.services.set({ metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'www.example' } });
  s.services.set({ metadata: { name: 'many', namespace: 'default' }, spec: { clusterIP: 'None', ports: [{ name: 'x', port: 1 }] } });
  s.endpointSlices.set({
    metadata: { name: 'many-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'many' } },
    addressType: 'IPv4',
    ports: [{ name: 'x', port: 1 }],
    endpoints: Array.from({ length: 100 }, (_, i) => ({ addresses: [`10.244.9.${i}`] })),
  });
  const zone = new ClusterZone(view);
  handler = new DnsHandler(zone, new Forwarder({ upstreams: [{ host: upstream.host, port: upstream.port }], timeoutMs: 300 }));
  server = await startDnsServer(handler, { listen: [{ host: '127.0.0.1', port: 0 }] });
  addr = server.addresses[0];
  resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${addr.port}`]);
});

after(async () => {
  await server?.close();
  handler?.forwarder?.close();
  await upstream?.close();
});

test("Node's resolver: A, SRV, CNAME, PTR, NXDOMAIN and NODATA", async () => {
  assert.deepEqual(await resolver.resolve4('web.default.svc.cluster.local'), ['10.96.0.20']);
  assert.deepEqual(await resolver.resolveSrv('_http._tcp.web.default.svc.cluster.local'), [{ name: 'web.default.svc.cluster.local', port: 80, priority: 0, weight: 100 }]);
  assert.deepEqual(await resolver.resolveCname('ext.default.svc.cluster.local'), ['www.example']);
  assert.deepEqual(await resolver.reverse('10.96.0.20'), ['web.default.svc.cluster.local']);
  await assert.rejects(resolver.resolve4('nope.default.svc.cluster.local'), { code: 'ENOTFOUND' });
  await assert.rejects(resolver.resolve6('web.default.svc.cluster.local'), { code: 'ENODATA' });
});

test('the reply carries AA, the SOA for denials, and echoes EDNS', async () => {
  const ok = await lookup(addr, 'web.default.svc.cluster.local', RRType.A);
  assert.equal(ok.header.aa, true);
  assert.equal(ok.header.ra, true);
  assert.equal(ok.additionals.at(-1)!.type, RRType.OPT);
  const nx = await lookup(addr, 'nope.default.svc.cluster.local', RRType.A, { udpSize: 0 });
  assert.equal(nx.header.rcode, RCode.NXDOMAIN);
  assert.equal(nx.authorities[0].type, RRType.SOA);
  assert.equal(nx.additionals.length, 0);
});

test('out-of-zone names are forwarded and cached; ExternalName targets are chased', async () => {
  const before = upstream.seen.length;
  assert.deepEqual(await resolver.resolve4('www.example'), ['192.0.2.1']);
  assert.deepEqual(await resolver.resolve4('www.example'), ['192.0.2.1']);
  assert.equal(upstream.seen.length, before + 1);
  await assert.rejects(resolver.resolve4('nxname.example'), { code: 'ENOTFOUND' });
  const a = await lookup(addr, 'ext.default.svc.cluster.local', RRType.A);
  assert.deepEqual(a.answers.map((r) => [r.name, r.type, r.data]), [
    ['ext.default.svc.cluster.local', RRType.CNAME, 'www.example'],
    ['www.example', RRType.A, '192.0.2.1'],
  ]);
  assert.deepEqual(await resolver.resolve4('ext.default.svc.cluster.local'), ['192.0.2.1']);
  // PTR for an address the cluster does not know goes upstream.
  const ptr = await lookup(addr, reverseName('192.0.2.7')!, RRType.PTR);
  assert.equal(ptr.header.aa, false);
  assert.equal(upstream.seen.at(-1)!.q.type, RRType.PTR);
});

test('an upstream that refuses EDNS is asked again without it', async () => {
  assert.deepEqual(await resolver.resolve4('old.example'), ['192.0.2.1']);
});

test('a silent upstream gives SERVFAIL after the timeout', async () => {
  const t0 = Date.now();
  const m = await lookup(addr, 'slow.example', RRType.A, { timeoutMs: 3000 });
  assert.equal(m.header.rcode, RCode.SERVFAIL);
  assert.ok(Date.now() - t0 < 2000);
});

test('truncation: 512 bytes without EDNS sets TC, TCP gets everything; upstream TC is retried over TCP', async () => {
  const c = new UdpDnsClient(addr);
  try {
    const small = await c.exchange(buildQuery('many.default.svc.cluster.local', RRType.A, { udpSize: 0 }));
    assert.equal(small.header.tc, true);
    assert.ok(small.answers.length < 100);
    const edns = await c.exchange(buildQuery('many.default.svc.cluster.local', RRType.A, { udpSize: 4096 }));
    assert.equal(edns.header.tc, false);
    assert.equal(edns.answers.length, 100);
  } finally {
    c.close();
  }
  const full = await lookup(addr, 'many.default.svc.cluster.local', RRType.A, { udpSize: 0 }); // UDP, then TCP on TC
  assert.equal(full.answers.length, 100);
  // Node's resolver retries over TCP itself.
  assert.equal((await resolver.resolve4('big.example')).length, 120);
  const tcponly = await lookup(addr, 'tcponly.example', RRType.A, { tcp: true });
  assert.equal(tcponly.answers.length, 300);
  assert.ok(upstream.seen.some((s) => s.q.name === 'tcponly.example' && s.transport === 'tcp'));
});

test('TCP: several queries on one connection, pipelined', async () => {
  const sock = net.connect(addr.port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const names = ['web.default.svc.cluster.local', 'nope.default.svc.cluster.local', 'www.example', 'many.default.svc.cluster.local'];
  const frames = names.map((n, i) => {
    const b = encodeMessage(buildQuery(n, RRType.A, { id: 100 + i }));
    const len = Buffer.alloc(2);
    len.writeUInt16BE(b.length);
    return Buffer.concat([len, b]);
  });
  // Split oddly across writes to exercise the framing.
  const all = Buffer.concat(frames);
  sock.write(all.subarray(0, 3));
  sock.write(all.subarray(3, 40));
  sock.end(all.subarray(40));
  let buf = Buffer.alloc(0);
  for await (const d of sock) buf = Buffer.concat([buf, d as Buffer]);
  const replies = new Map<number, any>();
  while (buf.length >= 2) {
    const n = buf.readUInt16BE(0);
    const m = decodeMessage(buf.subarray(2, 2 + n));
    replies.set(m.header.id, m);
    buf = buf.subarray(2 + n);
  }
  assert.equal(replies.size, 4);
  assert.equal(replies.get(100).answers[0].data, '10.96.0.20');
  assert.equal(replies.get(101).header.rcode, RCode.NXDOMAIN);
  assert.equal(replies.get(102).answers[0].data, '192.0.2.1');
  assert.equal(replies.get(103).answers.length, 100);
});

function rawUdp(packet: Buffer, waitMs = 300): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, waitMs);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m);
    });
    s.send(packet, addr.port, '127.0.0.1');
  });
}

test('malformed packets: FORMERR or silence, and the server keeps answering', async () => {
  assert.equal(await rawUdp(Buffer.from([1, 2, 3])), undefined); // shorter than a header
  const good = encodeMessage(buildQuery('web.default.svc.cluster.local', RRType.A, { id: 0x4242 }));
  const cut = await rawUdp(good.subarray(0, good.length - 3));
  assert.equal(decodeMessage(cut!).header.rcode, RCode.FORMERR);
  assert.equal(decodeMessage(cut!).header.id, 0x4242);
  const response = Buffer.from(good);
  response[2] |= 0x80; // QR set: a response, ignored
  assert.equal(await rawUdp(response), undefined);
  const notify = Buffer.from(good);
  notify[2] = (notify[2] & 0x87) | (4 << 3); // opcode NOTIFY
  assert.equal(decodeMessage((await rawUdp(notify))!).header.rcode, RCode.NOTIMP);
  const twoQuestions = Buffer.from(good);
  twoQuestions.writeUInt16BE(0, 4); // QDCOUNT 0
  assert.equal(decodeMessage((await rawUdp(twoQuestions))!).header.rcode, RCode.FORMERR);
  const badVersion = encodeMessage({ ...buildQuery('web.default.svc.cluster.local', RRType.A), additionals: [{ name: '', type: RRType.OPT, class: 1232, ttl: 1 << 16, data: Buffer.alloc(0) }] });
  assert.equal(decodeMessage((await rawUdp(badVersion))!).header.rcode, RCode.BADVERS);
  let seed = 7;
  for (let i = 0; i < 300; i++) {
    const b = Buffer.from(good);
    for (let f = 0; f < 4; f++) b[(seed = (seed * 48271) % 2147483647) % b.length] = seed & 0xff;
    b[2] &= 0x7f; // keep it a query so most get an answer
    await rawUdp(b, 20);
  }
  // A zero-length TCP frame closes that connection only.
  const sock = net.connect(addr.port, '127.0.0.1');
  sock.write(Buffer.from([0, 0]));
  await new Promise((r) => sock.once('close', r));
  assert.deepEqual(await resolver.resolve4('web.default.svc.cluster.local'), ['10.96.0.20']);
  const tcp = await tcpExchange(addr, buildQuery('web.default.svc.cluster.local', RRType.A));
  assert.equal(tcp.answers[0].data, '10.96.0.20');
});

test('resolv.conf parsing skips loopback nameservers; addresses parse', () => {
  assert.deepEqual(parseResolvConf('# x\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver ::1\nnameserver fe80::1%eth0\nsearch a b\nnameserver bogus\n'), [
    { host: '10.0.0.2', port: 53 },
    { host: 'fe80::1', port: 53 },
  ]);
  assert.deepEqual(parseServerAddress('127.0.0.1:5353'), { host: '127.0.0.1', port: 5353 });
  assert.deepEqual(parseServerAddress('[::1]:5353'), { host: '::1', port: 5353 });
  assert.deepEqual(parseServerAddress('fd00::1'), { host: 'fd00::1', port: 53 });
  assert.deepEqual(parseServerAddress('10.0.0.1'), { host: '10.0.0.1', port: 53 });
});

test('the forwarder cache honours TTLs and the SOA minimum for denials', async () => {
  let now = 1_000_000;
  const f = new Forwarder({ upstreams: [{ host: upstream.host, port: upstream.port }], now: () => now });
  try {
    const q = { name: 'ttl.example', type: RRType.A, class: 1 };
    const n0 = upstream.seen.length;
    await f.resolve(q);
    now += 10_000;
    const cached = await f.resolve(q);
    assert.equal(cached.answers[0].ttl, 20); // 60 capped to 30, minus 10 s
    assert.equal(upstream.seen.length, n0 + 1);
    now += 21_000;
    await f.resolve(q);
    assert.equal(upstream.seen.length, n0 + 2);
    const nxq = { name: 'nxttl.example', type: RRType.A, class: 1 };
    await f.resolve(nxq);
    now += 9_000;
    await f.resolve(nxq);
    assert.equal(upstream.seen.length, n0 + 3);
    now += 2_000; // SOA minimum 10 s
    await f.resolve(nxq);
    assert.equal(upstream.seen.length, n0 + 4);
  } finally {
    f.close();
  }
});

test('a dead upstream is skipped after two failures; the others answer meanwhile', async () => {
  const dead = await startFakeUpstream(() => ({ drop: true }));
  const f = new Forwarder({ upstreams: [{ host: dead.host, port: dead.port }, { host: upstream.host, port: upstream.port }], timeoutMs: 200, cacheSize: 0 });
  try {
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t0 = Date.now();
      const m = await f.resolve({ name: `h${i}.example`, type: RRType.A, class: 1 });
      times.push(Date.now() - t0);
      assert.equal(m.answers[0].data, '192.0.2.1');
    }
    // Round robin starts on the dead one for queries 0 and 2; after that it is tried last.
    assert.ok(times[0] >= 190 && times[2] >= 190, String(times));
    assert.ok(times.slice(3).every((t) => t < 150), String(times));
    assert.equal(dead.seen.length, 2);
  } finally {
    f.close();
    await dead.close();
  }
});
