import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  FieldSet,
  FieldsV1Error,
  comparePE,
  fieldPath,
  keyPE,
  parsePE,
  pathToString,
  serializePE,
  valuePE,
  type Path,
  type PathElement,
} from './fieldset.js';
import { objectFieldSet } from './index.js';

const f = (name: string): PathElement => ({ field: name });
const k = (obj: Record<string, unknown>): PathElement => keyPE(Object.entries(obj));

test('serializes the documentation example exactly', () => {
  const s = FieldSet.fromPaths([fieldPath('metadata', 'labels'), fieldPath('metadata', 'labels', 'app')]);
  assert.equal(s.toFieldsV1JSON(), '{"f:metadata":{"f:labels":{".":{},"f:app":{}}}}');
});

test('reads the docs ConfigMap example and writes it back in upstream order', () => {
  // As printed in the Server-Side Apply documentation (f:metadata first).
  const docs = { 'f:metadata': { 'f:labels': { 'f:test-label': {} } }, 'f:data': { 'f:key': {} } };
  const s = FieldSet.fromFieldsV1(docs);
  assert.deepEqual(
    s.paths().map(pathToString),
    ['.data.key', '.metadata.labels.test-label'],
  );
  assert.equal(s.toFieldsV1JSON(), '{"f:data":{"f:key":{}},"f:metadata":{"f:labels":{"f:test-label":{}}}}');
});

test('round-trips a Deployment field set with keyed items, set items and members with children', () => {
  const json =
    '{"f:metadata":{"f:finalizers":{".":{},"v:\\"example.com/a\\"":{},"v:\\"example.com/b\\"":{}},"f:labels":{".":{},"f:app":{}}},' +
    '"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{},' +
    '"f:ports":{".":{},"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{},"f:protocol":{}}}}}}}}}';
  const s = FieldSet.fromFieldsV1(json);
  assert.equal(s.toFieldsV1JSON(), json);
  assert.ok(s.has([f('spec'), f('template'), f('spec'), f('containers'), k({ name: 'nginx' }), f('image')]));
  assert.ok(s.has([f('spec'), f('template'), f('spec'), f('containers'), k({ name: 'nginx' })]));
  assert.ok(!s.has([f('spec'), f('template')]));
  assert.ok(s.has([f('metadata'), f('finalizers'), valuePE('example.com/a')]));
  assert.equal(s.size(), 14);
});

test('keys are written with sorted fields, Go-escaped', () => {
  assert.equal(serializePE(k({ protocol: 'TCP', containerPort: 80 })), 'k:{"containerPort":80,"protocol":"TCP"}');
  assert.equal(serializePE(k({ name: 'a<b>&c' })), 'k:{"name":"a\\u003cb\\u003e\\u0026c"}');
  assert.equal(serializePE(valuePE('x')), 'v:"x"');
  assert.equal(serializePE(valuePE(3)), 'v:3');
  assert.equal(serializePE({ index: 4 }), 'i:4');
  assert.equal(serializePE(f('a.b')), 'f:a.b');
  assert.deepEqual(parsePE('k:{"protocol":"TCP","containerPort":80}'), k({ containerPort: 80, protocol: 'TCP' }));
  assert.deepEqual(parsePE('i:7'), { index: 7 });
  assert.deepEqual(parsePE('v:{"a":1}'), { value: { a: 1 } });
  assert.equal(parsePE('x:whatever'), undefined);
  assert.throws(() => parsePE('f'), FieldsV1Error);
  assert.throws(() => parsePE('k{"a":1}'), FieldsV1Error);
  assert.throws(() => parsePE('k:{nope'), FieldsV1Error);
});

test('prints paths as upstream does', () => {
  const p: Path = [f('spec'), f('template'), f('spec'), f('containers'), k({ name: 'nginx' }), f('image')];
  assert.equal(pathToString(p), '.spec.template.spec.containers[name="nginx"].image');
  assert.equal(pathToString([f('spec'), f('ports'), k({ port: 80, protocol: 'TCP' })]), '.spec.ports[port=80,protocol="TCP"]');
  assert.equal(pathToString([f('metadata'), f('finalizers'), valuePE('a')]), '.metadata.finalizers[="a"]');
  assert.equal(pathToString([f('x'), { index: 2 }]), '.x[2]');
  assert.equal(pathToString([f('x'), valuePE(true)]), '.x[=true]');
});

test('orders path elements as upstream: fields, keys, values, indexes', () => {
  const sorted = [f('a'), f('b'), k({ name: 'a' }), k({ name: 'b' }), valuePE(1), valuePE('a'), valuePE(true), { index: 0 }];
  const shuffled = [...sorted].reverse();
  shuffled.sort(comparePE);
  assert.deepEqual(shuffled, sorted);
  // Unused `.` ordering: a member that also has children is written once, with ".".
  const s = FieldSet.fromPaths([[f('b')], [f('a'), f('x')], [f('a')]]);
  assert.equal(s.toFieldsV1JSON(), '{"f:a":{".":{},"f:x":{}},"f:b":{}}');
});

