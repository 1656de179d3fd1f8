// String formats a CRD schema may declare and the checks kube-openapi's
// default format registry applies to them (Kubernetes 1.32: formats are
// validated only for string-typed values, unknown formats are ignored;
// integer keeps int32/int64, number keeps float/double).

import { byteLen, isCIDR, isIP } from '../validation/names.js';

/** Format names (dashes removed, as go-openapi normalizes them) that CRD schemas validate in 1.32. */
const SUPPORTED_STRING_FORMATS = new Set([
  'bsonobjectid',
  'uri',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'cidr',
  'mac',
  'uuid',
  'uuid3',
  'uuid4',
  'uuid5',
  'isbn',
  'isbn10',
  'isbn13',
  'creditcard',
  'ssn',
  'hexcolor',
  'rgbcolor',
  'byte',
  'password',
  'date',
  'duration',
  'datetime',
]);

export function normalizeFormat(name: string): string {
  return name.replace(/-/g, '');
}

/**
 * The format kept for validation once unsupported formats are stripped:
 * `types` is the schema's type list (`['integer', 'string']` for int-or-string).
 */
export function effectiveFormat(format: unknown, types: string[]): string {
  if (typeof format !== 'string' || format === '') return '';
  const t = types.length === 1 ? types[0] : '';
  switch (t) {
    case '':
    case 'string':
      return SUPPORTED_STRING_FORMATS.has(normalizeFormat(format)) ? format : '';
    case 'integer':
      return format === 'int32' || format === 'int64' ? format : '';
    case 'number':
      return format === 'float' || format === 'double' ? format : '';
    default:
      return '';
  }
}

/** Whether the registry knows the (string) format. */
export function isKnownStringFormat(format: string): boolean {
  return SUPPORTED_STRING_FORMATS.has(normalizeFormat(format));
}

const HOSTNAME_RE =
  /^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9\-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$/u;
const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID3_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID4_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const UUID5_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const CREDIT_CARD_RE =
  /^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11})$/;
const HEXCOLOR_RE = /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const RGB_PART = '(0|[1-9]\\d?|1\\d\\d?|2[0-4]\\d|25[0-5])';
const RGBCOLOR_RE = new RegExp(`^rgb\\(\\s*${RGB_PART}\\s*,\\s*${RGB_PART}\\s*,\\s*${RGB_PART}\\s*\\)$`);
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;
const SSN_RE = /^\d{3}[- ]?\d{2}[- ]?\d{4}$/;
const DATE_TIME_TAIL_RE = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/;

function isHostname(s: string): boolean {
  if (!HOSTNAME_RE.test(s)) return false;
  if (byteLen(s) > 255) return false;
  return s.split('.').every((p) => byteLen(p) <= 63);
}

/** Go's time.Parse("2006-01-02", s). */
export function isDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return false;
  const days = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[mo - 1];
}

/** strfmt's IsDateTime: a full date, `t`, and an RFC 3339 time (case-insensitive). */
export function isDateTime(s: string): boolean {
  if (s.length < 4) return false;
  const parts = s.toLowerCase().split('t');
  if (parts.length < 2 || !isDate(parts[0])) return false;
  const m = DATE_TIME_TAIL_RE.exec(parts[1]);
  if (!m) return false;
  return m[1] <= '23' && m[2] <= '59' && m[3] <= '59';
}

const GO_DURATION_RE = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/;
const DURATION_UNITS: string[][] = [['ns', 'nano'], ['us', 'µs', 'micro'], ['ms', 'milli'], ['s', 'sec'], ['m', 'min'], ['h', 'hr', 'hour'], ['d', 'day'], ['w', 'wk', 'week']];

/** strfmt's ParseDuration: Go durations, or `<n> <unit>` sequences such as `3 days`. */
export function isDuration(s: string): boolean {
  if (s === '0' || s === '+0' || s === '-0' || GO_DURATION_RE.test(s)) return true;
  for (const m of s.matchAll(/((\d+)\s*([A-Za-zµ]+))/g)) {
    const unit = m[3].trim().toLowerCase();
    for (const variants of DURATION_UNITS) {
      const last = variants.length - 1;
      for (let i = 0; i <= last; i++) {
        if ((i === last && unit.startsWith(variants[i])) || unit === variants[i]) return true;
      }
    }
  }
  return false;
}

