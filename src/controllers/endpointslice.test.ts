// The EndpointSlice controller against an in-process API server: slices
// owned by the Service, conditions for ready, not-ready and terminating
// pods, named ports, publishNotReadyAddresses, selector changes, the
// per-slice limit, the placeholder slice, and repair of deleted slices.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../apiserver/api-server.js';
import type { InProcessClient } from '../client/in-process.js';
import { SharedInformerFactory } from '../client/informer.js';
import { EndpointSliceController, planSlices, CONTROLLER_NAME, MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from './endpointslice.js';
import { GarbageCollector } from './garbage-collector.js';
import { startTestApi, waitFor, sleep } from './testing.js';

let api: ApiServer;
let client: InProcessClient;
let admin: InProcessClient;
let factory: SharedInformerFactory;
let ctrl: EndpointSliceController;
let running: Promise<void>;
let gc: GarbageCollector;

const ns = 'eps';

before(async () => {
  ({ api, client, admin } = await startTestApi());
  await admin.create('/api/v1/namespaces', { metadata: { name: ns } });
  await admin.create('/api/v1/nodes', { metadata: { name: 'node-a', labels: { 'topology.kubernetes.io/zone': 'zone-1' } } });
  factory = new SharedInformerFactory(client);
  ctrl = new EndpointSliceController(client, factory, { maxEndpointsPerSlice: 3 });
  // The slices go with their Service through the garbage collector, as upstream.
  gc = new GarbageCollector(client, { resources: () => api.registry.all(), factory });
  factory.start();
  running = ctrl.run(2);
  void gc.run();
});

after(async () => {
  await ctrl.stop();
  await gc.stop();
  await running;
  factory.stop();
  await api.stop();
});

let ipSeq = 10;

async function makePod(name: string, labels: Record<string, string>, opts: { ready?: boolean; ports?: any[] } = {}): Promise<any> {
  const pod = await admin.create(`/api/v1/namespaces/${ns}/pods`, {
    metadata: { name, labels },
    spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'x', ports: opts.ports ?? [] }] },
  });
  return setPodStatus(pod, `10.1.0.${ipSeq++}`, opts.ready ?? true);
}

async function setPodStatus(pod: any, ip: string, ready: boolean): Promise<any> {
  const path = `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}`;
  const cur = await admin.get(path);
  return admin.update(`${path}/status`, {
    ...cur,
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }] },
  });
}

