// Discovery documents served by the API server pipeline, compared with what
// kube-apiserver 1.32 serves (legacy /api, /apis, group and group-version
// documents, and apidiscovery.k8s.io/v2 aggregated discovery).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiServer, type ApiRequest } from './api-server.js';
import { MemoryStore } from '../storage/memory.js';
import { compareVersions } from './discovery.js';

const ADMIN = { name: 'admin', groups: ['system:masters'] };
const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
let api: ApiServer;

before(async () => {
  api = new ApiServer({ store: new MemoryStore(), serverAddress: '10.0.0.1:6443' });
  await api.start();
});
after(async () => {
  await api.stop();
});

async function get(path: string, accept?: string): Promise<{ status: number; contentType: string; body: any }> {
  const req: ApiRequest = { method: 'GET', path, query: new URLSearchParams(), headers: { accept }, user: ADMIN };
  const res = await api.handle(req);
  assert.ok('body' in res, 'not a stream');
  return { status: res.status, contentType: res.contentType, body: JSON.parse(res.body) };
}

test('/api lists v1 and the server address', async () => {
  const r = await get('/api');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }] });
});

test('/apis lists groups in upstream priority order, autoscaling preferring v2', async () => {
  const r = await get('/apis');
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'APIGroupList');
  assert.equal(r.body.apiVersion, 'v1');
  const names: string[] = r.body.groups.map((g: any) => g.name);
  assert.ok(!names.includes(''), 'the core group is not in /apis');
  // Relative order of upstream's apiVersionPriorities (kube-aggregator), for the groups served.
  const upstreamOrder = [
    'apps',
    'events.k8s.io',
    'autoscaling',
    'batch',
    'certificates.k8s.io',
    'networking.k8s.io',
    'policy',
    'rbac.authorization.k8s.io',
    'storage.k8s.io',
    'admissionregistration.k8s.io',
    'apiextensions.k8s.io',
    'scheduling.k8s.io',
    'coordination.k8s.io',
    'node.k8s.io',
    'discovery.k8s.io',
  ];
  const served = upstreamOrder.filter((g) => names.includes(g));
  assert.deepEqual(names.filter((n) => upstreamOrder.includes(n)), served);
  for (const g of ['apps', 'autoscaling', 'batch', 'rbac.authorization.k8s.io', 'coordination.k8s.io']) assert.ok(names.includes(g), g);

  const autoscaling = r.body.groups.find((g: any) => g.name === 'autoscaling');
  assert.deepEqual(autoscaling, {
    name: 'autoscaling',
    versions: [
      { groupVersion: 'autoscaling/v2', version: 'v2' },
      { groupVersion: 'autoscaling/v1', version: 'v1' },
    ],
    preferredVersion: { groupVersion: 'autoscaling/v2', version: 'v2' },
  });
  const apps = r.body.groups.find((g: any) => g.name === 'apps');
  assert.deepEqual(apps.preferredVersion, { groupVersion: 'apps/v1', version: 'v1' });
});

test('/apis/<group> is an APIGroup; unknown groups and versions are 404', async () => {
  const r = await get('/apis/autoscaling');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: 'autoscaling',
    versions: [
      { groupVersion: 'autoscaling/v2', version: 'v2' },
      { groupVersion: 'autoscaling/v1', version: 'v1' },
    ],
    preferredVersion: { groupVersion: 'autoscaling/v2', version: 'v2' },
  });
  for (const p of ['/apis/nope.example.com', '/apis/apps/v1beta1', '/api/v2']) {
    const nf = await get(p);
    assert.equal(nf.status, 404, p);
    assert.equal(nf.body.kind, 'Status');
    assert.equal(nf.body.reason, 'NotFound');
  }
});

test('/api/v1 lists resources sorted by name, subresources after their resource', async () => {
  const r = await get('/api/v1');
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'APIResourceList');
  assert.equal(r.body.groupVersion, 'v1');
  const names: string[] = r.body.resources.map((x: any) => x.name);
  assert.deepEqual(names, [...names].sort());
  for (const n of ['pods', 'pods/status', 'pods/log', 'pods/exec', 'pods/binding', 'pods/eviction', 'namespaces', 'namespaces/status', 'namespaces/finalize', 'nodes/status', 'services/status', 'configmaps', 'secrets']) {
    assert.ok(names.includes(n), n);
  }
  const pods = r.body.resources.find((x: any) => x.name === 'pods');
  assert.deepEqual(
    { name: pods.name, singularName: pods.singularName, namespaced: pods.namespaced, kind: pods.kind, verbs: pods.verbs, shortNames: pods.shortNames, categories: pods.categories },
    {
      name: 'pods',
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['po'],
      categories: ['all'],
    },
  );
  const status = r.body.resources.find((x: any) => x.name === 'pods/status');
  assert.deepEqual(status, { name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] });
  const eviction = r.body.resources.find((x: any) => x.name === 'pods/eviction');
  assert.deepEqual(eviction, { name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
  const ns = r.body.resources.find((x: any) => x.name === 'namespaces');
  assert.equal(ns.namespaced, false);
  assert.deepEqual(ns.shortNames, ['ns']);
});

