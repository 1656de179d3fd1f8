import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatorFor, podResourceTotals, quotaMatches } from './evaluators.js';
import { checkQuotaRequest } from './check.js';
import { calculateQuotaStatus } from './usage.js';
import { add, formatResourceList, parseResourceList, prettyPrint } from './resources.js';
import { applyLimitRangeDefaults, validateLimitRanges, aggregateMessage } from './limitrange.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

const container = (name: string, requests?: Record<string, string>, limits?: Record<string, string>, extra: object = {}) => ({
  name,
  image: 'busybox',
  resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) },
  ...extra,
});
const pod = (name: string, spec: object, status: object = {}, meta: object = {}) => ({ metadata: { name, namespace: 'ns', ...meta }, spec, status });
const quota = (name: string, hard: Record<string, string>, used?: Record<string, string>, spec: object = {}) => ({
  metadata: { name, namespace: 'ns', resourceVersion: '5' },
  spec: { hard, ...spec },
  status: { hard, ...(used ? { used } : {}) },
});

test('resource lists: exact sums keep upstream formats (zero takes the other side’s)', () => {
  const a = parseResourceList({ memory: '0', cpu: '500m' });
  const sum = add(add(a, parseResourceList({ memory: '512Mi', cpu: '500m' })), parseResourceList({ memory: '512Mi', cpu: '1' }));
  assert.deepEqual(formatResourceList(sum), { cpu: '2', memory: '1Gi' });
  assert.equal(prettyPrint(parseResourceList({ 'requests.cpu': '100m', 'limits.memory': '512Mi' })), 'limits.memory=512Mi,requests.cpu=100m');
});

test('pod totals: containers summed, init containers by max, sidecars added to both', () => {
  const p = pod('p', {
    initContainers: [container('i1', { cpu: '2' }), container('side', { cpu: '100m' }, undefined, { restartPolicy: 'Always' }), container('i2', { cpu: '1950m' })],
    containers: [container('a', { cpu: '500m', memory: '1Gi' }), container('b', { cpu: '500m' })],
  });
  // containers 1 + sidecar 100m = 1100m; init max = max(2, 1950m + 100m sidecar) = 2050m
  assert.deepEqual(formatResourceList(podResourceTotals(p, 'requests')), { cpu: '2050m', memory: '1Gi' });
});

test('pod usage: compute names and counts; terminal and expired-deletion pods only count as objects', () => {
  const ev = evaluatorFor('', 'pods');
  const p = pod('p', { containers: [container('c', { cpu: '250m', memory: '64Mi' }, { cpu: '1', memory: '128Mi' })] });
  assert.deepEqual(formatResourceList(ev.usage(p, NOW)), {
    'count/pods': '1',
    cpu: '250m',
    'limits.cpu': '1',
    'limits.memory': '128Mi',
    memory: '64Mi',
    pods: '1',
    'requests.cpu': '250m',
    'requests.memory': '64Mi',
  });
  assert.deepEqual(formatResourceList(ev.usage({ ...p, status: { phase: 'Succeeded' } }, NOW)), { 'count/pods': '1' });
  const deleting = { ...p, metadata: { ...p.metadata, deletionTimestamp: '2025-12-31T23:59:00Z', deletionGracePeriodSeconds: 30 } };
  assert.deepEqual(formatResourceList(ev.usage(deleting, NOW)), { 'count/pods': '1' });
  const graceful = { ...p, metadata: { ...p.metadata, deletionTimestamp: '2025-12-31T23:59:50Z', deletionGracePeriodSeconds: 30 } };
  assert.equal(formatResourceList(ev.usage(graceful, NOW)).pods, '1');
});

test('scopes: BestEffort, Terminating and PriorityClass selectors', () => {
  const ev = evaluatorFor('', 'pods');
  const be = pod('be', { containers: [container('c')] });
  const burst = pod('b', { containers: [container('c', { cpu: '1' })], activeDeadlineSeconds: 10, priorityClassName: 'high' });
  const q = (spec: object) => quota('q', { pods: '5' }, { pods: '0' }, spec);
  assert.equal(quotaMatches(ev, ['pods'], q({ scopes: ['BestEffort'] }), be), true);
  assert.equal(quotaMatches(ev, ['pods'], q({ scopes: ['BestEffort'] }), burst), false);
  assert.equal(quotaMatches(ev, ['pods'], q({ scopes: ['NotBestEffort', 'Terminating'] }), burst), true);
  assert.equal(quotaMatches(ev, ['pods'], q({ scopes: ['NotTerminating'] }), burst), false);
  const pcIn = q({ scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } });
  assert.equal(quotaMatches(ev, ['pods'], pcIn, burst), true);
  assert.equal(quotaMatches(ev, ['pods'], pcIn, be), false);
  // A scoped quota never matches objects other than pods.
  assert.equal(quotaMatches(evaluatorFor('', 'configmaps'), ['configmaps'], quota('q', { configmaps: '1' }, {}, { scopes: ['BestEffort'] }), {}), false);
});