test('set algebra', () => {
  const a = FieldSet.fromPaths([fieldPath('a'), fieldPath('b', 'c'), fieldPath('b', 'd'), fieldPath('e')]);
  const b = FieldSet.fromPaths([fieldPath('b', 'c'), fieldPath('e'), fieldPath('z')]);
  assert.deepEqual(a.union(b).paths().map(pathToString), ['.a', '.e', '.z', '.b.c', '.b.d']);
  assert.deepEqual(a.intersection(b).paths().map(pathToString), ['.e', '.b.c']);
  assert.deepEqual(a.difference(b).paths().map(pathToString), ['.a', '.b.d']);
  assert.ok(a.difference(a).empty());
  assert.ok(new FieldSet().empty());
  // difference only removes exact paths; recursiveDifference removes subtrees of members.
  const c = FieldSet.fromPaths([fieldPath('b')]);
  assert.deepEqual(a.difference(c).paths().map(pathToString), ['.a', '.e', '.b.c', '.b.d']);
  assert.deepEqual(a.recursiveDifference(c).paths().map(pathToString), ['.a', '.e']);
  const withParent = FieldSet.fromPaths([fieldPath('m'), fieldPath('m', 'x'), fieldPath('y')]);
  assert.deepEqual(withParent.leaves().paths().map(pathToString), ['.y', '.m.x']);
  assert.ok(a.equals(FieldSet.fromPaths(a.paths())));
  assert.ok(!a.equals(b));
});

test('reading FieldsV1: `{}` and `{".":{}}` are members, unknown element types are skipped', () => {
  const s = FieldSet.fromFieldsV1({ 'f:a': {}, 'f:b': { '.': {} }, 'f:c': { 'z:unknown': {} }, 'f:d': { '.': {}, 'f:e': {} } });
  assert.deepEqual(s.paths().map(pathToString), ['.a', '.b', '.c', '.d', '.d.e']);
  assert.ok(FieldSet.fromFieldsV1({}).empty());
  assert.ok(FieldSet.fromFieldsV1(undefined).empty());
  assert.throws(() => FieldSet.fromFieldsV1({ 'f:a': 1 }), FieldsV1Error);
  assert.throws(() => FieldSet.fromFieldsV1('[1]'), FieldsV1Error);
});

test('field set of an applied Deployment: declared fields are not members, map keys and list items are', () => {
  const dep = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', labels: { app: 'nginx' }, annotations: {} },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'nginx' } },
      template: {
        metadata: { labels: { app: 'nginx' } },
        spec: {
          nodeSelector: { disk: 'ssd' },
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.27',
              ports: [{ containerPort: 80 }],
              env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              args: ['--x'],
            },
          ],
        },
      },
    },
  };
  const s = objectFieldSet(dep);
  assert.deepEqual(s.toFieldsV1(), {
    'f:apiVersion': {},
    'f:kind': {},
    'f:metadata': { 'f:annotations': {}, 'f:labels': { 'f:app': {} }, 'f:name': {} },
    'f:spec': {
      'f:replicas': {},
      'f:selector': {},
      'f:template': {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:containers': {
            'k:{"name":"nginx"}': {
              '.': {},
              'f:args': {},
              'f:env': { 'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:valueFrom': { 'f:fieldRef': {} } } },
              'f:image': {},
              'f:name': {},
              'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
            },
          },
          'f:nodeSelector': {},
        },
      },
    },
  });
});

test('field set of a Service: ports keyed by port and protocol, selector atomic', () => {
  const svc = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's' },
    spec: { selector: { app: 'x' }, ports: [{ port: 80, targetPort: 8080 }, { port: 53, protocol: 'UDP' }] },
  };
  const s = objectFieldSet(svc);
  assert.deepEqual((s.toFieldsV1()['f:spec'] as Record<string, unknown>)['f:ports'], {
    'k:{"port":53,"protocol":"UDP"}': { '.': {}, 'f:port': {}, 'f:protocol': {} },
    'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {}, 'f:targetPort': {} },
  });
  assert.ok(s.has([f('spec'), f('selector')]));
});

test('field set of a custom resource: objects granular, lists atomic, metadata typed', () => {
  const cr = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', finalizers: ['example.com/x'] },
    spec: { size: 2, tags: ['a', 'b'], nested: { deep: { x: 1 } }, empty: {} },
  };
  const s = objectFieldSet(cr);
  assert.deepEqual(s.toFieldsV1(), {
    'f:apiVersion': {},
    'f:kind': {},
    'f:metadata': { 'f:finalizers': { 'v:"example.com/x"': {} }, 'f:name': {} },
    'f:spec': { 'f:empty': {}, 'f:nested': { 'f:deep': { 'f:x': {} } }, 'f:size': {}, 'f:tags': {} },
  });
});
