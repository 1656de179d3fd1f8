// A single-pass scanner over JSON text that reports what upstream's strict
// decoder (sigs.k8s.io/json UnmarshalStrict, used by the API server's strict
// JSON serializer) reports, in the same order and with the same paths:
//
//  - `unknown field "spec.foo"`: a key a struct does not declare. Its value is
//    skipped without looking inside (so a key that is both unknown and
//    repeated is reported as unknown only, once);
//  - `duplicate field "spec.replicas"`: a struct field or map key seen twice
//    in the same object (every repetition is checked, reported once).
//
// Paths join keys with `.` and list indices as `[i]`
// (`spec.template.spec.containers[0].imagePullPolicy`); map keys are path
// elements too (`metadata.labels.app`). Errors come in document order,
// deduplicated, at most 100 (upstream's cap). Values of types with their own
// JSON decoder (Quantity, Time, RawExtension, ...) are skipped unread, and so
// is a value whose JSON type does not fit the Go type (upstream fails that
// request with a type error anyway).
//
// The scanner never builds values: it walks the text with charCodeAt,
// skips strings with indexOf and only slices out object keys. Input is
// expected to be valid JSON (the request body was parsed already); on
// malformed input it stops and returns what it found so far.

import { goQuote } from '../validation/errors.js';
import { ANY, ANY_SHAPE, LEAF, LIST, MAP, STRUCT, type Shape, type StructShape } from './shapes.js';

export type StrictErrorType = 'unknown field' | 'duplicate field';

export interface StrictFieldError {
  readonly type: StrictErrorType;
  /** Field path, e.g. `spec.template.spec.containers[0].imagePullPolicy`. */
  readonly path: string;
}

/** Upstream's text of a strict error: `unknown field "spec.foo"`. */
export function strictErrorText(e: StrictFieldError): string {
  return `${e.type} ${goQuote(e.path)}`;
}

/** Upstream keeps at most this many strict errors per decode. */
export const MAX_STRICT_ERRORS = 100;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

class Malformed extends Error {}
const MALFORMED = new Malformed('malformed JSON');

/** Keys seen in one object: an array while small, a Set once large. */
class SeenKeys {
  private readonly arr: string[] = [];
  private n = 0;
  private set: Set<string> | null = null;

  reset(): void {
    this.n = 0;
    this.set = null;
  }

  /** Records a key; true when it was seen before. */
  add(key: string): boolean {
    if (this.set !== null) {
      if (this.set.has(key)) return true;
      this.set.add(key);
      return false;
    }
    const arr = this.arr;
    const n = this.n;
    for (let i = 0; i < n; i++) if (arr[i] === key) return true;
    if (n < 16) {
      arr[n] = key;
      this.n = n + 1;
    } else {
      this.set = new Set(arr);
      this.set.add(key);
    }
    return false;
  }
}

class Scanner {
  private i = 0;
  private readonly n: number;
  /** Path segments: `spec`, `.template`, `[0]`, ... */
  private readonly segs: string[] = [];
  private readonly pool: SeenKeys[] = [];
  readonly errors: StrictFieldError[] = [];
  private readonly reported = new Set<string>();

  constructor(private readonly s: string) {
    this.n = s.length;
  }

  run(root: Shape): void {
    try {
      this.value(root);
    } catch (e) {
      if (!(e instanceof Malformed) && !(e instanceof RangeError)) throw e;
    }
  }

  private report(type: StrictErrorType, key: string): void {
    if (this.errors.length >= MAX_STRICT_ERRORS) return;
    const path = this.segs.length === 0 ? key : this.segs.join('') + '.' + key;
    const id = type === 'unknown field' ? 'u' + path : 'd' + path;
    if (this.reported.has(id)) return;
    this.reported.add(id);
    this.errors.push({ type, path });
  }

  /** Skips whitespace; returns the next char code (NaN at the end). */
  private ws(): number {
    const s = this.s;
    let i = this.i;
    let c = s.charCodeAt(i);
    while (c <= 0x20) c = s.charCodeAt(++i);
    this.i = i;
    return c;
  }

  private seen(depth: number): SeenKeys {
    let k = this.pool[depth];
    if (k === undefined) {
      k = new SeenKeys();
      this.pool[depth] = k;
    } else {
      k.reset();
    }
    return k;
  }

  /** Index of the closing quote of the string whose opening quote is at `start`. */
  private stringEnd(start: number): number {
    const s = this.s;
    let from = start + 1;
    for (;;) {
      const q = s.indexOf('"', from);
      if (q < 0) throw MALFORMED;
      let b = q - 1;
      while (s.charCodeAt(b) === BACKSLASH) b--;
      if (((q - 1 - b) & 1) === 0) return q;
      from = q + 1;
    }
  }

