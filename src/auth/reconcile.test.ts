import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileClusterRole, reconcileClusterRoleBinding } from './reconcile.js';
import { AUTOUPDATE_ANNOTATION, bootstrapClusterRoleBindings, bootstrapClusterRoles } from './bootstrap-policy.js';

const role = (name: string) => bootstrapClusterRoles().find((r) => r.metadata!.name === name)!;

test('a missing role is created; a current one is left alone', () => {
  assert.equal(reconcileClusterRole(undefined, role('system:basic-user')).action, 'create');
  assert.equal(reconcileClusterRole(role('system:basic-user'), role('system:basic-user')).action, 'none');
});

test('missing rules are added, user additions kept; autoupdate=false stops it', () => {
  const existing = role('system:basic-user');
  existing.rules = [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }];
  existing.metadata!.labels = { mine: 'yes' };
  const r = reconcileClusterRole(existing, role('system:basic-user'));
  assert.equal(r.action, 'update');
  if (r.action !== 'update') return;
  assert.deepEqual(r.obj.rules![0], { verbs: ['get'], apiGroups: [''], resources: ['configmaps'] });
  assert.equal(r.obj.rules!.length, 3);
  assert.equal(r.obj.metadata!.labels!.mine, 'yes');
  assert.equal(r.obj.metadata!.labels!['kubernetes.io/bootstrapping'], 'rbac-defaults');
  existing.metadata!.annotations = { [AUTOUPDATE_ANNOTATION]: 'false' };
  assert.equal(reconcileClusterRole(existing, role('system:basic-user')).action, 'none');
});

test('aggregated roles keep their rules; only selectors are added', () => {
  const existing = role('view');
  existing.rules = [{ verbs: ['get'], apiGroups: ['x'], resources: ['y'] }];
  assert.equal(reconcileClusterRole(existing, role('view')).action, 'none');
  existing.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { custom: 'true' } }] };
  const r = reconcileClusterRole(existing, role('view'));
  assert.equal(r.action, 'update');
  if (r.action === 'update') assert.equal(r.obj.aggregationRule!.clusterRoleSelectors!.length, 2);
});

test('bindings gain missing subjects; a different roleRef is recreated', () => {
  const expected = bootstrapClusterRoleBindings().find((b) => b.metadata!.name === 'cluster-admin')!;
  const existing = JSON.parse(JSON.stringify(expected));
  existing.subjects = [{ kind: 'User', name: 'ops' }];
  const r = reconcileClusterRoleBinding(existing, expected);
  assert.equal(r.action, 'update');
  if (r.action === 'update') assert.deepEqual(r.obj.subjects!.map((s) => s.name), ['ops', 'system:masters']);
  existing.roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' };
  const r2 = reconcileClusterRoleBinding(existing, expected);
  assert.equal(r2.action, 'recreate');
  if (r2.action === 'recreate') {
    assert.equal(r2.obj.roleRef.name, 'cluster-admin');
    assert.deepEqual(r2.obj.subjects!.map((s) => s.name), ['system:masters', 'ops']);
  }
});
