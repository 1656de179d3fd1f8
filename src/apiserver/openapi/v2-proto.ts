// The protobuf form of /openapi/v2, which is what client-go (and so kubectl) asks for
// (`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`) and the only
// form it parses: the `openapi.v2.Document` message of the gnostic project's
// OpenAPIv2.proto. Only the parts the swagger document of ./v2.ts uses are written.
// Vendor extensions (x-kubernetes-*) and `default`/`enum` values are `Any`
// messages carrying the value as YAML text (JSON is valid YAML), as upstream does.

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** Whether an Accept header asks for the protobuf form of /openapi/v2. */
export function wantsOpenAPIv2Protobuf(accept: string | undefined): boolean {
  return !!accept && accept.split(',').some((a) => a.trim().toLowerCase().startsWith(OPENAPI_V2_PROTOBUF.toLowerCase()));
}

type Chunk = Buffer;

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** Builds one message; fields are appended in call order. */
class Msg {
  private parts: Chunk[] = [];

  str(num: number, s: unknown): this {
    if (typeof s !== 'string' || s === '') return this;
    const b = Buffer.from(s, 'utf8');
    this.parts.push(varint((num << 3) | 2), varint(b.length), b);
    return this;
  }
  strs(num: number, list: unknown): this {
    if (Array.isArray(list)) for (const s of list) if (typeof s === 'string') this.bytesField(num, Buffer.from(s, 'utf8'));
    return this;
  }
  bool(num: number, b: unknown): this {
    if (b === true) this.parts.push(varint(num << 3), Buffer.of(1));
    return this;
  }
  int(num: number, n: unknown): this {
    if (typeof n === 'number' && Number.isInteger(n) && n > 0) this.parts.push(varint(num << 3), varint(n));
    return this;
  }
  msg(num: number, m: Msg | undefined): this {
    if (m) this.bytesField(num, m.bytes());
    return this;
  }
  private bytesField(num: number, b: Buffer): void {
    this.parts.push(varint((num << 3) | 2), varint(b.length), b);
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

type Obj = Record<string, any>;

/** Any { yaml = 2 } */
function anyOf(value: unknown): Msg {
  return new Msg().str(2, JSON.stringify(value));
}

/** NamedAny { name = 1; value = 2 } for every x-* key. */
function vendorExtensions(o: Obj, num: number, m: Msg): void {
  for (const [k, v] of Object.entries(o)) {
    if (k.startsWith('x-') && v !== undefined) m.msg(num, new Msg().str(1, k).msg(2, anyOf(v)));
  }
}

/** Schema (see OpenAPIv2.proto for the field numbers). */
function schema(s: Obj): Msg {
  const m = new Msg()
    .str(1, s.$ref)
    .str(2, s.format)
    .str(3, s.title)
    .str(4, s.description);
  if (s.default !== undefined) m.msg(5, anyOf(s.default));
  m.int(11, s.maxLength).int(12, s.minLength).str(13, s.pattern).int(14, s.maxItems).int(15, s.minItems).bool(16, s.uniqueItems);
  m.strs(19, s.required);
  if (Array.isArray(s.enum)) for (const e of s.enum) m.msg(20, anyOf(e));
  if (s.additionalProperties !== undefined) {
    const ap = s.additionalProperties;
    m.msg(21, typeof ap === 'boolean' ? new Msg().bool(2, ap) : new Msg().msg(1, schema(ap)));
  }
  if (s.type !== undefined) m.msg(22, new Msg().strs(1, Array.isArray(s.type) ? s.type : [s.type]));
  if (s.items !== undefined) {
    const items = Array.isArray(s.items) ? s.items : [s.items];
    const it = new Msg();
    for (const i of items) it.msg(1, schema(i));
    m.msg(23, it);
  }
  if (Array.isArray(s.allOf)) for (const a of s.allOf) m.msg(24, schema(a));
  if (s.properties) {
    const props = new Msg();
    for (const [k, v] of Object.entries<Obj>(s.properties)) props.msg(1, new Msg().str(1, k).msg(2, schema(v)));
    m.msg(25, props);
  }
  m.bool(27, s.readOnly);
  vendorExtensions(s, 31, m);
  return m;
}

function parameter(p: Obj): Msg {
  if (p.$ref) return new Msg().msg(2, new Msg().str(1, p.$ref)); // JsonReference
  let param: Msg;
  if (p.in === 'body') {
    const body = new Msg().str(1, p.description).str(2, p.name).str(3, p.in).bool(4, p.required);
    if (p.schema) body.msg(5, schema(p.schema));
    vendorExtensions(p, 6, body);
    param = new Msg().msg(1, body);
  } else if (p.in === 'path') {
    const sub = new Msg().bool(1, p.required).str(2, p.in).str(3, p.description).str(4, p.name).str(5, p.type).str(6, p.format).bool(19, p.uniqueItems);
    vendorExtensions(p, 22, sub);
    param = new Msg().msg(2, new Msg().msg(4, sub));
  } else if (p.in === 'header') {
    const sub = new Msg().bool(1, p.required).str(2, p.in).str(3, p.description).str(4, p.name).str(5, p.type).str(6, p.format).bool(19, p.uniqueItems);
    vendorExtensions(p, 22, sub);
    param = new Msg().msg(2, new Msg().msg(1, sub));
  } else {
    // query (and formData, written the same way with its own field numbers)
    const sub = new Msg().bool(1, p.required).str(2, p.in).str(3, p.description).str(4, p.name).str(6, p.type).str(7, p.format).bool(20, p.uniqueItems);
    vendorExtensions(p, 23, sub);
    param = new Msg().msg(2, new Msg().msg(p.in === 'formData' ? 2 : 3, sub));
  }
  return new Msg().msg(1, param);
}

function operation(op: Obj): Msg {
  const m = new Msg().strs(1, op.tags).str(2, op.summary).str(3, op.description).str(5, op.operationId).strs(6, op.produces).strs(7, op.consumes);
  for (const p of op.parameters ?? []) m.msg(8, parameter(p));
  const responses = new Msg();
  for (const [code, r] of Object.entries<Obj>(op.responses ?? {})) {
    const resp = new Msg().str(1, r.description);
    if (r.schema) resp.msg(2, new Msg().msg(1, schema(r.schema)));
    responses.msg(1, new Msg().str(1, code).msg(2, new Msg().msg(1, resp)));
  }
  m.msg(9, responses);
  m.strs(10, op.schemes).bool(11, op.deprecated);
  vendorExtensions(op, 13, m);
  return m;
}

const METHODS: Array<[string, number]> = [
  ['get', 2],
  ['put', 3],
  ['post', 4],
  ['delete', 5],
  ['options', 6],
  ['head', 7],
  ['patch', 8],
];

/** Encodes a swagger 2.0 document (as ./v2.ts builds it) as an `openapi.v2.Document` message. */
export function encodeSwaggerProtobuf(doc: Obj): Buffer {
  const m = new Msg().str(1, doc.swagger);
  if (doc.info) m.msg(2, new Msg().str(1, doc.info.title).str(2, doc.info.version).str(3, doc.info.description));
  m.str(3, doc.host).str(4, doc.basePath).strs(5, doc.schemes).strs(6, doc.consumes).strs(7, doc.produces);
  const paths = new Msg();
  for (const [p, item] of Object.entries<Obj>(doc.paths ?? {})) {
    const pi = new Msg().str(1, item.$ref);
    for (const [method, num] of METHODS) if (item[method]) pi.msg(num, operation(item[method]));
    for (const prm of item.parameters ?? []) pi.msg(9, parameter(prm));
    vendorExtensions(item, 10, pi);
    paths.msg(2, new Msg().str(1, p).msg(2, pi));
  }
  m.msg(8, paths);
  const defs = new Msg();
  for (const [name, s] of Object.entries<Obj>(doc.definitions ?? {})) defs.msg(1, new Msg().str(1, name).msg(2, schema(s)));
  m.msg(9, defs);
  for (const req of doc.security ?? []) {
    const sr = new Msg();
    for (const [name, scopes] of Object.entries<string[]>(req)) sr.msg(1, new Msg().str(1, name).msg(2, new Msg().strs(1, scopes)));
    m.msg(12, sr);
  }
  if (doc.securityDefinitions) {
    const sd = new Msg();
    for (const [name, d] of Object.entries<Obj>(doc.securityDefinitions)) {
      const item = new Msg();
      if (d.type === 'apiKey') item.msg(2, new Msg().str(1, d.type).str(2, d.name).str(3, d.in).str(4, d.description));
      else if (d.type === 'basic') item.msg(1, new Msg().str(1, d.type).str(2, d.description));
      sd.msg(1, new Msg().str(1, name).msg(2, item));
    }
    m.msg(13, sd);
  }
  vendorExtensions(doc, 16, m);
  return m.bytes();
}
