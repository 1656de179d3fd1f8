// A minimal DER reader: just enough ASN.1 to take PKCS#10 certificate
// requests apart (tag, length, contents, the raw bytes of each element).
// Malformed input throws DerError; nothing here allocates more than the
// input's size, so hostile requests cannot make it work hard.

export class DerError extends Error {}

export interface DerElement {
  /** The identifier octet (class, constructed bit and tag number < 31). */
  tag: number;
  /** The contents octets. */
  value: Uint8Array;
  /** The whole element, header included (what signatures cover). */
  raw: Uint8Array;
}

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  BMP_STRING: 0x1e,
  UNIVERSAL_STRING: 0x1c,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Reads one element at `offset`; returns it and the offset after it. */
export function readElement(buf: Uint8Array, offset = 0): { el: DerElement; next: number } {
  if (offset + 2 > buf.length) throw new DerError('asn1: syntax error: data truncated');
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError('asn1: structure error: tags above 30 are not supported');
  let len = buf[offset + 1];
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('asn1: structure error: length too large');
    if (p + n > buf.length) throw new DerError('asn1: syntax error: data truncated');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i];
    p += n;
  }
  if (p + len > buf.length) throw new DerError('asn1: syntax error: data truncated');
  return { el: { tag, value: buf.subarray(p, p + len), raw: buf.subarray(offset, p + len) }, next: p + len };
}

/** The elements inside a constructed element's contents. */
export function children(el: DerElement): DerElement[] {
  const out: DerElement[] = [];
  let p = 0;
  while (p < el.value.length) {
    const r = readElement(el.value, p);
    out.push(r.el);
    p = r.next;
  }
  return out;
}

/** Reads exactly one element filling `buf`. */
export function parseDer(buf: Uint8Array): DerElement {
  const { el, next } = readElement(buf, 0);
  if (next !== buf.length) throw new DerError('x509: trailing data');
  return el;
}

export function expect(el: DerElement | undefined, tag: number, what: string): DerElement {
  if (!el || el.tag !== tag) throw new DerError(`x509: malformed ${what}`);
  return el;
}

export function oidString(el: DerElement): string {
  const v = el.value;
  if (v.length === 0) throw new DerError('x509: malformed OID');
  const parts: number[] = [];
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    n = n * 128 + (v[i] & 0x7f);
    if (!(v[i] & 0x80)) {
      parts.push(n);
      n = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...parts].join('.');
}

/** A DirectoryString or IA5String value as text. */
export function stringValue(el: DerElement): string {
  switch (el.tag) {
    case TAG.BMP_STRING: {
      let s = '';
      for (let i = 0; i + 1 < el.value.length; i += 2) s += String.fromCharCode((el.value[i] << 8) | el.value[i + 1]);
      return s;
    }
    case TAG.UNIVERSAL_STRING: {
      let s = '';
      for (let i = 0; i + 3 < el.value.length; i += 4) s += String.fromCodePoint(((el.value[i] << 24) | (el.value[i + 1] << 16) | (el.value[i + 2] << 8) | el.value[i + 3]) >>> 0);
      return s;
    }
    case TAG.T61_STRING:
      return Buffer.from(el.value).toString('latin1');
    default:
      return Buffer.from(el.value).toString('utf8');
  }
}
