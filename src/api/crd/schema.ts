// The structural-schema engine for custom resources, over the v1
// `openAPIV3Schema` JSON of a CRD version (apiextensions-apiserver 1.32
// semantics, kube-openapi's validator for the value checks):
//
// - pruneUnknown: drop fields the schema does not specify (the request and
//   storage decoders do this), normalise metadata as a round trip through
//   ObjectMeta does, drop non-nullable nulls without defaults;
// - applyDefaults: fill `default`s where a field is missing;
// - validateCustomResource: type, format, bounds, enum, pattern, required,
//   additionalProperties, items, allOf/anyOf/oneOf/not, list-type set/map
//   uniqueness and embedded resources, with upstream's field paths and
//   messages, and validation ratcheting on update.
//
// CEL rules (`x-kubernetes-validations`) are not evaluated.

import type { ResourceInfo } from '../registry.js';
import {
  child,
  duplicate,
  index,
  invalid,
  key,
  notSupported,
  required,
  tooLong,
  tooMany,
  typeInvalid,
  goNumber,
  goQuote,
  type FieldError,
} from '../validation/errors.js';
import { isDNS1035Label, validateObjectMeta } from '../validation/names.js';
import { effectiveFormat, isKnownStringFormat, validatesFormat } from './formats.js';
import { deepCopy, deepEqual, errValue, goFloat, goJSON, goSprint, hasOwn, isGoInt, isObj, type JSONObject } from './go.js';
import { compileGoRegexp } from './regexp.js';

/** A JSONSchemaProps node of a CRD's `openAPIV3Schema` (v1 JSON). */
export type JSONSchemaProps = Record<string, any>;

// ---------------------------------------------------------------------------
// Schema accessors

/** The schema's types as kube-openapi sees them (`integer,string` for int-or-string). */
export function schemaTypes(s: JSONSchemaProps | undefined): string[] {
  if (!s) return [];
  if (s['x-kubernetes-int-or-string'] === true) return ['integer', 'string'];
  return typeof s.type === 'string' && s.type !== '' ? [s.type] : [];
}

export function propertiesOf(s: JSONSchemaProps | undefined): Record<string, JSONSchemaProps> | undefined {
  return s && isObj(s.properties) ? (s.properties as Record<string, JSONSchemaProps>) : undefined;
}

function propOf(s: JSONSchemaProps | undefined, k: string): JSONSchemaProps | undefined {
  const p = propertiesOf(s);
  return p && hasOwn(p, k) && isObj(p[k]) ? p[k] : undefined;
}

export function itemsOf(s: JSONSchemaProps | undefined): JSONSchemaProps | undefined {
  return s && isObj(s.items) ? s.items : undefined;
}

interface Additional {
  set: boolean;
  allows: boolean;
  schema?: JSONSchemaProps;
}

export function additionalOf(s: JSONSchemaProps | undefined): Additional {
  const ap = s?.additionalProperties;
  if (ap === undefined || ap === null) return { set: false, allows: true };
  if (typeof ap === 'boolean') return { set: true, allows: ap };
  if (isObj(ap)) return { set: true, allows: true, schema: ap };
  return { set: false, allows: true };
}

const preserves = (s: JSONSchemaProps | undefined) => s?.['x-kubernetes-preserve-unknown-fields'] === true;
const embedded = (s: JSONSchemaProps | undefined) => s?.['x-kubernetes-embedded-resource'] === true;
const nullable = (s: JSONSchemaProps | undefined) => s?.nullable === true;
const hasDefault = (s: JSONSchemaProps | undefined) => s !== undefined && s.default !== undefined && s.default !== null;

const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

function joinPath(parent: string, k: string): string {
  return parent ? `${parent}.${k}` : k;
}

// ---------------------------------------------------------------------------
// ObjectMeta round trip

type MetaKind = 'string' | 'int' | 'ptr' | 'map' | 'list';
const OBJECT_META_FIELDS: Record<string, MetaKind> = {
  name: 'string',
  generateName: 'string',
  namespace: 'string',
  selfLink: 'string',
  uid: 'string',
  resourceVersion: 'string',
  generation: 'int',
  creationTimestamp: 'ptr',
  deletionTimestamp: 'ptr',
  deletionGracePeriodSeconds: 'ptr',
  labels: 'map',
  annotations: 'map',
  ownerReferences: 'list',
  finalizers: 'list',
  managedFields: 'list',
};

/**
 * Drops what decoding `metadata` into ObjectMeta and encoding it again drops:
 * unknown fields (returned as `<prefix>.<field>`) and empty `omitempty`
 * fields. Mutates `meta`.
 */
export function coerceObjectMeta(meta: JSONObject, prefix = 'metadata'): string[] {
  const unknown: string[] = [];
  for (const k of Object.keys(meta)) {
    const kind = OBJECT_META_FIELDS[k];
    const v = meta[k];
    if (!kind) {
      unknown.push(`${prefix}.${k}`);
      delete meta[k];
      continue;
    }
    if (
      v === null ||
      (kind === 'string' && v === '') ||
      (kind === 'int' && v === 0) ||
      (kind === 'map' && isObj(v) && Object.keys(v).length === 0) ||
      (kind === 'list' && Array.isArray(v) && v.length === 0)
    ) {
      delete meta[k];
    }
  }
  return unknown;
}

// ---------------------------------------------------------------------------
// Pruning

