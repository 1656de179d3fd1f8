// Each filter and score plugin against concrete pods and nodes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PodInfo } from './pod-info.js';
import { clusterOf, makeNode, makePod } from './test-helpers.js';
import type { NodeInfo } from './node-info.js';
import { nodeUnschedulableFilter } from './plugins/node-unschedulable.js';
import { nodeNameFilter } from './plugins/node-name.js';
import { leastAllocatedScore, nodeResourcesFitFilter } from './plugins/node-resources-fit.js';
import { balancedAllocationScore } from './plugins/balanced-allocation.js';
import { nodeAffinityFilter, nodeAffinityNormalize, nodeAffinityScore } from './plugins/node-affinity.js';
import { taintTolerationFilter, taintTolerationNormalize, taintTolerationScore } from './plugins/taint-toleration.js';
import { nodePortsFilter } from './plugins/node-ports.js';
import {
  interPodAffinityFilter,
  interPodAffinityNormalize,
  interPodAffinityPreFilter,
  interPodAffinityPreScore,
  interPodAffinityScore,
} from './plugins/inter-pod-affinity.js';
import {
  podTopologySpreadFilter,
  podTopologySpreadNormalize,
  podTopologySpreadPreFilter,
  podTopologySpreadPreScore,
  podTopologySpreadScore,
} from './plugins/pod-topology-spread.js';
import { imageLocalityScore } from './plugins/image-locality.js';

const pi = (name: string, o: Parameters<typeof makePod>[1] = {}) => new PodInfo(makePod(name, o));
const ni = (node: any, pods: any[] = []): NodeInfo => clusterOf([node], pods).nodeInfo(node.metadata.name)!;
const reasons = (st: { reasons: string[] } | null) => st?.reasons ?? [];

// ---- NodeUnschedulable ----

