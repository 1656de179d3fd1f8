// The service proxy against the real kernel, inside network namespaces this
// test creates (never the host's): a "node" namespace holds the rules and a
// "pod" namespace, joined to it by a veth pair, runs an HTTP server on two
// addresses (two endpoints) that answers with the address it was reached on.
// Clients run in the node namespace (ClusterIP, NodePort from the node) and
// in the pod namespace (NodePort from outside the node, which needs
// forwarding and masquerade).

import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { run, startKts, eventually, type KtsProcess } from './harness.js';
import { applyServiceRules, Iptables } from '../../src/proxy/iptables.js';
import { startServiceProxy, type ServiceProxy } from '../../src/proxy/proxier.js';
import { startServiceLB, type ServiceLBController } from '../../src/proxy/service-lb.js';
import { HttpClient } from '../../src/client/http-client.js';

const id = randomBytes(3).toString('hex');
const NODE_NS = `kts-pxtest-${id}-n`;
const POD_NS = `kts-pxtest-${id}-p`;
const NODE_IP = '10.42.99.1';
const POD_A = '10.42.99.2';
const POD_B = '10.42.99.3';
let server: ChildProcess | undefined;

async function sh(args: string[]): Promise<string> {
  const r = await run(args[0], args.slice(1), { timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** One HTTP GET from inside a namespace: the body, or the curl exit code and time taken. */
async function get(ns: string, url: string): Promise<{ ok: boolean; body: string; code: number; ms: number }> {
  const t0 = Date.now();
  const r = await run('ip', ['netns', 'exec', ns, 'curl', '-s', '-m', '3', url], { timeoutMs: 10_000 });
  return { ok: r.code === 0, body: r.stdout.trim(), code: r.code, ms: Date.now() - t0 };
}

async function counts(ns: string, url: string, n: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await get(ns, url);
    assert.ok(r.ok, `GET ${url} from ${ns} failed with curl code ${r.code}`);
    out[r.body] = (out[r.body] ?? 0) + 1;
  }
  return out;
}

async function iptablesSave(ns: string): Promise<string> {
  return sh(['ip', 'netns', 'exec', ns, 'iptables-save']);
}

const SERVER = `require('http').createServer((q, s) => s.end(q.socket.localAddress)).listen(8080, '0.0.0.0')`;

before(async () => {
  await sh(['ip', 'netns', 'add', NODE_NS]);
  await sh(['ip', 'netns', 'add', POD_NS]);
  await sh(['ip', '-n', NODE_NS, 'link', 'add', `pxn${id}`, 'type', 'veth', 'peer', 'name', `pxp${id}`, 'netns', POD_NS]);
  await sh(['ip', '-n', NODE_NS, 'addr', 'add', `${NODE_IP}/24`, 'dev', `pxn${id}`]);
  await sh(['ip', '-n', POD_NS, 'addr', 'add', `${POD_A}/24`, 'dev', `pxp${id}`]);
  await sh(['ip', '-n', POD_NS, 'addr', 'add', `${POD_B}/24`, 'dev', `pxp${id}`]);
  for (const [ns, dev] of [[NODE_NS, `pxn${id}`], [POD_NS, `pxp${id}`]]) {
    await sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    await sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
  }
  // Service IPs (10.43/16) must be routable for the OUTPUT path to reach the DNAT.
  await sh(['ip', '-n', NODE_NS, 'route', 'add', 'default', 'via', POD_A]);
  await sh(['ip', '-n', POD_NS, 'route', 'add', 'default', 'via', NODE_IP]);
  await sh(['ip', 'netns', 'exec', NODE_NS, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  server = spawn('ip', ['netns', 'exec', POD_NS, process.execPath, '-e', SERVER], { stdio: 'ignore' });
  await eventually('the pod server', async () => ((await get(NODE_NS, `http://${POD_B}:8080/`)).ok ? true : undefined), 10_000);
});

after(async () => {
  server?.kill('SIGKILL');
  await run('ip', ['netns', 'del', POD_NS]);
  await run('ip', ['netns', 'del', NODE_NS]);
});

function service(name: string, clusterIP: string, spec: Partial<Service['spec']> & object = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'default', name },
    spec: { type: 'ClusterIP', clusterIP, ports: [{ name: 'http', port: 80, protocol: 'TCP' }], ...spec },
  };
}

function slice(serviceName: string, ips: string[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: 'default', name: `${serviceName}-1`, labels: { 'kubernetes.io/service-name': serviceName, 'endpointslice.kubernetes.io/managed-by': 'test' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: 'n1' })),
  };
}

