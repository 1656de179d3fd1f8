import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorString } from '../validation/errors.js';
import {
  applyDefaults,
  pruneUnknown,
  validateAgainstSchema,
  validateCustomResource,
  validateCustomResourceStatus,
  validateListSetsAndMaps,
  type JSONSchemaProps,
} from './schema.js';

const msgs = (errs: Parameters<typeof fieldErrorString>[0][]) => errs.map(fieldErrorString);
const sorted = (a: string[]) => [...a].sort();

function root(props: Record<string, JSONSchemaProps>, extra: JSONSchemaProps = {}): JSONSchemaProps {
  return { type: 'object', properties: props, ...extra };
}

function spec(props: Record<string, JSONSchemaProps>, extra: JSONSchemaProps = {}): JSONSchemaProps {
  return root({ spec: { type: 'object', properties: props, ...extra } });
}

function cr(specValue: unknown): any {
  return { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: specValue };
}

// --- type checks (strings from upstream's apiserver/validation tests) ----------

test('wrong types name the JSON type found', () => {
  const s = root({ field: { type: 'object' } });
  const cases: Array<[unknown, string]> = [
    ['foo', 'field: Invalid value: "string": field in body must be of type object: "string"'],
    [42, 'field: Invalid value: "integer": field in body must be of type object: "integer"'],
    [true, 'field: Invalid value: "boolean": field in body must be of type object: "boolean"'],
    [1.2, 'field: Invalid value: "number": field in body must be of type object: "number"'],
    [[], 'field: Invalid value: "array": field in body must be of type object: "array"'],
    [null, 'field: Invalid value: "null": field in body must be of type object: "null"'],
  ];
  for (const [v, want] of cases) assert.deepEqual(msgs(validateCustomResource(s, { field: v })), [want]);
});

test('spec.replicas of the wrong type', () => {
  const errs = validateCustomResource(spec({ replicas: { type: 'integer' } }), cr({ replicas: 'string' }));
  assert.deepEqual(msgs(errs), ['spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"']);
});

test('a float where an integer is expected also fails the range check', () => {
  const errs = validateCustomResource(root({ field: { type: 'integer' } }), { field: 1.2 });
  assert.deepEqual(msgs(errs), [
    'field: Invalid value: "number": field in body must be of type integer: "number"',
    '<nil>: Invalid value: "": Checked value must be of type integer (default format) in field',
  ]);
  assert.deepEqual(validateCustomResource(root({ field: { type: 'integer' } }), { field: 3 }), []);
  assert.deepEqual(validateCustomResource(root({ field: { type: 'number' } }), { field: 3 }), []);
});

test('nullable allows null, int-or-string allows both', () => {
  const s = root({ a: { type: 'string', nullable: true }, b: { 'x-kubernetes-int-or-string': true } });
  assert.deepEqual(validateCustomResource(s, { a: null, b: 3 }), []);
  assert.deepEqual(validateCustomResource(s, { b: '50%' }), []);
  assert.deepEqual(msgs(validateCustomResource(s, { b: true })), ['b: Invalid value: "boolean": b in body must be of type integer,string: "boolean"']);
  assert.deepEqual(msgs(validateCustomResource(s, { b: null })), ['b: Invalid value: "null": b in body must be of type integer,string: "null"']);
});

test('int-or-string with the anyOf pattern reports the anyOf failure too', () => {
  const s = root({ field: { nullable: true, 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } });
  assert.deepEqual(
    sorted(msgs(validateCustomResource(s, { field: true }))),
    sorted([
      '<nil>: Invalid value: "": "field" must validate at least one schema (anyOf)',
      'field: Invalid value: "boolean": field in body must be of type integer,string: "boolean"',
      'field: Invalid value: "boolean": field in body must be of type integer: "boolean"',
    ]),
  );
  assert.deepEqual(validateCustomResource(s, { field: 'x' }), []);
  assert.deepEqual(validateCustomResource(s, { field: null }), []);
});

