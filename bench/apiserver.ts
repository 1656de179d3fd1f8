// API server benchmark: cold start to /readyz, idle RSS, create/get/list
// throughput and latency at 1 and 50 concurrent clients, and watch fan-out
// to 100 watchers. Starts a real `kts server` process on loopback.
//
//   npm run build && node dist/bench/apiserver.js [--storage sqlite|memory] [--ops N]

import { spawn, type ChildProcess } from 'node:child_process';
import http2 from 'node:http2';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';

const REPO = resolve(new URL('.', import.meta.url).pathname, '../..');
const MAIN = join(REPO, 'dist/src/cli/main.js');
const args = process.argv.slice(2);
const storage = args.includes('--storage') ? args[args.indexOf('--storage') + 1] : 'sqlite';
const OPS = args.includes('--ops') ? Number(args[args.indexOf('--ops') + 1]) : 2000;

interface Server {
  proc: ChildProcess;
  url: string;
  startMs: number;
  dataDir: string;
}

async function startServer(dataDir: string): Promise<Server> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [MAIN, 'server', '--data-dir', dataDir, '--port', '0', '--bind-address', '127.0.0.1', '--storage', storage, '--config', '/dev/null', '--disable', 'agent'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const url = await new Promise<string>((res, rej) => {
    proc.stderr!.on('data', (d) => {
      err += d;
      const m = /API server ready at (https:\/\/\S+)/.exec(err);
      if (m) res(m[1]);
    });
    proc.once('exit', (c) => rej(new Error(`server exited ${c}: ${err}`)));
  });
  // Ready means /readyz answers ok over HTTPS.
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      https
        .get(`${url}/readyz`, { rejectUnauthorized: false }, (r) => {
          r.resume();
          res(r.statusCode === 200);
        })
        .on('error', () => res(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  return { proc, url, startMs: performance.now() - t0, dataDir };
}

async function stopServer(s: Server): Promise<void> {
  s.proc.kill('SIGTERM');
  await new Promise((r) => s.proc.once('exit', r));
}

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Creds {
  ca: string;
  cert: string;
  key: string;
}

function credsFrom(kubeconfigPath: string): Creds {
  const kc = YAML.parse(readFileSync(kubeconfigPath, 'utf8'));
  const b = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  return {
    ca: b(kc.clusters[0].cluster['certificate-authority-data']),
    cert: b(kc.users[0].user['client-certificate-data']),
    key: b(kc.users[0].user['client-key-data']),
  };
}

class Client {
  private session: http2.ClientHttp2Session;
  constructor(url: string, creds: Creds) {
    this.session = http2.connect(url, { ca: creds.ca, cert: creds.cert, key: creds.key });
    this.session.on('error', () => {});
  }
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    return new Promise((res, rej) => {
      const req = this.session.request({ ':method': method, ':path': path, 'content-type': 'application/json', accept: 'application/json' });
      let data = '';
      let status = 0;
      req.on('response', (h) => (status = Number(h[':status'])));
      req.setEncoding('utf8');
      req.on('data', (d) => (data += d));
      req.on('end', () => res({ status, body: data }));
      req.on('error', rej);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }
  stream(path: string, onLine: (line: string) => void): () => void {
    const req = this.session.request({ ':method': 'GET', ':path': path, accept: 'application/json' });
    req.setEncoding('utf8');
    let buf = '';
    req.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    req.on('error', () => {});
    return () => req.close();
  }
  close(): void {
    this.session.close();
  }
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(label: string, clients: Client[], total: number, op: (c: Client, i: number) => Promise<void>): Promise<void> {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const s = performance.now();
        await op(c, i);
        lat.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(28)} ${String(Math.round(total / secs)).padStart(7)} ops/s   p50 ${pct(lat, 50).toFixed(2).padStart(6)} ms   p99 ${pct(lat, 99).toFixed(2).padStart(7)} ms`,
  );
}

async function main(): Promise<void> {
  console.log(`kts API server benchmark (storage: ${storage}, ${OPS} ops per row, node ${process.version})`);
  const dataDir = mkdtempSync(join(tmpdir(), 'kts-bench-'));
  try {
    const first = await startServer(dataDir);
    console.log(`cold start to /readyz (first start, new CA):  ${first.startMs.toFixed(0)} ms`);
    await stopServer(first);
    const s = await startServer(dataDir);
    console.log(`cold start to /readyz (restart):              ${s.startMs.toFixed(0)} ms   (target: well under 1000 ms; upstream apiserver+etcd: several seconds)`);
    await new Promise((r) => setTimeout(r, 2000));
    console.log(`idle RSS:                                     ${rssMB(s.proc.pid!).toFixed(1)} MB   (target: under 100 MB; upstream: hundreds of MB)`);

    const creds = credsFrom(join(dataDir, 'admin.kubeconfig'));
    const setup = new Client(s.url, creds);
    await setup.request('POST', '/api/v1/namespaces', { metadata: { name: 'bench' } });
    const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { bench: 'yes' } }, data: { key: 'x'.repeat(200) } });

    for (const n of [1, 50]) {
      const clients = Array.from({ length: n }, () => new Client(s.url, creds));
      await measure(`create (${n} client${n > 1 ? 's' : ''})`, clients, OPS, async (c, i) => {
        const r = await c.request('POST', '/api/v1/namespaces/bench/configmaps', cm(`c${n}-${i}`));
        if (r.status !== 201) throw new Error(`create: ${r.status} ${r.body}`);
      });
      await measure(`get (${n} client${n > 1 ? 's' : ''})`, clients, OPS, async (c, i) => {
        const r = await c.request('GET', `/api/v1/namespaces/bench/configmaps/c${n}-${i % OPS}`);
        if (r.status !== 200) throw new Error(`get: ${r.status}`);
      });
      await measure(`list 100 items (${n} client${n > 1 ? 's' : ''})`, clients, Math.max(200, OPS / 10), async (c) => {
        const r = await c.request('GET', `/api/v1/namespaces/bench/configmaps?limit=100`);
        if (r.status !== 200) throw new Error(`list: ${r.status}`);
      });
      for (const c of clients) c.close();
    }

    // Watch fan-out: 100 watchers, then a burst of writes.
    const WATCHERS = 100;
    const EVENTS = 500;
    await setup.request('POST', '/api/v1/namespaces', { metadata: { name: 'fanout' } });
    const list = JSON.parse((await setup.request('GET', '/api/v1/namespaces/fanout/configmaps')).body);
    const rv = list.metadata.resourceVersion;
    const watchClients = Array.from({ length: 10 }, () => new Client(s.url, creds));
    let delivered = 0;
    let done: () => void;
    const allDone = new Promise<void>((r) => (done = r));
    const stops: Array<() => void> = [];
    for (let i = 0; i < WATCHERS; i++) {
      stops.push(
        watchClients[i % watchClients.length].stream(`/api/v1/namespaces/fanout/configmaps?watch=true&resourceVersion=${rv}`, () => {
          if (++delivered === WATCHERS * EVENTS) done();
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    const writers = Array.from({ length: 10 }, () => new Client(s.url, creds));
    let k = 0;
    await Promise.all(
      writers.map(async (w) => {
        while (k < EVENTS) {
          const i = k++;
          await w.request('POST', '/api/v1/namespaces/fanout/configmaps', cm(`f-${i}`));
        }
      }),
    );
    await allDone;
    const secs = (performance.now() - t0) / 1000;
    console.log(`watch fan-out (${WATCHERS} watchers, ${EVENTS} writes): ${Math.round(delivered / secs)} events/s delivered, all delivered in ${(secs * 1000).toFixed(0)} ms`);
    for (const st of stops) st();
    for (const c of [...watchClients, ...writers, setup]) c.close();
    console.log(`RSS after load:                               ${rssMB(s.proc.pid!).toFixed(1)} MB`);
    await stopServer(s);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
