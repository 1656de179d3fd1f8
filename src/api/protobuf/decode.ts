// Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`)
// into the JSON (v1 wire shape) the same client would have sent as JSON.
//
// A body is the 4-byte magic "k8s\0" followed by a runtime.Unknown message:
//   1: typeMeta {1: apiVersion, 2: kind}   2: raw (the object's own message)
//   3: contentEncoding                     4: contentType
// `raw` is decoded with the layout table in ./schema.ts. The output follows Go's
// encoding/json rules for the decoded Go struct, which is what upstream's API
// server (and a client sending JSON) would produce:
//   - plain scalar fields are always present on the wire; they are dropped when
//     the JSON tag has omitempty and the value is the zero value, kept otherwise;
//   - pointer fields are kept when present on the wire (even when zero); when
//     absent they are dropped (omitempty) or null;
//   - empty repeated fields and maps are dropped (omitempty) or null;
//   - struct (non-pointer) fields are always emitted, absent or not;
//   - types with their own JSON form (Time, MicroTime, Duration, Quantity,
//     IntOrString, RawExtension, FieldsV1, apiextensions JSON and
//     JSONSchemaPropsOr*, ExtraValue-like string lists) are converted.
// int64 values beyond 2^53 lose precision, as they do in JSON.parse.

import { CUSTOM_JSON, F_INLINE, F_OMITEMPTY, F_POINTER, F_REPEATED, KINDS, MESSAGES, type FieldDef } from './schema.js';

/** Malformed protobuf input or a kind without a known layout; the message suits a 400 BadRequest. */
export class ProtobufDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufDecodeError';
  }
}

export const KUBERNETES_PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

/** The 4-byte prefix of every Kubernetes protobuf payload: "k8s\0". */
export const KUBERNETES_PROTOBUF_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

/** Kinds from meta/v1 that every group version accepts (registered by metav1.AddToGroupVersion, plus Status). */
const SHARED_META_KINDS = new Set(['DeleteOptions', 'ListOptions', 'GetOptions', 'CreateOptions', 'UpdateOptions', 'PatchOptions', 'Status']);

const MAX_DEPTH = 500;

export function hasKubernetesProtobufMagic(body: Uint8Array): boolean {
  return body.length >= 4 && body[0] === 0x6b && body[1] === 0x38 && body[2] === 0x73 && body[3] === 0x00;
}

/**
 * The schema message name for an apiVersion/kind ("apps/v1", "Deployment" ->
 * "apps/v1.Deployment"), or undefined. The shared meta/v1 kinds (DeleteOptions,
 * Status, ...) resolve under any apiVersion.
 */
export function protobufMessageFor(apiVersion: string, kind: string): string | undefined {
  const direct = KINDS[`${apiVersion}/${kind}`];
  if (direct) return direct;
  if (SHARED_META_KINDS.has(kind)) return KINDS[`meta.k8s.io/v1/${kind}`];
  return undefined;
}

/**
 * Decodes a Kubernetes protobuf body into a plain JSON object with `kind` and
 * `apiVersion` set from the envelope. `expected` (the group/version/kind the
 * request path implies) fills in an envelope without type information; a
 * differing envelope type is returned as is (callers compare it as they do for
 * JSON bodies). Throws ProtobufDecodeError on malformed input or an unknown kind.
 */
export function decodeKubernetesProtobuf(body: Uint8Array, expected?: { group: string; version: string; kind: string }): any {
  return decodeEnvelope(body, expected, 0);
}

