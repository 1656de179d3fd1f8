// Field-level validation errors, rendered exactly as upstream's
// `field.Error.ErrorBody()` / `Error()` and `apierrors.NewInvalid` (Kubernetes
// 1.32). kubectl prints these strings, so their shape matters character for
// character.

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'FieldValueNotFound'
  | 'InternalError';

export interface FieldError {
  type: FieldErrorType;
  /** Field path such as `spec.containers[0].name` (`''` for the whole object). */
  field: string;
  /** The offending value: a JSON value, a {@link GoValue} (pre-rendered Go syntax) or {@link OMIT}. */
  value?: unknown;
  detail?: string;
}

/**
 * A value whose rendering upstream comes from Go's `%#v` (maps, slices,
 * structs): the rendering is computed when the error is built.
 */
export class GoValue {
  constructor(readonly repr: string) {}
  toJSON(): string {
    return this.repr;
  }
  toString(): string {
    return this.repr;
  }
}

/** Marker for "no value shown" (upstream's omitValue). */
export const OMIT: unique symbol = Symbol('omit');

const LABELS: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueNotFound: 'Not found',
  InternalError: 'Internal error',
};

// ---------------------------------------------------------------------------
// Go value rendering

function isPrintable(ch: string): boolean {
  if (ch === ' ') return true;
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);
}

/** Go's strconv.Quote: a double-quoted Go string literal. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out += '\\ufffd'; // a lone surrogate cannot be encoded as UTF-8
    } else if (isPrintable(ch)) {
      out += ch;
    } else if (cp < 0x80) {
      out += '\\x' + cp.toString(16).padStart(2, '0');
    } else if (cp < 0x10000) {
      out += '\\u' + cp.toString(16).padStart(4, '0');
    } else {
      out += '\\U' + cp.toString(16).padStart(8, '0');
    }
  }
  return out + '"';
}

/** Go's `%v` for a float64/int. */
export function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  // %v of a float64 is %g with the shortest representation: exponent form when exp < -4 || exp >= 6
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 6) {
    const [mant, e] = n.toExponential().split('e');
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[-+]/, '').padStart(2, '0');
    return `${mant}e${sign}${digits}`;
  }
  return String(n);
}

/** `%#v` of a map[string]string (keys sorted, as fmt does). */
export function goStringMap(m: unknown): GoValue {
  if (m === null || m === undefined || typeof m !== 'object') return new GoValue('map[string]string(nil)');
  const keys = Object.keys(m as object).sort();
  const parts = keys.map((k) => `${goQuote(k)}:${goQuote(String((m as any)[k]))}`);
  return new GoValue(`map[string]string{${parts.join(', ')}}`);
}

/** `%#v` of a []string. */
export function goStringSlice(a: unknown, typeName = '[]string'): GoValue {
  if (!Array.isArray(a)) return new GoValue(`${typeName}(nil)`);
  return new GoValue(`${typeName}{${a.map((x) => goQuote(String(x))).join(', ')}}`);
}

/** `%#v` of an intstr.IntOrString. */
export function goIntOrString(v: unknown): GoValue {
  if (typeof v === 'string') return new GoValue(`intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}`);
  const n = typeof v === 'number' ? v : 0;
  return new GoValue(`intstr.IntOrString{Type:0, IntVal:${goNumber(n)}, StrVal:""}`);
}

/** `%#v` of a metav1.LabelSelector. */
export function goLabelSelector(sel: any): GoValue {
  if (sel === null || sel === undefined) return new GoValue('null');
  const ml = sel.matchLabels && typeof sel.matchLabels === 'object' ? goStringMap(sel.matchLabels).repr : 'map[string]string(nil)';
  let me = '[]v1.LabelSelectorRequirement(nil)';
  if (Array.isArray(sel.matchExpressions)) {
    const reqs = sel.matchExpressions.map(
      (r: any) =>
        `v1.LabelSelectorRequirement{Key:${goQuote(String(r?.key ?? ''))}, Operator:${goQuote(String(r?.operator ?? ''))}, Values:${goStringSlice(r?.values).repr}}`,
    );
    me = `[]v1.LabelSelectorRequirement{${reqs.join(', ')}}`;
  }
  return new GoValue(`v1.LabelSelector{MatchLabels:${ml}, MatchExpressions:${me}}`);
}

/** A struct-ish rendering `type{Field:value, ...}` for the given fields (JSON name → Go name). */
export function goStruct(typeName: string, obj: any, fields: Array<[string, string, 'string' | 'number' | 'bool' | 'ptrstring' | 'raw']>): GoValue {
  const parts = fields.map(([json, goName, kind]) => {
    const v = obj?.[json];
    switch (kind) {
      case 'string':
        return `${goName}:${goQuote(v === undefined || v === null ? '' : String(v))}`;
      case 'number':
        return `${goName}:${goNumber(typeof v === 'number' ? v : 0)}`;
      case 'bool':
        return `${goName}:${v === true ? 'true' : 'false'}`;
      case 'ptrstring':
        return `${goName}:${v === undefined || v === null ? '(*string)(nil)' : `&${goQuote(String(v))}`}`;
      default:
        return `${goName}:${v instanceof GoValue ? v.repr : JSON.stringify(v ?? null)}`;
    }
  });
  return new GoValue(`${typeName}{${parts.join(', ')}}`);
}