test('controller usage: sums matching objects from zero, per scope; hard mirrors spec', () => {
  const pods = [
    pod('a', { containers: [container('c', { cpu: '500m' }, { memory: '512Mi' })] }),
    pod('b', { containers: [container('c', { cpu: '250m' }, { memory: '512Mi' })] }),
    pod('done', { containers: [container('c', { cpu: '4' })] }, { phase: 'Failed' }),
    pod('be', { containers: [container('c')] }),
  ];
  const lister = (g: string, r: string) => (g === '' && r === 'pods' ? pods : g === 'apps' && r === 'deployments' ? [{}, {}] : r === 'configmaps' ? [] : undefined);
  const grs = [
    { group: '', resource: 'pods' },
    { group: 'apps', resource: 'deployments' },
    { group: '', resource: 'configmaps' },
  ];
  const q = { spec: { hard: { pods: '10', 'requests.cpu': '2', 'limits.memory': '2048Mi', 'count/deployments.apps': '3', configmaps: '4', 'count/widgets.example.com': '1' } } };
  assert.deepEqual(calculateQuotaStatus(q, lister, grs, NOW), {
    hard: { configmaps: '4', 'count/deployments.apps': '3', 'count/widgets.example.com': '1', 'limits.memory': '2Gi', pods: '10', 'requests.cpu': '2' },
    used: { configmaps: '0', 'count/deployments.apps': '2', 'limits.memory': '1Gi', pods: '3', 'requests.cpu': '750m' },
  });
  const scoped = { spec: { hard: { pods: '10' }, scopes: ['NotBestEffort'] } };
  assert.deepEqual(calculateQuotaStatus(scoped, lister, grs, NOW).used, { pods: '2' });
});

test('admission check: exceeded quota message, charged usage, status unknown', () => {
  const ev = evaluatorFor('', 'pods');
  const p = pod('p', { containers: [container('c1', { cpu: '100m' }, { memory: '512Mi' })] });
  const compute = quota('compute', { 'requests.cpu': '1', 'limits.memory': '1Gi' }, { 'requests.cpu': '500m', 'limits.memory': '1Gi' });
  assert.deepEqual(checkQuotaRequest([compute], { operation: 'CREATE', subresource: '', obj: p }, ev, NOW), {
    allowed: false,
    reason: 'exceeded quota: compute, requested: limits.memory=512Mi, used: limits.memory=1Gi, limited: limits.memory=1Gi',
  });
  const roomy = quota('compute', { 'requests.cpu': '1', 'limits.memory': '1Gi' }, { 'requests.cpu': '500m', 'limits.memory': '512Mi' });
  const other = quota('pods', { pods: '3' }, { pods: '1' });
  const ok = checkQuotaRequest([roomy, other], { operation: 'CREATE', subresource: '', obj: p }, ev, NOW);
  assert.equal(ok.allowed, true);
  assert.deepEqual(ok.allowed && Object.fromEntries(ok.used), { compute: { 'limits.memory': '1Gi', 'requests.cpu': '600m' }, pods: { pods: '2' } });
  const fresh = quota('q1', { pods: '2' });
  assert.deepEqual(checkQuotaRequest([fresh], { operation: 'CREATE', subresource: '', obj: p }, ev, NOW), { allowed: false, reason: 'status unknown for quota: q1, resources: pods' });
  // Updates of pods are not charged.
  assert.deepEqual(checkQuotaRequest([compute], { operation: 'UPDATE', subresource: '', obj: p, old: p }, ev, NOW), { allowed: true, used: new Map() });
});

test('admission check: pods must name every quota-tracked cpu/memory resource', () => {
  const ev = evaluatorFor('', 'pods');
  const q = quota('compute', { 'requests.cpu': '1', 'limits.memory': '1Gi', 'limits.cpu': '2' }, { 'requests.cpu': '0', 'limits.memory': '0', 'limits.cpu': '0' });
  const p = pod('p', { initContainers: [container('init', { cpu: '1' }, { cpu: '1', memory: '1Mi' })], containers: [container('c1'), container('c2', { cpu: '1' })] });
  assert.deepEqual(checkQuotaRequest([q], { operation: 'CREATE', subresource: '', obj: p }, ev, NOW), {
    allowed: false,
    reason: 'failed quota: compute: must specify limits.cpu for: c1,c2; limits.memory for: c1,c2; requests.cpu for: c1',
  });
});

