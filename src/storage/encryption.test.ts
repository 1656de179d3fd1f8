import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AESGCM_PREFIX, AesGcmTransformer, encryptedKeyName, resourcePrefix, type EncryptionKey } from './encryption.js';
import { EncryptingStore, encryptionStatus, reencrypt } from './encrypting-store.js';
import { ensureEncryptionKeys, encryptionKeysPath, readEncryptionKeys, rotateEncryptionKeys } from './encryption-keys.js';
import { MemoryStore } from './memory.js';
import { storeConformance } from './conformance.js';
import type { StoreEvent } from './types.js';

const key = (name: string): EncryptionKey => ({ name, secret: randomBytes(32) });
const SECRET = '/registry/core/secrets/default/s1';

describe('aesgcm transformer', () => {
  const k1 = key('key1');
  const t = new AesGcmTransformer([k1]);

  test('round trip, with the upstream prefix and a fresh nonce per write', () => {
    const a = t.encrypt(SECRET, '{"data":{"x":"aHVudGVyMg=="}}');
    const b = t.encrypt(SECRET, '{"data":{"x":"aHVudGVyMg=="}}');
    assert.ok(a.startsWith(`${AESGCM_PREFIX}key1:`));
    assert.equal(encryptedKeyName(a), 'key1');
    assert.notEqual(a, b);
    assert.ok(!a.includes('aHVudGVyMg'));
    assert.equal(t.decrypt(SECRET, a), '{"data":{"x":"aHVudGVyMg=="}}');
    assert.equal(t.decrypt(SECRET, b), '{"data":{"x":"aHVudGVyMg=="}}');
  });

  test('a wrong key (same name, other secret) fails', () => {
    const other = new AesGcmTransformer([{ name: 'key1', secret: randomBytes(32) }]);
    assert.throws(() => other.decrypt(SECRET, t.encrypt(SECRET, 'v')), /failed to decrypt with key "key1"/);
    assert.throws(() => new AesGcmTransformer([key('key9')]).decrypt(SECRET, t.encrypt(SECRET, 'v')), /unknown key "key1"/);
  });

  test('the storage key is authenticated: a value copied to another key fails', () => {
    const v = t.encrypt(SECRET, 'v');
    assert.throws(() => t.decrypt('/registry/core/secrets/default/s2', v), /failed to decrypt/);
  });

  test('tampering fails', () => {
    const v = t.encrypt(SECRET, 'value');
    const body = Buffer.from(v.slice(`${AESGCM_PREFIX}key1:`.length), 'base64');
    body[14] ^= 1;
    assert.throws(() => t.decrypt(SECRET, `${AESGCM_PREFIX}key1:${body.toString('base64')}`), /failed to decrypt/);
    assert.throws(() => t.decrypt(SECRET, `${AESGCM_PREFIX}key1:AAAA`), /too short/);
  });

  test('plaintext passes through', () => {
    assert.equal(t.decrypt(SECRET, '{"kind":"Secret"}'), '{"kind":"Secret"}');
    assert.equal(encryptedKeyName('{"kind":"Secret"}'), undefined);
    assert.ok(t.isStale('{"kind":"Secret"}'));
  });

  test('multiple keys: the first writes, all read', () => {
    const k2 = key('key2');
    const rotated = new AesGcmTransformer([k2, k1]);
    const old = t.encrypt(SECRET, 'old');
    assert.equal(rotated.decrypt(SECRET, old), 'old');
    assert.ok(rotated.isStale(old));
    const fresh = rotated.encrypt(SECRET, 'new');
    assert.equal(encryptedKeyName(fresh), 'key2');
    assert.ok(!rotated.isStale(fresh));
    assert.throws(() => t.decrypt(SECRET, fresh), /unknown key "key2"/);
  });

  test('invalid keys are refused', () => {
    assert.throws(() => new AesGcmTransformer([]), /at least one key/);
    assert.throws(() => new AesGcmTransformer([{ name: 'k', secret: randomBytes(16) }]), /32 bytes/);
    assert.throws(() => new AesGcmTransformer([key('a:b')]), /invalid key name/);
    assert.throws(() => new AesGcmTransformer([key('a'), key('a')]), /duplicate/);
  });

  test('resource names map to key prefixes', () => {
    assert.equal(resourcePrefix('secrets'), '/registry/core/secrets/');
    assert.equal(resourcePrefix('configmaps'), '/registry/core/configmaps/');
    assert.equal(resourcePrefix('deployments.apps'), '/registry/apps/deployments/');
    assert.throws(() => resourcePrefix('Secrets/x'), /invalid resource/);
  });
});

