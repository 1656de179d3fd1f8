import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyAffinityLabelKeys } from './pod-affinity-label-keys.js';

test('matchLabelKeys and mismatchLabelKeys become In and NotIn requirements of the term selector', () => {
  const term = (extra: any = {}) => ({ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } }, ...extra });
  const pod: any = {
    metadata: { labels: { app: 'web', 'pod-template-hash': 'abc', tenant: 't1' } },
    spec: {
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [term({ matchLabelKeys: ['pod-template-hash', 'missing'] })],
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term({ mismatchLabelKeys: ['tenant'] }) }],
        },
        podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', matchLabelKeys: ['app'] }] },
      },
    },
  };
  applyAffinityLabelKeys(pod);
  const anti = pod.spec.affinity.podAntiAffinity;
  assert.deepEqual(anti.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector, { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'pod-template-hash', operator: 'In', values: ['abc'] }] });
  assert.deepEqual(anti.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys, ['pod-template-hash', 'missing'], 'the keys stay');
  assert.deepEqual(anti.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchExpressions, [{ key: 'tenant', operator: 'NotIn', values: ['t1'] }]);
  assert.equal(pod.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector, undefined, 'no selector: left alone');
  applyAffinityLabelKeys({ spec: {} });
  applyAffinityLabelKeys({ spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: 'junk' } } } });
});
