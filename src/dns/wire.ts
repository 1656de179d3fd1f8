// DNS messages on the wire (RFC 1035 §4, RFC 2782 SRV, RFC 3596 AAAA,
// RFC 6891 EDNS(0) OPT). Pure functions, no I/O.
//
// Names are kept in presentation form without the trailing dot ("" is the
// root): a label's '.', '\' and bytes outside printable ASCII are escaped
// ("\." "\\" "\DDD"), so any label on the wire survives a round trip.
// Decoding never trusts the packet: every read is bounds-checked,
// compression pointers must point backwards, and every failure is a
// DnsFormatError the server turns into FORMERR (or a dropped packet).

export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

export const RCode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended (needs OPT): upper 8 bits go in the OPT record. */
  BADVERS: 16,
} as const;

export const CLASS_IN = 1;
export const OPCODE_QUERY = 0;
/** Largest UDP answer without EDNS (RFC 1035 §2.3.4). */
export const MIN_UDP_SIZE = 512;
const MAX_NAME_WIRE = 255;
const MAX_LABEL = 63;

export class DnsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DnsFormatError';
  }
}

export interface Header {
  id: number;
  /** Response (true) or query. */
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  /** The full (possibly extended) response code; the low 4 bits go in the header. */
  rcode: number;
}

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface MxData {
  preference: number;
  exchange: string;
}

/**
 * Record data by type: A/AAAA an address string, CNAME/PTR/NS a name,
 * TXT an array of character-strings, SRV/SOA/MX objects, anything else
 * (including OPT) the raw bytes.
 */
export type RData = string | string[] | SrvData | SoaData | MxData | Buffer;

export interface ResourceRecord {
  name: string;
  type: number;
  /** For OPT: the requestor's UDP payload size. */
  class: number;
  /** For OPT: extended rcode, version and flags. */
  ttl: number;
  data: RData;
}

export interface Message {
  header: Header;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
}

export function emptyHeader(id = 0): Header {
  return { id, qr: false, opcode: 0, aa: false, tc: false, rd: false, ra: false, ad: false, cd: false, rcode: 0 };
}

// ---------------------------------------------------------------- names

/** Lower-cases ASCII letters only (DNS names compare case-insensitively, RFC 4343). */
export function canonicalName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

/** Splits a presentation name into raw label bytes, honouring escapes. */
export function nameToLabels(name: string): Buffer[] {
  if (name === '' || name === '.') return [];
  const labels: Buffer[] = [];
  let cur: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c /* \ */) {
      const d = name.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d)) {
        const v = Number(d);
        if (v > 255) throw new DnsFormatError(`bad escape \\${d} in ${JSON.stringify(name)}`);
        cur.push(v);
        i += 3;
      } else if (i + 1 < name.length) {
        cur.push(name.charCodeAt(++i) & 0xff);
      } else {
        throw new DnsFormatError(`trailing backslash in ${JSON.stringify(name)}`);
      }
    } else if (c === 0x2e /* . */) {
      if (cur.length === 0) {
        if (i === name.length - 1) break; // a trailing dot
        throw new DnsFormatError(`empty label in ${JSON.stringify(name)}`);
      }
      labels.push(Buffer.from(cur));
      cur = [];
    } else {
      if (c > 0xff) throw new DnsFormatError(`non-ASCII character in ${JSON.stringify(name)}`);
      cur.push(c);
    }
  }
  if (cur.length) labels.push(Buffer.from(cur));
  let wire = 1;
  for (const l of labels) {
    if (l.length > MAX_LABEL) throw new DnsFormatError(`label longer than 63 bytes in ${JSON.stringify(name)}`);
    wire += l.length + 1;
  }
  if (wire > MAX_NAME_WIRE) throw new DnsFormatError(`name longer than 255 bytes: ${JSON.stringify(name)}`);
  return labels;
}

function labelToText(buf: Buffer, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b === 0x2e || b === 0x5c) s += '\\' + String.fromCharCode(b);
    else if (b <= 0x20 || b >= 0x7f) s += '\\' + String(b).padStart(3, '0');
    else s += String.fromCharCode(b);
  }
  return s;
}

