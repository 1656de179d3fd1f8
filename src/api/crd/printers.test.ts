import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crdTable, printerColumnsForVersion } from './printers.js';
import { findResults, firstResult, parseJSONPath } from './jsonpath.js';

const NOW = new Date('2024-05-01T10:00:00Z');

function crd(columns?: any[]): any {
  return {
    spec: {
      group: 'example.com',
      names: { plural: 'widgets', kind: 'Widget' },
      versions: [{ name: 'v1', served: true, storage: true, ...(columns ? { additionalPrinterColumns: columns } : {}) }],
    },
  };
}

const widget = {
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name: 'w1', creationTimestamp: '2024-05-01T09:55:00Z', labels: { app: 'web' } },
  spec: { replicas: 3, ratio: 0.5, paused: false, image: 'nginx', ports: [80, 443], sel: { a: 'b<c' } },
  status: {
    conditions: [
      { type: 'Progressing', status: 'True' },
      { type: 'Ready', status: 'False', lastTransitionTime: '2024-04-30T10:00:00Z' },
    ],
  },
};

test('without additionalPrinterColumns: Name and Age (a date column rendered as an age)', () => {
  const t = crdTable(crd(), 'v1');
  assert.deepEqual(
    t.columns.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Age', 'date', '', 0],
    ],
  );
  assert.ok(t.columns[0].description.startsWith('Name must be unique within a namespace.'));
  assert.ok(t.columns[1].description.startsWith('CreationTimestamp is a timestamp representing the server time'));
  assert.deepEqual(t.cells(widget, NOW), ['w1', '5m']);
  assert.deepEqual(t.cells({ metadata: { name: 'x' } }, NOW), ['x', null]);
});

test('additionalPrinterColumns replace Age and keep their type, format and priority', () => {
  const t = crdTable(
    crd([
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Readiness' },
      { name: 'App', type: 'string', jsonPath: '.metadata.labels.app', priority: 1 },
      { name: 'Ratio', type: 'number', format: 'float', jsonPath: '.spec.ratio' },
      { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused' },
      { name: 'Since', type: 'date', jsonPath: '.status.conditions[?(@.type=="Ready")].lastTransitionTime' },
      { name: 'Ports', type: 'string', jsonPath: '.spec.ports' },
      { name: 'Selector', type: 'string', jsonPath: '.spec.sel' },
      { name: 'Missing', type: 'string', jsonPath: '.spec.nothing' },
      { name: 'Image', type: 'integer', jsonPath: '.spec.image' },
    ]),
    'v1',
  );
  assert.deepEqual(
    t.columns.map((c) => [c.name, c.type, c.format, c.priority, c.description]),
    [
      ['Name', 'string', 'name', 0, t.columns[0].description],
      ['Replicas', 'integer', '', 0, 'Custom resource definition column (in JSONPath format): .spec.replicas'],
      ['Ready', 'string', '', 0, 'Readiness'],
      ['App', 'string', '', 1, 'Custom resource definition column (in JSONPath format): .metadata.labels.app'],
      ['Ratio', 'number', 'float', 0, 'Custom resource definition column (in JSONPath format): .spec.ratio'],
      ['Paused', 'boolean', '', 0, 'Custom resource definition column (in JSONPath format): .spec.paused'],
      ['Since', 'date', '', 0, 'Custom resource definition column (in JSONPath format): .status.conditions[?(@.type=="Ready")].lastTransitionTime'],
      ['Ports', 'string', '', 0, 'Custom resource definition column (in JSONPath format): .spec.ports'],
      ['Selector', 'string', '', 0, 'Custom resource definition column (in JSONPath format): .spec.sel'],
      ['Missing', 'string', '', 0, 'Custom resource definition column (in JSONPath format): .spec.nothing'],
      ['Image', 'integer', '', 0, 'Custom resource definition column (in JSONPath format): .spec.image'],
    ],
  );
  assert.deepEqual(t.cells(widget, NOW), ['w1', 3, 'False', 'web', 0.5, false, '24h', '[80,443]', '{"a":"b\\u003cc"}', null, null]);
});

test('string columns print numbers and booleans as Go does, null as <no value>', () => {
  const t = crdTable(crd([{ name: 'R', type: 'string', jsonPath: '.spec.r' }]), 'v1');
  assert.deepEqual(t.cells({ metadata: { name: 'a' }, spec: { r: 3 } }, NOW), ['a', '3']);
  assert.deepEqual(t.cells({ metadata: { name: 'a' }, spec: { r: 1.5 } }, NOW), ['a', '1.5']);
  assert.deepEqual(t.cells({ metadata: { name: 'a' }, spec: { r: true } }, NOW), ['a', 'true']);
  assert.deepEqual(t.cells({ metadata: { name: 'a' }, spec: { r: null } }, NOW), ['a', '<no value>']);
});

test('date cells: unknown, invalid and integer truncation', () => {
  const t = crdTable(crd([{ name: 'D', type: 'date', jsonPath: '.spec.d' }, { name: 'I', type: 'integer', jsonPath: '.spec.i' }]), 'v1');
  assert.deepEqual(t.cells({ metadata: { name: 'a' }, spec: { d: 'yesterday', i: 2.7 } }, NOW), ['a', '<invalid>', 2]);
  assert.deepEqual(t.cells({ metadata: { name: 'a' }, spec: { d: '' } }, NOW), ['a', '<unknown>', null]);
});

test('an unparsable JSONPath ends the column list', () => {
  const t = crdTable(crd([{ name: 'A', type: 'string', jsonPath: '.a' }, { name: 'B', type: 'string', jsonPath: '.b[' }, { name: 'C', type: 'string', jsonPath: '.c' }]), 'v1');
  assert.deepEqual(
    t.columns.map((c) => c.name),
    ['Name', 'A'],
  );
  assert.equal(printerColumnsForVersion(crd(), 'v1')[0].jsonPath, '.metadata.creationTimestamp');
});

test('JSONPath subset', () => {
  const data = { a: { 'b.c': 1, list: [{ n: 'x', v: 1 }, { n: 'y', v: 2 }, { n: 'z', v: 3 }] }, m: { k1: 1, k2: 2 } };
  assert.deepEqual(findResults(parseJSONPath('{.a.list[1].n}'), data), ['y']);
  assert.deepEqual(findResults(parseJSONPath(".a['b.c']"), data), [1]);
  assert.deepEqual(findResults(parseJSONPath('.a.list[-1].n'), data), ['z']);
  assert.deepEqual(findResults(parseJSONPath('.a.list[0:2].n'), data), ['x', 'y']);
  assert.deepEqual(findResults(parseJSONPath('.a.list[*].v'), data), [1, 2, 3]);
  assert.deepEqual(findResults(parseJSONPath('.a.list[?(@.v>1)].n'), data), ['y', 'z']);
  assert.deepEqual(findResults(parseJSONPath('.a.list[?(@.n!="x")].v'), data), [2, 3]);
  assert.deepEqual(findResults(parseJSONPath('.a.list[?(@.n)].v'), data), [1, 2, 3]);
  assert.deepEqual(findResults(parseJSONPath('..n'), data), ['x', 'y', 'z']);
  assert.deepEqual(findResults(parseJSONPath('.m.*'), data), [1, 2]);
  assert.deepEqual(findResults(parseJSONPath('.nope.deeper'), data), []);
  assert.equal(firstResult('.a.list[5].n', data), undefined);
  assert.throws(() => parseJSONPath('.a['));
});