describe('rules applied with applyServiceRules', () => {
  const services = [
    service('web', '10.43.0.10', { type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }),
    service('sticky', '10.43.0.11', { sessionAffinity: 'ClientIP' }),
    service('empty', '10.43.0.12', { type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30082 }] }),
    service('one', '10.43.0.13'),
  ];
  const slices = [slice('web', [POD_A, POD_B]), slice('sticky', [POD_A, POD_B]), slice('one', [POD_A])];

  before(async () => {
    await applyServiceRules(services, slices, { nodeName: 'n1' }, { netns: NODE_NS });
  });

  test('ClusterIP reaches the pod', async () => {
    const r = await get(NODE_NS, 'http://10.43.0.13/');
    assert.ok(r.ok, `curl code ${r.code}`);
    assert.equal(r.body, POD_A);
  });

  test('two endpoints both get traffic over 40 requests', async () => {
    const c = await counts(NODE_NS, 'http://10.43.0.10/', 40);
    assert.deepEqual(Object.keys(c).sort(), [POD_A, POD_B], JSON.stringify(c));
  });

  test('NodePort on the node address, from the node and from outside it (masqueraded)', async () => {
    const fromNode = await counts(NODE_NS, `http://${NODE_IP}:30080/`, 10);
    assert.ok(Object.keys(fromNode).every((k) => k === POD_A || k === POD_B), JSON.stringify(fromNode));
    // From the pod namespace: DNAT to 10.42.99.2/.3 and back out the same link; without SNAT the reply would never return.
    const fromOutside = await counts(POD_NS, `http://${NODE_IP}:30080/`, 10);
    assert.ok(Object.keys(fromOutside).every((k) => k === POD_A || k === POD_B), JSON.stringify(fromOutside));
  });

  test('no endpoints: connection refused at once, for the ClusterIP and the NodePort', async () => {
    for (const url of ['http://10.43.0.12/', `http://${NODE_IP}:30082/`]) {
      const r = await get(NODE_NS, url);
      assert.equal(r.code, 7, `${url}: curl code ${r.code} (7 is "connection refused")`);
      assert.ok(r.ms < 1000, `${url} took ${r.ms} ms`);
    }
  });

  test('sessionAffinity ClientIP sticks to one endpoint', async () => {
    const c = await counts(NODE_NS, 'http://10.43.0.11/', 20);
    assert.equal(Object.keys(c).length, 1, JSON.stringify(c));
  });

  test('re-applying is idempotent and removing a service removes its chains', async () => {
    const before1 = await iptablesSave(NODE_NS);
    await applyServiceRules(services, slices, { nodeName: 'n1' }, { netns: NODE_NS });
    const strip = (s: string) => s.split('\n').filter((l) => !l.startsWith('#')).join('\n');
    assert.equal(strip(await iptablesSave(NODE_NS)), strip(before1));
    await applyServiceRules(services.slice(0, 1), slices.slice(0, 1), { nodeName: 'n1' }, { netns: NODE_NS });
    const after1 = await iptablesSave(NODE_NS);
    assert.ok(!after1.includes('default/one') && !after1.includes('default/sticky'));
    assert.equal(after1.match(/^:KTS-SEP-/gm)?.length, 2);
  });

  test('cleanup leaves no KTS- chain or jump', async () => {
    await new Iptables({ netns: NODE_NS }).cleanup();
    assert.doesNotMatch(await iptablesSave(NODE_NS), /KTS-/);
  });
});

