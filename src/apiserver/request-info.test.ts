// Request-info parsing against upstream's RequestInfoFactory
// (staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestInfo, type RequestInfo } from './request-info.js';

const q = (s = '') => new URLSearchParams(s);
const parse = (method: string, path: string, query = '') => parseRequestInfo(method, path, q(query));

function resource(ri: RequestInfo) {
  assert.equal(ri.type, 'resource');
  if (ri.type !== 'resource') throw new Error('unreachable');
  return ri;
}

function pick(ri: RequestInfo) {
  const r = resource(ri);
  return { verb: r.verb, group: r.group, version: r.version, namespace: r.namespace, resource: r.resource, name: r.name, subresource: r.subresource };
}

test('core namespaced collection: GET is list, POST is create, DELETE is deletecollection', () => {
  const base = { group: '', version: 'v1', namespace: 'default', resource: 'pods', name: '', subresource: '' };
  assert.deepEqual(pick(parse('GET', '/api/v1/namespaces/default/pods')), { ...base, verb: 'list' });
  assert.deepEqual(pick(parse('POST', '/api/v1/namespaces/default/pods')), { ...base, verb: 'create' });
  assert.deepEqual(pick(parse('DELETE', '/api/v1/namespaces/default/pods')), { ...base, verb: 'deletecollection' });
  assert.equal(resource(parse('DELETE', '/api/v1/namespaces/default/pods')).namespacedPath, true);
});

test('core namespaced item: get, update, patch, delete', () => {
  const base = { group: '', version: 'v1', namespace: 'default', resource: 'pods', name: 'web', subresource: '' };
  assert.deepEqual(pick(parse('GET', '/api/v1/namespaces/default/pods/web')), { ...base, verb: 'get' });
  assert.deepEqual(pick(parse('HEAD', '/api/v1/namespaces/default/pods/web')), { ...base, verb: 'get' });
  assert.deepEqual(pick(parse('PUT', '/api/v1/namespaces/default/pods/web')), { ...base, verb: 'update' });
  assert.deepEqual(pick(parse('PATCH', '/api/v1/namespaces/default/pods/web')), { ...base, verb: 'patch' });
  assert.deepEqual(pick(parse('DELETE', '/api/v1/namespaces/default/pods/web')), { ...base, verb: 'delete' });
});

test('group paths: namespaced and all-namespaces lists, cluster-scoped items', () => {
  assert.deepEqual(pick(parse('GET', '/apis/apps/v1/namespaces/kube-system/deployments/coredns')), {
    verb: 'get',
    group: 'apps',
    version: 'v1',
    namespace: 'kube-system',
    resource: 'deployments',
    name: 'coredns',
    subresource: '',
  });
  const all = resource(parse('GET', '/apis/apps/v1/deployments'));
  assert.deepEqual(pick(all), { verb: 'list', group: 'apps', version: 'v1', namespace: '', resource: 'deployments', name: '', subresource: '' });
  assert.equal(all.namespacedPath, false);
  assert.deepEqual(pick(parse('DELETE', '/apis/rbac.authorization.k8s.io/v1/clusterroles/admin')), {
    verb: 'delete',
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    namespace: '',
    resource: 'clusterroles',
    name: 'admin',
    subresource: '',
  });
  assert.deepEqual(pick(parse('GET', '/api/v1/nodes/n1')), { verb: 'get', group: '', version: 'v1', namespace: '', resource: 'nodes', name: 'n1', subresource: '' });
});

test('subresources: status, scale, log', () => {
  assert.deepEqual(pick(parse('PUT', '/api/v1/namespaces/default/pods/web/status')), {
    verb: 'update',
    group: '',
    version: 'v1',
    namespace: 'default',
    resource: 'pods',
    name: 'web',
    subresource: 'status',
  });
  assert.deepEqual(pick(parse('GET', '/apis/apps/v1/namespaces/default/deployments/d/scale')), {
    verb: 'get',
    group: 'apps',
    version: 'v1',
    namespace: 'default',
    resource: 'deployments',
    name: 'd',
    subresource: 'scale',
  });
  assert.equal(resource(parse('GET', '/api/v1/namespaces/default/pods/web/log')).subresource, 'log');
  assert.equal(resource(parse('PATCH', '/api/v1/nodes/n1/status')).subresource, 'status');
});

test('subresource is only the third part; further parts are not part of it (pods/proxy/<path>)', () => {
  const ri = resource(parse('GET', '/api/v1/namespaces/default/pods/web/proxy/a/b'));
  assert.equal(ri.subresource, 'proxy');
  assert.equal(ri.name, 'web');
});

