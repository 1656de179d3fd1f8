// Storage entry point: pick a backend by name.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStore } from './memory.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite.js';
import type { Store } from './types.js';
import { AesGcmTransformer, resourcePrefix } from './encryption.js';
import { ensureEncryptionKeys } from './encryption-keys.js';
import { EncryptingStore } from './encrypting-store.js';

export * from './types.js';
export { MemoryStore } from './memory.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite.js';
export { EncryptingStore, reencrypt, encryptionStatus } from './encrypting-store.js';

export type StoreKind = 'memory' | 'sqlite';

/**
 * Opens a store. `sqlite` keeps its data in `<dataDir>/state.db` (the
 * directory is created if needed); `memory` ignores `dataDir`.
 */
export async function openStore(kind: StoreKind, dataDir?: string, opts?: SqliteStoreOptions): Promise<Store> {
  switch (kind) {
    case 'memory':
      return new MemoryStore();
    case 'sqlite': {
      if (!dataDir) throw new Error('openStore: the sqlite store needs a data directory');
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      return SqliteStore.open(join(dataDir, 'state.db'), opts);
    }
    default:
      throw new Error(`openStore: unknown store kind ${JSON.stringify(kind as string)}`);
  }
}

/**
 * Wraps a store so the values of `resources` (upstream names: `secrets`,
 * `deployments.apps`) are encrypted with the keys of
 * `<dataDir>/encryption/keys.json`, generated when missing. Values encrypted
 * earlier stay readable even when their resource is no longer listed.
 */
export function encryptStore(inner: Store, dataDir: string, resources: readonly string[]): EncryptingStore {
  const transformer = new AesGcmTransformer(ensureEncryptionKeys(dataDir));
  return new EncryptingStore(inner, transformer, resources.map(resourcePrefix));
}
