// Reads through the API server pipeline with the memory store: lists
// (selectors, paging, resourceVersion semantics), watches, response shapes
// (Table, PartialObjectMetadata, 406), the scale subresource and
// authentication. Compared with kube-apiserver 1.32: handlers/get.go,
// handlers/response.go, storage/cacher, storage/etcd3, registry/apps/deployment.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiServer, type UserInfo } from './api-server.js';
import { MemoryStore } from '../storage/memory.js';

const ADMIN: UserInfo = { name: 'admin', groups: ['system:masters'] };
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const TABLE_FALLBACK = `${TABLE},application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`;
let api: ApiServer;
let store: MemoryStore;

before(async () => {
  store = new MemoryStore();
  api = new ApiServer({ store });
  await api.start();
});
after(async () => {
  await api.stop();
});

interface Res {
  status: number;
  contentType: string;
  body: any;
  text: string;
}

interface CallOpts {
  query?: string;
  body?: unknown;
  contentType?: string;
  accept?: string;
  user?: UserInfo | null;
}

async function call(method: string, path: string, opts: CallOpts = {}): Promise<Res> {
  const body = opts.body === undefined ? undefined : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
  const res = await api.handle({
    method,
    path,
    query: new URLSearchParams(opts.query ?? ''),
    headers: { accept: opts.accept, contentType: opts.contentType ?? (body ? 'application/json' : undefined) },
    body,
    user: opts.user === null ? undefined : (opts.user ?? ADMIN),
  });
  assert.ok('body' in res, `${method} ${path} returned a stream`);
  let parsed: any;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, contentType: res.contentType, body: parsed, text: res.body };
}

interface Watch {
  events: any[];
  ended: () => boolean;
  stop: () => void;
}

async function watch(path: string, query: string, accept?: string): Promise<Watch> {
  const q = new URLSearchParams(query);
  if (!path.includes('/watch/')) q.set('watch', 'true');
  const res = await api.handle({ method: 'GET', path, query: q, headers: { accept }, user: ADMIN });
  if (!('stream' in res)) throw new Error(`not a stream: ${res.status} ${'body' in res ? res.body : ''}`);
  assert.equal(res.status, 200);
  const events: any[] = [];
  let ended = false;
  const stop = res.stream({
    write: (chunk) => {
      for (const line of String(chunk).split('\n')) if (line.trim()) events.push(JSON.parse(line));
    },
    end: () => {
      ended = true;
    },
  });
  return { events, ended: () => ended, stop };
}

const summary = (events: any[]) => events.map((e) => [e.type, e.object?.metadata?.name]);

