import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { storeConformance } from './conformance.js';
import { SqliteStore } from './sqlite.js';
import { openStore } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-sqlite-test-'));
let n = 0;
const freshPath = () => join(dir, `store-${++n}.db`);

after(() => rmSync(dir, { recursive: true, force: true }));

storeConformance('sqlite', async () => SqliteStore.open(freshPath()));

describe('sqlite store specifics', () => {
  test('reopening keeps data, revision and compaction state', async () => {
    const path = freshPath();
    let s = SqliteStore.open(path);
    assert.equal(await s.currentRevision(), 1);
    await s.close();
    s = SqliteStore.open(path);
    assert.equal(await s.currentRevision(), 1, 'an empty store stays at 1 across reopen');
    await s.create('/a', 'a1'); // 2
    await s.create('/b', 'b1'); // 3
    await s.update('/a', 'a2', 2); // 4
    await s.delete('/b'); // 5
    await s.compact(5);
    await s.close();

    s = SqliteStore.open(path);
    assert.equal(await s.currentRevision(), 5);
    assert.equal(await s.compactedRevision(), 5);
    assert.deepEqual({ ...(await s.get('/a'))! }, { key: '/a', value: 'a2', createRevision: 2, modRevision: 4 });
    assert.equal(await s.get('/b'), undefined);
    await assert.rejects(s.get('/a', { revision: 4 }), { code: 'TooOld' });
    // The revision keeps counting even though the newest row was compacted away.
    const c = await s.create('/c', 'c');
    assert.equal(c.modRevision, 6);
    await s.delete('/c');
    await s.compact(7);
    await s.close();

    s = SqliteStore.open(path);
    assert.equal(await s.currentRevision(), 7);
    assert.equal((await s.create('/d', 'd')).modRevision, 8);
    assert.equal(await s.integrityCheck(), 'ok');
    await s.close();
  });

  test('a second store on the same file is refused while the first is open', async () => {
    const path = freshPath();
    const s = SqliteStore.open(path);
    await s.create('/a', 'a');
    assert.throws(() => SqliteStore.open(path, { busyTimeoutMs: 0 }), /locked|busy/i);
    await s.close();
    const again = SqliteStore.open(path, { busyTimeoutMs: 0 });
    assert.equal((await again.get('/a'))!.value, 'a');
    await again.close();
  });

  test('synchronous=FULL works', async () => {
    const s = SqliteStore.open(freshPath(), { synchronous: 'FULL' });
    await s.create('/a', 'a');
    assert.equal((await s.get('/a'))!.value, 'a');
    await s.close();
  });

  test('openStore creates the data directory and state.db', async () => {
    const dataDir = join(dir, 'nested', 'data');
    const s = await openStore('sqlite', dataDir);
    await s.create('/x', 'y');
    await s.close();
    assert.ok(existsSync(join(dataDir, 'state.db')));
    const m = await openStore('memory');
    assert.equal(await m.currentRevision(), 1);
    await m.close();
  });

  test('compaction of 100k rows is fast and keeps the current state', async () => {
    const s = SqliteStore.open(freshPath());
    const value = 'x'.repeat(100);
    for (let i = 0; i < 20000; i++) await s.create(`/big/${i}`, value);
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 20000; i++) {
        const key = `/big/${i}`;
        if (round === 3 && i % 2 === 0) await s.delete(key);
        else await s.update(key, `${round}`, round === 0 ? i + 2 : (await s.get(key))!.modRevision);
      }
    }
    const rev = await s.currentRevision();
    assert.equal(rev, 1 + 100000);
    const before = await s.list('/big/');
    const t0 = performance.now();
    await s.compact(rev);
    const ms = performance.now() - t0;
    assert.ok(ms < 5000, `compaction took ${ms.toFixed(0)} ms`);
    const afterList = await s.list('/big/');
    assert.deepEqual(afterList, before);
    assert.equal(afterList.items.length, 10000);
    await s.close();
  });

  describe('crash safety', () => {
    let child: ChildProcess | undefined;
    let crashDir = '';
    before(() => {
      crashDir = mkdtempSync(join(tmpdir(), 'kts-sqlite-crash-'));
    });
    after(() => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(crashDir, { recursive: true, force: true });
    });

    test('every acknowledged write survives SIGKILL', async (t) => {
      const dbPath = join(crashDir, 'state.db');
      const moduleUrl = new URL('./sqlite.js', import.meta.url).href;
      const script = join(crashDir, 'writer.mjs');
      writeFileSync(
        script,
        `import { SqliteStore } from ${JSON.stringify(moduleUrl)};
const store = SqliteStore.open(process.argv[2]);
const pad = 'p'.repeat(2000);
for (let i = 0; i < 1000000; i++) {
  const key = '/crash/' + String(i).padStart(7, '0');
  await store.create(key, JSON.stringify({ i, pad }));
  process.stdout.write(key + '\\n');
}
`,
      );
      const acked: string[] = [];
      const proc = spawn(process.execPath, [script, dbPath], { stdio: ['ignore', 'pipe', 'inherit'] });
      child = proc;
      const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
      let buf = '';
      await new Promise<void>((resolve, reject) => {
        proc.on('error', reject);
        proc.on('exit', () => resolve());
        proc.stdout!.on('data', (chunk: Buffer) => {
          buf += chunk.toString('utf8');
          const lines = buf.split('\n');
          buf = lines.pop()!;
          acked.push(...lines);
          if (acked.length >= 300 && proc.exitCode === null && !proc.killed) {
            proc.kill('SIGKILL');
            resolve();
          }
        });
      });
      assert.equal(await exited, 'SIGKILL', 'the writer was killed, not finished');
      assert.ok(acked.length >= 300);

      const raw = new Database(dbPath);
      assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
      raw.close();

      const s = SqliteStore.open(dbPath);
      try {
        for (const key of acked) {
          const kv = await s.get(key);
          assert.ok(kv, `acknowledged key ${key} is missing`);
          const i = Number(key.slice('/crash/'.length));
          assert.equal(JSON.parse(kv.value).i, i);
          assert.equal(kv.modRevision, i + 2);
        }
        const all = await s.list('/crash/');
        assert.ok(all.items.length >= acked.length);
        t.diagnostic(`${acked.length} writes acknowledged before SIGKILL, ${all.items.length} found after reopening`);
        assert.equal(await s.currentRevision(), 1 + all.items.length);
        const next = await s.create('/after-crash', 'ok');
        assert.equal(next.modRevision, 2 + all.items.length);
        assert.equal(await s.integrityCheck(), 'ok');
      } finally {
        await s.close();
      }
    });
  });
});
