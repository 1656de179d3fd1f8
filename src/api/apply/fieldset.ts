// Field sets: which fields of an object a manager owns.
//
// A field set is a tree of path elements, stored the way upstream
// (sigs.k8s.io/structured-merge-diff fieldpath.Set) stores it: at each node a
// sorted list of *members* (paths that end here) and a sorted list of
// *children* (subtrees). A path element is one of
//   - a field name          `.spec`                 serialized `f:spec`
//   - a key of a list item  `[name="nginx"]`         serialized `k:{"name":"nginx"}`
//   - a value of a set item `[="foo"]`               serialized `v:"foo"`
//   - an index              `[0]`                    serialized `i:0`
// The FieldsV1 JSON form (metadata.managedFields[].fieldsV1) nests one object
// per child, writes members as `{}` and a node that is both a member and has
// children with a leading `".": {}`; everything in upstream's sort order.
//
// This module is pure data structures: the schema-aware conversions
// (object -> field set, comparison, merge) live in typed.ts.

/** One field of a list item's key: [field name, value]. Key fields are kept sorted by name. */
export type KeyField = readonly [name: string, value: unknown];

/** A step in a path through an object. */
export type PathElement =
  | { readonly field: string }
  | { readonly key: readonly KeyField[] }
  | { readonly value: unknown }
  | { readonly index: number };

export type Path = readonly PathElement[];

export function fieldPE(name: string): PathElement {
  return { field: name };
}

/** A key path element; fields are sorted by name. */
export function keyPE(fields: Iterable<KeyField>): PathElement {
  const list = [...fields];
  list.sort((a, b) => compareStrings(a[0], b[0]));
  return { key: list };
}

export function valuePE(value: unknown): PathElement {
  return { value };
}

export function indexPE(index: number): PathElement {
  return { index };
}

// ---------------------------------------------------------------------------
// Values: upstream's total order, equality, Go-compatible JSON and %v text.

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Compares strings by Unicode code point (the byte order of their UTF-8 form, as Go does). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
      return x < y ? -1 : 1;
    }
  }
  return a.length < b.length ? -1 : 1;
}

function typeRank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (isPlainObject(v)) return 4;
  return 5; // null (and anything else)
}

/**
 * Total order over JSON values: numbers < strings < booleans < lists < maps <
 * null; lists element-wise then by length; maps by their sorted keys.
 */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 1:
      return compareStrings(a as string, b as string);
    case 2:
      return a === b ? 0 : a ? 1 : -1;
    case 3: {
      const la = a as unknown[];
      const lb = b as unknown[];
      for (let i = 0; ; i++) {
        if (i >= la.length && i >= lb.length) return 0;
        if (i >= la.length) return -1;
        if (i >= lb.length) return 1;
        const c = compareValues(la[i], lb[i]);
        if (c !== 0) return c;
      }
    }
    case 4: {
      const ma = a as Record<string, unknown>;
      const mb = b as Record<string, unknown>;
      const ka = Object.keys(ma);
      const kb = Object.keys(mb);
      if (ka.length === 0 && kb.length === 0) return 0;
      const keys = [...new Set([...ka, ...kb])].sort(compareStrings);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        let c: number;
        if (i === ka.length) c = -1;
        else if (i === kb.length) c = 1;
        else if (!Object.prototype.hasOwnProperty.call(ma, k)) c = 1;
        else if (!Object.prototype.hasOwnProperty.call(mb, k)) c = -1;
        else c = compareValues(ma[k], mb[k]);
        if (c !== 0) return c;
      }
      return 0;
    }
    default:
      return 0;
  }
}

/** Deep equality of JSON values. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i], b[i])) return false;
    return true;
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) {
      if (!Object.prototype.hasOwnProperty.call(b, k) || !valuesEqual(a[k], b[k])) return false;
    }
    return true;
  }
  return false;
}

const GO_JSON_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** A string as Go's encoding/json writes it (HTML-safe escaping). */
export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => GO_JSON_ESCAPES[c]!);
}

/**
 * A JSON value as Go's encoding/json (and json-iterator's standard-library
 * mode) writes it: map keys sorted, HTML characters escaped.
 */
