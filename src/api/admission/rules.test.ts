// Webhook and policy matching: rules with wildcards and subresources, scope,
// matchPolicy Equivalent, namespace and object selectors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchedResource, namespaceSelectorMatches, objectSelectorMatches, ruleMatches, type MatchRequest } from './rules.js';

const req = (over: Partial<MatchRequest> = {}): MatchRequest => ({
  operation: 'CREATE',
  resource: { group: '', version: 'v1', resource: 'pods' },
  subresource: '',
  namespace: 'default',
  name: 'p',
  object: { metadata: { labels: { app: 'web' } } },
  ...over,
});
const rule = (resources: string[], extra: object = {}) => ({ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources, ...extra });

test('resources: plain names and * match main resources only; subresources need x/y, */y, x/* or */*', () => {
  assert.equal(ruleMatches(rule(['pods']), req()), true);
  assert.equal(ruleMatches(rule(['*']), req()), true);
  assert.equal(ruleMatches(rule(['pods']), req({ subresource: 'status' })), false);
  assert.equal(ruleMatches(rule(['*']), req({ subresource: 'status' })), false);
  assert.equal(ruleMatches(rule(['pods/status']), req({ subresource: 'status' })), true);
  assert.equal(ruleMatches(rule(['*/status']), req({ subresource: 'status' })), true);
  assert.equal(ruleMatches(rule(['pods/*']), req({ subresource: 'status' })), true);
  assert.equal(ruleMatches(rule(['pods/*']), req()), false);
  assert.equal(ruleMatches(rule(['*/*']), req()), true);
  assert.equal(ruleMatches(rule(['*/*']), req({ subresource: 'binding' })), true);
  assert.equal(ruleMatches(rule(['services']), req()), false);
});

test('operations, groups and versions: exact or *', () => {
  assert.equal(ruleMatches(rule(['pods']), req({ operation: 'DELETE' })), false);
  assert.equal(ruleMatches(rule(['pods'], { operations: ['*'] }), req({ operation: 'DELETE' })), true);
  assert.equal(ruleMatches(rule(['deployments'], { apiGroups: ['apps'] }), req({ resource: { group: 'apps', version: 'v1', resource: 'deployments' } })), true);
  assert.equal(ruleMatches(rule(['deployments'], { apiGroups: ['*'], apiVersions: ['*'] }), req({ resource: { group: 'apps', version: 'v1', resource: 'deployments' } })), true);
  assert.equal(ruleMatches(rule(['deployments']), req({ resource: { group: 'apps', version: 'v1', resource: 'deployments' } })), false);
});

test('scope: Namespaced and Cluster; a Namespace is cluster-scoped although its requests carry its name', () => {
  const ns = req({ resource: { group: '', version: 'v1', resource: 'namespaces' }, namespace: 'team-a', name: 'team-a' });
  assert.equal(ruleMatches(rule(['pods'], { scope: 'Namespaced' }), req()), true);
  assert.equal(ruleMatches(rule(['pods'], { scope: 'Cluster' }), req()), false);
  assert.equal(ruleMatches(rule(['namespaces'], { scope: 'Cluster' }), ns), true);
  assert.equal(ruleMatches(rule(['namespaces'], { scope: 'Namespaced' }), ns), false);
  assert.equal(ruleMatches(rule(['nodes'], { scope: 'Cluster' }), req({ resource: { group: '', version: 'v1', resource: 'nodes' }, namespace: '' })), true);
});

test('matchPolicy: Equivalent falls back to the same objects under another version; Exact does not', () => {
  const hpa = req({ resource: { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers' } });
  const rules = [rule(['horizontalpodautoscalers'], { apiGroups: ['autoscaling'], apiVersions: ['v1'] })];
  const eq = [{ group: 'autoscaling', version: 'v1', resource: 'horizontalpodautoscalers' }];
  assert.deepEqual(matchedResource(rules, 'Equivalent', hpa, eq), eq[0]);
  assert.equal(matchedResource(rules, 'Exact', hpa, eq), undefined);
  assert.deepEqual(matchedResource([rule(['pods'])], 'Exact', req(), []), req().resource);
});

test('namespaceSelector: the namespace labels; a Namespace its own; other cluster-scoped objects always', () => {
  const sel = { matchLabels: { env: 'prod' } };
  assert.equal(namespaceSelectorMatches(sel, req(), { env: 'prod' }), true);
  assert.equal(namespaceSelectorMatches(sel, req(), { env: 'dev' }), false);
  assert.equal(namespaceSelectorMatches(sel, req(), undefined), false);
  assert.equal(namespaceSelectorMatches({}, req(), undefined), true);
  const ns = (labels: object) => req({ resource: { group: '', version: 'v1', resource: 'namespaces' }, namespace: 'x', object: { metadata: { labels } } });
  assert.equal(namespaceSelectorMatches(sel, ns({ env: 'prod' }), undefined), true);
  assert.equal(namespaceSelectorMatches(sel, ns({}), { env: 'prod' }), false);
  assert.equal(namespaceSelectorMatches(sel, req({ resource: { group: '', version: 'v1', resource: 'nodes' }, namespace: '' }), undefined), true);
  assert.equal(namespaceSelectorMatches({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, req(), { env: 'dev' }), true);
});

test('objectSelector: the new or the old object labels', () => {
  const sel = { matchLabels: { app: 'web' } };
  assert.equal(objectSelectorMatches(sel, req()), true);
  assert.equal(objectSelectorMatches(sel, req({ object: { metadata: {} } })), false);
  assert.equal(objectSelectorMatches(sel, req({ object: { metadata: {} }, oldObject: { metadata: { labels: { app: 'web' } } } })), true);
  assert.equal(objectSelectorMatches(sel, req({ operation: 'DELETE', object: undefined, oldObject: { metadata: { labels: { app: 'web' } } } })), true);
  assert.equal(objectSelectorMatches({}, req({ object: undefined })), true);
});
