// Server-side apply (PATCH with application/apply-patch+yaml), with the
// semantics of kube-apiserver 1.32 (k8s.io/apimachinery managedfields and
// sigs.k8s.io/structured-merge-diff merge.Updater.Apply):
//
//  - the applied configuration is merged into the live object (objects field
//    by field, associative lists item by item, atomic values replaced);
//  - the configuration's field set becomes the manager's `Apply` entry;
//  - fields the manager applied last time and no longer applies are removed
//    from the object, unless another manager owns them too;
//  - a field whose value changes and that another manager owns is a
//    conflict: the request fails with 409 unless it is forced, in which case
//    the other manager loses the field; applying the value a field already
//    has shares its ownership instead;
//  - applying to an object that does not exist creates it;
//  - an object without managedFields first gets a `before-first-apply`
//    Update entry owning all its fields;
//  - for the manager `kubectl` (kubectl apply --server-side), conflicts on
//    fields whose live value is still what the last-applied-configuration
//    annotation says are not conflicts: the fields move to the applier (the
//    upgrade from client-side apply), and the annotation, when present, is
//    rewritten to the new configuration.
//
// The result carries metadata.managedFields. Defaulting and validation of
// the merged object are the caller's business, as is the strategy (which
// resets status on the main resource: pass `ignoredFields`).

import { badRequest } from '../patch/errors.js';
import { FieldSet, goJson, goQuote, pathToString, valuesEqual, type Path } from './fieldset.js';
import {
  BEFORE_FIRST_APPLY_MANAGER,
  Managed,
  ManagedFieldsError,
  UNKNOWN_MANAGER,
  decodeManagedFields,
  encodeManagedFields,
  managerIdentifier,
  normalizeTime,
  parseManagerIdentifier,
  recordUpdate,
  stripMeta,
  typeContext,
  updateOwnership,
  withoutManagedFields,
  type ManagedFieldsEntry,
  type TypeContext,
} from './managed-fields.js';
import { gvkOf, normalizeTyped, type GroupVersionKind } from './schema.js';
import {
  TypedValueError,
  compareObjects,
  dropNewNulls,
  ensureNamedFieldsAreMembers,
  mergeObjects,
  removeItems,
  toFieldSet,
  validateTyped,
} from './typed.js';

/** The annotation kubectl's client-side apply keeps the last applied configuration in. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** The field manager of `kubectl apply --server-side`, the only one the client-side-apply upgrade applies to. */
export const KUBECTL_MANAGER = 'kubectl';
/** Upstream's limit on the total size of an object's annotations. */
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** An apply that fails for a reason other than a conflict (upstream answers 500 for these). */
export class ApplyError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(code: number, message: string, reason = '') {
    super(message);
    this.name = 'ApplyError';
    this.code = code;
    this.reason = reason;
  }
}

export interface ServerSideApplyOptions {
  /** The fieldManager parameter (required for apply by the API). */
  manager: string;
  /** The force parameter. */
  force: boolean;
  /** The kind of the request's resource, in the request's version. */
  gvk: GroupVersionKind;
  /** Now, RFC 3339. */
  time: string;
  /** The request's version ("apps/v1", "v1"). */
  apiVersion: string;
  /** The subresource applied to ("status", "scale"), if any. */
  subresource?: string;
  /** Fields the strategy resets for this request (e.g. `status` on the main resource); never owned, never conflicting. */
  ignoredFields?: FieldSet;
}

/** A field whose change another manager owns. */
export interface ApplyConflict {
  /** The other manager's name. */
  manager: string;
  /** Its operation. */
  operation: 'Apply' | 'Update';
  /** For an Update manager: the version it wrote with. */
  apiVersion?: string;
  /** The subresource it wrote to, if any. */
  subresource?: string;
  /** The field, as upstream prints it: `.spec.replicas`, `.spec.template.spec.containers[name="nginx"].image`. */
  field: string;
  /** The field's path. */
  path: Path;
}

export type ServerSideApplyResult = { object: any; conflicts?: undefined } | { conflicts: ApplyConflict[]; object?: undefined };