export function goJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goJsonString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return '[' + v.map((x) => goJson(x)).join(',') + ']';
  if (isPlainObject(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort(compareStrings);
    return '{' + keys.map((k) => goJsonString(k) + ':' + goJson(v[k])).join(',') + '}';
  }
  return 'null';
}

const GO_PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** A string quoted as Go's %q (strconv.Quote) writes it. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (GO_PRINTABLE.test(ch)) out += ch;
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\v') out += '\\v';
    else if (cp < 0x80) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

/** A value as upstream prints it inside a path (value.ToString). */
export function valueToString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return '[' + v.map(valueToString).join(',') + ']';
  if (isPlainObject(v)) {
    return Object.keys(v)
      .sort(compareStrings)
      .map((k) => `${k}=${valueToString(v[k])}`)
      .join('');
  }
  return String(v);
}

// ---------------------------------------------------------------------------
// Path elements

function peRank(pe: PathElement): number {
  if ('field' in pe) return 0;
  if ('key' in pe) return 1;
  if ('value' in pe) return 2;
  return 3;
}

function compareKeys(a: readonly KeyField[], b: readonly KeyField[]): number {
  for (let i = 0; ; i++) {
    if (i >= a.length && i >= b.length) return 0;
    if (i >= a.length) return -1;
    if (i >= b.length) return 1;
    const c = compareStrings(a[i]![0], b[i]![0]);
    if (c !== 0) return c;
    const d = compareValues(a[i]![1], b[i]![1]);
    if (d !== 0) return d;
  }
}

/** Upstream's order of path elements: fields, then keys, then values, then indexes. */
export function comparePE(a: PathElement, b: PathElement): number {
  const ra = peRank(a);
  const rb = peRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if ('field' in a) return compareStrings(a.field, (b as { field: string }).field);
  if ('key' in a) return compareKeys(a.key, (b as { key: readonly KeyField[] }).key);
  if ('value' in a) return compareValues(a.value, (b as { value: unknown }).value);
  const x = a.index;
  const y = (b as { index: number }).index;
  return x < y ? -1 : x > y ? 1 : 0;
}

export function peEquals(a: PathElement, b: PathElement): boolean {
  return comparePE(a, b) === 0;
}

/** A path element as upstream prints it in paths: `.name`, `[k=v,...]`, `[=v]`, `[i]`. */
export function peToString(pe: PathElement): string {
  if ('field' in pe) return '.' + pe.field;
  if ('key' in pe) return '[' + pe.key.map(([k, v]) => `${k}=${valueToString(v)}`).join(',') + ']';
  if ('value' in pe) return `[=${valueToString(pe.value)}]`;
  return `[${pe.index}]`;
}

/** A path as upstream prints it, e.g. `.spec.template.spec.containers[name="nginx"].image`. */
export function pathToString(path: Path): string {
  return path.map(peToString).join('');
}

/** A path element in its FieldsV1 key form: `f:name`, `k:{...}`, `v:...`, `i:N`. */
export function serializePE(pe: PathElement): string {
  if ('field' in pe) return 'f:' + pe.field;
  if ('key' in pe) return 'k:{' + pe.key.map(([k, v]) => goJsonString(k) + ':' + goJson(v)).join(',') + '}';
  if ('value' in pe) return 'v:' + goJson(pe.value);
  return 'i:' + String(pe.index);
}

/** Thrown for a FieldsV1 key that cannot be read. */
export class FieldsV1Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldsV1Error';
  }
}

/**
 * Reads a FieldsV1 key. Returns undefined for a well-formed key of a type
 * this version does not know (upstream skips those), throws FieldsV1Error
 * for a malformed one.
 */
