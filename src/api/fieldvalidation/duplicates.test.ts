import test from 'node:test';
import assert from 'node:assert/strict';
import { findDuplicateFields } from './duplicates.js';
import { shapeForKind } from './shapes.js';
import { scanStrictJson, strictErrorText } from './strict-json.js';

function typed(apiVersion: string, kind: string, text: string): string[] {
  return scanStrictJson(text, shapeForKind(apiVersion, kind)!).map(strictErrorText);
}

test('no duplicates: nothing reported', () => {
  assert.deepEqual(findDuplicateFields('{"a":1,"b":{"a":2,"c":[{"a":1},{"a":1}]}}'), []);
  assert.deepEqual(findDuplicateFields('{}'), []);
  assert.deepEqual(findDuplicateFields('[]'), []);
  assert.deepEqual(findDuplicateFields('"x"'), []);
  assert.deepEqual(findDuplicateFields(' 12 '), []);
  assert.deepEqual(findDuplicateFields('null'), []);
});

test('duplicate keys with their paths, in document order', () => {
  const text = `{
    "spec": {
      "replicas": 1,
      "replicas": 2,
      "template": {"spec": {"containers": [{"name": "a"}, {"name": "b", "image": "x", "name": "c"}]}}
    },
    "kind": "Deployment",
    "kind": "Deployment",
    "metadata": {"labels": {"app": "x", "app": "y"}}
  }`;
  assert.deepEqual(findDuplicateFields(text), ['spec.replicas', 'spec.template.spec.containers[1].name', 'kind', 'metadata.labels.app']);
});

test('a key repeated many times is reported once; nested values of every repetition are scanned', () => {
  assert.deepEqual(findDuplicateFields('{"a":1,"a":2,"a":3}'), ['a']);
  assert.deepEqual(findDuplicateFields('{"a":{"x":1,"x":2},"a":{"y":1,"y":2}}'), ['a.x', 'a', 'a.y']);
});

test('indices of nested lists and a list at the root', () => {
  assert.deepEqual(findDuplicateFields('[{"op":"add"},{"op":"add","op":"remove"}]'), ['[1].op']);
  assert.deepEqual(findDuplicateFields('{"a":[[1,{"b":1,"b":2}]]}'), ['a[0][1].b']);
});

test('escaped keys are compared decoded', () => {
  assert.deepEqual(findDuplicateFields('{"a":1,"\\u0061":2}'), ['a']);
  assert.deepEqual(findDuplicateFields('{"a\\"b":1,"a\\"b":2}'), ['a"b']);
  assert.deepEqual(strictErrorText({ type: 'duplicate field', path: 'a"b' }), 'duplicate field "a\\"b"');
});

test('strings with quotes, backslashes and brackets are skipped correctly', () => {
  const text = JSON.stringify({ a: 'x"}]{[\\', b: '\\\\', c: { d: '\\"' } }).replace(/}$/, ',"a":1}');
  assert.deepEqual(findDuplicateFields(text), ['a']);
});

test('a large ConfigMap: long values skipped, a duplicate at the very end found', () => {
  const data: Record<string, string> = {};
  for (let i = 0; i < 200; i++) data['k' + i] = 'v'.repeat(10000) + '\\"{[' + i;
  const text = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data }).replace(/}}$/, ',"k7":"again"}}');
  assert.deepEqual(findDuplicateFields(text), ['data.k7']);
  assert.deepEqual(typed('v1', 'ConfigMap', text), ['duplicate field "data.k7"']);
});

test('many keys in one object (set-based tracking)', () => {
  const keys = Array.from({ length: 100 }, (_, i) => `"k${i}":${i}`);
  assert.deepEqual(findDuplicateFields(`{${keys.join(',')},"k3":0,"k99":0,"k100":0}`), ['k3', 'k99']);
});

test('at most 100 errors, as upstream', () => {
  const pairs = Array.from({ length: 150 }, (_, i) => `"k${i}":1,"k${i}":2`);
  const found = findDuplicateFields(`{${pairs.join(',')}}`);
  assert.equal(found.length, 100);
  assert.equal(found[99], 'k99');
});

test('malformed input does not throw; what was found before is returned', () => {
  assert.deepEqual(findDuplicateFields('{"a":1,"a":2,'), ['a']);
  assert.deepEqual(findDuplicateFields('{"a":1,"a'), []);
  assert.deepEqual(findDuplicateFields(''), []);
  assert.deepEqual(findDuplicateFields('{"a" 1}'), []);
  assert.deepEqual(findDuplicateFields('['.repeat(100000)), []);
});

