// metadata.managedFields: decoding, encoding, and what upstream records for
// writes that are not server-side apply (create, update, patch), following
// k8s.io/apimachinery/pkg/util/managedfields/internal:
//  - the request's manager gains the fields it added or changed and keeps
//    the ones it had; every other manager loses the fields that changed or
//    were removed; managers left with nothing disappear;
//  - one entry per manager + operation + apiVersion + subresource (for
//    Apply entries: manager + subresource), its `time` set when the request
//    changed something it now owns;
//  - apiVersion, kind and the server-set metadata (name, namespace, uid,
//    resourceVersion, generation, creationTimestamp, ...) are never owned;
//  - an object that exists without managedFields is not tracked by updates
//    (only a create or an apply starts tracking); sending `managedFields: []`
//    clears them;
//  - at most 10 Update entries: the oldest are merged, per apiVersion, into
//    an `ancient-changes` entry;
//  - entries ordered by operation, time, manager, apiVersion, subresource.
// Every field set is compared in the request's version: kts does not convert
// objects between versions of a kind.

import { FieldSet, FieldsV1Error, goJsonString, fieldPath, type Path } from './fieldset.js';
import { compareObjects, type Comparison } from './typed.js';
import { gvkOf, isBuiltinKind, normalizeTyped, rootAtom, type Atom, type GroupVersionKind } from './schema.js';

export type Operation = 'Apply' | 'Update';

/** One entry of metadata.managedFields, as the API serializes it. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: Operation;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** The most Update entries an object keeps before the oldest are merged. */
export const MAX_UPDATE_MANAGERS = 10;
/** The entry the oldest Update entries are merged into. */
export const ANCIENT_CHANGES_MANAGER = 'ancient-changes';
/** The Update entry that takes the fields of an untracked object on its first apply. */
export const BEFORE_FIRST_APPLY_MANAGER = 'before-first-apply';
/** The manager used when a request names none. */
export const UNKNOWN_MANAGER = 'unknown';

/** A manager's fields, the version they are expressed in, and whether they were applied. */
export interface VersionedSet {
  readonly set: FieldSet;
  readonly apiVersion: string;
  readonly applied: boolean;
}

/** Decoded managedFields: sets and times by manager identifier. */
export class Managed {
  readonly fields: Map<string, VersionedSet>;
  readonly times: Map<string, string | undefined>;

  constructor(fields = new Map<string, VersionedSet>(), times = new Map<string, string | undefined>()) {
    this.fields = fields;
    this.times = times;
  }

  clone(): Managed {
    return new Managed(new Map(this.fields), new Map(this.times));
  }
}

/** A managedFields list that cannot be decoded. */
export class ManagedFieldsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManagedFieldsError';
  }
}

interface ManagerInfo {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  subresource?: string;
}

/**
 * The identifier of a manager: the JSON of its entry without time and
 * fields (and without apiVersion for Apply entries), as upstream builds it.
 */
export function managerIdentifier(info: ManagerInfo): string {
  const parts: string[] = [];
  if (info.manager) parts.push(`"manager":${goJsonString(info.manager)}`);
  if (info.operation) parts.push(`"operation":${goJsonString(info.operation)}`);
  if (info.apiVersion && info.operation !== 'Apply') parts.push(`"apiVersion":${goJsonString(info.apiVersion)}`);
  if (info.subresource) parts.push(`"subresource":${goJsonString(info.subresource)}`);
  return '{' + parts.join(',') + '}';
}

/** The manager, operation, apiVersion and subresource of an identifier. */
export function parseManagerIdentifier(id: string): ManagerInfo {
  try {
    const v = JSON.parse(id) as ManagerInfo;
    return v !== null && typeof v === 'object' ? v : { manager: id };
  } catch {
    return { manager: id };
  }
}