test('NodeUnschedulable: a cordoned node rejects pods unless they tolerate node.kubernetes.io/unschedulable', () => {
  const cordoned = ni(makeNode('n', { unschedulable: true }));
  const st = nodeUnschedulableFilter(pi('p'), cordoned);
  assert.deepEqual(st, { code: 'UnschedulableAndUnresolvable', reasons: ['node(s) were unschedulable'], plugin: 'NodeUnschedulable' });
  const tolerant = pi('t', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
  assert.equal(nodeUnschedulableFilter(tolerant, cordoned), null);
  assert.equal(nodeUnschedulableFilter(pi('p'), ni(makeNode('m'))), null);
});

// ---- NodeName ----

test('NodeName: a pod naming a node fits only that node', () => {
  assert.equal(nodeNameFilter(pi('p', { nodeName: 'a' }), ni(makeNode('a'))), null);
  assert.deepEqual(reasons(nodeNameFilter(pi('p', { nodeName: 'a' }), ni(makeNode('b')))), ["node(s) didn't match the requested node name"]);
  assert.equal(nodeNameFilter(pi('p'), ni(makeNode('b'))), null);
});

// ---- NodeResourcesFit ----

test('NodeResourcesFit: requests plus what is already requested must fit allocatable', () => {
  const node = ni(makeNode('n', { cpu: '2', memory: '4Gi' }), [makePod('existing', { cpu: '1500m', memory: '1Gi', nodeName: 'n' })]);
  assert.equal(nodeResourcesFitFilter(pi('small', { cpu: '500m', memory: '3Gi' }), node), null);
  const st = nodeResourcesFitFilter(pi('big', { cpu: '600m', memory: '3073Mi' }), node);
  assert.deepEqual(st, { code: 'Unschedulable', reasons: ['Insufficient cpu', 'Insufficient memory'], plugin: 'NodeResourcesFit' });
});

test('NodeResourcesFit: a request larger than the whole node is unresolvable', () => {
  const st = nodeResourcesFitFilter(pi('huge', { cpu: '3' }), ni(makeNode('n', { cpu: '2' })));
  assert.equal(st?.code, 'UnschedulableAndUnresolvable');
  assert.deepEqual(st?.reasons, ['Insufficient cpu']);
});

test('NodeResourcesFit: pod count, ephemeral-storage and extended resources', () => {
  const full = ni(makeNode('n', { pods: '1' }), [makePod('a', { nodeName: 'n' })]);
  assert.deepEqual(reasons(nodeResourcesFitFilter(pi('b'), full)), ['Too many pods']);
  const gpu = ni(makeNode('g', { extended: { 'example.com/gpu': '1', 'ephemeral-storage': '1Gi' } }));
  assert.equal(nodeResourcesFitFilter(pi('p', { requests: { 'example.com/gpu': '1' } }), gpu), null);
  assert.deepEqual(reasons(nodeResourcesFitFilter(pi('p', { requests: { 'example.com/gpu': '2', 'ephemeral-storage': '2Gi' } }), gpu)), [
    'Insufficient ephemeral-storage',
    'Insufficient example.com/gpu',
  ]);
  assert.deepEqual(reasons(nodeResourcesFitFilter(pi('p', { requests: { 'example.com/fpga': '1' } }), gpu)), ['Insufficient example.com/fpga']);
});

test('NodeResourcesFit: overhead and init containers count', () => {
  const node = ni(makeNode('n', { cpu: '1' }));
  assert.deepEqual(reasons(nodeResourcesFitFilter(pi('p', { cpu: '900m', overhead: { cpu: '200m' } }), node)), ['Insufficient cpu']);
  const withInit = makePod('q', { cpu: '100m' });
  withInit.spec.initContainers = [{ name: 'i', image: 'x', resources: { requests: { cpu: '1100m' } } }];
  assert.deepEqual(reasons(nodeResourcesFitFilter(new PodInfo(withInit), node)), ['Insufficient cpu']);
});

test('LeastAllocated: free share of cpu and memory after placing the pod, averaged', () => {
  const node = ni(makeNode('n', { cpu: '4', memory: '8Gi' }), [makePod('e', { cpu: '1', memory: '2Gi', nodeName: 'n' })]);
  // cpu (4000-2000)*100/4000 = 50, memory (8-4)*100/8 = 50
  assert.equal(leastAllocatedScore(pi('p', { cpu: '1', memory: '2Gi' }), node), 50);
  // A pod without requests counts 100m and 200Mi: cpu (4000-1100)/4000 -> 72, memory (8192-2248)/8192 -> 72
  assert.equal(leastAllocatedScore(pi('q'), node), 72);
  assert.ok(leastAllocatedScore(pi('p', { cpu: '1' }), ni(makeNode('empty', { cpu: '4', memory: '8Gi' }))) > 50);
});

test('BalancedAllocation: 100 when cpu and memory are used in the same proportion', () => {
  const node = ni(makeNode('n', { cpu: '4', memory: '8Gi' }));
  assert.equal(balancedAllocationScore(pi('p', { cpu: '2', memory: '4Gi' }), node), 100);
  // fractions 0.5 and 0.125 -> std 0.1875 -> 81
  assert.equal(balancedAllocationScore(pi('q', { cpu: '2', memory: '1Gi' }), node), 81);
});

// ---- NodeAffinity ----

test('NodeAffinity: nodeSelector labels must all match', () => {
  const node = ni(makeNode('n', { labels: { disk: 'ssd', zone: 'a' } }));
  assert.equal(nodeAffinityFilter(pi('p', { nodeSelector: { disk: 'ssd' } }), node), null);
  const st = nodeAffinityFilter(pi('p', { nodeSelector: { disk: 'hdd' } }), node);
  assert.deepEqual(st, { code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match Pod's node affinity/selector"], plugin: 'NodeAffinity' });
});

test('NodeAffinity: required terms with In, NotIn, Exists, DoesNotExist, Gt, Lt and matchFields', () => {
  const node = ni(makeNode('n1', { labels: { zone: 'a', cores: '16', gpu: 'yes' } }));
  const req = (...matchExpressions: any[]) => pi('p', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } } } });
  const ok = (p: PodInfo) => nodeAffinityFilter(p, node) === null;
  assert.ok(ok(req({ key: 'zone', operator: 'In', values: ['a', 'b'] })));
  assert.ok(!ok(req({ key: 'zone', operator: 'In', values: ['b'] })));
  assert.ok(ok(req({ key: 'zone', operator: 'NotIn', values: ['b'] })));
  assert.ok(ok(req({ key: 'missing', operator: 'NotIn', values: ['b'] })));
  assert.ok(ok(req({ key: 'gpu', operator: 'Exists' })));
  assert.ok(!ok(req({ key: 'gpu', operator: 'DoesNotExist' })));
  assert.ok(ok(req({ key: 'cores', operator: 'Gt', values: ['8'] })));
  assert.ok(!ok(req({ key: 'cores', operator: 'Lt', values: ['8'] })));
  assert.ok(!ok(req({ key: 'zone', operator: 'Gt', values: ['1'] })), 'a non-integer label never satisfies Gt');
  assert.ok(!ok(req({ key: 'zone', operator: 'In', values: ['a'] }, { key: 'gpu', operator: 'DoesNotExist' })), 'expressions in a term are ANDed');
  const fields = (values: string[]) => pi('p', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values }] }] } } } });
  assert.ok(ok(fields(['n1'])));
  assert.ok(!ok(fields(['n2'])));
  const orTerms = pi('p', {
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z'] }] }, { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }] } } },
  });
  assert.ok(ok(orTerms), 'terms are ORed');
});

