// The proxier against an in-process API server, with iptables replaced by a
// recorder: syncs are coalesced, partial syncs write only what changed, and
// stop() removes what was written. ServiceLB against the same API.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../apiserver/api-server.js';
import type { InProcessClient } from '../client/in-process.js';
import { startTestApi, waitFor, sleep } from '../controllers/testing.js';
import { startServiceProxy, type ServiceProxy, type SyncResult } from './proxier.js';
import { startServiceLB, type ServiceLBController } from './service-lb.js';
import type { ExecFn } from './iptables.js';

let api: ApiServer;
let admin: InProcessClient;
let client: InProcessClient;
const calls: Array<{ args: string[]; input?: string }> = [];
const syncs: SyncResult[] = [];
let proxy: ServiceProxy;
let lb: ServiceLBController;

// A kernel stand-in: keeps the chains each restore declared or deleted, so iptables-save can report them.
const kernel: Record<string, Set<string>> = { nat: new Set(), filter: new Set() };
let lastInput = '';
const exec: ExecFn = async (cmd, args, input) => {
  calls.push({ args: [cmd, ...args], input });
  if (cmd === 'iptables-save') {
    const table = args[1];
    return { code: 0, stdout: `*${table}\n${[...kernel[table]].map((c) => `:${c} - [0:0]`).join('\n')}\nCOMMIT\n`, stderr: '' };
  }
  if (cmd === 'iptables-restore' && input) {
    lastInput = input;
    let table = '';
    for (const line of input.split('\n')) {
      if (line.startsWith('*')) table = line.slice(1);
      else if (line.startsWith(':')) kernel[table].add(line.slice(1).split(' ')[0]);
      else if (line.startsWith('-X ')) kernel[table].delete(line.slice(3));
    }
  }
  return { code: 0, stdout: '', stderr: '' };
};

const restores = () => calls.filter((c) => c.args[0] === 'iptables-restore');

before(async () => {
  ({ api, client, admin } = await startTestApi());
  proxy = await startServiceProxy(client, { nodeName: 'n1', exec, minSyncIntervalMs: 100, onSync: (r) => syncs.push(r) });
  lb = await startServiceLB(client);
});

after(async () => {
  await lb.stop();
  await proxy.stop();
  await api.stop();
});

test('the first sync is full and writes every jump', () => {
  assert.equal(syncs[0]?.full, true);
  assert.match(restores()[0].input!, /-I PREROUTING 1 .* -j KTS-SERVICES/);
});

test('a burst of changes is coalesced into few syncs; the result has all of them', async () => {
  const before = restores().length;
  for (let i = 0; i < 20; i++) {
    await admin.create('/api/v1/namespaces/default/services', { metadata: { name: `s${i}` }, spec: { ports: [{ port: 80 }] } });
  }
  await waitFor(() => (proxy.lastSync()?.ruleCount ?? 0) >= 20 + 6 || undefined, 'rules for 20 services');
  await sleep(300);
  const n = restores().length - before;
  assert.ok(n >= 1 && n <= 10, `${n} restores for 20 changes`);
  assert.equal(syncs.at(-1)!.full, false);
  // Services without endpoints: REJECT each.
  assert.equal((lastInput.match(/has no endpoints/g) ?? []).length >= 1, true);
});

test('an EndpointSlice turns the REJECT into a service chain; the partial sync writes no jumps', async () => {
  await admin.create('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {
    metadata: { name: 's0-1', labels: { 'kubernetes.io/service-name': 's0' } },
    addressType: 'IPv4',
    ports: [{ port: 8080, protocol: 'TCP', name: '' }],
    endpoints: [{ addresses: ['10.42.0.7'], conditions: { ready: true } }],
  });
  const input = await waitFor(() => restores().map((c) => c.input!).find((i) => i.includes('DNAT --to-destination 10.42.0.7:8080')), 'a DNAT rule');
  assert.doesNotMatch(input, /^-I /m);
});

test('ServiceLB sets the node InternalIP on a LoadBalancer Service and clears it when the type changes', async () => {
  await admin.create('/api/v1/nodes', { metadata: { name: 'n1' } });
  await admin.patch('/api/v1/nodes/n1/status', { status: { addresses: [{ type: 'InternalIP', address: '192.168.5.5' }] } }, 'merge');
  await admin.create('/api/v1/namespaces/default/services', { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
  const ingress = async () => (await admin.get('/api/v1/namespaces/default/services/lb')).status?.loadBalancer?.ingress;
  await waitFor(async () => (await ingress())?.[0]?.ip === '192.168.5.5' || undefined, 'the ingress IP');
  await waitFor(() => restores().some((c) => c.input?.includes('-d 192.168.5.5/32 -p tcp -m tcp --dport 80')) || undefined, 'the load-balancer IP in the rules');
  const svc = await admin.get('/api/v1/namespaces/default/services/lb');
  svc.spec.type = 'ClusterIP';
  delete svc.spec.externalTrafficPolicy;
  delete svc.spec.allocateLoadBalancerNodePorts;
  for (const p of svc.spec.ports) delete p.nodePort;
  await admin.update('/api/v1/namespaces/default/services/lb', svc);
  await waitFor(async () => ((await ingress()) ?? []).length === 0 || undefined, 'the ingress to be cleared');
});

test('stop() deletes our chains', async () => {
  await proxy.stop();
  const last = restores().at(-1)!.input!;
  assert.match(last, /^-X KTS-SERVICES$/m);
  assert.match(last, /^-X KTS-POSTROUTING$/m);
  assert.equal([...kernel.nat, ...kernel.filter].length, 0);
});
