// The encryption keys file: `<dataDir>/encryption/keys.json` (mode 0600), a
// list of named 32-byte keys, first one used for writes, all for reads, as
// the `aesgcm.keys` of upstream's EncryptionConfiguration:
//   {"keys": [{"name": "key2", "secret": "<base64>"}, {"name": "key1", ...}]}
// Generated on the first start; `kts secrets-encrypt rotate` puts a new key first.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEY_BYTES, validKeyName, type EncryptionKey } from './encryption.js';

export function encryptionKeysPath(dataDir: string): string {
  return join(dataDir, 'encryption', 'keys.json');
}

/** The keys in the file, or undefined when there is no file. */
export function readEncryptionKeys(dataDir: string): EncryptionKey[] | undefined {
  const file = encryptionKeysPath(dataDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const doc = JSON.parse(text) as { keys?: { name?: unknown; secret?: unknown }[] };
  if (!Array.isArray(doc.keys) || doc.keys.length === 0) throw new Error(`${file}: no keys`);
  return doc.keys.map((k, i) => {
    if (typeof k.name !== 'string' || !validKeyName(k.name)) throw new Error(`${file}: keys[${i}]: invalid name`);
    const secret = Buffer.from(typeof k.secret === 'string' ? k.secret : '', 'base64');
    if (secret.length !== KEY_BYTES) throw new Error(`${file}: key ${k.name}: secret must be ${KEY_BYTES} bytes (base64)`);
    return { name: k.name, secret };
  });
}

export function writeEncryptionKeys(dataDir: string, keys: EncryptionKey[]): void {
  const file = encryptionKeysPath(dataDir);
  mkdirSync(join(dataDir, 'encryption'), { recursive: true, mode: 0o700 });
  const doc = { keys: keys.map((k) => ({ name: k.name, secret: k.secret.toString('base64') })) };
  // Written to a temporary name first: a crash never leaves half a file.
  writeFileSync(`${file}.tmp`, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

function newKey(existing: EncryptionKey[]): EncryptionKey {
  let n = existing.length + 1;
  const names = new Set(existing.map((k) => k.name));
  while (names.has(`key${n}`)) n++;
  return { name: `key${n}`, secret: randomBytes(KEY_BYTES) };
}

/** Loads the keys, generating the file with one key on the first start. */
export function ensureEncryptionKeys(dataDir: string): EncryptionKey[] {
  const keys = readEncryptionKeys(dataDir);
  if (keys) return keys;
  const fresh = [newKey([])];
  writeEncryptionKeys(dataDir, fresh);
  return fresh;
}

/** Adds a new key first in the list (it encrypts from the next start on); returns the new list. */
export function rotateEncryptionKeys(dataDir: string): EncryptionKey[] {
  const keys = ensureEncryptionKeys(dataDir);
  const next = [newKey(keys), ...keys];
  writeEncryptionKeys(dataDir, next);
  return next;
}
