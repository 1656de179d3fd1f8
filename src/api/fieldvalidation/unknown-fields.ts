// Unknown fields of a parsed object of a built-in kind, with upstream's
// paths: `spec.foo`, `spec.template.spec.containers[0].imagePullPolice`,
// `metadata.annotationz`. Types that accept anything (RawExtension,
// apiextensions JSON, JSONSchemaPropsOr*, FieldsV1) and scalar-like types
// (Quantity, IntOrString, Time, ...) are not descended; maps (labels,
// annotations, data, ...) accept any key and their struct values are
// checked; `apiVersion`/`kind` are known wherever the Go type embeds
// TypeMeta; `metadata` is ObjectMeta.
//
// The order of the result depends on where upstream finds the fields:
//  - 'document' (default): the object's key order, as the strict JSON
//    decoder reports a JSON body it reads (prefer scanStrictJson on the body
//    text for JSON requests: it also sees what JSON.parse drops);
//  - 'sorted': keys sorted at every level, as upstream reports the fields of
//    a YAML body (converted to JSON through a Go map) and of a JSON patch /
//    merge patch result (re-encoded through Go maps);
//  - 'converter': the order and paths of runtime.DefaultUnstructuredConverter
//    (strategic merge patch results): paths do not include map keys
//    (`...openAPIV3Schema.properties.foo` for a field `foo` of a property
//    schema) and the errors are sorted by their text.

import { LEAF, LIST, MAP, STRUCT, shapeForKind, type Shape } from './shapes.js';
import { strictErrorText } from './strict-json.js';

export type UnknownFieldOrder = 'document' | 'sorted' | 'converter';

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function keysOf(obj: Record<string, unknown>, sorted: boolean): string[] {
  const keys = Object.keys(obj);
  return sorted ? keys.sort(compareBytes) : keys;
}

/** Go's string order (byte-wise on UTF-8); equal to UTF-16 order outside surrogate pairs. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function child(path: string, key: string): string {
  return path === '' ? key : path + '.' + key;
}

function walk(v: unknown, shape: Shape, path: string, order: UnknownFieldOrder, out: string[]): void {
  switch (shape.k) {
    case STRUCT: {
      if (!isObject(v)) return;
      for (const key of keysOf(v, order === 'sorted')) {
        const f = shape.fields.get(key);
        if (f === undefined) {
          out.push(child(path, key));
          continue;
        }
        if (f.k === LEAF) continue;
        const fv = v[key];
        if (fv === null || fv === undefined) continue;
        walk(fv, f, child(path, key), order, out);
      }
      return;
    }
    case MAP: {
      if (!isObject(v) || shape.value.k === LEAF) return;
      for (const key of keysOf(v, order === 'sorted')) {
        const mv = v[key];
        if (mv === null || mv === undefined) continue;
        // The unstructured converter does not put map keys into paths.
        walk(mv, shape.value, order === 'converter' ? path : child(path, key), order, out);
      }
      return;
    }
    case LIST: {
      if (!Array.isArray(v)) return;
      for (let i = 0; i < v.length; i++) {
        const item = v[i];
        if (item === null || item === undefined) continue;
        walk(item, shape.item, `${path}[${i}]`, order, out);
      }
      return;
    }
    default:
      return;
  }
}

/**
 * Paths of the fields of `obj` that the Go type of `apiVersion`/`kind` does
 * not declare. Empty for kinds the schema table does not know (custom
 * resources). See the file comment for `order`.
 */
export function findUnknownFields(apiVersion: string, kind: string, obj: unknown, order: UnknownFieldOrder = 'document'): string[] {
  const shape = shapeForKind(apiVersion, kind);
  if (!shape) return [];
  const out: string[] = [];
  walk(obj, shape, '', order, out);
  if (order === 'converter') {
    // upstream sorts the error texts (`unknown field "<path>"`)
    const texts = out.map((p) => ({ p, t: strictErrorText({ type: 'unknown field', path: p }) }));
    texts.sort((a, b) => compareBytes(a.t, b.t));
    return texts.map((x) => x.p);
  }
  return out;
}

/** Whether the schema table knows `apiVersion`/`kind` (built-in kinds). */
export function hasFieldSchema(apiVersion: string, kind: string): boolean {
  return shapeForKind(apiVersion, kind) !== undefined;
}

function prune(v: unknown, shape: Shape): number {
  let removed = 0;
  switch (shape.k) {
    case STRUCT:
      if (!isObject(v)) return 0;
      for (const key of Object.keys(v)) {
        const f = shape.fields.get(key);
        if (f === undefined) {
          delete v[key];
          removed++;
        } else if (f.k !== LEAF) {
          removed += prune(v[key], f);
        }
      }
      return removed;
    case MAP:
      if (!isObject(v) || shape.value.k === LEAF) return 0;
      for (const key of Object.keys(v)) removed += prune(v[key], shape.value);
      return removed;
    case LIST:
      if (!Array.isArray(v)) return 0;
      for (const item of v) removed += prune(item, shape.item);
      return removed;
    default:
      return 0;
  }
}

/**
 * Removes, in place, the fields findUnknownFields reports, as decoding into
 * the Go type drops them upstream (whatever the fieldValidation directive):
 * what is stored and returned never has them. Returns how many were removed.
 * Does nothing for kinds the schema table does not know.
 */
export function pruneUnknownFields(apiVersion: string, kind: string, obj: unknown): number {
  const shape = shapeForKind(apiVersion, kind);
  if (!shape) return 0;
  return prune(obj, shape);
}