function prune(x: unknown, s: JSONSchemaProps | undefined, path: string, out: string[]): void {
  if (s && preserves(s)) {
    skipPrune(x, s, path, out);
    return;
  }
  if (isObj(x)) {
    if (!s) {
      for (const k of Object.keys(x)) {
        out.push(joinPath(path, k));
        delete x[k];
      }
      return;
    }
    const emb = embedded(s);
    const ap = additionalOf(s);
    for (const k of Object.keys(x)) {
      if (emb && META_FIELDS.has(k)) continue;
      const prop = propOf(s, k);
      if (prop) prune(x[k], prop, joinPath(path, k), out);
      else if (ap.set) prune(x[k], ap.schema, joinPath(path, k), out);
      else {
        out.push(joinPath(path, k));
        delete x[k];
      }
    }
  } else if (Array.isArray(x)) {
    const it = itemsOf(s);
    x.forEach((v, i) => prune(v, it, `${path}[${i}]`, out));
  }
}

function skipPrune(x: unknown, s: JSONSchemaProps | undefined, path: string, out: string[]): void {
  if (!s) return;
  if (isObj(x)) {
    const emb = embedded(s);
    const ap = additionalOf(s);
    for (const k of Object.keys(x)) {
      if (emb && META_FIELDS.has(k)) continue;
      const prop = propOf(s, k);
      if (prop) prune(x[k], prop, joinPath(path, k), out);
      else if (ap.set) prune(x[k], ap.schema, joinPath(path, k), out);
    }
  } else if (Array.isArray(x)) {
    const it = itemsOf(s);
    x.forEach((v, i) => skipPrune(v, it, `${path}[${i}]`, out));
  }
}

/**
 * Upstream's structural pruning alone (pruning.Prune): removes fields not
 * specified by `s`; with `isResourceRoot` apiVersion, kind and metadata at
 * the top are kept. Returns the pruned paths, sorted.
 */
export function pruneFields(x: unknown, s: JSONSchemaProps | undefined, isResourceRoot = true): string[] {
  const out: string[] = [];
  let sch = s;
  if (isResourceRoot && !embedded(s)) sch = { ...(s ?? {}), 'x-kubernetes-embedded-resource': true };
  prune(x, sch, '', out);
  return out.sort();
}

function schemaForField(s: JSONSchemaProps | undefined, k: string): JSONSchemaProps | undefined {
  if (!s) return undefined;
  const p = propOf(s, k);
  if (p) return p;
  return additionalOf(s).schema;
}

/** Removes `null`s of non-nullable fields that have no default (those with one are defaulted later). */
export function pruneNonNullableNullsWithoutDefaults(x: unknown, s: JSONSchemaProps | undefined): void {
  if (isObj(x)) {
    for (const k of Object.keys(x)) {
      const fs = schemaForField(s, k);
      if (x[k] === null && fs && !nullable(fs) && !hasDefault(fs)) delete x[k];
      else pruneNonNullableNullsWithoutDefaults(x[k], fs);
    }
  } else if (Array.isArray(x)) {
    const it = itemsOf(s);
    for (const v of x) pruneNonNullableNullsWithoutDefaults(v, it);
  }
}

/** Metadata round trip inside nested `x-kubernetes-embedded-resource` objects. */
function coerceEmbedded(x: unknown, s: JSONSchemaProps | undefined, pth: string, out: string[]): void {
  if (!s) return;
  if (isObj(x)) {
    for (const k of Object.keys(x)) {
      if (embedded(s) && k === 'metadata' && isObj(x[k])) {
        out.push(...coerceObjectMeta(x[k], child(pth, 'metadata')));
      }
      const prop = propOf(s, k);
      if (prop) coerceEmbedded(x[k], prop, child(pth, k), out);
      else {
        const ap = additionalOf(s);
        if (ap.set) coerceEmbedded(x[k], ap.schema, key(pth, k), out);
      }
    }
  } else if (Array.isArray(x)) {
    x.forEach((v, i) => coerceEmbedded(v, itemsOf(s), index(pth, i), out));
  }
}

export interface PruneOptions {
  /** The CRD's spec.preserveUnknownFields (v1 CRDs: false): skip schema pruning. */
  preserveUnknownFields?: boolean;
}

/**
 * What upstream's decoder does to a custom resource (request bodies and
 * objects read from storage): metadata normalised as ObjectMeta (unknown
 * metadata fields dropped), fields unknown to the schema pruned unless
 * under `x-kubernetes-preserve-unknown-fields`, non-nullable nulls without a
 * default removed. apiVersion and kind are kept. Mutates `obj`; returns the
 * paths of the dropped unknown fields (for `fieldValidation=Strict|Warn`:
 * `unknown field "spec.foo"`).
 */
export function pruneUnknown(schema: JSONSchemaProps | undefined, obj: unknown, opts: PruneOptions = {}): string[] {
  if (!isObj(obj)) return [];
  const unknown: string[] = [];
  if (isObj(obj.metadata)) unknown.push(...coerceObjectMeta(obj.metadata, 'metadata'));
  if (!opts.preserveUnknownFields) {
    unknown.push(...pruneFields(obj, schema, true));
    pruneNonNullableNullsWithoutDefaults(obj, schema);
  }
  const embeddedPaths: string[] = [];
  coerceEmbedded(obj, schema, '', embeddedPaths);
  unknown.push(...embeddedPaths.sort());
  return unknown;
}

// ---------------------------------------------------------------------------
// Defaulting

