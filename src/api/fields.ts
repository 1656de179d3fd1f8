// Field selectors as Kubernetes 1.32 understands them: the `?fieldSelector=`
// syntax (`a=b`, `a==b`, `a!=b`, comma-separated, with `\,` `\=` `\\`
// escapes in values), matching against an object's selectable fields, and
// the per-resource tables of which field labels the API server accepts and
// what each object's selectable field values are (upstream's field label
// conversion funcs and registry GetAttrs/ToSelectableFields).

import { BUILTIN_RESOURCES } from './registry.js';
import { SelectorError } from './labels.js';

export { SelectorError };

/**
 * The parser only produces `=` (for both `=` and `==`, as upstream normalizes
 * them to selection.Equals) and `!=`; `==` is accepted as a synonym of `=`.
 */
export type FieldOperator = '=' | '==' | '!=';

export interface FieldRequirement {
  readonly field: string;
  readonly operator: FieldOperator;
  readonly value: string;
}

export type Fields = Record<string, string>;

/** A parsed field selector: requirements ANDed, in upstream's (sorted-term) order. */
export class FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  private str: string | undefined;

  /** @internal use parseFieldSelector / fieldSelectorFromSet */
  constructor(requirements: readonly FieldRequirement[]) {
    this.requirements = Object.freeze(requirements.map((r) => Object.freeze({ ...r })));
  }

  /** Whether an object with these selectable fields is selected; a missing field reads as the empty string. */
  matches(fields: Fields): boolean {
    const reqs = this.requirements;
    for (let i = 0; i < reqs.length; i++) {
      const r = reqs[i];
      const v = fields[r.field];
      const actual = typeof v === 'string' ? v : '';
      if ((actual === r.value) === (r.operator === '!=')) return false;
    }
    return true;
  }

  isEverything(): boolean {
    return this.requirements.length === 0;
  }

  /** The value a field must have (`field=value`), or undefined when the selector does not pin it. */
  requiresExactMatch(field: string): string | undefined {
    for (const r of this.requirements) if (r.field === field && r.operator !== '!=') return r.value;
    return undefined;
  }

  /** Canonical form as upstream prints it: `==` shown as `=`, values escaped. */
  toString(): string {
    if (this.str === undefined) {
      this.str = this.requirements.map((r) => `${r.field}${r.operator === '!=' ? '!=' : '='}${escapeFieldValue(r.value)}`).join(',');
    }
    return this.str;
  }
}

export const EVERYTHING_FIELDS: FieldSelector = new FieldSelector([]);

export function matchesFields(sel: FieldSelector, fields: Fields): boolean {
  return sel.matches(fields);
}

/** True for a selector that restricts nothing. Accepts label and field selectors alike. */
export function isEverything(sel: { isEverything(): boolean }): boolean {
  return sel.isEverything();
}

/** The (field, operator, value) triples, e.g. to use `spec.nodeName` or `metadata.namespace` as an index. */
export function requirements(sel: FieldSelector): readonly FieldRequirement[] {
  return sel.requirements;
}

export function fieldSelectorToString(sel: FieldSelector): string {
  return sel.toString();
}

/** `field=value` for every entry (sorted by field); an empty or missing set selects everything. */
export function fieldSelectorFromSet(set: Record<string, string> | null | undefined): FieldSelector {
  if (!set) return EVERYTHING_FIELDS;
  const keys = Object.keys(set).sort(compareStrings);
  return keys.length === 0 ? EVERYTHING_FIELDS : new FieldSelector(keys.map((field) => ({ field, operator: '=' as const, value: set[field] })));
}

// ---------------------------------------------------------------------------
// Parsing

/**
 * Parse a field selector. Terms are split on unescaped commas and sorted;
 * each splits at its first `!=`, `==` or `=` (no escaping on the left side);
 * values are unescaped (`\\`, `\,`, `\=`; any other escape, a trailing
 * backslash or a bare `,`/`=` in a value is an error). No whitespace trimming.
 */
export function parseFieldSelector(s: string): FieldSelector {
  const terms = splitTerms(s).sort(compareStrings);
  const reqs: FieldRequirement[] = [];
  for (const term of terms) {
    if (term === '') continue;
    const split = splitTerm(term);
    if (!split) throw new SelectorError(`invalid selector: '${s}'; can't understand '${term}'`);
    reqs.push({ field: split.lhs, operator: split.op === '!=' ? '!=' : '=', value: unescapeFieldValue(split.rhs) });
  }
  return reqs.length === 0 ? EVERYTHING_FIELDS : new FieldSelector(reqs);
}

