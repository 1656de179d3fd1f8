// Deployment benchmark: a whole control plane in one process — API server
// (memory store), controller manager, scheduler and simulated nodes, each
// with its own InProcessClient (and identity) wrapped to count API requests
// by verb. Creates a Deployment of --replicas replicas and prints the time
// until status.availableReplicas reaches it, then changes the image and
// prints the time until the rolling update completes; for each phase, the
// API requests each component made, by verb (and by verb and resource).
//
//   npm run build && node dist/bench/deployment.js [--nodes 100] [--replicas 1000]
//       [--poll 100] [--timeout 300] [--by-resource]
//
// The Deployment is polled (GET) every --poll ms by a separate client, whose
// requests are counted apart ("bench"). The rollout is complete when
// observedGeneration >= generation and updatedReplicas == availableReplicas
// == replicas; old pods may still be terminating then (status.replicas does
// not count them), so the time until the pod list holds only --replicas pods
// is printed after it.

import { ApiServer, type UserInfo } from '../src/apiserver/api-server.js';
import { MemoryStore } from '../src/storage/memory.js';
import { InProcessClient } from '../src/client/in-process.js';
import { CountingClient } from './counting-client.js';
import { startControllerManager } from '../src/controllers/manager.js';
import { startScheduler } from '../src/scheduler/index.js';
import { startSimulatedNodes } from '../src/sim/index.js';

const args = process.argv.slice(2);
const flag = (name: string, def: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const NODES = flag('--nodes', 100);
const REPLICAS = flag('--replicas', 1000);
const POLL_MS = flag('--poll', 100);
const TIMEOUT_S = flag('--timeout', 300);
const BY_RESOURCE = args.includes('--by-resource');

const NS = 'default';
const NAME = 'bench';
const DEPLOY_PATH = `/apis/apps/v1/namespaces/${NS}/deployments`;

/** Requests by Kubernetes verb and resource (`create pods`, `update deployments/status`). */
const classify = (method: string, path: string): string => {
  const [p, q = ''] = path.split('?');
  const parts = p.split('/').filter(Boolean);
  // /api/v1/... or /apis/<group>/<version>/...
  let rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const resource = rest.length >= 3 ? `${rest[0]}/${rest[2]}` : (rest[0] ?? '?');
  const named = rest.length >= 2;
  let verb: string;
  switch (method) {
    case 'WATCH':
      verb = 'watch';
      break;
    case 'GET':
      verb = new URLSearchParams(q).get('watch') === 'true' ? 'watch' : named ? 'get' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = named ? 'delete' : 'deletecollection';
      break;
    default:
      verb = method.toLowerCase();
  }
  return `${verb} ${resource}`;
};

const rssMB = () => process.memoryUsage().rss / 1024 / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, d = 1) => n.toFixed(d);

function counting(api: ApiServer, user: UserInfo): CountingClient {
  return new CountingClient(new InProcessClient(api, user), classify);
}

