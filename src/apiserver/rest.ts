// Generic storage semantics for every resource: create, get, list, update,
// patch, delete, deletecollection and watch, with upstream's metadata rules
// (uid, generateName, generation, resourceVersion concurrency, finalizers,
// deletionTimestamp, graceful pod deletion) on top of the revisioned store.

import type { ResourceInfo } from '../api/registry.js';
import { apiVersionOf } from '../api/registry.js';
import { convertToVersion, storageVersion } from '../api/conversion/index.js';
import { applyDefaults, prepareNamespaceForCreate } from '../api/defaults/index.js';
import { validate } from '../api/validation/index.js';
import { fieldErrorMessage, invalidMessage } from '../api/validation/errors.js';
import type { FieldError } from '../api/validation/errors.js';
import { parseQuantity } from '../api/validation/quantity.js';
import { notSupported as fieldNotSupported, forbidden as fieldForbidden, goStringSlice } from '../api/validation/errors.js';
import { parseLabelSelector, matches as matchesLabels, isEverything as labelsEverything } from '../api/labels.js';
import { parseFieldSelector, matchesFields, fieldsOf, convertFieldSelector, isEverything as fieldsEverything, requirements } from '../api/fields.js';
import { SelectorError } from '../api/labels.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError } from '../api/patch/index.js';
import { serverSideApply, updateManagedFields, conflictStatus, ApplyError } from '../api/apply/index.js';
import YAML from 'yaml';
import {
  checkApplyPatch,
  checkPatchFields,
  fieldValidationDirective,
  fieldValidationFieldErrors,
  patchKindOf,
  pruneUnknownFields,
  WarningRecorder,
  type FieldValidationDirective,
  type WriteOptionsKind,
} from '../api/fieldvalidation/index.js';
import type { Store } from '../storage/types.js';
import { StoreError } from '../storage/types.js';
import {
  ApiError,
  MODIFIED_CONFLICT,
  alreadyExists,
  badRequest,
  conflict,
  failure,
  forbidden,
  gone,
  invalid,
  methodNotSupported,
  notFound,
  successStatus,
  tooLargeResourceVersion,
} from './errors.js';
import { decodeKV, type CachedObject, type CacheEvent, type WatchCache } from './watch-cache.js';
import { arr } from '../api/validation/util.js';
import { clone, deepEqualJSON, listPrefix, newUID, nowRFC3339, objectKey, randomSuffix, specChanged } from './objects.js';

