// Name and label syntax (upstream apimachinery/pkg/util/validation and
// apimachinery/pkg/api/validation) and ObjectMeta validation. Each `is*`
// function returns upstream's messages (empty when valid).

import type { ResourceInfo } from '../registry.js';
import {
  child,
  forbidden,
  goStringSlice,
  goStruct,
  index,
  invalid,
  key,
  required,
  tooLong,
  typeInvalid,
  type FieldError,
  GoValue,
} from './errors.js';

/** Length in bytes of the UTF-8 encoding (Go's len(string)). */
export function byteLen(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  // upstream's exact concatenation, including its "',  or '" quirk
  let out = msg + ' (e.g. ';
  examples.forEach((e, i) => {
    if (i > 0) out += ' or ';
    out += `'${e}', `;
  });
  return out + `regex used for validation is '${fmt}')`;
}

export function emptyError(): string {
  return 'must be non-empty';
}

export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

// --- qualified names and label values ---------------------------------------

const qnameCharFmt = '[A-Za-z0-9]';
const qnameExtCharFmt = '[-A-Za-z0-9_.]';
const qualifiedNameFmt = `(${qnameCharFmt}${qnameExtCharFmt}*)?${qnameCharFmt}`;
const qualifiedNameErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const qualifiedNameMaxLength = 63;
const qualifiedNameRe = new RegExp(`^${qualifiedNameFmt}$`);

/** A label key / annotation key / finalizer: `[prefix/]name`. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part ' + emptyError());
    else for (const m of isDNS1123Subdomain(prefix)) errs.push('prefix part ' + m);
  } else {
    return [
      'a qualified name ' +
        regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc') +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part ' + emptyError());
  else if (byteLen(name) > qualifiedNameMaxLength) errs.push('name part ' + maxLenError(qualifiedNameMaxLength));
  if (!qualifiedNameRe.test(name)) errs.push('name part ' + regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc'));
  return errs;
}

const labelValueFmt = `(${qualifiedNameFmt})?`;
const labelValueErrMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
export const LABEL_VALUE_MAX_LENGTH = 63;
const labelValueRe = new RegExp(`^${labelValueFmt}$`);

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLen(value) > LABEL_VALUE_MAX_LENGTH) errs.push(maxLenError(LABEL_VALUE_MAX_LENGTH));
  if (!labelValueRe.test(value)) errs.push(regexError(labelValueErrMsg, labelValueFmt, 'MyValue', 'my_value', '12345'));
  return errs;
}

// --- DNS names ----------------------------------------------------------------

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123LabelErrMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
export const DNS1123_LABEL_MAX_LENGTH = 63;
const dns1123LabelRe = new RegExp(`^${dns1123LabelFmt}$`);

const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1123SubdomainErrMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
const dns1123SubdomainRe = new RegExp(`^${dns1123SubdomainFmt}$`);

const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const dns1035LabelErrMsg =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
export const DNS1035_LABEL_MAX_LENGTH = 63;
const dns1035LabelRe = new RegExp(`^${dns1035LabelFmt}$`);

const wildcardDNS1123SubdomainFmt = `\\*\\.${dns1123SubdomainFmt}`;
const wildcardDNS1123SubdomainErrMsg =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character";
const wildcardDNS1123SubdomainRe = new RegExp(`^${wildcardDNS1123SubdomainFmt}$`);

export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLen(value) > DNS1123_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!dns1123LabelRe.test(value)) {
    if (dns1123SubdomainRe.test(value)) errs.push('must not contain dots');
    else errs.push(regexError(dns1123LabelErrMsg, dns1123LabelFmt, 'my-name', '123-abc'));
  }
  return errs;
}

export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLen(value) > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!dns1123SubdomainRe.test(value)) errs.push(regexError(dns1123SubdomainErrMsg, dns1123SubdomainFmt, 'example.com'));
  return errs;
}

export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLen(value) > DNS1035_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1035_LABEL_MAX_LENGTH));
  if (!dns1035LabelRe.test(value)) errs.push(regexError(dns1035LabelErrMsg, dns1035LabelFmt, 'my-name', 'abc-123'));
  return errs;
}

export function isWildcardDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLen(value) > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!wildcardDNS1123SubdomainRe.test(value)) errs.push(regexError(wildcardDNS1123SubdomainErrMsg, wildcardDNS1123SubdomainFmt, '*.example.com'));
  return errs;
}

// --- path segment names (RBAC, events) ------------------------------------------

export function isValidPathSegmentName(name: string): string[] {
  for (const bad of ['.', '..']) if (name === bad) return [`may not be '${bad}'`];
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

export function isValidPathSegmentPrefix(name: string): string[] {
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

// --- other syntaxes -------------------------------------------------------------

const configMapKeyFmt = '[-._a-zA-Z0-9]+';
const configMapKeyErrMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
const configMapKeyRe = new RegExp(`^${configMapKeyFmt}$`);

function hasChDirPrefix(value: string): string[] {
  if (value === '.') return ["must not be '.'"];
  if (value === '..') return ["must not be '..'"];
  if (value.startsWith('..')) return ["must not start with '..'"];
  return [];
}

/** Keys of ConfigMap / Secret data. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (byteLen(value) > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!configMapKeyRe.test(value)) errs.push(regexError(configMapKeyErrMsg, configMapKeyFmt, 'key.name', 'KEY_NAME', 'key-name'));
  errs.push(...hasChDirPrefix(value));
  return errs;
}

const envVarNameFmt = '[-._a-zA-Z][-._a-zA-Z0-9]*';
const envVarNameFmtErrMsg =
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit";
const envVarNameRe = new RegExp(`^${envVarNameFmt}$`);

/** The strict (pre-1.32) environment variable name syntax. */
export function isEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (!envVarNameRe.test(value)) errs.push(regexError(envVarNameFmtErrMsg, envVarNameFmt, 'my.env-name', 'MY_ENV.NAME', 'MyEnvName1'));
  errs.push(...hasChDirPrefix(value));
  return errs;
}