test('NodeAffinity score: sum of matching preferred weights, scaled to the best node', () => {
  const pod = pi('p', {
    affinity: {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
          { weight: 30, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
        ],
      },
    },
  });
  const scores = [
    nodeAffinityScore(pod, ni(makeNode('a', { labels: { zone: 'a', disk: 'ssd' } }))),
    nodeAffinityScore(pod, ni(makeNode('b', { labels: { zone: 'a' } }))),
    nodeAffinityScore(pod, ni(makeNode('c'))),
  ];
  assert.deepEqual(scores, [40, 10, 0]);
  nodeAffinityNormalize(scores);
  assert.deepEqual(scores, [100, 25, 0]);
});

// ---- TaintToleration ----

test('TaintToleration: untolerated NoSchedule/NoExecute taints reject, named in the reason', () => {
  const node = ni(makeNode('n', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }, { key: 'dedicated', value: 'db', effect: 'NoExecute' }] }));
  assert.deepEqual(taintTolerationFilter(pi('p'), node), {
    code: 'UnschedulableAndUnresolvable',
    reasons: ['node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'],
    plugin: 'TaintToleration',
  });
  const cp = { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' };
  assert.deepEqual(reasons(taintTolerationFilter(pi('p', { tolerations: [cp] }), node)), ['node(s) had untolerated taint {dedicated: db}']);
  assert.deepEqual(reasons(taintTolerationFilter(pi('p', { tolerations: [cp, { key: 'dedicated', operator: 'Equal', value: 'web' }] }), node)), ['node(s) had untolerated taint {dedicated: db}']);
  assert.equal(taintTolerationFilter(pi('p', { tolerations: [cp, { key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoExecute' }] }), node), null);
  assert.equal(taintTolerationFilter(pi('p', { tolerations: [{ operator: 'Exists' }] }), node), null, 'empty key with Exists tolerates everything');
  assert.equal(taintTolerationFilter(pi('p'), ni(makeNode('soft', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }))), null);
});

test('node readiness: NotReady and unreachable nodes carry not-ready/unreachable NoSchedule taints unless the node has them', () => {
  const notReady = ni(makeNode('a', { ready: 'False' }));
  assert.deepEqual(reasons(taintTolerationFilter(pi('p'), notReady)), ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }']);
  const unknown = ni(makeNode('b', { ready: 'Unknown' }));
  assert.deepEqual(reasons(taintTolerationFilter(pi('p'), unknown)), ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }']);
  const missing = ni(makeNode('c', { ready: null }));
  assert.deepEqual(reasons(taintTolerationFilter(pi('p'), missing)), ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }']);
  const tolerant = pi('t', { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }, { key: 'node.kubernetes.io/unreachable', operator: 'Exists' }] });
  assert.equal(taintTolerationFilter(tolerant, notReady), null);
  assert.equal(taintTolerationFilter(tolerant, unknown), null);
  const alreadyTainted = ni(makeNode('d', { ready: 'False', taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] }));
  assert.equal(alreadyTainted.taints.length, 1, 'no duplicate taint when the controller already set it');
});

test('TaintToleration score: fewer untolerated PreferNoSchedule taints is better', () => {
  const pod = pi('p', { tolerations: [{ key: 'a', operator: 'Exists', effect: 'PreferNoSchedule' }] });
  const scores = [
    taintTolerationScore(pod, ni(makeNode('x', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }, { key: 'b', effect: 'PreferNoSchedule' }, { key: 'c', effect: 'PreferNoSchedule' }] }))),
    taintTolerationScore(pod, ni(makeNode('y', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }] }))),
    taintTolerationScore(pod, ni(makeNode('z', { taints: [{ key: 'b', effect: 'PreferNoSchedule' }] }))),
  ];
  assert.deepEqual(scores, [2, 0, 1]);
  taintTolerationNormalize(scores);
  assert.deepEqual(scores, [0, 100, 50]);
});