/**
 * Applies `default` values of `schema` to `obj` in place: a property missing
 * (or a non-nullable null) gets a deep copy of its default; nested objects
 * and array items are defaulted recursively, defaults of a freshly set value
 * included. Upstream runs this on request bodies and on reads from storage.
 */
export function applyDefaults(schema: JSONSchemaProps | undefined, obj: unknown): void {
  if (!schema) return;
  if (isObj(obj)) {
    const props = propertiesOf(schema);
    if (props) {
      for (const k of Object.keys(props)) {
        const prop = props[k];
        if (!isObj(prop) || !hasDefault(prop)) continue;
        if (!hasOwn(obj, k) || (obj[k] === null && !nullable(prop))) obj[k] = deepCopy(prop.default);
      }
    }
    const ap = additionalOf(schema);
    for (const k of Object.keys(obj)) {
      const prop = propOf(schema, k);
      if (prop) applyDefaults(prop, obj[k]);
      else if (ap.set) {
        if (obj[k] === null && ap.schema && !nullable(ap.schema) && hasDefault(ap.schema)) obj[k] = deepCopy(ap.schema.default);
        applyDefaults(ap.schema, obj[k]);
      }
    }
  } else if (Array.isArray(obj)) {
    const it = itemsOf(schema);
    if (!it) return;
    for (let i = 0; i < obj.length; i++) {
      if (obj[i] === null && !nullable(it) && hasDefault(it)) obj[i] = deepCopy(it.default);
      applyDefaults(it, obj[i]);
    }
  }
}

// ---------------------------------------------------------------------------
// kube-openapi value validation

type Code =
  | 'type'
  | 'required'
  | 'tooLong'
  | 'tooShort'
  | 'pattern'
  | 'enum'
  | 'multipleOf'
  | 'max'
  | 'min'
  | 'unique'
  | 'maxItems'
  | 'minItems'
  | 'tooFewProperties'
  | 'tooManyProperties'
  | 'unallowed'
  | 'multipleOfPositive';

/** One kube-openapi error: a Validation (with code and name) or a plain error. */
interface VErr {
  msg: string;
  code?: Code;
  name?: string;
  value?: unknown;
  valid?: number;
  values?: unknown[];
}

class Result {
  errors: VErr[] = [];
  matchCount = 0;

  add(...errs: Array<VErr | undefined>): void {
    for (const e of errs) {
      if (!e) continue;
      if (!this.errors.some((x) => x.msg === e.msg)) this.errors.push(e);
    }
  }

  merge(...others: Array<Result | undefined>): this {
    for (const o of others) {
      if (!o) continue;
      this.add(...o.errors);
      this.matchCount += o.matchCount;
    }
    return this;
  }

  get valid(): boolean {
    return this.errors.length === 0;
  }

  static of(e: VErr | undefined): Result | undefined {
    if (!e) return undefined;
    const r = new Result();
    r.errors.push(e);
    return r;
  }
}

const IN = 'body';

function vInvalidType(name: string, typeName: string, value: string): VErr {
  return { code: 'type', name, value, msg: `${name} in ${IN} must be of type ${typeName}: ${goQuote(value)}` };
}

/** Go's %v of a number that is an int64 in the Go code path, or a float64. */
function numStr(n: number, asInt: boolean): string {
  return asInt ? goNumber(n) : goFloat(n);
}

function isFloat64AJSONInteger(f: number): boolean {
  if (!Number.isFinite(f) || f < -(2 ** 53) + 1 || f > 2 ** 53 - 1) return false;
  if (Number.isInteger(f)) return true;
  const g = Math.trunc(f);
  const diff = Math.abs(f - g);
  if (g === 0) return diff < 1e-9 * Number.MIN_VALUE;
  return diff / Math.min(Math.abs(f) + Math.abs(g), Number.MAX_VALUE) < 1e-9;
}

/** The "range" check of a number against its declared type and format (a plain error, not a Validation). */
function rangeError(v: number, vIsInt: boolean, typeName: string, format: string, prefix: string, path: string): VErr | undefined {
  let ok = true;
  if (typeName === 'integer') {
    // strconv.ParseInt over the decimal rendering of the value
    const whole = vIsInt || (Number.isInteger(v) && Math.abs(v) < 1e21);
    if (!whole) ok = false;
    else if (format === 'int32') ok = v >= -2147483648 && v <= 2147483647;
    else ok = Math.abs(v) <= 9223372036854775807;
  } else if (format === 'float') {
    ok = Math.abs(v) <= 3.4028234663852886e38;
  }
  if (ok) return undefined;
  const msg = format
    ? `${prefix} value must be of type ${typeName} with format ${format} in ${path}`
    : `${prefix} value must be of type ${typeName || 'number'} (default format) in ${path}`;
  return { msg };
}

/** Ratcheting correlation between a new value and the old value at the same place. */
interface Corr {
  value: unknown;
  old: unknown;
  schema: JSONSchemaProps | undefined;
  eq?: boolean;
}

function listMapKeys(s: JSONSchemaProps | undefined): string[] {
  const k = s?.['x-kubernetes-list-map-keys'];
  return Array.isArray(k) ? k.filter((x): x is string => typeof x === 'string') : [];
}

function corrKey(c: Corr | undefined, field: string): Corr | undefined {
  if (!c || !c.schema) return undefined;
  if (!isObj(c.old) || !isObj(c.value)) return undefined;
  if (!hasOwn(c.old, field) || !hasOwn(c.value, field)) return undefined;
  const schema = propOf(c.schema, field) ?? additionalOf(c.schema).schema;
  if (!schema) return undefined;
  return { value: c.value[field], old: c.old[field], schema };
}