export function parsePE(s: string): PathElement | undefined {
  if (s.length < 2) throw new FieldsV1Error('key must be 2 characters long:');
  if (s[1] !== ':') throw new FieldsV1Error(`missing colon: ${s}`);
  const rest = s.slice(2);
  switch (s[0]) {
    case 'f':
      return { field: rest };
    case 'v':
      return { value: parseJson(rest) };
    case 'k': {
      const obj = parseJson(rest);
      if (!isPlainObject(obj)) throw new FieldsV1Error(`invalid key: ${s}`);
      return keyPE(Object.entries(obj));
    }
    case 'i': {
      if (!/^[+-]?\d+$/.test(rest)) throw new FieldsV1Error(`strconv.Atoi: parsing ${goQuote(rest)}: invalid syntax`);
      return { index: Number(rest) };
    }
    default:
      return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FieldsV1Error(`invalid JSON in managed fields key: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------
// Sets

interface ChildNode {
  readonly pe: PathElement;
  readonly set: FieldSet;
}

/** Binary search in an array sorted by `cmp`; returns [index, found]. */
function search<T>(arr: readonly T[], pe: PathElement, get: (t: T) => PathElement): [number, boolean] {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = comparePE(get(arr[mid]!), pe);
    if (c === 0) return [mid, true];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return [lo, false];
}

const idPE = (pe: PathElement): PathElement => pe;
const nodePE = (n: ChildNode): PathElement => n.pe;

/**
 * A set of paths. Treat as immutable once built: the set operations return
 * new sets (which may share subtrees with their inputs); only `insert`
 * mutates, and only sets you created yourself should be inserted into.
 */
export class FieldSet {
  /** Paths that end at this node, sorted. */
  readonly members: PathElement[];
  /** Subtrees, sorted by their path element; never empty. */
  readonly children: ChildNode[];

  constructor(members: PathElement[] = [], children: ChildNode[] = []) {
    this.members = members;
    this.children = children;
  }

  static fromPaths(paths: Iterable<Path>): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  /** Adds a path (no-op for the empty path). */
  insert(path: Path): this {
    if (path.length === 0) return this;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let s: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) s = s.descend(path[i]!);
    s.addMember(path[path.length - 1]!);
    return this;
  }

  private addMember(pe: PathElement): void {
    const m = this.members;
    if (m.length === 0 || comparePE(m[m.length - 1]!, pe) < 0) {
      m.push(pe);
      return;
    }
    const [at, found] = search(m, pe, idPE);
    if (!found) m.splice(at, 0, pe);
  }

  private descend(pe: PathElement): FieldSet {
    const c = this.children;
    if (c.length === 0 || comparePE(c[c.length - 1]!.pe, pe) < 0) {
      const set = new FieldSet();
      c.push({ pe, set });
      return set;
    }
    const [at, found] = search(this.children, pe, nodePE);
    if (found) return this.children[at]!.set;
    const set = new FieldSet();
    this.children.splice(at, 0, { pe, set });
    return set;
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    let s: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1; i++) {
      s = s.child(path[i]!);
      if (s === undefined) return false;
    }
    return s.hasMember(path[path.length - 1]!);
  }

  hasMember(pe: PathElement): boolean {
    return search(this.members, pe, idPE)[1];
  }

  /** The subtree below `pe` (undefined when there is none). */
  child(pe: PathElement): FieldSet | undefined {
    const [at, found] = search(this.children, pe, nodePE);
    return found ? this.children[at]!.set : undefined;
  }

  /** The subtree below `pe` (an empty set when there is none). */
  withPrefix(pe: PathElement): FieldSet {
    return this.child(pe) ?? new FieldSet();
  }

  empty(): boolean {
    // Children are never empty, but stay correct for sets built by hand.
    return this.members.length === 0 && this.children.every((c) => c.set.empty());
  }

  /** Number of paths. */
  size(): number {
    let n = this.members.length;
    for (const c of this.children) n += c.set.size();
    return n;
  }

  union(other: FieldSet): FieldSet {
    const members = mergeSorted(this.members, other.members, 'union');
    const children: ChildNode[] = [];
    let i = 0;
    let j = 0;
    const a = this.children;
    const b = other.children;
    while (i < a.length && j < b.length) {
      const c = comparePE(a[i]!.pe, b[j]!.pe);
      if (c < 0) children.push(a[i++]!);
      else if (c > 0) children.push(b[j++]!);
      else {
        children.push({ pe: a[i]!.pe, set: a[i]!.set.union(b[j]!.set) });
        i++;
        j++;
      }
    }
    while (i < a.length) children.push(a[i++]!);
    while (j < b.length) children.push(b[j++]!);
    return new FieldSet(members, children);
  }

  intersection(other: FieldSet): FieldSet {
    const members = mergeSorted(this.members, other.members, 'intersection');
    const children: ChildNode[] = [];
    let i = 0;
    let j = 0;
    const a = this.children;
    const b = other.children;
    while (i < a.length && j < b.length) {
      const c = comparePE(a[i]!.pe, b[j]!.pe);
      if (c < 0) i++;
      else if (c > 0) j++;
      else {
        const s = a[i]!.set.intersection(b[j]!.set);
        if (!s.empty()) children.push({ pe: a[i]!.pe, set: s });
        i++;
        j++;
      }
    }
    return new FieldSet(members, children);
  }

  /** Paths of this set that are not in `other` (a member of `other` does not remove the subtree below it). */
  difference(other: FieldSet): FieldSet {
    const members = mergeSorted(this.members, other.members, 'difference');
    const children: ChildNode[] = [];
    for (const node of this.children) {
      const o = other.child(node.pe);
      if (o === undefined) {
        children.push(node);
        continue;
      }
      const s = node.set.difference(o);
      if (!s.empty()) children.push({ pe: node.pe, set: s });
    }
    return new FieldSet(members, children);
  }

  /** Like difference, but a member of `other` also removes everything below it. */
  recursiveDifference(other: FieldSet): FieldSet {
    const members = mergeSorted(this.members, other.members, 'difference');
    const children: ChildNode[] = [];
    for (const node of this.children) {
      if (other.hasMember(node.pe)) continue;
      const o = other.child(node.pe);
      if (o === undefined) {
        children.push(node);
        continue;
      }
      const s = node.set.recursiveDifference(o);
      if (!s.empty()) children.push({ pe: node.pe, set: s });
    }
    return new FieldSet(members, children);
  }

  /** Only the paths with nothing below them. */
  leaves(): FieldSet {
    const members = this.members.filter((m) => this.child(m) === undefined);
    const children = this.children.map((c) => ({ pe: c.pe, set: c.set.leaves() }));
    return new FieldSet(members, children);
  }

  equals(other: FieldSet): boolean {
    if (this.members.length !== other.members.length || this.children.length !== other.children.length) return false;
    for (let i = 0; i < this.members.length; i++) if (comparePE(this.members[i]!, other.members[i]!) !== 0) return false;
    for (let i = 0; i < this.children.length; i++) {
      const a = this.children[i]!;
      const b = other.children[i]!;
      if (comparePE(a.pe, b.pe) !== 0 || !a.set.equals(b.set)) return false;
    }
    return true;
  }

  /** Calls `fn` with every path: this node's members first, then each child's paths, all in sort order. */
  iterate(fn: (path: Path) => void, prefix: PathElement[] = []): void {
    for (const m of this.members) fn([...prefix, m]);
    for (const c of this.children) {
      prefix.push(c.pe);
      c.set.iterate(fn, prefix);
      prefix.pop();
    }
  }

  paths(): Path[] {
    const out: Path[] = [];
    this.iterate((p) => out.push(p));
    return out;
  }

  /** One path per line, as upstream's Set.String(). */
  toString(): string {
    return this.paths().map(pathToString).join('\n');
  }

  /** The FieldsV1 JSON object of this set (as upstream serializes it). */
  toFieldsV1(): Record<string, unknown> {
    return this.emit(false);
  }

  /** The FieldsV1 JSON text of this set. */
  toFieldsV1JSON(): string {
    return JSON.stringify(this.toFieldsV1());
  }

  private emit(includeSelf: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (includeSelf && (this.members.length > 0 || this.children.length > 0)) out['.'] = {};
    let mi = 0;
    let ci = 0;
    const m = this.members;
    const c = this.children;
    while (mi < m.length || ci < c.length) {
      const cmp = mi >= m.length ? 1 : ci >= c.length ? -1 : comparePE(m[mi]!, c[ci]!.pe);
      if (cmp < 0) {
        out[serializePE(m[mi]!)] = {};
        mi++;
      } else if (cmp > 0) {
        out[serializePE(c[ci]!.pe)] = c[ci]!.set.emit(false);
        ci++;
      } else {
        out[serializePE(c[ci]!.pe)] = c[ci]!.set.emit(true);
        mi++;
        ci++;
      }
    }
    return out;
  }

  /**
   * Reads a FieldsV1 value: a JSON object (or its text). Throws
   * FieldsV1Error when it is malformed.
   */
  static fromFieldsV1(fields: unknown): FieldSet {
    const obj = typeof fields === 'string' ? parseJson(fields) : fields;
    if (obj === null || obj === undefined) return new FieldSet();
    if (!isPlainObject(obj)) throw new FieldsV1Error('managedFields parsing: expected a JSON object');
    return readNode(obj).set ?? new FieldSet();
  }
}

/** A unique text of a path element (its FieldsV1 key), for hashing. */
function peKey(pe: PathElement): string {
  return 'field' in pe ? 'f:' + pe.field : serializePE(pe);
}

/**
 * Collects paths in any order and builds the set in one go (hashing while
 * collecting, sorting once per node): for sets of many paths.
 */
export class FieldSetBuilder {
  private readonly members = new Map<string, PathElement>();
  private readonly children = new Map<string, { pe: PathElement; builder: FieldSetBuilder }>();

  insert(path: Path): this {
    if (path.length === 0) return this;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let b: FieldSetBuilder = this;
    for (let i = 0; i < path.length - 1; i++) {
      const pe = path[i]!;
      const key = peKey(pe);
      let c = b.children.get(key);
      if (c === undefined) {
        c = { pe, builder: new FieldSetBuilder() };
        b.children.set(key, c);
      }
      b = c.builder;
    }
    const last = path[path.length - 1]!;
    const key = peKey(last);
    if (!b.members.has(key)) b.members.set(key, last);
    return this;
  }

  build(): FieldSet {
    const members = [...this.members.values()].sort(comparePE);
    const children: ChildNode[] = [];
    for (const { pe, builder } of this.children.values()) {
      const set = builder.build();
      if (!set.empty()) children.push({ pe, set });
    }
    children.sort((a, b) => comparePE(a.pe, b.pe));
    return new FieldSet(members, children);
  }
}

function readNode(obj: Record<string, unknown>): { set: FieldSet | undefined; member: boolean } {
  let set: FieldSet | undefined;
  let member = false;
  for (const [k, v] of Object.entries(obj)) {
    if (k === '.') {
      member = true;
      continue;
    }
    const pe = parsePE(k);
    if (pe === undefined) continue;
    if (!isPlainObject(v)) throw new FieldsV1Error(`managedFields parsing: expected an object for ${goQuote(k)}`);
    const child = readNode(v);
    if (child.member) {
      set ??= new FieldSet();
      const m = set.members;
      if (m.length === 0 || comparePE(m[m.length - 1]!, pe) < 0) m.push(pe);
      else {
        const [at, found] = search(m, pe, idPE);
        if (!found) m.splice(at, 0, pe);
      }
    }
    if (child.set !== undefined) {
      set ??= new FieldSet();
      const c = set.children;
      if (c.length === 0 || comparePE(c[c.length - 1]!.pe, pe) < 0) c.push({ pe, set: child.set });
      else {
        const [at, found] = search(c, pe, nodePE);
        if (found) c[at] = { pe, set: c[at]!.set.union(child.set) };
        else c.splice(at, 0, { pe, set: child.set });
      }
    }
  }
  if (set === undefined) member = true;
  return { set, member };
}

function mergeSorted(a: readonly PathElement[], b: readonly PathElement[], op: 'union' | 'intersection' | 'difference'): PathElement[] {
  const out: PathElement[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c = comparePE(a[i]!, b[j]!);
    if (c < 0) {
      if (op !== 'intersection') out.push(a[i]!);
      i++;
    } else if (c > 0) {
      if (op === 'union') out.push(b[j]!);
      j++;
    } else {
      if (op !== 'difference') out.push(a[i]!);
      i++;
      j++;
    }
  }
  if (op !== 'intersection') while (i < a.length) out.push(a[i++]!);
  if (op === 'union') while (j < b.length) out.push(b[j++]!);
  return out;
}

/** A path of field names (`fieldPath("metadata", "labels")` is `.metadata.labels`). */
export function fieldPath(...names: string[]): Path {
  return names.map((n) => ({ field: n }));
}
