// A small reader for the declaration files of the `kubernetes-types` package.
//
// Those files have one regular shape, generated from the upstream OpenAPI
// spec: `import { A, B } from "../meta/v1";`, `export interface X { ... }`
// with JSDoc comments on types and fields, optional fields marked `?`,
// `readonly` on status fields, and field types built from `string`, `number`,
// `boolean`, string literals (apiVersion / kind), `Array<T>`, `T[]`,
// `{ [name: string]: T; }` maps, unions (`number | string` for IntOrString)
// and names of other declarations; plus `export type X = ...;` aliases.
// Anything outside that shape is a parse error (so a change of the package's
// layout is noticed by the unit tests rather than silently dropping types).

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';

export type TsType =
  /** `format` is set by the schema builder where it is known (int32, int64, double, byte). */
  | { k: 'string'; format?: string }
  | { k: 'number'; format?: string }
  | { k: 'boolean' }
  | { k: 'any' }
  | { k: 'literal'; value: string }
  | { k: 'array'; of: TsType }
  | { k: 'map'; of: TsType }
  | { k: 'object'; fields: TsField[] }
  | { k: 'union'; of: TsType[] }
  /** A named declaration: `module` is the file's path in the package without `.d.ts` ('core/v1', 'meta/v1', 'runtime'). */
  | { k: 'ref'; module: string; name: string };

export interface TsField {
  name: string;
  optional: boolean;
  type: TsType;
  doc?: string;
}

export interface TsDecl {
  module: string;
  name: string;
  doc?: string;
  /** Interfaces have fields; aliases have `alias`. */
  fields?: TsField[];
  alias?: TsType;
}

/** Declarations keyed '<module>.<Name>' ('core/v1.PodSpec'), the naming of src/api/patch and src/api/protobuf tables too. */
export type TsModel = Map<string, TsDecl>;

type Tok = { t: 'doc' | 'id' | 'str' | 'p'; v: string };

function tokenize(src: string, file: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new Error(`${file}: unterminated comment`);
      if (src[i + 2] === '*' && src[i + 3] !== '/') out.push({ t: 'doc', v: src.slice(i + 3, end) });
      i = end + 2;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      const end = src.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      const raw = src.slice(i + 1, j);
      out.push({ t: 'str', v: c === '"' ? (JSON.parse(`"${raw}"`) as string) : raw.replace(/\\(.)/g, '$1') });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$]/.test(src[j]!)) j++;
      out.push({ t: 'id', v: src.slice(i, j) });
      i = j;
      continue;
    }
    out.push({ t: 'p', v: c });
    i++;
  }
  return out;
}

/** JSDoc body to plain text: leading ` * ` removed from each line, paragraphs kept as blank lines. */
export function cleanDoc(raw: string): string {
  const lines = raw.split('\n');
  const out = lines.map((l, i) => (i === 0 ? l : l.replace(/^\s*\* ?/, '')).replace(/\s+$/, ''));
  while (out.length && out[0]!.trim() === '') out.shift();
  while (out.length && out[out.length - 1]!.trim() === '') out.pop();
  if (out.length) out[0] = out[0]!.replace(/^\s+/, '');
  return out.join('\n');
}

class Parser {
  private pos = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly file: string,
  ) {}

  private fail(msg: string): never {
    const near = this.toks
      .slice(Math.max(0, this.pos - 3), this.pos + 3)
      .map((t) => (t.t === 'doc' ? '/**…*/' : t.v))
      .join(' ');
    throw new Error(`${this.file}: ${msg} near: ${near}`);
  }
  peek(off = 0): Tok | undefined {
    return this.toks[this.pos + off];
  }
  next(): Tok {
    const t = this.toks[this.pos++];
    if (!t) this.fail('unexpected end of file');
    return t;
  }
  is(v: string, off = 0): boolean {
    const t = this.peek(off);
    return !!t && t.t !== 'doc' && t.t !== 'str' && t.v === v;
  }
  expect(v: string): void {
    const t = this.next();
    if (t.t === 'doc' || t.t === 'str' || t.v !== v) this.fail(`expected '${v}'`);
  }
  ident(): string {
    const t = this.next();
    if (t.t !== 'id') this.fail('expected a name');
    return t.v;
  }
  done(): boolean {
    return this.pos >= this.toks.length;
  }
  takeDoc(): string | undefined {
    let d: string | undefined;
    while (this.peek()?.t === 'doc') d = this.next().v;
    return d === undefined ? undefined : cleanDoc(d);
  }

  /** type := postfix ('|' postfix)* */
  type(): TsType {
    if (this.is('|')) this.next();
    const first = this.postfix();
    if (!this.is('|')) return first;
    const of = [first];
    while (this.is('|')) {
      this.next();
      of.push(this.postfix());
    }
    return { k: 'union', of };
  }

  private postfix(): TsType {
    let t = this.primary();
    while (this.is('[') && this.is(']', 1)) {
      this.next();
      this.next();
      t = { k: 'array', of: t };
    }
    return t;
  }

  private primary(): TsType {
    const t = this.next();
    if (t.t === 'str') return { k: 'literal', value: t.v };
    if (t.t === 'id') {
      switch (t.v) {
        case 'string':
          return { k: 'string' };
        case 'number':
          return { k: 'number' };
        case 'boolean':
          return { k: 'boolean' };
        case 'any':
        case 'unknown':
        case 'object':
          return { k: 'any' };
        case 'Array':
        case 'ReadonlyArray': {
          this.expect('<');
          const of = this.type();
          this.expect('>');
          return { k: 'array', of };
        }
        default:
          // resolved to a module once the whole file is read
          return { k: 'ref', module: '', name: t.v };
      }
    }
    if (t.t === 'p' && t.v === '(') {
      const inner = this.type();
      this.expect(')');
      return inner;
    }
    if (t.t === 'p' && t.v === '{') {
      const { fields, index } = this.members();
      if (index && fields.length === 0) return { k: 'map', of: index };
      if (index) this.fail('object type with both fields and an index signature');
      return { k: 'object', fields };
    }
    this.fail(`unexpected '${t.v}' in a type`);
  }

  /** Members up to and including the closing '}'. */
  members(): { fields: TsField[]; index?: TsType } {
    const fields: TsField[] = [];
    let index: TsType | undefined;
    for (;;) {
      const doc = this.takeDoc();
      if (this.is('}')) {
        this.next();
        break;
      }
      if (this.is('readonly') && !this.is(':', 1) && !this.is('?', 1)) this.next();
      if (this.is('[')) {
        this.next();
        this.ident();
        this.expect(':');
        const keyType = this.type();
        if (keyType.k !== 'string') this.fail('index signature keys must be strings');
        this.expect(']');
        this.expect(':');
        index = this.type();
      } else {
        const nameTok = this.next();
        if (nameTok.t !== 'id' && nameTok.t !== 'str') this.fail('expected a field name');
        let optional = false;
        if (this.is('?')) {
          this.next();
          optional = true;
        }
        this.expect(':');
        const type = this.type();
        fields.push({ name: nameTok.v, optional, type, ...(doc !== undefined ? { doc } : {}) });
      }
      if (this.is(';') || this.is(',')) this.next();
    }
    return { fields, ...(index ? { index } : {}) };
  }
}

