// PKCS#10 certificate requests as CertificateSigningRequest.spec.request
// carries them: the PEM block, the subject (CN, O and the rest), the
// subjectAltNames asked for in the extensionRequest attribute, the public
// key, and the self-signature check upstream's validation runs on every
// create. Errors carry Go's x509 messages, which users see in
// `spec.request: Invalid value: ...`.

import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { children, DerError, expect, oidString, parseDer, stringValue, TAG, type DerElement } from './der.js';

export interface ParsedCSR {
  commonName: string;
  organizations: string[];
  /** Every attribute of the subject, in order ([oid, value]). */
  subject: Array<[string, string]>;
  /** The subject Name's DER (copied into issued certificates). */
  subjectDer: Uint8Array;
  dnsNames: string[];
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
  /** SubjectPublicKeyInfo DER. */
  publicKeyDer: Uint8Array;
  /** 'rsa', 'ec', 'ed25519', ... */
  publicKeyType: string;
}

export class CSRError extends Error {}

const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const OID_SAN = '2.5.29.17';

/** Signature algorithms Go's CheckSignature accepts, by OID: the digest node:crypto.verify takes (null for Ed25519). */
const SIGNATURE_ALGORITHMS: Record<string, { hash: string | null; name: string }> = {
  '1.2.840.113549.1.1.11': { hash: 'sha256', name: 'SHA256-RSA' },
  '1.2.840.113549.1.1.12': { hash: 'sha384', name: 'SHA384-RSA' },
  '1.2.840.113549.1.1.13': { hash: 'sha512', name: 'SHA512-RSA' },
  '1.2.840.10045.4.3.2': { hash: 'sha256', name: 'ECDSA-SHA256' },
  '1.2.840.10045.4.3.3': { hash: 'sha384', name: 'ECDSA-SHA384' },
  '1.2.840.10045.4.3.4': { hash: 'sha512', name: 'ECDSA-SHA512' },
  '1.3.101.112': { hash: null, name: 'Ed25519' },
};
const INSECURE: Record<string, string> = { '1.2.840.113549.1.1.5': 'SHA1-RSA', '1.2.840.113549.1.1.4': 'MD5-RSA', '1.2.840.10045.4.1': 'ECDSA-SHA1' };

/** The first PEM block's type and DER bytes, as Go's pem.Decode finds it. */
export function decodePem(text: string): { type: string; der: Buffer } | undefined {
  const m = /-----BEGIN ([^-\r\n]*)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) return undefined;
  const body = m[2];
  if (/^[\w-]+:/m.test(body)) return { type: m[1], der: Buffer.from(body.replace(/^[\s\S]*?\r?\n\r?\n/, '').replace(/\s+/g, ''), 'base64') };
  if (/[^A-Za-z0-9+/=\s]/.test(body)) return undefined;
  return { type: m[1], der: Buffer.from(body.replace(/\s+/g, ''), 'base64') };
}

function parseName(el: DerElement): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const rdn of children(expect(el, TAG.SEQUENCE, 'subject'))) {
    for (const atv of children(expect(rdn, TAG.SET, 'subject'))) {
      const [type, value] = children(expect(atv, TAG.SEQUENCE, 'subject'));
      if (!value) throw new DerError('x509: malformed subject');
      out.push([oidString(expect(type, TAG.OID, 'subject')), stringValue(value)]);
    }
  }
  return out;
}

function ipString(b: Uint8Array): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length !== 16) throw new DerError('x509: cannot parse IP address of length ' + b.length);
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((b[i] << 8) | b[i + 1]).toString(16));
  // Canonical IPv6 text: the longest run of zero words becomes "::".
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}

function parseSANs(ext: Uint8Array, out: ParsedCSR): void {
  const names = parseDer(ext);
  for (const gn of children(expect(names, TAG.SEQUENCE, 'SAN extension'))) {
    switch (gn.tag) {
      case 0x81:
        out.emailAddresses.push(Buffer.from(gn.value).toString('latin1'));
        break;
      case 0x82:
        out.dnsNames.push(Buffer.from(gn.value).toString('latin1'));
        break;
      case 0x86:
        out.uris.push(Buffer.from(gn.value).toString('latin1'));
        break;
      case 0x87:
        out.ipAddresses.push(ipString(gn.value));
        break;
    }
  }
}

