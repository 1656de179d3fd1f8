// Write semantics of the API server (create, update, patch, delete) driven
// through ApiServer.handle with the memory store, checked against upstream's
// generic registry (staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go),
// the request handlers (.../endpoints/handlers/{create,update,patch,delete}.go)
// and the per-kind strategies of kubernetes/kubernetes pkg/registry.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiServer } from './api-server.js';
import { MemoryStore } from '../storage/memory.js';

const ADMIN = { name: 'admin', groups: ['system:masters'] };
let api: ApiServer;

before(async () => {
  api = new ApiServer({ store: new MemoryStore() });
  await api.start();
});
after(async () => {
  await api.stop();
});

interface Res {
  status: number;
  contentType: string;
  body: any;
}

interface CallOpts {
  query?: string;
  body?: unknown;
  contentType?: string;
  accept?: string;
}

async function call(method: string, path: string, opts: CallOpts = {}): Promise<Res> {
  const body = opts.body === undefined ? undefined : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
  const res = await api.handle({
    method,
    path,
    query: new URLSearchParams(opts.query ?? ''),
    headers: { accept: opts.accept, contentType: opts.contentType ?? (body ? 'application/json' : undefined) },
    body,
    user: ADMIN,
  });
  assert.ok('body' in res, `${method} ${path} returned a stream`);
  return { status: res.status, contentType: res.contentType, body: JSON.parse(res.body) };
}

const CM = '/api/v1/namespaces/default/configmaps';
const DEPLOY = '/apis/apps/v1/namespaces/default/deployments';
const PODS = '/api/v1/namespaces/default/pods';

const cm = (name: string, data: Record<string, string> = { a: '1' }, meta: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...meta },
  data,
});

const deployment = (name: string, replicas = 1) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } },
  },
});

const pod = (name: string, extra: Record<string, unknown> = {}, container: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox', ...container }], ...extra },
});

