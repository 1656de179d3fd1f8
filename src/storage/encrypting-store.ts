// A Store that encrypts the values of chosen key prefixes (the resources of
// `--encrypt-resources`) on their way into an inner store and decrypts them on
// every way out: get, list, the results of writes and deletes, watch events and
// the current state carried by a Conflict. Everything above it (REST storage,
// watch caches) sees plaintext; everything below it (SQLite pages and WAL)
// sees ciphertext.

import { StoreError, type KeyValue, type ListOptions, type ListResult, type Store, type StoreEvent, type Unwatch } from './types.js';
import { encryptedKeyName, type AesGcmTransformer } from './encryption.js';

export class EncryptingStore implements Store {
  constructor(
    readonly inner: Store,
    readonly transformer: AesGcmTransformer,
    /** Key prefixes whose values are encrypted, e.g. `/registry/core/secrets/`. */
    readonly prefixes: readonly string[],
  ) {}

  encrypts(key: string): boolean {
    return this.prefixes.some((p) => key.startsWith(p));
  }

  private out(kv: KeyValue): KeyValue;
  private out(kv: KeyValue | undefined): KeyValue | undefined;
  private out(kv: KeyValue | undefined): KeyValue | undefined {
    // Any encrypted value is decrypted, even outside the prefixes, so a
    // resource taken off the list still reads.
    if (!kv || encryptedKeyName(kv.value) === undefined) return kv;
    return Object.freeze({ ...kv, value: this.transformer.decrypt(kv.key, kv.value) });
  }

  private in(key: string, value: string): string {
    return this.encrypts(key) ? this.transformer.encrypt(key, value) : value;
  }

  private rethrow(e: unknown): never {
    if (e instanceof StoreError && e.current) throw new StoreError(e.code, e.message, this.out(e.current));
    throw e;
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }

  compactedRevision(): Promise<number> {
    return this.inner.compactedRevision();
  }

  async get(key: string, opts?: { revision?: number }): Promise<KeyValue | undefined> {
    return this.out(await this.inner.get(key, opts));
  }

  async list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    const r = await this.inner.list(prefix, opts);
    return { ...r, items: r.items.map((kv) => this.out(kv)) };
  }

  async create(key: string, value: string): Promise<KeyValue> {
    const kv = await this.inner.create(key, this.in(key, value)).catch((e) => this.rethrow(e));
    return Object.freeze({ ...kv, value });
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    const kv = await this.inner.update(key, this.in(key, value), expectedModRevision).catch((e) => this.rethrow(e));
    return Object.freeze({ ...kv, value });
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    return this.out(await this.inner.delete(key, expectedModRevision).catch((e) => this.rethrow(e)));
  }

  watch(prefix: string, afterRevision: number, onEvent: (event: StoreEvent) => void): Promise<Unwatch> {
    return this.inner.watch(prefix, afterRevision, (ev) => {
      const out: StoreEvent = { type: ev.type, kv: this.out(ev.kv) };
      if (ev.prev) out.prev = this.out(ev.prev);
      onEvent(out);
    });
  }

  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface ReencryptResult {
  /** Objects rewritten with the write key. */
  rewritten: number;
  /** Objects already encrypted with the write key. */
  current: number;
}

/**
 * Rewrites every object under the encrypted prefixes that is plaintext or
 * encrypted with an older key, with the write key. Each rewrite is a guarded
 * update (a new revision with the same content), so it is safe next to other
 * writers: a conflicting object is read again.
 */
export async function reencrypt(store: EncryptingStore): Promise<ReencryptResult> {
  const res: ReencryptResult = { rewritten: 0, current: 0 };
  for (const prefix of store.prefixes) {
    let startKey: string | undefined;
    for (;;) {
      const page = await store.inner.list(prefix, { limit: 500, startKey });
      for (let kv of page.items) {
        for (;;) {
          if (!store.transformer.isStale(kv.value)) {
            res.current++;
            break;
          }
          try {
            const plain = store.transformer.decrypt(kv.key, kv.value);
            await store.inner.update(kv.key, store.transformer.encrypt(kv.key, plain), kv.modRevision);
            res.rewritten++;
            break;
          } catch (e) {
            if (!(e instanceof StoreError)) throw e;
            if (e.code === 'NotFound') break;
            if (e.code !== 'Conflict' || !e.current) throw e;
            kv = e.current;
          }
        }
      }
      if (!page.more || page.items.length === 0) break;
      startKey = page.items[page.items.length - 1]!.key + '\u0000';
    }
  }
  return res;
}

export interface EncryptionStatus {
  /** Current objects per key name (every stored object, not only the encrypted prefixes). */
  byKey: Map<string, number>;
  /** Current objects under the encrypted prefixes stored in plaintext. */
  plaintext: number;
}

export async function encryptionStatus(store: EncryptingStore): Promise<EncryptionStatus> {
  const status: EncryptionStatus = { byKey: new Map(store.transformer.keys.map((k) => [k.name, 0])), plaintext: 0 };
  let startKey: string | undefined;
  for (;;) {
    const page = await store.inner.list('/registry/', { limit: 1000, startKey });
    for (const kv of page.items) {
      const name = encryptedKeyName(kv.value);
      if (name !== undefined) status.byKey.set(name, (status.byKey.get(name) ?? 0) + 1);
      else if (store.encrypts(kv.key)) status.plaintext++;
    }
    if (!page.more || page.items.length === 0) break;
    startKey = page.items[page.items.length - 1]!.key + '\u0000';
  }
  return status;
}
