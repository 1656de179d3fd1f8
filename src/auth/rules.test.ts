import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forbiddenReason, ruleAllows, uncoveredRules, type Attributes } from './rules.js';
import { RbacAuthorizer, type RbacSource } from './rbac.js';

const res = (verb: string, group: string, resource: string, o: Partial<{ subresource: string; namespace: string; name: string }> = {}): Attributes => ({
  resourceRequest: true,
  verb,
  group,
  resource,
  subresource: o.subresource ?? '',
  namespace: o.namespace ?? 'default',
  name: o.name ?? '',
});

test('verbs, groups and resources match exactly or by *', () => {
  const r = { verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'] };
  assert.equal(ruleAllows(r, res('get', '', 'configmaps')), true);
  assert.equal(ruleAllows(r, res('delete', '', 'configmaps')), false);
  assert.equal(ruleAllows(r, res('get', 'apps', 'configmaps')), false);
  assert.equal(ruleAllows(r, res('get', '', 'secrets')), false);
  const all = { verbs: ['*'], apiGroups: ['*'], resources: ['*'] };
  assert.equal(ruleAllows(all, res('deletecollection', 'batch', 'jobs')), true);
  assert.equal(ruleAllows(all, res('get', '', 'pods', { subresource: 'log' })), true);
});

test('subresources need their own rule or */sub', () => {
  const pods = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
  assert.equal(ruleAllows(pods, res('get', '', 'pods', { subresource: 'log', name: 'p' })), false);
  const log = { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] };
  assert.equal(ruleAllows(log, res('get', '', 'pods', { subresource: 'log', name: 'p' })), true);
  assert.equal(ruleAllows(log, res('get', '', 'pods', { name: 'p' })), false);
  const anyScale = { verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] };
  assert.equal(ruleAllows(anyScale, res('update', 'apps', 'deployments', { subresource: 'scale', name: 'd' })), true);
  assert.equal(ruleAllows(anyScale, res('update', 'apps', 'deployments', { name: 'd' })), false);
});

test('resourceNames restrict to those names and never match unnamed requests', () => {
  const r = { verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] };
  assert.equal(ruleAllows(r, res('get', '', 'configmaps', { name: 'a' })), true);
  assert.equal(ruleAllows(r, res('get', '', 'configmaps', { name: 'b' })), false);
  assert.equal(ruleAllows(r, res('list', '', 'configmaps')), false);
});

test('nonResourceURLs: exact, * and prefix*', () => {
  const r = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
  const nr = (verb: string, path: string): Attributes => ({ resourceRequest: false, verb, path });
  assert.equal(ruleAllows(r, nr('get', '/healthz')), true);
  assert.equal(ruleAllows(r, nr('get', '/healthz/ping')), false);
  assert.equal(ruleAllows(r, nr('get', '/apis/apps/v1')), true);
  assert.equal(ruleAllows(r, nr('post', '/apis/apps/v1')), false);
  assert.equal(ruleAllows(r, res('get', '', 'healthz')), false);
});

test('forbidden reasons read like upstream', () => {
  assert.equal(forbiddenReason('jane', res('delete', '', 'configmaps', { name: 'x' })), 'User "jane" cannot delete resource "configmaps" in API group "" in the namespace "default"');
  assert.equal(forbiddenReason('jane', res('list', 'apps', 'deployments', { namespace: '' })), 'User "jane" cannot list resource "deployments" in API group "apps" at the cluster scope');
  assert.equal(forbiddenReason('jane', res('get', '', 'pods', { subresource: 'log', name: 'p' })), 'User "jane" cannot get resource "pods/log" in API group "" in the namespace "default"');
  assert.equal(forbiddenReason('jane', { resourceRequest: false, verb: 'get', path: '/metrics' }), 'User "jane" cannot get path "/metrics"');
});

