// Structural-schema checks of a CRD's openAPIV3Schema (upstream's
// ValidateStructural with completeness, and ValidateDefaults), reported with
// upstream's field paths and messages, sorted as upstream sorts them.

import { child, fieldErrorString, forbidden, index, invalid, key, required, type FieldError } from '../validation/errors.js';
import { deepCopy, deepEqual, errValue, hasOwn, isObj } from './go.js';
import { compileGoRegexp } from './regexp.js';
import {
  additionalOf,
  itemsOf,
  pruneFields,
  propertiesOf,
  validateAgainstSchema,
  validateEmbeddedResources,
  type JSONSchemaProps,
} from './schema.js';

type Level = 'root' | 'item' | 'field';

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function nonEmptyArray(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0;
}

function sortErrors(errs: FieldError[]): FieldError[] {
  return errs
    .map((e) => [fieldErrorString(e), e] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, e]) => e);
}

function isExactly(s: unknown, type: string): boolean {
  return isObj(s) && Object.keys(s).length === 1 && s.type === type;
}

function isIntOrStringAnyOf(anyOf: unknown): boolean {
  return Array.isArray(anyOf) && anyOf.length === 2 && isExactly(anyOf[0], 'integer') && isExactly(anyOf[1], 'string');
}

function listOf(v: unknown): JSONSchemaProps[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

function validateValueValidation(s: JSONSchemaProps, skipAnyOf: boolean, skipFirstAllOfAnyOf: boolean, lvl: Level, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!skipAnyOf) listOf(s.anyOf).forEach((x, i) => errs.push(...validateNested(x, false, false, lvl, index(child(path, 'anyOf'), i))));
  listOf(s.allOf).forEach((x, i) => errs.push(...validateNested(x, skipFirstAllOfAnyOf && i === 0, false, lvl, index(child(path, 'allOf'), i))));
  listOf(s.oneOf).forEach((x, i) => errs.push(...validateNested(x, false, false, lvl, index(child(path, 'oneOf'), i))));
  if (isObj(s.not)) errs.push(...validateNested(s.not, false, false, lvl, child(path, 'not')));
  if (typeof s.pattern === 'string' && s.pattern !== '') {
    try {
      compileGoRegexp(s.pattern);
    } catch (e) {
      errs.push(invalid(child(path, 'pattern'), s.pattern, `must be a valid regular expression, but isn't: ${(e as Error).message}`));
    }
  }
  return errs;
}

function validateNested(v: JSONSchemaProps, skipAnyOf: boolean, skipAllOfAnyOf: boolean, lvl: Level, path: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateValueValidation(v, skipAnyOf, skipAllOfAnyOf, lvl, path));
  if (isObj(v.items)) errs.push(...validateNested(v.items, false, false, lvl, child(path, 'items')));
  const props = propertiesOf(v);
  if (props) for (const k of Object.keys(props)) if (isObj(props[k])) errs.push(...validateNested(props[k], false, false, 'field', key(child(path, 'properties'), k)));
  if (str(v.type) !== '') errs.push(forbidden(child(path, 'type'), 'must be empty to be structural'));
  const ap = v.additionalProperties;
  if (ap === true || isObj(ap)) errs.push(forbidden(child(path, 'additionalProperties'), 'must be undefined to be structural'));
  if (v.default !== undefined && v.default !== null) errs.push(forbidden(child(path, 'default'), 'must be undefined to be structural'));
  if (str(v.title) !== '') errs.push(forbidden(child(path, 'title'), 'must be empty to be structural'));
  if (str(v.description) !== '') errs.push(forbidden(child(path, 'description'), 'must be empty to be structural'));
  if (v.nullable === true) errs.push(forbidden(child(path, 'nullable'), 'must be false to be structural'));
  if (v['x-kubernetes-preserve-unknown-fields'] === true) errs.push(forbidden(child(path, 'x-kubernetes-preserve-unknown-fields'), 'must be false to be structural'));
  if (v['x-kubernetes-embedded-resource'] === true) errs.push(forbidden(child(path, 'x-kubernetes-embedded-resource'), 'must be false to be structural'));
  if (v['x-kubernetes-int-or-string'] === true) errs.push(forbidden(child(path, 'x-kubernetes-int-or-string'), 'must be false to be structural'));
  if (nonEmptyArray(v['x-kubernetes-list-map-keys'])) errs.push(forbidden(child(path, 'x-kubernetes-list-map-keys'), 'must be empty to be structural'));
  if (typeof v['x-kubernetes-list-type'] === 'string') errs.push(forbidden(child(path, 'x-kubernetes-list-type'), 'must be undefined to be structural'));
  if (typeof v['x-kubernetes-map-type'] === 'string') errs.push(forbidden(child(path, 'x-kubernetes-map-type'), 'must be undefined to be structural'));
  if (nonEmptyArray(v['x-kubernetes-validations'])) errs.push(forbidden(child(path, 'x-kubernetes-validations'), 'must be empty to be structural'));
  if (props && hasOwn(props, 'metadata')) errs.push(forbidden(key(child(path, 'properties'), 'metadata'), 'must not be specified in a nested context'));
  return errs;
}

