// Pure Deployment helpers: revisions and their annotations, active-or-latest, status.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  calculateDeploymentStatus,
  deploymentComplete,
  deploymentTimedOut,
  findActiveOrLatest,
  findNewReplicaSet,
  lastRevision,
  maxRevision,
  setDeploymentCondition,
  setNewReplicaSetAnnotations,
} from './deployment-util.js';

const rs = (name: string, o: { rev?: string; replicas?: number; created?: number; image?: string; annotations?: Record<string, string>; status?: any } = {}): any => ({
  metadata: { name, uid: name, creationTimestamp: new Date(o.created ?? 0).toISOString(), annotations: { ...(o.rev ? { 'deployment.kubernetes.io/revision': o.rev } : {}), ...(o.annotations ?? {}) } },
  spec: { replicas: o.replicas ?? 0, template: { metadata: { labels: { app: 'a', 'pod-template-hash': name } }, spec: { containers: [{ name: 'c', image: o.image ?? 'x' }] } } },
  status: o.status ?? {},
});

const deployment = (o: any = {}): any => ({
  metadata: { name: 'd', generation: 2, annotations: o.annotations ?? {} },
  spec: { replicas: o.replicas ?? 3, progressDeadlineSeconds: 600, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: o.image ?? 'x' }] } } },
  status: o.status ?? {},
});

test('revisions: max, last (the one before), new ReplicaSet by template', () => {
  const list = [rs('a', { rev: '1', created: 1 }), rs('b', { rev: '3', created: 2, image: 'y' }), rs('c', { rev: '2', created: 3, image: 'z' })];
  assert.equal(maxRevision(list), 3);
  assert.equal(lastRevision(list), 2);
  assert.equal(findNewReplicaSet(deployment({ image: 'y' }), list)?.metadata!.name, 'b');
  assert.equal(findNewReplicaSet(deployment({ image: 'q' }), list), undefined);
});

test('new ReplicaSet annotations: copied, revision raised, history kept on reuse', () => {
  const d = deployment({ annotations: { 'kubernetes.io/change-cause': 'why', 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'deployment.kubernetes.io/revision': '9' } });
  const fresh = rs('n');
  fresh.metadata.annotations = {};
  assert.equal(setNewReplicaSetAnnotations(d, fresh, '4', false), true);
  assert.deepEqual(fresh.metadata.annotations, {
    'kubernetes.io/change-cause': 'why',
    'deployment.kubernetes.io/revision': '4',
    'deployment.kubernetes.io/desired-replicas': '3',
    'deployment.kubernetes.io/max-replicas': '4',
  });
  const reused = rs('o', { rev: '1', annotations: { 'deployment.kubernetes.io/revision-history': '' } });
  setNewReplicaSetAnnotations(d, reused, '5', true);
  assert.equal(reused.metadata.annotations['deployment.kubernetes.io/revision'], '5');
  assert.equal(reused.metadata.annotations['deployment.kubernetes.io/revision-history'], '1');
  setNewReplicaSetAnnotations(d, reused, '7', true);
  assert.equal(reused.metadata.annotations['deployment.kubernetes.io/revision-history'], '1,5');
  assert.equal(setNewReplicaSetAnnotations(d, reused, '6', true), false, 'a revision is never lowered');
});

test('findActiveOrLatest: the only active one, else the newest, else none', () => {
  const a = rs('a', { replicas: 2, created: 1 });
  const b = rs('b', { replicas: 0, created: 2 });
  const c = rs('c', { replicas: 1, created: 3 });
  assert.equal(findActiveOrLatest(b, [a])?.metadata!.name, 'a');
  assert.equal(findActiveOrLatest(undefined, [rs('x', { created: 1 }), rs('y', { created: 5 })])?.metadata!.name, 'y');
  assert.equal(findActiveOrLatest(c, [a]), undefined);
});

test('status and conditions: counts, Available, complete, timed out', () => {
  const newRS = rs('n', { replicas: 3, status: { replicas: 3, readyReplicas: 2, availableReplicas: 2 } });
  const old = rs('o', { replicas: 1, status: { replicas: 1, readyReplicas: 1, availableReplicas: 1 } });
  const d = deployment();
  const s = calculateDeploymentStatus([old, newRS], newRS, d, Date.parse('2025-01-01T00:00:00Z'));
  assert.deepEqual(
    { ...s, conditions: undefined },
    { observedGeneration: 2, replicas: 4, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 1, conditions: undefined },
  );
  assert.deepEqual(s.conditions, [{ type: 'Available', status: 'True', lastUpdateTime: '2025-01-01T00:00:00Z', lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }]);
  assert.equal(deploymentComplete(d, s), false);
  assert.equal(deploymentComplete(d, { ...s, replicas: 3, availableReplicas: 3 }), true);

  // Same status and reason: the condition is kept as it was.
  const st: any = { conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: '2025-01-01T00:00:00Z', lastTransitionTime: '2025-01-01T00:00:00Z' }] };
  setDeploymentCondition(st, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: '2025-02-01T00:00:00Z', lastTransitionTime: '2025-02-01T00:00:00Z' });
  assert.equal(st.conditions[0].lastUpdateTime, '2025-01-01T00:00:00Z');
  // Same status, new reason: the transition time stays.
  setDeploymentCondition(st, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', lastUpdateTime: '2025-02-01T00:00:00Z', lastTransitionTime: '2025-02-01T00:00:00Z' });
  assert.equal(st.conditions[0].lastTransitionTime, '2025-01-01T00:00:00Z');
  assert.equal(st.conditions[0].lastUpdateTime, '2025-02-01T00:00:00Z');

  const stuck: any = { conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: '2025-01-01T00:00:00Z' }] };
  assert.equal(deploymentTimedOut(d, stuck, Date.parse('2025-01-01T00:09:59Z')), false);
  assert.equal(deploymentTimedOut(d, stuck, Date.parse('2025-01-01T00:10:01Z')), true);
});