// ---- NodePorts ----

test('NodePorts: hostPort conflicts by protocol, port and address (0.0.0.0 matches all)', () => {
  const node = ni(makeNode('n'), [makePod('e', { nodeName: 'n', hostPorts: [{ hostPort: 80 }, { hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.1' }] })]);
  assert.deepEqual(nodePortsFilter(pi('p', { hostPorts: [{ hostPort: 80 }] }), node), {
    code: 'Unschedulable',
    reasons: ["node(s) didn't have free ports for the requested pod ports"],
    plugin: 'NodePorts',
  });
  assert.equal(nodePortsFilter(pi('p', { hostPorts: [{ hostPort: 80, protocol: 'UDP' }] }), node), null);
  assert.equal(nodePortsFilter(pi('p', { hostPorts: [{ hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.2' }] }), node), null);
  assert.notEqual(nodePortsFilter(pi('p', { hostPorts: [{ hostPort: 53, protocol: 'UDP' }] }), node), null);
  assert.notEqual(nodePortsFilter(pi('p', { hostPorts: [{ hostPort: 80, hostIP: '10.0.0.9' }] }), node), null);
  assert.equal(nodePortsFilter(pi('p', { hostPorts: [{ hostPort: 8080 }] }), node), null);
});

// ---- InterPodAffinity ----

const zoned = (name: string, zone: string) => makeNode(name, { labels: { zone } });
const term = (labels: Record<string, string>, topologyKey = 'zone', extra: any = {}) => ({ labelSelector: { matchLabels: labels }, topologyKey, ...extra });

test('InterPodAffinity: required affinity needs a matching pod in the same topology domain', () => {
  const cluster = clusterOf([zoned('a1', 'a'), zoned('a2', 'a'), zoned('b1', 'b')], [makePod('db', { nodeName: 'a1', labels: { app: 'db' } })]);
  const pod = pi('web', { labels: { app: 'web' }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' })] } } });
  const s = interPodAffinityPreFilter(pod, cluster);
  assert.equal(interPodAffinityFilter(s, cluster.nodeInfo('a2')!), null);
  assert.deepEqual(interPodAffinityFilter(s, cluster.nodeInfo('b1')!), {
    code: 'UnschedulableAndUnresolvable',
    reasons: ["node(s) didn't match pod affinity rules"],
    plugin: 'InterPodAffinity',
  });
  const noLabel = clusterOf([makeNode('x')], [makePod('db', { nodeName: 'x', labels: { app: 'db' } })]);
  assert.notEqual(interPodAffinityFilter(interPodAffinityPreFilter(pod, noLabel), noLabel.nodeInfo('x')!), null, 'a node without the topology key cannot satisfy affinity');
});

test('InterPodAffinity: the first pod of a self-affine group may go anywhere', () => {
  const cluster = clusterOf([zoned('a1', 'a')]);
  const pod = pi('w1', { labels: { app: 'web' }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' })] } } });
  assert.equal(interPodAffinityFilter(interPodAffinityPreFilter(pod, cluster), cluster.nodeInfo('a1')!), null);
  const other = pi('w2', { labels: { app: 'web' }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' })] } } });
  assert.notEqual(interPodAffinityFilter(interPodAffinityPreFilter(other, cluster), cluster.nodeInfo('a1')!), null);
});

test('InterPodAffinity: required anti-affinity, both the incoming pod’s and existing pods’', () => {
  const cluster = clusterOf(
    [makeNode('n1'), makeNode('n2'), makeNode('n3')],
    [
      makePod('web-1', { nodeName: 'n1', labels: { app: 'web' } }),
      makePod('loner', { nodeName: 'n2', labels: { app: 'loner' }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, 'kubernetes.io/hostname')] } } }),
    ],
  );
  const web2 = pi('web-2', { labels: { app: 'web' }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, 'kubernetes.io/hostname')] } } });
  const s = interPodAffinityPreFilter(web2, cluster);
  assert.deepEqual(reasons(interPodAffinityFilter(s, cluster.nodeInfo('n1')!)), ["node(s) didn't match pod anti-affinity rules"]);
  assert.deepEqual(reasons(interPodAffinityFilter(s, cluster.nodeInfo('n2')!)), ["node(s) didn't satisfy existing pods anti-affinity rules"]);
  assert.equal(interPodAffinityFilter(s, cluster.nodeInfo('n3')!), null);
  // A pod without terms is still checked against existing pods' anti-affinity.
  const plain = pi('plain', { labels: { app: 'web' } });
  const s2 = interPodAffinityPreFilter(plain, cluster);
  assert.notEqual(interPodAffinityFilter(s2, cluster.nodeInfo('n2')!), null);
  assert.equal(interPodAffinityFilter(s2, cluster.nodeInfo('n1')!), null);
});

test('InterPodAffinity: namespaces and namespaceSelector decide which pods a term sees', () => {
  const cluster = clusterOf(
    [zoned('a1', 'a'), zoned('b1', 'b')],
    [makePod('db', { namespace: 'data', nodeName: 'a1', labels: { app: 'db' } })],
    { data: { team: 'storage' }, default: {} },
  );
  const withTerm = (extra: any) => pi('web', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, 'zone', extra)] } } });
  const fits = (p: PodInfo, node: string) => interPodAffinityFilter(interPodAffinityPreFilter(p, cluster), cluster.nodeInfo(node)!) === null;
  assert.ok(!fits(withTerm({}), 'a1'), 'by default only the pod’s own namespace counts');
  assert.ok(fits(withTerm({ namespaces: ['data'] }), 'a1'));
  assert.ok(fits(withTerm({ namespaceSelector: { matchLabels: { team: 'storage' } } }), 'a1'));
  assert.ok(!fits(withTerm({ namespaceSelector: { matchLabels: { team: 'other' } } }), 'a1'));
  assert.ok(fits(withTerm({ namespaceSelector: {} }), 'a1'), 'an empty namespaceSelector selects every namespace');
  assert.ok(!fits(withTerm({ namespaces: ['data'] }), 'b1'));
});

test('InterPodAffinity score: preferred terms per topology domain, min..max scaled to 0..100', () => {
  const cluster = clusterOf(
    [zoned('a1', 'a'), zoned('b1', 'b'), zoned('c1', 'c')],
    [makePod('cache', { nodeName: 'a1', labels: { app: 'cache' } }), makePod('noisy', { nodeName: 'b1', labels: { app: 'noisy' } })],
  );
  const pod = pi('web', {
    affinity: {
      podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term({ app: 'cache' }) }] },
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 20, podAffinityTerm: term({ app: 'noisy' }) }] },
    },
  });
  const m = interPodAffinityPreScore(pod, cluster)!;
  const scores = ['a1', 'b1', 'c1'].map((n) => interPodAffinityScore(m, cluster.nodeInfo(n)!));
  assert.deepEqual(scores, [50, -20, 0]);
  interPodAffinityNormalize(scores);
  assert.deepEqual(scores, [100, 0, 28]);
  assert.equal(interPodAffinityPreScore(pi('plain'), cluster), undefined, 'skipped when no term anywhere could score');
});