test('allOf wrapping the int-or-string anyOf', () => {
  const s = root({ field: { nullable: true, 'x-kubernetes-int-or-string': true, allOf: [{ anyOf: [{ type: 'integer' }, { type: 'string' }] }] } });
  assert.deepEqual(
    sorted(msgs(validateCustomResource(s, { field: {} }))),
    sorted([
      '<nil>: Invalid value: "": "field" must validate all the schemas (allOf). None validated',
      '<nil>: Invalid value: "": "field" must validate at least one schema (anyOf)',
      'field: Invalid value: "object": field in body must be of type integer,string: "object"',
      'field: Invalid value: "object": field in body must be of type integer: "object"',
    ]),
  );
});

test('oneOf and not', () => {
  const s = root({ f: { type: 'string', oneOf: [{ pattern: '^a' }, { pattern: 'b$' }], not: { enum: ['zzz'] } } });
  assert.deepEqual(validateCustomResource(s, { f: 'ax' }), []);
  assert.ok(msgs(validateCustomResource(s, { f: 'ab' })).includes('<nil>: Invalid value: "": "f" must validate one and only one schema (oneOf). Found 2 valid alternatives'));
  assert.ok(msgs(validateCustomResource(s, { f: 'x' })).includes('<nil>: Invalid value: "": "f" must validate one and only one schema (oneOf). Found none valid'));
  const n = root({ f: { type: 'string', not: { enum: ['zzz'] } } });
  assert.deepEqual(msgs(validateCustomResource(n, { f: 'zzz' })), ['<nil>: Invalid value: "": "f" must not validate the schema (not)']);
});

// --- bounds, strings, enums ------------------------------------------------------

test('maximum, minimum and exclusive bounds', () => {
  const s = spec({ size: { type: 'integer', maximum: 10, minimum: 1 }, ratio: { type: 'number', exclusiveMinimum: true, minimum: 0, exclusiveMaximum: true, maximum: 1 } });
  assert.deepEqual(msgs(validateCustomResource(s, cr({ size: 20 }))), ['spec.size: Invalid value: 20: spec.size in body should be less than or equal to 10']);
  assert.deepEqual(msgs(validateCustomResource(s, cr({ size: 0 }))), ['spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1']);
  assert.deepEqual(msgs(validateCustomResource(s, cr({ ratio: 0 }))), ['spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0']);
  assert.deepEqual(msgs(validateCustomResource(s, cr({ ratio: 1.5 }))), ['spec.ratio: Invalid value: 1.5: spec.ratio in body should be less than 1']);
  assert.deepEqual(validateCustomResource(s, cr({ size: 10, ratio: 0.5 })), []);
});

test('multipleOf', () => {
  const s = root({ i: { type: 'integer', multipleOf: 5 }, f: { type: 'number', multipleOf: 0.5 } });
  assert.deepEqual(msgs(validateCustomResource(s, { i: 7 })), ['i: Invalid value: 7: i in body should be a multiple of 5']);
  assert.deepEqual(msgs(validateCustomResource(s, { f: 1.25 })), ['f: Invalid value: 1.25: f in body should be a multiple of 0.5']);
  assert.deepEqual(validateCustomResource(s, { i: 10, f: 1.5 }), []);
});

test('int32 and int64 formats check the range', () => {
  const s = root({ intThirtyTwo: { type: 'integer', format: 'int32' }, i64: { type: 'integer', format: 'int64' } });
  assert.deepEqual(msgs(validateCustomResource(s, { intThirtyTwo: 2147483648 })), [
    '<nil>: Invalid value: "": Checked value must be of type integer with format int32 in intThirtyTwo',
  ]);
  assert.deepEqual(validateCustomResource(s, { intThirtyTwo: 2147483647, i64: 2147483648 }), []);
});

