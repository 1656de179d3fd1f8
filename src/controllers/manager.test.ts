// The controller manager: all controllers on one informer factory, and
// leader election on kube-system/kube-controller-manager with hand-over.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../apiserver/api-server.js';
import type { InProcessClient } from '../client/in-process.js';
import { startControllerManager, type ControllerManager } from './manager.js';
import { listPods, startTestApi, waitFor } from './testing.js';

let api: ApiServer;
let client: InProcessClient;
let admin: InProcessClient;

before(async () => {
  ({ api, client, admin } = await startTestApi());
  for (const ns of ['plain', 'elected']) await admin.create('/api/v1/namespaces', { metadata: { name: ns } });
});

after(async () => {
  await api.stop();
});

const deployment = (name: string, replicas: number) => ({
  metadata: { name },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
});

test('without leader election every controller runs: rollout, garbage collection, namespaces', async () => {
  const m = await startControllerManager(client, { identity: 'solo', leaderElection: false, resources: () => api.registry.all() });
  try {
    assert.equal(m.isLeading(), true);
    await admin.create('/apis/apps/v1/namespaces/plain/deployments', deployment('web', 2));
    await waitFor(async () => (await listPods(admin, 'plain')).length === 2, 'pods of the deployment');
    await admin.delete('/apis/apps/v1/namespaces/plain/deployments/web');
    await waitFor(async () => (await admin.get('/api/v1/namespaces/plain/pods')).items.length === 0, 'cascade');
    await admin.delete('/api/v1/namespaces/plain');
    await waitFor(async () => {
      try {
        await admin.get('/api/v1/namespaces/plain');
        return false;
      } catch {
        return true;
      }
    }, 'namespace removed');
  } finally {
    await m.stop();
  }
});

test('with leader election one manager acts and a standby takes over', async () => {
  const timing = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100 };
  const opts = (identity: string) => ({ identity, leaderElection: true, resources: () => api.registry.all(), onError: () => {}, ...timing });
  const a = await startControllerManager(client, opts('cm-a'));
  const b = await startControllerManager(client, opts('cm-b'));
  const managers: Record<string, ControllerManager> = { 'cm-a': a, 'cm-b': b };
  let stoppedLeader: string | undefined;
  try {
    const lease = await waitFor(async () => {
      const l = await admin.get('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager');
      return l.spec?.holderIdentity ? l : undefined;
    }, 'a leader');
    const leader = lease.spec.holderIdentity as string;
    const standby = leader === 'cm-a' ? 'cm-b' : 'cm-a';
    await waitFor(() => managers[leader].isLeading(), 'leader runs its controllers');
    assert.equal(managers[standby].isLeading(), false);

    await admin.create('/apis/apps/v1/namespaces/elected/deployments', deployment('app', 3));
    await waitFor(async () => (await listPods(admin, 'elected')).length === 3, 'pods by the leader');

    stoppedLeader = leader;
    await managers[leader].stop();
    const next = await waitFor(async () => {
      const l = await admin.get('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager');
      return l.spec?.holderIdentity === standby ? l : undefined;
    }, 'the standby takes the lease', 5000);
    assert.ok(next.spec.leaseTransitions >= 1);
    await waitFor(() => managers[standby].isLeading(), 'standby runs its controllers');
    await admin.patch('/apis/apps/v1/namespaces/elected/deployments/app', { spec: { replicas: 4 } });
    await waitFor(async () => (await listPods(admin, 'elected')).length === 4, 'the new leader scales');
    assert.equal((await listPods(admin, 'elected')).length, 4);
  } finally {
    for (const [id, m] of Object.entries(managers)) if (id !== stoppedLeader) await m.stop();
  }
});