/** Parses one declaration file into `model`; `module` is its path in the package without `.d.ts`. */
export function parseDeclarations(module: string, src: string, model: TsModel = new Map()): TsModel {
  const p = new Parser(tokenize(src, module), module);
  const imports = new Map<string, string>();
  const local: TsDecl[] = [];
  while (!p.done()) {
    const doc = p.takeDoc();
    if (p.done()) break;
    const kw = p.ident();
    if (kw === 'import') {
      p.expect('{');
      const names: string[] = [];
      while (!p.is('}')) {
        names.push(p.ident());
        if (p.is(',')) p.next();
      }
      p.expect('}');
      if (p.ident() !== 'from') throw new Error(`${module}: expected 'from'`);
      const spec = p.next();
      if (spec.t !== 'str') throw new Error(`${module}: expected a module path`);
      const target = posix.normalize(posix.join(posix.dirname(module), spec.v)).replace(/\.d\.ts$|\.js$/, '');
      for (const nm of names) imports.set(nm, target);
      if (p.is(';')) p.next();
      continue;
    }
    if (kw !== 'export') throw new Error(`${module}: unexpected '${kw}' at top level`);
    let what = p.ident();
    if (what === 'declare') what = p.ident();
    const name = p.ident();
    if (what === 'interface') {
      if (p.is('extends')) throw new Error(`${module}: 'extends' is not supported (${name})`);
      p.expect('{');
      const { fields, index } = p.members();
      if (index) throw new Error(`${module}: index signature on interface ${name}`);
      local.push({ module, name, fields, ...(doc !== undefined ? { doc } : {}) });
    } else if (what === 'type') {
      p.expect('=');
      const alias = p.type();
      if (p.is(';')) p.next();
      local.push({ module, name, alias, ...(doc !== undefined ? { doc } : {}) });
    } else {
      throw new Error(`${module}: unsupported 'export ${what}'`);
    }
  }
  const localNames = new Set(local.map((d) => d.name));
  const resolve = (t: TsType): TsType => {
    switch (t.k) {
      case 'ref': {
        if (t.module) return t;
        if (localNames.has(t.name)) return { k: 'ref', module, name: t.name };
        const m = imports.get(t.name);
        if (!m) throw new Error(`${module}: unknown type name ${t.name}`);
        return { k: 'ref', module: m, name: t.name };
      }
      case 'array':
      case 'map':
        return { k: t.k, of: resolve(t.of) };
      case 'union':
        return { k: 'union', of: t.of.map(resolve) };
      case 'object':
        return { k: 'object', fields: t.fields.map((f) => ({ ...f, type: resolve(f.type) })) };
      default:
        return t;
    }
  };
  for (const d of local) {
    if (d.fields) d.fields = d.fields.map((f) => ({ ...f, type: resolve(f.type) }));
    if (d.alias) d.alias = resolve(d.alias);
    model.set(`${module}.${d.name}`, d);
  }
  return model;
}

/** The installed kubernetes-types package: its folder and version. */
export function kubernetesTypesPackage(): { dir: string; version: string } {
  const pkgJson = createRequire(import.meta.url).resolve('kubernetes-types/package.json');
  const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  return { dir: dirname(pkgJson), version };
}

/** Reads every `.d.ts` file of the package (about 35 files, 1 MB). */
export function loadKubernetesTypes(dir = kubernetesTypesPackage().dir): TsModel {
  const model: TsModel = new Map();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel)).sort()) {
      if (e === 'node_modules') continue;
      const r = rel ? `${rel}/${e}` : e;
      if (statSync(join(dir, r)).isDirectory()) walk(r);
      else if (e.endsWith('.d.ts') && e !== 'index.d.ts') parseDeclarations(r.slice(0, -'.d.ts'.length), readFileSync(join(dir, r), 'utf8'), model);
    }
  };
  walk('');
  return model;
}
