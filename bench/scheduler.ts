// Scheduler benchmark: an in-process API server (memory store), N nodes and
// M pods created through an InProcessClient while the scheduler runs.
//
// For each node/pod scale and each scenario it runs twice on a fresh API
// server and scheduler:
//   - unpaced: all pods created as fast as the API accepts them; gives the
//     throughput (pods bound per second, first creation to last binding)
//     and its ratio against 300 pods/s, the upper end of upstream
//     kube-scheduler's published throughput at 5,000 nodes;
//   - paced: pods created at a steady rate below that throughput (by default
//     half of it), so the latency of each pod from its creation request to
//     its binding (p50, p99) measures the scheduler, not a queue of pods
//     waiting behind the creation burst.
//
// Scenarios:
//   plain     pods requesting cpu and memory, no constraints;
//   anti      required pod anti-affinity on kubernetes.io/hostname within
//             per-app groups of --group pods (default 10: each group needs
//             10 distinct nodes, so every pod fits);
//   spread    a topology spread constraint over topology.kubernetes.io/zone
//             (maxSkew 1, DoNotSchedule) per app; nodes are labelled
//             across 3 zones.
//
//   npm run build && node dist/bench/scheduler.js [--all] [--scale 1000x10000]
//       [--scenarios plain,anti,spread] [--nodes N --pods M] [--rate R]
//       [--paced-fraction 0.5] [--paced-seconds 10] [--paced-pods P] [--no-paced]
//       [--concurrency 64]
//       [--percentage 0] [--group 10] [--apps 100] [--timeout-seconds 600]
//
// Default: the 1,000 nodes x 10,000 pods set; --all adds 5,000 x 30,000.
// --rate R paces the paced run at R pods/s instead of a fraction of the
// measured throughput. The paced run creates pods for --paced-seconds (default
// 10, so the default run stays within ~3 minutes on 2 cores; 0: all the
// pods), or --paced-pods pods; on a fresh cluster, so its latency is that of
// the first pods of the scenario (the unpaced run fills the cluster).
// A run that has not bound every pod after --timeout-seconds is stopped and
// its row says so, with the rate of the pods bound so far; later rows still run.

import { ApiServer } from '../src/apiserver/api-server.js';
import { MemoryStore } from '../src/storage/memory.js';
import { InProcessClient } from '../src/client/index.js';
import { Scheduler } from '../src/scheduler/scheduler.js';

const args = process.argv.slice(2);
const has = (name: string) => args.includes(`--${name}`);
const str = (name: string, def: string) => (has(name) ? args[args.indexOf(`--${name}`) + 1] : def);
const num = (name: string, def: number) => Number(str(name, String(def)));

const CONCURRENCY = num('concurrency', 64);
const PERCENTAGE = num('percentage', 0);
const RATE = num('rate', 0);
const PACED_FRACTION = num('paced-fraction', 0.5);
const PACED_PODS = num('paced-pods', 0);
const PACED_SECONDS = num('paced-seconds', 10);
const GROUP = num('group', 10);
const APPS = num('apps', 100);
const TIMEOUT_MS = num('timeout-seconds', 600) * 1000;
const ZONES = 3;
const BASELINE = 300;

type Scenario = 'plain' | 'anti' | 'spread';
const SCENARIOS = str('scenarios', 'plain,anti,spread').split(',').filter(Boolean) as Scenario[];
for (const s of SCENARIOS) if (!['plain', 'anti', 'spread'].includes(s)) throw new Error(`unknown scenario ${s}`);

function scales(): Array<[number, number]> {
  if (has('nodes') || has('pods')) return [[num('nodes', 1000), num('pods', 10000)]];
  if (has('all')) return [[1000, 10000], [5000, 30000]];
  const [n, p] = str('scale', '1000x10000').split('x').map(Number);
  return [[n, p]];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function pool<T>(items: T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

function podFor(scenario: Scenario, i: number): any {
  const name = `pod-${i}`;
  const container = { name: 'c', image: 'registry.example/app:1', resources: { requests: { cpu: '100m', memory: '128Mi' } } };
  switch (scenario) {
    case 'plain':
      return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: `app-${i % APPS}` } }, spec: { containers: [container] } };
    case 'anti': {
      // Consecutive pods share a group, so each group's pods are created (and scheduled) close together.
      const app = `anti-${Math.floor(i / GROUP)}`;
      return {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { app } },
        spec: {
          containers: [container],
          affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app } }, topologyKey: 'kubernetes.io/hostname' }] } },
        },
      };
    }
    case 'spread': {
      const app = `spread-${i % APPS}`;
      return {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { app } },
        spec: {
          containers: [container],
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app } } }],
        },
      };
    }
  }
}

interface Result {
  nodesUsed: number;
  bound: number;
  createdMs: number;
  totalMs: number;
  rate: number;
  p50: number;
  p99: number;
  minPerNode: number;
  maxPerNode: number;
  violations: number;
  /** Pods still unbound when the run was stopped (0: all bound). */
  unbound: number;
}

