import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategicMergePatch, PatchError, supportsStrategicMergePatch, type GroupVersionKind } from './index.js';

const DEPLOYMENT: GroupVersionKind = { group: 'apps', version: 'v1', kind: 'Deployment' };
const POD: GroupVersionKind = { group: '', version: 'v1', kind: 'Pod' };
const SERVICE: GroupVersionKind = { group: '', version: 'v1', kind: 'Service' };
const NODE: GroupVersionKind = { group: '', version: 'v1', kind: 'Node' };
const CONFIGMAP: GroupVersionKind = { group: '', version: 'v1', kind: 'ConfigMap' };
const CRONJOB: GroupVersionKind = { group: 'batch', version: 'v1', kind: 'CronJob' };
const PDB: GroupVersionKind = { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' };

type Obj = Record<string, unknown>;

/** A Deployment whose pod template has the given containers (and optional extra pod spec fields). */
function deployment(containers: Obj[], podSpec: Obj = {}): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { ...podSpec, containers } },
    },
  };
}

/** Patch for a Deployment's pod spec. */
function podSpecPatch(p: Obj): Obj {
  return { spec: { template: { spec: p } } };
}

function podSpecOf(d: unknown): Obj {
  return ((d as Obj).spec as Obj & { template: { spec: Obj } }).template.spec;
}

interface Case {
  name: string;
  gvk?: GroupVersionKind;
  doc: unknown;
  patch: unknown;
  want?: unknown;
  code?: number;
  message?: RegExp | string;
}

const c = (name: string, image: string, extra: Obj = {}): Obj => ({ name, image, ...extra });

