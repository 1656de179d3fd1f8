// Service proxy sync benchmark: generate and apply the iptables rules for
// N Services × M endpoints (default 1,000 × 10) inside a throwaway network
// namespace, then change one Service's endpoints and sync again, as the
// proxier does (full first sync reading iptables-save and writing every chain; the
// second a partial sync writing only the chains that changed).
// Prints generation ms, apply ms and rule counts; finally the cleanup time.
//
//   npx tsc -p . && node dist/bench/proxy-sync.js [--services 1000] [--endpoints 10]
//
// Needs root (ip netns, iptables-restore).

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { Iptables } from '../src/proxy/iptables.js';
import { chainContents, generateRules, renderRestore } from '../src/proxy/rules.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const nServices = arg('services', 1000);
const nEndpoints = arg('endpoints', 10);

function services(): Service[] {
  return Array.from({ length: nServices }, (_, i) => ({
    metadata: { namespace: `ns${i % 20}`, name: `svc-${i}` },
    spec: {
      type: i % 2 === 0 ? 'NodePort' : 'ClusterIP',
      clusterIP: `10.43.${i >> 8}.${i & 255}`,
      sessionAffinity: i % 10 === 0 ? 'ClientIP' : 'None',
      ports: [{ name: 'http', port: 80, protocol: 'TCP', ...(i % 2 === 0 ? { nodePort: 30000 + i } : {}) }],
    },
  }));
}

function slices(version: number): EndpointSlice[] {
  return Array.from({ length: nServices }, (_, i) => ({
    metadata: { namespace: `ns${i % 20}`, name: `svc-${i}-abc`, labels: { 'kubernetes.io/service-name': `svc-${i}` } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: Array.from({ length: nEndpoints }, (_, j) => {
      const n = i * nEndpoints + j + (i === 0 ? version * 1000 : 0);
      return { addresses: [`10.42.${(n >> 8) & 255}.${n & 255}`], conditions: { ready: true }, nodeName: `node-${j % 3}` };
    }),
  }));
}

const ns = `kts-pxbench-${randomBytes(3).toString('hex')}`;
execFileSync('ip', ['netns', 'add', ns]);
try {
  const ipt = new Iptables({ netns: ns });
  const svcs = services();
  const node = { nodeName: 'node-0' };

  const sync = async (label: string, eps: EndpointSlice[], full: boolean, previous?: ReturnType<typeof generateRules>) => {
    const t0 = performance.now();
    const rules = generateRules(svcs, eps, node);
    const t1 = performance.now();
    const saved = full ? await ipt.save() : undefined;
    const t2 = performance.now();
    const input = renderRestore(rules, { saved, previous: previous && chainContents(previous) });
    const t3 = performance.now();
    await ipt.restore(input);
    const t4 = performance.now();
    console.log(
      `${label.padEnd(26)} generate ${(t1 - t0).toFixed(1).padStart(7)} ms  render ${(t3 - t2).toFixed(1).padStart(6)} ms  ` +
        `iptables-save ${(t2 - t1).toFixed(1).padStart(7)} ms  iptables-restore ${(t4 - t3).toFixed(1).padStart(7)} ms  ` +
        `rules ${rules.ruleCount}  nat chains ${rules.chains.nat.length}  input ${(input.length / 1024).toFixed(0)} KiB`,
    );
    return rules;
  };

  console.log(`${nServices} Services × ${nEndpoints} endpoints (half NodePort, 10% ClientIP affinity), iptables ${execFileSync('iptables', ['-V']).toString().trim()}`);
  const first = await sync('first sync (full)', slices(0), true);
  const second = await sync('one endpoint set changed', slices(1), false, first);
  await sync('nothing changed', slices(1), false, second);
  await sync('periodic full resync', slices(1), true, second);
  const t0 = performance.now();
  await ipt.cleanup();
  console.log(`cleanup ${(performance.now() - t0).toFixed(1)} ms`);
} finally {
  execFileSync('ip', ['netns', 'del', ns]);
}
