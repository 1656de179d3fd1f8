// certificates.k8s.io/v1 CertificateSigningRequest validation, as upstream's
// certificates validation: a signed PKCS#10 request, usages, signerName,
// expirationSeconds, conditions; on updates the rules of each write path
// (the main resource, /status which alone sets the certificate, /approval
// which alone adds Approved or Denied). Existing bad data is tolerated the
// way upstream tolerates it, so old objects stay updatable.

import { CSRError, decodePem, parseCertificateRequest, parseCertificateRequestDer, requestText } from '../certificates/csr.js';
import { ALL_USAGES, LEGACY_UNKNOWN } from '../certificates/signers.js';
import { duplicate, forbidden, GoValue, invalid, notSupported, required, tooLong, type FieldError } from './errors.js';
import { isDNS1123Subdomain } from './names.js';
import { arr, semanticEqual } from './util.js';
import { X509Certificate } from 'node:crypto';

export type CSRWritePath = 'create' | 'update' | 'status' | 'approval';

const TRUE_ONLY = ['Approved', 'Denied', 'Failed'];

/** Go's %#v of a []byte, as field.Invalid shows spec.request. */
function goBytes(b: Buffer): GoValue {
  return new GoValue(`[]byte{${[...b].map((x) => `0x${x.toString(16)}`).join(', ')}}`);
}

function certificateProblem(pem: string): string | undefined {
  if (!pem) return undefined;
  let rest = pem;
  let blocks = 0;
  for (;;) {
    const b = decodePem(rest);
    if (!b) break;
    if (b.type !== 'CERTIFICATE') return `only CERTIFICATE PEM blocks are allowed, found ${JSON.stringify(b.type)}`;
    blocks++;
    try {
      new X509Certificate(b.der);
    } catch {
      return 'x509: malformed certificate';
    }
    const end = rest.indexOf('-----END CERTIFICATE-----');
    rest = rest.slice(end + '-----END CERTIFICATE-----'.length);
  }
  if (blocks === 0) return 'must contain at least one CERTIFICATE PEM block';
  return undefined;
}

