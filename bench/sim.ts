// Simulated-node benchmark: an in-process API server (memory store) and a
// NodeSimulator with thousands of nodes. Prints the time to register every
// node, the API requests per second that heartbeats cost in steady state,
// RSS, and the time for pods bound round-robin to all reach Running.
//
//   npm run build && node dist/bench/sim.js [--nodes 5000] [--pods 10000] [--window 10]

import { ApiServer } from '../src/apiserver/api-server.js';
import { MemoryStore } from '../src/storage/memory.js';
import { InProcessClient } from '../src/client/in-process.js';
import { Informer } from '../src/client/informer.js';
import { CountingClient } from './counting-client.js';
import { NodeSimulator } from '../src/sim/index.js';

const args = process.argv.slice(2);
const flag = (name: string, def: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const NODES = flag('--nodes', 5000);
const PODS = flag('--pods', 10000);
const WINDOW_S = flag('--window', 10);
const HEARTBEAT_S = flag('--heartbeat', 10);
const STATUS_S = flag('--status', 60);

/** Requests by kind: leases, node status, nodes, pod status, pods, other. */
const classify = (method: string, path: string): string => {
  const p = path.split('?')[0];
  let what = 'other';
  if (p.includes('/leases')) what = 'lease';
  else if (/\/nodes\/[^/]+\/status$/.test(p)) what = 'node status';
  else if (p.includes('/nodes')) what = 'node';
  else if (/\/pods\/[^/]+\/status$/.test(p)) what = 'pod status';
  else if (p.includes('/pods')) what = 'pod';
  return `${method} ${what}`;
};

const rssMB = () => process.memoryUsage().rss / 1024 / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, d = 1) => n.toFixed(d);

async function main(): Promise<void> {
  const t00 = performance.now();
  const api = new ApiServer({ store: new MemoryStore() });
  await api.start();
  const admin = { name: 'bench', groups: ['system:masters'] };
  const direct = new InProcessClient(api, admin);
  const counting = new CountingClient(new InProcessClient(api, admin), classify);
  const rssBefore = rssMB();
  console.log(`simulated nodes: ${NODES} nodes, ${PODS} pods, heartbeat ${HEARTBEAT_S}s, node status ${STATUS_S}s`);

  // A /16 holds 256 nodes' /24s; 10.128.0.0/9 holds 32768.
  const sim = new NodeSimulator(counting, { count: NODES, heartbeatSeconds: HEARTBEAT_S, statusSeconds: STATUS_S, podCIDRBase: '10.128.0.0/9' });
  let t0 = performance.now();
  await sim.start();
  const registerMs = performance.now() - t0;
  const reg = counting.reset();
  console.log(
    `register ${NODES} nodes + leases: ${fmt(registerMs / 1000, 2)} s (${fmt((NODES / registerMs) * 1000, 0)} nodes/s; POST node ${reg.get('POST node') ?? 0}, POST lease ${reg.get('POST lease') ?? 0}, heartbeats meanwhile ${(reg.get('PUT lease') ?? 0) + (reg.get('PATCH node status') ?? 0)})`,
  );
  console.log(`RSS after registration: ${fmt(rssMB())} MB (+${fmt(rssMB() - rssBefore)} MB over the bare API server)`);

  // Steady state: nothing but heartbeats and status refreshes.
  t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const secs = (performance.now() - t0) / 1000;
  const steady = counting.reset();
  const total = [...steady.values()].reduce((a, b) => a + b, 0);
  const per = (k: string) => (steady.get(k) ?? 0) / secs;
  console.log(
    `steady state over ${fmt(secs)} s: ${fmt(total / secs)} req/s — lease PUT ${fmt(per('PUT lease'))}/s (expected ~${fmt(NODES / HEARTBEAT_S / 1.02)}), node status PATCH ${fmt(per('PATCH node status'))}/s (expected ~${fmt(NODES / STATUS_S / 1.02)}), other ${fmt((total - (steady.get('PUT lease') ?? 0) - (steady.get('PATCH node status') ?? 0)) / secs)}/s`,
  );
  console.log(`heartbeat errors: ${sim.stats.errors}`);
  console.log(`RSS steady: ${fmt(rssMB())} MB`);

  if (PODS > 0) {
    await direct.create('/api/v1/namespaces', { metadata: { name: 'bench' } });
    const names = sim.nodeNames();
    let running = 0;
    let resolveAll: () => void = () => {};
    const allRunning = new Promise<void>((r) => (resolveAll = r));
    const seen = new Set<string>();
    const inf = new Informer(direct, '/api/v1/namespaces/bench/pods', { onError: () => {} });
    const onPod = (p: any) => {
      if (p.status?.phase === 'Running' && !seen.has(p.metadata.name)) {
        seen.add(p.metadata.name);
        if (++running === PODS) resolveAll();
      }
    };
    inf.addEventHandler({ onAdd: onPod, onUpdate: (_o, n) => onPod(n) });
    inf.start();
    await inf.waitForSync();
    t0 = performance.now();
    let created = 0;
    const creators = Array.from({ length: 32 }, async () => {
      for (;;) {
        const i = created++;
        if (i >= PODS) return;
        await direct.create('/api/v1/namespaces/bench/pods', {
          metadata: { name: `pod-${i}`, labels: { app: 'bench' } },
          spec: { nodeName: names[i % names.length], containers: [{ name: 'app', image: 'nginx:1.25' }] },
        });
        // A remote client waits for I/O; in-process, yield so timers (heartbeats) are not starved.
        await new Promise((r) => setImmediate(r));
      }
    });
    await Promise.all(creators);
    const createdMs = performance.now() - t0;
    await allRunning;
    const runningMs = performance.now() - t0;
    const podReq = counting.reset();
    console.log(
      `${PODS} pods: created in ${fmt(createdMs / 1000, 2)} s, all Running after ${fmt(runningMs / 1000, 2)} s (${fmt((PODS / runningMs) * 1000, 0)} pods/s); simulator pod status writes ${podReq.get('PUT pod status') ?? 0}, lease PUT meanwhile ${fmt((podReq.get('PUT lease') ?? 0) / (runningMs / 1000))}/s`,
    );
    console.log(`RSS with pods: ${fmt(rssMB())} MB`);
    inf.stop();
  }

  t0 = performance.now();
  await sim.stop();
  console.log(`stop: ${fmt(performance.now() - t0, 0)} ms; stats ${JSON.stringify(sim.stats)}`);
  await api.stop();
  console.log(`total: ${fmt((performance.now() - t00) / 1000, 1)} s`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
