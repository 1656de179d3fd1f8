// Server-side field validation (`?fieldValidation=Strict|Warn|Ignore`) for
// built-in kinds, with upstream's (Kubernetes 1.32) semantics and strings.
//
// What upstream does (k8s.io/apiserver endpoints/handlers create.go,
// update.go, patch.go, rest.go; apimachinery's strict JSON/YAML serializer;
// sigs.k8s.io/json UnmarshalStrict):
//  - the directive comes from the first `fieldValidation` query value;
//    absent or empty means Warn; anything but Ignore/Warn/Strict is a 422
//    `CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported
//    value: "x": supported values: "", "Ignore", "Strict", "Warn"`
//    (UpdateOptions / PatchOptions for PUT / PATCH);
//  - Strict and Warn decode the body strictly: unknown fields
//    (`unknown field "spec.foo"`) and duplicate fields
//    (`duplicate field "spec.replicas"`); YAML bodies also go through go-yaml
//    in strict mode (`yaml: unmarshal errors:\n  line 5: key "x" already set
//    in map`). Strict fails the request, Warn turns every problem into a
//    `Warning: 299 - "..."` header (one per problem; the YAML error one per
//    line) and goes on, Ignore checks nothing. Unknown fields are dropped
//    from the object in every mode (pruneUnknownFields);
//  - create / update (POST / PUT), Strict: 400 BadRequest
//    `Deployment in version "v1" cannot be handled as a Deployment: strict
//    decoding error: unknown field "spec.foo", duplicate field "spec.paused"`;
//  - json patch: problems in the operations (`json patch unknown field
//    "[0].foo"`, `json patch duplicate field "[1].path"`), then unknown
//    fields of the patched object; merge and strategic merge patch:
//    duplicate fields of the patch, then unknown fields of the patched
//    object. Strict: 422 Invalid ` "" is invalid: patch: Invalid value:
//    "<patched JSON, or the patch as Go's %+v for strategic>": strict
//    decoding error: ...`;
//  - apply patch (application/apply-patch+yaml): only duplicate keys, found
//    by go-yaml; Strict: 400 `error strict decoding YAML: error converting
//    YAML to JSON: yaml: unmarshal errors:\n  line 10: key "paused" already
//    set in map` (checked after the apply itself succeeded). Unknown fields
//    of an applied configuration are the apply machinery's error, whatever
//    the directive.
//  - protobuf and CBOR bodies: nothing is checked.

import { fieldErrorMessage, goQuote, invalid, invalidMessage, notSupported, type FieldError } from '../validation/errors.js';
import { goJsonText, goSprintV } from './go-format.js';
import { ANY_SHAPE, JSON_PATCH_SHAPE, shapeForKind } from './shapes.js';
import { MAX_STRICT_ERRORS, scanStrictJson, strictErrorText } from './strict-json.js';
import { findUnknownFields } from './unknown-fields.js';
import { findYamlDuplicateKeys, yamlUnmarshalErrorsText } from './yaml-duplicates.js';

export { findDuplicateFields } from './duplicates.js';
export { findUnknownFields, hasFieldSchema, pruneUnknownFields, type UnknownFieldOrder } from './unknown-fields.js';
export { findYamlDuplicateKeys, yamlUnmarshalErrorsText } from './yaml-duplicates.js';
export { scanStrictJson, strictErrorText, type StrictFieldError } from './strict-json.js';
export { WarningRecorder, warningHeaderValue, warningHeaderValues } from './warnings.js';
export { goJsonText, goSprintV } from './go-format.js';

export type FieldValidationDirective = 'Strict' | 'Warn' | 'Ignore';

/** The values upstream accepts, as its error lists them (sorted). */
export const FIELD_VALIDATION_VALUES: readonly string[] = ['', 'Ignore', 'Strict', 'Warn'];

/** The request options type whose validation reports a bad `fieldValidation`. */
export type WriteOptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions';

/**
 * The field error upstream's options validation reports for the request's
 * `fieldValidation` (none when it is valid or absent), to aggregate with
 * the other options errors (upstream order: fieldManager, dryRun,
 * fieldValidation) into one 422 `<Kind>.meta.k8s.io "" is invalid: ...`.
 */
export function fieldValidationFieldErrors(query: URLSearchParams): FieldError[] {
  const v = query.get('fieldValidation');
  if (v === null || FIELD_VALIDATION_VALUES.includes(v)) return [];
  return [notSupported('fieldValidation', v, [...FIELD_VALIDATION_VALUES])];
}

/** A `fieldValidation` value upstream rejects: a 422 Invalid on the request's options. */
export class FieldValidationParamError extends Error {
  readonly code = 422;
  readonly reason = 'Invalid';
  readonly group = 'meta.k8s.io';
  readonly causes: { reason: string; message: string; field: string }[];
  constructor(
    readonly kind: WriteOptionsKind,
    readonly fieldErrors: FieldError[],
  ) {
    super(invalidMessage({ group: 'meta.k8s.io', kind }, '', fieldErrors));
    this.name = 'FieldValidationParamError';
    this.causes = fieldErrors.map((e) => ({ reason: e.type, message: fieldErrorMessage(e), field: e.field }));
  }
}