function isZeroJSON(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.keys(v).length === 0;
  return false;
}

function validateMetadataInvariants(s: JSONSchemaProps, checkMetadata: boolean, lvl: Level, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (checkMetadata && str(s.type) !== 'object') errs.push(invalid(child(path, 'type'), str(s.type), 'must be object'));
  if (lvl === 'root') {
    let extra = false;
    for (const k of Object.keys(s)) {
      if (k === 'type' || k === 'default') continue;
      if (k === 'properties') {
        const props = propertiesOf(s);
        if (!props) continue;
        const names = Object.keys(props);
        if (names.length === 0) continue;
        if (names.every((n) => n === 'name' || n === 'generateName')) continue;
        extra = true;
        continue;
      }
      if (!isZeroJSON(s[k])) extra = true;
    }
    if (extra) errs.push(forbidden(path, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
  }
  return errs;
}

function validateInvariants(s: JSONSchemaProps, lvl: Level, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = str(s.type);
  const emb = s['x-kubernetes-embedded-resource'] === true;
  const ios = s['x-kubernetes-int-or-string'] === true;
  const pres = s['x-kubernetes-preserve-unknown-fields'] === true;

  if (type === 'array' && !isObj(s.items)) errs.push(required(child(path, 'items'), 'must be specified'));
  if (isObj(s.items)) errs.push(...validateInvariants(s.items, 'item', child(path, 'items')));
  const props = propertiesOf(s);
  if (props) for (const k of Object.keys(props)) if (isObj(props[k])) errs.push(...validateInvariants(props[k], 'field', key(child(path, 'properties'), k)));
  const ap = additionalOf(s);
  if (ap.set) {
    if (lvl === 'root') errs.push(forbidden(child(path, 'additionalProperties'), 'must not be used at the root'));
    if (ap.schema) errs.push(...validateInvariants(ap.schema, 'field', child(path, 'additionalProperties')));
  }
  if (ios && pres) errs.push(invalid(child(path, 'x-kubernetes-preserve-unknown-fields'), true, 'must be false if x-kubernetes-int-or-string is true'));
  if (ios && emb) errs.push(invalid(child(path, 'x-kubernetes-embedded-resource'), true, 'must be false if x-kubernetes-int-or-string is true'));

  const skipAnyOf = isIntOrStringAnyOf(s.anyOf);
  const allOf = listOf(s.allOf);
  const skipFirstAllOfAnyOf = allOf.length >= 1 && isIntOrStringAnyOf(allOf[0].anyOf);
  errs.push(...validateValueValidation(s, skipAnyOf, skipFirstAllOfAnyOf, lvl, path));

  const checkMetadata = lvl === 'root' || emb;
  if (emb && type !== 'object') {
    if (type === '') errs.push(required(child(path, 'type'), 'must be object if x-kubernetes-embedded-resource is true'));
    else errs.push(invalid(child(path, 'type'), type, 'must be object if x-kubernetes-embedded-resource is true'));
  } else if (type === '' && !ios && !pres) {
    const detail = lvl === 'root' ? 'must not be empty at the root' : lvl === 'item' ? 'must not be empty for specified array items' : 'must not be empty for specified object fields';
    errs.push(required(child(path, 'type'), detail));
  }
  if (emb && ap.set) errs.push(forbidden(child(path, 'additionalProperties'), 'must not be used if x-kubernetes-embedded-resource is set'));
  if (lvl === 'root' && type !== '' && type !== 'object') errs.push(invalid(child(path, 'type'), type, 'must be object at the root'));
  if (checkMetadata && props) {
    for (const f of ['kind', 'apiVersion']) {
      if (hasOwn(props, f) && isObj(props[f]) && str(props[f].type) !== 'string') {
        errs.push(invalid(child(key(child(path, 'properties'), f), 'type'), str(props[f].type), 'must be string'));
      }
    }
  }
  if (props && hasOwn(props, 'metadata') && isObj(props.metadata)) {
    errs.push(...validateMetadataInvariants(props.metadata, checkMetadata, lvl, key(child(path, 'properties'), 'metadata')));
  }
  if (emb && !pres && (!props || Object.keys(props).length === 0)) {
    errs.push(required(child(path, 'properties'), 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
  }
  return errs;
}

function nestedCompleteness(v: JSONSchemaProps, s: JSONSchemaProps | undefined, sPath: string, vPath: string): FieldError[] {
  if (!s) return [required(sPath, `because it is defined in ${vPath}`)];
  const errs: FieldError[] = [...valueCompleteness(v, s, sPath, vPath)];
  if (isObj(v.items)) errs.push(...nestedCompleteness(v.items, itemsOf(s), child(sPath, 'items'), child(vPath, 'items')));
  const vProps = propertiesOf(v);
  if (vProps) {
    const sProps = propertiesOf(s) ?? {};
    for (const k of Object.keys(vProps)) {
      if (!isObj(vProps[k])) continue;
      if (!hasOwn(sProps, k)) {
        errs.push(required(key(child(sPath, 'properties'), k), `because it is defined in ${key(child(vPath, 'properties'), k)}`));
      } else {
        errs.push(...nestedCompleteness(vProps[k], sProps[k], key(child(sPath, 'properties'), k), key(child(vPath, 'properties'), k)));
      }
    }
  }
  return errs;
}

function valueCompleteness(v: JSONSchemaProps, s: JSONSchemaProps, sPath: string, vPath: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isObj(v.not)) errs.push(...nestedCompleteness(v.not, s, sPath, child(vPath, 'not')));
  listOf(v.allOf).forEach((x, i) => errs.push(...nestedCompleteness(x, s, sPath, index(child(vPath, 'allOf'), i))));
  listOf(v.anyOf).forEach((x, i) => errs.push(...nestedCompleteness(x, s, sPath, index(child(vPath, 'anyOf'), i))));
  listOf(v.oneOf).forEach((x, i) => errs.push(...nestedCompleteness(x, s, sPath, index(child(vPath, 'oneOf'), i))));
  return errs;
}

/**
 * Upstream's ValidateStructural: the invariants of a structural schema
 * (types everywhere outside value validations, no forbidden keywords in
 * allOf/anyOf/oneOf/not, metadata restricted to name/generateName at the
 * root, ...) and completeness, errors sorted by their text.
 */
export function validateStructural(schema: JSONSchemaProps, fldPath: string): FieldError[] {
  const errs = [...validateInvariants(schema, 'root', fldPath), ...valueCompleteness(schema, schema, fldPath, fldPath)];
  return sortErrors(errs);
}

function coerceEmbeddedTypeMeta(pth: string, x: unknown, s: JSONSchemaProps | undefined, isRoot: boolean): FieldError | undefined {
  if (!s) return undefined;
  const emb = isRoot || s['x-kubernetes-embedded-resource'] === true;
  if (isObj(x)) {
    for (const k of Object.keys(x)) {
      if (emb && (k === 'apiVersion' || k === 'kind') && typeof x[k] !== 'string') return invalid(child(pth, k), errValue(x[k]), 'must be a string');
      const prop = propertiesOf(s)?.[k];
      if (isObj(prop)) {
        const e = coerceEmbeddedTypeMeta(child(pth, k), x[k], prop, false);
        if (e) return e;
      } else {
        const ap = additionalOf(s);
        if (ap.set) {
          const e = coerceEmbeddedTypeMeta(key(pth, k), x[k], ap.schema, false);
          if (e) return e;
        }
      }
    }
  } else if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const e = coerceEmbeddedTypeMeta(index(pth, i), x[i], itemsOf(s), false);
      if (e) return e;
    }
  }
  return undefined;
}

function defaultsOf(pth: string, s: JSONSchemaProps, insideMeta: boolean, requirePruned: boolean, isRoot: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const emb = isRoot || s['x-kubernetes-embedded-resource'] === true;
  if (emb) insideMeta = false;
  const sEff = isRoot && s['x-kubernetes-embedded-resource'] !== true ? { ...s, 'x-kubernetes-embedded-resource': true } : s;
  if (s.default !== undefined && s.default !== null) {
    const dflt = s.default;
    const dPath = child(pth, 'default');
    if (insideMeta) {
      errs.push(...validateAgainstSchema(s, dflt, { path: dPath }));
    } else {
      if (requirePruned) {
        const pruned = deepCopy(dflt);
        pruneFields(pruned, s, emb);
        if (!deepEqual(pruned, dflt)) errs.push(invalid(dPath, errValue(dflt), 'must not have unknown fields'));
      }
      const coerceErr = coerceEmbeddedTypeMeta(dPath, dflt, sEff, emb);
      if (coerceErr) errs.push(coerceErr);
      else {
        const metaErrs = validateEmbeddedResources(sEff, dflt, dPath);
        if (metaErrs.length) errs.push(...metaErrs);
        else errs.push(...validateAgainstSchema(s, dflt, { path: dPath }));
      }
    }
  }
  if (isObj(s.items)) errs.push(...defaultsOf(child(pth, 'items'), s.items, insideMeta, requirePruned, false));
  const props = propertiesOf(s);
  if (props) {
    for (const k of Object.keys(props).sort()) {
      if (!isObj(props[k])) continue;
      const subInside = insideMeta || (emb && (k === 'metadata' || k === 'apiVersion' || k === 'kind'));
      errs.push(...defaultsOf(key(child(pth, 'properties'), k), props[k], subInside, requirePruned, false));
    }
  }
  return errs;
}

/**
 * Upstream's ValidateDefaults for a resource root schema: every `default`
 * must be pruned (no fields the schema would drop), have valid embedded
 * metadata, and validate against its own schema.
 */
export function validateDefaults(schema: JSONSchemaProps, fldPath: string, requirePrunedDefaults = true): FieldError[] {
  return defaultsOf(fldPath, schema, false, requirePrunedDefaults, true);
}

/** Whether the schema satisfies the structural rules (no ValidateStructural errors). */
export function isStructural(schema: JSONSchemaProps | undefined): boolean {
  return !!schema && validateStructural(schema, '').length === 0;
}
