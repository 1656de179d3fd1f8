// Encryption at rest with the real kubectl: Secrets never reach the SQLite
// file (state.db, state.db-wal) in plaintext, ConfigMaps do; key rotation,
// re-encryption at start and with `kts secrets-encrypt reencrypt`, status,
// and a data dir written before encryption.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIN, run, startKts } from './harness.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const freshDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'kts-enc-'));
  dirs.push(d);
  return d;
};

const SECRET_VALUE = 'S3cr3t-Zebra-4711-encrypted';
const SECRET_B64 = Buffer.from(SECRET_VALUE).toString('base64');
const CM_VALUE = 'Plain-Giraffe-9042-visible';

const ktsCli = (args: string[]) => run(process.execPath, [MAIN, ...args], { timeoutMs: 20_000 });

/** The raw bytes of the store (main file and WAL) as a latin1 string. */
function rawStore(dataDir: string): string {
  return ['state.db', 'state.db-wal']
    .map((f) => join(dataDir, f))
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString('latin1'))
    .join('');
}

async function status(dataDir: string): Promise<Record<string, number>> {
  const r = await ktsCli(['secrets-encrypt', 'status', '--data-dir', dataDir]);
  assert.equal(r.code, 0, r.stderr);
  const out: Record<string, number> = {};
  for (const line of r.stdout.split('\n').slice(2)) {
    const m = /^(\S+)(?: \((?:write|unknown)\))?\s+(\d+)$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

async function readSecret(k: (a: string[]) => Promise<string>): Promise<string> {
  return Buffer.from(await k(['get', 'secret', 's1', '-o', 'jsonpath={.data.password}']), 'base64').toString('utf8');
}

test('secrets are encrypted in the SQLite file, configmaps are not; rotation and re-encryption keep them readable', async () => {
  const dataDir = freshDir();
  let kts = await startKts({ dataDir });
  let nSecrets: number;
  try {
    await kts.k(['create', 'secret', 'generic', 's1', `--from-literal=password=${SECRET_VALUE}`]);
    await kts.k(['create', 'configmap', 'c1', `--from-literal=note=${CM_VALUE}`]);
    assert.equal(await readSecret(kts.k), SECRET_VALUE);
    nSecrets = (await kts.k(['get', 'secrets', '-A', '-o', 'name'])).trim().split('\n').length;
    // The store is held exclusively by the running server.
    const busy = await ktsCli(['secrets-encrypt', 'status', '--data-dir', dataDir]);
    assert.equal(busy.code, 2);
    assert.match(busy.stderr, /state\.db is in use: stop the server first/);
  } finally {
    await kts.stop();
  }
  let raw = rawStore(dataDir);
  assert.ok(raw.includes(CM_VALUE), 'the configmap value is stored in plaintext');
  assert.ok(!raw.includes(SECRET_VALUE) && !raw.includes(SECRET_B64), 'the secret value is not stored in plaintext');
  assert.ok(raw.includes('k8s:enc:aesgcm:v1:key1:'));
  assert.deepEqual(await status(dataDir), { key1: nSecrets, plaintext: 0 });

  // Same data dir again: the value reads back.
  kts = await startKts({ dataDir });
  try {
    assert.equal(await readSecret(kts.k), SECRET_VALUE);
    // Rotation while running only edits the keys file.
    const rot = await ktsCli(['secrets-encrypt', 'rotate', '--data-dir', dataDir]);
    assert.equal(rot.code, 0, rot.stderr);
    assert.match(rot.stdout, /^added key key2 \(keys: key2, key1\)/);
  } finally {
    await kts.stop();
  }
  assert.deepEqual(await status(dataDir), { key2: 0, key1: nSecrets, plaintext: 0 });

  // The restart encrypts with key2 and rewrites everything under key1.
  kts = await startKts({ dataDir });
  try {
    assert.equal(await readSecret(kts.k), SECRET_VALUE);
  } finally {
    await kts.stop();
  }
  assert.deepEqual(await status(dataDir), { key2: nSecrets, key1: 0, plaintext: 0 });

  // Rotation and re-encryption with the server stopped.
  assert.equal((await ktsCli(['secrets-encrypt', 'rotate', '--data-dir', dataDir])).code, 0);
  const re = await ktsCli(['secrets-encrypt', 'reencrypt', '--data-dir', dataDir]);
  assert.equal(re.code, 0, re.stderr);
  assert.equal(re.stdout, `re-encrypted ${nSecrets} objects with key key3 (0 already current)\n`);
  assert.deepEqual(await status(dataDir), { key3: nSecrets, key2: 0, key1: 0, plaintext: 0 });
  raw = rawStore(dataDir);
  assert.ok(!raw.includes(SECRET_VALUE) && !raw.includes(SECRET_B64));
  kts = await startKts({ dataDir });
  try {
    assert.equal(await readSecret(kts.k), SECRET_VALUE);
  } finally {
    await kts.stop();
  }
});

test('a data dir written without encryption still reads after enabling it, and gets encrypted', async () => {
  const dataDir = freshDir();
  let kts = await startKts({ dataDir, extraArgs: ['--encrypt-resources='] });
  try {
    await kts.k(['create', 'secret', 'generic', 's1', `--from-literal=password=${SECRET_VALUE}`]);
  } finally {
    await kts.stop();
  }
  assert.ok(rawStore(dataDir).includes(SECRET_B64), 'written in plaintext');
  const before = await status(dataDir);
  assert.equal(before.key1, 0);
  assert.ok(before.plaintext! >= 1);

  kts = await startKts({ dataDir });
  try {
    assert.equal(await readSecret(kts.k), SECRET_VALUE);
  } finally {
    await kts.stop();
  }
  assert.deepEqual(await status(dataDir), { key1: before.plaintext, plaintext: 0 });
});
