// The Endpoints controller against an in-process API server: addresses of
// ready and not-ready pods, named ports, publishNotReadyAddresses, selector
// changes, hostnames, repacking, deletion and recreation.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../apiserver/api-server.js';
import type { InProcessClient } from '../client/in-process.js';
import { SharedInformerFactory } from '../client/informer.js';
import { EndpointsController, repackSubsets, TriggerTimeTracker, truncateSubsets, formatTriggerTime, LAST_CHANGE_TRIGGER_TIME_ANNOTATION } from './endpoints.js';
import { startTestApi, waitFor, sleep } from './testing.js';

let api: ApiServer;
let client: InProcessClient;
let admin: InProcessClient;
let factory: SharedInformerFactory;
let ctrl: EndpointsController;
let running: Promise<void>;

before(async () => {
  ({ api, client, admin } = await startTestApi());
  await admin.create('/api/v1/namespaces', { metadata: { name: 'ep' } });
  await admin.create('/api/v1/nodes', { metadata: { name: 'node-a' } });
  factory = new SharedInformerFactory(client);
  ctrl = new EndpointsController(client, factory);
  factory.start();
  running = ctrl.run(2);
});

after(async () => {
  await ctrl.stop();
  await running;
  factory.stop();
  await api.stop();
});

const ns = 'ep';
let ipSeq = 10;

async function makePod(name: string, labels: Record<string, string>, opts: { ready?: boolean; ports?: any[]; hostname?: string; subdomain?: string } = {}): Promise<any> {
  const pod = await admin.create(`/api/v1/namespaces/${ns}/pods`, {
    metadata: { name, labels },
    spec: { nodeName: 'node-a', hostname: opts.hostname, subdomain: opts.subdomain, containers: [{ name: 'c', image: 'x', ports: opts.ports ?? [] }] },
  });
  return setPodStatus(pod, `10.0.0.${ipSeq++}`, opts.ready ?? true);
}

async function setPodStatus(pod: any, ip: string, ready: boolean): Promise<any> {
  const path = `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}`;
  const cur = await admin.get(path);
  const t = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return admin.update(`${path}/status`, {
    ...cur,
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: t }] },
  });
}

async function endpointsOf(name: string): Promise<any> {
  return admin.get(`/api/v1/namespaces/${ns}/endpoints/${name}`);
}

async function waitEndpoints(name: string, pred: (ep: any) => boolean, what: string): Promise<any> {
  return waitFor(async () => {
    const ep = await endpointsOf(name);
    return pred(ep) ? ep : undefined;
  }, what);
}

const ips = (list: any[] | undefined) => (list ?? []).map((a) => a.ip).sort();

test('ready and not-ready pods, with targetRef, nodeName, labels and trigger time', async () => {
  const svc = await admin.create(`/api/v1/namespaces/${ns}/services`, {
    metadata: { name: 'web', labels: { tier: 'front' } },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  });
  const a = await makePod('web-a', { app: 'web' });
  const b = await makePod('web-b', { app: 'web' }, { ready: false });
  await makePod('other', { app: 'other' });
  const ep = await waitEndpoints('web', (e) => e.subsets?.[0]?.addresses?.length === 1 && e.subsets[0].notReadyAddresses?.length === 1, 'one ready, one not');
  assert.equal(ep.subsets.length, 1);
  assert.deepEqual(ep.subsets[0].ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  const addr = ep.subsets[0].addresses[0];
  assert.equal(addr.ip, a.status.podIP);
  assert.equal(addr.nodeName, 'node-a');
  assert.deepEqual(addr.targetRef, { kind: 'Pod', namespace: ns, name: 'web-a', uid: a.metadata.uid });
  assert.equal(ep.subsets[0].notReadyAddresses[0].ip, b.status.podIP);
  assert.equal(ep.metadata.labels.tier, 'front');
  assert.ok(ep.metadata.annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION]);
  assert.equal(svc.spec.clusterIP === 'None', false);

  // b becomes ready; a becomes unready: moved within a second.
  await setPodStatus(b, b.status.podIP, true);
  await setPodStatus(a, a.status.podIP, false);
  const moved = await waitEndpoints('web', (e) => ips(e.subsets?.[0]?.addresses).join() === b.status.podIP && ips(e.subsets?.[0]?.notReadyAddresses).join() === a.status.podIP, 'ready swapped');
  assert.ok(moved);

  // A terminating pod leaves the Endpoints.
  await admin.delete(`/api/v1/namespaces/${ns}/pods/web-a`);
  await waitEndpoints('web', (e) => (e.subsets ?? []).every((s: any) => !(s.notReadyAddresses ?? []).length), 'deleted pod removed');
});

