import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePolicy, parsePolicy, PolicyError, type AuditAttributes } from './policy.js';

const res = (verb: string, resource: string, o: Partial<AuditAttributes> = {}): AuditAttributes => ({ user: 'admin', groups: ['system:masters', 'system:authenticated'], verb, resourceRequest: true, group: '', resource, namespace: 'default', ...o });
const nonRes = (path: string, o: Partial<AuditAttributes> = {}): AuditAttributes => ({ user: 'admin', groups: ['system:authenticated'], verb: 'get', resourceRequest: false, path, ...o });

const policy = parsePolicy(`
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: ["system:kube-proxy"]
  - level: None
    userGroups: ["system:nodes"]
    verbs: [get]
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["pods/log"]
  - level: Request
    resources:
      - group: apps
        resources: ["*"]
    omitStages: [ResponseStarted]
  - level: Metadata
    resources:
      - group: ""
        resources: [configmaps]
        resourceNames: [controller-leader]
  - level: RequestResponse
    namespaces: [audited]
  - level: None
    resources: [{group: "", resources: ["*/status"]}]
  - level: Request
    namespaces: [""]
    resources: [{group: ""}]
  - level: None
    nonResourceURLs: ["/healthz*", /version]
  - level: Metadata
    nonResourceURLs: ["/api*"]
  - level: Metadata
    resources: [{group: "", resources: [secrets]}]
`);

test('first matching rule wins; none matching is None', () => {
  assert.equal(evaluatePolicy(policy, res('get', 'pods', { subresource: 'log' })).level, 'RequestResponse');
  assert.equal(evaluatePolicy(policy, res('get', 'pods', { subresource: 'log', user: 'system:kube-proxy' })).level, 'None');
  assert.equal(evaluatePolicy(policy, res('get', 'pods')).level, 'None');
  assert.equal(evaluatePolicy(policy, res('get', 'secrets')).level, 'Metadata');
  assert.equal(evaluatePolicy(policy, res('get', 'secrets', { namespace: 'audited' })).level, 'RequestResponse');
});

test('users, groups and verbs', () => {
  const node = { user: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
  assert.equal(evaluatePolicy(policy, res('get', 'pods', { subresource: 'log', ...node })).level, 'None');
  assert.equal(evaluatePolicy(policy, res('list', 'pods', { subresource: 'log', ...node })).level, 'RequestResponse');
});

test('resources: group, subresources, wildcards and resource names', () => {
  assert.equal(evaluatePolicy(policy, res('create', 'deployments', { group: 'apps' })).level, 'Request');
  // `*` does not cover subresources.
  assert.equal(evaluatePolicy(policy, res('update', 'deployments', { group: 'apps', subresource: 'scale' })).level, 'None');
  // `*/status` covers every resource's status.
  assert.equal(evaluatePolicy(policy, res('update', 'pods', { subresource: 'status', namespace: 'x' })).level, 'None');
  assert.equal(evaluatePolicy(policy, res('update', 'configmaps', { name: 'controller-leader' })).level, 'Metadata');
  assert.equal(evaluatePolicy(policy, res('update', 'configmaps', { name: 'other' })).level, 'None');
  // A group given without resources matches all of that group's resources.
  assert.equal(evaluatePolicy(policy, res('list', 'nodes', { namespace: '' })).level, 'Request');
  assert.equal(evaluatePolicy(policy, res('list', 'storageclasses', { namespace: '', group: 'storage.k8s.io' })).level, 'None');
});

test('namespaces: named and cluster scope', () => {
  assert.equal(evaluatePolicy(policy, res('delete', 'services', { namespace: 'audited' })).level, 'RequestResponse');
  assert.equal(evaluatePolicy(policy, res('get', 'namespaces', { namespace: '', name: 'x' })).level, 'Request');
});

test('non-resource URLs: exact and prefix; never a resource request', () => {
  assert.equal(evaluatePolicy(policy, nonRes('/healthz/ready')).level, 'None');
  assert.equal(evaluatePolicy(policy, nonRes('/version')).level, 'None');
  assert.equal(evaluatePolicy(policy, nonRes('/version/x')).level, 'None');
  assert.equal(evaluatePolicy(policy, nonRes('/apis')).level, 'Metadata');
  assert.equal(evaluatePolicy(policy, nonRes('/openapi/v2')).level, 'None');
  // Namespace rules never match non-resource requests.
  assert.equal(evaluatePolicy(parsePolicy('rules: [{level: Metadata, namespaces: [""]}]'), nonRes('/api')).level, 'None');
});

test('omitStages: the policy\'s and the rule\'s together', () => {
  assert.deepEqual(evaluatePolicy(policy, res('get', 'deployments', { group: 'apps' })).omitStages.sort(), ['RequestReceived', 'ResponseStarted']);
  assert.deepEqual(evaluatePolicy(policy, res('get', 'secrets')).omitStages, ['RequestReceived']);
  assert.deepEqual(evaluatePolicy(policy, res('get', 'pods')).omitStages, ['RequestReceived']);
});

test('invalid policies are refused', () => {
  assert.throws(() => parsePolicy('rules: [{level: Verbose}]'), PolicyError);
  assert.throws(() => parsePolicy('rules: [{level: None, omitStages: [Done]}]'), PolicyError);
  assert.throws(() => parsePolicy('kind: Role\nrules: []'), PolicyError);
  assert.throws(() => parsePolicy('rules: [{level: None, users: admin}]'), PolicyError);
  assert.throws(() => parsePolicy('rules: [{level: None, namespaces: [a], nonResourceURLs: ["/x"]}]'), PolicyError);
  assert.deepEqual(parsePolicy('apiVersion: audit.k8s.io/v1\nkind: Policy').rules, []);
});
