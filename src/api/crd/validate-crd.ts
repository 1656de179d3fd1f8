// CustomResourceDefinition (apiextensions.k8s.io/v1) defaulting, strategy
// preparation and validation, as apiextensions-apiserver 1.32 does them.
//
// Upstream validates the internal form of the CRD, into which a v1 object
// converts with per-version schemas, subresources and printer columns that
// are identical across all versions moved to the top level. Error paths
// follow that form: a single-version CRD (or one whose versions share a
// schema) reports schema errors under `spec.validation.openAPIV3Schema`,
// subresource errors under `spec.subresources` and column errors under
// `spec.additionalPrinterColumns[i]`; differing ones stay under
// `spec.versions[i].schema.openAPIV3Schema` etc.

import { BUILTIN_RESOURCES, type ResourceInfo } from '../registry.js';
import {
  child,
  forbidden,
  goQuote,
  goStringSlice,
  GoValue,
  index,
  invalid,
  key,
  notSupported,
  required,
  tooMany,
  type FieldError,
} from '../validation/errors.js';
import { isDNS1035Label, isDNS1123Subdomain, isValidPortNum, validateObjectMeta } from '../validation/names.js';
import { deepCopy, goJSON, hasOwn, isObj, type JSONObject } from './go.js';
import { additionalOf, itemsOf, propertiesOf, type JSONSchemaProps } from './schema.js';
import { validateDefaults, validateStructural } from './structural.js';

export const CUSTOM_RESOURCE_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';
export const API_APPROVED_ANNOTATION = 'api-approved.kubernetes.io';

const CRD_INFO: ResourceInfo =
  BUILTIN_RESOURCES.find((r) => r.group === 'apiextensions.k8s.io' && r.resource === 'customresourcedefinitions') ??
  ({
    group: 'apiextensions.k8s.io',
    version: 'v1',
    resource: 'customresourcedefinitions',
    singular: 'customresourcedefinition',
    kind: 'CustomResourceDefinition',
    listKind: 'CustomResourceDefinitionList',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    verbs: [],
    subresources: [],
    generation: true,
    nameRule: 'subdomain',
    allowCreateOnUpdate: false,
  } as ResourceInfo);

const PRINTER_COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const PRINTER_COLUMN_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];
const OPENAPI_V3_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const SUPPORTED_VALIDATION_REASONS = ['FieldValueDuplicate', 'FieldValueForbidden', 'FieldValueInvalid', 'FieldValueRequired'];
const ACCEPTED_CONVERSION_REVIEW_VERSIONS = ['v1', 'v1beta1'];
const MAX_SELECTABLE_FIELDS = 8;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): JSONObject => (isObj(v) ? v : {});

// ---------------------------------------------------------------------------
// Defaulting and strategy

/** Upstream's v1 defaults (SetObjectDefaults_CustomResourceDefinition). Mutates and returns `crd`. */
export function defaultCRD(crd: any): any {
  if (!isObj(crd)) return crd;
  const spec = (crd.spec = isObj(crd.spec) ? crd.spec : {});
  const names = (spec.names = isObj(spec.names) ? spec.names : {});
  if (!str(names.singular) && str(names.kind)) names.singular = str(names.kind).toLowerCase();
  if (!str(names.listKind) && str(names.kind)) names.listKind = str(names.kind) + 'List';
  if (!isObj(spec.conversion)) spec.conversion = { strategy: 'None' };
  const svc = spec.conversion?.webhook?.clientConfig?.service;
  if (isObj(svc) && (svc.port === undefined || svc.port === null)) svc.port = 443;
  const status = isObj(crd.status) ? crd.status : undefined;
  if (!status || arr(status.storedVersions).length === 0) {
    const storage = arr(spec.versions).find((v) => isObj(v) && v.storage === true);
    if (storage) {
      crd.status = status ?? {};
      crd.status.storedVersions = [str(storage.name)];
    }
  }
  return crd;
}

function storageVersion(crd: any): string | undefined {
  const v = arr(crd?.spec?.versions).find((x) => isObj(x) && x.storage === true);
  return v ? str(v.name) : undefined;
}

/**
 * Upstream's PrepareForCreate: status reset (acceptedNames empty, the
 * storage version as the first stored version), generation 1.
 */
export function prepareCRDForCreate(crd: any): void {
  const status: JSONObject = { acceptedNames: { plural: '', kind: '' } };
  const sv = storageVersion(crd);
  if (sv !== undefined) status.storedVersions = [sv];
  crd.status = status;
  crd.metadata = isObj(crd.metadata) ? crd.metadata : {};
  crd.metadata.generation = 1;
}

/**
 * Upstream's PrepareForUpdate for the main resource: status kept from the
 * stored object, generation bumped on spec changes, a new storage version
 * appended to status.storedVersions.
 */
export function prepareCRDForUpdate(crd: any, old: any): void {
  crd.status = deepCopy(isObj(old?.status) ? old.status : {});
  crd.metadata = isObj(crd.metadata) ? crd.metadata : {};
  const oldGen = typeof old?.metadata?.generation === 'number' ? old.metadata.generation : 0;
  crd.metadata.generation = semanticEqual(crd.spec, old?.spec) ? oldGen : oldGen + 1;
  const sv = storageVersion(crd);
  if (sv !== undefined) {
    const stored = arr(crd.status.storedVersions);
    if (!stored.includes(sv)) crd.status.storedVersions = [...stored, sv];
  }
}

/** Upstream's status strategy PrepareForUpdate: the spec cannot change through /status. */
export function prepareCRDForStatusUpdate(crd: any, old: any): void {
  crd.spec = deepCopy(old?.spec);
}

/**
 * What DELETE of a CRD does first (upstream's registry): the cleanup
 * finalizer is added and a `Terminating` condition set, so instances are
 * deleted before the CRD goes. Returns the updated copy.
 */