/** The relaxed syntax (RelaxedEnvironmentVariableValidation, on by default in 1.32). */
export function isRelaxedEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (value.length === 0) errs.push('environment variable name ' + emptyError());
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (cp > 0x7e || cp < 0x20 || ch === '=') {
      errs.push("a valid environment variable name must consist only of printable ASCII characters other than '='");
      break;
    }
  }
  return errs;
}

const cIdentifierFmt = '[A-Za-z_][A-Za-z0-9_]*';
const cIdentifierRe = new RegExp(`^${cIdentifierFmt}$`);
export function isCIdentifier(value: string): string[] {
  if (cIdentifierRe.test(value)) return [];
  return [
    regexError(
      "a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_'",
      cIdentifierFmt,
      'my_name',
      'MY_NAME',
      'MyName',
    ),
  ];
}

export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

export function isInRange(value: number, min: number, max: number): string[] {
  return value >= min && value <= max ? [] : [inclusiveRangeError(min, max)];
}

export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (byteLen(port) > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

const percentFmt = '[0-9]+%';
export function isValidPercent(percent: string): string[] {
  if (/^[0-9]+%$/.test(percent)) return [];
  return [regexError("a valid percent string must be a numeric string followed by an ending '%'", percentFmt, '1%', '93%')];
}

const httpHeaderNameFmt = '[-A-Za-z0-9]+';
export function isHTTPHeaderName(value: string): string[] {
  if (/^[-A-Za-z0-9]+$/.test(value)) return [];
  return [regexError("a valid HTTP header must consist of alphanumeric characters or '-'", httpHeaderNameFmt, 'X-Header-Name')];
}

// --- IP addresses -----------------------------------------------------------------

/** IPv4 dotted quad; leading zeros tolerated (netutils.ParseIPSloppy). */
export function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/** IPv6 (with optional embedded IPv4 tail); returns the 8 groups. */
export function parseIPv6(s: string): number[] | undefined {
  if (!s.includes(':')) return undefined;
  let str = s;
  const lastColon = str.lastIndexOf(':');
  const last = str.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseIPv4(last);
    if (!v4) return undefined;
    str = str.slice(0, lastColon + 1) + (((v4[0] << 8) | v4[1]).toString(16) + ':' + ((v4[2] << 8) | v4[3]).toString(16));
  }
  const dbl = str.split('::');
  if (dbl.length > 2) return undefined;
  const parseGroups = (x: string): number[] | undefined => {
    if (x === '') return [];
    const out: number[] = [];
    for (const g of x.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(dbl[0]);
  if (!head) return undefined;
  if (dbl.length === 1) return head.length === 8 ? head : undefined;
  const rest = parseGroups(dbl[1]);
  if (!rest) return undefined;
  const total = head.length + rest.length;
  if (total > 7) return undefined;
  return [...head, ...new Array(8 - total).fill(0), ...rest];
}

export function isIP(s: string): boolean {
  return parseIPv4(s) !== undefined || parseIPv6(s) !== undefined;
}

export function isIPv4(s: string): boolean {
  if (parseIPv4(s)) return true;
  const v6 = parseIPv6(s);
  // IPv4-mapped IPv6 counts as IPv4, as Go's To4() does
  return !!v6 && v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff;
}

export function isIPv6(s: string): boolean {
  return isIP(s) && !isIPv4(s);
}

export function validateIP(fld: string, value: string): FieldError[] {
  return isIP(value) ? [] : [invalid(fld, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
}

export function isCIDR(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash < 0) return false;
  const ip = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(bits)) return false;
  const n = Number(bits);
  if (parseIPv4(ip)) return n <= 32;
  if (parseIPv6(ip)) return n <= 128;
  return false;
}

export function validateCIDR(fld: string, value: string): FieldError[] {
  return isCIDR(value) ? [] : [invalid(fld, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
}

// --- name functions (upstream ValidateNameFunc) -------------------------------------

export type NameFn = (name: string, prefix: boolean) => string[];

function maskTrailingDash(name: string): string {
  if (name.length > 1 && name.endsWith('-')) return name.slice(0, -2) + 'a';
  return name;
}

export const nameIsDNSSubdomain: NameFn = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameFn = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameFn = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);
export const nameIsPathSegment: NameFn = (name, prefix) => (prefix ? isValidPathSegmentPrefix(name) : isValidPathSegmentName(name));

/** The name function upstream uses for a resource's `metadata.name`. */
export function nameFnFor(info: Pick<ResourceInfo, 'group' | 'kind' | 'nameRule'>): NameFn {
  // Services are DNS-1035 labels upstream (ValidateServiceName), stricter than the registry's "label".
  if (info.group === '' && info.kind === 'Service') return nameIsDNS1035Label;
  switch (info.nameRule) {
    case 'label':
      return nameIsDNSLabel;
    case 'path':
      return nameIsPathSegment;
    default:
      return nameIsDNSSubdomain;
  }
}

// --- labels, annotations, selectors ---------------------------------------------------

export const TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * 1024;

export function validateLabelName(name: string, fld: string): FieldError[] {
  return isQualifiedName(name).map((m) => invalid(fld, name, m));
}

export function validateLabels(labels: unknown, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!labels || typeof labels !== 'object') return errs;
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    errs.push(...validateLabelName(k, fld));
    if (typeof v !== 'string') {
      errs.push(typeInvalid(key(fld, k), v ?? null, 'must be of type string'));
      continue;
    }
    for (const m of isValidLabelValue(v)) errs.push(invalid(fld, v, m));
  }
  return errs;
}

export function validateAnnotations(annotations: unknown, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!annotations || typeof annotations !== 'object') return errs;
  let total = 0;
  for (const [k, v] of Object.entries(annotations as Record<string, unknown>)) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(fld, k, m));
    if (typeof v !== 'string') errs.push(typeInvalid(key(fld, k), v ?? null, 'must be of type string'));
    total += byteLen(k) + byteLen(typeof v === 'string' ? v : String(v ?? ''));
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_B) errs.push(tooLong(fld, TOTAL_ANNOTATION_SIZE_LIMIT_B));
  return errs;
}