/** A metav1.Time as the API writes it (UTC, whole seconds); other text is kept. */
export function normalizeTime(t: string): string {
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) return t;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function timeSeconds(t: string | undefined): number {
  if (t === undefined) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/** Decodes a managedFields list (throws ManagedFieldsError). */
export function decodeManagedFields(list: unknown): Managed {
  const managed = new Managed();
  if (list === undefined || list === null) return managed;
  if (!Array.isArray(list)) throw new ManagedFieldsError('managedFields must be a list');
  list.forEach((raw, i) => {
    const e = (raw ?? {}) as Record<string, unknown>;
    const str = (k: string): string => {
      const v = e[k];
      if (v === undefined || v === null) return '';
      if (typeof v !== 'string') throw new ManagedFieldsError(`${k} must be a string in managed fields entry ${i}`);
      return v;
    };
    const operation = str('operation');
    if (operation !== 'Apply' && operation !== 'Update') throw new ManagedFieldsError('operation must be `Apply` or `Update`');
    const apiVersion = str('apiVersion');
    if (apiVersion.length < 1) throw new ManagedFieldsError('apiVersion must not be empty');
    const fieldsType = str('fieldsType');
    if (fieldsType === '') throw new ManagedFieldsError(`missing fieldsType in managed fields entry ${i}`);
    if (fieldsType !== 'FieldsV1') throw new ManagedFieldsError(`invalid fieldsType ${JSON.stringify(fieldsType)} in managed fields entry ${i}`);
    const info = { manager: str('manager'), operation, apiVersion, subresource: str('subresource') };
    const id = managerIdentifier(info);
    let set: FieldSet;
    try {
      set = FieldSet.fromFieldsV1(e.fieldsV1 ?? {});
    } catch (err) {
      if (err instanceof FieldsV1Error) throw new ManagedFieldsError(`error decoding versioned set from entry ${i}: error decoding set: ${err.message}`);
      throw err;
    }
    managed.fields.set(id, { set, apiVersion, applied: operation === 'Apply' });
    const time = str('time');
    managed.times.set(id, time === '' ? undefined : normalizeTime(time));
  });
  return managed;
}

/** Encodes decoded managedFields into the API's sorted list. */
export function encodeManagedFields(managed: Managed): ManagedFieldsEntry[] {
  const out: ManagedFieldsEntry[] = [];
  for (const [id, vs] of managed.fields) {
    const info = parseManagerIdentifier(id);
    const e: ManagedFieldsEntry = {};
    if (info.manager) e.manager = info.manager;
    const operation = vs.applied ? 'Apply' : (info.operation as Operation | undefined);
    if (operation) e.operation = operation;
    if (vs.apiVersion) e.apiVersion = vs.apiVersion;
    const time = managed.times.get(id);
    if (time !== undefined) e.time = time;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = vs.set.toFieldsV1();
    if (info.subresource) e.subresource = info.subresource;
    out.push(e);
  }
  const cmp = (a: string | undefined, b: string | undefined): number => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);
  out.sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      timeSeconds(p.time) - timeSeconds(q.time) ||
      cmp(p.manager, q.manager) ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource, q.subresource),
  );
  return out;
}

/** Whether a managedFields value asks for the managed fields to be reset: `[]` or `[{}]`. */
function isReset(list: unknown): boolean {
  if (!Array.isArray(list)) return false;
  if (list.length === 0) return true;
  return list.length === 1 && list[0] !== null && typeof list[0] === 'object' && Object.keys(list[0] as object).length === 0;
}

// ---------------------------------------------------------------------------
// The shared update step (upstream's merge.Updater.update / Update)

/** The fields never owned by anybody: upstream's stripMeta set. */
const STRIP_SET = FieldSet.fromPaths([
  fieldPath('apiVersion'),
  fieldPath('kind'),
  fieldPath('metadata'),
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map(
    (f) => fieldPath('metadata', f),
  ),
]);

/** What the typed comparison needs to know about the kind. */
export interface TypeContext {
  readonly atom: Atom;
  /** Built-in kinds are compared as upstream compares Go objects (with their zero values). */
  readonly builtin: boolean;
  /** Fields the request's strategy resets (for example `status` on the main resource); never owned, never conflicting. */
  readonly ignored?: FieldSet;
}

export function typeContext(gvk: GroupVersionKind, ignored?: FieldSet): TypeContext {
  return { atom: rootAtom(gvk), builtin: isBuiltinKind(gvk), ignored };
}

/** The object without metadata.managedFields (a shallow copy). */
export function withoutManagedFields(obj: unknown): Record<string, unknown> {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return {};
  const o = obj as Record<string, unknown>;
  const meta = o.metadata;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta) || !('managedFields' in meta)) return o;
  const { managedFields: _drop, ...rest } = meta as Record<string, unknown>;
  return { ...o, metadata: rest };
}

/** Compares two versions of an object the way upstream does for ownership. */
export function compareForOwnership(oldObj: unknown, newObj: unknown, ctx: TypeContext): Comparison {
  let lhs: unknown = withoutManagedFields(oldObj);
  let rhs: unknown = withoutManagedFields(newObj);
  if (ctx.builtin) {
    lhs = normalizeTyped(lhs, ctx.atom);
    rhs = normalizeTyped(rhs, ctx.atom);
  }
  const c = compareObjects(lhs, rhs, ctx.atom);
  if (ctx.ignored !== undefined && !ctx.ignored.empty()) {
    return {
      added: c.added.recursiveDifference(ctx.ignored),
      modified: c.modified.recursiveDifference(ctx.ignored),
      removed: c.removed.recursiveDifference(ctx.ignored),
    };
  }
  return c;
}