test('named target ports resolve per pod; pods without the port are left out of that port', async () => {
  await admin.create(`/api/v1/namespaces/${ns}/services`, {
    metadata: { name: 'named' },
    spec: { selector: { app: 'named' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9090, targetPort: 9090 }] },
  });
  const p1 = await makePod('named-1', { app: 'named' }, { ports: [{ name: 'http', containerPort: 8080 }] });
  const p2 = await makePod('named-2', { app: 'named' }, { ports: [{ name: 'http', containerPort: 8081 }] });
  const p3 = await makePod('named-3', { app: 'named' });
  // Three subsets, the metrics one with all three pods (two subsets of two pods come first while pods arrive).
  const ep = await waitEndpoints('named', (e) => (e.subsets ?? []).length === 3 && e.subsets.some((s: any) => s.ports.length === 1 && s.ports[0].name === 'metrics' && s.addresses?.length === 3), 'three subsets');
  const find = (port: number) => ep.subsets.find((s: any) => s.ports.some((p: any) => p.port === port && p.name === 'web'));
  assert.deepEqual(ips(find(8080).addresses), [p1.status.podIP]);
  assert.deepEqual(ips(find(8081).addresses), [p2.status.podIP]);
  // Every pod offers the metrics port: one subset for it with all three (RepackSubsets groups ports by address set).
  const metrics = ep.subsets.find((s: any) => s.ports.length === 1 && s.ports[0].name === 'metrics');
  assert.deepEqual(ips(metrics.addresses), [p1.status.podIP, p2.status.podIP, p3.status.podIP].sort());
  assert.equal(find(8080).ports.length, 1);
});

test('publishNotReadyAddresses lists not-ready pods as addresses; hostname with matching subdomain', async () => {
  await admin.create(`/api/v1/namespaces/${ns}/services`, {
    metadata: { name: 'db' },
    spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: { app: 'db' }, ports: [{ port: 5432 }] },
  });
  await makePod('db-0', { app: 'db' }, { ready: false, hostname: 'db-0', subdomain: 'db' });
  await makePod('db-1', { app: 'db' }, { ready: false, hostname: 'db-1', subdomain: 'elsewhere' });
  const ep = await waitEndpoints('db', (e) => e.subsets?.[0]?.addresses?.length === 2, 'two addresses');
  assert.equal(ep.subsets[0].notReadyAddresses, undefined);
  const byName = Object.fromEntries(ep.subsets[0].addresses.map((a: any) => [a.targetRef.name, a]));
  assert.equal(byName['db-0'].hostname, 'db-0');
  assert.equal(byName['db-1'].hostname, undefined);
  assert.equal(ep.metadata.labels['service.kubernetes.io/headless'], '');
});

test('selector changes move the addresses; services without a selector are left alone', async () => {
  await admin.create(`/api/v1/namespaces/${ns}/services`, { metadata: { name: 'sel' }, spec: { selector: { v: '1' }, ports: [{ port: 80 }] } });
  const one = await makePod('sel-1', { v: '1' });
  const two = await makePod('sel-2', { v: '2' });
  await waitEndpoints('sel', (e) => ips(e.subsets?.[0]?.addresses).join() === one.status.podIP, 'v1 pod');
  await admin.patch(`/api/v1/namespaces/${ns}/services/sel`, { spec: { selector: { v: '2' } } });
  await waitEndpoints('sel', (e) => ips(e.subsets?.[0]?.addresses).join() === two.status.podIP, 'v2 pod');
  // Relabelling a pod moves it too.
  await admin.patch(`/api/v1/namespaces/${ns}/pods/sel-1`, { metadata: { labels: { v: '2' } } });
  await waitEndpoints('sel', (e) => e.subsets?.[0]?.addresses?.length === 2, 'both pods');

  await admin.create(`/api/v1/namespaces/${ns}/services`, { metadata: { name: 'manual' }, spec: { ports: [{ port: 80 }] } });
  await admin.create(`/api/v1/namespaces/${ns}/endpoints`, { metadata: { name: 'manual' }, subsets: [{ addresses: [{ ip: '192.168.1.1' }], ports: [{ port: 80 }] }] });
  await sleep(200);
  assert.equal((await endpointsOf('manual')).subsets[0].addresses[0].ip, '192.168.1.1');
});

