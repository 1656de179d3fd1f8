import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMergePatch, applyMergePatchToObject, createMergePatch, PatchError } from './index.js';

// RFC 7396, Appendix A.
const rfc7396: Array<[unknown, unknown, unknown]> = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [['a', 'b'], ['c', 'd'], ['c', 'd']],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

rfc7396.forEach(([doc, patch, want], i) => {
  test(`merge patch: RFC 7396 A.${i + 1}`, () => {
    const before = structuredClone(doc);
    assert.deepEqual(applyMergePatch(doc, patch), want);
    assert.deepEqual(doc, before, 'document must not be mutated');
  });
});

test('merge patch: RFC 7386 section 3 example', () => {
  const doc = { title: 'Goodbye!', author: { givenName: 'John', familyName: 'Doe' }, tags: ['example', 'sample'], content: 'This will be unchanged' };
  const patch = { title: 'Hello!', phoneNumber: '+01-123-456-7890', author: { familyName: null }, tags: ['example'] };
  assert.deepEqual(applyMergePatch(doc, patch), {
    title: 'Hello!',
    author: { givenName: 'John' },
    tags: ['example'],
    content: 'This will be unchanged',
    phoneNumber: '+01-123-456-7890',
  });
});

test('merge patch: Kubernetes object (labels removed, lists replaced)', () => {
  const doc = {
    metadata: { name: 'web', labels: { app: 'web', tier: 'fe' } },
    spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } } },
  };
  const patch = { metadata: { labels: { tier: null, env: 'prod' } }, spec: { replicas: 3, template: { spec: { containers: [{ name: 'a', image: 'a:2' }] } } } };
  assert.deepEqual(applyMergePatch(doc, patch), {
    metadata: { name: 'web', labels: { app: 'web', env: 'prod' } },
    spec: { replicas: 3, template: { spec: { containers: [{ name: 'a', image: 'a:2' }] } } },
  });
});

test('merge patch: result does not alias the patch', () => {
  const patch = { a: { b: [1] } };
  const out = applyMergePatch({}, patch) as { a: { b: number[] } };
  out.a.b.push(2);
  assert.deepEqual(patch, { a: { b: [1] } });
});

test('merge patch: createMergePatch round-trips', () => {
  const a = { metadata: { labels: { x: '1', y: '2' } }, spec: { list: [1, 2], keep: true } };
  const b = { metadata: { labels: { x: '1', z: '3' } }, spec: { list: [2], keep: true }, status: {} };
  const p = createMergePatch(a, b);
  assert.deepEqual(p, { metadata: { labels: { y: null, z: '3' } }, spec: { list: [2] }, status: {} });
  assert.deepEqual(applyMergePatch(a, p), b);
});

test('merge patch: API objects need an object patch (400 otherwise, as upstream)', () => {
  assert.deepEqual(applyMergePatchToObject({ a: 1, b: 2 }, { b: null, c: 3 }), { a: 1, c: 3 });
  for (const bad of [null, [1], 'x', 3]) {
    assert.throws(() => applyMergePatchToObject({ a: 1 }, bad), (e: unknown) => e instanceof PatchError && e.code === 400 && e.message === 'Invalid JSON Patch');
  }
});

test('merge patch: a __proto__ member is ignored', () => {
  const out = applyMergePatch({ a: 1 }, JSON.parse('{"__proto__": {"polluted": true}, "b": {"__proto__": {"x": 1}}}')) as Record<string, unknown>;
  assert.deepEqual(out, { a: 1, b: {} });
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal((out as { polluted?: boolean }).polluted, undefined);
});
