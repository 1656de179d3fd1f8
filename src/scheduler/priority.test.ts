import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findGlobalDefault, podPriority } from './priority.js';
import { makePod } from './test-helpers.js';

const classes = [
  { metadata: { name: 'high' }, value: 1000 },
  { metadata: { name: 'default-low' }, value: 10, globalDefault: true },
];
const lookup = {
  byName: (n: string) => classes.find((c) => c.metadata.name === n),
  globalDefault: () => findGlobalDefault(classes),
};

test('priority: spec.priority, else the named class, else the global default, else 0', () => {
  assert.equal(podPriority(makePod('a', { priority: 5, priorityClassName: 'high' }), lookup), 5);
  assert.equal(podPriority(makePod('b', { priorityClassName: 'high' }), lookup), 1000);
  assert.equal(podPriority(makePod('c'), lookup), 10);
  assert.equal(podPriority(makePod('d', { priorityClassName: 'system-node-critical' }), lookup), 2000001000);
  assert.equal(podPriority(makePod('e', { priorityClassName: 'unknown' }), lookup), 0);
  assert.equal(podPriority(makePod('f'), { byName: () => undefined, globalDefault: () => undefined }), 0);
});
