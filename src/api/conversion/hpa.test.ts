import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertToVersion } from './index.js';

const v2 = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'h', namespace: 'n', annotations: { keep: 'me' } },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' },
    minReplicas: 1,
    maxReplicas: 5,
    metrics: [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '32Mi' } } },
      { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
    ],
    behavior: { scaleDown: { stabilizationWindowSeconds: 5 } },
  },
  status: {
    currentReplicas: 2,
    desiredReplicas: 3,
    currentMetrics: [
      { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 80, averageValue: '80m' } } },
      { type: 'Resource', resource: { name: 'memory', current: { averageValue: '1Mi' } } },
    ],
    conditions: [{ type: 'AbleToScale', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'ReadyForNewScale', message: 'm' }],
  },
};

test('v2 -> v1: CPU utilization in the v1 fields, everything else in annotations', () => {
  const v1 = convertToVersion(v2, 'autoscaling', 'HorizontalPodAutoscaler', 'v1');
  assert.equal(v1.apiVersion, 'autoscaling/v1');
  assert.deepEqual(v1.spec, { scaleTargetRef: v2.spec.scaleTargetRef, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 });
  assert.deepEqual(v1.status, { currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 80 });
  const a = v1.metadata.annotations;
  assert.equal(a.keep, 'me');
  assert.deepEqual(JSON.parse(a['autoscaling.alpha.kubernetes.io/metrics']), [
    { type: 'Resource', resource: { name: 'memory', targetAverageValue: '32Mi' } },
    { type: 'Pods', pods: { metricName: 'qps', targetAverageValue: '10' } },
  ]);
  assert.deepEqual(JSON.parse(a['autoscaling.alpha.kubernetes.io/current-metrics'])[0], { type: 'Resource', resource: { name: 'cpu', currentAverageUtilization: 80, currentAverageValue: '80m' } });
  assert.deepEqual(JSON.parse(a['autoscaling.alpha.kubernetes.io/behavior']), v2.spec.behavior);
});

test('v1 -> v2 restores what v1 carried in annotations (round trip)', () => {
  const back = convertToVersion(convertToVersion(v2, 'autoscaling', 'HorizontalPodAutoscaler', 'v1'), 'autoscaling', 'HorizontalPodAutoscaler', 'v2');
  assert.deepEqual(back, v2);
});

test('a plain v1 autoscaler: its CPU target, or the implicit 80%', () => {
  const v1 = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'd' }, maxReplicas: 3 } };
  const out = convertToVersion(v1, 'autoscaling', 'HorizontalPodAutoscaler', 'v2');
  assert.deepEqual(out.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  assert.equal(out.metadata.annotations, undefined);
  const same = convertToVersion(v1, 'autoscaling', 'HorizontalPodAutoscaler', 'v1');
  assert.equal(same, v1);
});