function decodeEnvelope(body: Uint8Array, expected: { group: string; version: string; kind: string } | undefined, depth: number): any {
  if (!hasKubernetesProtobufMagic(body)) {
    throw new ProtobufDecodeError('invalid protobuf body: missing the "k8s\\x00" prefix');
  }
  const unknown = parseFields(body.subarray(4));
  let apiVersion = '';
  let kind = '';
  const tm = lastBytes(unknown, 1, 'runtime.Unknown.typeMeta');
  if (tm) {
    const tf = parseFields(tm);
    apiVersion = str(lastBytes(tf, 1, 'TypeMeta.apiVersion'));
    kind = str(lastBytes(tf, 2, 'TypeMeta.kind'));
  }
  const raw = lastBytes(unknown, 2, 'runtime.Unknown.raw') ?? new Uint8Array(0);
  const contentEncoding = str(lastBytes(unknown, 3, 'runtime.Unknown.contentEncoding'));
  const contentType = str(lastBytes(unknown, 4, 'runtime.Unknown.contentType'));
  if (contentEncoding !== '') throw new ProtobufDecodeError(`unsupported protobuf content encoding "${contentEncoding}"`);

  if (expected) {
    if (apiVersion === '') apiVersion = expected.group === '' ? expected.version : `${expected.group}/${expected.version}`;
    if (kind === '') kind = expected.kind;
  }
  if (kind === '') throw new ProtobufDecodeError("Object 'Kind' is missing in protobuf body");
  if (apiVersion === '') throw new ProtobufDecodeError("Object 'apiVersion' is missing in protobuf body");

  const ct = contentType.split(';')[0]!.trim().toLowerCase();
  if (ct === 'application/json') {
    let obj: any;
    try {
      obj = JSON.parse(utf8(raw));
    } catch (e) {
      throw new ProtobufDecodeError(`invalid JSON in protobuf envelope: ${(e as Error).message}`);
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new ProtobufDecodeError('JSON in protobuf envelope is not an object');
    return { ...obj, kind, apiVersion };
  }
  if (ct !== '' && ct !== KUBERNETES_PROTOBUF_CONTENT_TYPE) {
    throw new ProtobufDecodeError(`unsupported content type "${contentType}" in protobuf envelope`);
  }

  const msg = protobufMessageFor(apiVersion, kind);
  if (!msg) throw new ProtobufDecodeError(`no kind "${kind}" is registered for version "${apiVersion}" in the protobuf decoder`);
  return { kind, apiVersion, ...decodeMessage(raw, msg, depth + 1) };
}

// ---------------------------------------------------------------------------
// wire format

const WT_VARINT = 0;
const WT_I64 = 1;
const WT_LEN = 2;
const WT_SGROUP = 3;
const WT_EGROUP = 4;
const WT_I32 = 5;

type WireValue = { wt: 0; v: bigint } | { wt: 1; v: Uint8Array } | { wt: 2; v: Uint8Array } | { wt: 5; v: Uint8Array };

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; ; i++) {
      if (this.pos >= this.buf.length) throw new ProtobufDecodeError('invalid protobuf: unexpected end of data in varint');
      if (i >= 10) throw new ProtobufDecodeError('invalid protobuf: varint overflow');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
  }

  /** A varint known to fit a JS number (tags and lengths). */
  smallVarint(what: string): number {
    const v = this.varint();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtobufDecodeError(`invalid protobuf: ${what} out of range`);
    return Number(v);
  }

  take(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.buf.length) throw new ProtobufDecodeError('invalid protobuf: unexpected end of data');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Skips a group's content up to and including its end tag. */
  skipGroup(field: number, depth: number): void {
    if (depth > MAX_DEPTH) throw new ProtobufDecodeError('invalid protobuf: nesting too deep');
    for (;;) {
      if (this.pos >= this.buf.length) throw new ProtobufDecodeError('invalid protobuf: unterminated group');
      const tag = this.smallVarint('tag');
      const f = Math.floor(tag / 8);
      const wt = tag & 7;
      if (wt === WT_EGROUP) {
        if (f !== field) throw new ProtobufDecodeError('invalid protobuf: mismatched end group');
        return;
      }
      this.skip(f, wt, depth + 1);
    }
  }

  skip(field: number, wt: number, depth: number): void {
    switch (wt) {
      case WT_VARINT:
        this.varint();
        return;
      case WT_I64:
        this.take(8);
        return;
      case WT_LEN:
        this.take(this.smallVarint('length'));
        return;
      case WT_SGROUP:
        this.skipGroup(field, depth);
        return;
      case WT_I32:
        this.take(4);
        return;
      default:
        throw new ProtobufDecodeError(`invalid protobuf: illegal wire type ${wt}`);
    }
  }
}

type Fields = Map<number, WireValue[]>;

