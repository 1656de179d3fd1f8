import test from 'node:test';
import assert from 'node:assert/strict';
import { WarningRecorder, warningHeaderValue, warningHeaderValues } from './warnings.js';

test('header value: code 299, agent "-", only quote and backslash escaped', () => {
  assert.equal(warningHeaderValue('unknown field "spec.foo"'), '299 - "unknown field \\"spec.foo\\""');
  assert.equal(warningHeaderValue('a\\b'), '299 - "a\\\\b"');
  assert.equal(warningHeaderValue('line 5: key "x" already set in map'), '299 - "line 5: key \\"x\\" already set in map"');
  assert.equal(warningHeaderValue('ünïcode ✓'), '299 - "ünïcode ✓"');
});

test('texts with control characters or invalid UTF-16 are dropped', () => {
  assert.equal(warningHeaderValue('a\nb'), undefined);
  assert.equal(warningHeaderValue('a\u0085b'), undefined);
  assert.equal(warningHeaderValue('a\ud800b'), undefined);
  assert.deepEqual(warningHeaderValues(['ok', 'bad\tx', 'fine']), ['299 - "ok"', '299 - "fine"']);
});

test('repeated and empty texts are written once / not at all', () => {
  const r = new WarningRecorder();
  r.addAll(['unknown field "a"', '', 'unknown field "a"', 'duplicate field "b"']);
  assert.deepEqual(r.headerValues(), ['299 - "unknown field \\"a\\""', '299 - "duplicate field \\"b\\""']);
});

test('past 4096 characters every warning is cut to 256 and the total stays bounded', () => {
  const long = (c: string): string => c.repeat(1000);
  const texts = ['a', 'b', 'c', 'd', 'e'].map(long);
  const r = new WarningRecorder();
  r.addAll(texts.slice(0, 4));
  assert.deepEqual(r.headerValues(), texts.slice(0, 4).map((t) => `299 - "${t}"`));
  r.add(texts[4]!); // 5000 > 4096: replay truncated
  assert.deepEqual(
    r.headerValues(),
    texts.map((t) => `299 - "${t.slice(0, 256)}"`),
  );
  // keeps adding truncated warnings until the total passes the limit again
  for (let i = 0; i < 20; i++) r.add(`w${i}`.repeat(200));
  const values = r.headerValues();
  const total = values.reduce((n, v) => n + v.length - '299 - ""'.length, 0);
  assert.ok(total <= 4096 + 256, String(total));
  assert.ok(values.every((v) => v.length <= 256 + '299 - ""'.length));
});
