import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storeConformance } from './conformance.js';
import { MemoryStore } from './memory.js';
import { SortedKeySet } from './sorted-keys.js';
import { compareKeys, prefixEnd } from './keys.js';

storeConformance('memory', async () => new MemoryStore());

test('compareKeys orders by code point', () => {
  const keys = ['b', 'a', '', 'ab', '\uffff', '\u{10000}', '\ue000', '\u{10ffff}', 'a\u{1f600}', 'a\uff01'];
  const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  assert.deepEqual([...keys].sort(compareKeys), byBytes);
});

test('prefixEnd bounds exactly the keys under a prefix', () => {
  assert.equal(prefixEnd(''), undefined);
  assert.equal(prefixEnd('/a/'), '/a0');
  assert.equal(prefixEnd('a\u{10ffff}'), 'b');
  assert.equal(prefixEnd('\u{10ffff}'), undefined);
  assert.equal(prefixEnd('a\ud7ff'), 'a\ue000');
  assert.equal(prefixEnd('a\uffff'), 'a\u{10000}');
});

test('SortedKeySet keeps order through inserts and deletes', () => {
  const set = new SortedKeySet();
  const ref = new Set<string>();
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 20000; i++) {
    const k = `/k/${rand(5000)}`;
    if (rand(3) === 0) assert.equal(set.delete(k), ref.delete(k));
    else {
      assert.equal(set.add(k), !ref.has(k));
      ref.add(k);
    }
  }
  const sorted = [...ref].sort(compareKeys);
  assert.equal(set.size, sorted.length);
  const scanned: string[] = [];
  set.scan('', (k) => (scanned.push(k), true));
  assert.deepEqual(scanned, sorted);
  for (const probe of ['/k/1', '/k/2500', '/k/9', '/l', '']) {
    assert.equal(set.rank(probe), sorted.filter((k) => compareKeys(k, probe) < 0).length);
    assert.equal(set.has(probe), ref.has(probe));
  }
});

test('compaction frees memory of dead keys', async () => {
  const s = new MemoryStore();
  for (let i = 0; i < 1000; i++) await s.create(`/d/${i}`, 'x');
  for (let i = 0; i < 1000; i++) await s.delete(`/d/${i}`);
  await s.compact(await s.currentRevision());
  const internals = s as unknown as { records: Map<string, unknown>; log: unknown[] };
  assert.ok(internals.records.size <= 1, "only the deletion at the compacted revision may remain");
  assert.equal(internals.log.length, 1);
  await s.close();
});