/** metav1 label selector syntax (matchLabels / matchExpressions). */
export function validateLabelSelector(sel: any, fld: string, allowInvalidLabelValue = false): FieldError[] {
  const errs: FieldError[] = [];
  if (!sel || typeof sel !== 'object') return errs;
  errs.push(...validateLabels(sel.matchLabels, child(fld, 'matchLabels')));
  const exprs = Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
  exprs.forEach((r: any, i: number) => {
    const p = index(child(fld, 'matchExpressions'), i);
    const values: unknown[] = Array.isArray(r?.values) ? r.values : [];
    switch (r?.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errs.push(forbidden(child(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(invalid(child(p, 'operator'), r?.operator ?? '', 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(String(r?.key ?? ''), child(p, 'key')));
    if (!allowInvalidLabelValue) {
      values.forEach((v, j) => {
        for (const m of isValidLabelValue(String(v))) errs.push(invalid(index(child(p, 'values'), j), String(v), m));
      });
    }
  });
  return errs;
}

// --- ObjectMeta -------------------------------------------------------------------------

const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** Groups validated with core's ValidateObjectMeta (which adds the kube finalizer-name check). */
const KUBE_FINALIZER_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'node.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'certificates.k8s.io',
]);

export function validateFinalizerName(name: string, fld: string): FieldError[] {
  return isQualifiedName(name).map((m) => invalid(fld, name, m));
}

/** Core's extra rule: a finalizer without '/' must be one of the standard names. */
export function validateKubeFinalizerName(name: string, fld: string): FieldError[] {
  if (name.split('/').length === 1 && !STANDARD_FINALIZERS.has(name)) {
    return [invalid(fld, name, 'name is neither a standard finalizer name nor is it fully qualified')];
  }
  return [];
}

function validateFinalizers(finalizers: unknown, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(finalizers)) return errs;
  let orphan = false;
  let foreground = false;
  for (const f of finalizers) {
    const s = String(f);
    errs.push(...validateFinalizerName(s, fld));
    if (s === 'orphan') orphan = true;
    if (s === 'foregroundDeletion') foreground = true;
  }
  if (orphan && foreground) {
    errs.push(invalid(fld, goStringSlice(finalizers), 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

function parseAPIVersion(apiVersion: string): { group: string; version: string } {
  if (apiVersion === '') return { group: '', version: '' };
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: parts[0] };
  if (parts.length === 2) return { group: parts[0], version: parts[1] };
  return { group: '', version: '' };
}

function ownerRefValue(r: any): GoValue {
  return goStruct('v1.OwnerReference', r, [
    ['apiVersion', 'APIVersion', 'string'],
    ['kind', 'Kind', 'string'],
    ['name', 'Name', 'string'],
    ['uid', 'UID', 'string'],
    ['controller', 'Controller', 'raw'],
    ['blockOwnerDeletion', 'BlockOwnerDeletion', 'raw'],
  ]);
}

export function validateOwnerReferences(refs: unknown, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(refs)) return errs;
  let firstController = '';
  for (const r of refs) {
    const apiVersion = String(r?.apiVersion ?? '');
    const kind = String(r?.kind ?? '');
    const gv = parseAPIVersion(apiVersion);
    if (!gv.version) errs.push(invalid(child(fld, 'apiVersion'), apiVersion, 'version must not be empty'));
    if (!kind) errs.push(invalid(child(fld, 'kind'), kind, 'kind must not be empty'));
    if (!r?.name) errs.push(invalid(child(fld, 'name'), String(r?.name ?? ''), 'name must not be empty'));
    if (!r?.uid) errs.push(invalid(child(fld, 'uid'), String(r?.uid ?? ''), 'uid must not be empty'));
    if (gv.group === '' && gv.version === 'v1' && kind === 'Event') {
      errs.push(invalid(fld, ownerRefValue(r), '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (r?.controller === true) {
      const cur = `${kind}/${r?.name ?? ''}`;
      if (firstController) {
        errs.push(
          invalid(
            fld,
            new GoValue(`[]v1.OwnerReference{${refs.map((x: any) => ownerRefValue(x).repr).join(', ')}}`),
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`,
          ),
        );
      } else {
        firstController = cur;
      }
    }
  }
  return errs;
}

/** Go's metav1.Time String(): `2006-01-02 15:04:05 +0000 UTC`. */
function goTime(v: unknown): GoValue | string {
  if (typeof v !== 'string') return new GoValue('0001-01-01 00:00:00 +0000 UTC');
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return v;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return new GoValue(
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000 UTC`,
  );
}

export const FIELD_IMMUTABLE = 'field is immutable';

/**
 * ObjectMeta validation (upstream ValidateObjectMeta on create,
 * ValidateObjectMetaUpdate when `old` is given on update).
 * `isCreate` true: name/generateName/namespace rules; false with `old`:
 * immutability of name, namespace, uid, creationTimestamp, deletion fields.
 * Labels, annotations, ownerReferences and finalizers are checked in both cases.
 */
export function validateObjectMeta(obj: any, info: ResourceInfo, isCreate: boolean, old?: any): FieldError[] {
  const errs: FieldError[] = [];
  const meta = obj?.metadata && typeof obj.metadata === 'object' ? obj.metadata : {};
  const fld = 'metadata';
  const nameFn = nameFnFor(info);
  const kubeFinalizers = KUBE_FINALIZER_GROUPS.has(info.group);

  if (isCreate || !old) {
    const generateName = typeof meta.generateName === 'string' ? meta.generateName : '';
    if (generateName) for (const m of nameFn(generateName, true)) errs.push(invalid(child(fld, 'generateName'), generateName, m));
    const name = typeof meta.name === 'string' ? meta.name : '';
    if (!name) errs.push(required(child(fld, 'name'), 'name or generateName is required'));
    else for (const m of nameFn(name, false)) errs.push(invalid(child(fld, 'name'), name, m));
    const ns = typeof meta.namespace === 'string' ? meta.namespace : '';
    if (info.namespaced) {
      if (!ns) errs.push(required(child(fld, 'namespace')));
      else for (const m of nameIsDNSLabel(ns, false)) errs.push(invalid(child(fld, 'namespace'), ns, m));
    } else if (ns) {
      errs.push(forbidden(child(fld, 'namespace'), 'not allowed on this type'));
    }
    if (typeof meta.generation === 'number' && meta.generation < 0) {
      errs.push(invalid(child(fld, 'generation'), meta.generation, 'must be greater than or equal to 0'));
    }
    errs.push(...validateLabels(meta.labels, child(fld, 'labels')));
    errs.push(...validateAnnotations(meta.annotations, child(fld, 'annotations')));
    errs.push(...validateOwnerReferences(meta.ownerReferences, child(fld, 'ownerReferences')));
    errs.push(...validateFinalizers(meta.finalizers, child(fld, 'finalizers')));
  } else {
    const om = old?.metadata && typeof old.metadata === 'object' ? old.metadata : {};
    if (om.deletionTimestamp) {
      const oldF = new Set((Array.isArray(om.finalizers) ? om.finalizers : []).map(String));
      const extra = [...new Set((Array.isArray(meta.finalizers) ? meta.finalizers : []).map(String))].filter((f) => !oldF.has(f)).sort();
      if (extra.length) {
        errs.push(
          forbidden(
            child(fld, 'finalizers'),
            `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(extra).repr}`,
          ),
        );
      }
    }
    if (typeof meta.generation === 'number' && typeof om.generation === 'number' && meta.generation < om.generation) {
      errs.push(invalid(child(fld, 'generation'), meta.generation, 'must not be decremented'));
    }
    const imm = (k: string, render: (v: unknown) => unknown = (v) => v ?? '') => {
      const a = meta[k] ?? '';
      const b = om[k] ?? '';
      if (a !== b) errs.push(invalid(child(fld, k), render(meta[k]), FIELD_IMMUTABLE));
    };
    imm('name');
    imm('namespace');
    imm('uid');
    imm('creationTimestamp', goTime);
    imm('deletionTimestamp', (v) => (v ? goTime(v) : null));
    imm('deletionGracePeriodSeconds', (v) => v ?? null);
    errs.push(...validateLabels(meta.labels, child(fld, 'labels')));
    errs.push(...validateAnnotations(meta.annotations, child(fld, 'annotations')));
    errs.push(...validateOwnerReferences(meta.ownerReferences, child(fld, 'ownerReferences')));
  }
  if (kubeFinalizers && Array.isArray(meta.finalizers)) {
    meta.finalizers.forEach((f: unknown, i: number) => errs.push(...validateKubeFinalizerName(String(f), index(child(fld, 'finalizers'), i))));
  }
  return errs;
}