async function mkNamespace(name: string): Promise<void> {
  const r = await call('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
  assert.equal(r.status, 201, r.text);
}

const cmPath = (ns: string, name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;

async function mkCM(ns: string, name: string, labels: Record<string, string> = {}, data: Record<string, string> = { k: 'v' }): Promise<any> {
  const r = await call('POST', cmPath(ns), { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data } });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function putCM(ns: string, obj: any): Promise<any> {
  const r = await call('PUT', cmPath(ns, obj.metadata.name), { body: obj });
  assert.equal(r.status, 200, r.text);
  return r.body;
}

async function delCM(ns: string, name: string): Promise<void> {
  const r = await call('DELETE', cmPath(ns, name));
  assert.equal(r.status, 200, r.text);
}

const names = (list: any) => list.items.map((i: any) => i.metadata.name);

function assertStatus(r: Res, code: number, reason: string, message?: string | RegExp): void {
  assert.equal(r.status, code, r.text);
  assert.equal(r.body.kind, 'Status');
  assert.equal(r.body.status, 'Failure');
  assert.equal(r.body.code, code);
  assert.equal(r.body.reason, reason);
  if (typeof message === 'string') assert.equal(r.body.message, message);
  else if (message) assert.match(r.body.message, message);
}

// ------------------------------------------------------------------ authentication

test('requests without a user are 401 except health and version endpoints', async () => {
  for (const p of ['/api', '/apis', '/api/v1', '/api/v1/namespaces/default/configmaps', '/apis/apps/v1/deployments', '/openapi/v3']) {
    const r = await call('GET', p, { user: null });
    assert.equal(r.status, 401, p);
    assert.deepEqual(r.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  }
  for (const p of ['/healthz', '/readyz', '/livez']) {
    const r = await call('GET', p, { user: null });
    assert.equal(r.status, 200, p);
    assert.equal(r.text, 'ok');
    assert.match(r.contentType, /^text\/plain/);
  }
  const v = await call('GET', '/version', { user: null });
  assert.equal(v.status, 200);
  assert.equal(v.body.major, '1');
  assert.equal(v.body.minor, '32');
  assert.match(v.body.gitVersion, /^v1\.32\.\d+\+kts/);
});

test('verbose readyz lists checks', async () => {
  const r = await call('GET', '/readyz', { query: 'verbose' });
  assert.equal(r.status, 200);
  assert.match(r.text, /^\[\+\]ping ok$/m);
  assert.match(r.text, /readyz check passed\n$/);
});

test('unknown paths and resources are 404; unsupported verbs are 405', async () => {
  const nf = await call('GET', '/api/v1/namespaces/default/widgets');
  assertStatus(nf, 404, 'NotFound', 'the server could not find the requested resource');
  const cluster = await call('GET', '/api/v1/namespaces/default/nodes');
  assert.equal(cluster.status, 404, 'cluster-scoped resource under a namespace');
  const bindingGet = await call('GET', '/api/v1/namespaces/default/bindings');
  assertStatus(bindingGet, 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  const postItem = await call('POST', '/api/v1/namespaces/default/configmaps/x', { body: { metadata: { name: 'x' } } });
  assertStatus(postItem, 405, 'MethodNotAllowed');
});

test('PUT or PATCH on a collection path is 405', async () => {
  const m = await call('PUT', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'x' } } });
  assertStatus(m, 405, 'MethodNotAllowed');
  const p = await call('PATCH', '/api/v1/namespaces/default/configmaps', { body: {}, contentType: 'application/merge-patch+json' });
  assertStatus(p, 405, 'MethodNotAllowed');
});

// ------------------------------------------------------------------ get / list

test('get of a missing object is 404 with details', async () => {
  const r = await call('GET', cmPath('default', 'missing'));
  assertStatus(r, 404, 'NotFound', 'configmaps "missing" not found');
  assert.deepEqual(r.body.details, { name: 'missing', kind: 'configmaps' });
  const d = await call('GET', '/apis/apps/v1/namespaces/default/deployments/missing');
  assertStatus(d, 404, 'NotFound', 'deployments.apps "missing" not found');
  assert.deepEqual(d.body.details, { name: 'missing', group: 'apps', kind: 'deployments' });
});

test('list returns the List kind, items in name order, and the current resourceVersion', async () => {
  await mkNamespace('lst');
  await mkCM('lst', 'b');
  await mkCM('lst', 'a');
  const r = await call('GET', cmPath('lst'));
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'ConfigMapList');
  assert.equal(r.body.apiVersion, 'v1');
  assert.deepEqual(names(r.body), ['a', 'b']);
  assert.equal(r.body.metadata.resourceVersion, String(await store.currentRevision()));
  for (const i of r.body.items) {
    assert.equal(i.kind, 'ConfigMap');
    assert.equal(i.metadata.namespace, 'lst');
  }
  assert.equal(r.body.metadata.continue, undefined);
  // All namespaces: the same objects appear in the cluster-wide list.
  const all = await call('GET', '/api/v1/configmaps');
  const lst = all.body.items.filter((i: any) => i.metadata.namespace === 'lst').map((i: any) => i.metadata.name);
  assert.deepEqual(lst, ['a', 'b']);
});

test('label selectors: equality, set-based, existence; invalid ones are 400', async () => {
  await mkNamespace('lsel');
  await mkCM('lsel', 'red', { color: 'red', tier: 'web' });
  await mkCM('lsel', 'blue', { color: 'blue', tier: 'web' });
  await mkCM('lsel', 'plain');
  const sel = async (s: string) => names((await call('GET', cmPath('lsel'), { query: `labelSelector=${encodeURIComponent(s)}` })).body);
  assert.deepEqual(await sel('color=red'), ['red']);
  assert.deepEqual(await sel('color!=red'), ['blue', 'plain']);
  assert.deepEqual(await sel('color in (red,blue)'), ['blue', 'red']);
  assert.deepEqual(await sel('tier'), ['blue', 'red']);
  assert.deepEqual(await sel('!tier'), ['plain']);
  assert.deepEqual(await sel('tier=web,color notin (blue)'), ['red']);
  const bad = await call('GET', cmPath('lsel'), { query: `labelSelector=${encodeURIComponent('color in red')}` });
  assertStatus(bad, 400, 'BadRequest');
});