async function mustCreate(path: string, obj: unknown, ns = 'default'): Promise<any> {
  const p = path.replace('/namespaces/default/', `/namespaces/${ns}/`);
  const r = await call('POST', p, { body: obj });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function mustGet(path: string): Promise<any> {
  const r = await call('GET', path);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

function assertStatus(r: Res, code: number, reason: string, message?: string | RegExp): void {
  assert.equal(r.status, code, JSON.stringify(r.body));
  assert.equal(r.body.kind, 'Status');
  assert.equal(r.body.apiVersion, 'v1');
  assert.equal(r.body.status, 'Failure');
  assert.equal(r.body.code, code);
  assert.equal(r.body.reason, reason);
  if (typeof message === 'string') assert.equal(r.body.message, message);
  else if (message) assert.match(r.body.message, message);
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// ------------------------------------------------------------------ create

test('create sets uid, creationTimestamp, resourceVersion, namespace from the URL; no generation for ConfigMaps', async () => {
  const r = await call('POST', CM, { body: cm('c-basic') });
  assert.equal(r.status, 201);
  const m = r.body.metadata;
  assert.equal(r.body.kind, 'ConfigMap');
  assert.equal(r.body.apiVersion, 'v1');
  assert.equal(m.name, 'c-basic');
  assert.equal(m.namespace, 'default');
  assert.match(m.uid, UUID);
  assert.match(m.creationTimestamp, RFC3339);
  assert.match(m.resourceVersion, /^\d+$/);
  assert.equal(m.generation, undefined);
  assert.deepEqual(r.body.data, { a: '1' });
  const got = await mustGet(`${CM}/c-basic`);
  assert.deepEqual(got, r.body, 'GET returns what create returned');
});

test('create ignores client-set uid, creationTimestamp and deletionTimestamp (WipeObjectMetaSystemFields)', async () => {
  const r = await call('POST', CM, {
    body: cm('c-sysfields', {}, { uid: 'mine', creationTimestamp: '2001-01-01T00:00:00Z', deletionTimestamp: '2001-01-01T00:00:00Z', deletionGracePeriodSeconds: 3 }),
  });
  assert.equal(r.status, 201);
  assert.notEqual(r.body.metadata.uid, 'mine');
  assert.notEqual(r.body.metadata.creationTimestamp, '2001-01-01T00:00:00Z');
  assert.equal(r.body.metadata.deletionTimestamp, undefined);
  assert.equal(r.body.metadata.deletionGracePeriodSeconds, undefined);
});

test('create with a resourceVersion set is refused', async () => {
  const r = await call('POST', CM, { body: cm('c-withrv', {}, { resourceVersion: '5' }) });
  assert.equal(r.status, 500);
  assert.equal(r.body.message, 'resourceVersion should not be set on objects to be created');
  assert.equal((await call('GET', `${CM}/c-withrv`)).status, 404);
});

test('create of a Deployment sets generation 1 and an empty status', async () => {
  const d = await mustCreate(DEPLOY, { ...deployment('d-gen'), status: { replicas: 7 } });
  assert.equal(d.metadata.generation, 1);
  assert.deepEqual(d.status, {});
  // Defaults were applied.
  assert.equal(d.spec.strategy.type, 'RollingUpdate');
  assert.equal(d.spec.revisionHistoryLimit, 10);
});

test('generateName appends five characters from the no-vowel alphabet', async () => {
  const a = await mustCreate(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
  const b = await mustCreate(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
  assert.match(a.metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.equal(a.metadata.generateName, 'gen-');
  assert.notEqual(a.metadata.name, b.metadata.name);
});

test('create accepts a body without apiVersion/kind and fills them in', async () => {
  const r = await call('POST', CM, { body: { metadata: { name: 'c-nokind' }, data: { x: 'y' } } });
  assert.equal(r.status, 201);
  assert.equal(r.body.kind, 'ConfigMap');
  assert.equal(r.body.apiVersion, 'v1');
});

test('create with a namespace in the body different from the URL is 400', async () => {
  const r = await call('POST', CM, { body: cm('c-nsmismatch', {}, { namespace: 'kube-system' }) });
  assertStatus(r, 400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
});

test('create with the wrong apiVersion or kind is 400', async () => {
  const v = await call('POST', CM, { body: { ...cm('c-wrongver'), apiVersion: 'apps/v1' } });
  assertStatus(v, 400, 'BadRequest', 'the API version in the data (apps/v1) does not match the expected API version (v1)');
  const k = await call('POST', CM, { body: { ...cm('c-wrongkind'), kind: 'Secret' } });
  assertStatus(k, 400, 'BadRequest', /Secret.*ConfigMap|ConfigMap.*Secret/);
  assert.equal((await call('GET', `${CM}/c-wrongkind`)).status, 404);
});

test('create in a missing namespace is 404 namespaces "x" not found', async () => {
  const r = await call('POST', '/api/v1/namespaces/nope/configmaps', { body: cm('c1') });
  assertStatus(r, 404, 'NotFound', 'namespaces "nope" not found');
  assert.deepEqual(r.body.details, { name: 'nope', kind: 'namespaces' });
});

test('the namespace check (admission) runs before validation: invalid object in a missing namespace is 404', async () => {
  const r = await call('POST', '/api/v1/namespaces/nope/configmaps', { body: cm('Bad_Name') });
  assertStatus(r, 404, 'NotFound', 'namespaces "nope" not found');
});

test('create into a namespaced resource without a namespace in the path is 405', async () => {
  const r = await call('POST', '/api/v1/configmaps', { body: cm('c-nonspath', {}, { namespace: 'default' }) });
  assertStatus(r, 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  assert.equal((await call('GET', `${CM}/c-nonspath`)).status, 404);
});

test('create in a terminating namespace is 403 with the NamespaceTerminating cause', async () => {
  await mustCreate('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'term-create' } });
  // Hold it in Terminating with a content finalizer.
  const del = await call('DELETE', '/api/v1/namespaces/term-create');
  assert.equal(del.status, 200);
  assert.equal(del.body.status.phase, 'Terminating');
  const r = await call('POST', '/api/v1/namespaces/term-create/configmaps', { body: cm('c1') });
  assertStatus(r, 403, 'Forbidden', 'configmaps "c1" is forbidden: unable to create new content in namespace term-create because it is being terminated');
  assert.deepEqual(r.body.details, {
    name: 'c1',
    kind: 'configmaps',
    causes: [{ reason: 'NamespaceTerminating', message: 'namespace term-create is being terminated', field: 'metadata.namespace' }],
  });
});

test('create of an existing name is 409 AlreadyExists with details', async () => {
  await mustCreate(CM, cm('c-dup'));
  const r = await call('POST', CM, { body: cm('c-dup') });
  assertStatus(r, 409, 'AlreadyExists', 'configmaps "c-dup" already exists');
  assert.deepEqual(r.body.details, { name: 'c-dup', kind: 'configmaps' });
  await mustCreate(DEPLOY, deployment('d-dup'));
  const d = await call('POST', DEPLOY, { body: deployment('d-dup') });
  assertStatus(d, 409, 'AlreadyExists', 'deployments.apps "d-dup" already exists');
  assert.deepEqual(d.body.details, { name: 'd-dup', group: 'apps', kind: 'deployments' });
});

test('create with an invalid name is 422 Invalid with causes', async () => {
  const r = await call('POST', CM, { body: cm('Bad_Name') });
  const detail =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  assertStatus(r, 422, 'Invalid', `ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ${detail}`);
  assert.deepEqual(r.body.details, {
    name: 'Bad_Name',
    kind: 'ConfigMap',
    causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: "Bad_Name": ${detail}`, field: 'metadata.name' }],
  });
});

test('create without a name or generateName is 422 name or generateName is required', async () => {
  const r = await call('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} } });
  assertStatus(r, 422, 'Invalid', 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required');
  assert.deepEqual(r.body.details.causes, [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }]);
});

test('create with dryRun=All returns the object and does not persist it', async () => {
  const r = await call('POST', CM, { body: cm('c-dry'), query: 'dryRun=All' });
  assert.equal(r.status, 201);
  assert.equal(r.body.metadata.name, 'c-dry');
  assert.match(r.body.metadata.uid, UUID);
  assert.equal(r.body.metadata.resourceVersion, undefined);
  assert.equal((await call('GET', `${CM}/c-dry`)).status, 404);
  // dry run still reports conflicts
  await mustCreate(CM, cm('c-dry-exists'));
  const dup = await call('POST', CM, { body: cm('c-dry-exists'), query: 'dryRun=All' });
  assertStatus(dup, 409, 'AlreadyExists', 'configmaps "c-dry-exists" already exists');
});

test('an unknown dryRun value is 422 Invalid CreateOptions', async () => {
  const bad = await call('POST', CM, { body: cm('c-dry2'), query: 'dryRun=Some' });
  assertStatus(bad, 422, 'Invalid', 'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Some"}: supported values: "All"');
  assert.equal((await call('GET', `${CM}/c-dry2`)).status, 404);
});

test('pods start Pending with a QoS class', async () => {
  const be = await mustCreate(PODS, pod('p-besteffort'));
  assert.deepEqual(be.status, { phase: 'Pending', qosClass: 'BestEffort' });
  const g = await mustCreate(PODS, pod('p-guaranteed', {}, { resources: { limits: { cpu: '100m', memory: '64Mi' } } }));
  assert.deepEqual(g.status, { phase: 'Pending', qosClass: 'Guaranteed' });
  assert.deepEqual(g.spec.containers[0].resources.requests, { cpu: '100m', memory: '64Mi' }, 'requests default to limits');
  const b = await mustCreate(PODS, pod('p-burstable', {}, { resources: { requests: { cpu: '100m' } } }));
  assert.deepEqual(b.status, { phase: 'Pending', qosClass: 'Burstable' });
  // Status sent by the client is dropped.
  const s = await mustCreate(PODS, { ...pod('p-status'), status: { phase: 'Running', podIP: '10.0.0.9' } });
  assert.deepEqual(s.status, { phase: 'Pending', qosClass: 'BestEffort' });
  assert.equal(s.spec.terminationGracePeriodSeconds, 30);
  assert.equal(s.spec.restartPolicy, 'Always');
});

test('pod QoS compares quantities by value and ignores zero requests (qos.GetPodQOS)', async () => {
  // 100Mi == 104857600 bytes: same value, different formats (canonicalization keeps BinarySI vs DecimalSI apart).
  const g = await mustCreate(PODS, pod('p-qos-units', {}, { resources: { requests: { cpu: '500m', memory: '100Mi' }, limits: { cpu: '0.5', memory: '104857600' } } }));
  assert.equal(g.status.qosClass, 'Guaranteed');
  const z = await mustCreate(PODS, pod('p-qos-zero', {}, { resources: { requests: { cpu: '0' } } }));
  assert.equal(z.status.qosClass, 'BestEffort');
});

test('a new namespace gets the kubernetes finalizer, phase Active and its name label', async () => {
  const ns = await mustCreate('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fresh-ns' } });
  assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(ns.status, { phase: 'Active' });
  assert.equal(ns.metadata.labels['kubernetes.io/metadata.name'], 'fresh-ns');
  assert.equal(ns.metadata.namespace, undefined);
});

test('an empty create body is 400', async () => {
  const r = await api.handle({ method: 'POST', path: CM, query: new URLSearchParams(), headers: { contentType: 'application/json' }, body: Buffer.alloc(0), user: ADMIN });
  assert.ok('body' in r);
  assert.equal(r.status, 400);
  const j = await call('POST', CM, { body: '{not json' });
  assertStatus(j, 400, 'BadRequest');
  const arr = await call('POST', CM, { body: '[1,2]' });
  assertStatus(arr, 400, 'BadRequest');
});

test('create accepts YAML bodies', async () => {
  const r = await call('POST', CM, { body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c-yaml\ndata:\n  k: v\n', contentType: 'application/yaml' });
  assert.equal(r.status, 201);
  assert.deepEqual(r.body.data, { k: 'v' });
  const bad = await call('POST', CM, { body: 'x', contentType: 'text/plain' });
  assertStatus(bad, 415, 'UnsupportedMediaType');
});

// ------------------------------------------------------------------ update

test('update with a stale resourceVersion is 409 Conflict with the upstream message', async () => {
  const c = await mustCreate(CM, cm('u-conflict'));
  const u1 = await call('PUT', `${CM}/u-conflict`, { body: { ...c, data: { a: '2' } } });
  assert.equal(u1.status, 200);
  assert.notEqual(u1.body.metadata.resourceVersion, c.metadata.resourceVersion);
  const u2 = await call('PUT', `${CM}/u-conflict`, { body: { ...c, data: { a: '3' } } });
  assertStatus(u2, 409, 'Conflict', 'Operation cannot be fulfilled on configmaps "u-conflict": the object has been modified; please apply your changes to the latest version and try again');
  assert.deepEqual(u2.body.details, { name: 'u-conflict', kind: 'configmaps' });
  assert.deepEqual((await mustGet(`${CM}/u-conflict`)).data, { a: '2' });
});

test('update without a resourceVersion is unconditional', async () => {
  const c = await mustCreate(CM, cm('u-uncond'));
  await call('PUT', `${CM}/u-uncond`, { body: { ...c, data: { a: '2' } } });
  const { resourceVersion: _rv, ...meta } = c.metadata;
  const r = await call('PUT', `${CM}/u-uncond`, { body: { ...c, metadata: meta, data: { a: '3' } } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.data, { a: '3' });
  assert.equal(r.body.metadata.uid, c.metadata.uid);
  assert.equal(r.body.metadata.creationTimestamp, c.metadata.creationTimestamp);
});

test('update keeps uid and creationTimestamp even when the client sends others', async () => {
  const c = await mustCreate(CM, cm('u-sys'));
  const r = await call('PUT', `${CM}/u-sys`, { body: { ...c, metadata: { ...c.metadata, uid: c.metadata.uid, creationTimestamp: '2001-01-01T00:00:00Z' }, data: { b: '1' } } });
  assert.equal(r.status, 200);
  assert.equal(r.body.metadata.creationTimestamp, c.metadata.creationTimestamp);
});

test('update of a missing object is 404 (no create on update for ConfigMaps)', async () => {
  const r = await call('PUT', `${CM}/u-missing`, { body: cm('u-missing') });
  assertStatus(r, 404, 'NotFound', 'configmaps "u-missing" not found');
});

test('a no-op update keeps the resourceVersion', async () => {
  const c = await mustCreate(CM, cm('u-noop'));
  const r = await call('PUT', `${CM}/u-noop`, { body: c });
  assert.equal(r.status, 200);
  assert.equal(r.body.metadata.resourceVersion, c.metadata.resourceVersion);
  assert.deepEqual(r.body, c);
});

test('update with a name different from the URL is 400', async () => {
  const c = await mustCreate(CM, cm('u-name'));
  const r = await call('PUT', `${CM}/u-name`, { body: { ...c, metadata: { ...c.metadata, name: 'other' } } });
  assertStatus(r, 400, 'BadRequest', 'the name of the object (other) does not match the name on the URL (u-name)');
});

test('update without metadata.name is 400 (checkName compares "" with the URL name)', async () => {
  await mustCreate(CM, cm('u-noname'));
  const r = await call('PUT', `${CM}/u-noname`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {}, data: { z: '1' } } });
  assertStatus(r, 400, 'BadRequest', 'the name of the object () does not match the name on the URL (u-noname)');
});

test('update with a namespace different from the URL is 400 with the update handler\'s message', async () => {
  const c = await mustCreate(CM, cm('u-ns'));
  const r = await call('PUT', `${CM}/u-ns`, { body: { ...c, metadata: { ...c.metadata, namespace: 'kube-system' } } });
  assertStatus(r, 400, 'BadRequest', 'the namespace of the object (kube-system) does not match the namespace on the request (default)');
});

test('status sent to the main resource is ignored; generation bumps only on spec changes', async () => {
  const d = await mustCreate(DEPLOY, deployment('u-deploy'));
  // Metadata-only change (labels): no generation bump, status untouched.
  const l = await call('PUT', `${DEPLOY}/u-deploy`, { body: { ...d, metadata: { ...d.metadata, labels: { x: 'y' } }, status: { replicas: 5 } } });
  assert.equal(l.status, 200);
  assert.equal(l.body.metadata.generation, 1);
  assert.deepEqual(l.body.status, {});
  assert.deepEqual(l.body.metadata.labels, { x: 'y' });
  // Spec change: generation 2.
  const s = await call('PUT', `${DEPLOY}/u-deploy`, { body: { ...l.body, spec: { ...l.body.spec, replicas: 3 } } });
  assert.equal(s.status, 200);
  assert.equal(s.body.metadata.generation, 2);
  assert.equal(s.body.spec.replicas, 3);
  // A client-sent generation is ignored.
  const g = await call('PUT', `${DEPLOY}/u-deploy`, { body: { ...s.body, metadata: { ...s.body.metadata, generation: 40 } } });
  assert.equal(g.status, 200);
  assert.equal(g.body.metadata.generation, 2);
  assert.equal(g.body.metadata.resourceVersion, s.body.metadata.resourceVersion, 'nothing changed');
});

test('annotation changes bump a Deployment\'s generation (deploymentStrategy.PrepareForUpdate)', async () => {
  const d = await mustCreate(DEPLOY, deployment('u-deploy-ann'));
  const r = await call('PUT', `${DEPLOY}/u-deploy-ann`, { body: { ...d, metadata: { ...d.metadata, annotations: { note: 'x' } } } });
  assert.equal(r.status, 200);
  assert.equal(r.body.metadata.generation, 2);
});

test('PUT /status changes only status and keeps generation', async () => {
  const d = await mustCreate(DEPLOY, deployment('u-status'));
  const body = { ...d, spec: { ...d.spec, replicas: 9 }, metadata: { ...d.metadata, labels: { changed: 'yes' } }, status: { replicas: 1, observedGeneration: 1 } };
  const r = await call('PUT', `${DEPLOY}/u-status/status`, { body });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.status, { replicas: 1, observedGeneration: 1 });
  assert.equal(r.body.spec.replicas, 1);
  assert.equal(r.body.metadata.labels, undefined);
  assert.equal(r.body.metadata.generation, 1);
  assert.notEqual(r.body.metadata.resourceVersion, d.metadata.resourceVersion);
  const got = await mustGet(`${DEPLOY}/u-status`);
  assert.deepEqual(got.status, { replicas: 1, observedGeneration: 1 });
  // /status with a stale resourceVersion conflicts too
  const stale = await call('PUT', `${DEPLOY}/u-status/status`, { body: { ...body, status: { replicas: 2 } } });
  assertStatus(stale, 409, 'Conflict');
});

test('status subresource of a kind without one is 404', async () => {
  const c = await mustCreate(CM, cm('u-nostatus'));
  const r = await call('PUT', `${CM}/u-nostatus/status`, { body: c });
  assert.equal(r.status, 404);
});

test('a namespace can be updated in place', async () => {
  const ns = await mustCreate('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'upd-ns' } });
  const r = await call('PUT', '/api/v1/namespaces/upd-ns', { body: { ...ns, metadata: { ...ns.metadata, labels: { ...ns.metadata.labels, team: 'a' } } } });
  assert.equal(r.status, 200);
  assert.equal(r.body.metadata.labels.team, 'a');
  assert.deepEqual(r.body.status, { phase: 'Active' });
});

// ------------------------------------------------------------------ patch

test('merge patch on a ConfigMap; null removes a key', async () => {
  await mustCreate(CM, cm('p-merge', { a: '1', b: '2' }));
  const r = await call('PATCH', `${CM}/p-merge`, { body: { data: { b: null, c: '3' } }, contentType: 'application/merge-patch+json' });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.data, { a: '1', c: '3' });
});

test('JSON patch: add, replace, test failure', async () => {
  await mustCreate(CM, cm('p-json', { a: '1' }));
  const r = await call('PATCH', `${CM}/p-json`, {
    body: [
      { op: 'replace', path: '/data/a', value: 'x' },
      { op: 'add', path: '/metadata/labels', value: { l: 'v' } },
    ],
    contentType: 'application/json-patch+json',
  });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.data, { a: 'x' });
  assert.deepEqual(r.body.metadata.labels, { l: 'v' });
  const t = await call('PATCH', `${CM}/p-json`, { body: [{ op: 'test', path: '/data/a', value: 'nope' }], contentType: 'application/json-patch+json' });
  assert.equal(t.status, 422, JSON.stringify(t.body));
  assert.equal(t.body.reason, 'Invalid');
});

test('strategic merge patch merges Deployment containers by name and bumps generation', async () => {
  const d = await mustCreate(DEPLOY, deployment('p-smp'));
  const patch = { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox:1.36' }, { name: 'web', image: 'nginx:2' }] } } } };
  const r = await call('PATCH', `${DEPLOY}/p-smp`, { body: patch, contentType: 'application/strategic-merge-patch+json' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const cs = r.body.spec.template.spec.containers;
  assert.deepEqual(
    cs.map((c: any) => [c.name, c.image]).sort(),
    [
      ['sidecar', 'busybox:1.36'],
      ['web', 'nginx:2'],
    ],
  );
  // Defaults were applied to the new container too.
  const sidecar = cs.find((c: any) => c.name === 'sidecar');
  assert.equal(sidecar.terminationMessagePath, '/dev/termination-log');
  assert.equal(sidecar.imagePullPolicy, 'IfNotPresent');
  assert.equal(r.body.metadata.generation, d.metadata.generation + 1);
  // The same content as a merge patch replaces the list.
  const m = await call('PATCH', `${DEPLOY}/p-smp`, { body: { spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }] } } } }, contentType: 'application/merge-patch+json' });
  assert.equal(m.status, 200);
  assert.deepEqual(m.body.spec.template.spec.containers.map((c: any) => c.name), ['only']);
});

test('a resourceVersion in a patch is a precondition', async () => {
  const c = await mustCreate(CM, cm('p-rv'));
  const ok = await call('PATCH', `${CM}/p-rv`, { body: { metadata: { resourceVersion: c.metadata.resourceVersion }, data: { a: '2' } }, contentType: 'application/merge-patch+json' });
  assert.equal(ok.status, 200);
  const stale = await call('PATCH', `${CM}/p-rv`, { body: { metadata: { resourceVersion: c.metadata.resourceVersion }, data: { a: '3' } }, contentType: 'application/merge-patch+json' });
  assertStatus(stale, 409, 'Conflict', 'Operation cannot be fulfilled on configmaps "p-rv": the object has been modified; please apply your changes to the latest version and try again');
});

test('patch of a missing object is 404; patch that renames is 400', async () => {
  const nf = await call('PATCH', `${CM}/p-missing`, { body: { data: {} }, contentType: 'application/merge-patch+json' });
  assertStatus(nf, 404, 'NotFound', 'configmaps "p-missing" not found');
  await mustCreate(CM, cm('p-rename'));
  const rn = await call('PATCH', `${CM}/p-rename`, { body: { metadata: { name: 'other' } }, contentType: 'application/merge-patch+json' });
  assertStatus(rn, 400, 'BadRequest');
});

test('patch with an unsupported content type is 415', async () => {
  await mustCreate(CM, cm('p-415'));
  const r = await call('PATCH', `${CM}/p-415`, { body: { data: { a: '2' } }, contentType: 'application/json' });
  assertStatus(r, 415, 'UnsupportedMediaType', /^the body of the request was in an unknown format - accepted media types include: application\/json-patch\+json, application\/merge-patch\+json, application\/strategic-merge-patch\+json/);
});

test('the patch content type is checked before the body is parsed', async () => {
  await mustCreate(CM, cm('p-415b'));
  const r = await call('PATCH', `${CM}/p-415b`, { body: 'hello', contentType: 'text/plain' });
  assertStatus(r, 415, 'UnsupportedMediaType');
});

test('patch on /status changes only status', async () => {
  await mustCreate(DEPLOY, deployment('p-status'));
  const r = await call('PATCH', `${DEPLOY}/p-status/status`, { body: { spec: { replicas: 5 }, status: { replicas: 2 } }, contentType: 'application/merge-patch+json' });
  assert.equal(r.status, 200);
  assert.equal(r.body.spec.replicas, 1);
  assert.equal(r.body.status.replicas, 2);
  assert.equal(r.body.metadata.generation, 1);
});

// ------------------------------------------------------------------ delete

test('deleting a ConfigMap returns a Success Status with details', async () => {
  const c = await mustCreate(CM, cm('d-cm'));
  const r = await call('DELETE', `${CM}/d-cm`);
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'Status');
  assert.equal(r.body.apiVersion, 'v1');
  assert.equal(r.body.status, 'Success');
  assert.deepEqual(r.body.details, { name: 'd-cm', kind: 'configmaps', uid: c.metadata.uid });
  assert.equal((await call('GET', `${CM}/d-cm`)).status, 404);
  const again = await call('DELETE', `${CM}/d-cm`);
  assertStatus(again, 404, 'NotFound', 'configmaps "d-cm" not found');
});

test('the delete Status carries no code (finalizeDelete leaves it 0, omitted)', async () => {
  await mustCreate(CM, cm('d-cm-code'));
  const r = await call('DELETE', `${CM}/d-cm-code`);
  assert.equal(r.status, 200);
  assert.equal('code' in r.body, false);
});

test('deleting a Deployment: details carry the group', async () => {
  const d = await mustCreate(DEPLOY, deployment('d-deploy'));
  const r = await call('DELETE', `${DEPLOY}/d-deploy`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.details, { name: 'd-deploy', group: 'apps', kind: 'deployments', uid: d.metadata.uid });
});

test('deleting an unscheduled pod returns the pod and removes it at once', async () => {
  const p = await mustCreate(PODS, pod('d-pod'));
  const r = await call('DELETE', `${PODS}/d-pod`);
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'Pod');
  assert.equal(r.body.metadata.uid, p.metadata.uid);
  assert.equal((await call('GET', `${PODS}/d-pod`)).status, 404);
});

test('a scheduled pod is deleted gracefully: deletionTimestamp + deletionGracePeriodSeconds 30, object kept', async () => {
  await mustCreate(PODS, pod('d-pod-node', { nodeName: 'node-1' }));
  const before = Date.now();
  const r = await call('DELETE', `${PODS}/d-pod-node`);
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'Pod');
  assert.equal(r.body.metadata.deletionGracePeriodSeconds, 30);
  assert.match(r.body.metadata.deletionTimestamp, RFC3339);
  const ts = Date.parse(r.body.metadata.deletionTimestamp);
  assert.ok(ts >= Math.floor(before / 1000) * 1000 + 29_000 && ts <= Date.now() + 31_000, `deletionTimestamp is now + 30s: ${r.body.metadata.deletionTimestamp}`);
  const got = await mustGet(`${PODS}/d-pod-node`);
  assert.equal(got.metadata.deletionGracePeriodSeconds, 30);
  // A shorter grace period shortens it; gracePeriodSeconds=0 removes it.
  const shorter = await call('DELETE', `${PODS}/d-pod-node`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 5 } });
  assert.equal(shorter.status, 200);
  assert.equal(shorter.body.metadata.deletionGracePeriodSeconds, 5);
  const now = await call('DELETE', `${PODS}/d-pod-node`, { query: 'gracePeriodSeconds=0' });
  assert.equal(now.status, 200);
  assert.equal((await call('GET', `${PODS}/d-pod-node`)).status, 404);
});

test('finalizers hold an object in deletion until the last one is removed by update', async () => {
  const c = await mustCreate(CM, cm('d-fin', {}, { finalizers: ['example.com/a', 'example.com/b'] }));
  const r = await call('DELETE', `${CM}/d-fin`);
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'ConfigMap', 'the object, not a Status, while finalizers remain');
  assert.match(r.body.metadata.deletionTimestamp, RFC3339);
  assert.equal(r.body.metadata.deletionGracePeriodSeconds, 0);
  const held = await mustGet(`${CM}/d-fin`);
  assert.deepEqual(held.metadata.finalizers, ['example.com/a', 'example.com/b']);
  assert.equal(held.metadata.uid, c.metadata.uid);

  // New finalizers cannot be added while deleting.
  const add = await call('PUT', `${CM}/d-fin`, { body: { ...held, metadata: { ...held.metadata, finalizers: ['example.com/a', 'example.com/b', 'example.com/c'] } } });
  assertStatus(add, 422, 'Invalid');

  const one = await call('PUT', `${CM}/d-fin`, { body: { ...held, metadata: { ...held.metadata, finalizers: ['example.com/b'] } } });
  assert.equal(one.status, 200);
  assert.equal(one.body.metadata.deletionTimestamp, held.metadata.deletionTimestamp);
  assert.ok((await mustGet(`${CM}/d-fin`)).metadata.deletionTimestamp);

  const last = await call('PATCH', `${CM}/d-fin`, { body: [{ op: 'remove', path: '/metadata/finalizers' }], contentType: 'application/json-patch+json' });
  assert.equal(last.status, 200);
  assert.equal((await call('GET', `${CM}/d-fin`)).status, 404);
});

test('delete preconditions: uid and resourceVersion mismatches are 409', async () => {
  const c = await mustCreate(CM, cm('d-pre'));
  const uid = await call('DELETE', `${CM}/d-pre`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'not-the-uid' } } });
  assertStatus(uid, 409, 'Conflict');
  assert.ok(uid.body.message.startsWith('Operation cannot be fulfilled on configmaps "d-pre": '), uid.body.message);
  assert.ok(uid.body.message.includes(`Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${c.metadata.uid}`), uid.body.message);
  const rv = await call('DELETE', `${CM}/d-pre`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: '1' } } });
  assertStatus(rv, 409, 'Conflict');
  assert.ok(rv.body.message.includes(`Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${c.metadata.resourceVersion}`), rv.body.message);
  const ok = await call('DELETE', `${CM}/d-pre`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: c.metadata.uid, resourceVersion: c.metadata.resourceVersion } } });
  assert.equal(ok.status, 200);
});

test('delete with dryRun=All leaves the object', async () => {
  await mustCreate(CM, cm('d-dry'));
  const r = await call('DELETE', `${CM}/d-dry`, { query: 'dryRun=All' });
  assert.equal(r.status, 200);
  assert.equal((await call('GET', `${CM}/d-dry`)).status, 200);
});

test('deleting a namespace moves it to Terminating and returns the Namespace', async () => {
  await mustCreate('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'del-ns' } });
  const r = await call('DELETE', '/api/v1/namespaces/del-ns');
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'Namespace');
  assert.equal(r.body.status.phase, 'Terminating');
  assert.match(r.body.metadata.deletionTimestamp, RFC3339);
  assert.deepEqual(r.body.spec.finalizers, ['kubernetes']);
  const got = await mustGet('/api/v1/namespaces/del-ns');
  assert.equal(got.status.phase, 'Terminating');
  // A second delete while spec.finalizers remain returns the namespace unchanged.
  const again = await call('DELETE', '/api/v1/namespaces/del-ns');
  assert.equal(again.status, 200);
  assert.equal(again.body.metadata.resourceVersion, got.metadata.resourceVersion);
  // Finalizing (PUT /finalize with no finalizers) removes it.
  const fin = await call('PUT', '/api/v1/namespaces/del-ns/finalize', { body: { ...got, spec: { finalizers: [] } } });
  assert.equal(fin.status, 200);
  assert.equal((await call('GET', '/api/v1/namespaces/del-ns')).status, 404);
});

test('namespace deletion sets no deletionGracePeriodSeconds', async () => {
  await mustCreate('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'del-ns-grace' } });
  const r = await call('DELETE', '/api/v1/namespaces/del-ns-grace');
  assert.equal(r.status, 200);
  assert.equal(r.body.metadata.deletionGracePeriodSeconds, undefined);
});

test('the default, kube-system and kube-public namespaces cannot be deleted', async () => {
  for (const n of ['default', 'kube-system', 'kube-public']) {
    const r = await call('DELETE', `/api/v1/namespaces/${n}`, { query: 'dryRun=All' });
    assertStatus(r, 403, 'Forbidden', `namespaces "${n}" is forbidden: this namespace may not be deleted`);
  }
});

test('deletecollection deletes what the selector matches and returns the list', async () => {
  await mustCreate(CM, cm('dc-1', {}, { labels: { batch: 'dc' } }));
  await mustCreate(CM, cm('dc-2', {}, { labels: { batch: 'dc' } }));
  await mustCreate(CM, cm('dc-keep', {}, { labels: { batch: 'other' } }));
  const r = await call('DELETE', CM, { query: 'labelSelector=batch%3Ddc' });
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'ConfigMapList');
  assert.deepEqual(r.body.items.map((i: any) => i.metadata.name).sort(), ['dc-1', 'dc-2']);
  assert.equal((await call('GET', `${CM}/dc-1`)).status, 404);
  assert.equal((await call('GET', `${CM}/dc-keep`)).status, 200);
});

test('deletecollection across all namespaces is not served (405)', async () => {
  await mustCreate(CM, cm('dc-all', {}, { labels: { dcall: 'x' } }));
  const r = await call('DELETE', '/api/v1/configmaps', { query: 'labelSelector=dcall%3Dx&dryRun=All' });
  assertStatus(r, 405, 'MethodNotAllowed');
});

test('concurrent patches without a resourceVersion all apply (re-applied to the latest object); one naming a stale resourceVersion conflicts', async () => {
  const created = await mustCreate(CM, cm('patched-concurrently', {}));
  const rs = await Promise.all(Array.from({ length: 12 }, (_, i) =>
    call('PATCH', `${CM}/patched-concurrently`, { body: { data: { [`k${i}`]: String(i) } }, contentType: i % 2 ? 'application/merge-patch+json' : 'application/strategic-merge-patch+json' })));
  assert.deepEqual(rs.map((r) => r.status), rs.map(() => 200));
  const got = await mustGet(`${CM}/patched-concurrently`);
  assert.equal(Object.keys(got.data).length, 12);
  const stale = await call('PATCH', `${CM}/patched-concurrently`, { body: { metadata: { resourceVersion: created.metadata.resourceVersion }, data: { late: 'x' } }, contentType: 'application/merge-patch+json' });
  assertStatus(stale, 409, 'Conflict');
  const staleJson = await call('PATCH', `${CM}/patched-concurrently`, { body: [{ op: 'replace', path: '/metadata/resourceVersion', value: created.metadata.resourceVersion }], contentType: 'application/json-patch+json' });
  assertStatus(staleJson, 409, 'Conflict');
});
