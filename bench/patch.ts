// PATCH benchmark: strategic merge patch and server-side apply on a large
// Deployment (50 containers, 20 env vars and 5 ports each), through the
// in-process API pipeline (ApiServer.handle over a MemoryStore: no HTTP, no
// TLS), and the pure functions alone (applyStrategicMergePatch,
// serverSideApply) on the same object, so the pipeline's own overhead
// (decode, defaulting, validation, managedFields, storage, watch cache,
// encoding) is visible as the difference.
//
//   npm run build && node dist/bench/patch.js [--n 500] [--seconds 15] [--containers 50] [--env 20] [--ports 5]
//
// Each row runs --n requests or until --seconds have passed, whichever comes first.

import { ApiServer, type ApiRequest } from '../src/apiserver/api-server.js';
import { MemoryStore } from '../src/storage/memory.js';
import { applyStrategicMergePatch } from '../src/api/patch/index.js';
import { serverSideApply } from '../src/api/apply/index.js';

const args = process.argv.slice(2);
const num = (flag: string, def: number) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : def);
const N = num('--n', 500);
const CONTAINERS = num('--containers', 50);
const ENV = num('--env', 20);
const PORTS = num('--ports', 5);
const WARMUP = Math.min(50, Math.ceil(N / 10));
/** Each row stops early after this many seconds (the n column shows how many ran). */
const BUDGET_MS = num('--seconds', 15) * 1000;

const NS = 'default';
const NAME = 'big';
const PATH = `/apis/apps/v1/namespaces/${NS}/deployments/${NAME}`;
const GVK = { group: 'apps', version: 'v1', kind: 'Deployment' };
const ADMIN = { name: 'admin', groups: ['system:masters'] };

function container(c: number, gen: number): any {
  return {
    name: `c${c}`,
    image: `registry.example.com/team/app-${c}:1.${gen % 7}`,
    args: ['--listen', `:${8000 + c}`, '--verbose'],
    env: Array.from({ length: ENV }, (_, e) => ({ name: `VAR_${c}_${e}`, value: e === 0 ? `gen-${gen}` : `value-${c}-${e}` })),
    ports: Array.from({ length: PORTS }, (_, p) => ({ name: `p${c}-${p}`.slice(0, 15), containerPort: 10000 + c * 10 + p, protocol: 'TCP' })),
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
  };
}

/** The full Deployment; `gen` varies one env var per container and the image tags. */
function deployment(gen: number): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: NAME, namespace: NS, labels: { app: NAME } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: NAME } },
      template: {
        metadata: { labels: { app: NAME } },
        spec: { containers: Array.from({ length: CONTAINERS }, (_, c) => container(c, gen)) },
      },
    },
  };
}

/** A typical small strategic merge patch: one env var of one container (merge keys name/name) and an annotation. */
function smallPatch(i: number): any {
  const c = i % CONTAINERS;
  return {
    spec: {
      template: {
        metadata: { annotations: { 'bench/iteration': String(i) } },
        spec: { containers: [{ name: `c${c}`, env: [{ name: `VAR_${c}_1`, value: `patched-${i}` }] }] },
      },
    },
  };
}

/** A large strategic merge patch: the whole container list (what a client-side `kubectl apply` sends when most of it changed). */
function fullPatch(i: number): any {
  return { spec: { template: { spec: { containers: deployment(i).spec.template.spec.containers } } } };
}

function request(method: string, path: string, query: string, contentType: string, body: unknown): ApiRequest {
  return {
    method,
    path,
    query: new URLSearchParams(query),
    headers: { contentType, accept: 'application/json' },
    body: Buffer.from(JSON.stringify(body)),
    user: ADMIN,
  };
}

interface Stats {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  perSec: number;
}

function stats(samples: number[], totalMs: number): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: q(0.5), p99: q(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length, perSec: (s.length / totalMs) * 1000 };
}

const rows: Array<[string, Stats]> = [];

async function measure(name: string, f: (i: number) => unknown | Promise<unknown>): Promise<Stats> {
  for (let i = 0; i < WARMUP; i++) await f(N + i); // warm-up indices follow the measured ones
  const samples: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < N && performance.now() - t0 < BUDGET_MS; i++) {
    const t = performance.now();
    await f(i);
    samples.push(performance.now() - t);
  }
  const st = stats(samples, performance.now() - t0);
  rows.push([name, st]);
  if (process.env.BENCH_PROGRESS) console.error(`  done: ${name} mean ${st.mean.toFixed(3)} ms`);
  return st;
}

