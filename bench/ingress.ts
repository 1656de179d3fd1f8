// Ingress controller benchmark: requests/s and p50/p99 latency of small GETs
// with keep-alive (64 concurrent by default) through the ingress and straight
// to the backend. The backend and the ingress each run in their own process;
// the ingress reads its objects from a static in-memory ApiClient, so no API
// server is involved.
//
//   npm run build && node dist/bench/ingress.js [--seconds 5] [--concurrency 64]

import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ApiClient, WatchHandle } from '../src/client/types.js';
import { startIngressController } from '../src/ingress/index.js';

const args = process.argv.slice(2);
const arg = (name: string, def: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const SECONDS = arg('--seconds', 5);
const CONCURRENCY = arg('--concurrency', 64);
const role = args.includes('--role') ? args[args.indexOf('--role') + 1] : 'main';
const BODY = 'x'.repeat(128);

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function pct(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Lists fixed objects and watches that never deliver: enough for the controller's informers. */
function staticClient(objects: Record<string, any[]>): ApiClient {
  const list = (path: string) => {
    const base = path.split('?')[0];
    return { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: objects[base] ?? [] };
  };
  const c: ApiClient = {
    async request(method, path, body) {
      return method === 'GET' ? list(path) : body;
    },
    get: async (path) => list(path),
    create: async (_p, obj) => obj,
    update: async (_p, obj) => obj,
    patch: async () => ({}),
    delete: async () => ({}),
    watch: async (): Promise<WatchHandle> => ({ stop() {} }),
  };
  return c;
}

// ---------------------------------------------------------------- child roles

function serveBackend(): void {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
    res.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as any).port}\n`));
}

async function serveIngress(backendPort: number): Promise<void> {
  const meta = (name: string) => ({ name, namespace: 'default', resourceVersion: '1', creationTimestamp: '2024-01-01T00:00:00Z' });
  const client = staticClient({
    '/apis/networking.k8s.io/v1/ingressclasses': [{ metadata: { name: 'kts', resourceVersion: '1', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } }, spec: { controller: 'kts.io/ingress' } }],
    '/apis/networking.k8s.io/v1/ingresses': [
      {
        metadata: meta('bench'),
        spec: {
          ingressClassName: 'kts',
          rules: [
            ...Array.from({ length: 50 }, (_, i) => ({ host: `h${i}.test`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'other', port: { number: 80 } } } }] } })),
            { host: 'bench.test', http: { paths: [{ path: '/a', pathType: 'Prefix', backend: { service: { name: 'other', port: { number: 80 } } } }, { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } },
          ],
        },
      },
    ],
    '/api/v1/services': [{ metadata: meta('web'), spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } }],
    '/apis/discovery.k8s.io/v1/endpointslices': [
      { metadata: { ...meta('web-1'), labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4', ports: [{ name: 'http', port: backendPort }], endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }] },
    ],
  });
  const ing = await startIngressController(client, { http: { host: '127.0.0.1', port: 0 }, https: false });
  process.stdout.write(`${ing.httpPort}\n`);
}

// ---------------------------------------------------------------- load

function child(extra: string[]): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /^(\d+)\n/.exec(out);
      if (m) resolve({ proc, port: Number(m[1]) });
    });
    proc.once('exit', (code) => reject(new Error(`${extra.join(' ')} exited with ${code}`)));
  });
}

async function load(port: number, host: string): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const lat: number[] = [];
  let errors = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = process.hrtime.bigint();
      const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          if (res.statusCode === 200) lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
          else errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  // Warm-up: open the connections.
  await Promise.all(Array.from({ length: CONCURRENCY }, one));
  lat.length = 0;
  errors = 0;
  const end = Date.now() + SECONDS * 1000;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) await one();
    }),
  );
  const secs = (Date.now() - t0) / 1000;
  agent.destroy();
  const sorted = Float64Array.from(lat).sort();
  return { rps: lat.length / secs, p50: pct(sorted, 50), p99: pct(sorted, 99), errors };
}

async function main(): Promise<void> {
  const backend = await child(['--role', 'backend']);
  const ingress = await child(['--role', 'ingress', '--backend-port', String(backend.port)]);
  try {
    const fmt = (r: { rps: number; p50: number; p99: number; errors: number }) => `${Math.round(r.rps).toString().padStart(6)} req/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   errors ${r.errors}`;
    console.log(`ingress benchmark: GET / (${BODY.length} B), keep-alive, ${CONCURRENCY} concurrent, ${SECONDS} s each, Node ${process.version}`);
    const direct = await load(backend.port, 'bench.test');
    console.log(`direct to backend : ${fmt(direct)}`);
    const via = await load(ingress.port, 'bench.test');
    console.log(`through ingress   : ${fmt(via)}`);
    console.log(`ingress RSS ${rssMB(ingress.proc.pid!).toFixed(0)} MB; throughput ${((via.rps / direct.rps) * 100).toFixed(0)}% of direct`);
  } finally {
    ingress.proc.kill();
    backend.proc.kill();
  }
}

if (role === 'backend') serveBackend();
else if (role === 'ingress') void serveIngress(arg('--backend-port', 0));
else
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
