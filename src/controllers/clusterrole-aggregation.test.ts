import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedInformerFactory } from '../client/informer.js';
import { ClusterRoleAggregationController, aggregatedRules } from './clusterrole-aggregation.js';
import { startTestApi, waitFor } from './testing.js';

const PATH = '/apis/rbac.authorization.k8s.io/v1/clusterroles';
const cr = (name: string, labels: Record<string, string>, rules: any[], agg?: string) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name, labels },
  rules,
  ...(agg ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [agg]: 'true' } }] } } : {}),
});

test('aggregatedRules: union of matching roles in name order, without duplicates or itself', () => {
  const r1 = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
  const r2 = { verbs: ['list'], apiGroups: [''], resources: ['pods'] };
  const agg = cr('agg', { x: 'true' }, [], 'x') as any;
  const all = [agg, cr('b', { x: 'true' }, [r2, r1]), cr('a', { x: 'true' }, [r1]), cr('c', { y: 'true' }, [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }])] as any[];
  assert.deepEqual(aggregatedRules(agg, all), [r1, r2]);
});

test('the controller fills aggregated roles and follows changes through chains', async () => {
  const { api, client, admin } = await startTestApi();
  const factory = new SharedInformerFactory(client);
  const c = new ClusterRoleAggregationController(client, factory);
  factory.start();
  const run = c.run(1);
  try {
    await admin.create(PATH, cr('top', {}, [], 'to-top'));
    await admin.create(PATH, cr('mid', { 'to-top': 'true' }, [], 'to-mid'));
    await admin.create(PATH, cr('leaf', { 'to-mid': 'true' }, [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }]));
    const rulesOf = async (n: string) => (await admin.get(`${PATH}/${n}`)).rules ?? [];
    await waitFor(async () => (await rulesOf('top')).length === 1, 'top aggregates leaf through mid');
    assert.deepEqual(await rulesOf('mid'), [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }]);
    await admin.delete(`${PATH}/leaf`);
    await waitFor(async () => (await rulesOf('top')).length === 0, 'top loses the deleted rules');
  } finally {
    await c.stop();
    factory.stop();
    await run;
    await api.stop();
  }
});