test('string length and pattern', () => {
  const s = spec({ name: { type: 'string', minLength: 3, maxLength: 5, pattern: '^[a-z]+$' }, short: { type: 'string', maxLength: 2 } });
  assert.deepEqual(msgs(validateCustomResource(s, cr({ name: 'ab' }))), ['spec.name: Invalid value: "ab": spec.name in body should be at least 3 chars long']);
  assert.deepEqual(msgs(validateCustomResource(s, cr({ name: 'abcdef' }))), ['spec.name: Too long: may not be more than 5 bytes']);
  assert.deepEqual(msgs(validateCustomResource(s, cr({ name: 'ABC' }))), ["spec.name: Invalid value: \"ABC\": spec.name in body should match '^[a-z]+$'"]);
  assert.deepEqual(msgs(validateCustomResource(s, cr({ short: 'abc' }))), ['spec.short: Too long: may not be more than 2 bytes']);
  assert.deepEqual(validateCustomResource(s, cr({ name: 'ééé' })).length, 1, 'runes are counted, but the pattern is ASCII');
});

test('an invalid pattern is reported when a value is checked', () => {
  const s = root({ field: { type: 'string', pattern: '+' } });
  assert.deepEqual(msgs(validateCustomResource(s, { field: 'foo' })), [
    "field: Invalid value: \"foo\": field in body should match '+, but pattern is invalid: error parsing regexp: missing argument to repetition operator: `+`'",
  ]);
});

test('Go regexp syntax in patterns', () => {
  const s = root({ a: { type: 'string', pattern: '(?i)^abc$' }, b: { type: 'string', pattern: '^[[:alpha:]]+\\z' }, c: { type: 'string', pattern: '^\\pL+$' } });
  assert.deepEqual(validateCustomResource(s, { a: 'ABC', b: 'xyz', c: 'été' }), []);
  assert.equal(validateCustomResource(s, { b: 'x1' }).length, 1);
});

test('enum reports supported values', () => {
  const s = root({
    field: {
      type: 'object',
      required: ['nestedint', 'nestedstring'],
      properties: { nestedint: { type: 'integer', enum: [1, 2] }, nestedstring: { type: 'string', enum: ['a', 'b'] } },
    },
  });
  assert.deepEqual(msgs(validateCustomResource(s, { field: {} })), ['field.nestedint: Required value', 'field.nestedstring: Required value']);
  assert.deepEqual(sorted(msgs(validateCustomResource(s, { field: { nestedint: 'x', nestedstring: true } }))), [
    'field.nestedint: Invalid value: "string": field.nestedint in body must be of type integer: "string"',
    'field.nestedint: Unsupported value: "x": supported values: "1", "2"',
    'field.nestedstring: Invalid value: "boolean": field.nestedstring in body must be of type string: "boolean"',
    'field.nestedstring: Unsupported value: true: supported values: "a", "b"',
  ]);
  const c = spec({ color: { type: 'string', enum: ['a', 'b'] } });
  assert.deepEqual(msgs(validateCustomResource(c, cr({ color: 'x' }))), ['spec.color: Unsupported value: "x": supported values: "a", "b"']);
});

test('required fields', () => {
  const s = root({ field: { type: 'object', required: ['nested'], properties: { nested: {} } } }, { required: ['field'] });
  assert.deepEqual(msgs(validateCustomResource(s, { test: 'a' })), ['field: Required value']);
  assert.deepEqual(msgs(validateCustomResource(s, { field: {} })), ['field.nested: Required value']);
});

test('string formats validated upstream: date-time, date, uuid, ...', () => {
  const s = spec({
    ts: { type: 'string', format: 'date-time' },
    d: { type: 'string', format: 'date' },
    u: { type: 'string', format: 'uuid' },
    ip: { type: 'string', format: 'ipv4' },
    unknown: { type: 'string', format: 'not-a-format' },
    dur: { type: 'string', format: 'duration' },
  });
  assert.deepEqual(msgs(validateCustomResource(s, cr({ ts: 'nope' }))), ['spec.ts: Invalid value: "nope": spec.ts in body must be of type date-time: "nope"']);
  assert.deepEqual(msgs(validateCustomResource(s, cr({ d: '2024-02-30' }))), ['spec.d: Invalid value: "2024-02-30": spec.d in body must be of type date: "2024-02-30"']);
  assert.deepEqual(msgs(validateCustomResource(s, cr({ u: 'x' }))), ['spec.u: Invalid value: "x": spec.u in body must be of type uuid: "x"']);
  assert.deepEqual(msgs(validateCustomResource(s, cr({ ip: '1.2.3' }))), ['spec.ip: Invalid value: "1.2.3": spec.ip in body must be of type ipv4: "1.2.3"']);
  assert.deepEqual(
    validateCustomResource(s, cr({ ts: '2024-01-02T03:04:05Z', d: '2024-02-29', u: '123e4567-e89b-12d3-a456-426614174000', ip: '10.0.0.1', unknown: 'anything', dur: '5m' })),
    [],
  );
});