function corrIndex(c: Corr | undefined, i: number): Corr | undefined {
  if (!c || !c.schema) return undefined;
  if (!Array.isArray(c.old) || !Array.isArray(c.value) || i >= c.value.length) return undefined;
  if (c.schema['x-kubernetes-list-type'] !== 'map') return undefined;
  const item = c.value[i];
  if (!isObj(item)) return undefined;
  const keys = listMapKeys(c.schema);
  const old = c.old.find(
    (o) => isObj(o) && keys.every((k) => (hasOwn(o, k) ? hasOwn(item, k) && deepEqual(o[k], item[k]) : !hasOwn(item, k))),
  );
  if (old === undefined) return undefined;
  const schema = itemsOf(c.schema);
  if (!schema) return undefined;
  return { value: item, old, schema };
}

function corrEqual(c: Corr | undefined): boolean {
  if (!c) return false;
  if (c.eq !== undefined) return c.eq;
  let res: boolean;
  const v = c.value;
  const o = c.old;
  if ((v === null || v === undefined) && (o === null || o === undefined)) res = true;
  else if (v === null || v === undefined || o === null || o === undefined) res = false;
  else if (Array.isArray(v) !== Array.isArray(o) || isObj(v) !== isObj(o)) res = false;
  else if (Array.isArray(v)) {
    const oa = o as unknown[];
    if (v.length !== oa.length) res = false;
    else if (c.schema?.['x-kubernetes-list-type'] !== 'map') res = deepEqual(v, oa);
    else res = v.every((_, i) => corrEqual(corrIndex(c, i)));
  } else if (isObj(v)) {
    const ok = Object.keys(v);
    if (ok.length !== Object.keys(o as object).length) res = false;
    else res = ok.every((k) => corrEqual(corrKey(c, k)));
  } else res = deepEqual(v, o);
  c.eq = res;
  return res;
}

type Kind = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'null';

function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'object';
  }
}

/** JSON type and Go format kube-openapi infers for a decoded value. */
function inferType(v: unknown): [string, string] {
  switch (kindOf(v)) {
    case 'string':
      return ['string', ''];
    case 'boolean':
      return ['boolean', ''];
    case 'number':
      return isGoInt(v as number) ? ['integer', 'int64'] : ['number', 'float64'];
    case 'array':
      return ['array', ''];
    default:
      return ['object', ''];
  }
}

function typeValidator(s: JSONSchemaProps, types: string[], format: string, path: string, data: unknown): Result {
  const res = new Result();
  res.matchCount++;
  if (data === null || data === undefined) {
    if (types.length > 0 && !types.includes('null') && !nullable(s)) return Result.of(vInvalidType(path, types.join(','), 'null'))!;
    return res;
  }
  const [schType, fmt] = inferType(data);
  const kind = kindOf(data);
  const isFloatInt = schType === 'number' && isFloat64AJSONInteger(data as number) && types.includes('integer');
  const isIntFloat = schType === 'integer' && types.includes('number');
  if (kind !== 'string' && kind !== 'array' && format !== '' && !(types.includes(schType) || fmt === format || isFloatInt || isIntFloat)) {
    return Result.of(vInvalidType(path, format, fmt))!;
  }
  if (!(types.includes('number') || types.includes('integer')) && format !== '' && (kind === 'string' || kind === 'array')) return res;
  if (!(types.includes(schType) || isFloatInt || isIntFloat)) return Result.of(vInvalidType(path, types.join(','), schType))!;
  return res;
}

function stringValidator(s: JSONSchemaProps, path: string, data: string): Result | undefined {
  const len = [...data].length;
  if (typeof s.maxLength === 'number' && len > s.maxLength) {
    return Result.of({ code: 'tooLong', name: path, value: data, valid: s.maxLength, msg: `${path} in ${IN} should be at most ${s.maxLength} chars long` });
  }
  if (typeof s.minLength === 'number' && len < s.minLength) {
    return Result.of({ code: 'tooShort', name: path, value: data, valid: s.minLength, msg: `${path} in ${IN} should be at least ${s.minLength} chars long` });
  }
  if (typeof s.pattern === 'string' && s.pattern !== '') {
    let re: RegExp;
    try {
      re = compileGoRegexp(s.pattern);
    } catch (e) {
      const shown = `${s.pattern}, but pattern is invalid: ${(e as Error).message}`;
      return Result.of({ code: 'pattern', name: path, value: data, msg: `${path} in ${IN} should match '${shown}'` });
    }
    if (!re.test(data)) return Result.of({ code: 'pattern', name: path, value: data, msg: `${path} in ${IN} should match '${s.pattern}'` });
  }
  return undefined;
}