test('uncoveredRules: owner wildcards cover, requested wildcards need wildcards', () => {
  const owner = [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps', 'pods'] }];
  assert.deepEqual(uncoveredRules(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]), []);
  assert.deepEqual(uncoveredRules(owner, [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] }]), [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }]);
  assert.equal(uncoveredRules(owner, [{ verbs: ['*'], apiGroups: [''], resources: ['pods'] }]).length, 1);
  assert.deepEqual(uncoveredRules([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], [{ verbs: ['*'], apiGroups: ['x'], resources: ['y/z'], resourceNames: ['n'] }]), []);
  const named = [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }];
  assert.deepEqual(uncoveredRules(named, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }]), []);
  assert.equal(uncoveredRules(named, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]).length, 1);
});

function source(objs: { crb?: any[]; rb?: any[]; cr?: any[]; r?: any[] }): RbacSource & { fire(): void } {
  let listener = () => {};
  return {
    clusterRoleBindings: () => objs.crb ?? [],
    roleBindings: (ns) => (objs.rb ?? []).filter((b) => b.metadata.namespace === ns),
    clusterRole: (n) => (objs.cr ?? []).find((c) => c.metadata.name === n),
    role: (ns, n) => (objs.r ?? []).find((c) => c.metadata.namespace === ns && c.metadata.name === n),
    onChange: (fn) => (listener = fn),
    fire: () => listener(),
  };
}

test('RbacAuthorizer: users, groups and ServiceAccounts through RoleBindings and ClusterRoleBindings', () => {
  const objs = {
    cr: [{ metadata: { name: 'view' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] }],
    r: [{ metadata: { namespace: 'a', name: 'cm' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }] }],
    crb: [{ metadata: { name: 'v' }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'Group', name: 'viewers' }] }],
    rb: [
      { metadata: { namespace: 'a', name: 'b' }, roleRef: { kind: 'Role', name: 'cm' }, subjects: [{ kind: 'User', name: 'jane' }, { kind: 'ServiceAccount', name: 'sa1' }] },
      { metadata: { namespace: 'a', name: 'c' }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'Group', name: 'system:serviceaccounts:a' }] },
    ],
  };
  const src = source(objs);
  const authz = new RbacAuthorizer(src);
  const jane = { name: 'jane', groups: ['system:authenticated'] };
  assert.equal(authz.authorize(jane, res('get', '', 'configmaps', { namespace: 'a', name: 'x' })).allowed, true);
  assert.equal(authz.authorize(jane, res('get', '', 'configmaps', { namespace: 'b', name: 'x' })).allowed, false);
  assert.equal(authz.authorize(jane, res('get', '', 'pods', { namespace: 'a', name: 'x' })).allowed, false);
  assert.equal(authz.authorize({ name: 'bob', groups: ['viewers'] }, res('get', '', 'pods', { namespace: 'z', name: 'x' })).allowed, true);
  const sa = { name: 'system:serviceaccount:a:sa1', groups: ['system:serviceaccounts', 'system:serviceaccounts:a'] };
  assert.equal(authz.authorize(sa, res('get', '', 'configmaps', { namespace: 'a', name: 'x' })).allowed, true);
  assert.equal(authz.authorize(sa, res('get', '', 'pods', { namespace: 'a', name: 'x' })).allowed, true);
  assert.equal(authz.authorize(sa, res('get', '', 'pods', { namespace: 'b', name: 'x' })).allowed, false);
  assert.equal(authz.authorize({ name: 'root', groups: ['system:masters'] }, res('delete', '', 'nodes', { namespace: '' })).allowed, true);
  // A change invalidates the cached rules.
  objs.rb.pop();
  src.fire();
  assert.equal(authz.authorize(sa, res('get', '', 'pods', { namespace: 'a', name: 'x' })).allowed, false);
  objs.r[0].rules.push({ verbs: ['delete'], apiGroups: [''], resources: ['configmaps'] });
  src.fire();
  assert.equal(authz.authorize(jane, res('delete', '', 'configmaps', { namespace: 'a', name: 'x' })).allowed, true);
});
