import test from 'node:test';
import assert from 'node:assert/strict';
import { findUnknownFields, hasFieldSchema, pruneUnknownFields } from './unknown-fields.js';

function deployment(): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' }, annotations: { 'x/y': 'z' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx',
              ports: [{ containerPort: 80 }],
              resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m' } },
              livenessProbe: { httpGet: { path: '/', port: 'http' } },
            },
          ],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
        },
      },
    },
  };
}

test('a valid Deployment has no unknown fields', () => {
  assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', deployment()), []);
});

test('unknown nested fields of a Deployment, with upstream paths, in document order', () => {
  const d = deployment();
  d.spec.foo = 1;
  d.spec.template.spec.containers[0].imagePullPolice = 'Always';
  d.metadata.unknownMeta = 'x';
  d.spec.template.spec.containers.push({ name: 'b', image: 'b', bogus: { a: 1 } });
  d.status = { weird: true };
  assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', d), [
    'metadata.unknownMeta',
    'spec.template.spec.containers[0].imagePullPolice',
    'spec.template.spec.containers[1].bogus',
    'spec.foo',
    'status.weird',
  ]);
});

test('an unknown field is reported, not descended', () => {
  const d = deployment();
  d.spec.extra = { nested: { deeper: 1 } };
  assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', d), ['spec.extra']);
});

test('a Pod list item index is part of the path', () => {
  const list = {
    apiVersion: 'v1',
    kind: 'PodList',
    metadata: { resourceVersion: '1' },
    items: [
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      { metadata: { name: 'b' }, spec: { containers: [{ name: 'c', image: 'i' }, { name: 'd', image: 'i', imagePullPolice: 'x' }] }, foo: 1 },
    ],
  };
  assert.deepEqual(findUnknownFields('v1', 'PodList', list), ['items[1].spec.containers[1].imagePullPolice', 'items[1].foo']);
});

test('maps (labels, annotations, data, stringData, nodeSelector, parameters) accept any key', () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { 'any.key/x': 'v' }, annotations: { '': 'v', spec: 'x' } }, data: { foo: 'bar', 'spec.x': 'y' }, binaryData: { b: 'AA==' } };
  assert.deepEqual(findUnknownFields('v1', 'ConfigMap', cm), []);
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'Opaque', data: { a: 'AA==' }, stringData: { password: 'x' } };
  assert.deepEqual(findUnknownFields('v1', 'Secret', secret), []);
  const sc = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 's' }, provisioner: 'p', parameters: { whatever: 'x' } };
  assert.deepEqual(findUnknownFields('storage.k8s.io/v1', 'StorageClass', sc), []);
  const cmBad = { ...cm, datas: {} };
  assert.deepEqual(findUnknownFields('v1', 'ConfigMap', cmBad), ['datas']);
});

test('struct values of maps are checked, with the map key in the path', () => {
  const pdbStatus = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'p' },
    spec: { minAvailable: 1 },
    status: { disruptedPods: { a: '2024-01-01T00:00:00Z' }, disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
  };
  assert.deepEqual(findUnknownFields('policy/v1', 'PodDisruptionBudget', pdbStatus), []);
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'foos.example.com' },
    spec: {
      group: 'example.com',
      names: { plural: 'foos', kind: 'Foo' },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', properties: { size: { type: 'integer', maximun: 3 } }, 'x-kubernetes-preserve-unknown-fields': true },
                list: { type: 'array', items: { type: 'string', bogus: 1 } },
              },
              additionalProperties: { type: 'string', bogus: 2 },
              default: { any: { thing: 1 } },
            },
          },
        },
      ],
    },
  };
  // `items`, `additionalProperties` and `default` have their own decoders: not checked
  assert.deepEqual(findUnknownFields('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd), [
    'spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.size.maximun',
  ]);
  // the unstructured converter (strategic merge patch) leaves map keys out of paths
  assert.deepEqual(findUnknownFields('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd, 'converter'), [
    'spec.versions[0].schema.openAPIV3Schema.properties.properties.maximun',
  ]);
});

test('IntOrString, Quantity, Time, RawExtension, FieldsV1 are leaves', () => {
  const d = deployment();
  d.spec.strategy.rollingUpdate.maxSurge = { weird: 1 };
  d.spec.template.spec.containers[0].resources.limits.cpu = { weird: 1 };
  d.spec.template.spec.containers[0].livenessProbe.httpGet.port = { weird: 1 };
  d.metadata.creationTimestamp = { weird: 1 };
  d.metadata.managedFields = [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:anything': {} } }, time: '2024-01-01T00:00:00Z' }];
  assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', d), []);
  const cr = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, revision: 1, data: { spec: { anything: { goes: true } } } };
  assert.deepEqual(findUnknownFields('apps/v1', 'ControllerRevision', cr), []);
  d.metadata.managedFields[0].extra = 1;
  assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', d), ['metadata.managedFields[0].extra']);
});

