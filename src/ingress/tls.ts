// Server certificates by SNI name: the `kubernetes.io/tls` Secret an Ingress
// names for the host (exact, then one-label wildcard), else a self-signed
// fallback made at start (as ingress-nginx's "Fake Certificate"). Secure
// contexts are cached per Secret resourceVersion, so a changed Secret is
// served from the next handshake on.

import tls from 'node:tls';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { generateCA, issueServingCertificate, type CertKeyPair } from '../apiserver/pki/index.js';
import type { RouteTable } from './routes.js';

export const FALLBACK_CN = 'kts Ingress Controller Fake Certificate';

/** A self-signed-chain serving certificate for hosts no Secret covers. */
export async function fallbackCertificate(): Promise<CertKeyPair> {
  const ca = await generateCA(`${FALLBACK_CN} CA`);
  return issueServingCertificate(ca, { commonName: FALLBACK_CN, sans: ['ingress.local'] });
}

/** The PEM pair of a TLS Secret, or why it is unusable. */
export function secretKeyPair(secret: Secret): CertKeyPair | { error: string } {
  const data = secret.data ?? {};
  const cert = data['tls.crt'];
  const key = data['tls.key'];
  if (!cert || !key) return { error: 'missing tls.crt or tls.key' };
  const certPem = Buffer.from(cert, 'base64').toString('utf8');
  const keyPem = Buffer.from(key, 'base64').toString('utf8');
  try {
    if (!new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))) return { error: 'tls.key does not match tls.crt' };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
  return { certPem, keyPem };
}

export class CertificateStore {
  private readonly fallback: tls.SecureContext;
  private readonly contexts = new Map<string, { rv: string; ctx: tls.SecureContext | undefined }>();

  constructor(
    fallback: CertKeyPair,
    private readonly routes: () => RouteTable,
    private readonly secret: (namespace: string, name: string) => Secret | undefined,
    private readonly onError?: (what: string, err: unknown) => void,
  ) {
    this.fallback = tls.createSecureContext({ cert: fallback.certPem, key: fallback.keyPem });
  }

  /** The context to serve for an SNI name (undefined or unknown: the fallback). */
  contextFor(serverName: string | undefined): tls.SecureContext {
    if (!serverName) return this.fallback;
    const ref = this.routes().tlsFor(serverName);
    if (!ref) return this.fallback;
    const key = `${ref.namespace}/${ref.secretName}`;
    const s = this.secret(ref.namespace, ref.secretName);
    if (!s) return this.fallback;
    const rv = s.metadata?.resourceVersion ?? '';
    let entry = this.contexts.get(key);
    if (!entry || entry.rv !== rv) {
      let ctx: tls.SecureContext | undefined;
      const pair = secretKeyPair(s);
      if ('error' in pair) this.onError?.(`TLS secret ${key}`, new Error(pair.error));
      else {
        try {
          ctx = tls.createSecureContext({ cert: pair.certPem, key: pair.keyPem });
        } catch (e) {
          this.onError?.(`TLS secret ${key}`, e);
        }
      }
      this.contexts.set(key, (entry = { rv, ctx }));
    }
    return entry.ctx ?? this.fallback;
  }

  /** Drops cached contexts of Secrets no longer named. */
  prune(keep: Set<string>): void {
    for (const k of this.contexts.keys()) if (!keep.has(k)) this.contexts.delete(k);
  }

  sniCallback = (serverName: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void): void => {
    cb(null, this.contextFor(serverName));
  };
}