const cases: Case[] = [
  {
    name: 'a new container is added by name, the others are kept (new items come first, as upstream)',
    doc: deployment([c('a', 'a:1'), c('b', 'b:1')]),
    patch: podSpecPatch({ containers: [c('c', 'c:1')] }),
    want: deployment([c('c', 'c:1'), c('a', 'a:1'), c('b', 'b:1')]),
  },
  {
    name: 'a container is changed by name, its other fields and the other containers are kept',
    doc: deployment([c('a', 'a:1', { ports: [{ containerPort: 80 }], args: ['x'] }), c('b', 'b:1')]),
    patch: podSpecPatch({ containers: [{ name: 'b', image: 'b:2' }] }),
    want: deployment([c('a', 'a:1', { ports: [{ containerPort: 80 }], args: ['x'] }), c('b', 'b:2')]),
  },
  {
    name: 'one env var changes, one is added, the rest stay',
    doc: deployment([c('a', 'a:1', { env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] })]),
    patch: podSpecPatch({ containers: [{ name: 'a', env: [{ name: 'Y', value: '3' }, { name: 'Z', value: 'z' }] }] }),
    want: deployment([c('a', 'a:1', { env: [{ name: 'X', value: '1' }, { name: 'Y', value: '3' }, { name: 'Z', value: 'z' }] })]),
  },
  {
    name: 'an env var switches from value to valueFrom (null removes the old field)',
    doc: deployment([c('a', 'a:1', { env: [{ name: 'X', value: '1' }] })]),
    patch: podSpecPatch({ containers: [{ name: 'a', env: [{ name: 'X', value: null, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] }] }),
    want: deployment([c('a', 'a:1', { env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] })]),
  },
  {
    name: '$patch: delete removes a container by name',
    doc: deployment([c('a', 'a:1'), c('b', 'b:1'), c('c', 'c:1')]),
    patch: podSpecPatch({ containers: [{ name: 'b', $patch: 'delete' }] }),
    want: deployment([c('a', 'a:1'), c('c', 'c:1')]),
  },
  {
    name: '$patch: replace in a list replaces the whole list',
    doc: deployment([c('a', 'a:1'), c('b', 'b:1')]),
    patch: podSpecPatch({ containers: [{ $patch: 'replace' }, c('z', 'z:1')] }),
    want: deployment([c('z', 'z:1')]),
  },
  {
    name: '$setElementOrder reorders the list',
    doc: deployment([c('a', 'a:1'), c('b', 'b:1'), c('c', 'c:1')]),
    patch: podSpecPatch({ '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }] }),
    want: deployment([c('c', 'c:1'), c('a', 'a:1'), c('b', 'b:1')]),
  },
  {
    name: '$setElementOrder with a change keeps the requested order',
    doc: deployment([c('a', 'a:1'), c('b', 'b:1'), c('c', 'c:1')]),
    patch: podSpecPatch({ '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }], containers: [{ name: 'a', image: 'a:2' }] }),
    want: deployment([c('c', 'c:1'), c('a', 'a:2'), c('b', 'b:1')]),
  },
  {
    name: '$setElementOrder places a new container where it is listed',
    doc: deployment([c('a', 'a:1'), c('b', 'b:1')]),
    patch: podSpecPatch({ '$setElementOrder/containers': [{ name: 'a' }, { name: 'n' }, { name: 'b' }], containers: [c('n', 'n:1')] }),
    want: deployment([c('a', 'a:1'), c('n', 'n:1'), c('b', 'b:1')]),
  },
  {
    name: '$setElementOrder keeps server-only items (an injected sidecar) in their place',
    doc: deployment([c('a', 'a:1'), c('sidecar', 's:1'), c('b', 'b:1')]),
    patch: podSpecPatch({ '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'b', image: 'b:2' }] }),
    want: deployment([c('a', 'a:1'), c('sidecar', 's:1'), c('b', 'b:2')]),
  },
  {
    name: '$retainKeys clears the fields it does not list (Deployment strategy, as kubectl sends it)',
    doc: { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } } },
    patch: { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } } },
    want: { spec: { strategy: { type: 'Recreate' } } },
    gvk: DEPLOYMENT,
  },
  {
    name: '$retainKeys inside a volume switches its source',
    gvk: POD,
    doc: { spec: { volumes: [{ name: 'v', emptyDir: {} }, { name: 'w', secret: { secretName: 's' } }], containers: [] } },
    patch: { spec: { volumes: [{ name: 'v', $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' } }] } },
    want: { spec: { volumes: [{ name: 'v', configMap: { name: 'cm' } }, { name: 'w', secret: { secretName: 's' } }], containers: [] } },
  },
  {
    name: '$retainKeys must list every field the patch sets',
    gvk: DEPLOYMENT,
    doc: { spec: { strategy: { type: 'RollingUpdate' } } },
    patch: { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: { maxSurge: 1 } } } },
    code: 400,
    message: 'invalid patch format of retainKeys',
  },
  {
    name: '$deleteFromPrimitiveList/finalizers removes finalizers',
    gvk: CONFIGMAP,
    doc: { metadata: { name: 'x', finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'nope'] } },
    want: { metadata: { name: 'x', finalizers: ['a', 'c'] } },
  },
  {
    name: 'finalizers merge as a set',
    gvk: CONFIGMAP,
    doc: { metadata: { finalizers: ['a', 'b'] } },
    patch: { metadata: { finalizers: ['b', 'c'] } },
    want: { metadata: { finalizers: ['a', 'b', 'c'] } },
  },
  {
    name: 'finalizers: add one and delete one in the same patch',
    gvk: CONFIGMAP,
    doc: { metadata: { finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'], finalizers: ['d'] } },
    want: { metadata: { finalizers: ['d', 'b', 'c'] } },
  },
  {
    name: 'finalizers: kubectl-style reorder and delete of a primitive list',
    gvk: CONFIGMAP,
    doc: { metadata: { finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { '$setElementOrder/finalizers': ['c', 'a'], '$deleteFromPrimitiveList/finalizers': ['b'] } },
    want: { metadata: { finalizers: ['c', 'a'] } },
  },
  {
    name: '$deleteFromPrimitiveList on a missing list adds nothing',
    gvk: CONFIGMAP,
    doc: { metadata: { name: 'x' } },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } },
    want: { metadata: { name: 'x' } },
  },
  {
    name: 'service ports merge by port',
    gvk: SERVICE,
    doc: {
      spec: {
        ports: [
          { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
          { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
        ],
      },
    },
    patch: { spec: { ports: [{ port: 443, targetPort: 9443 }] } },
    want: {
      spec: {
        ports: [
          { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
          { name: 'https', port: 443, targetPort: 9443, protocol: 'TCP' },
        ],
      },
    },
  },
  {
    name: 'container ports merge by containerPort',
    doc: deployment([c('a', 'a:1', { ports: [{ containerPort: 80, name: 'http' }] })]),
    patch: podSpecPatch({ containers: [{ name: 'a', ports: [{ containerPort: 9090, name: 'metrics' }] }] }),
    want: deployment([c('a', 'a:1', { ports: [{ containerPort: 9090, name: 'metrics' }, { containerPort: 80, name: 'http' }] })]),
  },
  {
    name: 'volumeMounts merge by mountPath',
    doc: deployment([c('a', 'a:1', { volumeMounts: [{ name: 'v', mountPath: '/data' }, { name: 'w', mountPath: '/cfg' }] })]),
    patch: podSpecPatch({ containers: [{ name: 'a', volumeMounts: [{ name: 'v', mountPath: '/data', readOnly: true }] }] }),
    want: deployment([c('a', 'a:1', { volumeMounts: [{ name: 'v', mountPath: '/data', readOnly: true }, { name: 'w', mountPath: '/cfg' }] })]),
  },
  {
    name: 'labels: null removes one, others merge',
    doc: deployment([c('a', 'a:1')]),
    patch: { metadata: { labels: { app: null, tier: 'fe' } } },
    want: { ...deployment([c('a', 'a:1')]), metadata: { name: 'web', namespace: 'default', labels: { tier: 'fe' } } },
  },
  {
    name: '$patch: replace on a map replaces it',
    gvk: CONFIGMAP,
    doc: { metadata: { labels: { a: '1', b: '2' } }, data: { k: 'v' } },
    patch: { metadata: { labels: { $patch: 'replace', c: '3' } } },
    want: { metadata: { labels: { c: '3' } }, data: { k: 'v' } },
  },
  {
    name: '$patch: delete on a map empties it (as upstream)',
    gvk: POD,
    doc: { spec: { securityContext: { runAsUser: 1000 }, containers: [] } },
    patch: { spec: { securityContext: { $patch: 'delete' } } },
    want: { spec: { securityContext: {}, containers: [] } },
  },
  {
    name: 'a field with a replace strategy is replaced (PodDisruptionBudget selector)',
    gvk: PDB,
    doc: { spec: { selector: { matchLabels: { a: '1' } }, minAvailable: 1 } },
    patch: { spec: { selector: { matchLabels: { b: '2' } } } },
    want: { spec: { selector: { matchLabels: { b: '2' } }, minAvailable: 1 } },
  },
  {
    name: 'a plain struct merges (Deployment selector)',
    doc: deployment([c('a', 'a:1')]),
    patch: { spec: { selector: { matchLabels: { b: '2' } } } },
    want: (() => {
      const d = deployment([c('a', 'a:1')]);
      (d.spec as Obj).selector = { matchLabels: { app: 'web', b: '2' } };
      return d;
    })(),
  },
  {
    name: 'tolerations are atomic',
    gvk: POD,
    doc: { spec: { tolerations: [{ key: 'a', operator: 'Exists' }], containers: [] } },
    patch: { spec: { tolerations: [{ key: 'b', operator: 'Exists', effect: 'NoSchedule' }] } },
    want: { spec: { tolerations: [{ key: 'b', operator: 'Exists', effect: 'NoSchedule' }], containers: [] } },
  },
  {
    name: 'node taints are atomic',
    gvk: NODE,
    doc: { spec: { taints: [{ key: 'a', effect: 'NoSchedule' }], podCIDRs: ['10.0.0.0/24'] } },
    patch: { spec: { taints: [{ key: 'b', effect: 'NoExecute' }] } },
    want: { spec: { taints: [{ key: 'b', effect: 'NoExecute' }], podCIDRs: ['10.0.0.0/24'] } },
  },
  {
    name: 'container args (no strategy) are replaced',
    doc: deployment([c('a', 'a:1', { args: ['1', '2'] })]),
    patch: podSpecPatch({ containers: [{ name: 'a', args: ['3'] }] }),
    want: deployment([c('a', 'a:1', { args: ['3'] })]),
  },
  {
    name: 'hostAliases merge by ip, imagePullSecrets by name',
    gvk: POD,
    doc: {
      spec: {
        hostAliases: [{ ip: '10.0.0.1', hostnames: ['a'] }],
        imagePullSecrets: [{ name: 'r1' }],
        containers: [],
      },
    },
    patch: { spec: { hostAliases: [{ ip: '10.0.0.1', hostnames: ['b'] }, { ip: '10.0.0.2', hostnames: ['c'] }], imagePullSecrets: [{ name: 'r2' }] } },
    want: {
      spec: {
        hostAliases: [{ ip: '10.0.0.1', hostnames: ['b'] }, { ip: '10.0.0.2', hostnames: ['c'] }],
        imagePullSecrets: [{ name: 'r2' }, { name: 'r1' }],
        containers: [],
      },
    },
  },
  {
    name: 'ownerReferences merge by uid',
    gvk: POD,
    doc: { metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1' }] } },
    patch: { metadata: { ownerReferences: [{ uid: 'u1', controller: true }] } },
    want: { metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true }] } },
  },
  {
    name: 'node status: conditions merge by type, addresses by type',
    gvk: NODE,
    doc: {
      status: {
        conditions: [
          { type: 'Ready', status: 'False', reason: 'KubeletNotReady' },
          { type: 'MemoryPressure', status: 'False' },
        ],
        addresses: [{ type: 'InternalIP', address: '10.0.0.5' }],
      },
    },
    patch: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }], addresses: [{ type: 'Hostname', address: 'n1' }] } },
    want: {
      status: {
        conditions: [
          { type: 'Ready', status: 'True', reason: 'KubeletReady' },
          { type: 'MemoryPressure', status: 'False' },
        ],
        addresses: [
          { type: 'Hostname', address: 'n1' },
          { type: 'InternalIP', address: '10.0.0.5' },
        ],
      },
    },
  },
  {
    name: 'pod status: podIPs merge by ip, containerStatuses are replaced',
    gvk: POD,
    doc: { status: { podIPs: [{ ip: '10.1.0.4' }], containerStatuses: [{ name: 'a', ready: false }, { name: 'b', ready: false }] } },
    patch: { status: { podIPs: [{ ip: 'fd00::4' }], containerStatuses: [{ name: 'a', ready: true }] } },
    want: { status: { podIPs: [{ ip: 'fd00::4' }, { ip: '10.1.0.4' }], containerStatuses: [{ name: 'a', ready: true }] } },
  },
  {
    name: 'ephemeral containers merge by name',
    gvk: POD,
    doc: { spec: { containers: [c('a', 'a:1')], ephemeralContainers: [c('dbg1', 'busybox')] } },
    patch: { spec: { ephemeralContainers: [c('dbg2', 'busybox', { targetContainerName: 'a' })] } },
    want: { spec: { containers: [c('a', 'a:1')], ephemeralContainers: [c('dbg2', 'busybox', { targetContainerName: 'a' }), c('dbg1', 'busybox')] } },
  },
  {
    name: 'CronJob: containers inside jobTemplate merge by name',
    gvk: CRONJOB,
    doc: { spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { containers: [c('a', 'a:1'), c('b', 'b:1')] } } } } } },
    patch: { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a', image: 'a:2' }] } } } } } },
    want: { spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { containers: [c('a', 'a:2'), c('b', 'b:1')] } } } } } },
  },
  {
    name: 'maps without metadata merge (ConfigMap data)',
    gvk: CONFIGMAP,
    doc: { data: { a: '1', b: '2' } },
    patch: { data: { b: null, c: '3' } },
    want: { data: { a: '1', c: '3' } },
  },
  {
    name: 'fields unknown to the schema: objects merge, lists are replaced',
    gvk: POD,
    doc: { spec: { containers: [], future: { a: 1, list: [1, 2] } } },
    patch: { spec: { future: { b: 2, list: [3] } } },
    want: { spec: { containers: [], future: { a: 1, b: 2, list: [3] } } },
  },
  {
    name: 'new fields are added without null members or $patch objects',
    gvk: POD,
    doc: { spec: { containers: [] } },
    patch: { spec: { securityContext: { runAsUser: 1, fsGroup: null }, tolerations: [{ key: 'a' }, { $patch: 'delete', key: 'b' }] } },
    want: { spec: { containers: [], securityContext: { runAsUser: 1 }, tolerations: [{ key: 'a' }] } },
  },
  {
    name: 'a type change replaces the value',
    gvk: CONFIGMAP,
    doc: { data: { a: '1' } },
    patch: { data: ['x'] },
    want: { data: ['x'] },
  },
  {
    name: 'an empty patch changes nothing',
    doc: deployment([c('a', 'a:1')]),
    patch: {},
    want: deployment([c('a', 'a:1')]),
  },
  {
    name: 'a __proto__ member in the patch is ignored',
    gvk: CONFIGMAP,
    doc: { data: { a: '1' } },
    patch: JSON.parse('{"__proto__": {"polluted": true}, "data": {"__proto__": {"x": 1}, "b": "2"}}'),
    want: { data: { a: '1', b: '2' } },
  },
  // errors
  {
    name: 'a list element without its merge key is rejected',
    doc: deployment([c('a', 'a:1')]),
    patch: podSpecPatch({ containers: [{ image: 'x' }] }),
    code: 422,
    message: /does not contain declared merge key: name/,
  },
  {
    name: 'a patch list out of $setElementOrder order is rejected',
    doc: deployment([c('a', 'a:1'), c('b', 'b:1')]),
    patch: podSpecPatch({ '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'b', image: 'b:2' }, { name: 'a', image: 'a:2' }] }),
    code: 422,
    message: /doesn't match \$setElementOrder list/,
  },
  {
    name: '$setElementOrder must be a list',
    doc: deployment([c('a', 'a:1')]),
    patch: podSpecPatch({ '$setElementOrder/containers': 'a' }),
    code: 400,
    message: 'invalid patch format of setElementOrder list',
  },
  {
    name: 'a malformed $deleteFromPrimitiveList key is rejected',
    gvk: CONFIGMAP,
    doc: { metadata: { finalizers: ['a'] } },
    patch: { metadata: { $deleteFromPrimitiveListfinalizers: ['a'] } },
    code: 400,
    message: 'invalid patch format of primitive list',
  },
  {
    name: '$patch: merge on a map is rejected (as upstream)',
    gvk: CONFIGMAP,
    doc: { metadata: { labels: { a: '1' } } },
    patch: { metadata: { labels: { $patch: 'merge', b: '2' } } },
    code: 422,
    message: /unknown patch type/,
  },
  {
    name: '$patch: merge as a list element is rejected (as upstream)',
    doc: deployment([c('a', 'a:1')]),
    patch: podSpecPatch({ containers: [{ $patch: 'merge' }, c('b', 'b:1')] }),
    code: 422,
    message: 'merging lists cannot yet be specified in the patch',
  },
  {
    name: 'lists of lists are rejected',
    gvk: CONFIGMAP,
    doc: { metadata: { finalizers: [] } },
    patch: { metadata: { finalizers: [['b']] } },
    code: 422,
    message: 'lists of lists are not supported',
  },
  {
    name: 'the patch must be an object',
    doc: deployment([c('a', 'a:1')]),
    patch: [{ op: 'add', path: '/a', value: 1 }],
    code: 400,
  },
];

for (const tc of cases) {
  test(`strategic merge patch: ${tc.name}`, () => {
    const gvk = tc.gvk ?? DEPLOYMENT;
    const docBefore = structuredClone(tc.doc);
    const patchBefore = structuredClone(tc.patch);
    if (tc.code !== undefined) {
      assert.throws(
        () => applyStrategicMergePatch(tc.doc, tc.patch, gvk),
        (e: unknown) => {
          assert.ok(e instanceof PatchError, `expected PatchError, got ${String(e)}`);
          assert.equal(e.code, tc.code, e.message);
          if (typeof tc.message === 'string') assert.equal(e.message, tc.message);
          else if (tc.message) assert.match(e.message, tc.message);
          return true;
        },
      );
    } else {
      assert.deepEqual(applyStrategicMergePatch(tc.doc, tc.patch, gvk), tc.want);
    }
    assert.deepEqual(tc.doc, docBefore, 'document must not be mutated');
    assert.deepEqual(tc.patch, patchBefore, 'patch must not be mutated');
  });
}

// Every workload kind that embeds a PodTemplateSpec merges its containers by name.
const templated: Array<[GroupVersionKind, (podSpec: Obj) => Obj]> = [
  [DEPLOYMENT, (s) => ({ spec: { template: { spec: s } } })],
  [{ group: 'apps', version: 'v1', kind: 'StatefulSet' }, (s) => ({ spec: { template: { spec: s } } })],
  [{ group: 'apps', version: 'v1', kind: 'DaemonSet' }, (s) => ({ spec: { template: { spec: s } } })],
  [{ group: 'apps', version: 'v1', kind: 'ReplicaSet' }, (s) => ({ spec: { template: { spec: s } } })],
  [{ group: 'batch', version: 'v1', kind: 'Job' }, (s) => ({ spec: { template: { spec: s } } })],
  [CRONJOB, (s) => ({ spec: { jobTemplate: { spec: { template: { spec: s } } } } })],
  [{ group: '', version: 'v1', kind: 'ReplicationController' }, (s) => ({ spec: { template: { spec: s } } })],
  [{ group: '', version: 'v1', kind: 'PodTemplate' }, (s) => ({ template: { spec: s } })],
  [POD, (s) => ({ spec: s })],
];

for (const [gvk, wrap] of templated) {
  test(`strategic merge patch: ${gvk.group || 'core'}/${gvk.version} ${gvk.kind} merges containers, initContainers, env and volumes`, () => {
    const doc = wrap({
      initContainers: [c('init', 'i:1')],
      containers: [c('a', 'a:1', { env: [{ name: 'E', value: '1' }] }), c('b', 'b:1')],
      volumes: [{ name: 'v', emptyDir: {} }],
    });
    const patch = wrap({
      initContainers: [{ name: 'init', image: 'i:2' }],
      containers: [{ name: 'a', env: [{ name: 'F', value: '2' }] }],
      volumes: [{ name: 'w', configMap: { name: 'cm' } }],
    });
    const want = wrap({
      initContainers: [c('init', 'i:2')],
      containers: [c('a', 'a:1', { env: [{ name: 'F', value: '2' }, { name: 'E', value: '1' }] }), c('b', 'b:1')],
      volumes: [{ name: 'w', configMap: { name: 'cm' } }, { name: 'v', emptyDir: {} }],
    });
    assert.deepEqual(applyStrategicMergePatch(doc, patch, gvk), want);
  });
}

test('strategic merge patch: a kubectl apply re-apply patch', () => {
  const lastApplied = (image: string) =>
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { annotations: {}, name: 'web', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ image, name: 'a' }] } } },
    }) + '\n';
  const live = deployment([
    {
      name: 'a',
      image: 'x:1',
      imagePullPolicy: 'IfNotPresent',
      resources: {},
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    },
  ]);
  (live.metadata as Obj).annotations = {
    'deployment.kubernetes.io/revision': '1',
    'kubectl.kubernetes.io/last-applied-configuration': lastApplied('x:1'),
  };
  (live.metadata as Obj).generation = 1;

  const patch = {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied('x:2') } },
    spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ image: 'x:2', name: 'a' }] } } },
  };
  const out = applyStrategicMergePatch(live, JSON.parse(JSON.stringify(patch)), DEPLOYMENT) as Obj;

  const want = structuredClone(live);
  (want.metadata as Obj).annotations = {
    'deployment.kubernetes.io/revision': '1',
    'kubectl.kubernetes.io/last-applied-configuration': lastApplied('x:2'),
  };
  (podSpecOf(want).containers as Obj[])[0].image = 'x:2';
  assert.deepEqual(out, want);
});