  /** Reads an object key at `this.i` (an opening quote). */
  private key(): string {
    const s = this.s;
    const start = this.i;
    // keys are short: a plain loop beats indexOf; escapes take the slow path
    let i = start + 1;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === QUOTE) break;
      if (c === BACKSLASH) return this.escapedKey(start);
      if (c !== c) throw MALFORMED;
      i++;
    }
    this.i = i + 1;
    return s.slice(start + 1, i);
  }

  private escapedKey(start: number): string {
    const end = this.stringEnd(start);
    this.i = end + 1;
    try {
      return JSON.parse(this.s.slice(start, end + 1)) as string;
    } catch {
      throw MALFORMED;
    }
  }

  /** Skips one value of any type starting at `this.i`. */
  private skip(): void {
    const s = this.s;
    const c = this.ws();
    if (c === QUOTE) {
      this.i = this.stringEnd(this.i) + 1;
      return;
    }
    if (c === LBRACE || c === LBRACKET) {
      let depth = 0;
      let i = this.i;
      for (;;) {
        const ch = s.charCodeAt(i);
        if (ch === QUOTE) {
          i = this.stringEnd(i) + 1;
          continue;
        }
        if (ch === LBRACE || ch === LBRACKET) depth++;
        else if (ch === RBRACE || ch === RBRACKET) {
          if (--depth === 0) {
            this.i = i + 1;
            return;
          }
        } else if (ch !== ch) {
          throw MALFORMED; // NaN: end of input
        }
        i++;
      }
    }
    // number, true, false, null
    let i = this.i;
    for (;;) {
      const ch = s.charCodeAt(i);
      if (ch === COMMA || ch === RBRACE || ch === RBRACKET || ch <= 0x20 || ch !== ch) break;
      i++;
    }
    if (i === this.i) throw MALFORMED;
    this.i = i;
  }

  private value(shape: Shape): void {
    const c = this.ws();
    if (c === LBRACE) {
      switch (shape.k) {
        case STRUCT:
          this.struct(shape);
          return;
        case MAP:
          this.map(shape.value);
          return;
        case ANY:
          this.map(ANY_SHAPE);
          return;
      }
    } else if (c === LBRACKET) {
      if (shape.k === LIST) {
        this.list(shape.item);
        return;
      }
      if (shape.k === ANY) {
        this.list(ANY_SHAPE);
        return;
      }
    }
    this.skip();
  }

  /** After a member's value: `,` (true, positioned on the next key) or the closing char (false). */
  private next(close: number): boolean {
    const c = this.ws();
    if (c === COMMA) {
      this.i++;
      if (this.ws() !== QUOTE && close === RBRACE) throw MALFORMED;
      return true;
    }
    if (c === close) {
      this.i++;
      return false;
    }
    throw MALFORMED;
  }

  private colon(): void {
    if (this.ws() !== COLON) throw MALFORMED;
    this.i++;
  }

  private struct(shape: StructShape): void {
    this.i++; // {
    const c = this.ws();
    if (c === RBRACE) {
      this.i++;
      return;
    }
    if (c !== QUOTE) throw MALFORMED;
    const segs = this.segs;
    const seen = this.seen(segs.length);
    const fields = shape.fields;
    do {
      const key = this.key();
      this.colon();
      const f = fields.get(key);
      if (f === undefined) {
        this.report('unknown field', key);
        this.skip();
      } else {
        if (seen.add(key)) this.report('duplicate field', key);
        if (f.k === LEAF) {
          this.skip();
        } else {
          segs.push(segs.length === 0 ? key : '.' + key);
          this.value(f);
          segs.pop();
        }
      }
    } while (this.next(RBRACE));
  }

  private map(value: Shape): void {
    this.i++; // {
    const c = this.ws();
    if (c === RBRACE) {
      this.i++;
      return;
    }
    if (c !== QUOTE) throw MALFORMED;
    const segs = this.segs;
    const seen = this.seen(segs.length);
    const descend = value.k !== LEAF;
    do {
      const key = this.key();
      this.colon();
      if (seen.add(key)) this.report('duplicate field', key);
      if (descend) {
        const v = this.ws();
        if (v === LBRACE || v === LBRACKET) {
          segs.push(segs.length === 0 ? key : '.' + key);
          this.value(value);
          segs.pop();
        } else {
          this.skip();
        }
      } else {
        this.skip();
      }
    } while (this.next(RBRACE));
  }

  private list(item: Shape): void {
    this.i++; // [
    if (this.ws() === RBRACKET) {
      this.i++;
      return;
    }
    const segs = this.segs;
    const descend = item.k !== LEAF;
    let index = 0;
    do {
      if (descend) {
        const v = this.ws();
        if (v === LBRACE || v === LBRACKET) {
          segs.push('[' + index + ']');
          this.value(item);
          segs.pop();
        } else {
          this.skip();
        }
      } else {
        this.skip();
      }
      index++;
    } while (this.next(RBRACKET));
  }
}

/**
 * Strictly scans JSON text against a shape: unknown and duplicate fields in
 * document order, as upstream's UnmarshalStrict reports them.
 */
export function scanStrictJson(text: string, root: Shape): StrictFieldError[] {
  const sc = new Scanner(text);
  sc.run(root);
  return sc.errors;
}
