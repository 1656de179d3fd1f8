// Go renderings of decoded JSON values that upstream puts into field
// validation messages.

import { goNumber } from '../validation/errors.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function byBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * fmt's `%+v` (= `%v`) of a value decoded by sigs.k8s.io/json into
 * interface{} with PreserveInts: maps as `map[k:v k2:v2]` with sorted keys,
 * slices as `[a b]`, strings bare, integers as int64, other numbers as
 * float64 (`1.5`, `1e+21`), null as `<nil>`.
 */
export function goSprintV(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  switch (typeof v) {
    case 'string':
      return v;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return goNumber(v);
    case 'bigint':
      return v.toString();
    default:
      break;
  }
  if (Array.isArray(v)) return '[' + v.map(goSprintV).join(' ') + ']';
  if (isObject(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort(byBytes);
    return 'map[' + keys.map((k) => k + ':' + goSprintV(v[k])).join(' ') + ']';
  }
  return String(v);
}

const HTML_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * encoding/json's output for a JSON value held in Go maps: object keys
 * sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped. Upstream shows a JSON
 * patch / merge patch result this way in its 422 (the patched document is
 * re-encoded through Go maps; untouched nested objects keep the stored
 * order there, which kts cannot know, so this is close, not exact).
 */
export function goJsonText(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return goJsonString(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'bigint':
      return v.toString();
    default:
      break;
  }
  if (Array.isArray(v)) return '[' + v.map(goJsonText).join(',') + ']';
  if (isObject(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort(byBytes);
    return '{' + keys.map((k) => goJsonString(k) + ':' + goJsonText(v[k])).join(',') + '}';
  }
  return 'null';
}
