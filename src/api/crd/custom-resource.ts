// The custom resource strategy (upstream's pkg/registry/customresource):
// what happens to an instance of a CRD on create, update and /status
// update, its validation in upstream's order, and the /scale subresource.

import type { ResourceInfo } from '../registry.js';
import { invalid, type FieldError } from '../validation/errors.js';
import { validateObjectMeta } from '../validation/names.js';
import { deepCopy, goSprint, isGoInt, isObj, type JSONObject } from './go.js';
import { resourceInfoForCRD, servedNames } from './names.js';
import {
  statusSchemaOf,
  validateAgainstSchema,
  validateEmbeddedResources,
  validateListSetsAndMaps,
  type JSONSchemaProps,
} from './schema.js';
import { schemaForVersion, semanticEqual } from './validate-crd.js';

const MAX_INT32 = 2147483647;

export interface ScaleSpec {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/** The version's scale subresource paths, if it has one. */
export function scaleSubresourceOf(crd: any, version: string): ScaleSpec | undefined {
  const vs = Array.isArray(crd?.spec?.versions) ? crd.spec.versions : [];
  const v = vs.find((x: unknown) => isObj(x) && x.name === version);
  const sc = v?.subresources?.scale;
  if (!isObj(sc)) return undefined;
  return {
    specReplicasPath: typeof sc.specReplicasPath === 'string' ? sc.specReplicasPath : '',
    statusReplicasPath: typeof sc.statusReplicasPath === 'string' ? sc.statusReplicasPath : '',
    labelSelectorPath: typeof sc.labelSelectorPath === 'string' ? sc.labelSelectorPath : undefined,
  };
}

/** Whether the version has the status subresource. */
export function hasStatusSubresource(crd: any, version: string): boolean {
  const vs = Array.isArray(crd?.spec?.versions) ? crd.spec.versions : [];
  const v = vs.find((x: unknown) => isObj(x) && x.name === version);
  return isObj(v?.subresources?.status);
}

function goType(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return isGoInt(v) ? 'int64' : 'float64';
    default:
      return 'map[string]interface {}';
  }
}


function splitPath(p: string): string[] {
  return p.replace(/^\./, '').split('.');
}

/** unstructured.NestedFieldNoCopy + a type check, with upstream's accessor errors. */
function nested(obj: unknown, fields: string[], want: 'int64' | 'string'): { value?: unknown; found: boolean; error?: string } {
  let cur: unknown = obj;
  for (let i = 0; i < fields.length; i++) {
    if (!isObj(cur)) {
      if (cur === null || cur === undefined) return { found: false };
      return { found: false, error: `.${fields.slice(0, i + 1).join('.')} accessor error: ${goSprint(cur)} is of the type ${goType(cur)}, expected map[string]interface{}` };
    }
    if (!Object.prototype.hasOwnProperty.call(cur, fields[i])) return { found: false };
    cur = cur[fields[i]];
  }
  const ok = want === 'int64' ? typeof cur === 'number' && isGoInt(cur) : typeof cur === 'string';
  if (!ok) return { found: false, error: `.${fields.join('.')} accessor error: ${goSprint(cur)} is of the type ${goType(cur)}, expected ${want}` };
  return { value: cur, found: true };
}

function replicasErrors(path: string, obj: unknown): FieldError[] {
  const r = nested(obj, splitPath(path), 'int64');
  if (r.error) return [invalid(path, 0, r.error)];
  const n = r.found ? (r.value as number) : 0;
  if (n < 0) return [invalid(path, n, 'should be a non-negative integer')];
  if (n > MAX_INT32) return [invalid(path, n, `should be less than or equal to ${MAX_INT32}`)];
  return [];
}

/** Upstream's ValidateScaleSpec: the spec replicas field must be a non-negative int32. */
export function validateScaleSpec(obj: unknown, scale: ScaleSpec | undefined): FieldError[] {
  return scale ? replicasErrors(scale.specReplicasPath, obj) : [];
}

/** Upstream's ValidateScaleStatus: status replicas a non-negative int32, the label selector a string. */
export function validateScaleStatus(obj: unknown, scale: ScaleSpec | undefined): FieldError[] {
  if (!scale) return [];
  const errs = replicasErrors(scale.statusReplicasPath, obj);
  if (scale.labelSelectorPath !== undefined) {
    const r = nested(obj, splitPath(scale.labelSelectorPath), 'string');
    if (r.error) errs.push(invalid(scale.labelSelectorPath, '', r.error));
  }
  return errs;
}