/**
 * The directive of a create / update / patch request: the first
 * `fieldValidation` query value; absent or empty = Warn (upstream's
 * default; kubectl always sends one: Strict by default, Warn for
 * --validate=warn, Ignore for --validate=false). Throws
 * FieldValidationParamError for any other value.
 */
export function fieldValidationDirective(query: URLSearchParams, optionsKind: WriteOptionsKind = 'CreateOptions'): FieldValidationDirective {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw new FieldValidationParamError(optionsKind, fieldValidationFieldErrors(query));
}

/** The outcome of a field validation check. */
export interface FieldCheckResult {
  /** Strict only: the message of the 400 BadRequest to fail the request with. */
  error?: string;
  /** Warn only: the texts of the `Warning` headers to add (see WarningRecorder). */
  warnings: string[];
  /** Every problem found, as upstream words it (empty for Ignore: nothing is checked). */
  problems: string[];
}

export interface CheckFieldsOptions {
  directive: FieldValidationDirective;
  /** The body's apiVersion (`apps/v1`; the request's when the body has none). */
  apiVersion: string;
  /** The body's kind (the request's when the body has none). */
  kind: string;
  /** The kind of the object the resource stores (upstream's `cannot be handled as a <kind>`); defaults to `kind`. */
  targetKind?: string;
  /** The raw request body (JSON or YAML text). Needed for duplicate fields; JSON bodies are then scanned exactly as upstream does. */
  bodyText?: string;
  /** The request's Content-Type (`application/json` when absent). */
  contentType?: string;
  /** The decoded body (used for YAML bodies, or JSON bodies without bodyText). */
  obj?: unknown;
  /**
   * Unknown-field paths found by other means (custom resources' structural
   * pruning), used instead of the built-in schema; reported after the
   * duplicate fields, as upstream does for custom resources.
   */
  unknownFields?: string[];
}

type BodyFormat = 'json' | 'yaml' | 'none';

function bodyFormat(contentType: string | undefined): BodyFormat {
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct === '' || ct === 'application/json' || ct.endsWith('+json')) return 'json';
  if (ct === 'application/yaml' || ct === 'application/x-yaml' || ct === 'text/yaml' || ct.endsWith('+yaml')) return 'yaml';
  return 'none'; // protobuf, CBOR: upstream has no strict mode for them
}

function unknownTexts(paths: readonly string[]): string[] {
  return paths.slice(0, MAX_STRICT_ERRORS).map((path) => strictErrorText({ type: 'unknown field', path }));
}

/** Strict problems of a JSON body (document order, as UnmarshalStrict reports them). */
function jsonBodyProblems(o: CheckFieldsOptions): string[] {
  const shape = o.unknownFields ? undefined : shapeForKind(o.apiVersion, o.kind);
  if (o.bodyText === undefined) {
    return unknownTexts(o.unknownFields ?? findUnknownFields(o.apiVersion, o.kind, o.obj, 'document'));
  }
  if (shape) return scanStrictJson(o.bodyText, shape).map(strictErrorText);
  const dups = scanStrictJson(o.bodyText, ANY_SHAPE).map(strictErrorText);
  return [...dups, ...unknownTexts(o.unknownFields ?? [])];
}

function versionOf(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
}

function strictMessage(errors: readonly string[]): string {
  return 'strict decoding error: ' + errors.join(', ');
}

/**
 * Field validation of a create (POST) or update (PUT) body. Call it after
 * the body decoded (a malformed body fails first, whatever the directive)
 * and before anything else looks at the object; then, Strict with `error`:
 * fail with 400 BadRequest `error`; Warn: add `warnings` as Warning
 * headers; in every mode drop the unknown fields (pruneUnknownFields).
 */
export function checkFields(o: CheckFieldsOptions): FieldCheckResult {
  if (o.directive === 'Ignore') return { warnings: [], problems: [] };
  const format = bodyFormat(o.contentType);
  if (format === 'none') return { warnings: [], problems: [] };

  let errors: string[]; // the strict decoding error's parts
  let warnings: string[]; // the Warning texts (the YAML error split by line)
  if (format === 'yaml') {
    const lines = o.bodyText !== undefined ? findYamlDuplicateKeys(o.bodyText) : [];
    // the YAML is converted to JSON through Go maps: keys come out sorted
    const unknown = unknownTexts(o.unknownFields ?? findUnknownFields(o.apiVersion, o.kind, o.obj, 'sorted'));
    errors = lines.length > 0 ? [yamlUnmarshalErrorsText(lines), ...unknown] : unknown;
    warnings = [...lines, ...unknown];
  } else {
    errors = jsonBodyProblems(o);
    warnings = errors;
  }
  if (errors.length === 0) return { warnings: [], problems: [] };
  if (o.directive === 'Strict') {
    const message = `${o.kind} in version ${goQuote(versionOf(o.apiVersion))} cannot be handled as a ${o.targetKind ?? o.kind}: ${strictMessage(errors)}`;
    return { error: message, warnings: [], problems: warnings };
  }
  return { warnings, problems: warnings };
}