test('the namespaces resource: list, the namespace itself, its status and finalize subresources', () => {
  assert.deepEqual(pick(parse('GET', '/api/v1/namespaces')), { verb: 'list', group: '', version: 'v1', namespace: '', resource: 'namespaces', name: '', subresource: '' });
  assert.deepEqual(pick(parse('POST', '/api/v1/namespaces')), { verb: 'create', group: '', version: 'v1', namespace: '', resource: 'namespaces', name: '', subresource: '' });
  // /api/v1/namespaces/foo: namespace foo, resource namespaces, name foo (upstream sets both).
  const ns = resource(parse('GET', '/api/v1/namespaces/foo'));
  assert.deepEqual(pick(ns), { verb: 'get', group: '', version: 'v1', namespace: 'foo', resource: 'namespaces', name: 'foo', subresource: '' });
  assert.equal(ns.namespacedPath, true);
  assert.deepEqual(pick(parse('DELETE', '/api/v1/namespaces/foo')), { verb: 'delete', group: '', version: 'v1', namespace: 'foo', resource: 'namespaces', name: 'foo', subresource: '' });
  assert.deepEqual(pick(parse('PUT', '/api/v1/namespaces/foo/status')), { verb: 'update', group: '', version: 'v1', namespace: 'foo', resource: 'namespaces', name: 'foo', subresource: 'status' });
  assert.deepEqual(pick(parse('PUT', '/api/v1/namespaces/foo/finalize')), { verb: 'update', group: '', version: 'v1', namespace: 'foo', resource: 'namespaces', name: 'foo', subresource: 'finalize' });
});

test('watch: ?watch=true on a collection, legacy /watch/ prefix, watch=false and watch=0 are lists', () => {
  const base = { group: '', version: 'v1', namespace: 'default', resource: 'configmaps', name: '', subresource: '' };
  assert.deepEqual(pick(parse('GET', '/api/v1/namespaces/default/configmaps', 'watch=true')), { ...base, verb: 'watch' });
  assert.deepEqual(pick(parse('GET', '/api/v1/namespaces/default/configmaps', 'watch=1')), { ...base, verb: 'watch' });
  assert.deepEqual(pick(parse('GET', '/api/v1/namespaces/default/configmaps', 'watch=false')), { ...base, verb: 'list' });
  assert.deepEqual(pick(parse('GET', '/api/v1/namespaces/default/configmaps', 'watch=0')), { ...base, verb: 'list' });
  assert.deepEqual(pick(parse('GET', '/api/v1/watch/namespaces/default/configmaps')), { ...base, verb: 'watch' });
  assert.deepEqual(pick(parse('GET', '/api/v1/watch/configmaps')), { ...base, namespace: '', verb: 'watch' });
  assert.deepEqual(pick(parse('GET', '/apis/apps/v1/watch/namespaces/default/deployments/d')), {
    verb: 'watch',
    group: 'apps',
    version: 'v1',
    namespace: 'default',
    resource: 'deployments',
    name: 'd',
    subresource: '',
  });
});

test('any watch value other than 0/false turns a collection GET into a watch (Convert_Slice_string_To_bool)', () => {
  assert.equal(resource(parse('GET', '/api/v1/namespaces/default/configmaps', 'watch=True')).verb, 'watch');
  assert.equal(resource(parse('GET', '/api/v1/namespaces/default/configmaps', 'watch=FALSE')).verb, 'list');
});

test('?watch=true on a named item is still a get upstream', () => {
  assert.equal(resource(parse('GET', '/api/v1/namespaces/default/pods/web', 'watch=true')).verb, 'get');
});

test('discovery and non-resource paths', () => {
  assert.deepEqual(parse('GET', '/api'), { type: 'discovery', path: 'api', group: '', version: '' });
  assert.deepEqual(parse('GET', '/apis'), { type: 'discovery', path: 'apis', group: '', version: '' });
  assert.deepEqual(parse('GET', '/api/v1'), { type: 'discovery', path: 'coreVersion', group: '', version: 'v1' });
  assert.deepEqual(parse('GET', '/apis/apps'), { type: 'discovery', path: 'group', group: 'apps', version: '' });
  assert.deepEqual(parse('GET', '/apis/apps/v1'), { type: 'discovery', path: 'groupVersion', group: 'apps', version: 'v1' });
  assert.deepEqual(parse('GET', '/healthz'), { type: 'other', path: '/healthz' });
  assert.deepEqual(parse('GET', '/metrics'), { type: 'other', path: '/metrics' });
});

test('percent-encoded path segments are decoded', () => {
  const ri = resource(parse('GET', '/api/v1/namespaces/default/configmaps/a%3Ab'));
  assert.equal(ri.name, 'a:b');
});

test('a write to a legacy /watch/ path stays a watch, never a delete or update', () => {
  for (const m of ['DELETE', 'PUT', 'POST', 'PATCH']) {
    const ri = parseRequestInfo(m, '/api/v1/watch/namespaces/ns/secrets/a', new URLSearchParams());
    assert.equal(ri.type === 'resource' && ri.verb, 'watch', m);
  }
});