function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

function splitTerm(term: string): { lhs: string; op: string; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '=']) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/** Escape a literal value for use in a field selector (`\` → `\\`, `,` → `\,`, `=` → `\=`). */
export function escapeFieldValue(s: string): string {
  return /[\\,=]/.test(s) ? s.replace(/[\\,=]/g, (c) => '\\' + c) : s;
}

/** Undo escapeFieldValue; throws SelectorError with upstream's messages on bad input. */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let escaped = false;
  for (const c of s) {
    if (escaped) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      escaped = false;
      continue;
    }
    if (c === '\\') escaped = true;
    // Upstream prints the rune with %v, i.e. as its number (61 for '=', 44 for ',').
    else if (c === ',' || c === '=') throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    else out += c;
  }
  if (escaped) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

// ---------------------------------------------------------------------------
// Per-resource field labels (upstream 1.32 AddFieldLabelConversionFunc) and
// selectable field values (registry GetAttrs / ToSelectableFields).

interface KindSpec {
  /** Field labels the conversion func accepts, mapped to the selectable-field name they are matched against. */
  labels: Record<string, string>;
  /** The conversion func's error for anything else. */
  reject: (label: string) => string;
  /** Resource-specific selectable fields (besides metadata.name / metadata.namespace). */
  extract?: (obj: any) => Record<string, string>;
}

const notSupported = (label: string) => `field label not supported: ${label}`;
const defaultReject = (label: string) => `"${label}" is not a known field selector: only "metadata.name", "metadata.namespace"`;

const identity = (...names: string[]): Record<string, string> => Object.fromEntries(names.map((n) => [n, n]));

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const bool = (v: unknown): string => (v === true ? 'true' : 'false');
const int = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? String(Math.trunc(v)) : '0');

function eventFields(o: any, regarding: any, reportingController: unknown, sourceComponent: unknown): Record<string, string> {
  const reporting = str(reportingController);
  const src = str(sourceComponent);
  return {
    'involvedObject.kind': str(regarding?.kind),
    'involvedObject.namespace': str(regarding?.namespace),
    'involvedObject.name': str(regarding?.name),
    'involvedObject.uid': str(regarding?.uid),
    'involvedObject.apiVersion': str(regarding?.apiVersion),
    'involvedObject.resourceVersion': str(regarding?.resourceVersion),
    'involvedObject.fieldPath': str(regarding?.fieldPath),
    reason: str(o?.reason),
    reportingComponent: reporting,
    source: src !== '' ? src : reporting,
    type: str(o?.type),
  };
}