// ---------------------------------------------------------------------------
// patches

export type PatchKind = 'json' | 'merge' | 'strategic';

/** The patch kind of a PATCH Content-Type (`application/merge-patch+json` → merge), or undefined (apply, unknown). */
export function patchKindOf(contentType: string): PatchKind | undefined {
  switch (contentType.split(';')[0]!.trim().toLowerCase()) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    default:
      return undefined;
  }
}

/** A 422 Invalid, as upstream's errors.NewInvalid(schema.GroupKind{}, "", ...) for the `patch` field. */
export interface PatchInvalid {
  code: 422;
  reason: 'Invalid';
  /** ` "" is invalid: patch: Invalid value: "...": strict decoding error: ...` (the leading space is upstream's). */
  message: string;
  /** Status details: no group, kind or name; one cause. */
  causes: { reason: 'FieldValueInvalid'; message: string; field: 'patch' }[];
}

export interface PatchCheckResult {
  /** Strict only: the 422 to fail the request with. */
  error?: PatchInvalid;
  /** Warn only: the texts of the `Warning` headers to add. */
  warnings: string[];
  /** Every problem found (empty for Ignore). */
  problems: string[];
}

export interface CheckPatchOptions {
  directive: FieldValidationDirective;
  patchKind: PatchKind;
  /** The object's apiVersion and kind (the resource's). */
  apiVersion: string;
  kind: string;
  /** The raw patch body. */
  patchText: string;
  /** The parsed patch (strategic merge: shown in the error as Go's %+v); parsed from patchText when absent. */
  patch?: unknown;
  /** The patched object (before defaulting, pruning and validation). */
  patched: unknown;
  /** Unknown-field paths found by other means (custom resources), used instead of the built-in schema. */
  unknownFields?: string[];
}

/**
 * Field validation of a json / merge / strategic merge patch. Call it once
 * the patch applied to the current object (a patch that does not apply
 * fails first), before admission and validation; then, Strict with
 * `error`: fail with that 422; Warn: add `warnings` as Warning headers; in
 * every mode drop the unknown fields of the result (pruneUnknownFields).
 */
export function checkPatchFields(o: CheckPatchOptions): PatchCheckResult {
  if (o.directive === 'Ignore') return { warnings: [], problems: [] };

  // problems in the patch document itself
  let patchErrors: string[];
  if (o.patchKind === 'json') {
    patchErrors = scanStrictJson(o.patchText, JSON_PATCH_SHAPE).map((e) => 'json patch ' + strictErrorText(e));
  } else {
    patchErrors = scanStrictJson(o.patchText, ANY_SHAPE).map(strictErrorText);
  }

  // unknown fields of the result: json and merge patch results are
  // re-encoded through Go maps (sorted keys) and strictly decoded;
  // strategic merge results go through the unstructured converter
  const order = o.patchKind === 'strategic' ? 'converter' : 'sorted';
  const unknown = unknownTexts(o.unknownFields ?? findUnknownFields(o.apiVersion, o.kind, o.patched, order));

  const all = [...patchErrors, ...unknown];
  if (all.length === 0) return { warnings: [], problems: [] };
  if (o.directive === 'Warn') return { warnings: all, problems: all };

  let shown: string;
  if (o.patchKind === 'strategic') {
    let patch = o.patch;
    if (patch === undefined) {
      try {
        patch = JSON.parse(o.patchText);
      } catch {
        patch = {};
      }
    }
    shown = goSprintV(patch);
  } else {
    shown = goJsonText(o.patched);
  }
  const fe = invalid('patch', shown, strictMessage(all));
  return {
    error: {
      code: 422,
      reason: 'Invalid',
      message: invalidMessage('', '', [fe]),
      causes: [{ reason: 'FieldValueInvalid', message: fieldErrorMessage(fe), field: 'patch' }],
    },
    warnings: [],
    problems: all,
  };
}

/**
 * Field validation of a server-side apply patch
 * (application/apply-patch+yaml, JSON or YAML text): go-yaml's duplicate
 * keys only. Upstream checks after the apply succeeded. Strict with
 * `error`: fail with 400 BadRequest `error`; Warn: one Warning per line.
 */
export function checkApplyPatch(o: { directive: FieldValidationDirective; patchText: string }): FieldCheckResult {
  if (o.directive === 'Ignore') return { warnings: [], problems: [] };
  const lines = findYamlDuplicateKeys(o.patchText);
  if (lines.length === 0) return { warnings: [], problems: [] };
  if (o.directive === 'Strict') {
    return { error: `error strict decoding YAML: error converting YAML to JSON: ${yamlUnmarshalErrorsText(lines)}`, warnings: [], problems: lines };
  }
  return { warnings: lines, problems: lines };
}
