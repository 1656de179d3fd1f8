// RFC 7386 / RFC 7396 JSON Merge Patch (application/merge-patch+json):
// objects merge recursively, `null` removes a member, anything else
// (arrays included) replaces the target. Inputs are never mutated.

import { badRequest } from './errors.js';

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function mergeInto(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '__proto__') continue; // assigning it would change the prototype, not add a member
    if (v === null) delete out[k];
    else out[k] = mergeInto(out[k], v);
  }
  return out;
}

/** Applies an RFC 7396 JSON merge patch to `doc` and returns the result. */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  return mergeInto(structuredClone(doc), patch);
}

/**
 * applyMergePatch for an API object, as kube-apiserver applies
 * application/merge-patch+json: the patch must be a JSON object (anything
 * else is a 400 "Invalid JSON Patch"), and so must the document.
 */
export function applyMergePatchToObject(doc: unknown, patch: unknown): Record<string, unknown> {
  if (!isObject(patch)) throw badRequest('Invalid JSON Patch');
  if (!isObject(doc)) throw badRequest('Invalid JSON Document');
  return mergeInto(structuredClone(doc), patch) as Record<string, unknown>;
}

/**
 * Computes a JSON merge patch that turns `original` into `modified` (the
 * inverse of applyMergePatch): changed members carry their new value,
 * removed members are `null`, arrays are sent whole.
 */
export function createMergePatch(original: unknown, modified: unknown): unknown {
  if (!isObject(original) || !isObject(modified)) return structuredClone(modified);
  const patch: JsonObject = {};
  for (const k of Object.keys(original)) {
    if (!(k in modified)) patch[k] = null;
  }
  for (const [k, v] of Object.entries(modified)) {
    if (!(k in original)) {
      patch[k] = structuredClone(v);
      continue;
    }
    const o = original[k];
    if (isObject(o) && isObject(v)) {
      const sub = createMergePatch(o, v) as JsonObject;
      if (Object.keys(sub).length > 0) patch[k] = sub;
    } else if (!jsonEqual(o, v)) {
      patch[k] = structuredClone(v);
    }
  }
  return patch;
}

/** Deep equality of JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEqual(ao[k], bo[k]));
}
