// `kts secrets-encrypt rotate|reencrypt|status`: the encryption-at-rest keys
// of a data dir (`<data-dir>/encryption/keys.json`). `rotate` only edits the
// keys file, so it may run next to a server: the new key is used from the
// server's next start, which re-encrypts every object still under an older key.
// `reencrypt` and `status` open the store itself, so the server must be
// stopped (the SQLite file is held with an exclusive lock).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDataDir } from '../cluster/config.js';
import { encryptionKeysPath, readEncryptionKeys, rotateEncryptionKeys } from '../storage/encryption-keys.js';
import { encryptionStatus, encryptStore, reencrypt, SqliteStore } from '../storage/index.js';
import { flagHelp, parseFlags, UsageError, type FlagSpec } from './flags.js';

const FLAGS: FlagSpec[] = [
  { name: 'data-dir', type: 'string', help: 'the server data directory', default: '/var/lib/kts as root, ~/.kts otherwise' },
  { name: 'encrypt-resources', type: 'list', help: 'reencrypt, status: the resources the server encrypts', default: 'secrets' },
];

export function secretsEncryptHelp(): string {
  return [
    'Usage: kts secrets-encrypt rotate | reencrypt | status [flags]',
    '',
    'Manage the keys that encrypt Secrets (--encrypt-resources) at rest.',
    '  rotate     add a new key first in the list; the server encrypts with it from its next start',
    '             and then rewrites every object still under an older key',
    '  reencrypt  rewrite every object of the encrypted resources with the first key (server stopped)',
    '  status     print the keys and how many stored objects use each (server stopped)',
    '',
    `Flags:\n${flagHelp(FLAGS)}\n  -h, --help`,
  ].join('\n');
}

async function openStopped(dataDir: string): Promise<SqliteStore> {
  const db = join(dataDir, 'state.db');
  if (!existsSync(db)) throw new UsageError(`no store in ${dataDir}`);
  try {
    return SqliteStore.open(db, { busyTimeoutMs: 1000 });
  } catch (e) {
    if (/busy|locked/i.test((e as Error).message)) throw new UsageError(`${db} is in use: stop the server first`);
    throw e;
  }
}

export async function runSecretsEncrypt(args: string[]): Promise<number> {
  const { values, positional } = parseFlags(args, FLAGS);
  const [sub, ...rest] = positional;
  if (!sub) throw new UsageError(`missing subcommand; ${secretsEncryptHelp()}`);
  if (rest.length) throw new UsageError(`unexpected argument: ${rest[0]}`);
  const dataDir = (values['data-dir'] as string | undefined) ?? defaultDataDir();
  const resources = (values['encrypt-resources'] as string[] | undefined) ?? ['secrets'];
  switch (sub) {
    case 'rotate': {
      const keys = rotateEncryptionKeys(dataDir);
      console.log(`added key ${keys[0]!.name} (keys: ${keys.map((k) => k.name).join(', ')}) in ${encryptionKeysPath(dataDir)}`);
      console.log('restart the server to encrypt with it; it re-encrypts existing objects at start');
      return 0;
    }
    case 'reencrypt':
    case 'status': {
      if (!readEncryptionKeys(dataDir)) throw new UsageError(`no encryption keys in ${dataDir}`);
      const inner = await openStopped(dataDir);
      try {
        const store = encryptStore(inner, dataDir, resources);
        if (sub === 'reencrypt') {
          const r = await reencrypt(store);
          console.log(`re-encrypted ${r.rewritten} objects with key ${store.transformer.writeKeyName} (${r.current} already current)`);
          return 0;
        }
        const st = await encryptionStatus(store);
        console.log(`encrypted resources: ${resources.join(', ') || 'none'}`);
        console.log('KEY'.padEnd(18) + 'OBJECTS');
        store.transformer.keys.forEach((k, i) => console.log(`${k.name}${i === 0 ? ' (write)' : ''}`.padEnd(18) + String(st.byKey.get(k.name) ?? 0)));
        for (const [name, n] of st.byKey) if (!store.transformer.keys.some((k) => k.name === name)) console.log(`${name} (unknown)`.padEnd(18) + String(n));
        console.log('plaintext'.padEnd(18) + String(st.plaintext));
        return 0;
      } finally {
        await inner.close();
      }
    }
    default:
      throw new UsageError(`unknown subcommand "${sub}"; ${secretsEncryptHelp()}`);
  }
}
