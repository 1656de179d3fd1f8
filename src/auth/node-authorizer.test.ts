import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeGraph, podReferences } from './node-graph.js';
import { NodeAuthorizer, UnionAuthorizer } from './node-authorizer.js';
import { nodeRules } from './bootstrap-policy.js';
import { AlwaysAllow, type Authorizer } from './rbac.js';

const pod = (name: string, nodeName: string | undefined, spec: any = {}) => ({ metadata: { namespace: 'default', name }, spec: { nodeName, containers: [{ name: 'c' }], ...spec } });
const n1 = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const get = (resource: string, name: string, extra: any = {}) => ({ resourceRequest: true as const, verb: 'get', group: '', resource, subresource: '', namespace: 'default', name, ...extra });

function setup() {
  const graph = new NodeGraph();
  const claims: Record<string, string> = { 'default/data': 'pv-1' };
  const node = new NodeAuthorizer({ graph, claimVolume: (ns, n) => claims[`${ns}/${n}`] }, nodeRules());
  return { graph, node };
}

test('podReferences finds secrets, configmaps, claims and the service account everywhere a pod names them', () => {
  const refs = podReferences(pod('p', 'n1', {
    serviceAccountName: 'robot',
    imagePullSecrets: [{ name: 'pull' }],
    initContainers: [{ name: 'i', envFrom: [{ secretRef: { name: 'init-env' } }] }],
    containers: [{ name: 'c', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm-env', key: 'a' } } }] }],
    volumes: [
      { name: 'a', secret: { secretName: 'vol' } },
      { name: 'b', projected: { sources: [{ configMap: { name: 'proj' } }, { secret: { name: 'proj-s' } }] } },
      { name: 'c', persistentVolumeClaim: { claimName: 'data' } },
    ],
  }));
  assert.deepEqual(refs.sort(), [
    'configmap/default/cm-env', 'configmap/default/proj', 'pvc/default/data', 'secret/default/init-env', 'secret/default/proj-s', 'secret/default/pull', 'secret/default/vol', 'serviceaccount/default/robot',
  ]);
});

test('a node reads a secret only while a pod bound to it references it', () => {
  const { graph, node } = setup();
  const p = pod('p1', 'n1', { volumes: [{ name: 's', secret: { secretName: 's1' } }] });
  assert.equal(node.authorize(n1, get('secrets', 's1')).reason, "no relationship found between node 'n1' and this object");
  graph.setPod(p);
  assert.equal(node.authorize(n1, get('secrets', 's1')).allowed, true);
  assert.equal(node.authorize(n1, get('secrets', 's1', { verb: 'watch' })).allowed, true);
  assert.equal(node.authorize(n1, get('secrets', 's2')).allowed, false);
  assert.deepEqual(node.authorize(n1, get('secrets', '', { verb: 'list' })), { allowed: false, reason: 'No Object name found' });
  assert.deepEqual(node.authorize(n1, get('secrets', 's1', { verb: 'update' })), { allowed: false, reason: 'can only read resources of this type' });
  // Another node's pod does not count; two pods referencing it keep it until both are gone.
  graph.setPod(pod('p2', 'n2', { volumes: [{ name: 's', secret: { secretName: 's2' } }] }));
  assert.equal(node.authorize(n1, get('secrets', 's2')).allowed, false);
  graph.setPod(pod('p3', 'n1', { volumes: [{ name: 's', secret: { secretName: 's1' } }] }));
  graph.deletePod('default/p1');
  assert.equal(node.authorize(n1, get('secrets', 's1')).allowed, true);
  graph.deletePod('default/p3');
  assert.equal(node.authorize(n1, get('secrets', 's1')).allowed, false);
  // A pod moving off the node (replaced without nodeName) drops its references.
  graph.setPod(p);
  graph.setPod(pod('p1', undefined, { volumes: [{ name: 's', secret: { secretName: 's1' } }] }));
  assert.equal(node.authorize(n1, get('secrets', 's1')).allowed, false);
});

test('volumes through claims, tokens for its pods\' service accounts, its own lease, the system:node rules for the rest', () => {
  const { graph, node } = setup();
  graph.setPod(pod('p1', 'n1', { serviceAccountName: 'robot', volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] }));
  assert.equal(node.authorize(n1, get('persistentvolumeclaims', 'data')).allowed, true);
  assert.equal(node.authorize(n1, { ...get('persistentvolumes', 'pv-1'), namespace: '' }).allowed, true);
  assert.equal(node.authorize(n1, { ...get('persistentvolumes', 'pv-2'), namespace: '' }).allowed, false);
  assert.equal(node.authorize(n1, get('serviceaccounts', 'robot', { verb: 'create', subresource: 'token' })).allowed, true);
  assert.equal(node.authorize(n1, get('serviceaccounts', 'default', { verb: 'create', subresource: 'token' })).allowed, false);
  const lease = (name: string, namespace = 'kube-node-lease') => ({ ...get('leases', name), group: 'coordination.k8s.io', namespace, verb: 'update' });
  assert.equal(node.authorize(n1, lease('n1')).allowed, true);
  assert.equal(node.authorize(n1, lease('n2')).reason, 'can only access node lease with the same name as the requesting node');
  assert.equal(node.authorize(n1, lease('n1', 'default')).reason, 'can only access leases in the kube-node-lease system namespace');
  assert.equal(node.authorize(n1, { ...get('pods', ''), verb: 'list' }).allowed, true);
  assert.equal(node.authorize(n1, { ...get('deployments', 'x'), group: 'apps' }).allowed, false);
  // Not a node identity: no opinion at all.
  assert.deepEqual(node.authorize({ name: 'system:node:n1', groups: ['system:authenticated'] }, get('pods', 'x')), { allowed: false, reason: '' });
});

test('Node,RBAC: the node authorizer first, RBAC for the rest, the node reason kept on a denial', () => {
  const { node } = setup();
  const deny: Authorizer = { authorize: () => ({ allowed: false, reason: '' }), rulesFor: () => [] };
  assert.deepEqual(new UnionAuthorizer(node, deny).authorize(n1, get('secrets', 's1')), { allowed: false, reason: "no relationship found between node 'n1' and this object" });
  assert.equal(new UnionAuthorizer(node, new AlwaysAllow()).authorize(n1, get('secrets', 's1')).allowed, true);
});
