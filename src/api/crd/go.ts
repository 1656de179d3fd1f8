// Helpers for custom resources held as plain JSON: deep equality and
// copying, and the Go renderings upstream's error messages and table cells
// use for `interface{}` values (`%#v` of unstructured maps and slices, and
// encoding/json's Marshal output).

import { GoValue, goNumber, goQuote } from '../validation/errors.js';

export type JSONObject = Record<string, any>;

export function isObj(v: unknown): v is JSONObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** Structural JSON equality (reflect.DeepEqual over decoded JSON). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return typeof a === 'number' && typeof b === 'number' ? Number.isNaN(a) && Number.isNaN(b) : false;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!hasOwn(b as object, k)) return false;
    if (!deepEqual((a as any)[k], (b as any)[k])) return false;
  }
  return true;
}

/** Deep copy of a JSON value (undefined stays undefined). */
export function deepCopy<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => deepCopy(x)) as unknown as T;
  const out: JSONObject = {};
  for (const k of Object.keys(v as object)) out[k] = deepCopy((v as any)[k]);
  return out as T;
}

/** Whether a JSON number decodes to an int64 in Go's unstructured JSON (a whole number in int64 range). */
export function isGoInt(n: number): boolean {
  return Number.isInteger(n) && Math.abs(n) <= 9223372036854775807;
}

/** `%#v` of a value held in an `interface{}` after unstructured JSON decoding. */
export function goInterface(v: unknown, nested = false): string {
  if (v === null || v === undefined) return nested ? 'interface {}(nil)' : '<nil>';
  switch (typeof v) {
    case 'string':
      return goQuote(v);
    case 'number':
      return goNumber(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      break;
  }
  if (Array.isArray(v)) return `[]interface {}{${v.map((x) => goInterface(x, true)).join(', ')}}`;
  const o = v as JSONObject;
  const keys = Object.keys(o).sort();
  return `map[string]interface {}{${keys.map((k) => `${goQuote(k)}:${goInterface(o[k], true)}`).join(', ')}}`;
}

/**
 * The value a field error carries for a JSON value: scalars as themselves
 * (rendered `%v` / `%q` by the error), maps and slices pre-rendered `%#v`.
 */
export function errValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (v !== null && typeof v === 'object') return new GoValue(goInterface(v));
  return v;
}

function goJSONString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '<':
      case '>':
      case '&':
        out += '\\u00' + cp.toString(16);
        continue;
    }
    if (cp < 0x20 || cp === 0x2028 || cp === 0x2029) out += '\\u' + cp.toString(16).padStart(4, '0');
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else out += ch;
  }
  return out + '"';
}

/** Go's encoding/json Marshal of decoded JSON: sorted keys, HTML-safe escaping, no spaces. */
export function goJSON(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return goJSONString(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      break;
  }
  if (Array.isArray(v)) return `[${v.map((x) => goJSON(x)).join(',')}]`;
  const o = v as JSONObject;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${goJSONString(k)}:${goJSON(o[k])}`)
    .join(',')}}`;
}

/** Go's `fmt.Sprint` of a decoded JSON scalar (numbers as %v, maps/slices as `map[a:b]` / `[a b]`). */
export function goSprint(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return goNumber(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      break;
  }
  if (Array.isArray(v)) return `[${v.map((x) => goSprint(x)).join(' ')}]`;
  const o = v as JSONObject;
  return `map[${Object.keys(o)
    .sort()
    .map((k) => `${k}:${goSprint(o[k])}`)
    .join(' ')}]`;
}

/** Go's `%v` of a float64 (shortest representation, exponent form below 1e-4 and from 1e6 up, as strconv's shortest %g). */
export function goFloat(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 6) {
    const [mant, e] = n.toExponential().split('e');
    const sign = e.startsWith('-') ? '-' : '+';
    return `${mant}e${sign}${e.replace(/^[-+]/, '').padStart(2, '0')}`;
  }
  return String(n);
}
