// RFC 6902 JSON Patch (application/json-patch+json), applied with fast-json-patch.
//
// As upstream: a body that is not a list of objects is a malformed request
// (400); an operation that cannot be applied — unknown op, missing field, a
// path that does not exist, a failed `test` — makes the whole patch fail with
// 422, and more than 10000 operations is 413. Inputs are never mutated.

import jsonpatch from 'fast-json-patch';
import { PatchError, badRequest, unprocessable } from './errors.js';

/** kube-apiserver's limit on the number of operations in one JSON patch. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

interface Op {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function describe(op: unknown): string {
  try {
    return JSON.stringify(op);
  } catch {
    return String(op);
  }
}

function checkPointer(p: string, what: string, i: number, op: unknown): void {
  if (p !== '' && !p.startsWith('/')) {
    throw unprocessable(`json patch operation ${i} ${describe(op)}: ${what} "${p}" is not a JSON pointer (it must be empty or start with "/")`);
  }
  // "~" must be followed by 0 or 1 (RFC 6901).
  if (/~(?![01])/.test(p)) {
    throw unprocessable(`json patch operation ${i} ${describe(op)}: ${what} "${p}" has an invalid escape sequence`);
  }
}

/** Validates the shape of a JSON patch document and returns its operations (copied). */
export function parseJsonPatch(ops: unknown): Op[] {
  if (!Array.isArray(ops)) {
    throw badRequest(`json patch must be a JSON array of operations, got ${ops === null ? 'null' : typeof ops}`);
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(413, `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`);
  }
  const out: Op[] = [];
  ops.forEach((raw, i) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw badRequest(`json patch operation ${i} must be a JSON object, got ${describe(raw)}`);
    }
    const o = raw as Record<string, unknown>;
    if (typeof o.op !== 'string') throw unprocessable(`json patch operation ${i} ${describe(o)}: missing "op"`);
    if (!OPS.has(o.op)) throw unprocessable(`json patch operation ${i}: unexpected op "${o.op}" (must be one of add, remove, replace, move, copy, test)`);
    if (typeof o.path !== 'string') throw unprocessable(`json patch operation ${i} ${describe(o)}: missing "path"`);
    checkPointer(o.path, 'path', i, o);
    const op: Op = { op: o.op, path: o.path };
    if (o.op === 'move' || o.op === 'copy') {
      if (typeof o.from !== 'string') throw unprocessable(`json patch ${o.op} operation ${i} ${describe(o)}: missing "from"`);
      checkPointer(o.from, 'from', i, o);
      if (o.op === 'move' && o.path !== o.from && o.path.startsWith(o.from + '/')) {
        throw unprocessable(`json patch move operation ${i}: cannot move "${o.from}" into its own child "${o.path}"`);
      }
      op.from = o.from;
    }
    if (o.op === 'add' || o.op === 'replace' || o.op === 'test') {
      if (!('value' in o) || o.value === undefined) throw unprocessable(`json patch ${o.op} operation ${i} ${describe(o)}: missing "value"`);
      op.value = structuredClone(o.value);
    }
    out.push(op);
  });
  return out;
}

function messageFor(err: { name?: string; message?: string }, op: Op, i: number): string {
  const at = `json patch ${op.op} operation ${i}`;
  switch (err.name) {
    case 'TEST_OPERATION_FAILED':
      return `${at}: testing value ${op.path} failed: the value differs from ${describe(op.value)}`;
    case 'OPERATION_PATH_UNRESOLVABLE':
      return `${at} does not apply: path "${op.path}" does not exist in the object`;
    case 'OPERATION_FROM_UNRESOLVABLE':
      return `${at} does not apply: from path "${op.from}" does not exist in the object`;
    case 'OPERATION_PATH_CANNOT_ADD':
      return `${at} does not apply: the parent of path "${op.path}" does not exist in the object`;
    case 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX':
      return `${at} does not apply: path "${op.path}" uses an invalid array index`;
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
      return `${at} does not apply: the array index in path "${op.path}" is out of bounds`;
    default:
      return `${at} does not apply: ${err.message ?? String(err)}`;
  }
}

function decodeSegment(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

/**
 * Rewrites negative array indices the way upstream's JSON patch library
 * accepts them (a non-standard extension kube-apiserver has on): `-1` is the
 * last element, and for the final segment of an `add` it is the end of the list.
 * Returns the pointer unchanged when it has none.
 */
function resolveNegativeIndices(doc: unknown, pointer: string, isAddTarget: boolean, at: string): string {
  if (!/\/-\d/.test(pointer)) return pointer;
  const segs = pointer.split('/').slice(1);
  let cur: unknown = doc;
  for (let i = 0; i < segs.length; i++) {
    if (Array.isArray(cur) && /^-\d+$/.test(segs[i])) {
      const last = i === segs.length - 1;
      const size = cur.length + (last && isAddTarget ? 1 : 0);
      const idx = Number(segs[i]) + size;
      if (idx < 0) throw unprocessable(`${at} does not apply: array index ${segs[i]} in path "${pointer}" is out of bounds`);
      segs[i] = String(idx);
    }
    if (cur === null || typeof cur !== 'object') break;
    cur = (cur as Record<string, unknown>)[Array.isArray(cur) ? segs[i] : decodeSegment(segs[i])];
  }
  return '/' + segs.join('/');
}

/** Whether `pointer` names a missing member of an existing object (the parent resolves, the last key does not). */
function isMissingMember(doc: unknown, pointer: string): boolean {
  const segs = pointer.split('/').slice(1).map(decodeSegment);
  let cur: unknown = doc;
  for (let i = 0; i < segs.length; i++) {
    if (cur === null || typeof cur !== 'object') return false;
    const last = i === segs.length - 1;
    if (Array.isArray(cur)) {
      if (last) return false;
      cur = cur[Number(segs[i])];
      continue;
    }
    const o = cur as Record<string, unknown>;
    if (!Object.prototype.hasOwnProperty.call(o, segs[i])) return last;
    cur = o[segs[i]];
  }
  return false;
}

/**
 * Applies an RFC 6902 JSON patch to `doc` and returns the patched document.
 * `doc` and `ops` are not modified. Throws PatchError (400/413/422).
 */
export function applyJsonPatch(doc: unknown, ops: unknown): unknown {
  const parsed = parseJsonPatch(ops);
  let current: unknown = structuredClone(doc);
  parsed.forEach((parsedOp, i) => {
    let op = parsedOp;
    // Paths must exist along the way: only the last segment of `add` may be new.
    if (op.path !== '' && (current === null || typeof current !== 'object')) {
      throw unprocessable(`json patch ${op.op} operation ${i} does not apply: path "${op.path}" does not exist in the object`);
    }
    const at = `json patch ${op.op} operation ${i}`;
    op = { ...op, path: resolveNegativeIndices(current, op.path, op.op === 'add' || op.op === 'move' || op.op === 'copy', at) };
    if (op.from !== undefined) op.from = resolveNegativeIndices(current, op.from, false, at);
    // As upstream, testing a missing member against null succeeds.
    if (op.op === 'test' && op.value === null && isMissingMember(current, op.path)) return;
    try {
      if (op.op === 'move' && op.from === op.path) return; // a no-op by RFC 6902
      const res = jsonpatch.applyOperation(current, op as never, true, true, true, i);
      current = res.newDocument;
    } catch (e) {
      const err = e as { name?: string; message?: string };
      if (err instanceof PatchError) throw err;
      throw unprocessable(messageFor(err, op, i));
    }
  });
  return current;
}