async function slicesOf(svc: string): Promise<any[]> {
  const list = await admin.get(`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${svc}`)}`);
  return list.items;
}

async function waitSlices(svc: string, pred: (slices: any[], eps: any[]) => boolean, what: string): Promise<any[]> {
  return waitFor(async () => {
    const s = await slicesOf(svc);
    const eps = s.flatMap((x) => x.endpoints ?? []);
    return pred(s, eps) ? s : undefined;
  }, what);
}

const byPod = (eps: any[]) => Object.fromEntries(eps.map((e) => [e.targetRef.name, e]));

test('a slice owned by the Service, with conditions, node, zone and ports; readiness transitions', async () => {
  const svc = await admin.create(`/api/v1/namespaces/${ns}/services`, {
    metadata: { name: 'web', labels: { tier: 'front' } },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  });
  const a = await makePod('web-a', { app: 'web' });
  await makePod('web-b', { app: 'web' }, { ready: false });
  const [slice] = await waitSlices('web', (s, eps) => s.length === 1 && eps.length === 2, 'one slice, two endpoints');
  assert.match(slice.metadata.name, /^web-/);
  assert.equal(slice.metadata.generateName, 'web-');
  assert.equal(slice.addressType, 'IPv4');
  assert.equal(slice.metadata.labels[SERVICE_NAME_LABEL], 'web');
  assert.equal(slice.metadata.labels[MANAGED_BY_LABEL], CONTROLLER_NAME);
  assert.equal(slice.metadata.labels.tier, 'front');
  assert.deepEqual(slice.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(slice.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  const eps = byPod(slice.endpoints);
  assert.deepEqual(eps['web-a'], {
    addresses: [a.status.podIP],
    conditions: { ready: true, serving: true, terminating: false },
    nodeName: 'node-a',
    zone: 'zone-1',
    targetRef: { kind: 'Pod', namespace: ns, name: 'web-a', uid: a.metadata.uid },
  });
  assert.deepEqual(eps['web-b'].conditions, { ready: false, serving: false, terminating: false });

  await setPodStatus(a, a.status.podIP, false);
  await waitSlices('web', (_s, e) => byPod(e)['web-a']?.conditions.ready === false, 'web-a not ready');
  await setPodStatus(a, a.status.podIP, true);
  await waitSlices('web', (_s, e) => byPod(e)['web-a']?.conditions.ready === true, 'web-a ready again');

  // A terminating pod stays, marked terminating and not ready (kts deletes gracefully when a node is set).
  await admin.delete(`/api/v1/namespaces/${ns}/pods/web-a`);
  await waitSlices('web', (_s, e) => {
    const ep = byPod(e)['web-a'];
    return !ep || (ep.conditions.terminating === true && ep.conditions.ready === false && ep.conditions.serving === true);
  }, 'web-a terminating or gone');
});

test('named ports split endpoints by port set; publishNotReadyAddresses marks not-ready pods ready', async () => {
  await admin.create(`/api/v1/namespaces/${ns}/services`, {
    metadata: { name: 'named' },
    spec: { publishNotReadyAddresses: true, selector: { app: 'named' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] },
  });
  await makePod('named-1', { app: 'named' }, { ports: [{ name: 'http', containerPort: 8080 }], ready: false });
  await makePod('named-2', { app: 'named' }, { ports: [{ name: 'http', containerPort: 8081 }] });
  await makePod('named-3', { app: 'named' }); // no such port: no endpoint
  const slices = await waitSlices('named', (s, eps) => s.length === 2 && eps.length === 2, 'two slices');
  const ports = slices.map((s) => s.ports[0].port).sort();
  assert.deepEqual(ports, [8080, 8081]);
  const ep1 = slices.find((s) => s.ports[0].port === 8080).endpoints[0];
  assert.equal(ep1.targetRef.name, 'named-1');
  assert.deepEqual(ep1.conditions, { ready: true, serving: false, terminating: false });
});

test('selector changes; at most maxEndpointsPerSlice per slice; deleted slices are repaired', async () => {
  await admin.create(`/api/v1/namespaces/${ns}/services`, { metadata: { name: 'many' }, spec: { selector: { grp: 'x' }, ports: [{ port: 80 }] } });
  for (let i = 0; i < 5; i++) await makePod(`many-${i}`, { grp: 'x' });
  await makePod('many-y', { grp: 'y' });
  let slices = await waitSlices('many', (_s, eps) => eps.length === 5, 'five endpoints');
  assert.ok(slices.every((s) => s.endpoints.length <= 3));
  assert.equal(slices.length, 2);

  await admin.delete(`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices/${slices[0].metadata.name}`);
  await waitSlices('many', (_s, eps) => eps.length === 5, 'repaired');

  await admin.patch(`/api/v1/namespaces/${ns}/services/many`, { spec: { selector: { grp: 'y' } } });
  slices = await waitSlices('many', (s, eps) => s.length === 1 && eps.length === 1 && eps[0].targetRef.name === 'many-y', 'only many-y');
});

test('a Service without endpoints keeps a placeholder slice; no selector means no slices', async () => {
  await admin.create(`/api/v1/namespaces/${ns}/services`, { metadata: { name: 'empty' }, spec: { selector: { app: 'nobody' }, ports: [{ port: 80 }] } });
  const [placeholder] = await waitSlices('empty', (s) => s.length === 1, 'placeholder');
  assert.deepEqual(placeholder.endpoints ?? [], []);
  await admin.create(`/api/v1/namespaces/${ns}/services`, { metadata: { name: 'noselector' }, spec: { ports: [{ port: 80 }] } });
  await sleep(200);
  assert.equal((await slicesOf('noselector')).length, 0);
});

test('an idle sync writes nothing', async () => {
  await sleep(100);
  const before = (await slicesOf('many')).map((s) => s.metadata.resourceVersion);
  await ctrl.syncHandler(`${ns}/many`);
  const afterRVs = (await slicesOf('many')).map((s) => s.metadata.resourceVersion);
  assert.deepEqual(afterRVs, before);
});

test('planSlices fills existing slices before creating new ones and drops emptied ones', () => {
  const svc: any = { metadata: { name: 's', namespace: 'n', uid: 'u' }, spec: { clusterIP: '10.0.0.1', selector: { a: 'b' } } };
  const ports = [{ name: '', port: 80, protocol: 'TCP' }];
  const ep = (i: number): any => ({ addresses: [`1.1.1.${i}`], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', uid: `p${i}` } });
  const labels = { [SERVICE_NAME_LABEL]: 's', [MANAGED_BY_LABEL]: CONTROLLER_NAME };
  const existing: any[] = [
    { metadata: { name: 's-1', labels }, addressType: 'IPv4', ports, endpoints: [ep(1), ep(2)] },
    { metadata: { name: 's-2', labels }, addressType: 'IPv4', ports, endpoints: [ep(3)] },
  ];
  const key = JSON.stringify([['', 80, 'TCP', '']]);
  const desired = new Map([[key, { ports, endpoints: new Map([ep(1), ep(2), ep(4), ep(5), ep(6)].map((e) => [`uid:${e.targetRef.uid}`, e])) }]]);
  const plan = planSlices(svc, 'IPv4', existing, desired as any, 3, 0);
  assert.deepEqual(plan.delete.map((s) => s.metadata!.name), ['s-2']);
  assert.deepEqual(plan.update.map((s) => s.endpoints.length), [3]);
  assert.deepEqual(plan.create.map((s) => s.endpoints.length), [2]);
});

test('a deleted Service loses its slices (ownerReference, garbage collector) and none are recreated', async () => {
  await admin.create(`/api/v1/namespaces/${ns}/services`, { metadata: { name: 'bye' }, spec: { selector: { app: 'bye' }, ports: [{ port: 80 }] } });
  await makePod('bye-1', { app: 'bye' });
  await waitSlices('bye', (_s, eps) => eps.length === 1, 'one endpoint');
  await admin.delete(`/api/v1/namespaces/${ns}/services/bye`);
  await waitSlices('bye', (s) => s.length === 0, 'slices collected');
  await sleep(200);
  assert.equal((await slicesOf('bye')).length, 0);
});