/**
 * Moves ownership after a change from `oldObj` to `newObj` made by
 * `workflow`: the other managers lose what changed (conflicts, refused
 * unless `force`) and what was removed. Mutates `managed`.
 */
export function updateOwnership(
  managed: Managed,
  oldObj: unknown,
  newObj: unknown,
  ctx: TypeContext,
  workflow: string,
  force: boolean,
): { compare: Comparison; conflicts?: undefined } | { conflicts: Map<string, FieldSet>; compare?: undefined } {
  const compare = compareForOwnership(oldObj, newObj, ctx);
  const changed = compare.modified.union(compare.added);
  const conflicts = new Map<string, FieldSet>();
  for (const [id, vs] of managed.fields) {
    if (id === workflow) continue;
    const c = vs.set.intersection(changed);
    if (!c.empty()) conflicts.set(id, c);
  }
  if (!force && conflicts.size > 0) return { conflicts };
  for (const [id, c] of conflicts) {
    const vs = managed.fields.get(id)!;
    managed.fields.set(id, { ...vs, set: vs.set.difference(c) });
  }
  if (!compare.removed.empty()) {
    for (const [id, vs] of managed.fields) {
      if (id === workflow) continue;
      managed.fields.set(id, { ...vs, set: vs.set.difference(compare.removed) });
    }
  }
  for (const [id, vs] of [...managed.fields]) if (vs.set.empty()) managed.fields.delete(id);
  return { compare };
}

/** Removes the never-owned fields from a manager's set (dropping it when nothing is left). */
export function stripMeta(managed: Managed, id: string): void {
  const vs = managed.fields.get(id);
  if (vs === undefined) return;
  const set = vs.set.difference(STRIP_SET);
  if (set.empty()) managed.fields.delete(id);
  else managed.fields.set(id, { ...vs, set });
}

const CURRENT_OPERATION = 'current-operation';

/**
 * Records a non-apply write by `manager` (upstream's Update chain below the
 * skip-non-applied step): mutates `managed`.
 */
export function recordUpdate(
  managed: Managed,
  oldObj: unknown,
  newObj: unknown,
  ctx: TypeContext,
  info: { manager: string; apiVersion: string; subresource?: string; time: string },
): void {
  const id = managerIdentifier({
    manager: info.manager || UNKNOWN_MANAGER,
    operation: 'Update',
    apiVersion: info.apiVersion,
    subresource: info.subresource,
  });
  // The write is first recorded under a temporary name, so that the
  // manager's own earlier fields are treated like anybody else's.
  const res = updateOwnership(managed, oldObj, newObj, ctx, CURRENT_OPERATION, true);
  const compare = res.compare!;
  const prev = managed.fields.get(CURRENT_OPERATION)?.set ?? new FieldSet();
  let set = prev.difference(compare.removed).union(compare.modified).union(compare.added);
  if (ctx.ignored !== undefined && !ctx.ignored.empty()) set = set.recursiveDifference(ctx.ignored);
  if (set.empty()) managed.fields.delete(CURRENT_OPERATION);
  else managed.fields.set(CURRENT_OPERATION, { set, apiVersion: info.apiVersion, applied: false });
  stripMeta(managed, CURRENT_OPERATION);
  const cur = managed.fields.get(CURRENT_OPERATION);
  if (cur !== undefined) {
    managed.fields.delete(CURRENT_OPERATION);
    const previous = managed.fields.get(id);
    managed.fields.set(id, { set: previous ? cur.set.union(previous.set) : cur.set, apiVersion: cur.apiVersion, applied: cur.applied });
    managed.times.set(id, normalizeTime(info.time));
  }
  capUpdateManagers(managed);
}