async function main(): Promise<void> {
  const api = new ApiServer({ store: new MemoryStore() });
  await api.start();

  const expectOk = async (req: ApiRequest, ok = [200, 201]) => {
    const res = await api.handle(req);
    if (!ok.includes(res.status)) throw new Error(`${req.method} ${req.path}: ${res.status} ${'body' in res ? res.body.slice(0, 500) : ''}`);
    return res;
  };
  const get = async (): Promise<any> => {
    const res = await expectOk({ method: 'GET', path: PATH, query: new URLSearchParams(), headers: { accept: 'application/json' }, user: ADMIN });
    return JSON.parse((res as { body: string }).body);
  };

  const created = deployment(0);
  const createBody = JSON.stringify(created);
  await expectOk(request('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, 'fieldManager=bench-create', 'application/json', created));
  const stored = await get();
  const storedBytes = JSON.stringify(stored).length;

  // --- through the pipeline -------------------------------------------------
  await measure('pipeline SMP small (1 env var)', (i) =>
    expectOk(request('PATCH', PATH, 'fieldManager=bench', 'application/strategic-merge-patch+json', smallPatch(i))),
  );
  await measure('pipeline SMP full container list', (i) =>
    expectOk(request('PATCH', PATH, 'fieldManager=bench', 'application/strategic-merge-patch+json', fullPatch(i))),
  );
  await measure('pipeline apply full object (force)', (i) =>
    expectOk(request('PATCH', PATH, 'fieldManager=bench&force=true', 'application/apply-patch+yaml', deployment(i))),
  );
  await measure('pipeline apply no-op (same config)', () =>
    expectOk(request('PATCH', PATH, 'fieldManager=bench&force=true', 'application/apply-patch+yaml', deployment(0))),
  );
  const afterApply = await get();
  const afterApplyBytes = JSON.stringify(afterApply).length;

  // --- pure functions on the same objects ----------------------------------
  // Inputs are prepared outside the timed region except what the pipeline
  // also has to do per request (JSON.parse of the body is included, as in
  // the pipeline).
  const smallBodies = Array.from({ length: N + WARMUP }, (_, i) => JSON.stringify(smallPatch(i)));
  const fullBodies = Array.from({ length: 20 }, (_, i) => JSON.stringify(fullPatch(i)));
  const applyBodies = Array.from({ length: 20 }, (_, i) => JSON.stringify(deployment(i)));
  await measure('pure applyStrategicMergePatch small', (i) =>
    applyStrategicMergePatch(stored, JSON.parse(smallBodies[i % smallBodies.length]), GVK),
  );
  await measure('pure applyStrategicMergePatch full', (i) => applyStrategicMergePatch(stored, JSON.parse(fullBodies[i % 20]), GVK));
  const ssaOpts = (force: boolean) => ({ manager: 'bench', force, gvk: GVK, time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), apiVersion: 'apps/v1' });
  await measure('pure serverSideApply full (force)', (i) => {
    const r = serverSideApply(afterApply, JSON.parse(applyBodies[i % 20]), ssaOpts(true));
    if (r.conflicts) throw new Error('unexpected conflicts');
  });
  await measure('pure serverSideApply no-op', () => {
    const r = serverSideApply(afterApply, JSON.parse(applyBodies[0]), ssaOpts(true));
    if (r.conflicts) throw new Error('unexpected conflicts');
  });
  await measure('pure serverSideApply create (no live)', (i) => {
    const r = serverSideApply(undefined, JSON.parse(applyBodies[i % 20]), ssaOpts(false));
    if (r.conflicts) throw new Error('unexpected conflicts');
  });
  // Baseline: what the pipeline at least pays per request just to parse and re-serialize the object.
  const storedText = JSON.stringify(afterApply);
  await measure('baseline JSON.parse+stringify object', () => JSON.stringify(JSON.parse(storedText)));
  await measure('baseline structuredClone object', () => structuredClone(afterApply));

  await api.stop();

  const fmt = (x: number) => x.toFixed(3).padStart(9);
  console.log(`kts patch benchmark: Deployment with ${CONTAINERS} containers x ${ENV} env vars x ${PORTS} ports`);
  console.log(`  object: ${(createBody.length / 1024).toFixed(0)} KiB as sent, ${(storedBytes / 1024).toFixed(0)} KiB stored (defaulted), ${(afterApplyBytes / 1024).toFixed(0)} KiB after apply (managedFields)`);
  console.log(`  up to ${N} measured requests per row (or ${BUDGET_MS / 1000} s) after ${WARMUP} warm-up; in-process ApiServer.handle over MemoryStore; node ${process.version}`);
  console.log('');
  console.log(`${'case'.padEnd(40)} ${'n'.padStart(4)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'mean ms'.padStart(9)} ${'ops/s'.padStart(9)}`);
  for (const [name, s] of rows) console.log(`${name.padEnd(40)} ${String(s.n).padStart(4)} ${fmt(s.p50)} ${fmt(s.p99)} ${fmt(s.mean)} ${s.perSec.toFixed(0).padStart(9)}`);
  const by = (n: string) => rows.find((r) => r[0] === n)![1];
  console.log('');
  console.log('pipeline overhead (pipeline mean - pure function mean):');
  console.log(`  SMP small: ${(by('pipeline SMP small (1 env var)').mean - by('pure applyStrategicMergePatch small').mean).toFixed(3)} ms`);
  console.log(`  SMP full:  ${(by('pipeline SMP full container list').mean - by('pure applyStrategicMergePatch full').mean).toFixed(3)} ms`);
  console.log(`  apply:     ${(by('pipeline apply full object (force)').mean - by('pure serverSideApply full (force)').mean).toFixed(3)} ms`);
  console.log(`  apply no-op: ${(by('pipeline apply no-op (same config)').mean - by('pure serverSideApply no-op').mean).toFixed(3)} ms`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