function numberValidator(s: JSONSchemaProps, types: string[], format: string, path: string, data: number): Result {
  const res = new Result();
  let typeName = '';
  let fmt = '';
  if (types.length === 1) {
    if (types[0] === 'integer') {
      typeName = 'integer';
      if (format === 'int32' || format === 'int64') fmt = format;
    } else if (types[0] === 'number') {
      typeName = 'number';
      if (format === 'float' || format === 'double') fmt = format;
    }
  }
  const isInt = isGoInt(data);
  res.add(rangeError(data, isInt, typeName, fmt, 'Checked', path));

  const resMultiple = new Result();
  const resMinimum = new Result();
  const resMaximum = new Result();

  if (typeof s.multipleOf === 'number') {
    const f = s.multipleOf;
    const rangeErr = rangeError(f, false, typeName, fmt, 'MultipleOf', path);
    resMultiple.add(rangeErr);
    if (!rangeErr && isInt) {
      const factor = Math.trunc(f);
      if (factor <= 0) {
        resMultiple.add({ code: 'multipleOfPositive', name: path, value: factor, msg: `factor MultipleOf declared for ${path} must be positive: ${goNumber(factor)}` });
      } else if (data % factor !== 0) {
        resMultiple.add({ code: 'multipleOf', name: path, value: data, msg: `${path} in ${IN} should be a multiple of ${goNumber(factor)}` });
      }
    } else if (f <= 0) {
      resMultiple.add({ code: 'multipleOfPositive', name: path, value: f, msg: `factor MultipleOf declared for ${path} must be positive: ${goFloat(f)}` });
    } else {
      const mult = f < 1 ? (1 / f) * data : data / f;
      if (!isFloat64AJSONInteger(mult)) resMultiple.add({ code: 'multipleOf', name: path, value: data, msg: `${path} in ${IN} should be a multiple of ${goFloat(f)}` });
    }
  }

  if (typeof s.maximum === 'number') {
    const max = s.maximum;
    const excl = s.exclusiveMaximum === true;
    const rangeErr = rangeError(max, false, typeName, fmt, 'Maximum boundary', path);
    resMaximum.add(rangeErr);
    const asInt = !rangeErr && isInt;
    const bound = asInt ? Math.trunc(max) : max;
    if ((!excl && data > bound) || (excl && data >= bound)) {
      const verb = excl ? 'should be less than' : 'should be less than or equal to';
      resMaximum.add({ code: 'max', name: path, value: data, msg: `${path} in ${IN} ${verb} ${numStr(bound, asInt)}` });
    }
  }

  if (typeof s.minimum === 'number') {
    const min = s.minimum;
    const excl = s.exclusiveMinimum === true;
    const rangeErr = rangeError(min, false, typeName, fmt, 'Minimum boundary', path);
    resMinimum.add(rangeErr);
    const asInt = !rangeErr && isInt;
    const bound = asInt ? Math.trunc(min) : min;
    if ((!excl && data < bound) || (excl && data <= bound)) {
      const verb = excl ? 'should be greater than' : 'should be greater than or equal to';
      resMinimum.add({ code: 'min', name: path, value: data, msg: `${path} in ${IN} ${verb} ${numStr(bound, asInt)}` });
    }
  }
  res.merge(resMultiple, resMinimum, resMaximum);
  res.matchCount++;
  return res;
}

function enumMatches(data: unknown, e: unknown): boolean {
  if (data === null || data === undefined) return false;
  return deepEqual(data, e);
}

function commonValidator(s: JSONSchemaProps, path: string, data: unknown): Result | undefined {
  const en = s.enum;
  if (!Array.isArray(en) || en.length === 0) return undefined;
  if (en.some((e) => enumMatches(data, e))) return undefined;
  return Result.of({ code: 'enum', name: path, value: data, values: en, msg: `${path} in ${IN} should be one of ${goSprint(en)}` });
}

function sliceValidator(s: JSONSchemaProps, path: string, data: unknown[], corr: Corr | undefined): Result {
  const res = new Result();
  const it = itemsOf(s);
  if (it) {
    data.forEach((v, i) => res.merge(validateNode(it, v, `${path}[${i}]`, corrIndex(corr, i))));
  }
  if (typeof s.minItems === 'number' && data.length < s.minItems) {
    res.add({ code: 'minItems', name: path, value: data.length, valid: s.minItems, msg: `${path} in ${IN} should have at least ${s.minItems} items` });
  }
  if (typeof s.maxItems === 'number' && data.length > s.maxItems) {
    res.add({ code: 'maxItems', name: path, value: data.length, valid: s.maxItems, msg: `${path} in ${IN} should have at most ${s.maxItems} items` });
  }
  if (s.uniqueItems === true) {
    for (let i = 0; i < data.length; i++) {
      if (data.slice(0, i).some((u) => deepEqual(u, data[i]))) {
        res.add({ code: 'unique', name: path, msg: `${path} in ${IN} shouldn't contain duplicates` });
        break;
      }
    }
  }
  res.matchCount++;
  return res;
}

function objectValidator(s: JSONSchemaProps, path: string, data: JSONObject, corr: Corr | undefined): Result {
  const res = new Result();
  const n = Object.keys(data).length;
  if (typeof s.minProperties === 'number' && n < s.minProperties) {
    res.add({ code: 'tooFewProperties', name: path, value: n, valid: s.minProperties, msg: `${path} in ${IN} should have at least ${s.minProperties} properties` });
  }
  if (typeof s.maxProperties === 'number' && n > s.maxProperties) {
    res.add({ code: 'tooManyProperties', name: path, value: n, valid: s.maxProperties, msg: `${path} in ${IN} should have at most ${s.maxProperties} properties` });
  }
  const props = propertiesOf(s) ?? {};
  const ap = additionalOf(s);
  const keys = Object.keys(data).sort();
  if (ap.set && !ap.allows) {
    for (const k of keys) {
      if (!hasOwn(props, k)) res.add({ code: 'unallowed', name: path, value: k, msg: `${path}.${k} in ${IN} is a forbidden property` });
    }
  } else if (ap.schema) {
    for (const k of keys) {
      if (hasOwn(props, k)) continue;
      res.merge(validateNode(ap.schema, data[k], `${path}.${k}`, path === '' && (k === 'kind' || k === 'apiVersion') ? undefined : corrKey(corr, k)));
    }
  }
  for (const p of Object.keys(props).sort()) {
    if (!hasOwn(data, p) || !isObj(props[p])) continue;
    const rName = path ? `${path}.${p}` : p;
    const c = path === '' && (p === 'kind' || p === 'apiVersion') ? undefined : corrKey(corr, p);
    res.merge(validateNode(props[p], data[p], rName, c));
  }
  if (Array.isArray(s.required)) {
    for (const k of s.required) {
      if (typeof k === 'string' && !hasOwn(data, k)) res.add({ code: 'required', name: `${path}.${k}`, msg: `${path}.${k} in ${IN} is required` });
    }
  }
  return res;
}

