// Cluster DNS benchmark: queries/s and p50/p99 latency under sustained UDP
// load (one load process, 64 queries outstanding by default) for cluster names and
// for forwarded names (cached and not) against a local fake upstream.
// The DNS server and the fake upstream each run in their own process, so
// the figures are the server's, not the load generator's.
//
//   npm run build && node dist/bench/dns.js [--seconds 5] [--window 256] [--services 1000]

import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ClusterZone } from '../src/dns/zone.js';
import { IndexedClusterView } from '../src/dns/view.js';
import { DnsHandler } from '../src/dns/handler.js';
import { Forwarder } from '../src/dns/forwarder.js';
import { startDnsServer } from '../src/dns/server.js';
import { buildQuery } from '../src/dns/client.js';
import { startFakeUpstream } from '../src/dns/testing.js';
import { RRType, encodeMessage } from '../src/dns/wire.js';

const args = process.argv.slice(2);
const arg = (name: string, def: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const SECONDS = arg('--seconds', 5);
const WINDOW = arg('--window', 64);
const SERVICES = arg('--services', 1000);
const role = args.includes('--role') ? args[args.indexOf('--role') + 1] : 'main';

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function pct(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// ---------------------------------------------------------------- child roles

async function serveUpstream(): Promise<void> {
  const up = await startFakeUpstream();
  process.stdout.write(`${up.port}\n`);
}

async function serveDns(upstreamPort: number): Promise<void> {
  const view = IndexedClusterView.empty();
  const s = view.stores;
  for (let n = 0; n < 10; n++) s.namespaces.set({ metadata: { name: `ns${n}` } });
  for (let i = 0; i < SERVICES; i++) {
    const ns = `ns${i % 10}`;
    s.services.set({ metadata: { name: `svc${i}`, namespace: ns }, spec: { clusterIP: `10.96.${i >> 8}.${i & 255}`, clusterIPs: [`10.96.${i >> 8}.${i & 255}`], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
    s.endpointSlices.set({
      metadata: { name: `svc${i}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': `svc${i}` } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080 }],
      endpoints: Array.from({ length: 3 }, (_, k) => ({ addresses: [`10.244.${i >> 8}.${(i * 3 + k) & 255}`], conditions: { ready: true } })),
    });
  }
  for (let i = 0; i < 10; i++) {
    s.services.set({ metadata: { name: `headless${i}`, namespace: 'ns0' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] } });
    s.endpointSlices.set({
      metadata: { name: `headless${i}-x`, namespace: 'ns0', labels: { 'kubernetes.io/service-name': `headless${i}` } },
      addressType: 'IPv4',
      ports: [{ name: 'pg', port: 5432 }],
      endpoints: Array.from({ length: 10 }, (_, k) => ({ addresses: [`10.245.${i}.${k}`], hostname: `pod-${k}`, conditions: { ready: true } })),
    });
  }
  const handler = new DnsHandler(new ClusterZone(view), new Forwarder({ upstreams: [{ host: '127.0.0.1', port: upstreamPort }] }));
  const server = await startDnsServer(handler, { listen: [{ host: '127.0.0.1', port: 0 }] });
  process.stdout.write(`${server.addresses[0].port}\n`);
}

// ---------------------------------------------------------------- load

function startChild(extra: string[]): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /^(\d+)\n/.exec(out);
      if (m) resolve({ proc, port: Number(m[1]) });
    });
    proc.once('exit', (c) => reject(new Error(`child exited with ${c}`)));
  });
}

interface Result {
  qps: number;
  p50: number;
  p99: number;
  sent: number;
  lost: number;
  rcodes: Map<number, number>;
}

/** Keeps WINDOW queries outstanding for SECONDS; packet(i) gives the i-th query (its ID is overwritten). */
async function load(port: number, packet: (i: number) => Buffer, window = WINDOW): Promise<Result> {
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const started = new Float64Array(65536);
  const live = new Uint8Array(65536);
  const lat: number[] = [];
  const rcodes = new Map<number, number>();
  let nextId = 0;
  let i = 0;
  let sent = 0;
  let outstanding = 0;
  let stopAt = 0;
  let lastReply = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  const send = () => {
    while (outstanding < window && performance.now() < stopAt) {
      let id = nextId;
      while (live[id]) id = (id + 1) & 0xffff;
      nextId = (id + 1) & 0xffff;
      // A copy: a packet still queued in libuv must keep its own ID.
      const p = Buffer.from(packet(i++));
      p.writeUInt16BE(id, 0);
      live[id] = 1;
      started[id] = performance.now();
      outstanding++;
      sent++;
      sock.send(p, port, '127.0.0.1');
    }
    if (outstanding === 0 && performance.now() >= stopAt) done();
  };
  sock.on('message', (m) => {
    const id = m.readUInt16BE(0);
    if (!live[id]) return;
    live[id] = 0;
    outstanding--;
    lastReply = performance.now();
    lat.push(lastReply - started[id]);
    const rc = m[3] & 0xf;
    rcodes.set(rc, (rcodes.get(rc) ?? 0) + 1);
    send();
  });
  const t0 = performance.now();
  stopAt = t0 + SECONDS * 1000;
  send();
  // Lost packets would leave the window short: refill and expire stragglers every 100 ms.
  const sweep = setInterval(() => {
    const now = performance.now();
    for (let id = 0; id < 65536; id++) {
      if (live[id] && now - started[id] > 2000) {
        live[id] = 0;
        outstanding--;
      }
    }
    send();
  }, 100);
  await finished;
  const elapsed = (lastReply - t0) / 1000;
  clearInterval(sweep);
  sock.close();
  const sorted = Float64Array.from(lat).sort();
  return { qps: lat.length / elapsed, p50: pct(sorted, 50), p99: pct(sorted, 99), sent, lost: sent - lat.length, rcodes };
}

function row(label: string, r: Result): void {
  const rc = [...r.rcodes].map(([k, v]) => `${['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN'][k] ?? k}:${v}`).join(' ');
  console.log(`${label.padEnd(40)} ${String(Math.round(r.qps)).padStart(7)} q/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(7)} ms   lost ${r.lost}   ${rc}`);
}

async function main(): Promise<void> {
  const upstream = await startChild(['--role', 'upstream']);
  const server = await startChild(['--role', 'server', '--upstream-port', String(upstream.port)]);
  const q = (name: string, type: number = RRType.A) => encodeMessage(buildQuery(name, type, { id: 0 }));
  const svcPackets = Array.from({ length: SERVICES }, (_, i) => q(`svc${i}.ns${i % 10}.svc.cluster.local`));
  const headlessPackets = Array.from({ length: 10 }, (_, i) => q(`headless${i}.ns0.svc.cluster.local`));
  const srvPackets = Array.from({ length: SERVICES }, (_, i) => q(`_http._tcp.svc${i}.ns${i % 10}.svc.cluster.local`, RRType.SRV));
  const nxPackets = Array.from({ length: 100 }, (_, i) => q(`missing${i}.ns1.svc.cluster.local`));
  const cachedPackets = Array.from({ length: 100 }, (_, i) => q(`host${i}.example.test`));
  let unique = 0;
  console.log(`kts cluster DNS benchmark (${SERVICES} services, ${WINDOW} queries outstanding, ${SECONDS} s per row, UDP on loopback, node ${process.version})`);
  row('cluster A, 1 outstanding (latency)', await load(server.port, (i) => svcPackets[i % svcPackets.length], 1));
  row('cluster A (ClusterIP services)', await load(server.port, (i) => svcPackets[i % svcPackets.length]));
  row('cluster A (headless, 10 endpoints)', await load(server.port, (i) => headlessPackets[i % headlessPackets.length]));
  row('cluster SRV (named port)', await load(server.port, (i) => srvPackets[i % srvPackets.length]));
  row('cluster NXDOMAIN', await load(server.port, (i) => nxPackets[i % nxPackets.length]));
  row('forwarded, cached (100 names)', await load(server.port, (i) => cachedPackets[i % cachedPackets.length]));
  row('forwarded, 1 outstanding (latency)', await load(server.port, (i) => cachedPackets[i % cachedPackets.length], 1));
  row('forwarded, every name new (upstream)', await load(server.port, () => q(`u${unique++}.example.test`)));
  console.log(`DNS server RSS after load: ${rssMB(server.proc.pid!).toFixed(1)} MB`);
  server.proc.kill();
  upstream.proc.kill();
}

if (role === 'upstream') void serveUpstream();
else if (role === 'server') void serveDns(arg('--upstream-port', 53));
else
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
