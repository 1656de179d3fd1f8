// Scheduler benchmark: an in-process API server (memory store), N simulated
// nodes and M pods created through an InProcessClient while the scheduler
// runs. Prints scheduling throughput (pods bound per second), the latency
// of each pod from its creation request to its binding (p50, p99), and the
// ratio against 300 pods/s, the upper end of upstream kube-scheduler's
// published throughput at this scale.
//
//   npm run build && node dist/bench/scheduler.js [--nodes 1000] [--pods 5000] [--concurrency 64] [--percentage 0] [--rate 0]
//
// --rate R paces pod creation at R pods/s (0: as fast as the API accepts),
// to see latency when pods arrive slower than the scheduler can place them.

import { ApiServer } from '../src/apiserver/api-server.js';
import { MemoryStore } from '../src/storage/memory.js';
import { InProcessClient } from '../src/client/index.js';
import { Scheduler } from '../src/scheduler/scheduler.js';

const args = process.argv.slice(2);
const arg = (name: string, def: number) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : def);
const NODES = arg('nodes', 1000);
const PODS = arg('pods', 5000);
const CONCURRENCY = arg('concurrency', 64);
const PERCENTAGE = arg('percentage', 0);
const RATE = arg('rate', 0);
const BASELINE = 300;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

async function main(): Promise<void> {
  const api = new ApiServer({ store: new MemoryStore() });
  await api.start();
  const admin = new InProcessClient(api, { name: 'bench', groups: ['system:masters'] });
  const schedClient = new InProcessClient(api, { name: 'system:kube-scheduler', groups: ['system:authenticated'] });

  let t = performance.now();
  const nodeNames = Array.from({ length: NODES }, (_, i) => `node-${String(i).padStart(5, '0')}`);
  await pool(nodeNames, CONCURRENCY, async (name) => {
    await admin.create('/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': `zone-${name.slice(-1)}` } },
      status: {
        allocatable: { cpu: '32', memory: '128Gi', pods: '110', 'ephemeral-storage': '100Gi' },
        capacity: { cpu: '32', memory: '128Gi', pods: '110', 'ephemeral-storage': '100Gi' },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    });
  });
  console.log(`created ${NODES} nodes in ${Math.round(performance.now() - t)} ms`);

  const createdAt = new Map<string, number>();
  const latencies: number[] = [];
  const perNode = new Map<string, number>();
  let firstCreate = 0;
  let lastBound = 0;
  let bound = 0;
  let resolveAll!: () => void;
  const allBound = new Promise<void>((r) => (resolveAll = r));

  const scheduler = new Scheduler(schedClient, {
    percentageOfNodesToScore: PERCENTAGE,
    onBound: (pod, node) => {
      const now = performance.now();
      const c = createdAt.get(pod.metadata.name);
      if (c !== undefined) latencies.push(now - c);
      perNode.set(node, (perNode.get(node) ?? 0) + 1);
      lastBound = now;
      if (++bound === PODS) resolveAll();
    },
  });
  t = performance.now();
  await scheduler.start();
  console.log(`scheduler synced in ${Math.round(performance.now() - t)} ms`);

  const podNames = Array.from({ length: PODS }, (_, i) => `pod-${i}`);
  firstCreate = performance.now();
  let issued = 0;
  await pool(podNames, CONCURRENCY, async (name) => {
    if (RATE > 0) {
      const due = firstCreate + (issued++ * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    createdAt.set(name, performance.now());
    await admin.create('/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: `app-${name.length % 10}` } },
      spec: { containers: [{ name: 'c', image: 'registry.example/app:1', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
    });
  });
  const createdMs = performance.now() - firstCreate;
  const timeout = setTimeout(() => {
    console.error(`timed out: ${bound}/${PODS} bound; queue ${JSON.stringify(scheduler.queue.counts())}`);
    process.exit(1);
  }, 600_000);
  await allBound;
  clearTimeout(timeout);

  const totalMs = lastBound - firstCreate;
  const rate = (PODS / totalMs) * 1000;
  latencies.sort((a, b) => a - b);
  const counts = [...perNode.values()];
  console.log(`created ${PODS} pods in ${Math.round(createdMs)} ms (${Math.round((PODS / createdMs) * 1000)} pods/s offered)`);
  console.log(`scheduled ${bound} pods on ${perNode.size} nodes in ${Math.round(totalMs)} ms`);
  console.log(`throughput: ${rate.toFixed(0)} pods/s (${(rate / BASELINE).toFixed(2)}x the ${BASELINE} pods/s upstream baseline)`);
  console.log(`latency creation->binding: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`);
  console.log(`pods per node: min ${Math.min(...counts)}, max ${Math.max(...counts)}`);
  console.log(`rss ${Math.round(process.memoryUsage().rss / 1024 / 1024)} MiB`);

  await scheduler.stop();
  await api.stop();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