export function validateSignerName(field: string, name: unknown): FieldError[] {
  const s = typeof name === 'string' ? name : '';
  if (!s) return [required(field)];
  const parts = s.split('/');
  if (parts.length !== 2) return [invalid(field, s, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  const errs: FieldError[] = [];
  if (parts[0].length > 253) errs.push(tooLong(field, 253));
  for (const m of isDNS1123Subdomain(parts[0])) errs.push(invalid(field, parts[0], m));
  if (!parts[0].includes('.')) errs.push(invalid(field, parts[0], 'should be a domain with at least two segments separated by dots'));
  if (!parts[1]) errs.push(required(field, 'validating path segment'));
  else if (parts[1].length > 571 - 254) errs.push(tooLong(field, 571 - 254));
  return errs;
}

function conditionsOf(csr: any, type: string): any[] {
  return arr(csr?.status?.conditions).filter((c) => c?.type === type);
}

export function validateCertificateSigningRequest(csr: any, old: any | undefined, path: CSRWritePath): FieldError[] {
  const errs: FieldError[] = [];
  const spec = csr.spec ?? {};
  const usages: unknown[] = arr(spec.usages);
  const oldUsages: unknown[] = arr(old?.spec?.usages);
  // The request: PEM, parsable, correctly self-signed.
  try {
    parseCertificateRequest(requestText(spec));
  } catch (e) {
    if (!(e instanceof CSRError)) throw e;
    errs.push(invalid('spec.request', goBytes(Buffer.from(requestText(spec), 'latin1')), e.message));
  }
  if (usages.length === 0) errs.push(required('spec.usages'));
  if (!oldUsages.some((u) => !ALL_USAGES.includes(String(u)))) {
    usages.forEach((u, i) => {
      if (!ALL_USAGES.includes(String(u))) errs.push(notSupported(`spec.usages[${i}]`, u, ALL_USAGES));
    });
  }
  if (new Set(oldUsages).size === oldUsages.length) {
    const seen = new Set<unknown>();
    usages.forEach((u, i) => {
      if (seen.has(u)) errs.push(duplicate(`spec.usages[${i}]`, u));
      seen.add(u);
    });
  }
  if (spec.signerName === LEGACY_UNKNOWN && old?.spec?.signerName !== LEGACY_UNKNOWN) errs.push(invalid('spec.signerName', spec.signerName, 'the legacy signerName is not allowed via this API version'));
  else errs.push(...validateSignerName('spec.signerName', spec.signerName));
  if (typeof spec.expirationSeconds === 'number' && spec.expirationSeconds < 600) errs.push(invalid('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 600 seconds (10 minutes)'));

  // Conditions: Approved/Denied/Failed only True, Approved and Denied exclusive, no duplicate types.
  const oldConds = arr(old?.status?.conditions);
  const tolerateBoth = conditionsOf(old, 'Approved').length > 0 && conditionsOf(old, 'Denied').length > 0;
  const tolerateDupes = new Set(oldConds.map((c) => c?.type)).size !== oldConds.length;
  const tolerateEmpty = oldConds.some((c) => !c?.type);
  let approved = false;
  let denied = false;
  const seen = new Set<string>();
  arr(csr.status?.conditions).forEach((c, i) => {
    const f = `status.conditions[${i}]`;
    if (!c?.type && !tolerateEmpty) errs.push(required(`${f}.type`));
    const allowed = TRUE_ONLY.includes(c?.type) ? ['True'] : ['False', 'True', 'Unknown'];
    if (!c?.status) errs.push(required(`${f}.status`));
    else if (!allowed.includes(c.status)) errs.push(notSupported(`${f}.status`, c.status, allowed));
    if (!tolerateBoth) {
      if (c?.type === 'Approved') {
        approved = true;
        if (denied) errs.push(invalid(`${f}.type`, c.type, 'Approved and Denied conditions are mutually exclusive'));
      } else if (c?.type === 'Denied') {
        denied = true;
        if (approved) errs.push(invalid(`${f}.type`, c.type, 'Approved and Denied conditions are mutually exclusive'));
      }
    }
    if (!tolerateDupes && seen.has(c?.type)) errs.push(duplicate(`${f}.type`, c?.type));
    seen.add(c?.type);
  });
  const cert = typeof csr.status?.certificate === 'string' ? Buffer.from(csr.status.certificate, 'base64').toString('latin1') : '';
  const oldCert = typeof old?.status?.certificate === 'string' ? Buffer.from(old.status.certificate, 'base64').toString('latin1') : '';
  if (!(old && cert === oldCert)) {
    const why = certificateProblem(cert);
    if (why) errs.push(invalid('status.certificate', '<certificate data>', why));
  }
  if (!old) return errs;

  for (const t of ['Approved', 'Denied', 'Failed']) {
    if (conditionsOf(csr, t).length < conditionsOf(old, t).length) errs.push(forbidden('status.conditions', `updates may not remove a condition of type ${JSON.stringify(t)}`));
  }
  if (path !== 'approval') {
    for (const t of ['Approved', 'Denied']) {
      const o = conditionsOf(old, t);
      const n = conditionsOf(csr, t);
      if (n.length > o.length) errs.push(forbidden('status.conditions', `updates may not add a condition of type ${JSON.stringify(t)}`));
      else if (n.length === o.length && !semanticEqual(o, n)) errs.push(forbidden('status.conditions', `updates may not modify a condition of type ${JSON.stringify(t)}`));
    }
  }
  if (cert !== oldCert) {
    if (path !== 'status') errs.push(forbidden('status.certificate', 'updates may not set certificate content'));
    else if (oldCert) errs.push(forbidden('status.certificate', 'updates may not modify existing certificate content'));
  }
  return errs;
}

/** Parses a stored request again (for controllers); undefined when it does not parse. */
export function parsedRequestOf(csr: any) {
  const block = decodePem(requestText(csr?.spec));
  if (!block || block.type !== 'CERTIFICATE REQUEST') return undefined;
  try {
    return parseCertificateRequestDer(block.der);
  } catch {
    return undefined;
  }
}
