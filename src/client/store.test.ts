import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Indexer, clone, deepFreeze, deletionHandlingKey, isTombstone, metaNamespaceKey, objectOf, splitMetaNamespaceKey } from './store.js';

const pod = (ns: string, name: string, node = '', rv = '1') => ({ metadata: { namespace: ns, name, resourceVersion: rv }, spec: { nodeName: node } });

test('keys are namespace/name, or name for cluster-scoped objects', () => {
  assert.equal(metaNamespaceKey(pod('a', 'p')), 'a/p');
  assert.equal(metaNamespaceKey({ metadata: { name: 'node1' } }), 'node1');
  assert.throws(() => metaNamespaceKey({}));
  assert.deepEqual(splitMetaNamespaceKey('a/p'), { namespace: 'a', name: 'p' });
  assert.deepEqual(splitMetaNamespaceKey('node1'), { namespace: '', name: 'node1' });
  assert.throws(() => splitMetaNamespaceKey('a/b/c'));
  const t = { deletedFinalStateUnknown: true as const, key: 'a/p', obj: pod('a', 'p') };
  assert.equal(isTombstone(t), true);
  assert.equal(isTombstone(pod('a', 'p')), false);
  assert.equal(deletionHandlingKey(t), 'a/p');
  assert.equal(deletionHandlingKey(pod('b', 'q')), 'b/q');
  assert.equal(objectOf(t).metadata.name, 'p');
});

test('indexer: the namespace index and custom indexes follow adds, updates and deletes', () => {
  const ix = new Indexer<any>({ byNode: (p) => (p.spec.nodeName ? [p.spec.nodeName] : []) });
  ix.set(pod('a', 'p1', 'n1'));
  ix.set(pod('a', 'p2', 'n2'));
  ix.set(pod('b', 'p3', 'n1'));
  ix.set({ metadata: { name: 'cluster-thing' }, spec: {} });
  assert.equal(ix.size, 4);
  assert.deepEqual(ix.byIndex('namespace', 'a').map(metaNamespaceKey).sort(), ['a/p1', 'a/p2']);
  assert.deepEqual(ix.byIndex('namespace', '').map(metaNamespaceKey), ['cluster-thing']);
  assert.deepEqual(ix.byIndex('byNode', 'n1').map(metaNamespaceKey).sort(), ['a/p1', 'b/p3']);

  const old = ix.set(pod('a', 'p1', 'n2', '2')); // moved to n2
  assert.equal(old!.spec.nodeName, 'n1');
  assert.deepEqual(ix.indexKeys('byNode', 'n1'), ['b/p3']);
  assert.deepEqual(ix.indexKeys('byNode', 'n2').sort(), ['a/p1', 'a/p2']);

  assert.equal(ix.deleteKey('b/p3')!.metadata.name, 'p3');
  assert.equal(ix.deleteKey('b/p3'), undefined);
  assert.deepEqual(ix.byIndex('byNode', 'n1'), []);
  assert.deepEqual(ix.listIndexValues('byNode').sort(), ['n2']);
  assert.throws(() => ix.byIndex('nope', 'x'), /does not exist/);

  // Indexers added later index what is already there.
  ix.addIndexers({ byName: (p) => [p.metadata.name] });
  assert.equal(ix.byIndex('byName', 'p2').length, 1);
  assert.throws(() => ix.addIndexers({ byName: (p) => [p.metadata.uid] }), /already exists/);
  assert.equal(ix.get('a/p2')!.metadata.name, 'p2');
  assert.equal(ix.getByObject(pod('a', 'p2'))!.metadata.name, 'p2');
  ix.clear();
  assert.equal(ix.size, 0);
  assert.deepEqual(ix.byIndex('namespace', 'a'), []);
});

test('clone gives a mutable copy; deepFreeze makes mutation throw', () => {
  const o = deepFreeze(pod('a', 'p', 'n1'));
  assert.throws(() => {
    (o as any).spec.nodeName = 'x';
  }, TypeError);
  const c = clone(o);
  c.spec.nodeName = 'x';
  assert.equal(o.spec.nodeName, 'n1');
});