export function markCRDTerminating(crd: any, now: Date | string): any {
  const out = deepCopy(crd);
  const ts = typeof now === 'string' ? now : rfc3339(now);
  out.metadata = isObj(out.metadata) ? out.metadata : {};
  if (!out.metadata.deletionTimestamp) out.metadata.deletionTimestamp = ts;
  const fin = arr(out.metadata.finalizers);
  if (!fin.includes(CUSTOM_RESOURCE_CLEANUP_FINALIZER)) out.metadata.finalizers = [...fin, CUSTOM_RESOURCE_CLEANUP_FINALIZER];
  setCRDCondition(out, { type: 'Terminating', status: 'True', reason: 'InstanceDeletionPending', message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon' }, ts);
  return out;
}

export interface CRDCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export function rfc3339(d: Date): string {
  return new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Upstream's SetCRDCondition: the transition time moves only when the status changes. */
export function setCRDCondition(crd: any, cond: CRDCondition, now: string): void {
  crd.status = isObj(crd.status) ? crd.status : {};
  const conds: CRDCondition[] = Array.isArray(crd.status.conditions) ? crd.status.conditions : (crd.status.conditions = []);
  const existing = conds.find((c) => isObj(c) && c.type === cond.type);
  if (!existing) {
    conds.push({ type: cond.type, status: cond.status, lastTransitionTime: now, reason: cond.reason, message: cond.message });
    return;
  }
  if (existing.status !== cond.status || !existing.lastTransitionTime) existing.lastTransitionTime = now;
  existing.status = cond.status;
  existing.reason = cond.reason;
  existing.message = cond.message;
}

export function isCRDConditionTrue(crd: any, type: string): boolean {
  return arr(crd?.status?.conditions).some((c) => isObj(c) && c.type === type && c.status === 'True');
}

// ---------------------------------------------------------------------------
// Semantic equality (apimachinery's equality.Semantic over v1 JSON)

function isEmptyish(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === false || (Array.isArray(v) && v.length === 0);
}

/** Deep equality where absent, null, '', false and [] equal each other (Go zero values); {} is a set pointer. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isEmptyish(a) && isEmptyish(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// The internal form

interface InternalVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated: boolean;
  deprecationWarning?: unknown;
  schema?: JSONObject;
  subresources?: JSONObject;
  additionalPrinterColumns?: any[];
  selectableFields?: any[];
}

interface InternalSpec {
  group: string;
  names: JSONObject;
  scope: string;
  version: string;
  versions: InternalVersion[];
  validation?: JSONObject;
  subresources?: JSONObject;
  additionalPrinterColumns?: any[];
  selectableFields?: any[];
  conversion?: JSONObject;
  preserveUnknownFields: boolean;
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function toInternal(specIn: unknown): InternalSpec {
  const spec = obj(specIn);
  const versions: InternalVersion[] = arr(spec.versions).map((v0) => {
    const v = obj(v0);
    return {
      name: str(v.name),
      served: v.served === true,
      storage: v.storage === true,
      deprecated: v.deprecated === true,
      deprecationWarning: v.deprecationWarning,
      schema: isObj(v.schema) ? v.schema : undefined,
      subresources: isObj(v.subresources) ? v.subresources : undefined,
      additionalPrinterColumns: Array.isArray(v.additionalPrinterColumns) ? v.additionalPrinterColumns : undefined,
      selectableFields: Array.isArray(v.selectableFields) ? v.selectableFields : undefined,
    };
  });
  const out: InternalSpec = {
    group: str(spec.group),
    names: obj(spec.names),
    scope: str(spec.scope),
    version: versions.length ? versions[0].name : '',
    versions,
    conversion: isObj(spec.conversion) ? spec.conversion : undefined,
    preserveUnknownFields: spec.preserveUnknownFields === true,
  };
  if (versions.length === 0) return out;
  const same = (f: (v: InternalVersion) => unknown) => versions.every((v) => semanticEqualPtr(f(v), f(versions[0])));
  if (same((v) => v.subresources)) {
    out.subresources = versions[0].subresources;
    for (const v of versions) v.subresources = undefined;
  }
  if (same((v) => v.schema)) {
    out.validation = versions[0].schema;
    for (const v of versions) v.schema = undefined;
  }
  if (same((v) => v.additionalPrinterColumns)) {
    out.additionalPrinterColumns = versions[0].additionalPrinterColumns;
    for (const v of versions) v.additionalPrinterColumns = undefined;
  }
  if (same((v) => v.selectableFields)) {
    out.selectableFields = versions[0].selectableFields;
    for (const v of versions) v.selectableFields = undefined;
  }
  return out;
}

/** Semantic equality of optional pointers: absent differs from a present (even empty) object. */
function semanticEqualPtr(a: unknown, b: unknown): boolean {
  if (!present(a) || !present(b)) {
    if (Array.isArray(a) || Array.isArray(b)) return semanticEqual(a, b);
    return present(a) === present(b);
  }
  return semanticEqual(a, b);
}

// Go renderings of internal values for error messages

function ptr(type: string, v: unknown): string {
  return present(v) ? `(*${type})(0xc000000000)` : `(*${type})(nil)`;
}

function goColumns(cols: any[] | undefined): string {
  if (!cols) return '[]apiextensions.CustomResourceColumnDefinition(nil)';
  const items = cols.map((c0) => {
    const c = obj(c0);
    return `apiextensions.CustomResourceColumnDefinition{Name:${goQuote(str(c.name))}, Type:${goQuote(str(c.type))}, Format:${goQuote(str(c.format))}, Description:${goQuote(str(c.description))}, Priority:${typeof c.priority === 'number' ? c.priority : 0}, JSONPath:${goQuote(str(c.jsonPath))}}`;
  });
  return `[]apiextensions.CustomResourceColumnDefinition{${items.join(', ')}}`;
}

function goSelectable(fields: any[] | undefined): string {
  if (!fields) return '[]apiextensions.SelectableField(nil)';
  return `[]apiextensions.SelectableField{${fields.map((f) => `apiextensions.SelectableField{JSONPath:${goQuote(str(obj(f).jsonPath))}}`).join(', ')}}`;
}

function goVersions(versions: InternalVersion[], raw: unknown): GoValue {
  if (!Array.isArray(raw)) return new GoValue('[]apiextensions.CustomResourceDefinitionVersion(nil)');
  const items = versions.map(
    (v) =>
      `apiextensions.CustomResourceDefinitionVersion{Name:${goQuote(v.name)}, Served:${v.served}, Storage:${v.storage}, Deprecated:${v.deprecated}, DeprecationWarning:${ptr('string', v.deprecationWarning)}, Schema:${ptr('apiextensions.CustomResourceValidation', v.schema)}, Subresources:${ptr('apiextensions.CustomResourceSubresources', v.subresources)}, AdditionalPrinterColumns:${goColumns(v.additionalPrinterColumns)}, SelectableFields:${goSelectable(v.selectableFields)}}`,
  );
  return new GoValue(`[]apiextensions.CustomResourceDefinitionVersion{${items.join(', ')}}`);
}

function goSchema(s: JSONSchemaProps): GoValue {
  return new GoValue(`apiextensions.JSONSchemaProps${goJSON(s)}`);
}

// ---------------------------------------------------------------------------
// Options (what an update may keep from a previously accepted CRD)

interface Opts {
  allowDefaults: boolean;
  requireRecognizedConversionReviewVersion: boolean;
  requireImmutableNames: boolean;
  requireOpenAPISchema: boolean;
  requireValidPropertyType: boolean;
  requireStructuralSchema: boolean;
  requirePrunedDefaults: boolean;
  requireAtomicSetType: boolean;
  requireMapListKeysMapSetValidation: boolean;
  allowTooManySelectableFields: Set<string>;
}

function schemaHas(s: unknown, pred: (s: JSONSchemaProps) => boolean): boolean {
  if (!isObj(s)) return false;
  if (pred(s)) return true;
  if (Array.isArray(s.items)) {
    if (s.items.some((x: unknown) => schemaHas(x, pred))) return true;
  } else if (schemaHas(s.items, pred)) return true;
  for (const k of ['allOf', 'anyOf', 'oneOf']) if (arr(s[k]).some((x) => schemaHas(x, pred))) return true;
  if (schemaHas(s.not, pred)) return true;
  for (const k of ['properties', 'patternProperties', 'definitions']) {
    if (isObj(s[k]) && Object.values(s[k]).some((x) => schemaHas(x, pred))) return true;
  }
  if (schemaHas(s.additionalProperties, pred) || schemaHas(s.additionalItems, pred)) return true;
  if (isObj(s.dependencies) && Object.values(s.dependencies).some((x) => schemaHas(x, pred))) return true;
  return false;
}

function allSchemas(spec: InternalSpec): JSONSchemaProps[] {
  const out: JSONSchemaProps[] = [];
  if (isObj(spec.validation?.openAPIV3Schema)) out.push(spec.validation!.openAPIV3Schema);
  for (const v of spec.versions) if (isObj(v.schema?.openAPIV3Schema)) out.push(v.schema!.openAPIV3Schema);
  return out;
}

function specHasSchemaWith(spec: InternalSpec, pred: (s: JSONSchemaProps) => boolean): boolean {
  return allSchemas(spec).some((s) => schemaHas(s, pred));
}

function isNonStructural(s: JSONSchemaProps): boolean {
  return initError(s) !== undefined || validateStructural(s, '').length > 0;
}

function hasNonAtomicSetType(s: JSONSchemaProps): boolean {
  if (s['x-kubernetes-list-type'] !== 'set' || !isObj(s.items)) return false;
  const it = s.items;
  if (it.type === 'array') return typeof it['x-kubernetes-list-type'] === 'string' && it['x-kubernetes-list-type'] !== 'atomic';
  if (it.type === 'object') return it['x-kubernetes-map-type'] !== 'atomic';
  return false;
}

function updateOpts(crd: any, old: any): Opts {
  const oldSpec = toInternal(old?.spec);
  const newSpec = toInternal(crd?.spec);
  const allTooMany = new Set<string>();
  if (arr(oldSpec.selectableFields).length > MAX_SELECTABLE_FIELDS && semanticEqual(newSpec.selectableFields, oldSpec.selectableFields)) allTooMany.add('');
  for (const v of newSpec.versions) {
    const ov = oldSpec.versions.find((x) => x.name === v.name);
    if (ov && arr(ov.selectableFields).length > MAX_SELECTABLE_FIELDS && semanticEqual(v.selectableFields, ov.selectableFields)) allTooMany.add(v.name);
  }
  const oldReview = arr(old?.spec?.conversion?.webhook?.conversionReviewVersions);
  return {
    allowDefaults: true,
    requireRecognizedConversionReviewVersion: oldReview.length === 0 || oldReview.some((v) => ACCEPTED_CONVERSION_REVIEW_VERSIONS.includes(v)),
    requireImmutableNames: isCRDConditionTrue(old, 'Established'),
    requireOpenAPISchema: !!oldSpec.validation?.openAPIV3Schema || oldSpec.versions.every((v) => isObj(v.schema?.openAPIV3Schema)),
    requireValidPropertyType: !specHasSchemaWith(oldSpec, (s) => typeof s.type === 'string' && s.type !== '' && !OPENAPI_V3_TYPES.includes(s.type)),
    requireStructuralSchema: !allSchemas(oldSpec).some(isNonStructural),
    requirePrunedDefaults: true,
    requireAtomicSetType: !specHasSchemaWith(oldSpec, hasNonAtomicSetType),
    requireMapListKeysMapSetValidation: !specHasSchemaWith(oldSpec, (s) => mapListKeysMapSet(s, '').length > 0),
    allowTooManySelectableFields: allTooMany,
  };
}

const CREATE_OPTS: Opts = {
  allowDefaults: true,
  requireRecognizedConversionReviewVersion: true,
  requireImmutableNames: false,
  requireOpenAPISchema: true,
  requireValidPropertyType: true,
  requireStructuralSchema: true,
  requirePrunedDefaults: true,
  requireAtomicSetType: true,
  requireMapListKeysMapSetValidation: true,
  allowTooManySelectableFields: new Set(),
};

// ---------------------------------------------------------------------------
// Schema (openAPIV3Schema) validation

/** NewStructural's conversion errors (keywords a structural schema cannot hold), first one only. */
function initError(s: unknown): string | undefined {
  if (!isObj(s)) return undefined;
  if (str(s.id)) return "OpenAPIV3Schema 'id' is not supported";
  if (str(s.$schema)) return "OpenAPIV3Schema 'schema' is not supported";
  if (str(s.$ref)) return "OpenAPIV3Schema '$ref' is not supported";
  if (isObj(s.patternProperties) && Object.keys(s.patternProperties).length) return "OpenAPIV3Schema 'patternProperties' is not supported";
  if (isObj(s.dependencies) && Object.keys(s.dependencies).length) return "OpenAPIV3Schema 'dependencies' is not supported";
  if (present(s.additionalItems)) return "OpenAPIV3Schema 'additionalItems' is not supported";
  if (isObj(s.definitions) && Object.keys(s.definitions).length) return "OpenAPIV3Schema 'definitions' is not supported";
  if (s['x-kubernetes-preserve-unknown-fields'] === false) return "internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined";
  for (const sub of [s.not, ...arr(s.allOf), ...arr(s.anyOf), ...arr(s.oneOf)]) {
    const e = initError(sub);
    if (e) return e;
  }
  if (Array.isArray(s.items) && s.items.length > 0) return "OpenAPIV3Schema 'items' must be a schema, but is an array";
  if (isObj(s.items)) {
    const e = initError(s.items);
    if (e) return e;
  }
  if (isObj(s.properties)) {
    for (const p of Object.values(s.properties)) {
      const e = initError(p);
      if (e) return e;
    }
  }
  if (isObj(s.additionalProperties)) return initError(s.additionalProperties);
  return undefined;
}

interface SSV {
  allowDefaults: boolean;
  disallowDefaultsReason: string;
  insideResourceMeta: boolean;
  requireValidPropertyType: boolean;
}

function ssvValidate(ssv: SSV, s: JSONSchemaProps, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = str(s.type);
  if (ssv.requireValidPropertyType && type !== '' && !OPENAPI_V3_TYPES.includes(type)) errs.push(notSupported(child(path, 'type'), type, OPENAPI_V3_TYPES));
  if (present(s.default) && !ssv.allowDefaults) {
    errs.push(forbidden(child(path, 'default'), 'must not be set' + (ssv.disallowDefaultsReason ? ' ' + ssv.disallowDefaultsReason : '')));
  }
  if (str(s.id)) errs.push(forbidden(child(path, 'id'), 'id is not supported'));
  if (present(s.additionalItems)) errs.push(forbidden(child(path, 'additionalItems'), 'additionalItems is not supported'));
  if (isObj(s.patternProperties) && Object.keys(s.patternProperties).length) errs.push(forbidden(child(path, 'patternProperties'), 'patternProperties is not supported'));
  if (isObj(s.definitions) && Object.keys(s.definitions).length) errs.push(forbidden(child(path, 'definitions'), 'definitions is not supported'));
  if (present(s.dependencies)) errs.push(forbidden(child(path, 'dependencies'), 'dependencies is not supported'));
  if (present(s.$ref)) errs.push(forbidden(child(path, '$ref'), '$ref is not supported'));
  if (type === 'null') errs.push(forbidden(child(path, 'type'), 'type cannot be set to null, use nullable as an alternative'));
  if (Array.isArray(s.items) && s.items.length) errs.push(forbidden(child(path, 'items'), 'items must be a schema object and not an array'));
  if (ssv.insideResourceMeta && s['x-kubernetes-embedded-resource'] === true) {
    errs.push(forbidden(child(path, 'x-kubernetes-embedded-resource'), 'must not be used inside of resource meta'));
  }
  return errs;
}

function mapListKeysMapSet(s: JSONSchemaProps, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const it = itemsOf(s);
  const lt = s['x-kubernetes-list-type'];
  if (!it || (lt !== 'set' && lt !== 'map')) return errs;
  if (it.nullable === true) errs.push(forbidden(child(child(path, 'items'), 'nullable'), 'cannot be nullable when x-kubernetes-list-type is ' + lt));
  if (lt === 'map') {
    const req = new Set(arr(it.required));
    const props = propertiesOf(it) ?? {};
    for (const k of arr(s['x-kubernetes-list-map-keys'])) {
      if (typeof k !== 'string' || !hasOwn(props, k) || !isObj(props[k])) continue;
      const p = props[k];
      const base = key(child(child(path, 'items'), 'properties'), k);
      if (!req.has(k) && !present(p.default)) {
        errs.push(required(child(base, 'default'), 'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property'));
      }
      if (p.nullable === true) errs.push(forbidden(child(base, 'nullable'), 'this property is in x-kubernetes-list-map-keys, so it cannot be nullable'));
    }
  }
  return errs;
}

const META_FIELDS = new Set(['metadata', 'kind', 'apiVersion']);

function validateOpenAPISchema(s: unknown, path: string, ssv: SSV, isRoot: boolean, opts: Opts): FieldError[] {
  if (!isObj(s)) return [];
  const errs: FieldError[] = [...ssvValidate(ssv, s, path)];
  if (s.uniqueItems === true) errs.push(forbidden(child(path, 'uniqueItems'), 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  const props = propertiesOf(s);
  const hasProps = !!props && Object.keys(props).length > 0;
  const ap = s.additionalProperties;
  if (present(ap)) {
    if (hasProps && (ap === false || isObj(ap))) errs.push(forbidden(child(path, 'additionalProperties'), 'additionalProperties and properties are mutual exclusive'));
    const sub = ssv.insideResourceMeta ? { ...ssv, allowDefaults: false, disallowDefaultsReason: 'inside additionalProperties applying to object metadata' } : ssv;
    errs.push(...validateOpenAPISchema(ap, child(path, 'additionalProperties'), sub, false, opts));
  }
  if (hasProps) {
    for (const p of Object.keys(props!).sort()) {
      let sub = ssv;
      if ((isRoot || s['x-kubernetes-embedded-resource'] === true) && META_FIELDS.has(p)) {
        sub = { ...sub, insideResourceMeta: true };
        if (isRoot) sub = { ...sub, allowDefaults: false, disallowDefaultsReason: `in top-level ${p}` };
      }
      errs.push(...validateOpenAPISchema(props![p], key(child(path, 'properties'), p), sub, false, opts));
    }
  }
  errs.push(...validateOpenAPISchema(s.not, child(path, 'not'), ssv, false, opts));
  arr(s.allOf).forEach((x, i) => errs.push(...validateOpenAPISchema(x, index(child(path, 'allOf'), i), ssv, false, opts)));
  arr(s.oneOf).forEach((x, i) => errs.push(...validateOpenAPISchema(x, index(child(path, 'oneOf'), i), ssv, false, opts)));
  arr(s.anyOf).forEach((x, i) => errs.push(...validateOpenAPISchema(x, index(child(path, 'anyOf'), i), ssv, false, opts)));
  if (isObj(s.definitions)) {
    for (const d of Object.keys(s.definitions).sort()) errs.push(...validateOpenAPISchema(s.definitions[d], key(child(path, 'definitions'), d), ssv, false, opts));
  }
  if (present(s.items)) {
    if (isObj(s.items)) errs.push(...validateOpenAPISchema(s.items, child(path, 'items'), ssv, false, opts));
    else arr(s.items).forEach((x, i) => errs.push(...validateOpenAPISchema(x, index(child(path, 'items'), i), ssv, false, opts)));
  }
  if (isObj(s.dependencies)) {
    for (const d of Object.keys(s.dependencies).sort()) {
      if (isObj(s.dependencies[d])) errs.push(...validateOpenAPISchema(s.dependencies[d], key(child(path, 'dependencies'), d), ssv, false, opts));
    }
  }
  if (s['x-kubernetes-preserve-unknown-fields'] === false) {
    errs.push(invalid(child(path, 'x-kubernetes-preserve-unknown-fields'), false, 'must be true or undefined'));
  }
  const type = str(s.type);
  const mapType = s['x-kubernetes-map-type'];
  if (present(mapType) && type !== 'object') {
    if (type === '') errs.push(required(child(path, 'type'), 'must be object if x-kubernetes-map-type is specified'));
    else errs.push(invalid(child(path, 'type'), type, 'must be object if x-kubernetes-map-type is specified'));
  }
  if (present(mapType) && mapType !== 'atomic' && mapType !== 'granular') errs.push(notSupported(child(path, 'x-kubernetes-map-type'), mapType, ['atomic', 'granular']));
  const listType = s['x-kubernetes-list-type'];
  if (present(listType) && type !== 'array') {
    if (type === '') errs.push(required(child(path, 'type'), 'must be array if x-kubernetes-list-type is specified'));
    else errs.push(invalid(child(path, 'type'), type, 'must be array if x-kubernetes-list-type is specified'));
  } else if (opts.requireAtomicSetType && listType === 'set' && isObj(s.items)) {
    const it = s.items;
    if (it.type === 'array') {
      if (typeof it['x-kubernetes-list-type'] === 'string' && it['x-kubernetes-list-type'] !== 'atomic') {
        errs.push(invalid(child(child(path, 'items'), 'x-kubernetes-list-type'), it['x-kubernetes-list-type'], 'must be atomic as item of a list with x-kubernetes-list-type=set'));
      }
    } else if (it.type === 'object') {
      if (it['x-kubernetes-map-type'] !== 'atomic') {
        errs.push(invalid(child(child(path, 'items'), 'x-kubernetes-map-type'), it['x-kubernetes-list-type'] ?? null, 'must be atomic as item of a list with x-kubernetes-list-type=set'));
      }
    }
  }
  if (present(listType) && listType !== 'atomic' && listType !== 'set' && listType !== 'map') {
    errs.push(notSupported(child(path, 'x-kubernetes-list-type'), listType, ['atomic', 'set', 'map']));
  }
  const mapKeys = arr(s['x-kubernetes-list-map-keys']);
  if (mapKeys.length > 0) {
    if (!present(listType)) errs.push(required(child(path, 'x-kubernetes-list-type'), 'must be map if x-kubernetes-list-map-keys is non-empty'));
    else if (listType !== 'map') errs.push(invalid(child(path, 'x-kubernetes-list-type'), listType, 'must be map if x-kubernetes-list-map-keys is non-empty'));
  }
  if (listType === 'map') {
    if (mapKeys.length === 0) errs.push(required(child(path, 'x-kubernetes-list-map-keys'), 'must not be empty if x-kubernetes-list-type is map'));
    if (!present(s.items)) errs.push(required(child(path, 'items'), 'must have a schema if x-kubernetes-list-type is map'));
    if (Array.isArray(s.items)) errs.push(invalid(child(path, 'items'), new GoValue(`&apiextensions.JSONSchemaPropsOrArray${goJSON(s.items)}`), 'must only have a single schema if x-kubernetes-list-type is map'));
    if (isObj(s.items) && s.items.type !== 'object') {
      errs.push(invalid(child(child(path, 'items'), 'type'), str(s.items.type), "must be object if parent array's x-kubernetes-list-type is map"));
    }
    if (isObj(s.items) && s.items.type === 'object') {
      const itemProps = propertiesOf(s.items) ?? {};
      const seen = new Set<string>();
      for (const k of mapKeys) {
        if (hasOwn(itemProps, k) && isObj(itemProps[k])) {
          const t = itemProps[k].type;
          if (t === 'array' || t === 'object') {
            errs.push(invalid(child(key(child(child(path, 'items'), 'properties'), k), 'type'), str(s.items.type), "must be a scalar type if parent array's x-kubernetes-list-type is map"));
          }
        } else {
          errs.push(invalid(child(path, 'x-kubernetes-list-map-keys'), goStringSlice(mapKeys), 'entries must all be names of item properties'));
        }
        if (seen.has(k)) errs.push(invalid(child(path, 'x-kubernetes-list-map-keys'), goStringSlice(mapKeys), 'must not contain duplicate entries'));
        seen.add(k);
      }
    }
  }
  if (opts.requireMapListKeysMapSetValidation) errs.push(...mapListKeysMapSet(s, path));
  arr(s['x-kubernetes-validations']).forEach((r0, i) => {
    const r = obj(r0);
    const rp = index(child(path, 'x-kubernetes-validations'), i);
    const rule = str(r.rule).trim();
    const msg = str(r.message);
    const tmsg = msg.trim();
    if (rule === '') errs.push(required(child(rp, 'rule'), 'rule is not specified'));
    else if (msg.length > 0 && tmsg === '') errs.push(invalid(child(rp, 'message'), msg, 'must be non-empty if specified'));
    else if (/[\n\r]/.test(tmsg)) errs.push(invalid(child(rp, 'message'), msg, 'must not contain line breaks'));
    else if (/[\n\r]/.test(rule) && tmsg === '') errs.push(required(child(rp, 'message'), 'message must be specified if rule contains line breaks'));
    if (str(r.messageExpression).length > 0 && str(r.messageExpression).trim() === '') {
      errs.push(required(child(rp, 'messageExpression'), 'messageExpression must be non-empty if specified'));
    }
    if (present(r.reason) && !SUPPORTED_VALIDATION_REASONS.includes(str(r.reason))) errs.push(notSupported(child(rp, 'reason'), r.reason, SUPPORTED_VALIDATION_REASONS));
    const fp = str(r.fieldPath);
    if (fp.length > 0 && fp.trim() === '') errs.push(invalid(child(rp, 'fieldPath'), fp, 'must be non-empty if specified'));
    if (/[\n\r]/.test(fp)) errs.push(invalid(child(rp, 'fieldPath'), fp, 'must not contain line breaks'));
  });
  return errs;
}

// Fields of the internal JSONSchemaProps in struct order, with the ones allowed at the root when /status is enabled.
const ROOT_FIELDS: Array<[string, string, 'bool' | 'str' | 'ptr' | 'slice' | 'map']> = [
  ['id', 'ID', 'str'],
  ['$schema', 'Schema', 'str'],
  ['$ref', 'Ref', 'ptr'],
  ['description', 'Description', 'str'],
  ['type', 'Type', 'str'],
  ['nullable', 'Nullable', 'bool'],
  ['format', 'Format', 'str'],
  ['title', 'Title', 'str'],
  ['default', 'Default', 'ptr'],
  ['maximum', 'Maximum', 'ptr'],
  ['exclusiveMaximum', 'ExclusiveMaximum', 'bool'],
  ['minimum', 'Minimum', 'ptr'],
  ['exclusiveMinimum', 'ExclusiveMinimum', 'bool'],
  ['maxLength', 'MaxLength', 'ptr'],
  ['minLength', 'MinLength', 'ptr'],
  ['pattern', 'Pattern', 'str'],
  ['maxItems', 'MaxItems', 'ptr'],
  ['minItems', 'MinItems', 'ptr'],
  ['uniqueItems', 'UniqueItems', 'bool'],
  ['multipleOf', 'MultipleOf', 'ptr'],
  ['enum', 'Enum', 'slice'],
  ['maxProperties', 'MaxProperties', 'ptr'],
  ['minProperties', 'MinProperties', 'ptr'],
  ['required', 'Required', 'slice'],
  ['items', 'Items', 'ptr'],
  ['allOf', 'AllOf', 'slice'],
  ['oneOf', 'OneOf', 'slice'],
  ['anyOf', 'AnyOf', 'slice'],
  ['not', 'Not', 'ptr'],
  ['properties', 'Properties', 'map'],
  ['additionalProperties', 'AdditionalProperties', 'ptr'],
  ['patternProperties', 'PatternProperties', 'map'],
  ['dependencies', 'Dependencies', 'map'],
  ['additionalItems', 'AdditionalItems', 'ptr'],
  ['definitions', 'Definitions', 'map'],
  ['externalDocs', 'ExternalDocs', 'ptr'],
  ['example', 'Example', 'ptr'],
  ['x-kubernetes-preserve-unknown-fields', 'XPreserveUnknownFields', 'ptr'],
  ['x-kubernetes-embedded-resource', 'XEmbeddedResource', 'bool'],
  ['x-kubernetes-int-or-string', 'XIntOrString', 'bool'],
  ['x-kubernetes-list-map-keys', 'XListMapKeys', 'slice'],
  ['x-kubernetes-list-type', 'XListType', 'ptr'],
  ['x-kubernetes-map-type', 'XMapType', 'ptr'],
  ['x-kubernetes-validations', 'XValidations', 'slice'],
];
const ALLOWED_AT_ROOT = [
  'Description',
  'Type',
  'Format',
  'Title',
  'Maximum',
  'ExclusiveMaximum',
  'Minimum',
  'ExclusiveMinimum',
  'MaxLength',
  'MinLength',
  'Pattern',
  'MaxItems',
  'MinItems',
  'UniqueItems',
  'MultipleOf',
  'Required',
  'Items',
  'Properties',
  'ExternalDocs',
  'Example',
  'XPreserveUnknownFields',
  'XValidations',
];

function validateValidation(validation: JSONObject | undefined, statusEnabled: boolean, opts: Opts, path: string): FieldError[] {
  if (!validation) return [];
  const errs: FieldError[] = [];
  const schema = validation.openAPIV3Schema;
  if (isObj(schema)) {
    if (statusEnabled) {
      for (const [jsonName, goName, kind] of ROOT_FIELDS) {
        const v = schema[jsonName];
        const zero = kind === 'bool' ? v !== true : kind === 'str' ? !v : kind === 'ptr' ? !present(v) : kind === 'slice' ? !Array.isArray(v) : !isObj(v) || Object.keys(v).length === 0;
        if (zero) continue;
        if (goName === 'Type') {
          if (v !== 'object') {
            errs.push(invalid(child(path, 'openAPIV3Schema.type'), str(v), 'only "object" is allowed as the type at the root of the schema if the status subresource is enabled'));
            break;
          }
          continue;
        }
        if (!ALLOWED_AT_ROOT.includes(goName)) {
          errs.push(invalid(child(path, 'openAPIV3Schema'), goSchema(schema), `only [${ALLOWED_AT_ROOT.join(' ')}] fields are allowed at the root of the schema if the status subresource is enabled`));
          break;
        }
      }
    }
    if (schema.nullable === true) errs.push(forbidden(child(path, 'openAPIV3Schema.nullable'), 'nullable cannot be true at the root'));
    const ssv: SSV = { allowDefaults: opts.allowDefaults, disallowDefaultsReason: '', insideResourceMeta: false, requireValidPropertyType: opts.requireValidPropertyType };
    const initErrs: FieldError[] = [];
    const sp = child(path, 'openAPIV3Schema');
    if (opts.requireStructuralSchema) {
      const ie = initError(schema);
      if (ie) initErrs.push(invalid(sp, '', ie));
      else {
        const se = validateStructural(schema, sp);
        if (se.length) errs.push(...se);
        else errs.push(...validateDefaults(schema, sp, opts.requirePrunedDefaults));
      }
    }
    errs.push(...validateOpenAPISchema(schema, sp, ssv, true, opts));
    if (errs.length === 0) errs.push(...initErrs);
  }
  return errs;
}

// ---------------------------------------------------------------------------
// Subresources, columns, selectable fields, conversion

function validateSimpleJSONPath(s: string, path: string): FieldError[] {
  if (s.length === 0) return [invalid(path, s, 'must not be empty')];
  if (s[0] !== '.') return [invalid(path, s, 'must be a simple json path starting with .')];
  return [];
}

function validateSubresources(sub: JSONObject | undefined, path: string): FieldError[] {
  if (!sub) return [];
  const errs: FieldError[] = [];
  if (present(sub.scale)) {
    const sc = obj(sub.scale);
    const spec = str(sc.specReplicasPath);
    if (spec === '') errs.push(required(child(path, 'scale.specReplicasPath'), ''));
    else {
      const e = validateSimpleJSONPath(spec, child(path, 'scale.specReplicasPath'));
      if (e.length) errs.push(...e);
      else if (!spec.startsWith('.spec.')) errs.push(invalid(child(path, 'scale.specReplicasPath'), spec, 'should be a json path under .spec'));
    }
    const status = str(sc.statusReplicasPath);
    if (status === '') errs.push(required(child(path, 'scale.statusReplicasPath'), ''));
    else {
      const e = validateSimpleJSONPath(status, child(path, 'scale.statusReplicasPath'));
      if (e.length) errs.push(...e);
      else if (!status.startsWith('.status.')) errs.push(invalid(child(path, 'scale.statusReplicasPath'), status, 'should be a json path under .status'));
    }
    const sel = str(sc.labelSelectorPath);
    if (sel !== '') {
      const e = validateSimpleJSONPath(sel, child(path, 'scale.labelSelectorPath'));
      if (e.length) errs.push(...e);
      else if (!sel.startsWith('.spec.') && !sel.startsWith('.status.')) {
        errs.push(invalid(child(path, 'scale.labelSelectorPath'), sel, 'should be a json path under either .spec or .status'));
      }
    }
  }
  return errs;
}

function validateColumn(c0: unknown, path: string): FieldError[] {
  const c = obj(c0);
  const errs: FieldError[] = [];
  if (!str(c.name)) errs.push(required(child(path, 'name'), ''));
  const type = str(c.type);
  if (!type) errs.push(required(child(path, 'type'), `must be one of ${PRINTER_COLUMN_TYPES.join(',')}`));
  else if (!PRINTER_COLUMN_TYPES.includes(type)) errs.push(invalid(child(path, 'type'), type, `must be one of ${PRINTER_COLUMN_TYPES.join(',')}`));
  const format = str(c.format);
  if (format && !PRINTER_COLUMN_FORMATS.includes(format)) errs.push(invalid(child(path, 'format'), format, `must be one of ${PRINTER_COLUMN_FORMATS.join(',')}`));
  const jp = str(c.jsonPath);
  if (!jp) errs.push(required(child(path, 'JSONPath'), ''));
  else errs.push(...validateSimpleJSONPath(jp, child(path, 'JSONPath')));
  return errs;
}

/** Resolves a selectable field path (`.spec.color`) in a structural schema. */
function resolveFieldPath(jsonPath: string, schema: JSONSchemaProps | undefined): { schema?: JSONSchemaProps; root?: string; error?: string } {
  if (!jsonPath.startsWith('.')) return { error: 'must start with a dot' };
  const parts = jsonPath.slice(1).split('.');
  let s = schema;
  for (const p of parts) {
    if (p === '' || /[\[\]]/.test(p)) return { error: `invalid field path: ${jsonPath}` };
    const props = propertiesOf(s);
    if (props && hasOwn(props, p) && isObj(props[p])) s = props[p];
    else if (additionalOf(s).schema) s = additionalOf(s).schema;
    else if (p === 'metadata' && s === schema) s = { type: 'object' };
    else return { error: `does not refer to a valid field: ${jsonPath}` };
  }
  return { schema: s, root: parts[0] };
}

function validateSelectableFields(fields: any[] | undefined, schema: JSONSchemaProps | undefined, path: string, opts: Opts, version: string): FieldError[] {
  if (!fields || fields.length === 0) return [];
  const errs: FieldError[] = [];
  const unique = new Set<string>();
  fields.forEach((f0, i) => {
    const p = index(path, i);
    const jp = str(obj(f0).jsonPath);
    if (!jp) {
      errs.push(required(child(p, 'jsonPath'), ''));
      return;
    }
    const r = resolveFieldPath(jp, schema);
    if (r.error) {
      errs.push(invalid(child(p, 'jsonPath'), jp, `is an invalid path: ${r.error}`));
      return;
    }
    if (r.root === 'metadata') errs.push(invalid(child(p, 'jsonPath'), jp, 'must not point to fields in metadata'));
    const t = str(r.schema?.type);
    if (t !== 'string' && t !== 'boolean' && t !== 'integer') {
      errs.push(invalid(child(p, 'jsonPath'), jp, 'must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.'));
    }
    if (unique.has(jp)) errs.push({ type: 'FieldValueDuplicate', field: child(p, 'jsonPath'), value: jp, detail: '' });
    else unique.add(jp);
  });
  if (unique.size > MAX_SELECTABLE_FIELDS && !opts.allowTooManySelectableFields.has(version)) errs.push(tooMany(path, unique.size, MAX_SELECTABLE_FIELDS));
  return errs;
}

interface ParsedURL {
  scheme: string;
  host: string;
  user?: string;
  fragment: string;
  rawQuery: string;
}

/** Go's url.Parse, enough to apply the webhook URL rules. */
function parseGoURL(raw: string): ParsedURL | string {
  if (/[\x00-\x1f\x7f]/.test(raw)) return `parse ${goQuote(raw)}: net/url: invalid control character in URL`;
  let rest = raw;
  let fragment = '';
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let scheme = '';
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (m) {
    scheme = m[1].toLowerCase();
    rest = rest.slice(m[0].length);
  } else if (/^[^/?]*:/.test(rest)) {
    return `parse ${goQuote(raw)}: missing protocol scheme`;
  }
  let rawQuery = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  let host = '';
  let user: string | undefined;
  if (rest.startsWith('//')) {
    let auth = rest.slice(2);
    const slash = auth.indexOf('/');
    if (slash >= 0) auth = auth.slice(0, slash);
    const at = auth.lastIndexOf('@');
    if (at >= 0) {
      user = auth.slice(0, at);
      auth = auth.slice(at + 1);
    }
    host = auth;
  }
  return { scheme, host, user, fragment, rawQuery };
}

function validateWebhookURL(path: string, url: string): FieldError[] {
  const form = '; desired format: https://host[/path]';
  const u = parseGoURL(url);
  if (typeof u === 'string') return [required(path, `url must be a valid URL: ${u}${form}`)];
  const errs: FieldError[] = [];
  if (u.scheme !== 'https') errs.push(invalid(path, u.scheme, "'https' is the only allowed URL scheme" + form));
  if (u.host === '') errs.push(invalid(path, u.host, 'host must be specified' + form));
  if (u.user !== undefined) errs.push(invalid(path, u.user, 'user information is not permitted in the URL'));
  if (u.fragment !== '') errs.push(invalid(path, u.fragment, 'fragments are not permitted in the URL'));
  if (u.rawQuery !== '') errs.push(invalid(path, u.rawQuery, 'query parameters are not permitted in the URL'));
  return errs;
}

// Upstream passes the service's name where ValidateWebhookService expects the
// namespace (and vice versa); the field paths below follow that.
function validateWebhookService(path: string, namespace: string, name: string, urlPath: unknown, port: number): FieldError[] {
  const errs: FieldError[] = [];
  if (!name) errs.push(required(child(path, 'name'), ''));
  if (!namespace) errs.push(required(child(path, 'namespace'), ''));
  const pe = isValidPortNum(port);
  if (pe.length) errs.push(invalid(child(path, 'port'), port, 'port is not valid: ' + pe.join(', ')));
  if (typeof urlPath !== 'string') return errs;
  if (urlPath === '/' || urlPath === '') return errs;
  if (urlPath === '//') return [...errs, invalid(child(path, 'path'), urlPath, 'segment[0] may not be empty')];
  if (!urlPath.startsWith('/')) errs.push(invalid(child(path, 'path'), urlPath, "must start with a '/'"));
  let check = urlPath.slice(1);
  if (check.endsWith('/')) check = check.slice(0, -1);
  check.split('/').forEach((step, i) => {
    if (step === '') {
      errs.push(invalid(child(path, 'path'), urlPath, `segment[${i}] may not be empty`));
      return;
    }
    for (const f of isDNS1123Subdomain(step)) errs.push(invalid(child(path, 'path'), urlPath, `segment[${i}]: ${f}`));
  });
  return errs;
}

function validateConversion(conv: JSONObject | undefined, requireRecognized: boolean, path: string): FieldError[] {
  if (!conv) return [];
  const errs: FieldError[] = [];
  const strategy = str(conv.strategy);
  if (strategy === '') errs.push(required(child(path, 'strategy'), ''));
  else if (strategy !== 'None' && strategy !== 'Webhook') errs.push(notSupported(child(path, 'strategy'), strategy, ['None', 'Webhook']));
  const webhook = isObj(conv.webhook) ? conv.webhook : undefined;
  const cc = webhook && isObj(webhook.clientConfig) ? webhook.clientConfig : undefined;
  const review = webhook ? arr(webhook.conversionReviewVersions) : [];
  const ccPath = child(path, 'webhookClientConfig');
  if (strategy === 'Webhook') {
    if (!cc) errs.push(required(ccPath, 'required when strategy is set to Webhook'));
    else {
      const hasURL = present(cc.url);
      const hasSvc = isObj(cc.service);
      if (hasURL === hasSvc) errs.push(required(ccPath, 'exactly one of url or service is required'));
      else if (hasURL) errs.push(...validateWebhookURL(child(ccPath, 'url'), str(cc.url)));
      else {
        const svc = cc.service;
        errs.push(...validateWebhookService(child(ccPath, 'service'), str(svc.name), str(svc.namespace), svc.path, typeof svc.port === 'number' ? svc.port : 443));
      }
    }
    const rp = child(path, 'conversionReviewVersions');
    if (review.length < 1) errs.push(required(rp, ''));
    else {
      const seen = new Set<string>();
      let accepted = false;
      review.forEach((v0, i) => {
        const v = str(v0);
        if (seen.has(v)) {
          errs.push(invalid(index(rp, i), v, 'duplicate version'));
          return;
        }
        seen.add(v);
        for (const m of isDNS1035Label(v)) errs.push(invalid(index(rp, i), v, m));
        if (ACCEPTED_CONVERSION_REVIEW_VERSIONS.includes(v)) accepted = true;
      });
      if (requireRecognized && !accepted) errs.push(invalid(rp, goStringSlice(review), `must include at least one of ${ACCEPTED_CONVERSION_REVIEW_VERSIONS.join(', ')}`));
    }
  } else {
    if (cc) errs.push(forbidden(ccPath, 'should not be set when strategy is not set to Webhook'));
    if (review.length > 0) errs.push(forbidden(child(path, 'conversionReviewVersions'), 'should not be set when strategy is not set to Webhook'));
  }
  return errs;
}

// ---------------------------------------------------------------------------
// Names

/** Upstream's ValidateCustomResourceDefinitionNames (spec.names and status.acceptedNames). */
export function validateCRDNames(namesIn: unknown, path: string): FieldError[] {
  const names = obj(namesIn);
  const errs: FieldError[] = [];
  const plural = str(names.plural);
  const singular = str(names.singular);
  const kind = str(names.kind);
  const listKind = str(names.listKind);
  if (plural) {
    const m = isDNS1035Label(plural);
    if (m.length) errs.push(invalid(child(path, 'plural'), plural, m.join(',')));
  }
  if (singular) {
    const m = isDNS1035Label(singular);
    if (m.length) errs.push(invalid(child(path, 'singular'), singular, m.join(',')));
  }
  if (kind) {
    const m = isDNS1035Label(kind.toLowerCase());
    if (m.length) errs.push(invalid(child(path, 'kind'), kind, 'may have mixed case, but should otherwise match: ' + m.join(',')));
  }
  if (listKind) {
    const m = isDNS1035Label(listKind.toLowerCase());
    if (m.length) errs.push(invalid(child(path, 'listKind'), listKind, 'may have mixed case, but should otherwise match: ' + m.join(',')));
  }
  arr(names.shortNames).forEach((s, i) => {
    const m = isDNS1035Label(str(s));
    if (m.length) errs.push(invalid(index(child(path, 'shortNames'), i), str(s), m.join(',')));
  });
  if (kind && kind === listKind) errs.push(invalid(child(path, 'listKind'), listKind, 'kind and listKind may not be the same'));
  arr(names.categories).forEach((c, i) => {
    const m = isDNS1035Label(str(c));
    if (m.length) errs.push(invalid(index(child(path, 'categories'), i), str(c), m.join(',')));
  });
  return errs;
}

// ---------------------------------------------------------------------------
// Spec

function hasStatus(sub: JSONObject | undefined): boolean {
  return !!sub && present(sub.status);
}

function validateDeprecationWarning(deprecated: boolean, w: unknown): string[] {
  if (!deprecated && present(w)) return ['can only be set for deprecated versions'];
  if (!present(w)) return [];
  const s = str(w);
  const out: string[] = [];
  if (new TextEncoder().encode(s).length > 256) out.push('must be <= 256 characters long');
  if (s.length === 0) out.push('must not be an empty string');
  let i = 0;
  for (const ch of s) {
    // every control character is also non-printable, so upstream's control-character message never shows
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) {
      out.push(`must only contain printable UTF-8 characters; non-printable character found at index ${i}`);
      break;
    }
    i += new TextEncoder().encode(ch).length;
  }
  return out;
}

function validateSpec(spec: InternalSpec, rawVersions: unknown, opts0: Opts, path: string): FieldError[] {
  const opts = { ...opts0 };
  const errs: FieldError[] = [];
  if (spec.group === '') errs.push(required(child(path, 'group'), ''));
  else {
    const m = isDNS1123Subdomain(spec.group);
    if (m.length) errs.push(invalid(child(path, 'group'), spec.group, m.join(',')));
    else if (spec.group.split('.').length < 2) errs.push(invalid(child(path, 'group'), spec.group, 'should be a domain with at least one dot'));
  }
  if (spec.scope === '') errs.push(required(child(path, 'scope'), ''));
  else if (spec.scope !== 'Cluster' && spec.scope !== 'Namespaced') errs.push(notSupported(child(path, 'scope'), spec.scope, ['Cluster', 'Namespaced']));

  if (!spec.preserveUnknownFields) opts.requireStructuralSchema = true;
  const versionsPath = child(path, 'versions');
  if (opts.requireOpenAPISchema) {
    if (!isObj(spec.validation?.openAPIV3Schema)) {
      spec.versions.forEach((v, i) => {
        if (!isObj(v.schema?.openAPIV3Schema)) errs.push(required(child(index(versionsPath, i), 'schema', 'openAPIV3Schema'), ''));
      });
    }
  } else if (!spec.preserveUnknownFields) {
    if (!isObj(spec.validation?.openAPIV3Schema)) {
      spec.versions.forEach((v, i) => {
        if (v.served && !isObj(v.schema?.openAPIV3Schema)) errs.push(required(child(index(versionsPath, i), 'schema', 'openAPIV3Schema'), 'because otherwise all fields are pruned'));
      });
    }
  }
  if (opts.allowDefaults && specHasSchemaWith(spec, (s) => present(s.default))) {
    opts.requireStructuralSchema = true;
    if (spec.preserveUnknownFields) errs.push(invalid(child(path, 'preserveUnknownFields'), true, 'must be false in order to use defaults in the schema'));
  }
  if (
    specHasSchemaWith(
      spec,
      (s) =>
        s['x-kubernetes-embedded-resource'] === true ||
        present(s['x-kubernetes-preserve-unknown-fields']) ||
        s['x-kubernetes-int-or-string'] === true ||
        arr(s['x-kubernetes-list-map-keys']).length > 0 ||
        present(s['x-kubernetes-list-type']) ||
        arr(s['x-kubernetes-validations']).length > 0,
    )
  ) {
    opts.requireStructuralSchema = true;
  }

  let storageCount = 0;
  const seen = new Set<string>();
  let unique = true;
  const perVersionSubresources = spec.versions.some((v) => present(v.subresources));
  spec.versions.forEach((v, i) => {
    const vp = index(versionsPath, i);
    if (v.storage) storageCount++;
    if (seen.has(v.name)) unique = false;
    else seen.add(v.name);
    const m = isDNS1035Label(v.name);
    if (m.length) errs.push(invalid(child(vp, 'name'), v.name, m.join(',')));
    const subs = perVersionSubresources ? v.subresources : spec.subresources;
    for (const w of validateDeprecationWarning(v.deprecated, v.deprecationWarning)) errs.push(invalid(child(vp, 'deprecationWarning'), v.deprecationWarning ?? null, w));
    errs.push(...validateValidation(v.schema, hasStatus(subs), opts, child(vp, 'schema')));
    errs.push(...validateSubresources(v.subresources, child(vp, 'subresources')));
    arr(v.additionalPrinterColumns).forEach((c, j) => errs.push(...validateColumn(c, index(child(vp, 'additionalPrinterColumns'), j))));
    if (arr(v.selectableFields).length > 0) {
      if (!isObj(v.schema?.openAPIV3Schema)) errs.push(invalid(child(vp, 'selectableFields'), '', 'may only be set when `version.schema.openAPIV3Schema` is not included'));
      else errs.push(...validateSelectableFields(v.selectableFields, v.schema!.openAPIV3Schema, child(vp, 'selectableFields'), opts, v.name));
    }
  });
  if (!unique) errs.push(invalid(versionsPath, goVersions(spec.versions, rawVersions), 'must contain unique version names'));
  if (storageCount !== 1) errs.push(invalid(versionsPath, goVersions(spec.versions, rawVersions), 'must have exactly one version marked as storage version'));
  if (spec.version !== '') {
    const m = isDNS1035Label(spec.version);
    if (m.length) errs.push(invalid(child(path, 'version'), spec.version, m.join(',')));
  }
  const namesPath = child(path, 'names');
  if (!str(spec.names.plural)) errs.push(required(child(namesPath, 'plural'), ''));
  if (!str(spec.names.singular)) errs.push(required(child(namesPath, 'singular'), ''));
  if (!str(spec.names.kind)) errs.push(required(child(namesPath, 'kind'), ''));
  if (!str(spec.names.listKind)) errs.push(required(child(namesPath, 'listKind'), ''));
  errs.push(...validateCRDNames(spec.names, namesPath));
  const anyStatus = hasStatus(spec.subresources) || spec.versions.some((v) => hasStatus(v.subresources));
  errs.push(...validateValidation(spec.validation, anyStatus, opts, child(path, 'validation')));
  errs.push(...validateSubresources(spec.subresources, child(path, 'subresources')));
  arr(spec.additionalPrinterColumns).forEach((c, j) => errs.push(...validateColumn(c, index(child(path, 'additionalPrinterColumns'), j))));
  if (arr(spec.selectableFields).length > 0) {
    if (!spec.validation) errs.push(invalid(child(path, 'selectableFields'), '', 'may only be set when validations.schema is included'));
    else errs.push(...validateSelectableFields(spec.selectableFields, spec.validation.openAPIV3Schema, child(path, 'selectableFields'), opts, ''));
  }
  if (spec.conversion && str(spec.conversion.strategy) !== 'None' && spec.preserveUnknownFields) {
    errs.push(invalid(child(path, 'conversion', 'strategy'), str(spec.conversion.strategy), 'must be None if spec.preserveUnknownFields is true'));
  }
  errs.push(...validateConversion(spec.conversion, opts.requireRecognizedConversionReviewVersion, child(path, 'conversion')));
  return errs;
}

// ---------------------------------------------------------------------------
// Status, stored versions, API approval

/** Upstream's ValidateCustomResourceDefinitionStoredVersions. */
export function validateStoredVersions(storedIn: unknown, versionsIn: unknown, path = 'status.storedVersions'): FieldError[] {
  const stored = Array.isArray(storedIn) ? storedIn.map(str) : undefined;
  if (!stored || stored.length === 0) return [invalid(path, goStringSlice(storedIn), 'must have at least one stored version')];
  const errs: FieldError[] = [];
  const idx = new Map<string, number>();
  stored.forEach((v, i) => idx.set(v, i));
  for (const v0 of arr(versionsIn)) {
    const v = obj(v0);
    const name = str(v.name);
    const ok = idx.has(name);
    if (v.storage === true && !ok) errs.push(invalid(path, goStringSlice(stored), 'must have the storage version ' + name));
    if (ok) idx.delete(name);
  }
  for (const [v, i] of [...idx.entries()].sort((a, b) => a[1] - b[1])) {
    errs.push(
      invalid(
        index(path, i),
        v,
        `missing from spec.versions; ${v} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in ${v} and removes ${v} from status.storedVersions`,
      ),
    );
  }
  return errs;
}

function isProtectedCommunityGroup(group: string): boolean {
  return group === 'k8s.io' || group.endsWith('.k8s.io') || group === 'kubernetes.io' || group.endsWith('.kubernetes.io');
}

type Approval = 'invalid' | 'approved' | 'bypassed' | 'missing';

function approvalState(annotations: unknown): [Approval, string] {
  const a = str(obj(annotations)[API_APPROVED_ANNOTATION]);
  const q = goQuote(API_APPROVED_ANNOTATION);
  if (a === '') return ['missing', `protected groups must have approval annotation ${q}, see https://github.com/kubernetes/enhancements/pull/1111`];
  if (a.startsWith('unapproved')) return ['bypassed', `not approved: ${goQuote(a)}`];
  const u = parseGoURL(a);
  if (typeof u !== 'string' && u.scheme && u.host && /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(a)) return ['approved', `approved in ${a}`];
  return ['invalid', `protected groups must have approval annotation ${q} with either a URL or a reason starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111`];
}

function validateAPIApproval(crd: any, old: any): FieldError[] {
  if (!isProtectedCommunityGroup(str(crd?.spec?.group))) return [];
  const [state, reason] = approvalState(crd?.metadata?.annotations);
  if (old) {
    const [oldState] = approvalState(old?.metadata?.annotations);
    if (oldState === state) return [];
  }
  const p = key(child('metadata', 'annotations'), API_APPROVED_ANNOTATION);
  switch (state) {
    case 'missing':
      return [required(p, reason)];
    case 'approved':
    case 'bypassed':
      return [];
    default:
      return [invalid(p, str(obj(crd?.metadata?.annotations)[API_APPROVED_ANNOTATION]), reason)];
  }
}

function validatePreserveUnknownFields(crd: any, old: any): FieldError[] {
  if (old?.spec?.preserveUnknownFields === true) return [];
  if (crd?.spec?.preserveUnknownFields === true) {
    return [invalid('spec.preserveUnknownFields', true, 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead')];
  }
  return [];
}

function validateMeta(crd: any, old: any): FieldError[] {
  if (old) return validateObjectMeta(crd, CRD_INFO, false, old);
  const errs = validateObjectMeta(crd, CRD_INFO, true);
  const meta = obj(crd?.metadata);
  const requiredName = `${str(crd?.spec?.names?.plural)}.${str(crd?.spec?.group)}`;
  const msg = 'must be spec.names.plural+"."+spec.group';
  const gen = errs.filter((e) => e.field === 'metadata.generateName');
  const name = errs.filter((e) => e.field === 'metadata.name');
  const rest = errs.filter((e) => e.field !== 'metadata.generateName' && e.field !== 'metadata.name');
  const generateName = str(meta.generateName);
  if (generateName && generateName !== requiredName) gen.push(invalid('metadata.generateName', generateName, msg));
  const n = str(meta.name);
  if (n && n !== requiredName) name.push(invalid('metadata.name', n, msg));
  return [...gen, ...name, ...rest];
}

function immutable(path: string, now: unknown, before: unknown): FieldError[] {
  return str(now) === str(before) ? [] : [invalid(path, str(now), 'field is immutable')];
}

/**
 * Validates a CustomResourceDefinition (v1 JSON, defaulted and prepared with
 * prepareCRDForCreate / prepareCRDForUpdate) on create, or on update when
 * `old` is the stored object. Errors carry upstream's paths and messages.
 */
export function validateCRD(crd: any, old?: any): FieldError[] {
  if (!isObj(crd)) return [{ type: 'FieldValueTypeInvalid', field: '', value: crd, detail: 'must be an object' }];
  const isUpdate = isObj(old);
  const errs = validateMeta(crd, isUpdate ? old : undefined);
  const spec = toInternal(crd.spec);
  const opts = isUpdate ? updateOpts(crd, old) : CREATE_OPTS;
  errs.push(...validateSpec(spec, crd.spec?.versions, opts, 'spec'));
  if (isUpdate) {
    const oldSpec = obj(old.spec);
    const s = obj(crd.spec);
    if (opts.requireImmutableNames) {
      errs.push(...immutable('spec.scope', s.scope, oldSpec.scope));
      errs.push(...immutable('spec.names.kind', obj(s.names).kind, obj(oldSpec.names).kind));
    }
    errs.push(...immutable('spec.group', s.group, oldSpec.group));
    errs.push(...immutable('spec.names.plural', obj(s.names).plural, obj(oldSpec.names).plural));
  }
  errs.push(...validateCRDNames(obj(crd.status).acceptedNames, 'status.acceptedNames'));
  errs.push(...validateStoredVersions(obj(crd.status).storedVersions, crd.spec?.versions));
  errs.push(...validateAPIApproval(crd, isUpdate ? old : undefined));
  errs.push(...validatePreserveUnknownFields(crd, isUpdate ? old : undefined));
  return errs;
}

/** Validation of an update through /status (upstream's ValidateUpdateCustomResourceDefinitionStatus). */
export function validateCRDStatusUpdate(crd: any, old: any): FieldError[] {
  return [...validateObjectMeta(crd, CRD_INFO, false, old), ...validateCRDNames(obj(crd?.status).acceptedNames, 'status.acceptedNames')];
}

/** The openAPIV3Schema served for `version` (undefined when the version or its schema is missing). */
export function schemaForVersion(crd: any, version: string): JSONSchemaProps | undefined {
  const v = arr(crd?.spec?.versions).find((x) => isObj(x) && x.name === version);
  const s = v?.schema?.openAPIV3Schema;
  return isObj(s) ? s : undefined;
}