describe('the proxier and ServiceLB against a kts server', () => {
  let kts: KtsProcess;
  let client: HttpClient;
  let proxy: ServiceProxy | undefined;
  let lb: ServiceLBController | undefined;

  before(async () => {
    kts = await startKts({ storage: 'memory' });
    client = HttpClient.fromKubeconfig(kts.kubeconfig);
    proxy = await startServiceProxy(client, { nodeName: 'n1', netns: NODE_NS, minSyncIntervalMs: 100 });
    lb = await startServiceLB(client);
  });

  after(async () => {
    await lb?.stop();
    await proxy?.stop();
    client?.close();
    await kts?.stop();
  });

  test('a Service and EndpointSlice created with kubectl work within a second', async () => {
    const svc = service('api', '', {});
    delete svc.spec!.clusterIP;
    await kts.k(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [svc, slice('api', [POD_B])] }));
    const t0 = Date.now();
    const ip = (await kts.k(['get', 'svc', 'api', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const body = await eventually('the ClusterIP to answer', async () => {
      const r = await get(NODE_NS, `http://${ip}/`);
      return r.ok ? r.body : undefined;
    }, 1000);
    assert.equal(body, POD_B);
    assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
  });

  test('ServiceLB gives a LoadBalancer Service the node InternalIP, and the proxy serves it there', async () => {
    await kts.k(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }));
    await kts.k(['patch', 'node', 'n1', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { addresses: [{ type: 'InternalIP', address: NODE_IP }], conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }] } })]);
    const svc = service('lb', '', { type: 'LoadBalancer', ports: [{ name: 'http', port: 8081, protocol: 'TCP' }] });
    delete svc.spec!.clusterIP;
    await kts.k(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [svc, slice('lb', [POD_A])] }));
    await eventually('the ingress IP', async () => ((await kts.k(['get', 'svc', 'lb', '-o', 'jsonpath={.status.loadBalancer.ingress[*].ip}'])).trim() === NODE_IP ? true : undefined), 5000);
    // From outside the node, to the load-balancer IP and service port.
    const body = await eventually('the LoadBalancer IP to answer', async () => {
      const r = await get(POD_NS, `http://${NODE_IP}:8081/`);
      return r.ok ? r.body : undefined;
    }, 3000);
    assert.equal(body, POD_A);
    // Back to ClusterIP: the ingress is cleared and the port closes.
    await kts.k(['patch', 'svc', 'lb', '--type=merge', '-p', JSON.stringify({ spec: { type: 'ClusterIP', externalTrafficPolicy: null, allocateLoadBalancerNodePorts: null, ports: [{ name: 'http', port: 8081, protocol: 'TCP', targetPort: 8081, nodePort: null }] } })]);
    await eventually('the ingress to be cleared', async () => ((await kts.k(['get', 'svc', 'lb', '-o', 'jsonpath={.status.loadBalancer.ingress}'])).trim() === '' ? true : undefined), 5000);
    await eventually('the LoadBalancer IP to stop answering', async () => ((await get(POD_NS, `http://${NODE_IP}:8081/`)).ok ? undefined : true), 3000);
  });

  test('stop() removes every KTS- chain and jump', async () => {
    const saved = await iptablesSave(NODE_NS);
    // Several syncs ran; each jump is there once.
    const jumps = saved.match(/^-A (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) .*-j KTS-.*$/gm) ?? [];
    assert.equal(jumps.length, 10, saved);
    assert.equal(new Set(jumps).size, 10, saved);
    await proxy!.stop();
    proxy = undefined;
    assert.doesNotMatch(await iptablesSave(NODE_NS), /KTS-/);
  });
});