/** One run on a fresh API server and scheduler: NODES nodes, PODS pods of the scenario, created at `rate` pods/s (0: unpaced). */
async function runOnce(scenario: Scenario, nodes: number, pods: number, rate: number): Promise<Result> {
  const api = new ApiServer({ store: new MemoryStore() });
  await api.start();
  const admin = new InProcessClient(api, { name: 'bench', groups: ['system:masters'] });
  const schedClient = new InProcessClient(api, { name: 'system:kube-scheduler', groups: ['system:authenticated'] });

  const nodeNames = Array.from({ length: nodes }, (_, i) => `node-${String(i).padStart(5, '0')}`);
  const zoneOf = new Map<string, string>();
  await pool(nodeNames, CONCURRENCY, async (name, i) => {
    const zone = `zone-${i % ZONES}`;
    zoneOf.set(name, zone);
    await admin.create('/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': zone } },
      status: {
        allocatable: { cpu: '32', memory: '128Gi', pods: '110', 'ephemeral-storage': '100Gi' },
        capacity: { cpu: '32', memory: '128Gi', pods: '110', 'ephemeral-storage': '100Gi' },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    });
  });

  const createdAt = new Float64Array(pods);
  const latencies: number[] = [];
  const perNode = new Map<string, number>();
  const placement = new Map<string, string>();
  let lastBound = 0;
  let bound = 0;
  let resolveAll!: () => void;
  const allBound = new Promise<void>((r) => (resolveAll = r));

  const scheduler = new Scheduler(schedClient, {
    percentageOfNodesToScore: PERCENTAGE,
    onBound: (pod, node) => {
      const now = performance.now();
      const i = Number(pod.metadata.name.slice(4));
      if (createdAt[i] > 0) latencies.push(now - createdAt[i]);
      perNode.set(node, (perNode.get(node) ?? 0) + 1);
      placement.set(pod.metadata.name, node);
      lastBound = now;
      if (++bound === pods) resolveAll();
    },
  });
  await scheduler.start();

  const indices = Array.from({ length: pods }, (_, i) => i);
  const firstCreate = performance.now();
  await pool(indices, CONCURRENCY, async (i) => {
    if (rate > 0) {
      const wait = firstCreate + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    createdAt[i] = performance.now();
    await admin.create('/api/v1/namespaces/default/pods', podFor(scenario, i));
  });
  const createdMs = performance.now() - firstCreate;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    allBound.then(() => false),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(true), TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  if (timedOut) console.error(`timed out: ${bound}/${pods} bound after ${TIMEOUT_MS / 1000} s; queue ${JSON.stringify(scheduler.queue.counts())}`);
  const boundAtStop = bound;
  const lastBoundAtStop = lastBound;
  await scheduler.stop();
  await api.stop();

  // Check the constraints held.
  let violations = 0;
  if (scenario === 'anti') {
    const seen = new Set<string>();
    for (const [name, node] of placement) {
      const key = `${Math.floor(Number(name.slice(4)) / GROUP)}/${node}`;
      if (seen.has(key)) violations++;
      seen.add(key);
    }
  } else if (scenario === 'spread') {
    const counts = new Map<string, number[]>();
    for (const [name, node] of placement) {
      const app = Number(name.slice(4)) % APPS;
      const c = counts.get(String(app)) ?? new Array(ZONES).fill(0);
      c[Number(zoneOf.get(node)!.slice(5))]++;
      counts.set(String(app), c);
    }
    for (const c of counts.values()) if (Math.max(...c) - Math.min(...c) > 1) violations++;
  }

  latencies.sort((a, b) => a - b);
  const totalMs = lastBoundAtStop - firstCreate;
  const counts = [...perNode.values()];
  return {
    nodesUsed: perNode.size,
    bound: boundAtStop,
    createdMs,
    totalMs,
    rate: (boundAtStop / totalMs) * 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    minPerNode: nodes > perNode.size ? 0 : Math.min(...counts),
    maxPerNode: Math.max(...counts),
    violations,
    unbound: pods - boundAtStop,
  };
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const [nodes, pods] of scales()) {
    for (const scenario of SCENARIOS) {
      const label = `${nodes} nodes x ${pods} pods, ${scenario}`;
      const u = await runOnce(scenario, nodes, pods, 0);
      console.log(
        `${label}, unpaced: ${u.bound} bound in ${Math.round(u.totalMs)} ms (created in ${Math.round(u.createdMs)} ms): ` +
          `${fmt(u.rate)} pods/s = ${(u.rate / BASELINE).toFixed(2)}x ${BASELINE} pods/s; ` +
          `latency p50 ${fmt(u.p50)} ms p99 ${fmt(u.p99)} ms (includes the creation backlog); ` +
          `pods/node ${u.minPerNode}-${u.maxPerNode}; constraint violations ${u.violations}`,
      );
      let p: Result | undefined;
      let pacedRate = 0;
      if (!has('no-paced')) {
        pacedRate = RATE > 0 ? RATE : Math.max(1, Math.round(u.rate * PACED_FRACTION));
        const pacedPods = Math.min(pods, PACED_PODS > 0 ? PACED_PODS : PACED_SECONDS > 0 ? Math.max(100, Math.round(pacedRate * PACED_SECONDS)) : pods);
        p = await runOnce(scenario, nodes, pacedPods, pacedRate);
        console.log(
          `${label}, paced at ${pacedRate} pods/s (${pacedPods} pods): ${fmt(p.rate)} pods/s bound; ` +
            `latency creation->binding p50 ${fmt(p.p50)} ms, p99 ${fmt(p.p99)} ms; constraint violations ${p.violations}`,
        );
      }
      const stopped = (r: Result) => (r.unbound ? ` (timed out, ${r.bound} bound)` : '');
      rows.push(
        `| ${nodes} | ${pods} | ${scenario} | ${fmt(u.rate)}${stopped(u)} | ${(u.rate / BASELINE).toFixed(2)}x | ` +
          (p ? `${pacedRate} | ${fmt(p.p50)} | ${fmt(p.p99)} |` : `- | - | - |`),
      );
    }
  }
  console.log('\n| nodes | pods | scenario | unpaced pods/s | vs 300/s | paced rate | p50 ms | p99 ms |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log(`rss ${Math.round(process.memoryUsage().rss / 1024 / 1024)} MiB`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