/** Upstream's ValidateTypeMeta: kind and apiVersion must be the served ones. */
export function validateTypeMeta(obj: any, gvk: { group: string; version: string; kind: string }): FieldError[] {
  const errs: FieldError[] = [];
  const kind = typeof obj?.kind === 'string' ? obj.kind : '';
  const apiVersion = typeof obj?.apiVersion === 'string' ? obj.apiVersion : '';
  if (kind !== gvk.kind) errs.push(invalid('kind', kind, `must be ${gvk.kind}`));
  const want = `${gvk.group}/${gvk.version}`;
  if (apiVersion !== want) errs.push(invalid('apiVersion', apiVersion, `must be ${want}`));
  return errs;
}

/** Everything the CRD says about one served version, gathered once. */
export interface CustomResourceContext {
  info: ResourceInfo;
  schema?: JSONSchemaProps;
  scale?: ScaleSpec;
  hasStatus: boolean;
}

export function customResourceContext(crd: any, version: string): CustomResourceContext {
  return {
    info: resourceInfoForCRD(crd, version),
    schema: schemaForVersion(crd, version),
    scale: scaleSubresourceOf(crd, version),
    hasStatus: hasStatusSubresource(crd, version),
  };
}

/**
 * Validation of a custom resource on create (no `old`) or update, in
 * upstream's order: TypeMeta (alone if wrong), ObjectMeta, the schema
 * (ratcheted on update), scale spec and status replicas, embedded
 * resources, list-type set/map uniqueness. CEL rules are not evaluated.
 */
export function validateCustomResourceObject(ctx: CustomResourceContext, obj: any, old?: any): FieldError[] {
  const tm = validateTypeMeta(obj, ctx.info);
  if (tm.length) return tm;
  const isUpdate = old !== undefined && old !== null;
  const errs = validateObjectMeta(obj, ctx.info, !isUpdate, isUpdate ? old : undefined);
  errs.push(...validateAgainstSchema(ctx.schema, obj, isUpdate ? { old } : {}));
  errs.push(...validateScaleSpec(obj, ctx.scale));
  errs.push(...validateScaleStatus(obj, ctx.scale));
  errs.push(...validateEmbeddedResources(ctx.schema, obj));
  if (!isUpdate || validateListSetsAndMaps(ctx.schema, old).length === 0) errs.push(...validateListSetsAndMaps(ctx.schema, obj));
  return errs;
}

/**
 * Validation of a /status update: TypeMeta, ObjectMeta update rules,
 * `status` against the status schema (ratcheted), scale status, and
 * list-type uniqueness of the whole object (when the old one satisfied it).
 */
export function validateCustomResourceStatusUpdate(ctx: CustomResourceContext, obj: any, old: any): FieldError[] {
  const tm = validateTypeMeta(obj, ctx.info);
  if (tm.length) return tm;
  const errs = validateObjectMeta(obj, ctx.info, false, old);
  if (isObj(obj) && Object.prototype.hasOwnProperty.call(obj, 'status')) {
    const st = statusSchemaOf(ctx.schema);
    errs.push(...validateAgainstSchema(st, obj.status, { path: 'status', old: isObj(old) ? old.status : undefined }));
  }
  errs.push(...validateScaleStatus(obj, ctx.scale));
  const lists = validateListSetsAndMaps(ctx.schema, obj);
  if (lists.length && validateListSetsAndMaps(ctx.schema, old).length === 0) errs.push(...lists);
  return errs;
}

/** PrepareForCreate: status is dropped when the status subresource is enabled; generation starts at 1. */
export function prepareCustomResourceForCreate(ctx: Pick<CustomResourceContext, 'hasStatus'>, obj: any): void {
  if (ctx.hasStatus) delete obj.status;
  obj.metadata = isObj(obj.metadata) ? obj.metadata : {};
  obj.metadata.generation = 1;
}

function withoutMetadata(o: unknown): JSONObject {
  const out: JSONObject = {};
  if (isObj(o)) for (const k of Object.keys(o)) if (k !== 'metadata') out[k] = o[k];
  return out;
}

/**
 * PrepareForUpdate: with the status subresource the stored status is kept
 * (or status dropped); generation is bumped when anything outside metadata
 * changed.
 */