// ---- PodTopologySpread ----

const spread = (maxSkew: number, topologyKey: string, extra: any = {}) => ({ maxSkew, topologyKey, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } }, ...extra });

test('PodTopologySpread: placing must keep the skew within maxSkew', () => {
  const cluster = clusterOf(
    [zoned('a1', 'a'), zoned('a2', 'a'), zoned('b1', 'b'), makeNode('nozone')],
    [makePod('w1', { nodeName: 'a1', labels: { app: 'web' } }), makePod('w2', { nodeName: 'a2', labels: { app: 'web' } }), makePod('other', { nodeName: 'b1', labels: { app: 'x' } })],
  );
  const pod = pi('w3', { labels: { app: 'web' }, topologySpreadConstraints: [spread(1, 'zone')] });
  const s = podTopologySpreadPreFilter(pod, cluster);
  // zone a has 2, zone b 0: a would be 3 - 0 > 1.
  assert.deepEqual(podTopologySpreadFilter(s, cluster.nodeInfo('a1')!), {
    code: 'Unschedulable',
    reasons: ["node(s) didn't match pod topology spread constraints"],
    plugin: 'PodTopologySpread',
  });
  assert.equal(podTopologySpreadFilter(s, cluster.nodeInfo('b1')!), null);
  assert.deepEqual(reasons(podTopologySpreadFilter(s, cluster.nodeInfo('nozone')!)), ["node(s) didn't match pod topology spread constraints (missing required label)"]);
  const loose = podTopologySpreadPreFilter(pi('w4', { labels: { app: 'web' }, topologySpreadConstraints: [spread(3, 'zone')] }), cluster);
  assert.equal(podTopologySpreadFilter(loose, cluster.nodeInfo('a1')!), null);
});