test('admission check: PVC updates are charged the growth only', () => {
  const ev = evaluatorFor('', 'persistentvolumeclaims');
  const claim = (size: string) => ({ metadata: { name: 'd', namespace: 'ns', resourceVersion: '9' }, spec: { storageClassName: 'fast', resources: { requests: { storage: size } } } });
  const q = quota('s', { 'requests.storage': '10Gi', 'fast.storageclass.storage.k8s.io/requests.storage': '3Gi' }, { 'requests.storage': '2Gi', 'fast.storageclass.storage.k8s.io/requests.storage': '2Gi' });
  assert.deepEqual(checkQuotaRequest([q], { operation: 'UPDATE', subresource: '', obj: claim('4Gi'), old: claim('2Gi') }, ev, NOW), {
    allowed: false,
    reason: 'exceeded quota: s, requested: fast.storageclass.storage.k8s.io/requests.storage=2Gi, used: fast.storageclass.storage.k8s.io/requests.storage=2Gi, limited: fast.storageclass.storage.k8s.io/requests.storage=3Gi',
  });
  const ok = checkQuotaRequest([q], { operation: 'UPDATE', subresource: '', obj: claim('3Gi'), old: claim('2Gi') }, ev, NOW);
  assert.deepEqual(ok.allowed && Object.fromEntries(ok.used), { s: { 'fast.storageclass.storage.k8s.io/requests.storage': '3Gi', 'requests.storage': '3Gi' } });
});

test('services: node ports and load balancers', () => {
  const ev = evaluatorFor('', 'services');
  const lb = { spec: { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 443 }] } };
  assert.deepEqual(formatResourceList(ev.usage(lb, NOW)), { 'count/services': '1', services: '1', 'services.loadbalancers': '1', 'services.nodeports': '2' });
  assert.deepEqual(formatResourceList(evaluatorFor('apps', 'deployments').usage({}, NOW)), { 'count/deployments.apps': '1' });
});

test('LimitRanger: defaults and annotation, first LimitRange wins per key', () => {
  const lrs = [
    { spec: { limits: [{ type: 'Container', default: { memory: '256Mi' }, defaultRequest: { memory: '128Mi', cpu: '100m' } }] } },
    { spec: { limits: [{ type: 'Container', default: { memory: '1Gi', cpu: '1' } }] } },
  ];
  const p: any = pod('p', { containers: [container('app', { cpu: '50m' })], initContainers: [{ name: 'init', image: 'x' }] });
  applyLimitRangeDefaults(p, lrs);
  assert.deepEqual(p.spec.containers[0].resources, { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi', cpu: '1' } });
  assert.deepEqual(p.spec.initContainers[0].resources, { requests: { memory: '128Mi', cpu: '100m' }, limits: { memory: '256Mi', cpu: '1' } });
  assert.equal(p.metadata.annotations['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu limit for container app; cpu limit for init container init');
});

test('LimitRanger: min, max, ratio messages; Pod totals; PVC storage', () => {
  const lr = {
    spec: {
      limits: [
        { type: 'Container', max: { memory: '1Gi' }, min: { cpu: '100m' }, maxLimitRequestRatio: { cpu: '2' } },
        { type: 'Pod', max: { cpu: '2' } },
        { type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '5Gi' } },
      ],
    },
  };
  const p = pod('p', { containers: [container('a', { cpu: '500m', memory: '1Gi' }, { cpu: '1500m', memory: '2Gi' }), container('b', { cpu: '1' }, { cpu: '1', memory: '1Gi' })] });
  assert.equal(
    validateLimitRanges('pods', p, [lr]),
    '[maximum memory usage per Container is 1Gi, but limit is 2Gi, cpu max limit to request ratio per Container is 2, but provided ratio is 3.000000, maximum cpu usage per Pod is 2, but limit is 2500m]',
  );
  const fine = pod('f', { containers: [container('a', { cpu: '500m' }, { cpu: '1', memory: '1Gi' })] });
  assert.equal(validateLimitRanges('pods', fine, [lr]), undefined);
  const noLimit = pod('n', { containers: [container('a', { cpu: '500m' }, { cpu: '1' })] });
  assert.equal(validateLimitRanges('pods', noLimit, [lr]), 'maximum memory usage per Container is 1Gi.  No limit is specified');
  const claim = (s: string) => ({ spec: { resources: { requests: { storage: s } } } });
  assert.equal(validateLimitRanges('persistentvolumeclaims', claim('10Gi'), [lr]), 'maximum storage usage per PersistentVolumeClaim is 5Gi, but request is 10Gi');
  assert.equal(validateLimitRanges('persistentvolumeclaims', claim('500Mi'), [lr]), 'minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi');
  assert.equal(aggregateMessage(['x', 'x']), 'x');
});