// Every value encrypted: the wrapper must behave exactly like a store.
storeConformance('encrypting(memory)', async () => new EncryptingStore(new MemoryStore(), new AesGcmTransformer([key('key1')]), ['/']));

describe('encrypting store', () => {
  test('only the chosen prefixes are encrypted below; reads, writes, watches and conflicts see plaintext', async () => {
    const inner = new MemoryStore();
    const s = new EncryptingStore(inner, new AesGcmTransformer([key('key1')]), ['/registry/core/secrets/']);
    const events: StoreEvent[] = [];
    const unwatch = await s.watch('/registry/', 1, (e) => events.push(e));
    const c = await s.create(SECRET, 'secret-v1');
    assert.equal(c.value, 'secret-v1');
    await s.create('/registry/core/configmaps/default/c', 'cm-v1');
    assert.equal(encryptedKeyName((await inner.get(SECRET))!.value), 'key1');
    assert.equal((await inner.get('/registry/core/configmaps/default/c'))!.value, 'cm-v1');
    assert.equal((await s.get(SECRET))!.value, 'secret-v1');
    await s.update(SECRET, 'secret-v2', c.modRevision);
    await assert.rejects(s.update(SECRET, 'x', c.modRevision), (e: any) => e.code === 'Conflict' && e.current.value === 'secret-v2');
    assert.deepEqual((await s.list('/registry/')).items.map((kv) => kv.value), ['cm-v1', 'secret-v2']);
    assert.equal((await s.get(SECRET, { revision: c.modRevision }))!.value, 'secret-v1');
    assert.equal((await s.delete(SECRET)).value, 'secret-v2');
    unwatch();
    assert.deepEqual(
      events.map((e) => [e.type, e.kv.value, e.prev?.value]),
      [
        ['create', 'secret-v1', undefined],
        ['create', 'cm-v1', undefined],
        ['update', 'secret-v2', 'secret-v1'],
        ['delete', 'secret-v2', 'secret-v2'],
      ],
    );
  });

  test('reencrypt rewrites plaintext and old-key values with the write key; status counts them', async () => {
    const inner = new MemoryStore();
    const k1 = key('key1');
    await inner.create('/registry/core/secrets/a/plain', 'p'); // written before encryption
    const old = new EncryptingStore(inner, new AesGcmTransformer([k1]), ['/registry/core/secrets/']);
    await old.create('/registry/core/secrets/a/old', 'o');
    await old.create('/registry/core/configmaps/a/cm', 'c');
    const s = new EncryptingStore(inner, new AesGcmTransformer([key('key2'), k1]), ['/registry/core/secrets/']);
    let st = await encryptionStatus(s);
    assert.deepEqual([...st.byKey], [['key2', 0], ['key1', 1]]);
    assert.equal(st.plaintext, 1);
    assert.deepEqual(await reencrypt(s), { rewritten: 2, current: 0 });
    st = await encryptionStatus(s);
    assert.deepEqual([...st.byKey], [['key2', 2], ['key1', 0]]);
    assert.equal(st.plaintext, 0);
    assert.deepEqual(await reencrypt(s), { rewritten: 0, current: 2 });
    assert.equal((await s.get('/registry/core/secrets/a/plain'))!.value, 'p');
    assert.equal((await s.get('/registry/core/secrets/a/old'))!.value, 'o');
    assert.equal((await inner.get('/registry/core/configmaps/a/cm'))!.value, 'c');
  });
});

describe('encryption keys file', () => {
  test('generated once with mode 0600, rotation puts a new key first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-enc-test-'));
    try {
      assert.equal(readEncryptionKeys(dir), undefined);
      const [k1] = ensureEncryptionKeys(dir);
      assert.equal(k1!.name, 'key1');
      assert.equal(statSync(encryptionKeysPath(dir)).mode & 0o777, 0o600);
      assert.deepEqual(ensureEncryptionKeys(dir), [k1]);
      const rotated = rotateEncryptionKeys(dir);
      assert.deepEqual(rotated.map((k) => k.name), ['key2', 'key1']);
      assert.deepEqual(readEncryptionKeys(dir), rotated);
      assert.equal(statSync(encryptionKeysPath(dir)).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
