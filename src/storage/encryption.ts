// Encryption at rest with upstream's `aesgcm` provider semantics: a value is
// stored as `k8s:enc:aesgcm:v1:<key name>:` followed by the base64 of
// nonce (12 random bytes) + ciphertext + GCM tag (16 bytes). The storage key is
// the additional authenticated data, so a value copied under another key fails
// to decrypt. Upstream stores the binary after the prefix; kts values are text,
// hence base64. Values without the prefix are plaintext (written before
// encryption was enabled) and are returned as they are.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const AESGCM_PREFIX = 'k8s:enc:aesgcm:v1:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/** A named AES-256 key, as an entry of upstream's `aesgcm.keys`. */
export interface EncryptionKey {
  name: string;
  secret: Buffer;
}

const KEY_NAME_RE = /^[A-Za-z0-9_.-]+$/;

export function validKeyName(name: string): boolean {
  return KEY_NAME_RE.test(name);
}

/** The name of the key a stored value was encrypted with, or undefined for plaintext. */
export function encryptedKeyName(stored: string): string | undefined {
  if (!stored.startsWith(AESGCM_PREFIX)) return undefined;
  const end = stored.indexOf(':', AESGCM_PREFIX.length);
  return end < 0 ? undefined : stored.slice(AESGCM_PREFIX.length, end);
}

/**
 * Encrypts and decrypts values with an ordered list of keys: the first one
 * writes, every one reads (upstream's provider key order).
 */
export class AesGcmTransformer {
  private readonly byName: Map<string, Buffer>;

  constructor(readonly keys: readonly EncryptionKey[]) {
    if (keys.length === 0) throw new Error('encryption: at least one key is needed');
    this.byName = new Map();
    for (const k of keys) {
      if (!validKeyName(k.name)) throw new Error(`encryption: invalid key name ${JSON.stringify(k.name)}`);
      if (k.secret.length !== KEY_BYTES) throw new Error(`encryption: key ${k.name} must be ${KEY_BYTES} bytes, not ${k.secret.length}`);
      if (this.byName.has(k.name)) throw new Error(`encryption: duplicate key name ${k.name}`);
      this.byName.set(k.name, k.secret);
    }
  }

  get writeKeyName(): string {
    return this.keys[0]!.name;
  }

  /** `value` encrypted with the write key, bound to `storageKey`. */
  encrypt(storageKey: string, value: string): string {
    const key = this.keys[0]!;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.secret, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(storageKey, 'utf8'));
    const body = Buffer.concat([nonce, cipher.update(value, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${AESGCM_PREFIX}${key.name}:${body.toString('base64')}`;
  }

  /** The plaintext of a stored value; plaintext values pass through. Throws when the key is unknown or the value was tampered with. */
  decrypt(storageKey: string, stored: string): string {
    const name = encryptedKeyName(stored);
    if (name === undefined) return stored;
    const secret = this.byName.get(name);
    if (!secret) throw new Error(`encryption: value of ${storageKey} was encrypted with unknown key ${JSON.stringify(name)}`);
    const body = Buffer.from(stored.slice(AESGCM_PREFIX.length + name.length + 1), 'base64');
    if (body.length < NONCE_BYTES + TAG_BYTES) throw new Error(`encryption: value of ${storageKey} is too short`);
    const decipher = createDecipheriv('aes-256-gcm', secret, body.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(storageKey, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(`encryption: value of ${storageKey} failed to decrypt with key ${JSON.stringify(name)}`);
    }
  }

  /** True when `stored` is not already encrypted with the write key. */
  isStale(stored: string): boolean {
    return encryptedKeyName(stored) !== this.writeKeyName;
  }
}

/**
 * The store key prefix of a resource named as upstream's EncryptionConfiguration
 * does: `secrets` (core) or `<resource>.<group>` (`deployments.apps`).
 */
export function resourcePrefix(resource: string): string {
  const dot = resource.indexOf('.');
  const name = dot < 0 ? resource : resource.slice(0, dot);
  const group = dot < 0 ? 'core' : resource.slice(dot + 1);
  if (!/^[a-z0-9-]+$/.test(name) || !/^[a-z0-9.-]+$/.test(group)) throw new Error(`encryption: invalid resource ${JSON.stringify(resource)}`);
  return `/registry/${group}/${name}/`;
}