test('/apis/apps/v1 has deployments/scale as an autoscaling/v1 Scale', async () => {
  const r = await get('/apis/apps/v1');
  assert.equal(r.status, 200);
  assert.equal(r.body.groupVersion, 'apps/v1');
  const scale = r.body.resources.find((x: any) => x.name === 'deployments/scale');
  assert.deepEqual(scale, { name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
  const d = r.body.resources.find((x: any) => x.name === 'deployments');
  assert.deepEqual(d.shortNames, ['deploy']);
  assert.deepEqual(d.categories, ['all']);
});

test('aggregated discovery for /apis: content type, groups without core, resources with subresources', async () => {
  const r = await get('/apis', AGGREGATED);
  assert.equal(r.status, 200);
  assert.equal(r.contentType, 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  assert.equal(r.body.kind, 'APIGroupDiscoveryList');
  assert.equal(r.body.apiVersion, 'apidiscovery.k8s.io/v2');
  const names: string[] = r.body.items.map((i: any) => i.metadata.name);
  assert.ok(!names.includes(undefined as any) && !names.includes(''));
  const legacy = (await get('/apis')).body.groups.map((g: any) => g.name);
  assert.deepEqual(names, legacy, 'same groups in the same order as /apis');

  const autoscaling = r.body.items.find((i: any) => i.metadata.name === 'autoscaling');
  assert.deepEqual(
    autoscaling.versions.map((v: any) => v.version),
    ['v2', 'v1'],
  );
  for (const v of autoscaling.versions) assert.equal(v.freshness, 'Current');

  const apps = r.body.items.find((i: any) => i.metadata.name === 'apps');
  const deployments = apps.versions[0].resources.find((x: any) => x.resource === 'deployments');
  assert.deepEqual(deployments.responseKind, { group: 'apps', version: 'v1', kind: 'Deployment' });
  assert.equal(deployments.scope, 'Namespaced');
  assert.equal(deployments.singularResource, 'deployment');
  assert.deepEqual(deployments.shortNames, ['deploy']);
  assert.deepEqual(
    deployments.subresources.map((s: any) => [s.subresource, s.responseKind, s.verbs]),
    [
      ['scale', { group: 'autoscaling', version: 'v1', kind: 'Scale' }, ['get', 'patch', 'update']],
      ['status', { group: 'apps', version: 'v1', kind: 'Deployment' }, ['get', 'patch', 'update']],
    ],
  );
});

test('aggregated discovery for /api holds only the core group', async () => {
  const r = await get('/api', AGGREGATED);
  assert.equal(r.status, 200);
  assert.equal(r.contentType, 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  assert.equal(r.body.items.length, 1);
  const core = r.body.items[0];
  assert.equal(core.metadata.name, undefined);
  assert.deepEqual(core.versions.map((v: any) => v.version), ['v1']);
  const nodes = core.versions[0].resources.find((x: any) => x.resource === 'nodes');
  assert.equal(nodes.scope, 'Cluster');
  assert.deepEqual(nodes.responseKind, { group: '', version: 'v1', kind: 'Node' });
});

test('aggregated discovery is only served when asked for; plain JSON otherwise', async () => {
  const plain = await get('/apis', 'application/json');
  assert.equal(plain.contentType, 'application/json');
  assert.equal(plain.body.kind, 'APIGroupList');
  // The aggregated form is offered only for /api and /apis: a group document falls back to JSON.
  const group = await get('/apis/apps', AGGREGATED);
  assert.equal(group.status, 200);
  assert.equal(group.body.kind, 'APIGroup');
});

test('discovery rejects writes', async () => {
  const res = await api.handle({ method: 'POST', path: '/apis', query: new URLSearchParams(), headers: {}, body: Buffer.from('{}'), user: ADMIN });
  assert.ok('body' in res);
  assert.equal(res.status, 405);
  assert.equal(JSON.parse(res.body).reason, 'MethodNotAllowed');
});

test('compareVersions: GA before beta before alpha, higher numbers first', () => {
  const vs = ['v1alpha1', 'v1', 'v2beta1', 'v1beta2', 'v2', 'v1beta1', 'v10', 'foo'];
  assert.deepEqual([...vs].sort(compareVersions), ['v10', 'v2', 'v1', 'v2beta1', 'v1beta2', 'v1beta1', 'v1alpha1', 'foo']);
});