function schemaPropsValidator(s: JSONSchemaProps, path: string, data: unknown, corr: Corr | undefined): Result {
  const main = new Result();
  const anyOf = Array.isArray(s.anyOf) ? s.anyOf.filter(isObj) : [];
  const oneOf = Array.isArray(s.oneOf) ? s.oneOf.filter(isObj) : [];
  const allOf = Array.isArray(s.allOf) ? s.allOf.filter(isObj) : [];

  if (anyOf.length > 0) {
    let best: Result | undefined;
    let firstSuccess: Result | undefined;
    let succeeded = false;
    for (const sub of anyOf) {
      const r = runValidators(sub, data, path, corr);
      if (r.valid) {
        best = undefined;
        succeeded = true;
        firstSuccess ??= r;
        break;
      }
      if (!best || r.matchCount > best.matchCount) best = r;
    }
    if (!succeeded) main.add({ msg: `${goQuote(path)} must validate at least one schema (anyOf)` });
    if (best) main.merge(best);
    else if (firstSuccess) main.merge(firstSuccess);
  }

  if (oneOf.length > 0) {
    let best: Result | undefined;
    let firstSuccess: Result | undefined;
    let validated = 0;
    for (const sub of oneOf) {
      const r = runValidators(sub, data, path, corr);
      if (r.valid) {
        validated++;
        best = undefined;
        firstSuccess ??= r;
        continue;
      }
      if (validated === 0 && (!best || r.matchCount > best.matchCount)) best = r;
    }
    if (validated !== 1) {
      const extra = validated === 0 ? 'Found none valid' : `Found ${validated} valid alternatives`;
      main.add({ msg: `${goQuote(path)} must validate one and only one schema (oneOf). ${extra}` });
      if (best) main.merge(best);
    } else if (firstSuccess) main.merge(firstSuccess);
  }

  if (allOf.length > 0) {
    let validated = 0;
    for (const sub of allOf) {
      const r = runValidators(sub, data, path, corr);
      if (r.valid) validated++;
      main.merge(r);
    }
    if (validated !== allOf.length) {
      main.add({ msg: `${goQuote(path)} must validate all the schemas (allOf)${validated === 0 ? '. None validated' : ''}` });
    }
  }

  if (isObj(s.not)) {
    const r = runValidators(s.not, data, path, corr);
    if (r.valid) main.add({ msg: `${goQuote(path)} must not validate the schema (not)` });
  }
  main.matchCount++;
  return main;
}

/** kube-openapi's SchemaValidator.Validate for one node (no ratcheting at this node). */
function runValidators(s: JSONSchemaProps, data: unknown, path: string, corr: Corr | undefined): Result {
  const result = new Result();
  const types = schemaTypes(s);
  const format = effectiveFormat(s.format, types);
  const typeApplies = types.length > 0 || format !== '';
  if (data === null || data === undefined) {
    result.merge(typeValidator(s, types, format, path, data));
    result.merge(commonValidator(s, path, data));
    return result;
  }
  const kind = kindOf(data);
  const step = (r: Result | undefined) => {
    result.merge(r);
    result.matchCount++;
  };
  if (typeApplies) step(typeValidator(s, types, format, path, data));
  step(schemaPropsValidator(s, path, data, corr));
  if (kind === 'string') step(stringValidator(s, path, data as string));
  if (kind === 'string' && format !== '' && isKnownStringFormat(format)) {
    step(validatesFormat(format, data as string) ? undefined : Result.of(vInvalidType(path, format, data as string)));
  }
  if (kind === 'number') step(numberValidator(s, types, format, path, data as number));
  if (kind === 'array') step(sliceValidator(s, path, data as unknown[], corr));
  step(commonValidator(s, path, data));
  if (kind === 'object') step(objectValidator(s, path, data as JSONObject, corr));
  result.matchCount++;
  return result;
}

/** A node's validation with ratcheting: errors of a value unchanged since the old object are dropped. */
function validateNode(s: JSONSchemaProps, data: unknown, path: string, corr: Corr | undefined): Result {
  const res = runValidators(s, data, path, corr);
  if (corr && !res.valid && corrEqual(corr)) {
    const r = new Result();
    r.matchCount = res.matchCount;
    return r;
  }
  return res;
}

/** The field of an error at the validated value itself: upstream's nil field.Path prints as `<nil>`. */
const NIL_PATH = '<nil>';

