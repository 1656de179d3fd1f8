// HorizontalPodAutoscalers end to end through kubectl, on simulated nodes
// whose pods report the usage their sim.kts.io annotations ask for
// (apiserver/sim-metrics.ts), with a 1 s HPA sync period.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKts, eventually, type KtsProcess } from './harness.js';

let kts: KtsProcess;

before(async () => {
  kts = await startKts({ storage: 'memory', extraArgs: ['--sim-nodes', '2', '--horizontal-pod-autoscaler-sync-period', '1s'] });
});
after(async () => {
  await kts?.stop();
});

/** A Deployment whose pods request `requests` and report `usage` (annotations). */
function deployment(name: string, replicas: number, requests: Record<string, string>, usage: Record<string, string>): string {
  const annotations = Object.entries(usage)
    .map(([k, v]) => `        sim.kts.io/${k}-usage: "${v}"`)
    .join('\n');
  const req = Object.entries(requests)
    .map(([k, v]) => `              ${k}: ${v}`)
    .join('\n');
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
      annotations:
${annotations}
    spec:
      containers:
        - name: app
          image: busybox:1.36
          resources:
            requests:
${req}
`;
}

const hpa = async (name: string) => JSON.parse(await kts.k(['get', 'hpa.v2.autoscaling', name, '-o', 'json']));
const condition = (h: any, type: string) => (h.status?.conditions ?? []).find((c: any) => c.type === type);
const events = async (name: string) =>
  JSON.parse(await kts.k(['get', 'events', '--field-selector', `involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=${name}`, '-o', 'json'])).items;
const rescales = async (name: string) =>
  (await events(name))
    .filter((e: any) => e.reason === 'SuccessfulRescale')
    .sort((a: any, b: any) => a.firstTimestamp.localeCompare(b.firstTimestamp) || a.metadata.name.localeCompare(b.metadata.name))
    .map((e: any) => e.message);
const replicasOf = async (deploy: string) => Number(await kts.k(['get', 'deploy', deploy, '-o', 'jsonpath={.spec.replicas}']));

test('kubectl autoscale on CPU: scales up to ceil(usage / target x pods), then to maxReplicas', async () => {
  await kts.k(['apply', '-f', '-'], deployment('cpu', 1, { cpu: '100m' }, { cpu: '200m', memory: '32Mi' }));
  // kubectl top reads the simulated usage through metrics.k8s.io.
  const top = await eventually('kubectl top pod', async () => {
    const r = await kts.kubectl(['top', 'pod', '-l', 'app=cpu', '--no-headers']);
    return r.code === 0 && /\s200m\s+32Mi/.test(r.stdout) ? r.stdout : undefined;
  });
  assert.match(top, /^cpu-\S+\s+200m\s+32Mi\s*$/);

  assert.equal((await kts.k(['autoscale', 'deployment', 'cpu', '--cpu-percent=50', '--min=1', '--max=5'])).trim(), 'horizontalpodautoscaler.autoscaling/cpu autoscaled');
  // One pod at 200% of its request against a 50% target: 4 replicas.
  await eventually('the first rescale', async () => ((await rescales('cpu')).length >= 1 ? true : undefined));
  assert.equal((await rescales('cpu'))[0], 'New size: 4; reason: cpu resource utilization (percentage of request) above target');
  // Four pods still at 200% want 16: held at maxReplicas.
  const h = await eventually('5 replicas, limited', async () => {
    const x = await hpa('cpu');
    return x.status?.currentReplicas === 5 && condition(x, 'ScalingLimited')?.status === 'True' ? x : undefined;
  });
  assert.deepEqual((await rescales('cpu')).slice(0, 2), [
    'New size: 4; reason: cpu resource utilization (percentage of request) above target',
    'New size: 5; reason: cpu resource utilization (percentage of request) above target',
  ]);
  assert.equal(await replicasOf('cpu'), 5);
  assert.equal(h.status.desiredReplicas, 5);
  assert.deepEqual(h.status.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 200, averageValue: '200m' } } }]);
  assert.deepEqual(
    h.status.conditions.map((c: any) => [c.type, c.status, c.reason]),
    [
      ['AbleToScale', 'True', 'ReadyForNewScale'],
      ['ScalingActive', 'True', 'ValidMetricFound'],
      ['ScalingLimited', 'True', 'TooManyReplicas'],
    ],
  );
  assert.equal(condition(h, 'ScalingActive').message, 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)');
  assert.equal(condition(h, 'ScalingLimited').message, 'the desired replica count is more than the maximum replica count');
  assert.ok(h.status.lastScaleTime);
  const table = await kts.k(['get', 'hpa', 'cpu']);
  assert.match(table, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\n/);
  assert.match(table, /\ncpu\s+Deployment\/cpu\s+cpu: 200%\/50%\s+1\s+5\s+5\s+\d+s\n$/);

  // The same object through autoscaling/v1.
  const v1 = JSON.parse(await kts.k(['get', '--raw', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/cpu']));
  assert.equal(v1.apiVersion, 'autoscaling/v1');
  assert.equal(v1.spec.targetCPUUtilizationPercentage, 50);
  assert.deepEqual(v1.status, { lastScaleTime: h.status.lastScaleTime, currentReplicas: 5, desiredReplicas: 5, currentCPUUtilizationPercentage: 200 });
  assert.deepEqual(JSON.parse(v1.metadata.annotations['autoscaling.alpha.kubernetes.io/conditions']).map((c: any) => c.reason), ['ReadyForNewScale', 'ValidMetricFound', 'TooManyReplicas']);
});

test('lower usage scales down once the behavior stabilization window has passed', async () => {
  await kts.k(['apply', '-f', '-'], deployment('down', 4, { cpu: '100m' }, { cpu: '50m' }));
  await kts.k(
    ['apply', '-f', '-'],
    `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: down
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: down}
  minReplicas: 1
  maxReplicas: 10
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: {type: Utilization, averageUtilization: 50}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 3
`,
  );
  // Defaulting completed the behavior as upstream does.
  const spec = (await hpa('down')).spec;
  assert.deepEqual(spec.behavior, {
    scaleDown: { stabilizationWindowSeconds: 3, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
  });
  // At the target: four pods stay.
  await eventually('the metric at 50%', async () => ((await kts.k(['get', 'hpa', 'down'])).includes('cpu: 50%/50%') ? true : undefined));
  assert.equal(await replicasOf('down'), 4);
  assert.deepEqual(await rescales('down'), []);

  // Usage drops to 20% of the request: 0.4 x 4 pods -> 2, then 0.4 x 2 -> 1.
  await kts.k(['annotate', 'pods', '-l', 'app=down', 'sim.kts.io/cpu-usage=20m', '--overwrite']);
  await eventually('1 replica', async () => ((await hpa('down')).status?.currentReplicas === 1 ? true : undefined));
  assert.deepEqual(await rescales('down'), ['New size: 2; reason: All metrics below target', 'New size: 1; reason: All metrics below target']);
  assert.equal(await replicasOf('down'), 1);
});

test('memory AverageValue target, clamped at maxReplicas', async () => {
  await kts.k(['apply', '-f', '-'], deployment('mem', 1, { memory: '64Mi' }, { memory: '64Mi' }));
  await kts.k(
    ['apply', '-f', '-'],
    `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: mem
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: mem}
  maxReplicas: 2
  metrics:
    - type: Resource
      resource:
        name: memory
        target: {type: AverageValue, averageValue: 32Mi}
