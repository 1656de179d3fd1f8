// Compact JWS (JWT) signing and verification with node:crypto: ES256 for EC
// P-256 keys, RS256 for RSA keys, as upstream's ServiceAccount token
// generator (go-jose) emits them. Signature checks only; claim checks
// (exp, nbf, aud, iss) belong to the caller.

import { createHash, createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';

export type JwtAlgorithm = 'ES256' | 'RS256';

export interface JwtHeader {
  alg: string;
  kid?: string;
  typ?: string;
}

export function base64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

export function algorithmFor(key: KeyObject): JwtAlgorithm {
  if (key.asymmetricKeyType === 'ec') {
    if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error(`jwt: unsupported EC curve ${key.asymmetricKeyDetails?.namedCurve}`);
    return 'ES256';
  }
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  throw new Error(`jwt: unsupported key type ${key.asymmetricKeyType}`);
}

/** Upstream's key id: the unpadded base64url SHA-256 of the public key's DER (PKIX) form. */
export function keyId(publicKey: KeyObject): string {
  let kid = keyIds.get(publicKey);
  if (!kid) {
    const der = publicKey.export({ type: 'spki', format: 'der' });
    kid = createHash('sha256').update(der).digest('base64url');
    keyIds.set(publicKey, kid);
  }
  return kid;
}

const keyIds = new WeakMap<KeyObject, string>();

/** Signs `claims` with `privateKey`; the header names the algorithm and the key id. */
export function signJwt(claims: object, privateKey: KeyObject): string {
  const alg = algorithmFor(privateKey);
  const header: JwtHeader = { alg, kid: keyId(createPublicKey(privateKey)) };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  // ES256 signatures are the raw r||s pair (IEEE P1363), not DER.
  const sig = cryptoSign('sha256', Buffer.from(input), alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey);
  return `${input}.${base64url(sig)}`;
}

/** True when `token` has the three-part shape of a JWS. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/** The unverified claims of a JWT (to route it to the right verifier), or undefined when it does not parse. */
export function peekClaims(token: string): Record<string, any> | undefined {
  if (!looksLikeJwt(token)) return undefined;
  try {
    const c = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
    return c && typeof c === 'object' && !Array.isArray(c) ? c : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies the signature of `token` against any of `publicKeys` and returns
 * its claims, or undefined when the token is malformed or no key verifies it.
 */
export function verifyJwt(token: string, publicKeys: KeyObject[]): Record<string, any> | undefined {
  if (!looksLikeJwt(token)) return undefined;
  const [h, p, s] = token.split('.') as [string, string, string];
  let header: JwtHeader;
  let claims: any;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) return undefined;
  const input = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  for (const key of publicKeys) {
    let alg: JwtAlgorithm;
    try {
      alg = algorithmFor(key);
    } catch {
      continue;
    }
    // The header's algorithm must be the key's: no "none", no algorithm confusion.
    if (header.alg !== alg) continue;
    if (header.kid && header.kid !== keyId(key)) continue;
    const ok = cryptoVerify('sha256', input, alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, sig);
    if (ok) return claims;
  }
  return undefined;
}
