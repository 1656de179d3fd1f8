import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogBackend } from './log-backend.js';

test('events are buffered, then written as JSON lines by flush', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-audit-'));
  try {
    const path = join(dir, 'audit.log');
    const b = new LogBackend({ path, flushIntervalMs: 60_000 });
    b.write({ n: 1 });
    b.write({ n: 2 });
    assert.equal(readdirSync(dir).length, 0);
    await b.flush();
    b.write({ n: 3 });
    await b.close();
    assert.deepEqual(readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l).n), [1, 2, 3]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rotation at maxsize keeps maxbackup rotated files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-audit-'));
  try {
    const path = join(dir, 'audit.log');
    // 100 bytes: every flush of a 60-byte event after the first rotates.
    const b = new LogBackend({ path, maxSizeMB: 100 / (1024 * 1024), maxBackups: 2, flushIntervalMs: 60_000 });
    for (let i = 0; i < 5; i++) {
      b.write({ n: i, pad: 'x'.repeat(40) });
      await b.flush();
      await new Promise((r) => setTimeout(r, 2)); // distinct backup timestamps
    }
    await b.close();
    const files = readdirSync(dir).sort();
    assert.equal(files.length, 3, files.join(' '));
    assert.ok(files.includes('audit.log'));
    for (const f of files.filter((f) => f !== 'audit.log')) assert.match(f, /^audit-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.log$/);
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).n, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