test('PodTopologySpread: minDomains makes the global minimum 0 while domains are missing', () => {
  const cluster = clusterOf([zoned('a1', 'a'), zoned('b1', 'b')], [makePod('w1', { nodeName: 'a1', labels: { app: 'web' } }), makePod('w2', { nodeName: 'b1', labels: { app: 'web' } })]);
  const pod = pi('w3', { labels: { app: 'web' }, topologySpreadConstraints: [spread(1, 'zone', { minDomains: 3 })] });
  const s = podTopologySpreadPreFilter(pod, cluster);
  // Only 2 of 3 required domains: min is 0, and 1 + 1 - 0 > 1 everywhere.
  assert.notEqual(podTopologySpreadFilter(s, cluster.nodeInfo('a1')!), null);
  assert.notEqual(podTopologySpreadFilter(s, cluster.nodeInfo('b1')!), null);
  const without = podTopologySpreadPreFilter(pi('w4', { labels: { app: 'web' }, topologySpreadConstraints: [spread(1, 'zone')] }), cluster);
  assert.equal(podTopologySpreadFilter(without, cluster.nodeInfo('a1')!), null);
});

test('PodTopologySpread: nodes excluded by the pod’s node affinity do not form domains', () => {
  const cluster = clusterOf([zoned('a1', 'a'), makeNode('b1', { labels: { zone: 'b', pool: 'other' } })], [makePod('w1', { nodeName: 'a1', labels: { app: 'web' } })]);
  const pod = pi('w2', { labels: { app: 'web' }, nodeSelector: { zone: 'a' }, topologySpreadConstraints: [spread(1, 'zone')] });
  const s = podTopologySpreadPreFilter(pod, cluster);
  // Zone b is not eligible, so the minimum is zone a's own count: 1 + 1 - 1 <= 1.
  assert.equal(podTopologySpreadFilter(s, cluster.nodeInfo('a1')!), null);
});

test('PodTopologySpread score: ScheduleAnyway prefers the emptier domain', () => {
  const cluster = clusterOf(
    [makeNode('n1'), makeNode('n2'), makeNode('n3')],
    [makePod('w1', { nodeName: 'n1', labels: { app: 'web' } }), makePod('w2', { nodeName: 'n1', labels: { app: 'web' } }), makePod('w3', { nodeName: 'n2', labels: { app: 'web' } })],
  );
  const pod = pi('w4', { labels: { app: 'web' }, topologySpreadConstraints: [{ ...spread(1, 'kubernetes.io/hostname'), whenUnsatisfiable: 'ScheduleAnyway' }] });
  const feasible = cluster.nodes();
  const s = podTopologySpreadPreScore(pod, feasible, cluster)!;
  const scores = feasible.map((n) => podTopologySpreadScore(s, n));
  // weight log(3 + 2) ~ 1.609: 2 pods -> 3, 1 pod -> 2, 0 -> 0
  assert.deepEqual(scores, [3, 2, 0]);
  podTopologySpreadNormalize(s, feasible, scores);
  assert.deepEqual(scores, [0, 33, 100]);
  assert.equal(podTopologySpreadPreScore(pi('plain'), feasible, cluster), undefined);
});

// ---- ImageLocality ----

test('ImageLocality: nodes holding large, widely spread images score higher', () => {
  const MB = 1024 * 1024;
  const images = [{ names: ['registry.example/big:1'], sizeBytes: 500 * MB }];
  const cluster = clusterOf([makeNode('with', { images }), makeNode('also', { images }), makeNode('without')]);
  const pod = pi('p', { image: 'registry.example/big:1' });
  const total = cluster.numNodes;
  const withScore = imageLocalityScore(pod, cluster.nodeInfo('with')!, cluster, total);
  // 500 MiB scaled by spread 2/3 -> 333 MiB; (333-23)/(1000-23) * 100 -> 31
  assert.equal(withScore, 31);
  assert.equal(imageLocalityScore(pod, cluster.nodeInfo('without')!, cluster, total), 0);
  const untagged = clusterOf([makeNode('n', { images: [{ names: ['nginx:latest'], sizeBytes: 900 * MB }] })]);
  assert.ok(imageLocalityScore(pi('p', { image: 'nginx' }), untagged.nodeInfo('n')!, untagged, 1) > 80, 'an untagged image is :latest');
});