const KINDS: Record<string, KindSpec> = {
  '/pods': {
    labels: {
      ...identity(
        'metadata.name',
        'metadata.namespace',
        'spec.nodeName',
        'spec.restartPolicy',
        'spec.schedulerName',
        'spec.serviceAccountName',
        'spec.hostNetwork',
        'status.phase',
        'status.podIP',
        'status.podIPs', // accepted, but not a selectable field: compares against ""
        'status.nominatedNodeName',
      ),
      'spec.host': 'spec.nodeName', // old v1 clients
    },
    reject: notSupported,
    extract: (o) => {
      const spec = o?.spec ?? {};
      const status = o?.status ?? {};
      // v1 → internal: serviceAccountName wins over the deprecated serviceAccount; podIP wins over podIPs[0].
      const sa = str(spec.serviceAccountName) || str(spec.serviceAccount);
      const podIP = str(status.podIP) || str(Array.isArray(status.podIPs) ? status.podIPs[0]?.ip : undefined);
      return {
        'spec.nodeName': str(spec.nodeName),
        'spec.restartPolicy': str(spec.restartPolicy),
        'spec.schedulerName': str(spec.schedulerName),
        'spec.serviceAccountName': sa,
        'spec.hostNetwork': bool(spec.hostNetwork),
        'status.phase': str(status.phase),
        'status.podIP': podIP,
        'status.nominatedNodeName': str(status.nominatedNodeName),
      };
    },
  },
  '/nodes': {
    labels: identity('metadata.name', 'spec.unschedulable'),
    reject: notSupported,
    extract: (o) => ({ 'spec.unschedulable': bool(o?.spec?.unschedulable) }),
  },
  '/replicationcontrollers': {
    labels: identity('metadata.name', 'metadata.namespace', 'status.replicas'),
    reject: notSupported,
    extract: (o) => ({ 'status.replicas': int(o?.status?.replicas) }),
  },
  '/events': {
    labels: identity(
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
      'metadata.namespace',
      'metadata.name',
    ),
    reject: notSupported,
    extract: (o) => eventFields(o, o?.involvedObject, o?.reportingComponent, o?.source?.component),
  },
  '/namespaces': {
    labels: identity('status.phase', 'metadata.name'),
    reject: notSupported,
    extract: (o) => ({ 'status.phase': str(o?.status?.phase) }),
  },
  '/secrets': {
    labels: identity('type', 'metadata.namespace', 'metadata.name'),
    reject: notSupported,
    extract: (o) => ({ type: str(o?.type) }),
  },
  '/services': {
    labels: identity('metadata.namespace', 'metadata.name', 'spec.clusterIP', 'spec.type'),
    reject: notSupported,
    extract: (o) => ({ 'spec.clusterIP': str(o?.spec?.clusterIP), 'spec.type': str(o?.spec?.type) }),
  },
  'events.k8s.io/events': {
    // events.k8s.io names map onto the core Event's selectable fields.
    labels: {
      reason: 'reason',
      'regarding.kind': 'involvedObject.kind',
      'regarding.namespace': 'involvedObject.namespace',
      'regarding.name': 'involvedObject.name',
      'regarding.uid': 'involvedObject.uid',
      'regarding.apiVersion': 'involvedObject.apiVersion',
      'regarding.resourceVersion': 'involvedObject.resourceVersion',
      'regarding.fieldPath': 'involvedObject.fieldPath',
      reportingController: 'reportingComponent',
      source: 'source',
      type: 'type',
      'metadata.namespace': 'metadata.namespace',
      'metadata.name': 'metadata.name',
    },
    reject: notSupported,
    extract: (o) => eventFields(o, o?.regarding, o?.reportingController, o?.deprecatedSource?.component),
  },
  // Upstream registers no conversion for apps/v1 ReplicaSet, so `status.replicas`
  // is rejected there even though the registry computes it (kubernetes#135136).
  'apps/replicasets': {
    labels: identity('metadata.name', 'metadata.namespace'),
    reject: defaultReject,
    extract: (o) => ({ 'status.replicas': int(o?.status?.replicas) }),
  },
  'batch/jobs': {
    labels: identity('metadata.name', 'metadata.namespace', 'status.successful'),
    reject: (label) => `field label "${label}" not supported for batchv1.Job`,
    extract: (o) => ({ 'status.successful': int(o?.status?.succeeded) }),
  },
  'certificates.k8s.io/certificatesigningrequests': {
    labels: identity('metadata.name', 'spec.signerName'),
    reject: notSupported,
    extract: (o) => ({ 'spec.signerName': str(o?.spec?.signerName) }),
  },
};


const DEFAULT_SPEC: KindSpec = { labels: identity('metadata.name', 'metadata.namespace'), reject: defaultReject };

const BUILTIN_SCOPE = new Map<string, boolean>();
for (const r of BUILTIN_RESOURCES) BUILTIN_SCOPE.set(`${r.group}/${r.resource}`, r.namespaced);

/** Options for resources kts does not know as built-ins (custom resources). */
export interface FieldOptions {
  /** Whether the resource is namespaced. Custom resources default to namespaced for labels and to "has metadata.namespace" for values. */
  namespaced?: boolean;
  /** CRD `selectableFields[].jsonPath` values for the served version, e.g. `.spec.color`. */
  selectableFields?: string[];
}

function isBuiltin(group: string, resource: string): boolean {
  const key = `${group}/${resource}`;
  return BUILTIN_SCOPE.has(key) || key in KINDS;
}

function crLabel(jsonPath: string): string {
  return jsonPath.startsWith('.') ? jsonPath.slice(1) : jsonPath;
}

