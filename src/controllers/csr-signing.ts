// The CSR signing controller (upstream pkg/controller/certificates/signer):
// approved, not yet issued, not failed CertificateSigningRequests for
// kubernetes.io/kube-apiserver-client, kube-apiserver-client-kubelet and
// kubelet-serving are signed with the cluster CA. A request its signer
// refuses (subject, SANs, usages) gets a Failed condition with reason
// SignerValidationFailure instead. The duration is spec.expirationSeconds,
// capped by the configured maximum (upstream's --cluster-signing-duration,
// one year), and never outlives the CA.

import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1.js';
import type { ApiClient } from '../client/types.js';
import { isNotFound } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { QueueController, type ControllerOptions } from './base.js';
import { parsedRequestOf } from '../api/validation/certificates.js';
import { SIGNED_BY_KTS, signerProblem, x509Usages } from '../api/certificates/signers.js';
import { signCertificateRequest, type CertKeyPair } from '../apiserver/pki/index.js';

export const CSR_PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
/** Upstream's default --cluster-signing-duration. */
export const DEFAULT_SIGNING_DURATION_MS = 365 * 24 * 3600 * 1000;

export function hasCondition(csr: CertificateSigningRequest, type: string): boolean {
  return (csr.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

export interface CSRSigningOptions extends ControllerOptions {
  /** The longest certificate issued (default one year). */
  maxDurationMs?: number;
}

export class CSRSigningController extends QueueController {
  private readonly csrs: Informer<CertificateSigningRequest>;

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    private readonly ca: CertKeyPair,
    private readonly signingOpts: CSRSigningOptions = {},
  ) {
    super('csrsigning', signingOpts);
    this.csrs = factory.informerFor<CertificateSigningRequest>(CSR_PATH);
    this.registrations.push(
      this.csrs.addEventHandler({
        onAdd: (c) => this.enqueue(c.metadata!.name!),
        onUpdate: (_o, c) => this.enqueue(c.metadata!.name!),
      }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.csrs];
  }

  protected async sync(name: string): Promise<void> {
    const csr = this.csrs.getByName('', name);
    if (!csr || !hasCondition(csr, 'Approved') || hasCondition(csr, 'Denied') || hasCondition(csr, 'Failed') || csr.status?.certificate) return;
    const signerName = csr.spec?.signerName ?? '';
    if (!SIGNED_BY_KTS.includes(signerName)) return;
    const req = parsedRequestOf(csr);
    if (!req) return;
    const usages = (csr.spec.usages ?? []) as string[];
    const next = structuredClone(csr);
    const problem = signerProblem(signerName, req, usages);
    if (problem) {
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      next.status = { ...(next.status ?? {}), conditions: [...(next.status?.conditions ?? []), { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: problem, lastUpdateTime: now, lastTransitionTime: now }] };
    } else {
      const max = this.signingOpts.maxDurationMs ?? DEFAULT_SIGNING_DURATION_MS;
      const asked = typeof csr.spec.expirationSeconds === 'number' ? csr.spec.expirationSeconds * 1000 : max;
      const pem = await signCertificateRequest(this.ca, req, { ...x509Usages(usages), durationMs: Math.min(asked, max) });
      next.status = { ...(next.status ?? {}), certificate: Buffer.from(pem).toString('base64') };
    }
    try {
      await this.client.update(`${CSR_PATH}/${encodeURIComponent(name)}/status`, next);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