/** Splits a message into its fields (in wire order per field number). Groups are skipped. */
function parseFields(buf: Uint8Array): Fields {
  const r = new Reader(buf);
  const out: Fields = new Map();
  while (r.pos < buf.length) {
    const tag = r.smallVarint('tag');
    const field = Math.floor(tag / 8);
    const wt = tag & 7;
    if (field === 0) throw new ProtobufDecodeError('invalid protobuf: illegal tag 0');
    let v: WireValue;
    switch (wt) {
      case WT_VARINT:
        v = { wt, v: r.varint() };
        break;
      case WT_I64:
        v = { wt, v: r.take(8) };
        break;
      case WT_LEN:
        v = { wt, v: r.take(r.smallVarint('length')) };
        break;
      case WT_I32:
        v = { wt, v: r.take(4) };
        break;
      case WT_SGROUP:
        r.skipGroup(field, 0);
        continue;
      case WT_EGROUP:
        throw new ProtobufDecodeError('invalid protobuf: unexpected end group');
      default:
        throw new ProtobufDecodeError(`invalid protobuf: illegal wire type ${wt}`);
    }
    let list = out.get(field);
    if (!list) out.set(field, (list = []));
    list.push(v);
  }
  return out;
}

function lastBytes(fields: Fields, num: number, what: string): Uint8Array | undefined {
  const list = fields.get(num);
  if (!list || list.length === 0) return undefined;
  const v = list[list.length - 1]!;
  if (v.wt !== WT_LEN) throw new ProtobufDecodeError(`invalid protobuf: wrong wire type ${v.wt} for ${what}`);
  return v.v;
}

const textDecoder = new TextDecoder('utf-8');
function utf8(b: Uint8Array): string {
  return textDecoder.decode(b);
}
function str(b: Uint8Array | undefined): string {
  return b ? utf8(b) : '';
}
function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------
// scalars

const VARINT_TYPES = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool']);
const I64_TYPES = new Set(['double', 'fixed64', 'sfixed64']);
const I32_TYPES = new Set(['float', 'fixed32', 'sfixed32']);
const SCALAR_TYPES = new Set([...VARINT_TYPES, ...I64_TYPES, ...I32_TYPES, 'string', 'bytes']);

function scalarWireType(type: string): number {
  if (VARINT_TYPES.has(type)) return WT_VARINT;
  if (I64_TYPES.has(type)) return WT_I64;
  if (I32_TYPES.has(type)) return WT_I32;
  return WT_LEN;
}

function zeroScalar(type: string): unknown {
  if (type === 'string') return '';
  if (type === 'bool') return false;
  if (type === 'bytes') return null;
  return 0;
}

function isZeroScalar(type: string, v: unknown): boolean {
  if (type === 'bytes') return v === null || v === '';
  return v === '' || v === 0 || v === false;
}

function varintScalar(type: string, v: bigint): number | boolean {
  switch (type) {
    case 'int32':
      return Number(BigInt.asIntN(32, v));
    case 'int64':
      return Number(BigInt.asIntN(64, v));
    case 'uint32':
      return Number(BigInt.asUintN(32, v));
    case 'uint64':
      return Number(v);
    case 'sint32':
    case 'sint64': {
      const z = (v >> 1n) ^ -(v & 1n);
      return Number(type === 'sint32' ? BigInt.asIntN(32, z) : BigInt.asIntN(64, z));
    }
    case 'bool':
      return v !== 0n;
  }
  throw new ProtobufDecodeError(`internal: ${type} is not a varint type`);
}

function fixedScalar(type: string, b: Uint8Array): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (type) {
    case 'double':
      return finite(dv.getFloat64(0, true));
    case 'float':
      return finite(dv.getFloat32(0, true));
    case 'fixed64':
      return Number(dv.getBigUint64(0, true));
    case 'sfixed64':
      return Number(dv.getBigInt64(0, true));
    case 'fixed32':
      return dv.getUint32(0, true);
    case 'sfixed32':
      return dv.getInt32(0, true);
  }
  throw new ProtobufDecodeError(`internal: ${type} is not a fixed type`);
}

function finite(n: number): number {
  // Go's encoding/json refuses NaN and infinities.
  if (!Number.isFinite(n)) throw new ProtobufDecodeError(`unsupported floating point value ${n}`);
  return n;
}