test('deleted Endpoints are recreated; a deleted Service takes its Endpoints along', async () => {
  await admin.create(`/api/v1/namespaces/${ns}/services`, { metadata: { name: 'gone' }, spec: { selector: { app: 'gone' }, ports: [{ port: 80 }] } });
  await makePod('gone-1', { app: 'gone' });
  await waitEndpoints('gone', (e) => e.subsets?.[0]?.addresses?.length === 1, 'endpoints');
  await admin.delete(`/api/v1/namespaces/${ns}/endpoints/gone`);
  await waitEndpoints('gone', (e) => e.subsets?.[0]?.addresses?.length === 1, 'recreated');
  await admin.delete(`/api/v1/namespaces/${ns}/services/gone`);
  await waitFor(async () => {
    try {
      await endpointsOf('gone');
      return false;
    } catch {
      return true;
    }
  }, 'endpoints deleted');
});

test('the kubernetes Service in default is left to the API server', async () => {
  await sleep(100);
  const ep = await admin.get('/api/v1/namespaces/default/endpoints').then((l: any) => l.items.find((e: any) => e.metadata.name === 'kubernetes'));
  // Whatever the API server wrote (or nothing) stays untouched by the controller: no managed labels from it.
  if (ep) assert.equal(ep.metadata.annotations?.[LAST_CHANGE_TRIGGER_TIME_ANNOTATION], undefined);
});

test('an idle sync writes nothing', async () => {
  const before = await endpointsOf('web');
  await ctrl.syncHandler(`${ns}/web`);
  const afterEp = await endpointsOf('web');
  assert.equal(afterEp.metadata.resourceVersion, before.metadata.resourceVersion);
});

test('repackSubsets groups ports by address set, ready winning', () => {
  const a = { ip: '1.1.1.1' };
  const b = { ip: '2.2.2.2' };
  const p80 = { name: 'a', port: 80, protocol: 'TCP' as const };
  const p90 = { name: 'b', port: 90, protocol: 'TCP' as const };
  const out = repackSubsets([
    { addresses: [a], ports: [p80] },
    { addresses: [a], ports: [p90] },
    { notReadyAddresses: [a], ports: [p80] },
    { notReadyAddresses: [b], ports: [p80] },
  ]);
  assert.deepEqual(out, [
    { addresses: [a], ports: [p90] },
    { addresses: [a], notReadyAddresses: [b], ports: [p80] },
  ]);
});

test('truncateSubsets drops not-ready addresses first', () => {
  const mk = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ ip: `${prefix}.${i}` }));
  const subsets: any[] = [{ addresses: mk(3, 'r'), notReadyAddresses: mk(4, 'n') }];
  assert.equal(truncateSubsets(subsets, 5), true);
  assert.equal(subsets[0].addresses.length, 3);
  assert.equal(subsets[0].notReadyAddresses.length, 2);
  assert.equal(truncateSubsets([{ addresses: mk(2, 'r') }], 5), false);
});

test('TriggerTimeTracker reports creation first, then the earliest changed pod', () => {
  const tt = new TriggerTimeTracker();
  const svc: any = { metadata: { namespace: 'n', name: 's', creationTimestamp: '2024-01-01T00:00:00Z' } };
  const pod = (name: string, t: string): any => ({ metadata: { name }, status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: t }] } });
  assert.equal(tt.compute(svc, [pod('a', '2024-01-01T00:00:05Z')]), Date.parse('2024-01-01T00:00:00Z'));
  assert.equal(tt.compute(svc, [pod('a', '2024-01-01T00:00:05Z')]), 0);
  assert.equal(tt.compute(svc, [pod('a', '2024-01-01T00:00:09Z'), pod('b', '2024-01-01T00:00:07Z')]), Date.parse('2024-01-01T00:00:07Z'));
  assert.equal(formatTriggerTime(Date.parse('2024-01-01T00:00:07Z')), '2024-01-01T00:00:07Z');
  assert.equal(formatTriggerTime(Date.parse('2024-01-01T00:00:07.120Z')), '2024-01-01T00:00:07.12Z');
});