test('strategic merge patch: kubectl apply removing a container, an env var and a field', () => {
  const live = deployment([
    c('a', 'a:1', { env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }], resources: { limits: { cpu: '1' } } }),
    c('b', 'b:1'),
  ]);
  const patch = podSpecPatch({
    '$setElementOrder/containers': [{ name: 'a' }],
    containers: [
      { '$setElementOrder/env': [{ name: 'X' }], env: [{ $patch: 'delete', name: 'Y' }], name: 'a', resources: null },
      { $patch: 'delete', name: 'b' },
    ],
  });
  assert.deepEqual(applyStrategicMergePatch(live, patch, DEPLOYMENT), deployment([c('a', 'a:1', { env: [{ name: 'X', value: '1' }] })]));
});

test('strategic merge patch: custom resources are refused with 415', () => {
  const gvk = { group: 'example.com', version: 'v1', kind: 'Widget' };
  assert.equal(supportsStrategicMergePatch(gvk), false);
  assert.throws(
    () => applyStrategicMergePatch({ spec: {} }, { spec: { a: 1 } }, gvk),
    (e: unknown) => {
      assert.ok(e instanceof PatchError);
      assert.equal(e.code, 415);
      assert.equal(e.reason, 'UnsupportedMediaType');
      assert.equal(
        e.message,
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
      );
      return true;
    },
  );
  // An unknown version of a built-in group has no type information either.
  assert.throws(() => applyStrategicMergePatch({}, {}, { group: 'apps', version: 'v9', kind: 'Deployment' }), (e: unknown) => e instanceof PatchError && e.code === 415);
});

