// CustomResourceDefinitions through kubectl: a CRD becomes a served
// resource within a second, its instances are defaulted, pruned and
// validated by the schema, printed with its columns, and deleting the CRD
// deletes them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKts, type KtsProcess } from './harness.js';

let kts: KtsProcess;

before(async () => {
  kts = await startKts({ storage: 'memory', extraArgs: ['--disable', 'scheduler'] });
});
after(async () => {
  await kts?.stop();
});

const CRD = (scope: 'Namespaced' | 'Cluster' = 'Namespaced') => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: ${scope}
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wd]
    categories: [all]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    additionalPrinterColumns:
    - name: Size
      type: integer
      jsonPath: .spec.size
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, maximum: 10}
              color: {type: string, default: blue}
          status:
            type: object
            properties:
              ready: {type: boolean}
`;

const widget = (name: string, spec: object) => JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name }, spec });

test('a CRD is established and its resource appears in discovery', async () => {
  assert.equal((await kts.k(['apply', '-f', '-'], CRD())).trim(), 'customresourcedefinition.apiextensions.k8s.io/widgets.example.com created');
  const t0 = Date.now();
  const w = await kts.kubectl(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=10s']);
  assert.equal(w.code, 0, w.stderr);
  assert.ok(Date.now() - t0 < 5000);
  const crd = JSON.parse(await kts.k(['get', 'crd', 'widgets.example.com', '-o', 'json']));
  const cond = (t: string) => crd.status.conditions.find((c: any) => c.type === t);
  assert.equal(cond('NamesAccepted').status, 'True');
  assert.equal(cond('NamesAccepted').reason, 'NoConflicts');
  assert.equal(cond('Established').reason, 'InitialNamesAccepted');
  assert.deepEqual(crd.status.storedVersions, ['v1']);
  const ar = await kts.k(['api-resources', '--api-group=example.com', '--no-headers']);
  assert.match(ar.trim(), /^widgets\s+wd\s+example\.com\/v1\s+true\s+Widget$/);
});

test('custom resources: defaults, columns, schema validation, strict fields', async () => {
  assert.equal((await kts.k(['apply', '-f', '-'], widget('w1', { size: 3 }))).trim(), 'widget.example.com/w1 created');
  const w1 = JSON.parse(await kts.k(['get', 'wd', 'w1', '-o', 'json']));
  assert.equal(w1.spec.color, 'blue', 'schema default applied');
  assert.equal(w1.metadata.generation, 1);
  assert.match(await kts.k(['get', 'widgets']), /^NAME\s+SIZE\s+AGE\nw1\s+3\s+\d+s\n$/);
  const tooBig = await kts.kubectl(['patch', 'widget', 'w1', '--type=merge', '-p', '{"spec":{"size":20}}']);
  assert.notEqual(tooBig.code, 0);
  assert.match(tooBig.stderr, /The Widget "w1" is invalid: spec\.size: Invalid value: 20: spec\.size in body should be less than or equal to 10/);
  const missing = await kts.kubectl(['create', '-f', '-'], { input: widget('w2', { color: 'red' }) });
  assert.match(missing.stderr, /spec\.size: Required value/);
  const unknown = await kts.kubectl(['create', '-f', '-'], { input: widget('w3', { size: 1, extra: true }) });
  assert.match(unknown.stderr, /Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec\.extra"/);
  assert.match(await kts.k(['get', 'all']), /widget\.example\.com\/w1\s+3\s+\d+s/);
  // Status goes through the status subresource only.
  await kts.k(['patch', 'widget', 'w1', '--subresource=status', '--type=merge', '-p', '{"status":{"ready":true}}']);
  await kts.k(['patch', 'widget', 'w1', '--type=merge', '-p', '{"status":{"ready":false},"spec":{"size":4}}']);
  const after = JSON.parse(await kts.k(['get', 'wd', 'w1', '-o', 'json']));
  assert.equal(after.status.ready, true);
  assert.equal(after.spec.size, 4);
  assert.equal(after.metadata.generation, 2);
});

test('deleting the CRD deletes its instances and stops serving it', async () => {
  assert.equal((await kts.k(['delete', 'crd', 'widgets.example.com', '--timeout=30s'])).trim(), 'customresourcedefinition.apiextensions.k8s.io "widgets.example.com" deleted');
  assert.equal((await kts.k(['api-resources', '--api-group=example.com', '--no-headers'])).trim(), '');
  // Recreated, it starts empty.
  await kts.k(['apply', '-f', '-'], CRD());
  await kts.k(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=10s']);
  assert.equal((await kts.k(['get', 'widgets', '-o', 'name'])).trim(), '');
});

test('invalid CRDs are refused with field causes', async () => {
  const bad = CRD().replace('name: widgets.example.com', 'name: gizmos.example.com').replace('plural: widgets', 'plural: gizmos').replace('singular: widget', 'singular: gizmo').replace('kind: Widget', 'kind: Gizmo').replace('shortNames: [wd]', 'shortNames: []').replace('storage: true', 'storage: false');
  const r = await kts.kubectl(['create', '-f', '-'], { input: bad });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /The CustomResourceDefinition "gizmos\.example\.com" is invalid: [\s\S]*spec\.versions: Invalid value: [\s\S]*must have exactly one version marked as storage version/);
  const name = await kts.kubectl(['create', '-f', '-'], { input: CRD().replace('name: widgets.example.com', 'name: wrong.example.com') });
  assert.match(name.stderr, /metadata\.name: Invalid value: "wrong\.example\.com": must be spec\.names\.plural\+"\."\+spec\.group/);
});

test('several served versions share one storage version', async () => {
  const two = CRD()
    .replace('name: widgets.example.com', 'name: things.example.com')
    .replace('plural: widgets', 'plural: things')
    .replace('singular: widget', 'singular: thing')
    .replace('kind: Widget', 'kind: Thing')
    .replace('shortNames: [wd]', 'shortNames: [th]')
    .replace('  versions:\n  - name: v1\n    served: true\n    storage: true\n', '  versions:\n  - name: v1beta1\n    served: true\n    storage: false\n    schema:\n      openAPIV3Schema:\n        type: object\n        x-kubernetes-preserve-unknown-fields: true\n  - name: v1\n    served: true\n    storage: true\n');
  await kts.k(['apply', '-f', '-'], two);
  await kts.k(['wait', '--for=condition=Established', 'crd/things.example.com', '--timeout=10s']);
  const vs = (await kts.k(['api-resources', '--api-group=example.com', '--no-headers'])).trim();
  assert.match(vs, /^things\s+th\s+example\.com\/v1\s+true\s+Thing$/m, 'v1 is preferred');
  await kts.k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'example.com/v1beta1', kind: 'Thing', metadata: { name: 't1' }, spec: { size: 1 } }));
  assert.equal(await kts.k(['get', 'things.v1.example.com', 't1', '-o', 'jsonpath={.apiVersion} {.spec.size}']), 'example.com/v1 1');
  assert.equal(await kts.k(['get', 'things.v1beta1.example.com', 't1', '-o', 'jsonpath={.apiVersion}']), 'example.com/v1beta1');
  await kts.k(['delete', 'crd', 'things.example.com']);
});

test('a cluster-scoped CRD serves objects without a namespace', async () => {
  const crd = CRD('Cluster')
    .replace('name: widgets.example.com', 'name: regions.example.com')
    .replace('plural: widgets', 'plural: regions')
    .replace('singular: widget', 'singular: region')
    .replace('kind: Widget', 'kind: Region')
    .replace('shortNames: [wd]', 'shortNames: [rg]');
  await kts.k(['apply', '-f', '-'], crd);
  await kts.k(['wait', '--for=condition=Established', 'crd/regions.example.com', '--timeout=10s']);
  assert.match((await kts.k(['api-resources', '--api-group=example.com', '--no-headers'])), /^regions\s+rg\s+example\.com\/v1\s+false\s+Region$/m);
  await kts.k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Region', metadata: { name: 'eu' }, spec: { size: 2 } }));
  const r = JSON.parse(await kts.k(['get', 'rg', 'eu', '-o', 'json']));
  assert.equal(r.metadata.namespace, undefined);
  assert.equal(r.spec.color, 'blue');
  assert.match(await kts.k(['get', 'regions']), /^NAME\s+SIZE\s+AGE\neu\s+2\s+\d+s\n$/);
  await kts.k(['delete', 'crd', 'regions.example.com']);
});