test('typed scan: the upstream Deployment body (unknown and duplicate fields interleaved)', () => {
  const body = `{
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "dupename", "name": "x", "labels": {"app": "nginx"}, "unknownMeta": "metaVal"},
    "spec": {
      "unknown1": "val1",
      "unknownDupe": "valDupe",
      "unknownDupe": "valDupe2",
      "paused": true,
      "paused": false,
      "selector": {"matchLabels": {"app": "nginx"}},
      "template": {
        "metadata": {"labels": {"app": "nginx"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:latest", "unknownNested": "val1", "imagePullPolicy": "Always", "imagePullPolicy": "Never"}]}
      }
    }
  }`;
  assert.deepEqual(typed('apps/v1', 'Deployment', body), [
    'duplicate field "metadata.name"',
    'unknown field "metadata.unknownMeta"',
    'unknown field "spec.unknown1"',
    'unknown field "spec.unknownDupe"',
    'duplicate field "spec.paused"',
    'unknown field "spec.template.spec.containers[0].unknownNested"',
    'duplicate field "spec.template.spec.containers[0].imagePullPolicy"',
  ]);
});

test('typed scan: nothing inside unknown fields or opaque values is checked', () => {
  const body = `{"apiVersion":"apps/v1","kind":"ControllerRevision","metadata":{"name":"r"},"revision":1,
    "data":{"a":1,"a":2},"bogus":{"b":1,"b":2}}`;
  assert.deepEqual(typed('apps/v1', 'ControllerRevision', body), ['unknown field "bogus"']);
  const pod = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","creationTimestamp":{"x":1,"x":2}},
    "spec":{"containers":[{"name":"c","image":"i","resources":{"limits":{"cpu":{"q":1,"q":2},"cpu":"1"}}}]}}`;
  assert.deepEqual(typed('v1', 'Pod', pod), ['duplicate field "spec.containers[0].resources.limits.cpu"']);
});

test('typed scan: values of the wrong JSON type are skipped', () => {
  const body = `{"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":[{"x":1,"x":1}],"selector":"s","replicas":{"a":1}}}`;
  assert.deepEqual(typed('apps/v1', 'Deployment', body), []);
});

test('typed scan: maps of structs are checked with the key in the path', () => {
  const crd = `{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"x"},
    "spec":{"versions":[{"name":"v1","schema":{"openAPIV3Schema":{"properties":{"spec":{"type":"object","typo":1,"type":"string"}}}}}]}}`;
  assert.deepEqual(typed('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd), [
    'unknown field "spec.versions[0].schema.openAPIV3Schema.properties.spec.typo"',
    'duplicate field "spec.versions[0].schema.openAPIV3Schema.properties.spec.type"',
  ]);
});

function bigList(n: number): string {
  const items = [];
  for (let i = 0; i < n; i++) {
    items.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web-' + i, namespace: 'default', labels: { app: 'web', i: String(i) }, annotations: { note: 'x'.repeat(200) } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'nginx',
                image: 'nginx:1.25',
                ports: [{ containerPort: 80, protocol: 'TCP' }],
                env: [{ name: 'A', value: 'b' }, { name: 'C', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
                resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi' } },
                readinessProbe: { httpGet: { path: '/', port: 80 }, initialDelaySeconds: 5 },
              },
            ],
            tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
          },
        },
      },
    });
  }
  return JSON.stringify({ apiVersion: 'apps/v1', kind: 'DeploymentList', metadata: {}, items }, null, 1);
}

test('throughput (prints MB/s; asserts a floor well below the measured figure)', () => {
  const text = bigList(3000);
  const mb = Buffer.byteLength(text) / 1e6;
  const shape = shapeForKind('apps/v1', 'DeploymentList')!;
  const measure = (fn: () => unknown): number => {
    for (let i = 0; i < 3; i++) fn();
    const runs = 5;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) fn();
    const s = Number(process.hrtime.bigint() - t0) / 1e9 / runs;
    return mb / s;
  };
  const dups = measure(() => findDuplicateFields(text));
  const strict = measure(() => scanStrictJson(text, shape));
  const parse = measure(() => JSON.parse(text));
  console.log(`# ${mb.toFixed(1)} MB: findDuplicateFields ${dups.toFixed(0)} MB/s, typed scan ${strict.toFixed(0)} MB/s (JSON.parse ${parse.toFixed(0)} MB/s)`);
  assert.ok(dups > 40, `findDuplicateFields ${dups} MB/s`);
  assert.ok(strict > 30, `typed scan ${strict} MB/s`);
});