test('strategic merge patch: every served built-in kind is supported', () => {
  const kinds: GroupVersionKind[] = [
    POD, SERVICE, NODE, CONFIGMAP, CRONJOB, PDB, DEPLOYMENT,
    { group: '', version: 'v1', kind: 'Namespace' },
    { group: '', version: 'v1', kind: 'Secret' },
    { group: '', version: 'v1', kind: 'ServiceAccount' },
    { group: '', version: 'v1', kind: 'Endpoints' },
    { group: '', version: 'v1', kind: 'Event' },
    { group: '', version: 'v1', kind: 'PersistentVolume' },
    { group: '', version: 'v1', kind: 'PersistentVolumeClaim' },
    { group: '', version: 'v1', kind: 'ResourceQuota' },
    { group: '', version: 'v1', kind: 'LimitRange' },
    { group: 'apps', version: 'v1', kind: 'ControllerRevision' },
    { group: 'autoscaling', version: 'v1', kind: 'Scale' },
    { group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler' },
    { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' },
    { group: 'events.k8s.io', version: 'v1', kind: 'Event' },
    { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' },
    { group: 'networking.k8s.io', version: 'v1', kind: 'IngressClass' },
    { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' },
    { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole' },
    { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding' },
    { group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass' },
    { group: 'storage.k8s.io', version: 'v1', kind: 'CSINode' },
    { group: 'certificates.k8s.io', version: 'v1', kind: 'CertificateSigningRequest' },
    { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'MutatingWebhookConfiguration' },
    { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingAdmissionPolicy' },
    { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' },
    { group: 'apiregistration.k8s.io', version: 'v1', kind: 'APIService' },
    { group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass' },
    { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' },
    { group: 'node.k8s.io', version: 'v1', kind: 'RuntimeClass' },
    { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' },
    { group: 'policy', version: 'v1', kind: 'Eviction' },
    { group: 'flowcontrol.apiserver.k8s.io', version: 'v1', kind: 'FlowSchema' },
  ];
  for (const gvk of kinds) assert.ok(supportsStrategicMergePatch(gvk), `${gvk.group}/${gvk.version}/${gvk.kind}`);
  // Every kind's metadata still merges finalizers.
  for (const gvk of kinds) {
    const out = applyStrategicMergePatch({ metadata: { finalizers: ['a'] } }, { metadata: { finalizers: ['b'] } }, gvk) as { metadata: { finalizers: string[] } };
    assert.deepEqual(out.metadata.finalizers, ['b', 'a'], `${gvk.kind}`);
  }
});

test('strategic merge patch: webhooks merge by name inside webhook configurations', () => {
  const gvk = { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingWebhookConfiguration' };
  const doc = { webhooks: [{ name: 'a.example.com', failurePolicy: 'Fail', matchConditions: [{ name: 'm', expression: 'true' }] }] };
  const patch = { webhooks: [{ name: 'a.example.com', failurePolicy: 'Ignore', matchConditions: [{ name: 'n', expression: 'false' }] }] };
  assert.deepEqual(applyStrategicMergePatch(doc, patch, gvk), {
    webhooks: [
      {
        name: 'a.example.com',
        failurePolicy: 'Ignore',
        matchConditions: [
          { name: 'n', expression: 'false' },
          { name: 'm', expression: 'true' },
        ],
      },
    ],
  });
});

test('strategic merge patch: the result shares nothing with the inputs', () => {
  const doc = deployment([c('a', 'a:1')]);
  const patch = podSpecPatch({ containers: [c('b', 'b:1', { env: [{ name: 'E', value: '1' }] })] });
  const out = applyStrategicMergePatch(doc, patch, DEPLOYMENT);
  const containers = podSpecOf(out).containers as Array<{ env?: Obj[]; image: string }>;
  containers[0].env!.push({ name: 'F' });
  containers[1].image = 'changed';
  assert.deepEqual(patch, podSpecPatch({ containers: [c('b', 'b:1', { env: [{ name: 'E', value: '1' }] })] }));
  assert.deepEqual(doc, deployment([c('a', 'a:1')]));
});