/** Merges the oldest Update entries into `ancient-changes` entries while there are more than MAX_UPDATE_MANAGERS. */
export function capUpdateManagers(managed: Managed, max = MAX_UPDATE_MANAGERS): void {
  const updaters = [...managed.fields].filter(([, vs]) => !vs.applied).map(([id]) => id);
  if (updaters.length <= max) return;
  updaters.sort((a, b) => {
    const ta = timeSeconds(managed.times.get(a));
    const tb = timeSeconds(managed.times.get(b));
    if (ta !== tb) return ta - tb;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const firstByVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > max; i++) {
    const id = updaters[i]!;
    const vs = managed.fields.get(id);
    if (vs === undefined) continue;
    const time = managed.times.get(id);
    const version = vs.apiVersion;
    const bucket = managerIdentifier({ manager: ANCIENT_CHANGES_MANAGER, operation: 'Update', apiVersion: version });
    const first = firstByVersion.get(version);
    if (first === undefined) {
      firstByVersion.set(version, id);
      continue;
    }
    if (!managed.fields.has(bucket)) {
      const s = managed.fields.get(first)!;
      managed.fields.delete(first);
      managed.fields.set(bucket, s);
    }
    managed.fields.set(bucket, { set: vs.set.union(managed.fields.get(bucket)!.set), apiVersion: vs.apiVersion, applied: vs.applied });
    managed.fields.delete(id);
    length--;
    managed.times.set(bucket, time);
  }
  for (const id of [...managed.times.keys()]) if (!managed.fields.has(id)) managed.times.delete(id);
}

// ---------------------------------------------------------------------------
// The API

export interface UpdateManagedFieldsOptions {
  /** The request's field manager (the fieldManager parameter, or the name derived from the User-Agent). */
  manager: string;
  operation?: 'Update';
  /** Now, RFC 3339. */
  time: string;
  /** The version of the request ("apps/v1", "v1"). */
  apiVersion: string;
  /** The subresource written ("status", "scale"), if any. */
  subresource?: string;
  /** The kind; defaults to the new object's apiVersion and kind. */
  gvk?: GroupVersionKind;
  /** Fields the strategy resets for this request (e.g. `status` on the main resource, `spec` on status). */
  ignoredFields?: FieldSet;
}

/**
 * The metadata.managedFields upstream records for a create, update or
 * (non-apply) patch: `oldObj` is the stored object (undefined on create),
 * `newObj` the object about to be stored (after defaulting, before the
 * strategy and admission change it; managedFields it carries replace the
 * stored ones, `[]` clears them). Returns the new list, empty when the
 * object is not tracked (then omit metadata.managedFields). Never throws:
 * when the objects cannot be compared the stored list is returned, as
 * upstream does.
 */
export function updateManagedFields(oldObj: any | undefined, newObj: any, opts: UpdateManagedFieldsOptions): ManagedFieldsEntry[] {
  const liveList = oldObj?.metadata?.managedFields;
  const fallback = (): ManagedFieldsEntry[] => (Array.isArray(liveList) ? liveList : []);
  try {
    const decodeOrEmpty = (list: unknown): Managed => {
      try {
        return decodeManagedFields(list);
      } catch {
        return new Managed();
      }
    };
    let managed: Managed;
    const newList = newObj?.metadata?.managedFields;
    if (opts.subresource) {
      managed = decodeOrEmpty(liveList);
    } else if (isReset(newList)) {
      managed = new Managed();
    } else {
      let fromNew: Managed | undefined;
      try {
        fromNew = newList === undefined ? undefined : decodeManagedFields(newList);
      } catch {
        fromNew = undefined;
      }
      managed = fromNew !== undefined && fromNew.fields.size > 0 ? fromNew : decodeOrEmpty(liveList);
    }
    // An existing object without managed fields is not tracked by updates.
    const uid = oldObj?.metadata?.uid;
    if (managed.fields.size === 0 && typeof uid === 'string' && uid !== '') return [];
    const ctx = typeContext(opts.gvk ?? gvkOf(newObj), opts.ignoredFields);
    recordUpdate(managed, oldObj ?? {}, newObj, ctx, {
      manager: opts.manager,
      apiVersion: opts.apiVersion,
      subresource: opts.subresource,
      time: opts.time,
    });
    return encodeManagedFields(managed);
  } catch {
    return fallback();
  }
}

/**
 * Sets (or, for an empty list, removes) metadata.managedFields on a copy of
 * the object.
 */
export function withManagedFields<T>(obj: T, entries: readonly ManagedFieldsEntry[]): T {
  const o = { ...(obj as Record<string, unknown>) };
  const meta = { ...((o.metadata as Record<string, unknown> | undefined) ?? {}) };
  if (entries.length === 0) delete meta.managedFields;
  else meta.managedFields = [...entries];
  o.metadata = meta;
  return o as T;
}

/** The reset-field set for simple cases: `status` for writes to the main resource, `spec` for the status subresource. */
export function defaultResetFields(subresource: string | undefined, hasStatusSubresource: boolean): FieldSet | undefined {
  if (!hasStatusSubresource) return undefined;
  if (!subresource) return FieldSet.fromPaths([fieldPath('status')]);
  if (subresource === 'status') return FieldSet.fromPaths([fieldPath('spec')]);
  return undefined;
}

export type { Path };