/** Parses the DER of a PKCS#10 request and checks its self-signature. */
export function parseCertificateRequestDer(der: Uint8Array): ParsedCSR {
  let info: DerElement, sigAlg: DerElement, sig: DerElement;
  const out: ParsedCSR = { commonName: '', organizations: [], subject: [], subjectDer: new Uint8Array(), dnsNames: [], ipAddresses: [], emailAddresses: [], uris: [], publicKeyDer: new Uint8Array(), publicKeyType: '' };
  let algOid: string;
  try {
    [info, sigAlg, sig] = children(expect(parseDer(der), TAG.SEQUENCE, 'certificate request'));
    const [version, subject, spki, attrs] = children(expect(info, TAG.SEQUENCE, 'certificate request'));
    expect(version, TAG.INTEGER, 'certificate request version');
    out.subject = parseName(subject);
    out.subjectDer = subject.raw;
    for (const [oid, v] of out.subject) {
      if (oid === OID_CN) out.commonName = v;
      if (oid === OID_O) out.organizations.push(v);
    }
    out.publicKeyDer = expect(spki, TAG.SEQUENCE, 'public key').raw;
    if (attrs && attrs.tag === 0xa0) {
      for (const attr of children(attrs)) {
        const [type, values] = children(expect(attr, TAG.SEQUENCE, 'attribute'));
        if (oidString(expect(type, TAG.OID, 'attribute')) !== OID_EXTENSION_REQUEST) continue;
        for (const exts of children(expect(values, TAG.SET, 'attribute'))) {
          for (const ext of children(expect(exts, TAG.SEQUENCE, 'extensions'))) {
            const parts = children(expect(ext, TAG.SEQUENCE, 'extension'));
            const id = oidString(expect(parts[0], TAG.OID, 'extension'));
            const value = expect(parts[parts.length - 1], TAG.OCTET_STRING, 'extension');
            if (id === OID_SAN) parseSANs(value.value, out);
          }
        }
      }
    }
    algOid = oidString(expect(children(expect(sigAlg, TAG.SEQUENCE, 'signature algorithm'))[0], TAG.OID, 'signature algorithm'));
    expect(sig, TAG.BIT_STRING, 'signature');
  } catch (e) {
    if (e instanceof DerError) throw new CSRError(e.message.startsWith('x509:') || e.message.startsWith('asn1:') ? e.message : `x509: ${e.message}`);
    throw e;
  }
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(out.publicKeyDer), format: 'der', type: 'spki' });
  } catch {
    throw new CSRError('x509: unsupported public key algorithm');
  }
  out.publicKeyType = key.asymmetricKeyType ?? '';
  if (INSECURE[algOid]) throw new CSRError(`x509: cannot verify signature: insecure algorithm ${INSECURE[algOid]}`);
  const alg = SIGNATURE_ALGORITHMS[algOid];
  if (!alg) throw new CSRError('x509: cannot verify signature: algorithm unimplemented');
  let ok = false;
  try {
    ok = verifySignature(alg.hash, info.raw, key, sig.value.subarray(1));
  } catch {
    ok = false;
  }
  if (!ok) throw new CSRError(out.publicKeyType === 'rsa' ? 'crypto/rsa: verification error' : out.publicKeyType === 'ec' ? 'x509: ECDSA verification failure' : 'x509: Ed25519 verification failure');
  return out;
}

/** spec.request (PEM text) to a checked request, with upstream's messages. */
export function parseCertificateRequest(pem: string): ParsedCSR {
  const block = decodePem(pem);
  if (!block || block.type !== 'CERTIFICATE REQUEST') throw new CSRError('PEM block type must be CERTIFICATE REQUEST');
  return parseCertificateRequestDer(block.der);
}

/** spec.request as stored (base64 of the PEM bytes) to its text. */
export function requestText(spec: any): string {
  const r = spec?.request;
  return typeof r === 'string' ? Buffer.from(r, 'base64').toString('latin1') : '';
}
