// Join tokens and trust on first contact. A join token is
// `K10<sha256 of the CA certificate>::<id>.<secret>` (k3s's form; the part
// after `::` is a bootstrap token). The agent has no CA yet, so it opens a
// TLS connection without verification, finds the certificate with that hash
// in the chain the server presents (kts servers send their CA along), checks
// that the CA signed the server's certificate, and from then on trusts only
// that CA. The bootstrap token is sent only over a connection verified that
// way.

import { connect } from 'node:tls';
import { X509Certificate, createHash } from 'node:crypto';
import type { PeerCertificate, DetailedPeerCertificate } from 'node:tls';
import { BOOTSTRAP_TOKEN_RE } from '../auth/tokens.js';
import { toPem } from '../apiserver/pki/index.js';

export interface JoinToken {
  /** SHA-256 hex of the cluster CA certificate's DER bytes. */
  caHash: string;
  /** The bootstrap token `<id>.<secret>`. */
  bootstrapToken: string;
}

export class JoinError extends Error {}

export function formatJoinToken(caHash: string, bootstrapToken: string): string {
  return `K10${caHash}::${bootstrapToken}`;
}

export function parseJoinToken(s: string): JoinToken {
  const m = /^K10([0-9a-f]{64})::(.+)$/.exec(s.trim());
  if (!m) throw new JoinError('invalid join token: want K10<CA hash>::<id>.<secret>, as printed by `kts token create` on the server');
  if (!BOOTSTRAP_TOKEN_RE.test(m[2]!)) throw new JoinError('invalid join token: the part after "::" is not a bootstrap token <6 chars>.<16 chars> (a-z, 0-9)');
  return { caHash: m[1]!, bootstrapToken: m[2]! };
}

function chainOf(cert: DetailedPeerCertificate): Buffer[] {
  const out: Buffer[] = [];
  let c: DetailedPeerCertificate | undefined = cert;
  while (c && c.raw && !out.some((r) => r.equals(c!.raw))) {
    out.push(c.raw);
    c = c.issuerCertificate;
  }
  return out;
}

/**
 * The server's CA certificate (PEM) once it matches `caHash` and has signed
 * the certificate the server presents; a JoinError otherwise.
 */
export function fetchTrustedCA(server: string, caHash: string, timeoutMs = 10_000): Promise<string> {
  const u = new URL(server);
  if (u.protocol !== 'https:') return Promise.reject(new JoinError(`--server must be an https URL, got ${server}`));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 443);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], servername: /^[\d.]+$|:/.test(host) ? undefined : host });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new JoinError(`no TLS answer from ${server} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(new JoinError(`cannot reach ${server}: ${e.message}`));
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const peer = socket.getPeerCertificate(true) as DetailedPeerCertificate | PeerCertificate;
      socket.end();
      const chain = peer && 'raw' in peer && peer.raw ? chainOf(peer as DetailedPeerCertificate) : [];
      if (!chain.length) return reject(new JoinError(`${server} presented no certificate`));
      const caDer = chain.find((der) => createHash('sha256').update(der).digest('hex') === caHash);
      if (!caDer) return reject(new JoinError(`the server's CA does not match the hash in the join token (is ${server} the cluster that issued it?)`));
      const ca = new X509Certificate(caDer);
      const leaf = new X509Certificate(chain[0]!);
      if (!ca.ca) return reject(new JoinError('the certificate matching the join token is not a CA'));
      if (!leaf.raw.equals(ca.raw) && !leaf.verify(ca.publicKey)) return reject(new JoinError(`${server}'s serving certificate is not signed by the cluster CA`));
      resolve(toPem('CERTIFICATE', caDer));
    });
  });
}