// --- objects and arrays ----------------------------------------------------------

test('items and nested paths', () => {
  const s = spec({ items: { type: 'array', minItems: 1, maxItems: 2, items: { type: 'object', properties: { name: { type: 'string' } } } } });
  assert.deepEqual(msgs(validateCustomResource(s, cr({ items: [{ name: 'a' }, { name: 'b' }, { name: 3 }] }))), [
    'spec.items[2].name: Invalid value: "integer": spec.items[2].name in body must be of type string: "integer"',
    'spec.items: Too many: 3: must have at most 2 items',
  ]);
  assert.deepEqual(msgs(validateCustomResource(s, cr({ items: [] }))), ['spec.items: Invalid value: 0: spec.items in body should have at least 1 items']);
});

test('additionalProperties as a schema, and as false', () => {
  const s = spec({ labels: { type: 'object', additionalProperties: { type: 'string' } }, closed: { type: 'object', additionalProperties: false } });
  assert.deepEqual(msgs(validateCustomResource(s, cr({ labels: { a: 'x', foo: 1 } }))), [
    'spec.labels.foo: Invalid value: "integer": spec.labels.foo in body must be of type string: "integer"',
  ]);
  assert.deepEqual(msgs(validateCustomResource(s, cr({ closed: { x: 1 } }))), ['spec.closed: Invalid value: "x": spec.closed.x in body is a forbidden property']);
});

test('minProperties and maxProperties', () => {
  const s = root({ fieldX: { type: 'object', maxProperties: 2, minProperties: 1, additionalProperties: { type: 'boolean' } } });
  assert.deepEqual(msgs(validateCustomResource(s, { fieldX: { a: true, b: true, c: true } })), ['fieldX: Too many: 3: must have at most 2 items']);
  assert.deepEqual(msgs(validateCustomResource(s, { fieldX: {} })), ['fieldX: Invalid value: 0: fieldX in body should have at least 1 properties']);
});

test('uniqueItems', () => {
  const s = root({ l: { type: 'array', uniqueItems: true, items: { type: 'string' } } });
  assert.deepEqual(msgs(validateCustomResource(s, { l: ['a', 'a'] })), ['l: Invalid value: "": l in body shouldn\'t contain duplicates']);
});

test('x-kubernetes-list-type set and map uniqueness', () => {
  const s = spec({
    tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
    ports: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' } } },
    },
    pairs: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['a', 'b'],
      items: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer' } } },
    },
  });
  assert.deepEqual(msgs(validateCustomResource(s, cr({ tags: ['a', 'b', 'a', 'a'] }))), ['spec.tags[2]: Duplicate value: "a"']);
  assert.deepEqual(msgs(validateCustomResource(s, cr({ ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] }))), [
    'spec.ports[1]: Duplicate value: map[string]interface {}{"name":"http"}',
  ]);
  assert.deepEqual(msgs(validateCustomResource(s, cr({ pairs: [{ a: 'x', b: 1 }, { a: 'x', b: 2 }, { b: 1, a: 'x' }] }))), [
    'spec.pairs[2]: Duplicate value: map[string]interface {}{"a":"x", "b":1}',
  ]);
  assert.deepEqual(validateCustomResource(s, cr({ tags: ['a', 'b'], ports: [{ name: 'a' }, { name: 'b' }] })), []);
  assert.deepEqual(msgs(validateListSetsAndMaps(s, cr({ ports: ['x', 'y'] }))), ['spec.ports[0]: Invalid value: "x": must be an object for an array of list-type map']);
});