export interface ListMeta {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export type RestResult =
  | { type: 'object'; status: number; obj: any; json?: string }
  | { type: 'list'; items: CachedObject[]; meta: ListMeta }
  | { type: 'status'; status: number; body: any }
  | { type: 'watch'; start: (sink: WatchSink) => () => void };

export interface WatchSink {
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK', obj: any, json?: string): void;
  error(status: any): void;
  end(): void;
}

/** Per-resource behaviour around writes (allocation, release), as upstream's REST strategies add. */
export interface ResourceHooks {
  /** Called after validation; push undo steps for a write that then fails. */
  beforeCreate?(obj: any, undo: Array<() => void>): void;
  beforeUpdate?(next: any, old: any, undo: Array<() => void>): void;
  afterUpdate?(next: any, old: any): void;
  /** Called once the object is gone from the store. */
  afterDelete?(obj: any): void;
}

/**
 * A resource whose create/update rules are not the built-in ones (custom
 * resources, CustomResourceDefinitions): it owns defaulting, status and
 * generation handling and validation for its writes.
 */
export interface ResourceStrategy {
  create(obj: any): FieldError[];
  update(obj: any, old: any): FieldError[];
  /** The object to store for a /status write, and its problems. */
  statusUpdate(incoming: any, old: any): { obj: any; errs: FieldError[] };
  /** Called before a delete decides whether it waits (e.g. adds a cleanup finalizer). */
  beforeDelete?(obj: any): void;
  /** Unknown-field paths of a request body (custom resources' pruning), for fieldValidation. */
  unknownFields?(obj: any): string[];
}

/** Who makes a request, as admission (webhooks' userInfo, policies' `request`) sees it. */
export interface AdmissionUser {
  name: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

/** One write as admission plugins see it. */
export interface AdmissionAttributes {
  info: ResourceInfo;
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  subresource: string;
  /** The object to store; undefined for deletes. Mutating plugins change it in place. */
  obj: any;
  /** The stored object, for updates and deletes. */
  old?: any;
  /** The request's name and namespace (the object's, for creates). */
  name?: string;
  namespace?: string;
  dryRun: boolean;
  /** Collects the request's Warning headers. */
  warnings?: WarningRecorder;
  user?: AdmissionUser;
  /** The request's options object (CreateOptions, UpdateOptions, PatchOptions or DeleteOptions). */
  options?: any;
}

/**
 * Admission plugins that span resources (LimitRanger, ResourceQuota,
 * webhooks, policies), as upstream runs them: mutating before validation,
 * validating after the object is complete and just before it is stored.
 * Both see every write, subresources and deletes included; each plugin picks
 * what it handles.
 */
export interface AdmissionChain {
  mutate(a: AdmissionAttributes): Promise<void>;
  validate(a: AdmissionAttributes): Promise<void>;
}

export interface RestContext {
  hooksFor(info: ResourceInfo): ResourceHooks | undefined;
  admission?: AdmissionChain;
  strategyFor(info: ResourceInfo): ResourceStrategy | undefined;
  store: Store;
  cacheFor(info: ResourceInfo): WatchCache;
  /** Checks that a namespace exists and is not terminating (for creates). */
  namespaceState(name: string): 'active' | 'terminating' | 'missing';
  currentRevision(): Promise<number>;
}

interface Selectors {
  label?: ReturnType<typeof parseLabelSelector>;
  field?: ReturnType<typeof parseFieldSelector>;
  /** metadata.name from a field selector: lets a watch or list skip everything else. */
  name?: string;
}

function parseSelectors(info: ResourceInfo, q: URLSearchParams): Selectors {
  const sel: Selectors = {};
  try {
    const ls = q.get('labelSelector');
    if (ls) {
      const s = parseLabelSelector(ls);
      if (!labelsEverything(s)) sel.label = s;
    }
    const fs = q.get('fieldSelector');
    if (fs) {
      const f = convertFieldSelector(info.group, info.resource, parseFieldSelector(fs), { namespaced: info.namespaced });
      for (const r of requirements(f)) {
        if (r.field === 'metadata.name' && (r.operator === '=' || r.operator === '==')) sel.name = r.value;
      }
      if (!fieldsEverything(f)) sel.field = f;
    }
  } catch (e) {
    if (e instanceof SelectorError) throw badRequest(e.message);
    throw e;
  }
  return sel;
}

function selects(info: ResourceInfo, sel: Selectors, obj: any): boolean {
  if (sel.label && !matchesLabels(sel.label, obj.metadata?.labels)) return false;
  if (sel.field && !matchesFields(sel.field, fieldsOf(info.group, info.resource, obj))) return false;
  return true;
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string' || t.rv === 0) throw new Error();
    return t;
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

/** Upstream's ValidateListOptions, with its separate rules for watches. */
function validateListOptions(q: URLSearchParams, isWatch: boolean): void {
  const rv = q.get('resourceVersion') ?? '';
  const match = q.get('resourceVersionMatch') ?? '';
  const cont = q.get('continue') ?? '';
  const sendInitial = q.get('sendInitialEvents');
  const hasSendInitial = sendInitial !== null && sendInitial !== '';
  const errs: FieldError[] = [];
  if (isWatch) {
    if (hasSendInitial && match !== 'NotOlderThan') {
      errs.push(fieldForbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    }
    if (match !== '') {
      if (!hasSendInitial) errs.push(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
      if (match !== 'NotOlderThan') errs.push(fieldNotSupported('resourceVersionMatch', match, ['NotOlderThan']));
      if (cont) errs.push(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
  } else {
    if (match !== '') {
      if (rv === '') errs.push(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
      if (cont) errs.push(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
      if (match !== 'Exact' && match !== 'NotOlderThan') errs.push(fieldNotSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
      if (match === 'Exact' && rv === '0') errs.push(fieldForbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
    if (hasSendInitial) errs.push(fieldForbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  }
  if (errs.length) throwOptionsInvalid('ListOptions', errs);
}

function parseRV(s: string | null, what = 'resourceVersion'): number | undefined {
  if (s === null || s === '') return undefined;
  if (!/^\d+$/.test(s)) throw badRequest(`invalid ${what}: ${s}`);
  return Number(s);
}

/** Sets apiVersion/kind for the version being served (storage is shared across versions). */
function stampServed(info: ResourceInfo, obj: any): any {
  obj.apiVersion = apiVersionOf(info);
  obj.kind = info.kind;
  return obj;
}

/**
 * A stored object in the version being served: converted when the versions
 * differ in shape (src/api/conversion), else stamped; may return a new object.
 */
function asServed(info: ResourceInfo, obj: any): any {
  return stampServed(info, convertToVersion(obj, info.group, info.kind, info.version));
}

function servedJSON(info: ResourceInfo, c: CachedObject): { obj: any; json: string } {
  if (c.obj.apiVersion === apiVersionOf(info) && c.obj.kind === info.kind) return { obj: c.obj, json: c.json };
  const obj = asServed(info, clone(c.obj));
  return { obj, json: JSON.stringify(obj) };
}

/** Serialized for the store, in the storage version when the kind has one: no resourceVersion (it comes from the revision). */
function encodeForStore(info: ResourceInfo, obj: any): string {
  const rv = obj.metadata.resourceVersion;
  delete obj.metadata.resourceVersion;
  const sv = storageVersion(info.group, info.kind);
  const stored = sv ? convertToVersion(obj, info.group, info.kind, sv) : obj;
  const s = JSON.stringify(stored);
  if (rv !== undefined) obj.metadata.resourceVersion = rv;
  return s;
}

/** Quantity value as a number (precise enough to compare requests with limits). */
function quantityValue(v: unknown): number {
  const q = parseQuantity(v);
  return q ? Number(q.num) / Number(q.den) : 0;
}

/** The pod's QoS class as upstream computes it: from cpu and memory requests and limits above zero. */
function podQOSClass(pod: any): string {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const requests: Record<string, number> = {};
  const limits: Record<string, number> = {};
  let isGuaranteed = true;
  for (const c of containers) {
    for (const [r, v] of Object.entries<unknown>(c.resources?.requests ?? {})) {
      if (r !== 'cpu' && r !== 'memory') continue;
      const n = quantityValue(v);
      if (n > 0) requests[r] = (requests[r] ?? 0) + n;
    }
    const found = new Set<string>();
    for (const [r, v] of Object.entries<unknown>(c.resources?.limits ?? {})) {
      if (r !== 'cpu' && r !== 'memory') continue;
      const n = quantityValue(v);
      if (n > 0) {
        found.add(r);
        limits[r] = (limits[r] ?? 0) + n;
      }
    }
    if (!found.has('cpu') || !found.has('memory')) isGuaranteed = false;
  }
  if (Object.keys(requests).length === 0 && Object.keys(limits).length === 0) return 'BestEffort';
  if (isGuaranteed) {
    for (const [r, n] of Object.entries(requests)) if (limits[r] !== n) isGuaranteed = false;
  }
  return isGuaranteed && Object.keys(limits).length === 2 ? 'Guaranteed' : 'Burstable';
}

/** Status a freshly created object starts with (status is not settable on create for most kinds). */
function isCSR(info: ResourceInfo): boolean {
  return info.group === 'certificates.k8s.io' && info.resource === 'certificatesigningrequests';
}

/** A CSR's spec.username, uid, groups and extra: the requesting user's. */
function setRequester(obj: any, user: AdmissionUser): void {
  const spec = obj.spec && typeof obj.spec === 'object' && !Array.isArray(obj.spec) ? obj.spec : (obj.spec = {});
  spec.username = user.name;
  if (user.uid) spec.uid = user.uid;
  else delete spec.uid;
  if (user.groups.length) spec.groups = [...user.groups];
  else delete spec.groups;
  if (user.extra && Object.keys(user.extra).length) spec.extra = structuredClone(user.extra);
  else delete spec.extra;
}

/** Upstream fills a CSR condition's lastUpdateTime, and lastTransitionTime when its status changed. */
function stampConditions(next: any, old: any): void {
  const now = nowRFC3339();
  for (const c of arr(next.status?.conditions)) {
    if (!c || typeof c !== 'object') continue;
    if (!c.lastUpdateTime) c.lastUpdateTime = now;
    if (!c.lastTransitionTime) {
      const prev = arr(old.status?.conditions).find((o) => o?.type === c.type);
      c.lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
    }
  }
}

function initialStatus(info: ResourceInfo, obj: any): void {
  if (!info.subresources.some((s) => s.name === 'status')) return;
  switch (`${info.group}/${info.resource}`) {
    case '/nodes':
    case 'apiextensions.k8s.io/customresourcedefinitions':
      return;
    case '/pods':
      obj.status = { phase: 'Pending', qosClass: podQOSClass(obj) };
      return;
    case '/namespaces':
      obj.status = { phase: 'Active' };
      return;
    case '/persistentvolumeclaims':
    case '/persistentvolumes':
      obj.status = { phase: 'Pending' };
      return;
    default:
      obj.status = {};
  }
}

/** 422 for request options (ListOptions, CreateOptions, ...), shaped as upstream's NewInvalid. */
function throwOptionsInvalid(kind: string, errs: FieldError[]): never {
  throw invalid(
    'meta.k8s.io',
    kind,
    '',
    invalidMessage({ group: 'meta.k8s.io', kind }, '', errs),
    errs.map((e) => ({ reason: e.type, message: fieldErrorMessage(e), field: e.field })),
  );
}

function tryJSON(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An object that names a uid must be that object (upstream's UID precondition on writes). */
function checkUIDPrecondition(info: ResourceInfo, name: string, given: unknown, actual: string): void {
  if (given !== undefined && given !== null && given !== '' && given !== actual) {
    throw conflict(info.group, info.resource, name, `Precondition failed: UID in precondition: ${String(given)}, UID in object meta: ${actual}`);
  }
}

/** Empty lists and maps in metadata are omitted, as Go's omitempty does. */
function dropEmptyMeta(m: any): void {
  for (const k of ['ownerReferences', 'finalizers', 'managedFields']) if (Array.isArray(m[k]) && m[k].length === 0) delete m[k];
  for (const k of ['labels', 'annotations']) if (m[k] && typeof m[k] === 'object' && Object.keys(m[k]).length === 0) delete m[k];
}

function setManagedFields(obj: any, entries: unknown[]): void {
  if (entries.length) obj.metadata.managedFields = entries;
  else delete obj.metadata.managedFields;
}

function throwInvalid(info: ResourceInfo, name: string, errs: FieldError[]): never {
  throw invalid(
    info.group,
    info.kind,
    name,
    invalidMessage(info, name, errs),
    errs.map((e) => ({ reason: e.type, message: fieldErrorMessage(e), field: e.field })),
  );
}

function storeErrorToApi(info: ResourceInfo, name: string, e: unknown): never {
  if (e instanceof StoreError) {
    switch (e.code) {
      case 'AlreadyExists':
        throw alreadyExists(info.group, info.resource, name);
      case 'NotFound':
        throw notFound(info.group, info.resource, name);
      case 'Conflict':
        throw conflict(info.group, info.resource, name, MODIFIED_CONFLICT);
      case 'TooOld':
        throw gone(e.message);
    }
  }
  throw e;
}

export interface WriteOptions {
  dryRun: boolean;
  /** Who makes the change: the fieldManager parameter, or derived from the User-Agent. */
  fieldManager?: string;
  /** Server-side apply: take over conflicting fields. */
  force?: boolean;
  /** metadata.managedFields is already computed (server-side apply). */
  managedFieldsSet?: boolean;
  /** How unknown and duplicate fields are treated (the fieldValidation parameter). */
  fieldValidation?: FieldValidationDirective;
  /** Collects the request's Warning headers. */
  warnings?: WarningRecorder;
  /** The requesting user (admission webhooks and policies see it). */
  user?: AdmissionUser;
  /** Which options object the request carries (CreateOptions, UpdateOptions, PatchOptions, DeleteOptions). */
  optionsKind?: string;
  /** A delete's DeleteOptions body, as admission webhooks receive it. */
  deleteOptions?: any;
}

/** The options object of a write, as an AdmissionReview carries it. */
function admissionOptions(opts: WriteOptions, fallback: string): any {
  const kind = opts.optionsKind ?? fallback;
  if (kind === 'DeleteOptions') return { ...(opts.deleteOptions ?? {}), kind, apiVersion: 'meta.k8s.io/v1' };
  const o: any = { kind, apiVersion: 'meta.k8s.io/v1' };
  if (opts.dryRun) o.dryRun = ['All'];
  if (opts.fieldManager) o.fieldManager = opts.fieldManager;
  if (opts.force) o.force = true;
  return o;
}

export function writeOptions(q: URLSearchParams, optionsKind = 'CreateOptions', userAgent?: string): WriteOptions {
  const dr = q.getAll('dryRun');
  const errs: FieldError[] = [];
  if (dr.some((d) => d !== 'All')) errs.push(fieldNotSupported('dryRun', goStringSlice(dr), ['All']));
  let manager = q.get('fieldManager') ?? '';
  if (manager.length > 128) errs.push({ type: 'FieldValueTooLong', field: 'fieldManager', value: manager, detail: 'must have at most 128 characters' });
  if (optionsKind !== 'DeleteOptions') errs.push(...fieldValidationFieldErrors(q));
  if (errs.length) throwOptionsInvalid(optionsKind, errs);
  const fieldValidation = optionsKind === 'DeleteOptions' ? 'Ignore' : fieldValidationDirective(q, optionsKind as WriteOptionsKind);
  // As upstream: without a fieldManager, the User-Agent's product name.
  if (!manager) manager = (userAgent ?? '').split('/')[0].slice(0, 128);
  const force = q.get('force');
  return { dryRun: dr.length > 0, fieldManager: manager, force: force === 'true' || force === '1', fieldValidation };
}

function nowTime(): string {
  return nowRFC3339();
}

const ORPHAN = 'orphan';
const FOREGROUND = 'foregroundDeletion';

/**
 * The garbage collector's finalizers for a delete's propagation policy, as
 * upstream's store adds them: Orphan → `orphan`, Foreground →
 * `foregroundDeletion`, Background → neither. Without a policy, an object
 * being deleted keeps what it has; ReplicationControllers default to
 * orphaning as upstream's core/v1 does.
 */
function applyPropagationFinalizers(info: ResourceInfo, m: any, options: any): void {
  let policy: string | undefined = options?.propagationPolicy;
  if (!policy && options?.orphanDependents !== undefined && options.orphanDependents !== null) policy = options.orphanDependents ? 'Orphan' : 'Background';
  if (policy && !['Orphan', 'Foreground', 'Background'].includes(policy)) {
    throw invalid('meta.k8s.io', 'DeleteOptions', '', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"`, [
      { reason: 'FieldValueNotSupported', message: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"`, field: 'propagationPolicy' },
    ]);
  }
  const had: string[] = m.finalizers ?? [];
  if (!policy) {
    if (had.includes(ORPHAN) || had.includes(FOREGROUND) || m.deletionTimestamp) return;
    if (info.group === '' && info.resource === 'replicationcontrollers') policy = 'Orphan';
    else return;
  }
  let next = had.filter((f) => f !== ORPHAN && f !== FOREGROUND);
  if (policy === 'Orphan') next = [...next, ORPHAN];
  else if (policy === 'Foreground') next = [...next, FOREGROUND];
  if (next.length) m.finalizers = next;
  else delete m.finalizers;
}

export class ResourceRest {
  constructor(
    private readonly ctx: RestContext,
    readonly info: ResourceInfo,
  ) {}

  private key(ns: string, name: string): string {
    return objectKey(this.info, ns, name);
  }

  private get cache(): WatchCache {
    return this.ctx.cacheFor(this.info);
  }

  // ---- reads ----

  get(ns: string, name: string): RestResult {
    const c = this.cache.get(this.key(ns, name));
    if (!c) throw notFound(this.info.group, this.info.resource, name);
    const { obj, json } = servedJSON(this.info, c);
    return { type: 'object', status: 200, obj, json };
  }

  async list(ns: string, q: URLSearchParams): Promise<RestResult> {
    const info = this.info;
    const sel = parseSelectors(info, q);
    const limit = Math.max(0, Number(q.get('limit') ?? 0) || 0);
    const cont = q.get('continue') ?? '';
    const rvParam = q.get('resourceVersion');
    const rvMatch = q.get('resourceVersionMatch') ?? '';
    const prefix = listPrefix(info, ns);
    const filter = (obj: any) => selects(info, sel, obj);

    validateListOptions(q, false);
    if (cont) {
      if (rvParam) throw badRequest('specifying resource version is not allowed when using continue');
      const t = decodeContinue(cont);
      // Nothing under this resource changed since the first page: the cache is that snapshot.
      // A token at revision -1 (handed out after compaction) continues at the latest revision.
      const at = t.rv < 0 ? await this.ctx.currentRevision() : t.rv;
      if (this.cache.revision <= at) return this.pagedFromCache(prefix, at, prefix + t.start, limit, sel, filter);
      return this.pagedFromStore(prefix, at, prefix + t.start, limit, sel, filter, true);
    }
    const rv = parseRV(rvParam);
    const current = await this.ctx.currentRevision();
    if (rvMatch === 'Exact') {
      if (rv! > current) throw tooLargeResourceVersion(rv!, current);
      return this.pagedFromStore(prefix, rv!, prefix, limit, sel, filter);
    }
    if (rv !== undefined && rv > current) throw tooLargeResourceVersion(rv, current);
    // Paginated consistent reads go to the store, so later pages read the same snapshot.
    if (limit > 0 && rv !== 0) {
      // Unset or NotOlderThan: the latest state. A bare resourceVersion (legacy): exactly that revision.
      const at = rv === undefined || rvMatch === 'NotOlderThan' ? current : rv;
      if (this.cache.revision <= at) return this.pagedFromCache(prefix, at, prefix, limit, sel, filter);
      return this.pagedFromStore(prefix, at, prefix, limit, sel, filter);
    }
    let items: CachedObject[];
    if (sel.name !== undefined && (!info.namespaced || ns)) {
      const one = this.cache.get(this.key(ns, sel.name));
      items = one && filter(one.obj) ? [one] : [];
    } else {
      items = this.cache.list(prefix);
      if (sel.label || sel.field) items = items.filter((c) => filter(c.obj));
    }
    items = items.map((c) => this.served(c));
    return { type: 'list', items, meta: { resourceVersion: String(current) } };
  }

  private served(c: CachedObject): CachedObject {
    if (c.obj.apiVersion === apiVersionOf(this.info) && c.obj.kind === this.info.kind) return c;
    const { obj, json } = servedJSON(this.info, c);
    return { ...c, obj, json };
  }

  /** A page from the watch cache, valid when the cache holds the state at `revision`. */
  private pagedFromCache(prefix: string, revision: number, startKey: string, limit: number, sel: Selectors, filter: (o: any) => boolean): RestResult {
    const all = this.cache.list(prefix);
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (all[mid].key < startKey) lo = mid + 1;
      else hi = mid;
    }
    const filtering = !!(sel.label || sel.field);
    const items: CachedObject[] = [];
    let i = lo;
    for (; i < all.length && items.length < limit; i++) {
      if (!filtering || filter(all[i].obj)) items.push(this.served(all[i]));
    }
    const meta: ListMeta = { resourceVersion: String(revision) };
    // More only if some later object would be listed (with selectors: any later key, as upstream).
    if (items.length === limit && i < all.length) {
      meta.continue = encodeContinue(revision, items[items.length - 1].key.slice(prefix.length) + '\u0000');
      if (!filtering) meta.remainingItemCount = all.length - i;
    }
    return { type: 'list', items, meta };
  }

  private async pagedFromStore(
    prefix: string,
    revision: number,
    startKey: string,
    limit: number,
    sel: Selectors,
    filter: (o: any) => boolean,
    paging = false,
  ): Promise<RestResult> {
    const items: CachedObject[] = [];
    let start = startKey;
    let nextStart: string | undefined;
    let remaining: number | undefined;
    const filtering = !!(sel.label || sel.field);
    try {
      for (;;) {
        const want = limit > 0 ? (filtering ? Math.max(limit, 100) : limit - items.length) : undefined;
        const page = await this.ctx.store.list(prefix, { revision, startKey: start, limit: want });
        let stopped = false;
        for (let i = 0; i < page.items.length; i++) {
          const kv = page.items[i];
          const c = decodeKV(kv);
          if (!filter(c.obj)) continue;
          items.push(this.served(c));
          if (limit > 0 && items.length >= limit) {
            if (i < page.items.length - 1 || page.more) {
              nextStart = kv.key + '\u0000';
              if (!filtering) remaining = page.remaining + (page.items.length - 1 - i);
            }
            stopped = true;
            break;
          }
        }
        if (stopped || !page.more || page.items.length === 0) break;
        start = page.items[page.items.length - 1].key + '\u0000';
      }
    } catch (e) {
      if (e instanceof StoreError && e.code === 'TooOld') {
        if (!paging) throw gone('The resourceVersion for the provided list is too old.');
        // As upstream: say why, and hand out a token that continues at the latest revision.
        const err = gone(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
        (err.status.metadata as any).continue = encodeContinue(-1, startKey.slice(prefix.length));
        throw err;
      }
      throw e;
    }
    const meta: ListMeta = { resourceVersion: String(revision) };
    if (nextStart !== undefined) {
      meta.continue = encodeContinue(revision, nextStart.slice(prefix.length));
      if (remaining !== undefined && remaining > 0) meta.remainingItemCount = remaining;
    }
    return { type: 'list', items, meta };
  }

  watch(ns: string, name: string, q: URLSearchParams): RestResult {
    const info = this.info;
    validateListOptions(q, true);
    const sel = parseSelectors(info, q);
    if (name) sel.name = name;
    const rv = parseRV(q.get('resourceVersion'));
    const bookmarks = q.get('allowWatchBookmarks') === 'true';
    const sendInitial = q.get('sendInitialEvents') === 'true';
    const timeoutSeconds = Number(q.get('timeoutSeconds') ?? 0) || 1800 + Math.floor(Math.random() * 1800);
    const prefix = listPrefix(info, ns);
    const cache = this.cache;
    const keyMatches = (c: CachedObject) =>
      c.key.startsWith(prefix) && (sel.name === undefined || c.obj.metadata?.name === sel.name);
    const filter = (c: CachedObject) => keyMatches(c) && selects(info, sel, c.obj);

    return {
      type: 'watch',
      start: (sink) => {
        let lastRV = cache.revision;
        const send = (type: 'ADDED' | 'MODIFIED' | 'DELETED', c: CachedObject) => {
          const s = this.served(c);
          sink.event(type, s.obj, s.json);
        };
        const initial = rv === undefined || rv === 0 || sendInitial;
        let startAfter = rv ?? cache.revision;
        if (initial) {
          startAfter = cache.revision;
          for (const c of cache.list(prefix)) if (filter(c)) send('ADDED', c);
          if (sendInitial) {
            sink.event('BOOKMARK', {
              kind: info.kind,
              apiVersion: apiVersionOf(info),
              metadata: { resourceVersion: String(cache.revision), annotations: { 'k8s.io/initial-events-end': 'true' } },
            });
          }
        }
        const onEvent = (ev: CacheEvent) => {
          lastRV = ev.revision;
          if (!keyMatches(ev.object)) return;
          const now = selects(info, sel, ev.object.obj);
          const before = ev.prev ? selects(info, sel, ev.prev.obj) : false;
          if (ev.type === 'ADDED') {
            if (now) send('ADDED', ev.object);
          } else if (ev.type === 'MODIFIED') {
            if (now && before) send('MODIFIED', ev.object);
            else if (now) send('ADDED', ev.object);
            else if (before) {
              // Leaving the selection: the last state that matched, at this event's revision.
              const obj = clone(ev.prev!.obj);
              obj.metadata.resourceVersion = String(ev.revision);
              send('DELETED', { key: ev.object.key, obj, json: JSON.stringify(obj), revision: ev.revision });
            }
          } else if (now || before) {
            send('DELETED', ev.object);
          }
        };
        const cancel = cache.watch(startAfter, { onEvent, onProgress: (r) => (lastRV = r) });
        if (!cancel) {
          sink.error(
            failure(410, 'Expired', `too old resource version: ${startAfter} (${cache.oldestRevision})`).status,
          );
          sink.end();
          return () => {};
        }
        let bookmarkTimer: NodeJS.Timeout | undefined;
        if (bookmarks) {
          bookmarkTimer = setInterval(() => {
            sink.event('BOOKMARK', { kind: info.kind, apiVersion: apiVersionOf(info), metadata: { resourceVersion: String(Math.max(lastRV, cache.revision)) } });
          }, 10_000);
          bookmarkTimer.unref();
        }
        const endTimer = setTimeout(() => {
          stop();
          sink.end();
        }, timeoutSeconds * 1000);
        endTimer.unref();
        const stop = () => {
          cancel();
          clearTimeout(endTimer);
          if (bookmarkTimer) clearInterval(bookmarkTimer);
        };
        return stop;
      },
    };
  }

  // ---- writes ----

  private checkNamespace(ns: string, name: string): void {
    if (!this.info.namespaced) return;
    const state = this.ctx.namespaceState(ns);
    if (state === 'missing') throw notFound('', 'namespaces', ns);
    if (state === 'terminating') {
      const e = forbidden(this.info.group, this.info.resource, name, `unable to create new content in namespace ${ns} because it is being terminated`);
      e.status.details = { ...e.status.details, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }] };
      throw e;
    }
  }

  /** Checks apiVersion/kind and namespace of a request body against the URL. */
  private checkBody(body: any, ns: string, forUpdate = false): void {
    const info = this.info;
    if (body.apiVersion !== undefined || body.kind !== undefined) {
      const want = apiVersionOf(info);
      if (body.kind !== undefined && body.kind !== info.kind) {
        throw badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${info.kind})`);
      }
      if (body.apiVersion !== undefined && body.apiVersion !== want) {
        throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${want})`);
      }
    }
    if (body.metadata !== undefined && (typeof body.metadata !== 'object' || body.metadata === null || Array.isArray(body.metadata))) {
      throw badRequest('metadata must be an object');
    }
    body.metadata ??= {};
    if (info.namespaced) {
      const bns = body.metadata.namespace;
      if (bns && ns && bns !== ns) {
        throw badRequest(
          forUpdate
            ? `the namespace of the object (${bns}) does not match the namespace on the request (${ns})`
            : 'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      body.metadata.namespace = ns || bns;
    } else if (body.metadata.namespace) {
      delete body.metadata.namespace;
    }
    stampServed(info, body);
  }

  async create(ns: string, body: any, opts: WriteOptions): Promise<RestResult> {
    const info = this.info;
    this.checkBody(body, ns);
    const meta = body.metadata;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    const name: string = meta.name ?? '';
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '') {
      throw failure(500, 'InternalError', 'resourceVersion should not be set on objects to be created');
    }
    this.checkNamespace(meta.namespace, name);
    meta.uid = newUID();
    meta.creationTimestamp = nowRFC3339();
    const strategy = this.ctx.strategyFor(info);
    if (!strategy) applyDefaults(info, body);
    dropEmptyMeta(meta);
    if (!opts.managedFieldsSet) setManagedFields(body, updateManagedFields(undefined, body, { manager: opts.fieldManager ?? '', time: nowTime(), apiVersion: apiVersionOf(info) }));
    if (info.group === '' && info.resource === 'namespaces') prepareNamespaceForCreate(body);
    // A CSR starts without status: conditions and the certificate come only through /approval and /status.
    if (isCSR(info)) {
      delete body.status;
      // Whoever creates it (POST, apply, create-on-update) is recorded by the server, never by the client.
      if (opts.user) setRequester(body, opts.user);
    }
    const attrs: AdmissionAttributes = {
      info,
      operation: 'CREATE',
      subresource: '',
      obj: body,
      name,
      namespace: meta.namespace ?? '',
      dryRun: opts.dryRun,
      warnings: opts.warnings,
      user: opts.user,
      options: admissionOptions(opts, 'CreateOptions'),
    };
    await this.ctx.admission?.mutate(attrs);
    const errs = strategy ? strategy.create(body) : validate(info, body);
    if (errs.length) throwInvalid(info, name, errs);
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (!strategy) {
      if (info.generation) meta.generation = 1;
      else delete meta.generation;
      initialStatus(info, body);
    }
    if (this.cache.get(this.key(meta.namespace ?? '', name))) throw alreadyExists(info.group, info.resource, name);
    const undo: Array<() => void> = [];
    const hooks = this.ctx.hooksFor(info);
    try {
      hooks?.beforeCreate?.(body, undo);
      await this.ctx.admission?.validate(attrs);
      if (opts.dryRun) {
        for (const u of undo) u();
        return { type: 'object', status: 201, obj: body };
      }
      const kv = await this.ctx.store.create(this.key(meta.namespace ?? '', name), encodeForStore(info, body));
      meta.resourceVersion = String(kv.modRevision);
    } catch (e) {
      for (const u of undo) u();
      storeErrorToApi(info, name, e);
    }
    return { type: 'object', status: 201, obj: body };
  }

  /** Current object from the store (latest), decoded. */
  private async current(ns: string, name: string): Promise<{ obj: any; rev: number } | undefined> {
    const kv = await this.ctx.store.get(this.key(ns, name));
    if (!kv) return undefined;
    return { obj: asServed(this.info, decodeKV(kv).obj), rev: kv.modRevision };
  }

  /**
   * Update with a full object (PUT). `subresource` is '' or 'status'
   * (or 'finalize' for namespaces).
   */
  async update(ns: string, name: string, body: any, subresource: string, opts: WriteOptions): Promise<RestResult> {
    const info = this.info;
    this.checkBody(body, ns, true);
    if ((body.metadata.name ?? '') !== name) {
      throw badRequest(`the name of the object (${body.metadata.name ?? ''}) does not match the name on the URL (${name})`);
    }
    body.metadata.name = name;
    const cur = await this.current(ns, name);
    const rvStr = body.metadata.resourceVersion;
    if (!cur) {
      if (info.allowCreateOnUpdate && !subresource) {
        delete body.metadata.resourceVersion;
        return this.create(ns, body, opts);
      }
      throw notFound(info.group, info.resource, name);
    }
    if (rvStr !== undefined && rvStr !== '') {
      const rv = parseRV(String(rvStr), 'resourceVersion');
      if (rv !== cur.rev) throw conflict(info.group, info.resource, name, MODIFIED_CONFLICT);
    }
    checkUIDPrecondition(info, name, body.metadata.uid, cur.obj.metadata.uid);
    return this.commitUpdate(ns, name, cur, body, subresource, opts);
  }

  private async commitUpdate(
    ns: string,
    name: string,
    cur: { obj: any; rev: number },
    incoming: any,
    subresource: string,
    opts: WriteOptions,
  ): Promise<RestResult> {
    const info = this.info;
    const old = cur.obj;
    let next: any;
    const hasStatus = info.subresources.some((s) => s.name === 'status');
    const strategy = this.ctx.strategyFor(info);
    let strategyErrs: FieldError[] | undefined;
    if (strategy && subresource === 'status') {
      const r = strategy.statusUpdate(incoming, old);
      next = r.obj;
      strategyErrs = r.errs;
    } else if (subresource === 'status') {
      // Status writes change status only; spec and metadata stay as stored.
      next = clone(old);
      next.status = incoming.status;
      if (isCSR(info)) {
        // Status writes (the signer) set the certificate and other conditions, never approval.
        next.status = { ...(incoming.status ?? {}) };
        const keep = arr(old.status?.conditions).filter((c) => c?.type === 'Approved' || c?.type === 'Denied');
        const others = arr(incoming.status?.conditions).filter((c) => c?.type !== 'Approved' && c?.type !== 'Denied');
        if (keep.length || others.length) next.status.conditions = [...keep, ...others];
        else delete next.status.conditions;
        stampConditions(next, old);
      }
      // Deployments' status strategy keeps metadata changes but labels (the controller records revisions so).
      if (info.group === 'apps' && info.resource === 'deployments') {
        const ia = incoming.metadata?.annotations;
        if (ia === undefined || ia === null) delete next.metadata.annotations;
        else next.metadata.annotations = ia;
      }
    } else if (subresource === 'approval' && isCSR(info)) {
      // Approval writes change the conditions only.
      next = clone(old);
      next.status = { ...(old.status ?? {}), conditions: incoming.status?.conditions };
      if (!next.status.conditions) delete next.status.conditions;
      stampConditions(next, old);
    } else if (subresource === 'finalize') {
      next = clone(old);
      next.spec = { ...(old.spec ?? {}), finalizers: incoming.spec?.finalizers ?? [] };
    } else if (subresource) {
      throw methodNotSupported();
    } else {
      next = incoming;
      if (hasStatus && !strategy) {
        if (old.status === undefined) delete next.status;
        else next.status = clone(old.status);
      }
    }
    const m = next.metadata;
    const om = old.metadata;
    m.uid = om.uid;
    m.creationTimestamp = om.creationTimestamp;
    m.namespace = om.namespace;
    m.name = om.name;
    if (om.deletionTimestamp) {
      m.deletionTimestamp = om.deletionTimestamp;
      if (om.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds;
    } else {
      delete m.deletionTimestamp;
      delete m.deletionGracePeriodSeconds;
    }
    if (!m.generateName && om.generateName) m.generateName = om.generateName;
    // A CSR's spec never changes after create (upstream's strategies copy it back silently).
    if (isCSR(info)) next.spec = clone(old.spec);
    if (subresource === '' && !strategy) applyDefaults(info, next);
    if (subresource === '' && strategy) strategyErrs = strategy.update(next, old);
    dropEmptyMeta(next.metadata);
    if (!opts.managedFieldsSet) {
      if (subresource !== '') next.metadata.managedFields = om.managedFields;
      setManagedFields(
        next,
        updateManagedFields(old, next, { manager: opts.fieldManager ?? '', time: nowTime(), apiVersion: apiVersionOf(info), subresource: subresource || undefined }),
      );
    }
    if (strategy) {
      if (subresource !== '') m.generation = om.generation;
    } else if (info.generation) {
      m.generation = om.generation ?? 1;
      // Deployments also bump on annotation changes (they are copied to their ReplicaSets).
      const annotationsBump = info.group === 'apps' && info.resource === 'deployments' && !deepEqualJSON(m.annotations ?? {}, om.annotations ?? {});
      if (subresource === '' && (specChanged(next, old) || annotationsBump)) m.generation++;
    } else {
      delete m.generation;
    }
    const attrs: AdmissionAttributes = {
      info,
      operation: 'UPDATE',
      subresource,
      obj: next,
      old,
      name,
      namespace: ns,
      dryRun: opts.dryRun,
      warnings: opts.warnings,
      user: opts.user,
      options: admissionOptions(opts, 'UpdateOptions'),
    };
    await this.ctx.admission?.mutate(attrs);
    const errs = strategyErrs ?? validate(info, next, old, subresource);
    if (errs.length) throwInvalid(info, name, errs);

    // Adding finalizers to an object being deleted is not allowed.
    if (om.deletionTimestamp) {
      const oldF = new Set<string>(om.finalizers ?? []);
      const added = (m.finalizers ?? []).filter((f: string) => !oldF.has(f));
      if (added.length) {
        throwInvalid(info, name, [
          { type: 'FieldValueForbidden', field: 'metadata.finalizers', detail: `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f: string) => JSON.stringify(f)).join(', ')}}` },
        ]);
      }
    }

    m.resourceVersion = String(cur.rev);
    const hooks = this.ctx.hooksFor(info);
    const undo: Array<() => void> = [];
    if (subresource === '') hooks?.beforeUpdate?.(next, old, undo);
    if (!deepEqualJSON(next, old)) {
      try {
        await this.ctx.admission?.validate(attrs);
      } catch (e) {
        for (const u of undo) u();
        throw e;
      }
    }
    if (deepEqualJSON(next, old) || opts.dryRun) {
      for (const u of undo) u();
      return { type: 'object', status: 200, obj: next };
    }

    // An object being deleted whose last finalizer is gone is deleted now.
    if (this.readyToDelete(next)) {
      try {
        await this.ctx.store.delete(this.key(ns, name), cur.rev);
      } catch (e) {
        for (const u of undo) u();
        storeErrorToApi(info, name, e);
      }
      for (const u of undo) u();
      hooks?.afterDelete?.(old);
      return { type: 'object', status: 200, obj: next };
    }
    try {
      const kv = await this.ctx.store.update(this.key(ns, name), encodeForStore(info, next), cur.rev);
      m.resourceVersion = String(kv.modRevision);
    } catch (e) {
      for (const u of undo) u();
      storeErrorToApi(info, name, e);
    }
    hooks?.afterUpdate?.(next, old);
    return { type: 'object', status: 200, obj: next };
  }

  private readyToDelete(obj: any): boolean {
    const m = obj.metadata;
    if (!m.deletionTimestamp) return false;
    if ((m.finalizers ?? []).length > 0) return false;
    if (this.info.group === '' && this.info.resource === 'namespaces') return (obj.spec?.finalizers ?? []).length === 0;
    if (this.info.group === '' && this.info.resource === 'pods') {
      // Pods on a node are removed by the kubelet (grace period 0 delete).
      return !obj.spec?.nodeName || m.deletionGracePeriodSeconds === 0;
    }
    return true;
  }

  async patch(ns: string, name: string, patchBody: Buffer, contentType: string, subresource: string, opts: WriteOptions): Promise<RestResult> {
    const info = this.info;
    const ct = contentType.split(';')[0].trim().toLowerCase();
    if (ct === 'application/apply-patch+yaml' || ct === 'application/apply-patch+cbor') {
      if (ct !== 'application/apply-patch+yaml') throw failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml`);
      return this.apply(ns, name, patchBody, subresource, opts);
    }
    if (!['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'].includes(ct)) {
      throw failure(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml`,
      );
    }
    let patch: any;
    try {
      patch = JSON.parse(patchBody.toString('utf8'));
    } catch (e) {
      throw badRequest(`error decoding patch: ${(e as Error).message}`);
    }
    // Only a patch that itself names a resourceVersion is a precondition; any
    // other is re-applied to the latest object when a concurrent write wins.
    const patchNamesRV = ct === 'application/json-patch+json'
      ? Array.isArray(patch) && patch.some((op: any) => typeof op?.path === 'string' && op.path.startsWith('/metadata/resourceVersion'))
      : patch?.metadata?.resourceVersion !== undefined;
    for (let attempt = 0; ; attempt++) {
      const cur = await this.current(ns, name);
      if (!cur) throw notFound(info.group, info.resource, name);
      let patched: any;
      try {
        const base = asServed(info, clone(cur.obj));
        if (ct === 'application/json-patch+json') patched = applyJsonPatch(base, patch);
        else if (ct === 'application/merge-patch+json') patched = applyMergePatch(base, patch);
        else patched = applyStrategicMergePatch(base, patch, { group: info.group, version: info.version, kind: info.kind });
      } catch (e) {
        if (e instanceof PatchError) throw failure(e.code, e.reason, e.message);
        throw e;
      }
      if (patched === null || typeof patched !== 'object' || Array.isArray(patched)) throw badRequest('the patch did not produce an object');
      if (attempt === 0 && opts.fieldValidation && opts.fieldValidation !== 'Ignore') {
        const r = checkPatchFields({
          directive: opts.fieldValidation,
          patchKind: patchKindOf(ct)!,
          apiVersion: apiVersionOf(info),
          kind: info.kind,
          patchText: patchBody.toString('utf8'),
          patch,
          patched,
        });
        if (r.error) throw failure(422, 'Invalid', r.error.message, { causes: r.error.causes });
        opts.warnings?.addAll(r.warnings);
      }
      pruneUnknownFields(apiVersionOf(info), info.kind, patched);
      patched.metadata ??= {};
      // A patch that names a resourceVersion or uid is a precondition; otherwise it applies to the latest.
      checkUIDPrecondition(info, name, patched.metadata.uid, cur.obj.metadata.uid);
      const prv = patched.metadata.resourceVersion;
      if (prv !== undefined && prv !== String(cur.rev)) {
        throw conflict(info.group, info.resource, name, MODIFIED_CONFLICT);
      }
      if (patched.metadata.name !== undefined && patched.metadata.name !== name) {
        throw badRequest(`the name of the object (${patched.metadata.name}) does not match the name on the URL (${name})`);
      }
      this.checkBody(patched, ns, true);
      try {
        return await this.commitUpdate(ns, name, cur, patched, subresource, opts);
      } catch (e) {
        const retry = e instanceof ApiError && e.code === 409 && e.status.reason === 'Conflict' && !patchNamesRV && attempt < 50;
        if (!retry) throw e;
      }
    }
  }

  /** Server-side apply (PATCH application/apply-patch+yaml): creates or merges, tracking field owners. */
  private async apply(ns: string, name: string, patchBody: Buffer, subresource: string, opts: WriteOptions): Promise<RestResult> {
    const info = this.info;
    if (!opts.fieldManager) throw badRequest('PATCH request of type application/apply-patch+yaml requires fieldManager to be specified');
    let applied: any;
    try {
      // JSON is YAML: parse it as JSON when it is (much faster). Later duplicate keys
      // win either way, as in upstream's YAML decoding; fieldValidation reports them.
      const text = patchBody.toString('utf8');
      applied = /^\s*\{/.test(text) ? tryJSON(text) : undefined;
      if (applied === undefined) applied = YAML.parse(text, { uniqueKeys: false });
    } catch (e) {
      throw badRequest(`error decoding YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    if (applied === null || typeof applied !== 'object' || Array.isArray(applied)) throw badRequest('the apply configuration must be an object');
    applied.metadata ??= {};
    if (applied.metadata.name !== undefined && applied.metadata.name !== name) {
      throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (info.namespaced && applied.metadata.namespace !== undefined && applied.metadata.namespace !== ns) {
      throw badRequest(`the namespace of the object (${applied.metadata.namespace}) does not match the namespace on the request (${ns})`);
    }
    const gvk = { group: info.group, version: info.version, kind: info.kind };
    for (let attempt = 0; ; attempt++) {
      const cur = await this.current(ns, name);
      if (!cur && subresource) throw notFound(info.group, info.resource, name);
      const live = cur ? asServed(info, clone(cur.obj)) : undefined;
      let res;
      try {
        res = serverSideApply(live, applied, {
          manager: opts.fieldManager,
          force: !!opts.force,
          gvk,
          time: nowTime(),
          apiVersion: apiVersionOf(info),
          subresource: subresource || undefined,
        });
      } catch (e) {
        if (e instanceof PatchError || e instanceof ApplyError) throw failure(e.code, e.reason || 'InternalError', e.message);
        throw e;
      }
      if (res.conflicts) throw new ApiError(conflictStatus(res.conflicts) as any);
      if (attempt === 0 && opts.fieldValidation && opts.fieldValidation !== 'Ignore') {
        const r = checkApplyPatch({ directive: opts.fieldValidation, patchText: patchBody.toString('utf8') });
        if (r.error) throw badRequest(r.error);
        opts.warnings?.addAll(r.warnings);
      }
      const obj = res.object;
      obj.metadata.name = name;
      const o = { ...opts, managedFieldsSet: true };
      try {
        if (!cur) {
          delete obj.metadata.resourceVersion;
          return await this.create(ns, obj, o);
        }
        delete obj.metadata.resourceVersion;
        this.checkBody(obj, ns, true);
        return await this.commitUpdate(ns, name, cur, obj, subresource, o);
      } catch (e) {
        const retry = e instanceof ApiError && e.code === 409 && (e.status.reason === 'Conflict' || e.status.reason === 'AlreadyExists') && attempt < 5;
        if (!retry) throw e;
      }
    }
  }

  /**
   * pods/binding: assigns a pending pod to a node (what the scheduler does).
   * Sets spec.nodeName and the PodScheduled condition; refuses pods already
   * assigned or being deleted, as upstream.
   */
  async bindPod(ns: string, binding: any, urlName: string | undefined, opts: WriteOptions): Promise<RestResult> {
    const info = this.info;
    const name: string = binding?.metadata?.name ?? '';
    if (urlName !== undefined && name !== urlName) throw badRequest(`name in URL does not match name in Binding object`);
    const target = binding?.target ?? {};
    const errs: FieldError[] = [];
    if (!target.name) errs.push({ type: 'FieldValueRequired', field: 'target.name' });
    if (target.kind && target.kind !== 'Node') errs.push({ type: 'FieldValueNotSupported', field: 'target.kind', value: target.kind, detail: 'must be empty or Node' });
    if (errs.length) {
      throw invalid('', 'Binding', name, invalidMessage('Binding', name, errs), errs.map((e) => ({ reason: e.type, message: fieldErrorMessage(e), field: e.field })));
    }
    for (let attempt = 0; ; attempt++) {
      const cur = await this.current(ns, name);
      if (!cur) throw notFound(info.group, info.resource, name);
      const pod = clone(cur.obj);
      if (pod.metadata.deletionTimestamp) {
        throw conflict(info.group, 'pods/binding', name, `pod ${name} is being deleted, cannot be assigned to a host`);
      }
      if (pod.spec?.nodeName) {
        throw conflict(info.group, 'pods/binding', name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
      }
      pod.spec.nodeName = target.name;
      const ann = binding.metadata?.annotations;
      if (ann && Object.keys(ann).length) pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), ...ann };
      const conditions: any[] = (pod.status ??= {}).conditions ?? [];
      const now = nowRFC3339();
      const i = conditions.findIndex((c) => c.type === 'PodScheduled');
      const cond = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: i >= 0 && conditions[i].status === 'True' ? conditions[i].lastTransitionTime : now };
      if (i >= 0) conditions[i] = cond;
      else conditions.push(cond);
      pod.status.conditions = conditions;
      if (opts.dryRun) break;
      try {
        await this.ctx.store.update(this.key(ns, name), encodeForStore(this.info, pod), cur.rev);
        break;
      } catch (e) {
        if (e instanceof StoreError && e.code === 'Conflict' && attempt < 5) continue;
        storeErrorToApi(info, name, e);
      }
    }
    const { code: _c, ...st } = successStatus();
    return { type: 'status', status: 201, body: { ...st, code: 201 } };
  }

  async delete(ns: string, name: string, options: any, opts: WriteOptions): Promise<RestResult> {
    const info = this.info;
    const cur = await this.current(ns, name);
    if (!cur) throw notFound(info.group, info.resource, name);
    const obj = cur.obj;
    const pre = options?.preconditions;
    if (pre?.uid && pre.uid !== obj.metadata.uid) {
      throw conflict(info.group, info.resource, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== String(cur.rev)) {
      throw conflict(
        info.group,
        info.resource,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.rev}`,
      );
    }
    const isPod = info.group === '' && info.resource === 'pods';
    const isNamespace = info.group === '' && info.resource === 'namespaces';
    const next = clone(obj);
    const m = next.metadata;
    let graceful = false;
    // Pods on a node get a grace period, unless they have already finished (as upstream).
    const terminal = obj.status?.phase === 'Succeeded' || obj.status?.phase === 'Failed';
    if (isPod && obj.spec?.nodeName && !terminal) {
      let grace = options?.gracePeriodSeconds ?? obj.spec.terminationGracePeriodSeconds ?? 30;
      if (grace < 0) grace = 0;
      const prevGrace = m.deletionGracePeriodSeconds;
      if (grace > 0 && (prevGrace === undefined || grace < prevGrace)) {
        m.deletionGracePeriodSeconds = grace;
        m.deletionTimestamp = nowRFC3339(new Date(Date.now() + grace * 1000));
        graceful = true;
      } else if (grace === 0) {
        m.deletionGracePeriodSeconds = 0;
        m.deletionTimestamp ??= nowRFC3339();
      } else {
        graceful = true; // already terminating with a shorter grace period
      }
    }
    if (isNamespace) {
      if (name === 'default' || name === 'kube-system' || name === 'kube-public') {
        throw forbidden('', 'namespaces', name, 'this namespace may not be deleted');
      }
      if (!m.deletionTimestamp) m.deletionTimestamp = nowRFC3339();
      next.status = { ...(next.status ?? {}), phase: 'Terminating' };
    }
    const attrs: AdmissionAttributes = {
      info,
      operation: 'DELETE',
      subresource: '',
      obj: undefined,
      old: asServed(info, clone(obj)),
      name,
      namespace: ns,
      dryRun: opts.dryRun,
      warnings: opts.warnings,
      user: opts.user,
      options: admissionOptions({ ...opts, deleteOptions: options ?? {} }, 'DeleteOptions'),
    };
    await this.ctx.admission?.mutate(attrs);
    await this.ctx.admission?.validate(attrs);
    applyPropagationFinalizers(info, m, options);
    this.ctx.strategyFor(info)?.beforeDelete?.(next);
    const finalizers: string[] = m.finalizers ?? [];
    const mustWait = graceful || finalizers.length > 0 || (isNamespace && (next.spec?.finalizers ?? []).length > 0);
    if (mustWait) {
      if (!m.deletionTimestamp) {
        m.deletionTimestamp = nowRFC3339();
        if (!isNamespace) m.deletionGracePeriodSeconds = 0;
      }
      if (deepEqualJSON(next, obj)) return { type: 'object', status: 200, obj: this.served({ key: '', obj: next, json: '', revision: cur.rev }).obj };
      if (opts.dryRun) return { type: 'object', status: 200, obj: next };
      try {
        const kv = await this.ctx.store.update(this.key(ns, name), encodeForStore(info, next), cur.rev);
        m.resourceVersion = String(kv.modRevision);
      } catch (e) {
        storeErrorToApi(info, name, e);
      }
      return { type: 'object', status: 200, obj: asServed(info, next) };
    }
    if (!opts.dryRun) {
      try {
        await this.ctx.store.delete(this.key(ns, name), cur.rev);
      } catch (e) {
        storeErrorToApi(info, name, e);
      }
      this.ctx.hooksFor(info)?.afterDelete?.(obj);
    }
    if (isPod || (info.group === '' && info.resource === 'services')) {
      return { type: 'object', status: 200, obj: asServed(info, obj) };
    }
    const d: any = { name, kind: info.resource, uid: obj.metadata.uid };
    if (info.group) d.group = info.group;
    // As upstream's finalizeDelete: a Success Status without a code.
    const { code: _code, ...st } = successStatus();
    return { type: 'status', status: 200, body: { ...st, details: d } };
  }

  async deleteCollection(ns: string, q: URLSearchParams, options: any, opts: WriteOptions): Promise<RestResult> {
    const res = await this.list(ns, q);
    if (res.type !== 'list') throw new Error('unexpected');
    const deleted: any[] = [];
    for (const c of res.items) {
      try {
        await this.delete(c.obj.metadata.namespace ?? '', c.obj.metadata.name, options, opts);
        deleted.push(c.obj);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
    return {
      type: 'object',
      status: 200,
      obj: { kind: this.info.listKind, apiVersion: apiVersionOf(this.info), metadata: { resourceVersion: String(await this.ctx.currentRevision()) }, items: deleted },
    };
  }
}
