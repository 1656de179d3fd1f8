import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, PatchError, MAX_JSON_PATCH_OPERATIONS } from './index.js';

interface Case {
  name: string;
  doc: unknown;
  ops: unknown;
  want?: unknown;
  code?: number;
  message?: RegExp;
}

// The examples of RFC 6902, Appendix A (A.13, a duplicated JSON member, is a
// JSON parsing matter and is not expressible here).
const rfc6902: Case[] = [
  { name: 'A.1 adding an object member', doc: { foo: 'bar' }, ops: [{ op: 'add', path: '/baz', value: 'qux' }], want: { baz: 'qux', foo: 'bar' } },
  { name: 'A.2 adding an array element', doc: { foo: ['bar', 'baz'] }, ops: [{ op: 'add', path: '/foo/1', value: 'qux' }], want: { foo: ['bar', 'qux', 'baz'] } },
  { name: 'A.3 removing an object member', doc: { baz: 'qux', foo: 'bar' }, ops: [{ op: 'remove', path: '/baz' }], want: { foo: 'bar' } },
  { name: 'A.4 removing an array element', doc: { foo: ['bar', 'qux', 'baz'] }, ops: [{ op: 'remove', path: '/foo/1' }], want: { foo: ['bar', 'baz'] } },
  { name: 'A.5 replacing a value', doc: { baz: 'qux', foo: 'bar' }, ops: [{ op: 'replace', path: '/baz', value: 'boo' }], want: { baz: 'boo', foo: 'bar' } },
  {
    name: 'A.6 moving a value',
    doc: { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
    ops: [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
    want: { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  },
  {
    name: 'A.7 moving an array element',
    doc: { foo: ['all', 'grass', 'cows', 'eat'] },
    ops: [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
    want: { foo: ['all', 'cows', 'eat', 'grass'] },
  },
  {
    name: 'A.8 testing a value: success',
    doc: { baz: 'qux', foo: ['a', 2, 'c'] },
    ops: [
      { op: 'test', path: '/baz', value: 'qux' },
      { op: 'test', path: '/foo/1', value: 2 },
    ],
    want: { baz: 'qux', foo: ['a', 2, 'c'] },
  },
  { name: 'A.9 testing a value: error', doc: { baz: 'qux' }, ops: [{ op: 'test', path: '/baz', value: 'bar' }], code: 422, message: /testing value \/baz failed/ },
  {
    name: 'A.10 adding a nested member object',
    doc: { foo: 'bar' },
    ops: [{ op: 'add', path: '/child', value: { grandchild: {} } }],
    want: { foo: 'bar', child: { grandchild: {} } },
  },
  {
    name: 'A.11 ignoring unrecognized elements',
    doc: { foo: 'bar' },
    ops: [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }],
    want: { foo: 'bar', baz: 'qux' },
  },
  { name: 'A.12 adding to a nonexistent target', doc: { foo: 'bar' }, ops: [{ op: 'add', path: '/baz/bat', value: 'qux' }], code: 422, message: /\/baz\/bat/ },
  { name: 'A.14 ~ escape ordering', doc: { '/': 9, '~1': 10 }, ops: [{ op: 'test', path: '/~01', value: 10 }], want: { '/': 9, '~1': 10 } },
  { name: 'A.15 comparing strings and numbers', doc: { '/': 9, '~1': 10 }, ops: [{ op: 'test', path: '/~01', value: '10' }], code: 422, message: /testing value/ },
  { name: 'A.16 adding an array value', doc: { foo: ['bar'] }, ops: [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], want: { foo: ['bar', ['abc', 'def']] } },
];

const more: Case[] = [
  { name: 'copy', doc: { a: { b: [1] } }, ops: [{ op: 'copy', from: '/a', path: '/c' }], want: { a: { b: [1] }, c: { b: [1] } } },
  { name: 'replace the root', doc: { a: 1 }, ops: [{ op: 'replace', path: '', value: { b: 2 } }], want: { b: 2 } },
  { name: 'escaped slash in key', doc: { metadata: { labels: { 'app.kubernetes.io/name': 'x' } } }, ops: [{ op: 'replace', path: '/metadata/labels/app.kubernetes.io~1name', value: 'y' }], want: { metadata: { labels: { 'app.kubernetes.io/name': 'y' } } } },
  { name: 'empty patch', doc: { a: 1 }, ops: [], want: { a: 1 } },
  { name: 'operations apply in order', doc: { spec: { replicas: 1 } }, ops: [{ op: 'test', path: '/spec/replicas', value: 1 }, { op: 'replace', path: '/spec/replicas', value: 3 }, { op: 'test', path: '/spec/replicas', value: 3 }], want: { spec: { replicas: 3 } } },
  { name: 'negative index: -1 is the last element (upstream extension)', doc: { a: [1, 2, 3] }, ops: [{ op: 'remove', path: '/a/-1' }], want: { a: [1, 2] } },
  { name: 'negative index: add at -1 appends', doc: { a: [1, 2] }, ops: [{ op: 'add', path: '/a/-1', value: 3 }], want: { a: [1, 2, 3] } },
  { name: 'negative index inside a path', doc: { a: [{ b: 1 }, { b: 2 }] }, ops: [{ op: 'replace', path: '/a/-2/b', value: 9 }], want: { a: [{ b: 9 }, { b: 2 }] } },
  { name: 'negative index out of range', doc: { a: [1] }, ops: [{ op: 'remove', path: '/a/-2' }], code: 422, message: /out of bounds/ },
  { name: 'testing a missing member against null succeeds (as upstream)', doc: { a: 1 }, ops: [{ op: 'test', path: '/b', value: null }], want: { a: 1 } },
  { name: 'testing a member under a missing parent fails', doc: { a: 1 }, ops: [{ op: 'test', path: '/x/b', value: null }], code: 422 },
  { name: 'remove a missing member', doc: { a: 1 }, ops: [{ op: 'remove', path: '/b' }], code: 422, message: /remove operation 0 does not apply: path "\/b" does not exist/ },
  { name: 'replace a missing member', doc: { a: 1 }, ops: [{ op: 'replace', path: '/b', value: 1 }], code: 422, message: /replace operation 0 .*"\/b"/ },
  { name: 'remove past the end of an array', doc: { a: [1] }, ops: [{ op: 'remove', path: '/a/3' }], code: 422 },
  { name: 'add past the end of an array', doc: { a: [1] }, ops: [{ op: 'add', path: '/a/5', value: 2 }], code: 422, message: /out of bounds/ },
  { name: 'non-numeric array index', doc: { a: [1] }, ops: [{ op: 'replace', path: '/a/x', value: 2 }], code: 422 },
  { name: 'move from a missing path', doc: { a: 1 }, ops: [{ op: 'move', from: '/b', path: '/c' }], code: 422, message: /from path "\/b"/ },
  { name: 'move into its own child', doc: { a: { b: 1 } }, ops: [{ op: 'move', from: '/a', path: '/a/b/c' }], code: 422 },
  { name: 'path through a scalar', doc: { a: 1 }, ops: [{ op: 'add', path: '/a/b/c', value: 1 }], code: 422 },
  { name: 'a later failure discards earlier operations', doc: { a: 1 }, ops: [{ op: 'replace', path: '/a', value: 2 }, { op: 'test', path: '/a', value: 1 }], code: 422 },
  { name: 'unknown op', doc: {}, ops: [{ op: 'frobnicate', path: '/a' }], code: 422, message: /unexpected op "frobnicate"/ },
  { name: 'internal _get op is not accepted', doc: { a: 1 }, ops: [{ op: '_get', path: '/a' }], code: 422 },
  { name: 'missing op', doc: {}, ops: [{ path: '/a' }], code: 422, message: /missing "op"/ },
  { name: 'missing path', doc: {}, ops: [{ op: 'add', value: 1 }], code: 422, message: /missing "path"/ },
  { name: 'path without leading slash', doc: {}, ops: [{ op: 'add', path: 'a', value: 1 }], code: 422 },
  { name: 'missing value', doc: {}, ops: [{ op: 'add', path: '/a' }], code: 422, message: /missing "value"/ },
  { name: 'missing from', doc: {}, ops: [{ op: 'copy', path: '/a' }], code: 422, message: /missing "from"/ },
  { name: 'patch is not an array', doc: {}, ops: { op: 'add', path: '/a', value: 1 }, code: 400 },
  { name: 'operation is not an object', doc: {}, ops: ['add'], code: 400 },
  { name: 'prototype pollution is refused', doc: {}, ops: [{ op: 'add', path: '/__proto__/polluted', value: 1 }], code: 422 },
];

for (const c of [...rfc6902, ...more]) {
  test(`json patch: ${c.name}`, () => {
    const before = structuredClone(c.doc);
    const opsBefore = structuredClone(c.ops);
    if (c.code !== undefined) {
      assert.throws(
        () => applyJsonPatch(c.doc, c.ops),
        (e: unknown) => {
          assert.ok(e instanceof PatchError, `expected PatchError, got ${String(e)}`);
          assert.equal(e.code, c.code);
          if (c.message) assert.match(e.message, c.message);
          return true;
        },
      );
    } else {
      assert.deepEqual(applyJsonPatch(c.doc, c.ops), c.want);
    }
    assert.deepEqual(c.doc, before, 'document must not be mutated');
    assert.deepEqual(c.ops, opsBefore, 'operations must not be mutated');
  });
}

test('json patch: the result shares nothing with the inputs', () => {
  const doc = { a: { b: 1 } };
  const value = { x: [1] };
  const out = applyJsonPatch(doc, [{ op: 'add', path: '/c', value }]) as { a: { b: number }; c: { x: number[] } };
  out.a.b = 2;
  out.c.x.push(2);
  assert.deepEqual(doc, { a: { b: 1 } });
  assert.deepEqual(value, { x: [1] });
});

test('json patch: too many operations is 413', () => {
  const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '', value: {} }));
  assert.throws(() => applyJsonPatch({}, ops), (e: unknown) => e instanceof PatchError && e.code === 413 && e.reason === 'RequestEntityTooLarge');
});

test('json patch: errors carry a Status reason', () => {
  assert.throws(() => applyJsonPatch({}, [{ op: 'remove', path: '/a' }]), (e: unknown) => e instanceof PatchError && e.reason === 'Invalid');
  assert.throws(() => applyJsonPatch({}, 'nope'), (e: unknown) => e instanceof PatchError && e.reason === 'BadRequest');
});