/** Prints one table: a row per component, a column per verb (and the total). */
function printCounts(title: string, seconds: number, per: Array<[string, Map<string, number>]>): void {
  const byVerb = per.map(([c, m]) => {
    const v = new Map<string, number>();
    for (const [k, n] of m) {
      const verb = k.split(' ')[0];
      v.set(verb, (v.get(verb) ?? 0) + n);
    }
    return [c, v] as const;
  });
  const order = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
  const verbs = [...new Set(byVerb.flatMap(([, v]) => [...v.keys()]))].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  const w = Math.max(10, ...per.map(([c]) => c.length));
  console.log(`  API requests during ${title} (${fmt(seconds, 2)} s):`);
  console.log(`    ${'component'.padEnd(w)} ${verbs.map((v) => v.padStart(8)).join(' ')}    total   req/s`);
  let grand = 0;
  const colTotals = new Map<string, number>();
  for (const [c, v] of byVerb) {
    const total = [...v.values()].reduce((a, b) => a + b, 0);
    grand += total;
    for (const [verb, n] of v) colTotals.set(verb, (colTotals.get(verb) ?? 0) + n);
    console.log(`    ${c.padEnd(w)} ${verbs.map((verb) => String(v.get(verb) ?? 0).padStart(8)).join(' ')} ${String(total).padStart(8)} ${fmt(total / seconds, 0).padStart(7)}`);
  }
  console.log(`    ${'all'.padEnd(w)} ${verbs.map((verb) => String(colTotals.get(verb) ?? 0).padStart(8)).join(' ')} ${String(grand).padStart(8)} ${fmt(grand / seconds, 0).padStart(7)}`);
  if (BY_RESOURCE) {
    for (const [c, m] of per) {
      const items = [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`);
      if (items.length) console.log(`    ${c}: ${items.join(', ')}`);
    }
  }
}

async function main(): Promise<void> {
  const t00 = performance.now();
  const api = new ApiServer({ store: new MemoryStore() });
  await api.start();
  const bench = counting(api, { name: 'bench', groups: ['system:masters'] });
  const cmClient = counting(api, { name: 'system:kube-controller-manager', groups: ['system:authenticated'] });
  const schedClient = counting(api, { name: 'system:kube-scheduler', groups: ['system:authenticated'] });
  const simClient = counting(api, { name: 'system:kts:sim', groups: ['system:authenticated'] });
  const clients: Array<[string, CountingClient]> = [
    ['controllers', cmClient],
    ['scheduler', schedClient],
    ['nodes', simClient],
    ['bench', bench],
  ];
  const resetAll = (): Array<[string, Map<string, number>]> => clients.map(([c, cl]) => [c, cl.reset()]);

  console.log(`deployment: ${REPLICAS} replicas on ${NODES} simulated nodes (poll ${POLL_MS} ms)`);
  let t0 = performance.now();
  const controllers = await startControllerManager(cmClient, {
    identity: 'bench',
    leaderElection: false,
    resources: () => api.registry.all(),
    onError: (what, err) => console.error(`controller manager: ${what}: ${err instanceof Error ? err.message : String(err)}`),
  });
  const scheduler = await startScheduler(schedClient, { identity: 'bench', leaderElection: false });
  const sim = await startSimulatedNodes(simClient, { count: NODES, podCIDRBase: '10.128.0.0/9' });
  console.log(`control plane + ${NODES} nodes started: ${fmt(performance.now() - t0, 0)} ms; RSS ${fmt(rssMB())} MB`);
  // Let the informers sync and the start-up requests settle, out of the figures.
  await sleep(500);
  resetAll();

  const timeoutAt = () => performance.now() + TIMEOUT_S * 1000;
  /** Polls the Deployment until `done` holds for it. */
  async function waitFor(what: string, done: (d: any) => boolean): Promise<{ doneMs: number; last: any }> {
    const start = performance.now();
    const deadline = timeoutAt();
    let last: any;
    for (;;) {
      last = await bench.get(`${DEPLOY_PATH}/${NAME}`);
      const now = performance.now();
      if (done(last)) return { doneMs: now - start, last };
      if (now > deadline) {
        throw new Error(`timed out waiting for ${what} after ${TIMEOUT_S} s; status ${JSON.stringify(last.status)}`);
      }
      await sleep(POLL_MS);
    }
  }

  // Phase 1: scale from nothing to REPLICAS available pods.
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: NAME, namespace: NS },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: NAME } },
      template: {
        metadata: { labels: { app: NAME } },
        spec: { containers: [{ name: 'app', image: 'registry.example/app:1', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
      },
    },
  };
  t0 = performance.now();
  await bench.create(DEPLOY_PATH, deployment);
  const created = await waitFor('availableReplicas', (d) => d.status?.availableReplicas === REPLICAS);
  const createCounts = resetAll();
  console.log(`create: ${REPLICAS} replicas available after ${fmt(created.doneMs / 1000, 2)} s (${fmt((REPLICAS / created.doneMs) * 1000, 0)} pods/s); RSS ${fmt(rssMB())} MB`);
  printCounts('create', (performance.now() - t0) / 1000, createCounts);

  // Phase 2: rolling update (default strategy: maxSurge 25%, maxUnavailable 25%).
  t0 = performance.now();
  const patched = await bench.patch(`${DEPLOY_PATH}/${NAME}`, { spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.example/app:2' }] } } } }, 'strategic');
  const generation = patched.metadata.generation;
  const complete = (d: any) =>
    (d.status?.observedGeneration ?? 0) >= generation &&
    d.status?.updatedReplicas === REPLICAS &&
    d.status?.availableReplicas === REPLICAS;
  const rolled = await waitFor('rollout', complete);
  const rollCounts = resetAll();
  const podsAt = async () => {
    const list = await bench.get(`/api/v1/namespaces/${NS}/pods`);
    const items: any[] = list.items ?? [];
    return { total: items.length, terminating: items.filter((p) => p.metadata?.deletionTimestamp).length };
  };
  const atComplete = await podsAt();
  console.log(
    `rolling update: complete after ${fmt(rolled.doneMs / 1000, 2)} s (updated == available == ${REPLICAS}, observedGeneration ${generation}); ` +
      `${atComplete.total} pods then, ${atComplete.terminating} of them terminating; RSS ${fmt(rssMB())} MB`,
  );
  printCounts('rolling update', (performance.now() - t0) / 1000, rollCounts);

  // The old pods still terminating: time until the nodes have deleted them all.
  const drainStart = performance.now();
  let pods = atComplete;
  while (pods.total > REPLICAS) {
    if (performance.now() - drainStart > TIMEOUT_S * 1000) throw new Error(`timed out waiting for old pods to go: ${JSON.stringify(pods)}`);
    await sleep(POLL_MS);
    pods = await podsAt();
  }
  const drainMs = performance.now() - drainStart;
  const drainCounts = resetAll();
  console.log(`old pods gone ${fmt(drainMs / 1000, 2)} s after the rollout completed (${fmt((performance.now() - t0) / 1000, 2)} s after the image change)`);
  if (drainMs > POLL_MS) printCounts('the old pods\' termination', drainMs / 1000, drainCounts);

  console.log(`RSS at end: ${fmt(rssMB())} MB (heap used ${fmt(process.memoryUsage().heapUsed / 1024 / 1024)} MB); simulator stats ${JSON.stringify(sim.stats)}`);

  t0 = performance.now();
  await sim.stop();
  await scheduler.stop();
  await controllers.stop();
  await api.stop();
  console.log(`stop: ${fmt(performance.now() - t0, 0)} ms; total ${fmt((performance.now() - t00) / 1000, 1)} s`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