test('list-type checks on update only apply when the old object satisfied them', () => {
  const s = spec({ tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } } });
  const old = cr({ tags: ['a', 'a'] });
  assert.deepEqual(validateCustomResource(s, cr({ tags: ['b', 'b'] }), { old }), []);
  assert.equal(validateCustomResource(s, cr({ tags: ['b', 'b'] }), { old: cr({ tags: [] }) }).length, 1);
});

test('embedded resources need apiVersion and kind', () => {
  const s = spec({ template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } });
  assert.deepEqual(msgs(validateCustomResource(s, cr({ template: { metadata: { name: 'x' } } }))), ['spec.template.apiVersion: Required value', 'spec.template.kind: Required value']);
  assert.deepEqual(msgs(validateCustomResource(s, cr({ template: { apiVersion: 'v1', kind: 'my_kind' } }))), [
    "spec.template.kind: Invalid value: \"my_kind\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  ]);
  assert.deepEqual(validateCustomResource(s, cr({ template: { apiVersion: 'v1', kind: 'Pod', metadata: { labels: { a: 'b' } } } })), []);
});

// --- ratcheting ------------------------------------------------------------------

test('ratcheting: unchanged invalid values pass on update, changed ones do not', () => {
  const s = spec({ size: { type: 'integer', maximum: 10 }, name: { type: 'string' } }, { required: ['name'] });
  const old = cr({ size: 20, name: 'a' });
  assert.deepEqual(validateCustomResource(s, cr({ size: 20, name: 'b' }), { old }), []);
  assert.deepEqual(msgs(validateCustomResource(s, cr({ size: 21, name: 'b' }), { old })), ['spec.size: Invalid value: 21: spec.size in body should be less than or equal to 10']);
  assert.deepEqual(msgs(validateCustomResource(s, cr({ size: 20, name: 'b' }))), ['spec.size: Invalid value: 20: spec.size in body should be less than or equal to 10']);
  // a required field missing in the old spec and still missing: the spec changed, so it is reported
  assert.deepEqual(msgs(validateCustomResource(s, cr({ size: 1 }), { old: cr({ size: 2 }) })), ['spec.name: Required value']);
  // ... but not when the spec itself is unchanged
  assert.deepEqual(validateCustomResource(s, { ...cr({ size: 1 }), other: 1 }, { old: cr({ size: 1 }) }), []);
});

test('ratcheting correlates map-list items by key', () => {
  const s = spec({
    ports: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer', maximum: 100 } } },
    },
  });
  const old = cr({ ports: [{ name: 'a', port: 500 }] });
  assert.deepEqual(validateCustomResource(s, cr({ ports: [{ name: 'b', port: 1 }, { name: 'a', port: 500 }] }), { old }), []);
  assert.equal(validateCustomResource(s, cr({ ports: [{ name: 'a', port: 501 }] }), { old }).length, 1);
});

// --- status subresource ------------------------------------------------------------

test('status updates validate status against the status schema, named relative to it', () => {
  const s = root({ spec: { type: 'object' }, status: { type: 'object', properties: { replicas: { type: 'integer' } } } });
  const errs = validateCustomResourceStatus(s, { ...cr({}), status: { replicas: 'x' } });
  assert.deepEqual(msgs(errs), ['status.replicas: Invalid value: "string": replicas in body must be of type integer: "string"']);
  assert.deepEqual(validateCustomResourceStatus(s, cr({})), []);
});

test('validateAgainstSchema at a nested path', () => {
  const errs = validateAgainstSchema({ type: 'integer' }, 'x', { path: 'spec.x.default' });
  assert.deepEqual(msgs(errs), ['spec.x.default: Invalid value: "string":  in body must be of type integer: "string"']);
});

// --- pruning -----------------------------------------------------------------------