/** Decodes the scalar values of one field (unpacked or packed repeated numerics). */
function scalarValues(type: string, list: WireValue[], where: string): unknown[] {
  const want = scalarWireType(type);
  const out: unknown[] = [];
  for (const w of list) {
    if (w.wt === want) {
      if (w.wt === WT_VARINT) out.push(varintScalar(type, w.v));
      else if (w.wt === WT_LEN) out.push(type === 'string' ? utf8(w.v) : base64(w.v));
      else out.push(fixedScalar(type, w.v));
    } else if (w.wt === WT_LEN && want !== WT_LEN) {
      // packed repeated numerics
      const r = new Reader(w.v);
      while (r.pos < w.v.length) {
        if (want === WT_VARINT) out.push(varintScalar(type, r.varint()));
        else out.push(fixedScalar(type, r.take(want === WT_I64 ? 8 : 4)));
      }
    } else {
      throw new ProtobufDecodeError(`invalid protobuf: wrong wire type ${w.wt} for field ${where}`);
    }
  }
  return out;
}

function messageBytes(list: WireValue[], where: string): Uint8Array[] {
  return list.map((w) => {
    if (w.wt !== WT_LEN) throw new ProtobufDecodeError(`invalid protobuf: wrong wire type ${w.wt} for field ${where}`);
    return w.v;
  });
}

// ---------------------------------------------------------------------------
// messages

/**
 * Decodes a message of the given schema name into its JSON form. Exported for
 * tests and for callers that know the type of a bare (envelope-less) message.
 */
export function decodeMessage(buf: Uint8Array, name: string, depth = 0): any {
  if (depth > MAX_DEPTH) throw new ProtobufDecodeError('invalid protobuf: nesting too deep');
  const custom = CUSTOM_JSON[name];
  if (custom) return decodeCustom(custom, buf, name, depth);
  return decodeStruct(buf, name, depth);
}

function decodeStruct(buf: Uint8Array, name: string, depth: number): Record<string, unknown> {
  const defs = MESSAGES[name];
  if (!defs) throw new ProtobufDecodeError(`internal: no protobuf layout for ${name}`);
  const fields = parseFields(buf);
  const out: Record<string, unknown> = {};
  for (const def of defs) decodeField(out, def, fields.get(def[0]), name, depth);
  return out;
}

function decodeField(out: Record<string, unknown>, def: FieldDef, list: WireValue[] | undefined, parent: string, depth: number): void {
  const [num, json, type, flags] = def;
  const where = `${parent}.${json || num}`;
  const omitempty = (flags & F_OMITEMPTY) !== 0;
  const present = list !== undefined && list.length > 0;

  if (type.startsWith('map<')) {
    if (!present) {
      if (!omitempty) out[json] = null;
      return;
    }
    out[json] = decodeMap(type, list, where, depth);
    return;
  }

  const isScalar = SCALAR_TYPES.has(type);
  if ((flags & F_REPEATED) !== 0) {
    if (!present) {
      if (!omitempty) out[json] = null;
      return;
    }
    out[json] = isScalar ? scalarValues(type, list, where) : messageBytes(list, where).map((b) => decodeMessage(b, type, depth + 1));
    return;
  }

  if (isScalar) {
    if (!present) {
      if ((flags & F_POINTER) !== 0 || type === 'bytes') {
        if (!omitempty) out[json] = null;
      } else if (!omitempty) {
        out[json] = zeroScalar(type);
      }
      return;
    }
    const values = scalarValues(type, list, where);
    const v = values[values.length - 1];
    if ((flags & F_POINTER) === 0 && omitempty && isZeroScalar(type, v)) return;
    out[json] = v;
    return;
  }

  // message field
  if ((flags & F_INLINE) !== 0) {
    const inner = decodeMessage(present ? concat(messageBytes(list, where)) : new Uint8Array(0), type, depth + 1);
    if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) Object.assign(out, inner);
    return;
  }
  if (!present) {
    if ((flags & F_POINTER) !== 0) {
      if (!omitempty) out[json] = null;
      return;
    }
    // a struct value: Go encodes it even when absent from the wire
    const v = decodeMessage(new Uint8Array(0), type, depth + 1);
    if (CUSTOM_JSON[type] === 'items' && omitempty && v === null) return;
    out[json] = v;
    return;
  }
  const v = decodeMessage(concat(messageBytes(list, where)), type, depth + 1);
  if ((flags & F_POINTER) === 0 && CUSTOM_JSON[type] === 'items' && omitempty && (v === null || (Array.isArray(v) && v.length === 0))) return;
  out[json] = v;
}

