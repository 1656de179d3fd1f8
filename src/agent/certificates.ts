// The kubelet's certificates from the cluster's certificates API, as
// upstream's kubelet TLS bootstrap: a new key, a CertificateSigningRequest
// for it (certificates.k8s.io/v1), then wait until a signer has put the
// certificate in its status. The client certificate's CSR is approved by
// the controller manager for bootstrap tokens and for a node renewing its
// own; `kubectl certificate approve` works for anything else.

import { X509Certificate } from 'node:crypto';
import type { ApiClient } from '../client/types.js';
import { generateCertificateRequest } from '../apiserver/pki/index.js';

const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBE_APISERVER_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';
export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';

export interface CertificateRequest {
  signerName: string;
  commonName: string;
  organizations: string[];
  /** DNS names and IPs (serving certificates). */
  sans?: string[];
  usages: string[];
  /** Requested lifetime (the signer may shorten it; at least 600 s). */
  expirationSeconds?: number;
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  /** The CertificateSigningRequest's name. */
  csrName: string;
}

export class CertificateRequestError extends Error {}

/** Creates the CSR and waits for its certificate; a Denied or Failed condition, or the timeout, is an error. */
export async function requestCertificate(client: ApiClient, req: CertificateRequest, opts: { timeoutMs?: number; onWaiting?: (csrName: string) => void; signal?: AbortSignal } = {}): Promise<IssuedCertificate> {
  const { csrPem, keyPem } = await generateCertificateRequest({ commonName: req.commonName, organizations: req.organizations, sans: req.sans });
  const created = await client.create(CSRS, {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { generateName: 'csr-' },
    spec: {
      request: Buffer.from(csrPem).toString('base64'),
      signerName: req.signerName,
      usages: req.usages,
      ...(req.expirationSeconds ? { expirationSeconds: req.expirationSeconds } : {}),
    },
  });
  const name: string = created.metadata.name;
  const deadline = Date.now() + (opts.timeoutMs ?? 15 * 60_000);
  let announced = false;
  for (;;) {
    const csr = await client.get(`${CSRS}/${name}`);
    const conds: any[] = csr.status?.conditions ?? [];
    const bad = conds.find((c) => (c.type === 'Denied' || c.type === 'Failed') && c.status !== 'False');
    if (bad) throw new CertificateRequestError(`certificate signing request ${name} was ${bad.type.toLowerCase()}${bad.message ? `: ${bad.message}` : ''}`);
    if (csr.status?.certificate) {
      const certPem = Buffer.from(csr.status.certificate, 'base64').toString('utf8');
      return { certPem, keyPem, csrName: name };
    }
    if (!announced && conds.length === 0) {
      announced = true;
      opts.onWaiting?.(name);
    }
    if (Date.now() > deadline || opts.signal?.aborted) throw new CertificateRequestError(`certificate signing request ${name} was not issued in time (approve it with: kubectl certificate approve ${name})`);
    await new Promise((r) => setTimeout(r, announced ? 1000 : 250));
  }
}

/** When to renew: at 80% of the certificate's life (upstream picks 70-90%). */
export function renewalTime(certPem: string): number {
  const c = new X509Certificate(certPem);
  const from = Date.parse(c.validFrom);
  const to = Date.parse(c.validTo);
  return from + 0.8 * (to - from);
}

/** True while the certificate is valid for at least another minute. */
export function stillValid(certPem: string, now = Date.now()): boolean {
  try {
    return Date.parse(new X509Certificate(certPem).validTo) - now > 60_000;
  } catch {
    return false;
  }
}