function toFieldErrors(prefix: string, res: Result): FieldError[] {
  const out: FieldError[] = [];
  const base = prefix === '' ? NIL_PATH : prefix;
  for (const e of res.errors) {
    if (!e.code) {
      out.push(invalid(base, '', e.msg));
      continue;
    }
    let p = base;
    if (e.name && e.name !== '.') p = child(prefix, e.name.replace(/^\./, ''));
    const value = e.value === undefined || e.value === null ? '' : errValue(e.value);
    switch (e.code) {
      case 'required':
        out.push(required(p, ''));
        break;
      case 'enum': {
        const vals = (e.values ?? []).map((v) => (typeof v === 'string' ? v : goJSON(v)));
        out.push(notSupported(p, e.value === undefined ? null : errValue(e.value), vals));
        break;
      }
      case 'tooLong':
        out.push(tooLong(p, e.valid ?? -1));
        break;
      case 'maxItems':
      case 'tooManyProperties':
        out.push(tooMany(p, typeof e.value === 'number' ? e.value : -1, e.valid ?? -1));
        break;
      case 'type':
        out.push(typeInvalid(p, value, e.msg));
        break;
      default:
        out.push(invalid(p, value, e.msg));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// x-kubernetes-list-type set / map

function listSetDuplicates(items: unknown[]): number[] {
  if (items.length <= 1) return [];
  const seen = new Map<string, number>();
  const out: number[] = [];
  items.forEach((x, i) => {
    const k = x === UNSPECIFIED ? '\u0000unspecified' : goJSON(x) + (typeof x === 'object' ? '' : `:${typeof x}`);
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    if (n === 1) out.push(i);
  });
  return out;
}

const UNSPECIFIED = Symbol('unspecified');

function validateListMap(fld: string, s: JSONSchemaProps, list: unknown[]): FieldError[] {
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (x !== null && x !== undefined && !isObj(x)) return [invalid(index(fld, i), errValue(x), 'must be an object for an array of list-type map')];
  }
  if (list.length <= 1) return [];
  const keys = listMapKeys(s);
  if (keys.length === 1) {
    const kf = keys[0];
    const vals: unknown[] = list.map((x) => (isObj(x) && hasOwn(x, kf) ? x[kf] : UNSPECIFIED));
    return listSetDuplicates(vals).map((i) => duplicate(index(fld, i), errValue(vals[i] === UNSPECIFIED ? {} : { [kf]: vals[i] })));
  }
  const composite = list.map((x) => {
    const k: JSONObject = {};
    if (isObj(x)) for (const kf of keys) if (hasOwn(x, kf)) k[kf] = x[kf];
    return k;
  });
  return listSetDuplicates(composite).map((i) => duplicate(index(fld, i), errValue(composite[i])));
}

function listSetsAndMapsValue(fld: string, s: JSONSchemaProps | undefined, v: unknown): FieldError[] {
  if (!s) return [];
  if (Array.isArray(v)) {
    const errs: FieldError[] = [];
    const lt = s['x-kubernetes-list-type'];
    if (lt === 'set') {
      for (const i of listSetDuplicates(v)) errs.push(duplicate(index(fld, i), errValue(v[i])));
    } else if (lt === 'map') {
      errs.push(...validateListMap(fld, s, v));
    }
    const it = itemsOf(s);
    if (it) v.forEach((x, i) => errs.push(...listSetsAndMapsValue(index(fld, i), it, x)));
    return errs;
  }
  if (isObj(v)) return validateListSetsAndMaps(s, v, fld);
  return [];
}

/**
 * Uniqueness of `x-kubernetes-list-type: set` items and of the
 * `x-kubernetes-list-map-keys` of `map` lists (`Duplicate value: ...`).
 */
export function validateListSetsAndMaps(schema: JSONSchemaProps | undefined, obj: unknown, fldPath = ''): FieldError[] {
  if (!schema || !isObj(obj)) return [];
  const errs: FieldError[] = [];
  const ap = additionalOf(schema);
  const keys = Object.keys(obj).sort();
  if (ap.schema) for (const k of keys) errs.push(...listSetsAndMapsValue(key(fldPath, k), ap.schema, obj[k]));
  if (propertiesOf(schema)) {
    for (const k of keys) {
      const prop = propOf(schema, k);
      if (prop) errs.push(...listSetsAndMapsValue(child(fldPath, k), prop, obj[k]));
    }
  }
  return errs;
}

// ---------------------------------------------------------------------------
// Embedded resources (x-kubernetes-embedded-resource)

/** schema.ParseGroupVersion's error, if any. */
export function parseGroupVersionError(gv: string): string | undefined {
  if (gv === '' || gv === '/') return undefined;
  const n = gv.split('/').length - 1;
  if (n > 1) return `unexpected GroupVersion string: ${gv}`;
  return undefined;
}

const EMBEDDED_META_INFO: ResourceInfo = {
  group: '',
  version: 'v1',
  resource: '',
  singular: '',
  kind: '',
  listKind: '',
  namespaced: false,
  shortNames: [],
  categories: [],
  verbs: [],
  subresources: [],
  generation: false,
  nameRule: 'path',
  allowCreateOnUpdate: false,
};

function validateEmbeddedResource(pth: string, x: JSONObject): FieldError[] {
  const errs: FieldError[] = [];
  if (!hasOwn(x, 'apiVersion')) errs.push(required(child(pth, 'apiVersion'), ''));
  if (!hasOwn(x, 'kind')) errs.push(required(child(pth, 'kind'), ''));
  if (hasOwn(x, 'apiVersion')) {
    const v = x.apiVersion;
    const f = child(pth, 'apiVersion');
    if (typeof v !== 'string') errs.push(invalid(f, errValue(v), 'must be a string'));
    else if (v === '') errs.push(invalid(f, v, 'must not be empty'));
    else {
      const e = parseGroupVersionError(v);
      if (e) errs.push(invalid(f, v, e));
    }
  }
  if (hasOwn(x, 'kind')) {
    const v = x.kind;
    const f = child(pth, 'kind');
    if (typeof v !== 'string') errs.push(invalid(f, errValue(v), 'must be a string'));
    else if (v === '') errs.push(invalid(f, v, 'must not be empty'));
    else {
      const m = isDNS1035Label(v.toLowerCase());
      if (m.length) errs.push(invalid(f, v, 'may have mixed case, but should otherwise match: ' + m.join(',')));
    }
  }
  if (hasOwn(x, 'metadata')) {
    const m = x.metadata;
    const f = child(pth, 'metadata');
    if (!isObj(m)) {
      if (m !== null) errs.push(invalid(f, errValue(m), `json: cannot unmarshal ${Array.isArray(m) ? 'array' : typeof m} into Go value of type v1.ObjectMeta`));
    } else {
      const meta = { ...m, name: typeof m.name === 'string' && m.name !== '' ? m.name : 'fakename' };
      const ns = typeof m.namespace === 'string' ? m.namespace : '';
      const info = { ...EMBEDDED_META_INFO, namespaced: ns !== '' };
      for (const e of validateObjectMeta({ metadata: meta }, info, true)) {
        errs.push({ ...e, field: e.field.replace(/^metadata/, f) });
      }
    }
  }
  return errs;
}

function embeddedMeta(pth: string, x: unknown, s: JSONSchemaProps | undefined): FieldError[] {
  if (!s) return [];
  const errs: FieldError[] = [];
  if (isObj(x)) {
    if (embedded(s)) errs.push(...validateEmbeddedResource(pth, x));
    const ap = additionalOf(s);
    for (const k of Object.keys(x).sort()) {
      const prop = propOf(s, k);
      if (prop) errs.push(...embeddedMeta(child(pth, k), x[k], prop));
      else if (ap.set) errs.push(...embeddedMeta(key(pth, k), x[k], ap.schema));
    }
  } else if (Array.isArray(x)) {
    x.forEach((v, i) => errs.push(...embeddedMeta(index(pth, i), v, itemsOf(s))));
  }
  return errs;
}

/** apiVersion, kind and metadata checks of nested `x-kubernetes-embedded-resource` objects. */
export function validateEmbeddedResources(schema: JSONSchemaProps | undefined, obj: unknown, fldPath = ''): FieldError[] {
  return embeddedMeta(fldPath, obj, schema);
}

// ---------------------------------------------------------------------------
// Entry points

export interface ValidateOptions {
  /** The stored object on update: enables ratcheting and upstream's update rule for list-type checks. */
  old?: unknown;
  /**
   * Field path the value sits at (e.g. `status` when validating a status
   * subresource update against the status schema). Error messages name
   * fields relative to the validated value, as upstream does.
   */
  path?: string;
}

/** kube-openapi schema validation alone (no list-type or embedded-resource checks). */
export function validateAgainstSchema(schema: JSONSchemaProps | undefined, value: unknown, opts: ValidateOptions = {}): FieldError[] {
  if (!schema) return [];
  const corr: Corr | undefined = opts.old !== undefined ? { value, old: opts.old, schema } : undefined;
  const res = validateNode(schema, value, '', corr);
  return toFieldErrors(opts.path ?? '', res);
}

/**
 * Validates a custom resource against its version's structural schema, as
 * the custom resource strategy does: the OpenAPI value validation
 * (ratcheted on update when `opts.old` is given), nested embedded
 * resources, and list-type set/map uniqueness (on update only when the old
 * object satisfied it). TypeMeta, ObjectMeta and scale checks are separate
 * (see custom-resource.ts). CEL rules are not evaluated.
 */
export function validateCustomResource(schema: JSONSchemaProps | undefined, obj: unknown, opts: ValidateOptions = {}): FieldError[] {
  if (!schema) return [];
  const prefix = opts.path ?? '';
  const errs = validateAgainstSchema(schema, obj, opts);
  if (prefix === '') {
    errs.push(...validateEmbeddedResources(schema, obj, prefix));
    const check = (o: unknown) => validateListSetsAndMaps(schema, o, prefix);
    if (opts.old === undefined || check(opts.old).length === 0) errs.push(...check(obj));
  } else {
    errs.push(...embeddedMeta(prefix, obj, schema));
    const check = (o: unknown) => listSetsAndMapsValue(prefix, schema, o);
    if (opts.old === undefined || check(opts.old).length === 0) errs.push(...check(obj));
  }
  return errs;
}

/** The schema of the `status` property, which a status subresource update is validated against. */
export function statusSchemaOf(schema: JSONSchemaProps | undefined): JSONSchemaProps | undefined {
  return propOf(schema, 'status');
}

/**
 * Validation of a status subresource update: only `status` is validated,
 * against the status schema, at path `status` (upstream's
 * ValidateStatusUpdate). No-op when the object has no status.
 */
export function validateCustomResourceStatus(schema: JSONSchemaProps | undefined, obj: unknown, old?: unknown): FieldError[] {
  if (!isObj(obj) || !hasOwn(obj, 'status')) return [];
  const st = statusSchemaOf(schema);
  if (!st) return [];
  return validateAgainstSchema(st, obj.status, { path: 'status', old: old === undefined ? undefined : isObj(old) ? old.status : undefined });
}