function isISBN10(s: string): boolean {
  const x = s.replace(/[\s-]+/g, '');
  if (!/^(?:[0-9]{9}X|[0-9]{10})$/.test(x)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (i + 1) * (x.charCodeAt(i) - 48);
  sum += x[9] === 'X' ? 100 : 10 * (x.charCodeAt(9) - 48);
  return sum % 11 === 0;
}

function isISBN13(s: string): boolean {
  const x = s.replace(/[\s-]+/g, '');
  if (!/^[0-9]{13}$/.test(x)) return false;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += (i % 2 === 0 ? 1 : 3) * (x.charCodeAt(i) - 48);
  return (x.charCodeAt(12) - 48 - ((10 - (sum % 10)) % 10)) === 0;
}

function isCreditCard(s: string): boolean {
  const x = s.replace(/[^0-9]+/g, '');
  if (!CREDIT_CARD_RE.test(x)) return false;
  let sum = 0;
  let dbl = false;
  for (let i = x.length - 1; i >= 0; i--) {
    let d = x.charCodeAt(i) - 48;
    if (dbl) {
      d *= 2;
      sum += d >= 10 ? (d % 10) + 1 : d;
    } else sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

/** net.ParseMAC: 6, 8 or 20 octets separated by `:` or `-`, or dotted groups of four hex digits. */
function isMAC(s: string): boolean {
  const colon = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2})*$/;
  if (colon.test(s)) {
    const n = s.split(/[:-]/).length;
    return n === 6 || n === 8 || n === 20;
  }
  if (/^[0-9a-fA-F]{4}(\.[0-9a-fA-F]{4})*$/.test(s)) {
    const n = s.split('.').length * 2;
    return n === 6 || n === 8 || n === 20;
  }
  return false;
}

/** url.ParseRequestURI: an absolute URI or an absolute path, no fragment. */
function isRequestURI(s: string): boolean {
  if (s === '' || /[\s\x00-\x1f\x7f]/.test(s)) return false;
  if (s.startsWith('/')) return true;
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/.exec(s);
  if (!m) return false;
  return true;
}

/** net/mail.ParseAddress, approximated: `local@domain` optionally as `Name <local@domain>`. */
function isEmail(s: string): boolean {
  const addr = /^[^<>]*<([^<>]+)>$/.exec(s.trim())?.[1] ?? s.trim();
  return /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(addr) && !addr.startsWith('.') && !addr.includes('..');
}

const VALIDATORS: Record<string, (s: string) => boolean> = {
  bsonobjectid: (s) => /^[0-9a-fA-F]{24}$/.test(s),
  uri: isRequestURI,
  email: isEmail,
  hostname: isHostname,
  ipv4: (s) => isIP(s) && s.includes('.'),
  ipv6: (s) => isIP(s) && s.includes(':'),
  cidr: isCIDR,
  mac: isMAC,
  uuid: (s) => UUID_RE.test(s),
  uuid3: (s) => UUID3_RE.test(s),
  uuid4: (s) => UUID4_RE.test(s),
  uuid5: (s) => UUID5_RE.test(s),
  isbn: (s) => isISBN10(s) || isISBN13(s),
  isbn10: isISBN10,
  isbn13: isISBN13,
  creditcard: isCreditCard,
  ssn: (s) => s.length === 11 && SSN_RE.test(s),
  hexcolor: (s) => HEXCOLOR_RE.test(s),
  rgbcolor: (s) => RGBCOLOR_RE.test(s),
  byte: (s) => BASE64_RE.test(s),
  password: () => true,
  date: isDate,
  duration: isDuration,
  datetime: isDateTime,
};

/** Whether `value` satisfies the known string `format`; unknown formats always pass. */
export function validatesFormat(format: string, value: string): boolean {
  const fn = VALIDATORS[normalizeFormat(format)];
  return fn ? fn(value) : true;
}
