import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalQuantity, compareQuantity, formatQuantity, parseQuantity } from './quantity.js';

const canon = (s: unknown, milli = false) => canonicalQuantity(s, milli);

test('canonical forms match Quantity.String()', () => {
  assert.equal(canon('1024Mi'), '1Gi');
  assert.equal(canon('1536Mi'), '1536Mi');
  assert.equal(canon('0.5'), '500m');
  assert.equal(canon('1000m'), '1');
  assert.equal(canon('1500'), '1500');
  assert.equal(canon('1000'), '1k');
  assert.equal(canon('1e3'), '1e3');
  assert.equal(canon('100M'), '100M');
  assert.equal(canon('0.5Ki'), '512');
  assert.equal(canon('1.5Gi'), '1536Mi');
  assert.equal(canon('0'), '0');
  assert.equal(canon('-1'), '-1');
  assert.equal(canon(2), '2');
  assert.equal(canon('0.1'), '100m');
  assert.equal(canon('1n'), '1n');
  assert.equal(canon('0.0000000001'), '1n');
});

test('milli rounding as SetDefaults_ResourceList', () => {
  assert.equal(canon('0.0001', true), '1m');
  assert.equal(canon('1.0001', true), '1001m');
  assert.equal(canon('250m', true), '250m');
});

test('invalid quantities do not parse', () => {
  for (const s of ['', 'abc', '1.2.3', '5 Gi', '1Gb', '--1']) assert.equal(parseQuantity(s), undefined, s);
  assert.equal(canon('abc'), 'abc');
});

test('comparison is exact across formats', () => {
  const q = (s: string) => parseQuantity(s)!;
  assert.equal(compareQuantity(q('1Gi'), q('1024Mi')), 0);
  assert.equal(compareQuantity(q('1'), q('999m')), 1);
  assert.equal(compareQuantity(q('1G'), q('1Gi')), -1);
  assert.equal(formatQuantity(q('2k')), '2k');
});