export function prepareCustomResourceForUpdate(ctx: Pick<CustomResourceContext, 'hasStatus'>, obj: any, old: any): void {
  if (ctx.hasStatus) {
    if (isObj(old) && Object.prototype.hasOwnProperty.call(old, 'status')) obj.status = deepCopy(old.status);
    else delete obj.status;
  }
  obj.metadata = isObj(obj.metadata) ? obj.metadata : {};
  const oldGen = typeof old?.metadata?.generation === 'number' ? old.metadata.generation : 0;
  if (!semanticEqual(withoutMetadata(obj), withoutMetadata(old))) obj.metadata.generation = oldGen + 1;
  else obj.metadata.generation = oldGen;
}

/**
 * The /status strategy's PrepareForUpdate: the result is the stored object
 * with only `status` (and metadata.managedFields) taken from the request.
 * Returns the object to store.
 */
export function prepareCustomResourceForStatusUpdate(obj: any, old: any): any {
  const out = deepCopy(old);
  const managedFields = obj?.metadata?.managedFields;
  out.metadata = isObj(out.metadata) ? out.metadata : {};
  if (managedFields !== undefined) out.metadata.managedFields = deepCopy(managedFields);
  else delete out.metadata.managedFields;
  if (isObj(obj) && Object.prototype.hasOwnProperty.call(obj, 'status')) out.status = deepCopy(obj.status);
  else delete out.status;
  return out;
}

/**
 * The autoscaling/v1 Scale of a custom resource (GET .../scale). Missing
 * replicas read as 0. Throws upstream's accessor error text when a path
 * holds the wrong type.
 */
export function scaleFromCustomResource(cr: any, scale: ScaleSpec): JSONObject {
  const spec = nested(cr, splitPath(scale.specReplicasPath), 'int64');
  if (spec.error) throw new Error(spec.error);
  const status = nested(cr, splitPath(scale.statusReplicasPath), 'int64');
  if (status.error) throw new Error(status.error);
  let selector = '';
  if (scale.labelSelectorPath) {
    const s = nested(cr, splitPath(scale.labelSelectorPath), 'string');
    if (s.error) throw new Error(s.error);
    selector = s.found ? (s.value as string) : '';
  }
  const m = isObj(cr?.metadata) ? cr.metadata : {};
  const metadata: JSONObject = {};
  for (const k of ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp']) if (m[k] !== undefined && m[k] !== '') metadata[k] = m[k];
  const specReplicas = spec.found ? (spec.value as number) : 0;
  const out: JSONObject = {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata,
    spec: specReplicas ? { replicas: specReplicas } : {},
    status: { replicas: status.found ? (status.value as number) : 0 },
  };
  if (selector) out.status.selector = selector;
  return out;
}

/**
 * Writes a Scale's spec.replicas into a copy of the custom resource (PUT/PATCH
 * .../scale). Throws upstream's BadRequest texts when the path is unset.
 */
export function applyScaleToCustomResource(cr: any, scale: ScaleSpec, scaleObj: any): any {
  if (!scale.specReplicasPath) throw new Error(`the spec replicas field ${JSON.stringify(scale.specReplicasPath)} cannot be empty`);
  const out = deepCopy(cr);
  const fields = splitPath(scale.specReplicasPath);
  let cur: JSONObject = out;
  for (let i = 0; i < fields.length - 1; i++) {
    const k = fields[i];
    if (!isObj(cur[k])) {
      if (cur[k] !== undefined && cur[k] !== null) {
        throw new Error(`value cannot be set because .${fields.slice(0, i + 1).join('.')} is not a map[string]interface{}`);
      }
      cur[k] = {};
    }
    cur = cur[k];
  }
  const replicas = scaleObj?.spec?.replicas;
  cur[fields[fields.length - 1]] = typeof replicas === 'number' ? replicas : 0;
  const rv = scaleObj?.metadata?.resourceVersion;
  if (typeof rv === 'string' && rv !== '') {
    out.metadata = isObj(out.metadata) ? out.metadata : {};
    out.metadata.resourceVersion = rv;
  }
  return out;
}

/** The kind and API version a served CRD version's objects carry. */
export function typeMetaOf(crd: any, version: string): { apiVersion: string; kind: string } {
  return { apiVersion: `${crd?.spec?.group}/${version}`, kind: String(servedNames(crd).kind ?? '') };
}