test('field selectors: metadata.name, pod fields; unsupported labels are 400 with upstream messages', async () => {
  await mkNamespace('fsel');
  await mkCM('fsel', 'one');
  await mkCM('fsel', 'two');
  const one = await call('GET', cmPath('fsel'), { query: 'fieldSelector=metadata.name%3Done' });
  assert.deepEqual(names(one.body), ['one']);
  const notOne = await call('GET', cmPath('fsel'), { query: 'fieldSelector=metadata.name!%3Done' });
  assert.deepEqual(names(notOne.body), ['two']);
  const ns = await call('GET', '/api/v1/configmaps', { query: 'fieldSelector=metadata.namespace%3Dfsel' });
  assert.deepEqual(names(ns.body), ['one', 'two']);

  const cmBad = await call('GET', cmPath('fsel'), { query: 'fieldSelector=spec.foo%3Dx' });
  assertStatus(cmBad, 400, 'BadRequest', '"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"');

  const pods = '/api/v1/namespaces/fsel/pods';
  for (const [name, node] of [
    ['p1', 'node-a'],
    ['p2', 'node-b'],
  ]) {
    const r = await call('POST', pods, { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox:1' }] } } });
    assert.equal(r.status, 201, r.text);
  }
  assert.deepEqual(names((await call('GET', pods, { query: 'fieldSelector=spec.nodeName%3Dnode-b' })).body), ['p2']);
  assert.deepEqual(names((await call('GET', pods, { query: 'fieldSelector=status.phase%3DPending,spec.nodeName%3Dnode-a' })).body), ['p1']);
  const podBad = await call('GET', pods, { query: 'fieldSelector=spec.foo%3Dx' });
  assertStatus(podBad, 400, 'BadRequest', 'field label not supported: spec.foo');
});

test('limit/continue pages come from one snapshot: later pages ignore writes made between pages', async () => {
  await mkNamespace('pg');
  for (const n of ['p0', 'p1', 'p2', 'p3', 'p4']) await mkCM('pg', n);
  const first = await call('GET', cmPath('pg'), { query: 'limit=2' });
  assert.equal(first.status, 200);
  assert.deepEqual(names(first.body), ['p0', 'p1']);
  assert.equal(first.body.metadata.remainingItemCount, 3);
  assert.ok(first.body.metadata.continue);
  const rv = first.body.metadata.resourceVersion;

  // Writes between pages: a new object that sorts into the next page, a deletion and an update.
  await mkCM('pg', 'p15');
  await delCM('pg', 'p3');
  const p2 = (await call('GET', cmPath('pg', 'p2'))).body;
  await putCM('pg', { ...p2, data: { k: 'changed' } });

  const second = await call('GET', cmPath('pg'), { query: `limit=2&continue=${encodeURIComponent(first.body.metadata.continue)}` });
  assert.equal(second.status, 200, second.text);
  assert.deepEqual(names(second.body), ['p2', 'p3'], 'snapshot at the first page: no p15, p3 still there');
  assert.deepEqual(second.body.items[0].data, { k: 'v' }, 'p2 as it was at the snapshot');
  assert.equal(second.body.metadata.resourceVersion, rv);
  assert.equal(second.body.metadata.remainingItemCount, 1);

  const third = await call('GET', cmPath('pg'), { query: `limit=2&continue=${encodeURIComponent(second.body.metadata.continue)}` });
  assert.deepEqual(names(third.body), ['p4']);
  assert.equal(third.body.metadata.continue, undefined);
  assert.equal(third.body.metadata.remainingItemCount, undefined);
  assert.equal(third.body.metadata.resourceVersion, rv);

  // A fresh list sees the new state.
  assert.deepEqual(names((await call('GET', cmPath('pg'))).body), ['p0', 'p1', 'p15', 'p2', 'p4']);
});

test('paging with a selector: no remainingItemCount', async () => {
  await mkNamespace('pgsel');
  for (const n of ['a', 'b', 'c', 'd']) await mkCM('pgsel', n, { keep: n === 'c' ? 'no' : 'yes' });
  const first = await call('GET', cmPath('pgsel'), { query: 'limit=2&labelSelector=keep%3Dyes' });
  assert.deepEqual(names(first.body), ['a', 'b']);
  assert.equal(first.body.metadata.remainingItemCount, undefined);
  const second = await call('GET', cmPath('pgsel'), { query: `limit=2&labelSelector=keep%3Dyes&continue=${encodeURIComponent(first.body.metadata.continue)}` });
  assert.deepEqual(names(second.body), ['d']);
});

test('a list whose items fit in the limit has no continue token', async () => {
  await mkNamespace('pgfit');
  await mkCM('pgfit', 'x');
  await mkCM('pgfit', 'y');
  const r = await call('GET', cmPath('pgfit'), { query: 'limit=2' });
  assert.deepEqual(names(r.body), ['x', 'y']);
  assert.equal(r.body.metadata.continue, undefined);
});

test('an invalid continue token is 400; continue with resourceVersion is 400', async () => {
  const r = await call('GET', cmPath('default'), { query: 'limit=1&continue=garbage' });
  assertStatus(r, 400, 'BadRequest');
  await mkNamespace('pgbad');
  await mkCM('pgbad', 'a');
  await mkCM('pgbad', 'b');
  const first = await call('GET', cmPath('pgbad'), { query: 'limit=1' });
  const both = await call('GET', cmPath('pgbad'), { query: `limit=1&resourceVersion=${first.body.metadata.resourceVersion}&continue=${encodeURIComponent(first.body.metadata.continue)}` });
  assertStatus(both, 400, 'BadRequest', 'specifying resource version is not allowed when using continue');
});

test('resourceVersion=0 is served from the cache and ignores limit', async () => {
  await mkNamespace('rv0');
  for (const n of ['a', 'b', 'c']) await mkCM('rv0', n);
  const r = await call('GET', cmPath('rv0'), { query: 'resourceVersion=0&limit=1' });
  assert.equal(r.status, 200);
  assert.deepEqual(names(r.body), ['a', 'b', 'c']);
  assert.equal(r.body.metadata.continue, undefined);
});

test('a resourceVersion newer than the store is 504 Too large resource version', async () => {
  const cur = await store.currentRevision();
  const r = await call('GET', cmPath('default'), { query: `resourceVersion=${cur + 1000}` });
  assert.equal(r.status, 504, r.text);
  assert.equal(r.body.reason, 'Timeout');
  assert.match(r.body.message, new RegExp(`Too large resource version: ${cur + 1000}, current: ${cur}$`));
  assert.equal(r.body.details.retryAfterSeconds, 1);
});

test('Too large resource version carries the Timeout: prefix and the ResourceVersionTooLarge cause', async () => {
  const cur = await store.currentRevision();
  const r = await call('GET', cmPath('default'), { query: `resourceVersion=${cur + 1000}` });
  assertStatus(r, 504, 'Timeout', `Timeout: Too large resource version: ${cur + 1000}, current: ${cur}`);
  assert.deepEqual(r.body.details, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
});

test('resourceVersionMatch=Exact reads an older revision', async () => {
  await mkNamespace('exact');
  const a = await mkCM('exact', 'a', {}, { v: 'old' });
  const rvA = a.metadata.resourceVersion;
  await putCM('exact', { ...a, data: { v: 'new' } });
  await mkCM('exact', 'b');
  const r = await call('GET', cmPath('exact'), { query: `resourceVersion=${rvA}&resourceVersionMatch=Exact` });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(names(r.body), ['a']);
  assert.deepEqual(r.body.items[0].data, { v: 'old' });
  assert.equal(r.body.items[0].metadata.resourceVersion, rvA);
  assert.equal(r.body.metadata.resourceVersion, rvA);
  // NotOlderThan at the same revision sees the current state.
  const n = await call('GET', cmPath('exact'), { query: `resourceVersion=${rvA}&resourceVersionMatch=NotOlderThan` });
  assert.deepEqual(names(n.body), ['a', 'b']);
  assert.deepEqual(n.body.items[0].data, { v: 'new' });
});

test('a legacy resourceVersion with limit lists exactly at that revision', async () => {
  await mkNamespace('legacyrv');
  const a = await mkCM('legacyrv', 'a', {}, { v: 'old' });
  await putCM('legacyrv', { ...a, data: { v: 'new' } });
  await mkCM('legacyrv', 'b');
  const r = await call('GET', cmPath('legacyrv'), { query: `resourceVersion=${a.metadata.resourceVersion}&limit=10` });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(names(r.body), ['a']);
  assert.deepEqual(r.body.items[0].data, { v: 'old' });
  assert.equal(r.body.metadata.resourceVersion, a.metadata.resourceVersion);
});

test('resourceVersionMatch=NotOlderThan with a non-zero resourceVersion honours limit', async () => {
  await mkNamespace('notolder');
  const a = await mkCM('notolder', 'a');
  await mkCM('notolder', 'b');
  await mkCM('notolder', 'c');
  const r = await call('GET', cmPath('notolder'), { query: `resourceVersion=${a.metadata.resourceVersion}&resourceVersionMatch=NotOlderThan&limit=1` });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(names(r.body), ['a']);
  assert.ok(r.body.metadata.continue);
  assert.equal(r.body.metadata.remainingItemCount, 2);
});

test('resourceVersionMatch without resourceVersion is 422 Invalid', async () => {
  const r = await call('GET', cmPath('default'), { query: 'resourceVersionMatch=Exact' });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.reason, 'Invalid');
  assert.deepEqual(r.body.details.causes, [{ reason: 'FieldValueForbidden', message: 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided', field: 'resourceVersionMatch' }]);
});

test('ListOptions validation errors use NewInvalid\'s message and omit the empty name', async () => {
  const r = await call('GET', cmPath('default'), { query: 'resourceVersionMatch=Exact' });
  assertStatus(r, 422, 'Invalid', 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
  assert.equal('name' in r.body.details, false);
  assert.equal(r.body.details.group, 'meta.k8s.io');
  assert.equal(r.body.details.kind, 'ListOptions');
});

test('an unsupported resourceVersionMatch is 422 Invalid (field.NotSupported)', async () => {
  const r = await call('GET', cmPath('default'), { query: 'resourceVersion=1&resourceVersionMatch=Bogus' });
  assertStatus(r, 422, 'Invalid', 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Bogus": supported values: "Exact", "NotOlderThan", ""');
});

test('a continue token whose revision was compacted is 410 Gone', async () => {
  await mkNamespace('cmp');
  for (const n of ['a', 'b', 'c']) await mkCM('cmp', n);
  const first = await call('GET', cmPath('cmp'), { query: 'limit=1' });
  assert.ok(first.body.metadata.continue);
  // Move the store past the snapshot, then compact it away.
  await mkCM('cmp', 'd');
  await store.compact(await store.currentRevision());
  const r = await call('GET', cmPath('cmp'), { query: `limit=1&continue=${encodeURIComponent(first.body.metadata.continue)}` });
  assert.equal(r.status, 410, r.text);
  assert.equal(r.body.reason, 'Expired');
  assert.match(r.body.message, /^The provided continue parameter is too old to display a consistent list result\./);
});

test('an expired continue token gets upstream\'s inconsistent-continue message and a new token', async () => {
  await mkNamespace('cmp2');
  for (const n of ['a', 'b', 'c']) await mkCM('cmp2', n);
  const first = await call('GET', cmPath('cmp2'), { query: 'limit=1' });
  await mkCM('cmp2', 'd');
  await store.compact(await store.currentRevision());
  const r = await call('GET', cmPath('cmp2'), { query: `limit=1&continue=${encodeURIComponent(first.body.metadata.continue)}` });
  assert.equal(r.status, 410);
  assert.match(r.body.message, /or use the continue token in this response to retrieve the remainder of the results/);
  assert.ok(r.body.metadata.continue);
});

test('an Exact list at a compacted revision is 410 with the list message', async () => {
  await mkNamespace('cmp3');
  const a = await mkCM('cmp3', 'a');
  await putCM('cmp3', { ...a, data: { k: 'w' } });
  await store.compact(await store.currentRevision());
  const r = await call('GET', cmPath('cmp3'), { query: `resourceVersion=${a.metadata.resourceVersion}&resourceVersionMatch=Exact` });
  assertStatus(r, 410, 'Expired', 'The resourceVersion for the provided list is too old.');
});

// ------------------------------------------------------------------ watch

test('watch from a resourceVersion delivers only later events, in order', async () => {
  await mkNamespace('w1');
  const a = await mkCM('w1', 'a');
  const w = await watch(cmPath('w1'), `resourceVersion=${a.metadata.resourceVersion}`);
  try {
    assert.equal(w.events.length, 0, 'nothing before or at the resourceVersion');
    const b = await mkCM('w1', 'b');
    const a2 = await putCM('w1', { ...a, data: { k: 'v2' } });
    await delCM('w1', 'b');
    await mkCM('default', 'other-namespace-w1');
    assert.deepEqual(summary(w.events), [
      ['ADDED', 'b'],
      ['MODIFIED', 'a'],
      ['DELETED', 'b'],
    ]);
    assert.equal(w.events[0].object.metadata.resourceVersion, b.metadata.resourceVersion);
    assert.equal(w.events[0].object.kind, 'ConfigMap');
    assert.equal(w.events[0].object.apiVersion, 'v1');
    assert.equal(w.events[1].object.metadata.resourceVersion, a2.metadata.resourceVersion);
    assert.deepEqual(w.events[1].object.data, { k: 'v2' });
    const rvs = w.events.map((e) => Number(e.object.metadata.resourceVersion));
    assert.deepEqual(rvs, [...rvs].sort((x, y) => x - y));
    assert.ok(rvs[2] > rvs[1], 'DELETED carries the deletion revision');
  } finally {
    w.stop();
  }
});

test('watch from an older resourceVersion replays the events after it', async () => {
  await mkNamespace('w1b');
  const a = await mkCM('w1b', 'a');
  await mkCM('w1b', 'b');
  await delCM('w1b', 'a');
  const w = await watch(cmPath('w1b'), `resourceVersion=${a.metadata.resourceVersion}`);
  try {
    assert.deepEqual(summary(w.events), [
      ['ADDED', 'b'],
      ['DELETED', 'a'],
    ]);
  } finally {
    w.stop();
  }
});

test('watch without resourceVersion (or 0) starts with synthetic ADDED events for existing objects', async () => {
  for (const [ns, q] of [
    ['w2a', ''],
    ['w2b', 'resourceVersion=0'],
  ]) {
    await mkNamespace(ns);
    await mkCM(ns, 'x');
    await mkCM(ns, 'y');
    const w = await watch(cmPath(ns), q);
    try {
      assert.deepEqual(
        summary(w.events).sort(),
        [
          ['ADDED', 'x'],
          ['ADDED', 'y'],
        ],
        q,
      );
      await mkCM(ns, 'z');
      assert.equal(w.events.length, 3);
      assert.equal(w.events[2].type, 'ADDED');
    } finally {
      w.stop();
    }
  }
});

test('watch with a label selector: objects entering and leaving the selection', async () => {
  await mkNamespace('w3');
  const w = await watch(cmPath('w3'), 'labelSelector=color%3Dblue');
  try {
    const c = await mkCM('w3', 'c', { color: 'red' });
    assert.equal(w.events.length, 0, 'not selected');
    const c2 = await putCM('w3', { ...c, metadata: { ...c.metadata, labels: { color: 'blue' } } });
    const c3 = await putCM('w3', { ...c2, data: { k: 'changed' } });
    const c4 = await putCM('w3', { ...c3, metadata: { ...c3.metadata, labels: { color: 'red' } } });
    await delCM('w3', 'c');
    assert.deepEqual(summary(w.events), [
      ['ADDED', 'c'],
      ['MODIFIED', 'c'],
      ['DELETED', 'c'],
    ]);
    // The DELETED event for an object leaving the selection has the revision of the change.
    assert.equal(w.events[2].object.metadata.resourceVersion, c4.metadata.resourceVersion);
  } finally {
    w.stop();
  }
});

test('the DELETED event for an object leaving a selection carries its previous (matching) state', async () => {
  await mkNamespace('w3b');
  const c = await mkCM('w3b', 'c', { color: 'blue' }, { k: 'before' });
  const w = await watch(cmPath('w3b'), `labelSelector=color%3Dblue&resourceVersion=${c.metadata.resourceVersion}`);
  try {
    const c2 = await putCM('w3b', { ...c, metadata: { ...c.metadata, labels: { color: 'red' } }, data: { k: 'after' } });
    assert.deepEqual(summary(w.events), [['DELETED', 'c']]);
    const obj = w.events[0].object;
    assert.equal(obj.metadata.resourceVersion, c2.metadata.resourceVersion);
    assert.deepEqual(obj.metadata.labels, { color: 'blue' });
    assert.deepEqual(obj.data, { k: 'before' });
  } finally {
    w.stop();
  }
});

test('watch a single object with fieldSelector metadata.name and the legacy /watch/ path', async () => {
  await mkNamespace('w4');
  await mkCM('w4', 'target');
  await mkCM('w4', 'noise');
  const w = await watch(cmPath('w4'), 'fieldSelector=metadata.name%3Dtarget');
  const legacy = await watch('/api/v1/watch/namespaces/w4/configmaps/target', '');
  try {
    assert.deepEqual(summary(w.events), [['ADDED', 'target']]);
    assert.deepEqual(summary(legacy.events), [['ADDED', 'target']]);
    const n = (await call('GET', cmPath('w4', 'noise'))).body;
    await putCM('w4', { ...n, data: { k: '2' } });
    const t = (await call('GET', cmPath('w4', 'target'))).body;
    await putCM('w4', { ...t, data: { k: '2' } });
    assert.deepEqual(summary(w.events), [
      ['ADDED', 'target'],
      ['MODIFIED', 'target'],
    ]);
    assert.deepEqual(summary(legacy.events), summary(w.events));
  } finally {
    w.stop();
    legacy.stop();
  }
});

test('watch with a bad selector is an error response, not a stream', async () => {
  const res = await api.handle({ method: 'GET', path: cmPath('default'), query: new URLSearchParams('watch=true&fieldSelector=spec.x%3D1'), headers: {}, user: ADMIN });
  assert.ok('body' in res);
  assert.equal(res.status, 400);
});

test('sendInitialEvents=true ends the initial events with an annotated BOOKMARK', async () => {
  await mkNamespace('w5');
  await mkCM('w5', 'a');
  await mkCM('w5', 'b');
  const cur = String(await store.currentRevision());
  const w = await watch(cmPath('w5'), 'sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true');
  try {
    assert.deepEqual(summary(w.events), [
      ['ADDED', 'a'],
      ['ADDED', 'b'],
      ['BOOKMARK', undefined],
    ]);
    const bm = w.events[2].object;
    assert.equal(bm.kind, 'ConfigMap');
    assert.equal(bm.apiVersion, 'v1');
    assert.deepEqual(bm.metadata.annotations, { 'k8s.io/initial-events-end': 'true' });
    assert.equal(bm.metadata.resourceVersion, cur);
    await mkCM('w5', 'c');
    assert.deepEqual(summary(w.events.slice(3)), [['ADDED', 'c']]);
  } finally {
    w.stop();
  }
});

test('sendInitialEvents requires resourceVersionMatch=NotOlderThan (422)', async () => {
  const res = await api.handle({ method: 'GET', path: cmPath('default'), query: new URLSearchParams('watch=true&sendInitialEvents=true'), headers: {}, user: ADMIN });
  assert.ok('body' in res, 'an error, not a stream');
  assert.equal(res.status, 422);
});

test('a stopped watch receives nothing more', async () => {
  await mkNamespace('w6');
  const w = await watch(cmPath('w6'), '');
  w.stop();
  await mkCM('w6', 'late');
  assert.deepEqual(w.events, []);
});

// ------------------------------------------------------------------ response shapes

test('get as Table: columns, one row, PartialObjectMetadata row object, resourceVersion', async () => {
  await mkNamespace('tbl');
  const c = await mkCM('tbl', 'one', {}, { a: '1', b: '2' });
  const r = await call('GET', cmPath('tbl', 'one'), { accept: TABLE });
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'Table');
  assert.equal(r.body.apiVersion, 'meta.k8s.io/v1');
  assert.equal(r.body.metadata.resourceVersion, c.metadata.resourceVersion);
  assert.deepEqual(
    r.body.columnDefinitions.map((d: any) => [d.name, d.type, d.format, d.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Data', 'string', '', 0],
      ['Age', 'string', '', 0],
    ],
  );
  assert.equal(r.body.rows.length, 1);
  assert.deepEqual(r.body.rows[0].cells.slice(0, 2), ['one', 2]);
  assert.match(r.body.rows[0].cells[2], /^\d+s$/);
  assert.deepEqual(r.body.rows[0].object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: c.metadata });
});

test('list as Table with includeObject=Object, and with paging metadata', async () => {
  await mkNamespace('tbl2');
  await mkCM('tbl2', 'a');
  await mkCM('tbl2', 'b');
  await mkCM('tbl2', 'c');
  const r = await call('GET', cmPath('tbl2'), { accept: TABLE_FALLBACK, query: 'includeObject=Object' });
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'Table');
  assert.deepEqual(
    r.body.rows.map((x: any) => x.cells[0]),
    ['a', 'b', 'c'],
  );
  assert.equal(r.body.rows[0].object.kind, 'ConfigMap');
  assert.equal(r.body.rows[0].object.apiVersion, 'v1');
  assert.deepEqual(r.body.rows[0].object.data, { k: 'v' });
  const paged = await call('GET', cmPath('tbl2'), { accept: TABLE, query: 'limit=2' });
  assert.equal(paged.body.rows.length, 2);
  assert.ok(paged.body.metadata.continue);
  assert.equal(paged.body.metadata.remainingItemCount, 1);
  const none = await call('GET', cmPath('tbl2'), { accept: TABLE, query: 'includeObject=None' });
  assert.equal(none.body.rows[0].object ?? null, null);
  const bad = await call('GET', cmPath('tbl2'), { accept: TABLE, query: 'includeObject=Everything' });
  assert.equal(bad.status, 400);
});

test('Table for a Deployment uses the deployment columns', async () => {
  const r0 = await call('POST', '/apis/apps/v1/namespaces/tbl/deployments', {
    body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } } } },
  });
  assert.equal(r0.status, 201, r0.text);
  const r = await call('GET', '/apis/apps/v1/namespaces/tbl/deployments', { accept: TABLE });
  assert.deepEqual(
    r.body.columnDefinitions.map((d: any) => d.name),
    ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector'],
  );
  assert.deepEqual(r.body.rows[0].cells.slice(0, 4), ['web', '0/2', 0, 0]);
  assert.deepEqual(r.body.rows[0].cells.slice(5), ['c', 'nginx:1', 'app=web']);
});

test('watch as Table: each event object is a Table row', async () => {
  await mkNamespace('tblw');
  await mkCM('tblw', 'a');
  const w = await watch(cmPath('tblw'), '', TABLE);
  try {
    await mkCM('tblw', 'b');
    assert.equal(w.events.length, 2);
    for (const e of w.events) {
      assert.equal(e.type, 'ADDED');
      assert.equal(e.object.kind, 'Table');
      assert.equal(e.object.rows.length, 1);
    }
    assert.equal(w.events[0].object.rows[0].cells[0], 'a');
    assert.equal(w.events[1].object.rows[0].cells[0], 'b');
    assert.ok(w.events[0].object.columnDefinitions.length > 0, 'the first event carries the columns');
  } finally {
    w.stop();
  }
});

test('PartialObjectMetadata and PartialObjectMetadataList', async () => {
  await mkNamespace('pom');
  const a = await mkCM('pom', 'a', { l: '1' });
  await mkCM('pom', 'b');
  const one = await call('GET', cmPath('pom', 'a'), { accept: 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/json' });
  assert.equal(one.status, 200);
  assert.deepEqual(one.body, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: a.metadata });
  const list = await call('GET', cmPath('pom'), { accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json' });
  assert.equal(list.status, 200);
  assert.equal(list.body.kind, 'PartialObjectMetadataList');
  assert.equal(list.body.apiVersion, 'meta.k8s.io/v1');
  assert.ok(list.body.metadata.resourceVersion);
  assert.deepEqual(
    list.body.items.map((i: any) => [i.kind, i.apiVersion, i.metadata.name]),
    [
      ['PartialObjectMetadata', 'meta.k8s.io/v1', 'a'],
      ['PartialObjectMetadata', 'meta.k8s.io/v1', 'b'],
    ],
  );
  assert.equal(list.body.items[0].data, undefined);
});

test('PartialObjectMetadataList for a single object (and PartialObjectMetadata for a list) is 406', async () => {
  await mkNamespace('pom406');
  await mkCM('pom406', 'a');
  const r = await call('GET', cmPath('pom406', 'a'), { accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' });
  assertStatus(r, 406, 'NotAcceptable');
  const l = await call('GET', cmPath('pom406'), { accept: 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io' });
  assertStatus(l, 406, 'NotAcceptable');
});

test('an Accept the server cannot produce is 406', async () => {
  for (const accept of ['text/html', 'application/json;as=Widget;v=v1;g=meta.k8s.io', 'application/json;as=Table;v=v9;g=meta.k8s.io']) {
    const r = await call('GET', cmPath('default'), { accept });
    assertStatus(r, 406, 'NotAcceptable', 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf');
  }
  const ok = await call('GET', cmPath('default'), { accept: 'text/html, */*' });
  assert.equal(ok.status, 200);
});

test('Accept: application/yaml gets a YAML body', async () => {
  await mkNamespace('yamlout');
  await mkCM('yamlout', 'y');
  const r = await call('GET', cmPath('yamlout', 'y'), { accept: 'application/yaml' });
  assert.equal(r.status, 200);
  assert.equal(r.contentType, 'application/yaml');
  assert.match(r.text, /^apiVersion: v1\n/m);
  assert.match(r.text, /^kind: ConfigMap$/m);
});

// ------------------------------------------------------------------ scale

const DEP = '/apis/apps/v1/namespaces/scale/deployments';

test('scale subresource: get, update, patch on a Deployment', async () => {
  await mkNamespace('scale');
  const created = await call('POST', DEP, {
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] },
        template: { metadata: { labels: { app: 'web', tier: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
      },
    },
  });
  assert.equal(created.status, 201, created.text);
  const d = created.body;

  const g = await call('GET', `${DEP}/web/scale`);
  assert.equal(g.status, 200);
  assert.deepEqual(g.body, {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: 'web', namespace: 'scale', uid: d.metadata.uid, resourceVersion: d.metadata.resourceVersion, creationTimestamp: d.metadata.creationTimestamp },
    spec: { replicas: 2 },
    status: { replicas: 0, selector: 'app=web,tier in (api,web)' },
  });

  const u = await call('PUT', `${DEP}/web/scale`, { body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'scale' }, spec: { replicas: 4 } } });
  assert.equal(u.status, 200, u.text);
  assert.equal(u.body.kind, 'Scale');
  assert.equal(u.body.spec.replicas, 4);
  assert.notEqual(u.body.metadata.resourceVersion, d.metadata.resourceVersion);
  const after = (await call('GET', `${DEP}/web`)).body;
  assert.equal(after.spec.replicas, 4);
  assert.equal(after.metadata.generation, 2);
  assert.equal(after.metadata.resourceVersion, u.body.metadata.resourceVersion);

  const stale = await call('PUT', `${DEP}/web/scale`, { body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'scale', resourceVersion: d.metadata.resourceVersion }, spec: { replicas: 5 } } });
  assertStatus(stale, 409, 'Conflict', 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again');

  const mp = await call('PATCH', `${DEP}/web/scale`, { body: { spec: { replicas: 0 } }, contentType: 'application/merge-patch+json' });
  assert.equal(mp.status, 200, mp.text);
  assert.equal(mp.body.spec.replicas, 0);
  const jp = await call('PATCH', `${DEP}/web/scale`, { body: [{ op: 'replace', path: '/spec/replicas', value: 6 }], contentType: 'application/json-patch+json' });
  assert.equal(jp.status, 200, jp.text);
  assert.equal(jp.body.spec.replicas, 6);
  assert.equal((await call('GET', `${DEP}/web`)).body.spec.replicas, 6);

  // status.replicas comes from the Deployment's status.
  const cur = (await call('GET', `${DEP}/web`)).body;
  const st = await call('PUT', `${DEP}/web/status`, { body: { ...cur, status: { replicas: 3 } } });
  assert.equal(st.status, 200, st.text);
  assert.equal((await call('GET', `${DEP}/web/scale`)).body.status.replicas, 3);
});

test('scale: negative replicas are 422; a missing deployment is 404', async () => {
  const neg = await call('PATCH', `${DEP}/web/scale`, { body: { spec: { replicas: -1 } }, contentType: 'application/merge-patch+json' });
  assertStatus(neg, 422, 'Invalid', 'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  const nf = await call('GET', `${DEP}/nope/scale`);
  assertStatus(nf, 404, 'NotFound', 'deployments.apps "nope" not found');
});