test('apiVersion and kind are known where the Go type embeds TypeMeta, unknown elsewhere', () => {
  const sts = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 's' },
    spec: {
      serviceName: 's',
      selector: { matchLabels: { a: 'b' } },
      template: { apiVersion: 'v1', kind: 'PodTemplateSpec', metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      volumeClaimTemplates: [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  };
  assert.deepEqual(findUnknownFields('apps/v1', 'StatefulSet', sts), ['spec.template.apiVersion', 'spec.template.kind']);
  const ev = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p' }, deleteOptions: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 } };
  assert.deepEqual(findUnknownFields('policy/v1', 'Eviction', ev), []);
});

test('fields of embedded (inline) structs are known', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'c', image: 'i' }], ephemeralContainers: [{ name: 'dbg', image: 'busybox', targetContainerName: 'c', stdin: true, nope: 1 }] },
  };
  assert.deepEqual(findUnknownFields('v1', 'Pod', pod), ['spec.ephemeralContainers[0].nope']);
  const vap = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: 'v' },
    spec: { matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'], resourceNames: [], scope: '*', op: 1 }] } },
  };
  assert.deepEqual(findUnknownFields('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', vap), ['spec.matchConstraints.resourceRules[0].op']);
});

test('names are matched case-sensitively', () => {
  const d = deployment();
  d.Spec = {};
  d.metadata.Name = 'x';
  assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', d), ['metadata.Name', 'Spec']);
});

test('the version decides the type: autoscaling/v1 vs v2 HorizontalPodAutoscaler', () => {
  const hpa = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'd' }, maxReplicas: 3, metrics: [], targetCPUUtilizationPercentage: 50 } };
  assert.deepEqual(findUnknownFields('autoscaling/v2', 'HorizontalPodAutoscaler', hpa), ['spec.targetCPUUtilizationPercentage']);
  assert.deepEqual(findUnknownFields('autoscaling/v1', 'HorizontalPodAutoscaler', hpa), ['spec.metrics']);
});

test('kinds the table does not know (custom resources) have no unknown fields', () => {
  assert.deepEqual(findUnknownFields('example.com/v1', 'Foo', { spec: { anything: 1 } }), []);
  assert.equal(hasFieldSchema('example.com/v1', 'Foo'), false);
  assert.equal(hasFieldSchema('apps/v1', 'Deployment'), true);
  assert.equal(hasFieldSchema('apps/v1', 'DeleteOptions'), true); // shared meta kinds resolve under any group version
});

test('sorted order: keys sorted at every level (YAML bodies, json/merge patch results)', () => {
  const d = deployment();
  d.spec.zzz = 1;
  d.spec.template.spec.containers[0].unknownNested = 1;
  d.spec.aaa = 1;
  d.metadata.unknownMeta = 1;
  assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', d, 'sorted'), [
    'metadata.unknownMeta',
    'spec.aaa',
    'spec.template.spec.containers[0].unknownNested',
    'spec.zzz',
  ]);
  assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', d, 'converter'), [
    'metadata.unknownMeta',
    'spec.aaa',
    'spec.template.spec.containers[0].unknownNested',
    'spec.zzz',
  ]);
});

test('null and wrongly typed values are not descended', () => {
  const d = deployment();
  d.spec.template = null;
  d.spec.selector = 'not an object';
  d.metadata.labels = ['x'];
  assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', d), []);
  assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', null), []);
});

test('pruneUnknownFields drops what findUnknownFields reports, in place', () => {
  const d = deployment();
  d.spec.foo = 1;
  d.spec.template.spec.containers[0].imagePullPolice = 'Always';
  d.metadata.unknownMeta = 'x';
  assert.equal(pruneUnknownFields('apps/v1', 'Deployment', d), 3);
  assert.deepEqual(d, deployment());
  assert.equal(pruneUnknownFields('apps/v1', 'Deployment', d), 0);
  const cr = { spec: { x: 1 } };
  assert.equal(pruneUnknownFields('example.com/v1', 'Foo', cr), 0);
  assert.deepEqual(cr, { spec: { x: 1 } });
});

test('objects real kubectl 1.32 sends have no unknown fields (captured fixtures)', async () => {
  const { KUBECTL_CAPTURES } = await import('../protobuf/fixtures/kubectl.js');
  let checked = 0;
  for (const c of KUBECTL_CAPTURES) {
    const obj = c.expected as { apiVersion?: string; kind?: string };
    if (!obj || typeof obj !== 'object' || !obj.apiVersion || !obj.kind) continue;
    if (!hasFieldSchema(obj.apiVersion, obj.kind)) continue;
    assert.deepEqual(findUnknownFields(obj.apiVersion, obj.kind, obj), [], c.command);
    checked++;
  }
  assert.ok(checked >= 20, String(checked));
});