// ---------------------------------------------------------------- reading

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) throw new DnsFormatError(`message ends inside ${what} at offset ${this.pos}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++];
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** A possibly compressed name; pointers must go strictly backwards (no loops). */
  name(): string {
    const parts: string[] = [];
    let p = this.pos;
    let end = -1; // where reading resumes after the first pointer
    let wire = 1;
    let limit = p; // pointers must point before this
    for (;;) {
      if (p >= this.buf.length) throw new DnsFormatError(`message ends inside a name at offset ${p}`);
      const len = this.buf[p];
      if (len === 0) {
        p += 1;
        break;
      }
      const kind = len & 0xc0;
      if (kind === 0xc0) {
        if (p + 1 >= this.buf.length) throw new DnsFormatError(`message ends inside a compression pointer at offset ${p}`);
        const target = ((len & 0x3f) << 8) | this.buf[p + 1];
        if (target >= limit) throw new DnsFormatError(`compression pointer at offset ${p} does not point backwards`);
        if (end < 0) end = p + 2;
        limit = target;
        p = target;
        continue;
      }
      if (kind !== 0) throw new DnsFormatError(`unsupported label type 0x${kind.toString(16)} at offset ${p}`);
      if (p + 1 + len > this.buf.length) throw new DnsFormatError(`message ends inside a label at offset ${p}`);
      wire += len + 1;
      if (wire > MAX_NAME_WIRE) throw new DnsFormatError(`name longer than 255 bytes at offset ${this.pos}`);
      parts.push(labelToText(this.buf, p + 1, p + 1 + len));
      p += 1 + len;
    }
    this.pos = end >= 0 ? end : p;
    return parts.join('.');
  }
}

function readHeader(r: Reader): { header: Header; counts: number[] } {
  const id = r.u16('the header');
  const flags = r.u16('the header');
  const counts = [r.u16('the header'), r.u16('the header'), r.u16('the header'), r.u16('the header')];
  return {
    header: {
      id,
      qr: (flags & 0x8000) !== 0,
      opcode: (flags >> 11) & 0xf,
      aa: (flags & 0x0400) !== 0,
      tc: (flags & 0x0200) !== 0,
      rd: (flags & 0x0100) !== 0,
      ra: (flags & 0x0080) !== 0,
      ad: (flags & 0x0020) !== 0,
      cd: (flags & 0x0010) !== 0,
      rcode: flags & 0xf,
    },
    counts,
  };
}

/** Reads only the header (12 bytes); undefined when the packet is shorter. */
export function decodeHeader(buf: Buffer): Header | undefined {
  if (buf.length < 12) return undefined;
  return readHeader(new Reader(buf)).header;
}

function readRData(r: Reader, type: number, rdlen: number): RData {
  const start = r.pos;
  const end = start + rdlen;
  r.need(rdlen, 'record data');
  let data: RData;
  switch (type) {
    case RRType.A:
      if (rdlen !== 4) throw new DnsFormatError(`A record data of ${rdlen} bytes`);
      data = `${r.buf[start]}.${r.buf[start + 1]}.${r.buf[start + 2]}.${r.buf[start + 3]}`;
      r.pos = end;
      break;
    case RRType.AAAA:
      if (rdlen !== 16) throw new DnsFormatError(`AAAA record data of ${rdlen} bytes`);
      data = ipv6ToString(r.buf.subarray(start, end));
      r.pos = end;
      break;
    case RRType.CNAME:
    case RRType.PTR:
    case RRType.NS:
      data = r.name();
      break;
    case RRType.MX:
      data = { preference: r.u16('MX data'), exchange: r.name() };
      break;
    case RRType.SRV:
      data = { priority: r.u16('SRV data'), weight: r.u16('SRV data'), port: r.u16('SRV data'), target: r.name() };
      break;
    case RRType.SOA:
      data = { mname: r.name(), rname: r.name(), serial: r.u32('SOA data'), refresh: r.u32('SOA data'), retry: r.u32('SOA data'), expire: r.u32('SOA data'), minimum: r.u32('SOA data') };
      break;
    case RRType.TXT: {
      const texts: string[] = [];
      while (r.pos < end) {
        const n = r.u8('TXT data');
        if (r.pos + n > end) throw new DnsFormatError('TXT string runs past its record');
        texts.push(r.bytes(n, 'TXT data').toString('latin1'));
      }
      data = texts;
      break;
    }
    default:
      data = Buffer.from(r.bytes(rdlen, 'record data'));
  }
  if (r.pos !== end) throw new DnsFormatError(`record data of type ${type} has ${r.pos - start} bytes, length says ${rdlen}`);
  return data;
}

/** Decodes a whole message. Throws DnsFormatError on anything malformed. */
export function decodeMessage(buf: Buffer): Message {
  const r = new Reader(buf);
  const { header, counts } = readHeader(r);
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]; i++) questions.push({ name: r.name(), type: r.u16('a question'), class: r.u16('a question') });
  const sections: ResourceRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]; i++) {
      const name = r.name();
      const type = r.u16('a record');
      const klass = r.u16('a record');
      const ttl = r.u32('a record');
      const rdlen = r.u16('a record');
      sections[s].push({ name, type, class: klass, ttl, data: readRData(r, type, rdlen) });
    }
  }
  if (r.pos !== buf.length) throw new DnsFormatError(`${buf.length - r.pos} bytes after the last record`);
  const opt = sections[2].find((rr) => rr.type === RRType.OPT);
  if (opt) header.rcode |= ((opt.ttl >>> 24) & 0xff) << 4;
  return { header, questions, answers: sections[0], authorities: sections[1], additionals: sections[2] };
}

// ---------------------------------------------------------------- writing

interface ParsedName {
  labels: Buffer[];
  /** Case-folded key of the suffix starting at each label, for compression. */
  keys: string[];
}

// Answers repeat the same few names; parsing them once saves most of the encoding time.
const nameCache = new Map<string, ParsedName>();
const NAME_CACHE_MAX = 4096;

function parsedName(name: string): ParsedName {
  let p = nameCache.get(name);
  if (p) return p;
  const labels = nameToLabels(name);
  const keys: string[] = [];
  for (let i = 0; i < labels.length; i++) {
    keys.push(
      labels
        .slice(i)
        .map((l) => l.toString('latin1').toLowerCase())
        .join('\u0000'),
    );
  }
  p = { labels, keys };
  if (nameCache.size >= NAME_CACHE_MAX) nameCache.clear();
  nameCache.set(name, p);
  return p;
}

class Writer {
  buf: Buffer;
  pos = 0;
  /** canonical suffix -> offset, for compression */
  private names = new Map<string, number>();

  constructor(size = 512) {
    this.buf = Buffer.allocUnsafe(size);
  }
  private grow(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.grow(1);
    this.buf[this.pos++] = v & 0xff;
  }
  u16(v: number): void {
    this.grow(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.grow(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }
  bytes(b: Buffer): void {
    this.grow(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  setU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v & 0xffff, at);
  }

  name(name: string, compress: boolean): void {
    const { labels, keys } = parsedName(name);
    for (let i = 0; i < labels.length; i++) {
      const at = this.names.get(keys[i]);
      if (at !== undefined && compress) {
        this.u16(0xc000 | at);
        return;
      }
      if (at === undefined && this.pos < 0x4000) this.names.set(keys[i], this.pos);
      this.u8(labels[i].length);
      this.bytes(labels[i]);
    }
    this.u8(0);
  }

  /** Forgets everything written from `pos` on (used when a record does not fit). */
  rollback(pos: number): void {
    this.pos = pos;
    for (const [k, at] of this.names) if (at >= pos) this.names.delete(k);
  }

  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

function writeRData(w: Writer, rr: ResourceRecord): void {
  const d = rr.data;
  switch (rr.type) {
    case RRType.A: {
      const parts = parseIPv4(String(d));
      if (!parts) throw new Error(`not an IPv4 address: ${String(d)}`);
      for (const p of parts) w.u8(p);
      return;
    }
    case RRType.AAAA: {
      const b = ipv6ToBytes(String(d));
      if (!b) throw new Error(`not an IPv6 address: ${String(d)}`);
      w.bytes(b);
      return;
    }
    case RRType.CNAME:
    case RRType.PTR:
    case RRType.NS:
      w.name(String(d), true);
      return;
    case RRType.MX: {
      const mx = d as MxData;
      w.u16(mx.preference);
      w.name(mx.exchange, true);
      return;
    }
    case RRType.SRV: {
      const s = d as SrvData;
      w.u16(s.priority);
      w.u16(s.weight);
      w.u16(s.port);
      // RFC 2782: the target is not compressed.
      w.name(s.target, false);
      return;
    }
    case RRType.SOA: {
      const s = d as SoaData;
      w.name(s.mname, true);
      w.name(s.rname, true);
      w.u32(s.serial);
      w.u32(s.refresh);
      w.u32(s.retry);
      w.u32(s.expire);
      w.u32(s.minimum);
      return;
    }
    case RRType.TXT:
      for (const t of d as string[]) {
        const b = Buffer.from(t, 'latin1');
        if (b.length > 255) throw new Error('TXT string longer than 255 bytes');
        w.u8(b.length);
        w.bytes(b);
      }
      return;
    default:
      if (!Buffer.isBuffer(d)) throw new Error(`record type ${rr.type} needs raw data`);
      w.bytes(d);
  }
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name, true);
  w.u16(rr.type);
  w.u16(rr.class);
  w.u32(rr.ttl);
  const lenAt = w.pos;
  w.u16(0);
  writeRData(w, rr);
  w.setU16(lenAt, w.pos - lenAt - 2);
}

export interface EncodeOptions {
  /**
   * Largest message allowed (UDP). Records that do not fit are left out,
   * answer first, then authority, then additional; TC is set when an answer
   * or authority record was dropped. The OPT record is always kept.
   */
  maxSize?: number;
}

/** Encodes a message with name compression. */
export function encodeMessage(msg: Message, opts: EncodeOptions = {}): Buffer {
  const max = opts.maxSize ?? 65535;
  const w = new Writer(Math.min(max, 4096));
  const h = msg.header;
  const opt = msg.additionals.find((rr) => rr.type === RRType.OPT);
  const extra = msg.additionals.filter((rr) => rr !== opt);
  w.u16(h.id);
  w.u16(0); // flags, set below
  w.u16(msg.questions.length);
  w.u16(0);
  w.u16(0);
  w.u16(0);
  for (const q of msg.questions) {
    w.name(q.name, true);
    w.u16(q.type);
    w.u16(q.class);
  }
  let optRecord: ResourceRecord | undefined;
  if (opt) {
    // The extended rcode's upper bits live in the OPT TTL.
    optRecord = { ...opt, name: '', ttl: ((((h.rcode >> 4) & 0xff) << 24) | (opt.ttl & 0x00ffffff)) >>> 0 };
  }
  const optSize = optRecord ? 11 + (Buffer.isBuffer(optRecord.data) ? optRecord.data.length : 0) : 0;
  const written = [0, 0, 0];
  let truncated = false;
  const sections = [msg.answers, msg.authorities, extra];
  outer: for (let s = 0; s < 3; s++) {
    for (const rr of sections[s]) {
      const mark = w.pos;
      writeRecord(w, rr);
      if (w.pos + optSize > max) {
        w.rollback(mark);
        if (s < 2) truncated = true;
        break outer;
      }
      written[s]++;
    }
  }
  if (optRecord) {
    writeRecord(w, optRecord);
    written[2]++;
  }
  const tc = h.tc || truncated;
  const flags =
    (h.qr ? 0x8000 : 0) |
    ((h.opcode & 0xf) << 11) |
    (h.aa ? 0x0400 : 0) |
    (tc ? 0x0200 : 0) |
    (h.rd ? 0x0100 : 0) |
    (h.ra ? 0x0080 : 0) |
    (h.ad ? 0x0020 : 0) |
    (h.cd ? 0x0010 : 0) |
    (h.rcode & 0xf);
  w.setU16(2, flags);
  w.setU16(6, written[0]);
  w.setU16(8, written[1]);
  w.setU16(10, written[2]);
  return w.result();
}

// ---------------------------------------------------------------- EDNS

export interface Edns {
  /** Requestor's UDP payload size (values under 512 count as 512). */
  udpSize: number;
  version: number;
  /** DNSSEC OK. */
  do: boolean;
  options: Buffer;
}

export function getEdns(msg: Message): Edns | undefined {
  const opt = msg.additionals.find((rr) => rr.type === RRType.OPT);
  if (!opt) return undefined;
  return {
    udpSize: Math.max(MIN_UDP_SIZE, opt.class),
    version: (opt.ttl >>> 16) & 0xff,
    do: (opt.ttl & 0x8000) !== 0,
    options: Buffer.isBuffer(opt.data) ? opt.data : Buffer.alloc(0),
  };
}

export function optRecord(udpSize: number, opts: { do?: boolean; version?: number; options?: Buffer } = {}): ResourceRecord {
  return { name: '', type: RRType.OPT, class: udpSize, ttl: (((opts.version ?? 0) & 0xff) << 16) | (opts.do ? 0x8000 : 0), data: opts.options ?? Buffer.alloc(0) };
}

// ---------------------------------------------------------------- addresses

/** The four octets of a dotted-quad IPv4 address, or undefined. */
export function parseIPv4(s: string): number[] | undefined {
  const out = [0, 0, 0, 0];
  let part = 0;
  let digits = 0;
  let v = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || v > 255 || part > 3) return undefined;
      out[part++] = v;
      v = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) {
      v = v * 10 + (c - 0x30);
      digits++;
    } else {
      return undefined;
    }
  }
  return part === 4 ? out : undefined;
}

export function isIPv4(s: string): boolean {
  return parseIPv4(s) !== undefined;
}

/** Parses an IPv6 address (with `::` and an optional dotted IPv4 tail) into 16 bytes. */
export function ipv6ToBytes(s: string): Buffer | undefined {
  if (!s.includes(':')) return undefined;
  let head = s;
  let v4: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const tail = s.slice(lastColon + 1);
    if (!isIPv4(tail)) return undefined;
    v4 = tail.split('.').map(Number);
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = head.indexOf('::');
  if (dbl !== head.lastIndexOf('::')) return undefined;
  const parse = (x: string) => (x === '' ? [] : x.split(':'));
  let groups: string[];
  if (dbl >= 0) {
    const left = parse(head.slice(0, dbl));
    const right = parse(head.slice(dbl + 2));
    const fill = 8 - left.length - right.length;
    if (fill < 1) return undefined;
    groups = [...left, ...Array(fill).fill('0'), ...right];
  } else {
    groups = head.split(':');
  }
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  if (v4.length) for (let i = 0; i < 4; i++) b[12 + i] = v4[i];
  return b;
}

/** RFC 5952 text form of 16 bytes. */
export function ipv6ToString(b: Buffer): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(b.readUInt16BE(i));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

export function isIPv6(s: string): boolean {
  return ipv6ToBytes(s) !== undefined;
}

/** The reverse-lookup name of an address (without trailing dot), or undefined. */
export function reverseName(ip: string): string | undefined {
  if (isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const b = ipv6ToBytes(ip);
  if (!b) return undefined;
  return `${[...b.toString('hex')].reverse().join('.')}.ip6.arpa`;
}

/** The address a reverse-lookup name stands for (canonical text), or undefined for partial or foreign names. */
export function addressFromReverse(name: string): string | undefined {
  const n = canonicalName(name);
  if (n.endsWith('.in-addr.arpa')) {
    const parts = n.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4) return undefined;
    const ip = parts.reverse().join('.');
    if (!isIPv4(ip)) return undefined;
    return ip.split('.').map(Number).join('.');
  }
  if (n.endsWith('.ip6.arpa')) {
    const nibbles = n.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || nibbles.some((x) => !/^[0-9a-f]$/.test(x))) return undefined;
    return ipv6ToString(Buffer.from(nibbles.reverse().join(''), 'hex'));
  }
  return undefined;
}

/** Canonical text of an address (so "::0:1" and "::1" compare equal), or the input when it is not one. */
export function canonicalIP(ip: string): string {
  const v4 = parseIPv4(ip);
  if (v4) return /(^|\.)0\d/.test(ip) ? v4.join('.') : ip;
  const b = ipv6ToBytes(ip);
  return b ? ipv6ToString(b) : ip;
}

export function typeName(type: number): string {
  for (const [k, v] of Object.entries(RRType)) if (v === type) return k;
  return `TYPE${type}`;
}