function decodeMap(type: string, list: WireValue[], where: string, depth: number): Record<string, unknown> {
  const comma = type.indexOf(',');
  const keyType = type.slice(4, comma);
  const valueType = type.slice(comma + 1, -1);
  const entries = new Map<string, unknown>();
  for (const entry of messageBytes(list, where)) {
    const ef = parseFields(entry);
    const kl = ef.get(1);
    let key: string;
    if (!kl || kl.length === 0) key = keyType === 'string' ? '' : '0';
    else {
      const kv = scalarValues(keyType, kl, `${where} key`);
      key = String(kv[kv.length - 1]);
    }
    const vl = ef.get(2);
    let value: unknown;
    if (SCALAR_TYPES.has(valueType)) {
      if (!vl || vl.length === 0) value = valueType === 'bytes' ? '' : zeroScalar(valueType);
      else {
        const vv = scalarValues(valueType, vl, `${where}[${key}]`);
        value = vv[vv.length - 1];
      }
    } else {
      value = decodeMessage(vl && vl.length > 0 ? concat(messageBytes(vl, `${where}[${key}]`)) : new Uint8Array(0), valueType, depth + 1);
    }
    entries.set(key, value);
  }
  // Go writes map keys sorted; Object.defineProperty keeps a "__proto__" key an ordinary property.
  const out: Record<string, unknown> = {};
  for (const key of [...entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    Object.defineProperty(out, key, { value: entries.get(key), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

// ---------------------------------------------------------------------------
// types with a custom JSON form

function decodeCustom(kind: string, buf: Uint8Array, name: string, depth: number): unknown {
  switch (kind) {
    case 'time': {
      // metav1.Time: an empty message is the zero time (null); only seconds are used.
      if (buf.length === 0) return null;
      const f = parseFields(buf);
      const seconds = int64Field(f, 1, 'Time.seconds');
      return formatTime(seconds * 1_000_000_000n, false);
    }
    case 'microtime': {
      if (buf.length === 0) return null;
      const f = parseFields(buf);
      const seconds = int64Field(f, 1, 'MicroTime.seconds');
      const nanos = BigInt.asIntN(32, int64Field(f, 2, 'MicroTime.nanos'));
      const micros = nanos / 1000n; // truncates toward zero, like time.Duration.Truncate
      return formatTime(seconds * 1_000_000_000n + micros * 1000n, true);
    }
    case 'duration': {
      const f = parseFields(buf);
      return formatDuration(int64Field(f, 1, 'Duration.duration'));
    }
    case 'quantity': {
      const s = str(lastBytes(parseFields(buf), 1, 'Quantity.string'));
      return s === '' ? '0' : s;
    }
    case 'intorstring': {
      const f = parseFields(buf);
      const t = int64Field(f, 1, 'IntOrString.type');
      if (t === 0n) return Number(BigInt.asIntN(32, int64Field(f, 2, 'IntOrString.intVal')));
      if (t === 1n) return str(lastBytes(f, 3, 'IntOrString.strVal'));
      throw new ProtobufDecodeError(`invalid IntOrString type ${t}`);
    }
    case 'rawextension': {
      const raw = lastBytes(parseFields(buf), 1, 'RawExtension.raw');
      if (raw === undefined) return null;
      if (hasKubernetesProtobufMagic(raw)) return decodeEnvelope(raw, undefined, depth + 1);
      return parseJsonBytes(raw, 'RawExtension');
    }
    case 'fieldsv1': {
      const raw = lastBytes(parseFields(buf), 1, 'FieldsV1.Raw');
      if (raw === undefined) return null;
      return parseJsonBytes(raw, 'FieldsV1');
    }
    case 'json': {
      const raw = lastBytes(parseFields(buf), 1, 'JSON.raw');
      if (raw === undefined || raw.length === 0) return null;
      return parseJsonBytes(raw, 'JSON');
    }
    case 'schemaorarray': {
      const g = decodeStruct(buf, name, depth);
      if (Array.isArray(g.JSONSchemas) && g.JSONSchemas.length > 0) return g.JSONSchemas;
      return g.Schema ?? null;
    }
    case 'schemaorbool': {
      const g = decodeStruct(buf, name, depth);
      if (g.Schema != null) return g.Schema;
      return g.Allows === true;
    }
    case 'schemaorstringarray': {
      const g = decodeStruct(buf, name, depth);
      if (Array.isArray(g.Property) && g.Property.length > 0) return g.Property;
      return g.Schema ?? null;
    }
    case 'items': {
      const g = decodeStruct(buf, name, depth);
      return g.items ?? null;
    }
  }
  throw new ProtobufDecodeError(`internal: unknown custom codec ${kind}`);
}

function int64Field(f: Fields, num: number, what: string): bigint {
  const list = f.get(num);
  if (!list || list.length === 0) return 0n;
  const w = list[list.length - 1]!;
  if (w.wt !== WT_VARINT) throw new ProtobufDecodeError(`invalid protobuf: wrong wire type ${w.wt} for ${what}`);
  return BigInt.asIntN(64, w.v);
}

function parseJsonBytes(raw: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(utf8(raw));
  } catch (e) {
    throw new ProtobufDecodeError(`invalid JSON in ${what}: ${(e as Error).message}`);
  }
}

/** Nanoseconds from the Unix epoch of Go's zero time.Time (0001-01-01T00:00:00Z). */
const GO_ZERO_TIME_NANOS = -62135596800n * 1_000_000_000n;
const MAX_DATE_MS = 8_640_000_000_000_000n;

/** RFC 3339 in UTC, to the second (metav1.Time) or microsecond (metav1.MicroTime); Go's zero time is null. */
function formatTime(nanos: bigint, micro: boolean): string | null {
  if (nanos === GO_ZERO_TIME_NANOS) return null;
  let ms = nanos / 1_000_000n;
  if (nanos < 0n && nanos % 1_000_000n !== 0n) ms -= 1n; // floor
  if (ms > MAX_DATE_MS || ms < -MAX_DATE_MS) throw new ProtobufDecodeError('time out of range');
  const d = new Date(Number(ms));
  const y = d.getUTCFullYear();
  const year = y < 0 ? '-' + String(-y).padStart(4, '0') : String(y).padStart(4, '0');
  const p2 = (n: number) => String(n).padStart(2, '0');
  let s = `${year}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  if (micro) {
    let frac = nanos % 1_000_000_000n;
    if (frac < 0n) frac += 1_000_000_000n;
    s += '.' + String(frac / 1000n).padStart(6, '0');
  }
  return s + 'Z';
}

/** Go's time.Duration.String(). */
export function formatDuration(d: bigint): string {
  if (d === 0n) return '0s';
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < 1_000_000_000n) {
    let unit: string;
    let prec: number;
    if (u < 1000n) {
      unit = 'ns';
      prec = 0;
    } else if (u < 1_000_000n) {
      unit = 'µs';
      prec = 3;
    } else {
      unit = 'ms';
      prec = 6;
    }
    const [frac, rest] = fmtFrac(u, prec);
    out = `${rest}${frac}${unit}`;
  } else {
    const [frac, secs] = fmtFrac(u, 9);
    u = secs;
    out = `${u % 60n}${frac}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m` + out;
      u /= 60n;
      if (u > 0n) out = `${u}h` + out;
    }
  }
  return neg ? '-' + out : out;
}

/** The fraction v / 10^prec as ".123" without trailing zeros ('' when zero), and the integer part. */
function fmtFrac(v: bigint, prec: number): [string, bigint] {
  let digits = '';
  let print = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    print = print || digit !== 0n;
    if (print) digits = String(digit) + digits;
    v /= 10n;
  }
  return [print ? '.' + digits : '', v];
}
