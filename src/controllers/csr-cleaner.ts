// The CSR cleaner (upstream pkg/controller/certificates/cleaner): removes
// CertificateSigningRequests nobody needs any more, once an hour: issued
// ones an hour after approval or once their certificate expired, denied and
// failed ones after an hour, pending ones after a day.

import { X509Certificate } from 'node:crypto';
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1.js';
import type { ApiClient } from '../client/types.js';
import { isNotFound } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { CSR_PATH } from './csr-signing.js';
import { errorMessage } from './util.js';

const HOUR = 3600 * 1000;
const APPROVED_EXPIRATION = HOUR;
const DENIED_EXPIRATION = HOUR;
const PENDING_EXPIRATION = 24 * HOUR;
const POLL_INTERVAL = HOUR;

function conditionTime(csr: CertificateSigningRequest, type: string): number | undefined {
  const c = (csr.status?.conditions ?? []).find((x) => x.type === type && x.status === 'True');
  if (!c) return undefined;
  return Date.parse(c.lastUpdateTime ?? c.lastTransitionTime ?? csr.metadata?.creationTimestamp ?? '') || 0;
}

function certificateExpired(csr: CertificateSigningRequest, now: number): boolean {
  const pem = csr.status?.certificate;
  if (!pem) return false;
  try {
    return Date.parse(new X509Certificate(Buffer.from(pem, 'base64')).validTo) < now;
  } catch {
    return false;
  }
}

/** Why `csr` is due for removal at `now`, or undefined. */
export function cleanupReason(csr: CertificateSigningRequest, now: number): string | undefined {
  const older = (t: number | undefined, age: number) => t !== undefined && now - t > age;
  if (csr.status?.certificate && older(conditionTime(csr, 'Approved'), APPROVED_EXPIRATION)) return 'issued';
  if (certificateExpired(csr, now)) return 'expired';
  if (older(conditionTime(csr, 'Denied'), DENIED_EXPIRATION)) return 'denied';
  if (older(conditionTime(csr, 'Failed'), DENIED_EXPIRATION)) return 'failed';
  const pending = !conditionTime(csr, 'Approved') && !conditionTime(csr, 'Denied') && !conditionTime(csr, 'Failed');
  if (pending && older(Date.parse(csr.metadata?.creationTimestamp ?? '') || undefined, PENDING_EXPIRATION)) return 'pending';
  return undefined;
}

export class CSRCleaner {
  private readonly csrs: Informer<CertificateSigningRequest>;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    private readonly onError: (err: unknown) => void = (e) => console.error(`csrcleaner: ${errorMessage(e)}`),
  ) {
    this.csrs = factory.informerFor<CertificateSigningRequest>(CSR_PATH);
  }

  async run(): Promise<void> {
    if (!(await this.csrs.waitForSync()) || this.stopped) return;
    await this.cleanOnce();
    if (this.stopped) return;
    this.timer = setInterval(() => void this.cleanOnce(), POLL_INTERVAL);
    this.timer.unref();
  }

  async cleanOnce(now = Date.now()): Promise<void> {
    for (const csr of this.csrs.list()) {
      if (!cleanupReason(csr, now)) continue;
      try {
        await this.client.delete(`${CSR_PATH}/${encodeURIComponent(csr.metadata!.name!)}`);
      } catch (e) {
        if (!isNotFound(e)) this.onError(e);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }
}