function gvkString(gvk: GroupVersionKind): string {
  return `${gvk.group}/${gvk.version}, Kind=${gvk.kind}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function describe(obj: unknown, gvk: GroupVersionKind): string {
  const meta = (isObject(obj) && isObject(obj.metadata) ? obj.metadata : {}) as Record<string, unknown>;
  const ns = typeof meta.namespace === 'string' ? meta.namespace : '';
  const name = typeof meta.name === 'string' ? meta.name : '';
  const g = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
  return `${ns}/${name}; ${g}, Kind=${gvk.kind}`;
}

/**
 * Applies a configuration. `live` is the stored object (undefined when it
 * does not exist: the apply creates it), `applied` the parsed apply patch.
 * Returns the object to store (with metadata.managedFields) or the
 * conflicts. Throws PatchError (400) for an apply patch of the wrong kind or
 * with managedFields, ApplyError (500) for configurations or stored objects
 * that do not fit the schema (duplicate or missing list keys), as upstream.
 */
export function serverSideApply(live: any | undefined, applied: any, opts: ServerSideApplyOptions): ServerSideApplyResult {
  if (!isObject(applied)) throw badRequest('the apply patch must be an object');
  const appliedGvk = gvkOf(applied);
  if (appliedGvk.group !== opts.gvk.group || appliedGvk.version !== opts.gvk.version || appliedGvk.kind !== opts.gvk.kind) {
    throw badRequest(`invalid object type: ${gvkString(appliedGvk)}`);
  }
  const appliedMeta = applied.metadata;
  if (isObject(appliedMeta) && appliedMeta.managedFields !== undefined && appliedMeta.managedFields !== null) {
    throw badRequest('metadata.managedFields must be nil');
  }

  let base: Managed;
  try {
    base = decodeManagedFields(live?.metadata?.managedFields);
  } catch (e) {
    if (e instanceof ManagedFieldsError) throw new ApplyError(500, `failed to decode managed fields: ${e.message}`);
    throw e;
  }
  const ctx = typeContext(opts.gvk, opts.ignoredFields);
  const liveObj: Record<string, unknown> = isObject(live) ? live : {};

  try {
    validateTyped(applied, ctx.atom);
  } catch (e) {
    if (e instanceof TypedValueError) {
      throw new ApplyError(500, `failed to create typed patch object (${describe(applied, opts.gvk)}): ${e.message}`);
    }
    throw e;
  }

  try {
    let result = applyStep(liveObj, applied, base, ctx, opts, opts.force);
    if ('conflicts' in result && opts.manager === KUBECTL_MANAGER) {
      const allowed = allowedConflictsFromLastApplied(liveObj, ctx, opts);
      if (allowed !== undefined) {
        const remaining = new Map<string, FieldSet>();
        for (const [id, set] of result.conflicts) {
          const rest = set.difference(allowed);
          if (!rest.empty()) remaining.set(id, rest);
        }
        if (remaining.size > 0) result = { conflicts: remaining };
        else result = applyStep(liveObj, applied, base, ctx, opts, true);
      }
    }
    if ('conflicts' in result) return { conflicts: conflictList(result.conflicts) };
    let object = result.object;
    const entries = encodeManagedFields(result.managed);
    object = setManagedFields(object, entries);
    if (opts.manager === KUBECTL_MANAGER) object = updateLastApplied(object, applied);
    return { object };
  } catch (e) {
    if (e instanceof TypedValueError) {
      throw new ApplyError(500, `failed to create typed live object (${describe(liveObj, opts.gvk)}): ${e.message}`);
    }
    throw e;
  }
}

/** The result of one apply step on decoded managed fields. */
export type ApplyStepResult = { object: Record<string, unknown>; managed: Managed } | { conflicts: Map<string, FieldSet> };

/**
 * One apply on decoded managed fields (upstream's Apply chain below the
 * last-applied handling): `base` is not modified. Low-level; most callers
 * want serverSideApply.
 */
export function applyStep(
  liveObj: Record<string, unknown>,
  applied: Record<string, unknown>,
  base: Managed,
  ctx: TypeContext,
  opts: ServerSideApplyOptions,
  force: boolean,
): ApplyStepResult {
  const managed = base.clone();
  if (managed.fields.size === 0) {
    // Upstream's skip-non-applied manager: whatever the object holds so far belongs to a placeholder.
    recordUpdate(managed, {}, liveObj, ctx, { manager: BEFORE_FIRST_APPLY_MANAGER, apiVersion: opts.apiVersion, time: opts.time });
  }
  const id = managerIdentifier({ manager: opts.manager || UNKNOWN_MANAGER, operation: 'Apply', subresource: opts.subresource });
  const live = withoutManagedFields(liveObj);
  const merged = mergeObjects(live, applied, ctx.atom) as Record<string, unknown>;
  const lastSet = managed.fields.get(id)?.set;
  let set = toFieldSet(applied, ctx.atom);
  if (ctx.ignored !== undefined && !ctx.ignored.empty()) set = set.recursiveDifference(ctx.ignored);
  managed.fields.set(id, { set, apiVersion: opts.apiVersion, applied: true });
  const pruned = prune(merged, managed, lastSet, ctx);
  const res = updateOwnership(managed, live, pruned, ctx, id, force);
  if (res.conflicts !== undefined) return { conflicts: res.conflicts };
  stripMeta(managed, id);
  // Upstream compares typed objects: a zero value spelled out is no change.
  const changed = ctx.builtin
    ? !valuesEqual(normalizeTyped(live, ctx.atom), normalizeTyped(pruned, ctx.atom))
    : !valuesEqual(live, pruned);
  if (changed) managed.times.set(id, normalizeTime(opts.time));
  return { object: changed ? (dropNewNulls(pruned, live) as Record<string, unknown>) : { ...live }, managed };
}

/**
 * Removes what the manager applied last time and not this time, unless
 * another manager (or this configuration) owns it, as upstream's prune /
 * addBackOwnedItems / addBackDanglingItems.
 */
function prune(merged: Record<string, unknown>, managed: Managed, lastSet: FieldSet | undefined, ctx: TypeContext): Record<string, unknown> {
  if (lastSet === undefined || lastSet.empty()) return merged;
  const atom = ctx.atom;
  const last = ensureNamedFieldsAreMembers(lastSet, atom);
  const pruned0 = removeItems(merged, last, atom);
  let owned = new FieldSet();
  for (const vs of managed.fields.values()) owned = owned.union(vs.set);
  const mergedSet = ensureNamedFieldsAreMembers(toFieldSet(merged, atom), atom);
  const keep = ensureNamedFieldsAreMembers(toFieldSet(pruned0, atom), atom).union(ensureNamedFieldsAreMembers(owned, atom));
  const pruned1 = removeItems(merged, mergedSet.difference(keep), atom);
  const pruned1Set = ensureNamedFieldsAreMembers(toFieldSet(pruned1, atom), atom);
  return removeItems(merged, mergedSet.difference(pruned1Set).intersection(last), atom) as Record<string, unknown>;
}

/**
 * The fields of the last-applied-configuration annotation whose live values
 * still match it (undefined when there is no usable annotation).
 */
function allowedConflictsFromLastApplied(liveObj: Record<string, unknown>, ctx: TypeContext, opts: ServerSideApplyOptions): FieldSet | undefined {
  const annotations = isObject(liveObj.metadata) ? liveObj.metadata.annotations : undefined;
  if (!isObject(annotations)) return undefined;
  const text = annotations[LAST_APPLIED_ANNOTATION];
  if (typeof text !== 'string' || text === '') return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(lastApplied)) return undefined;
  if (lastApplied.apiVersion !== opts.apiVersion) return undefined;
  try {
    validateTyped(lastApplied, ctx.atom);
    const set = toFieldSet(lastApplied, ctx.atom);
    // The annotation is compared as it is (unstructured), the live object as a typed object.
    const liveTyped = withoutManagedFields(liveObj);
    const cmp = compareObjects(lastApplied, ctx.builtin ? normalizeTyped(liveTyped, ctx.atom) : liveTyped, ctx.atom);
    return set.difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
  } catch {
    return undefined;
  }
}

function setManagedFields(obj: Record<string, unknown>, entries: ManagedFieldsEntry[]): Record<string, unknown> {
  const meta = { ...(isObject(obj.metadata) ? obj.metadata : {}) };
  if (entries.length === 0) delete meta.managedFields;
  else meta.managedFields = entries;
  return { ...obj, metadata: meta };
}

/** Rewrites an existing last-applied-configuration annotation to the applied configuration. */
function updateLastApplied(obj: Record<string, unknown>, applied: Record<string, unknown>): Record<string, unknown> {
  const meta = isObject(obj.metadata) ? obj.metadata : undefined;
  const annotations = meta && isObject(meta.annotations) ? meta.annotations : undefined;
  const current = annotations?.[LAST_APPLIED_ANNOTATION];
  if (typeof current !== 'string' || current === '') return obj;
  const copy: Record<string, unknown> = { ...applied };
  if (isObject(copy.metadata)) {
    const m = { ...copy.metadata };
    if (isObject(m.annotations)) {
      const a = { ...m.annotations };
      delete a[LAST_APPLIED_ANNOTATION];
      m.annotations = a;
    }
    copy.metadata = m;
  }
  const next: Record<string, unknown> = { ...annotations, [LAST_APPLIED_ANNOTATION]: goJson(copy) + '\n' };
  let size = 0;
  for (const [k, v] of Object.entries(next)) size += k.length + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) delete next[LAST_APPLIED_ANNOTATION];
  return { ...obj, metadata: { ...meta, annotations: next } };
}

// ---------------------------------------------------------------------------
// Conflicts

function conflictList(conflicts: Map<string, FieldSet>): ApplyConflict[] {
  const out: ApplyConflict[] = [];
  const ids = [...conflicts.keys()].sort();
  for (const id of ids) {
    const info = parseManagerIdentifier(id);
    const operation = info.operation === 'Apply' ? 'Apply' : 'Update';
    conflicts.get(id)!.iterate((path) => {
      const c: ApplyConflict = { manager: info.manager ?? '', operation, field: pathToString(path), path: [...path] };
      if (operation === 'Update' && info.apiVersion) c.apiVersion = info.apiVersion;
      if (info.subresource) c.subresource = info.subresource;
      out.push(c);
    });
  }
  return out;
}

function conflictManagerId(c: ApplyConflict): string {
  return managerIdentifier({ manager: c.manager, operation: c.operation, apiVersion: c.apiVersion, subresource: c.subresource });
}

/** A manager as upstream names it in conflict messages: `"name"`, `"name" using apps/v1`, `"name" with subresource "status" using v1`. */
export function printManager(c: Pick<ApplyConflict, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  let s = goQuote(c.manager);
  if (c.subresource) s += ` with subresource ${goQuote(c.subresource)}`;
  if (c.operation === 'Update') s += ` using ${c.apiVersion ?? ''}`;
  return s;
}

/**
 * The message of the 409 Conflict an apply with conflicts fails with:
 * `Apply failed with 1 conflict: conflict with "m" using apps/v1: .spec.replicas`,
 * or for several `Apply failed with N conflicts: conflicts with "m":\n- .a\n- .b`.
 * (`kind` and `name` are accepted for symmetry; upstream does not print them.)
 */
export function conflictMessage(conflicts: readonly ApplyConflict[], _kind?: string, _name?: string): string {
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    return `Apply failed with 1 conflict: conflict with ${printManager(c)}: ${c.field}`;
  }
  const byManager = new Map<string, ApplyConflict[]>();
  for (const c of conflicts) {
    const id = conflictManagerId(c);
    const list = byManager.get(id);
    if (list) list.push(c);
    else byManager.set(id, [c]);
  }
  const lines: string[] = [];
  for (const id of [...byManager.keys()].sort()) {
    const list = byManager.get(id)!;
    lines.push(`conflicts with ${printManager(list[0]!)}:`);
    for (const c of list) lines.push(`- ${c.field}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

/** The Status `details.causes` of an apply conflict. */
export function conflictCauses(conflicts: readonly ApplyConflict[]): StatusCause[] {
  return conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c)}`, field: c.field }));
}

/** The whole 409 Status object upstream answers an apply with conflicts with. */
export function conflictStatus(conflicts: readonly ApplyConflict[]): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: conflictMessage(conflicts),
    reason: 'Conflict',
    details: { causes: conflictCauses(conflicts) },
    code: 409,
  };
}