test('pruning drops unknown fields, keeps apiVersion/kind/metadata and reports paths', () => {
  const s = spec({ replicas: { type: 'integer' }, items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } } });
  const obj: any = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', foo: 'x' }, spec: { replicas: 1, extra: true, items: [{ name: 'a', junk: 1 }] }, other: {} };
  const unknown = pruneUnknown(s, obj);
  assert.deepEqual(unknown, ['metadata.foo', 'other', 'spec.extra', 'spec.items[0].junk']);
  assert.deepEqual(obj, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { replicas: 1, items: [{ name: 'a' }] } });
});

test('x-kubernetes-preserve-unknown-fields keeps unknown fields, but prunes inside known properties', () => {
  const s = root({
    spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { typed: { type: 'object', properties: { a: { type: 'string' } } } } },
    status: { type: 'object' },
  });
  const obj: any = { apiVersion: 'a/v1', kind: 'K', metadata: {}, spec: { anything: { deep: 1 }, typed: { a: 'x', b: 'y' } }, status: { dropped: 1 } };
  assert.deepEqual(pruneUnknown(s, obj), ['spec.typed.b', 'status.dropped']);
  assert.deepEqual(obj.spec, { anything: { deep: 1 }, typed: { a: 'x' } });
  assert.deepEqual(obj.status, {});
});

test('pruning keeps metadata of embedded resources but normalises it', () => {
  const s = spec({ template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } } });
  const obj: any = cr({ template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', bogus: 1 }, spec: {}, status: {} } });
  assert.deepEqual(pruneUnknown(s, obj), ['spec.template.status', 'spec.template.metadata.bogus']);
  assert.deepEqual(obj.spec.template, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: {} });
});

test('pruning removes non-nullable nulls without defaults', () => {
  const s = spec({ a: { type: 'string' }, b: { type: 'string', nullable: true }, c: { type: 'string', default: 'x' } });
  const obj: any = cr({ a: null, b: null, c: null });
  pruneUnknown(s, obj);
  assert.deepEqual(obj.spec, { b: null, c: null });
  applyDefaults(s, obj);
  assert.deepEqual(obj.spec, { b: null, c: 'x' });
});

test('preserveUnknownFields on the CRD skips schema pruning', () => {
  const obj: any = cr({ anything: 1 });
  assert.deepEqual(pruneUnknown(spec({}), obj, { preserveUnknownFields: true }), []);
  assert.deepEqual(obj.spec, { anything: 1 });
});

// --- defaulting ----------------------------------------------------------------------

test('defaults fill missing fields, nested ones included', () => {
  const s = root({
    spec: {
      type: 'object',
      default: {},
      properties: {
        replicas: { type: 'integer', default: 1 },
        strategy: { type: 'object', default: { type: 'Rolling' }, properties: { type: { type: 'string' }, maxSurge: { type: 'integer', default: 25 } } },
        ports: { type: 'array', items: { type: 'object', properties: { protocol: { type: 'string', default: 'TCP' } } } },
        labels: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'string', default: 'x' } } } },
      },
    },
  });
  const obj: any = { apiVersion: 'a/v1', kind: 'K', metadata: { name: 'n' } };
  applyDefaults(s, obj);
  assert.deepEqual(obj.spec, { replicas: 1, strategy: { type: 'Rolling', maxSurge: 25 } });
  const obj2: any = { spec: { replicas: 3, ports: [{}, { protocol: 'UDP' }], labels: { a: {} } } };
  applyDefaults(s, obj2);
  assert.deepEqual(obj2.spec, { replicas: 3, strategy: { type: 'Rolling', maxSurge: 25 }, ports: [{ protocol: 'TCP' }, { protocol: 'UDP' }], labels: { a: { v: 'x' } } });
});

test('defaults are deep copies', () => {
  const s = root({ spec: { type: 'object', properties: { list: { type: 'array', items: { type: 'string' }, default: ['a'] } } } });
  const a: any = { spec: {} };
  const b: any = { spec: {} };
  applyDefaults(s, a);
  applyDefaults(s, b);
  a.spec.list.push('b');
  assert.deepEqual(b.spec.list, ['a']);
});