/** A best-effort Go-like rendering of an arbitrary JSON object, prefixed with its Go type name. */
export function goObject(typeName: string, obj: unknown): GoValue {
  if (obj === null || obj === undefined) {
    // a nil slice or map prints as T(nil); a nil pointer is shown as "null" by ErrorBody
    return new GoValue(typeName.startsWith('[]') || typeName.startsWith('map[') ? `${typeName}(nil)` : '"null"');
  }
  return new GoValue(`${typeName}${JSON.stringify(obj)}`);
}

/** Renders a value as upstream's ErrorBody does. */
export function renderValue(v: unknown): string {
  if (v instanceof GoValue) return v.repr;
  if (v === null || v === undefined) return '"null"';
  switch (typeof v) {
    case 'string':
      return goQuote(v);
    case 'number':
      return goNumber(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    default:
      return JSON.stringify(v);
  }
}

/** Exactly upstream's `field.Error.ErrorBody()`. */
export function fieldErrorMessage(e: FieldError): string {
  let s: string;
  const label = LABELS[e.type] ?? `<unknown error ${goQuote(String(e.type))}>`;
  switch (e.type) {
    case 'FieldValueRequired':
    case 'FieldValueForbidden':
    case 'FieldValueTooLong':
    case 'InternalError':
      s = label;
      break;
    default:
      s = e.value === OMIT ? label : `${label}: ${renderValue(e.value)}`;
  }
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

/** Upstream's `field.Error.Error()`: `field: body`. */
export function fieldErrorString(e: FieldError): string {
  return `${e.field}: ${fieldErrorMessage(e)}`;
}

/** Upstream's `ErrorList.ToAggregate().Error()`: duplicates dropped, several errors bracketed. */
export function aggregateMessage(errs: FieldError[]): string {
  const seen = new Set<string>();
  const msgs: string[] = [];
  for (const e of errs) {
    const m = fieldErrorString(e);
    if (seen.has(m)) continue;
    seen.add(m);
    msgs.push(m);
  }
  if (msgs.length === 0) return '';
  if (msgs.length === 1) return msgs[0];
  return `[${msgs.join(', ')}]`;
}

/** `Kind.group` as upstream's `schema.GroupKind.String()` (just `Kind` for the core group). */
export function qualifiedKind(r: { group: string; kind: string }): string {
  return r.group ? `${r.kind}.${r.group}` : r.kind;
}

/**
 * The Status message of a 422 Invalid: `Pod "x" is invalid: metadata.name: ...`
 * or with several errors `Pod "x" is invalid: [a: ..., b: ...]`. Upstream uses
 * the group-qualified kind (`Deployment.apps`); pass `qualifiedKind(info)` (or
 * the resource info itself) for an exact match.
 */
export function invalidMessage(kind: string | { group: string; kind: string }, name: string, errs: FieldError[]): string {
  const k = typeof kind === 'string' ? kind : qualifiedKind(kind);
  const agg = aggregateMessage(errs);
  return agg ? `${k} ${goQuote(name)} is invalid: ${agg}` : `${k} ${goQuote(name)} is invalid`;
}

// ---------------------------------------------------------------------------
// Constructors (upstream's field.Required, field.Invalid, ...)

export function required(field: string, detail = ''): FieldError {
  return { type: 'FieldValueRequired', field, value: '', detail };
}

export function invalid(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, value, detail };
}

export function notSupported(field: string, value: unknown, valid: string[]): FieldError {
  const detail = valid.length ? 'supported values: ' + valid.map((v) => goQuote(String(v))).join(', ') : '';
  return { type: 'FieldValueNotSupported', field, value, detail };
}

export function duplicate(field: string, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field, value, detail: '' };
}

export function forbidden(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, value: '', detail };
}

/** Upstream's field.TooLong: the value is never shown. */
export function tooLong(field: string, maxLength: number): FieldError {
  const detail = maxLength >= 0 ? `may not be more than ${maxLength} bytes` : 'value is too long';
  return { type: 'FieldValueTooLong', field, value: '<value omitted>', detail };
}

export function tooMany(field: string, actual: number, max: number): FieldError {
  const detail = max >= 0 ? `must have at most ${max} items` : 'has too many items';
  return { type: 'FieldValueTooMany', field, value: actual >= 0 ? actual : OMIT, detail };
}

export function typeInvalid(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueTypeInvalid', field, value, detail };
}

export function notFound(field: string, value: unknown): FieldError {
  return { type: 'FieldValueNotFound', field, value, detail: '' };
}

export function internalError(field: string, detail: string): FieldError {
  return { type: 'InternalError', field, value: null, detail };
}

// ---------------------------------------------------------------------------
// Field paths

export function child(path: string, ...names: string[]): string {
  let p = path;
  for (const n of names) p = p ? `${p}.${n}` : n;
  return p;
}

export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}