function specFor(group: string, resource: string, opts?: FieldOptions): KindSpec {
  const known = KINDS[`${group}/${resource}`];
  if (known) return known;
  if (isBuiltin(group, resource)) return DEFAULT_SPEC;
  // Custom resource (apiextensions' converter): metadata.name, metadata.namespace when namespaced, plus selectableFields.
  const labels: Record<string, string> = { 'metadata.name': 'metadata.name' };
  if (opts?.namespaced !== false) labels['metadata.namespace'] = 'metadata.namespace';
  for (const p of opts?.selectableFields ?? []) labels[crLabel(p)] = crLabel(p);
  return { labels, reject: notSupported };
}

/**
 * The field labels the API server accepts in `fieldSelector` for a resource
 * (group '' for core). Unknown resources are treated as custom resources.
 * Some accepted labels are alternate names (`spec.host` for pods, the
 * `regarding.*` names of events.k8s.io): run the selector through
 * convertFieldSelector before matching it against fieldsOf.
 */
export function supportedFieldLabels(group: string, resource: string, opts?: FieldOptions): string[] {
  return Object.keys(specFor(group, resource, opts).labels);
}

/**
 * Check a parsed selector against the resource's accepted field labels and map
 * legacy/alternate names onto the selectable-field names (`spec.host` →
 * `spec.nodeName`; events.k8s.io `regarding.name` → `involvedObject.name`, ...),
 * as the API server does before matching. Throws SelectorError with the
 * upstream message for the first unsupported label (400 BadRequest).
 */
export function convertFieldSelector(group: string, resource: string, sel: FieldSelector, opts?: FieldOptions): FieldSelector {
  if (sel.requirements.length === 0) return sel;
  const spec = specFor(group, resource, opts);
  let changed = false;
  const out = sel.requirements.map((r) => {
    const target = Object.prototype.hasOwnProperty.call(spec.labels, r.field) ? spec.labels[r.field] : undefined;
    if (target === undefined) throw new SelectorError(spec.reject(r.field));
    if (target === r.field) return r;
    changed = true;
    return { ...r, field: target };
  });
  return changed ? new FieldSelector(out) : sel;
}

/** The upstream error text for an unsupported field label on this resource. */
export function fieldLabelError(group: string, resource: string, label: string, opts?: FieldOptions): string {
  return specFor(group, resource, opts).reject(label);
}

/**
 * The selectable fields of an object (v1 JSON shape) of the given resource:
 * always `metadata.name`, plus `metadata.namespace` when namespaced, plus the
 * resource's own fields (also under their alternate accepted names, e.g.
 * `spec.host` for pods, `regarding.name` for events.k8s.io). Missing strings
 * read as "", missing booleans as "false", missing counts as "0".
 */
export function fieldsOf(group: string, resource: string, obj: any, opts?: FieldOptions): Record<string, string> {
  const meta = obj?.metadata ?? {};
  const key = `${group}/${resource}`;
  const builtinScope = BUILTIN_SCOPE.get(key);
  const known = KINDS[key];
  const out: Record<string, string> = known?.extract ? known.extract(obj) : {};
  if (known) {
    // Alternate accepted names (pods' spec.host, events.k8s.io's regarding.*) carry the
    // same values, so a selector matches even when it was not run through convertFieldSelector.
    for (const label in known.labels) {
      const target = known.labels[label];
      if (target !== label && target in out) out[label] = out[target];
    }
  }
  out['metadata.name'] = str(meta.name);
  const namespaced =
    builtinScope !== undefined ? builtinScope : known ? true : (opts?.namespaced ?? (typeof meta.namespace === 'string' && meta.namespace !== ''));
  if (namespaced) out['metadata.namespace'] = str(meta.namespace);
  if (builtinScope === undefined && !known && opts?.selectableFields) {
    for (const p of opts.selectableFields) {
      const v = valueAtPath(obj, crLabel(p));
      if (typeof v === 'string') out[crLabel(p)] = v;
      else if (typeof v === 'boolean') out[crLabel(p)] = v ? 'true' : 'false';
      else if (typeof v === 'number' && Number.isInteger(v)) out[crLabel(p)] = String(v);
      else if (typeof v === 'bigint') out[crLabel(p)] = v.toString();
    }
  }
  return out;
}

function valueAtPath(obj: any, path: string): unknown {
  let cur = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
