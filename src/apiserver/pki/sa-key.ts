// The ServiceAccount token signing key: `<dataDir>/tls/sa.key` (PKCS#8) and
// `sa.pub` (PKIX), EC P-256, generated on the first start and reused, as
// kube-apiserver's --service-account-key-file / --service-account-signing-key-file.

import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

export const SA_KEY_FILE = 'sa.key';
export const SA_PUB_FILE = 'sa.pub';

export interface ServiceAccountKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

async function readOrNull(file: string): Promise<string | null> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (e: any) {
    if (e?.code === 'ENOENT') return null;
    throw e;
  }
}

/** Loads the signing key from `<dataDir>/tls/`, generating it when missing. */
export async function ensureServiceAccountKey(dataDir: string): Promise<ServiceAccountKey> {
  const dir = path.join(dataDir, 'tls');
  const keyFile = path.join(dir, SA_KEY_FILE);
  const pubFile = path.join(dir, SA_PUB_FILE);
  const keyPem = await readOrNull(keyFile);
  if (keyPem !== null) {
    const privateKey = createPrivateKey(keyPem);
    const publicKey = createPublicKey(privateKey);
    // sa.pub is derived; rewrite it if someone removed it.
    if ((await readOrNull(pubFile)) === null) await fsp.writeFile(pubFile, publicKey.export({ type: 'spki', format: 'pem' }) as string, { mode: 0o644 });
    return { privateKey, publicKey };
  }
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // Written to a temporary name first: a crash never leaves half a key.
  await fsp.writeFile(`${keyFile}.tmp`, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
  await fsp.rename(`${keyFile}.tmp`, keyFile);
  await fsp.writeFile(pubFile, publicKey.export({ type: 'spki', format: 'pem' }) as string, { mode: 0o644 });
  return { privateKey, publicKey };
}