`,
  );
  const h = await eventually('2 replicas, limited', async () => {
    const x = await hpa('mem');
    return x.status?.currentReplicas === 2 && condition(x, 'ScalingLimited')?.status === 'True' ? x : undefined;
  });
  assert.deepEqual(await rescales('mem'), ['New size: 2; reason: memory resource above target']);
  assert.equal(condition(h, 'ScalingLimited').reason, 'TooManyReplicas');
  assert.deepEqual(h.status.currentMetrics, [{ type: 'Resource', resource: { name: 'memory', current: { averageValue: '67108864' } } }]);
  assert.match(await kts.k(['get', 'hpa', 'mem']), /\nmem\s+Deployment\/mem\s+memory: 67108864\/32Mi\s+1\s+2\s+2\s+\d+s\n$/);
});

test('minReplicas raises a smaller target', async () => {
  await kts.k(['apply', '-f', '-'], deployment('few', 1, { cpu: '100m' }, { cpu: '50m' }));
  await kts.k(['autoscale', 'deployment', 'few', '--cpu-percent=50', '--min=3', '--max=4']);
  await eventually('3 replicas', async () => ((await hpa('few')).status?.currentReplicas === 3 ? true : undefined));
  assert.deepEqual(await rescales('few'), ['New size: 3; reason: Current number of replicas below Spec.MinReplicas']);
  assert.equal(await replicasOf('few'), 3);
});

test('Pods metrics need a custom metrics API kts does not serve: ScalingActive=False', async () => {
  await kts.k(['apply', '-f', '-'], deployment('qps', 1, { cpu: '100m' }, { cpu: '50m' }));
  await kts.k(
    ['apply', '-f', '-'],
    `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: qps
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: qps}
  maxReplicas: 3
  metrics:
    - type: Pods
      pods:
        metric: {name: requests_per_second}
        target: {type: AverageValue, averageValue: "10"}
`,
  );
  const active = await eventually('ScalingActive False', async () => condition(await hpa('qps'), 'ScalingActive'));
  assert.equal(active.status, 'False');
  assert.equal(active.reason, 'FailedGetPodsMetric');
  assert.match(active.message, /^the HPA was unable to compute the replica count: unable to get metric requests_per_second: unable to fetch metrics from custom metrics API/);
  const warnings = (await events('qps')).map((e: any) => e.reason);
  assert.ok(warnings.includes('FailedGetPodsMetric') && warnings.includes('FailedComputeMetricsReplicas'), warnings.join(','));
  assert.equal(await replicasOf('qps'), 1);
  assert.match(await kts.k(['get', 'hpa', 'qps']), /\nqps\s+Deployment\/qps\s+<unknown>\/10\s+1\s+3\s+1\s+\d+s\n$/);
});
