// Resource quantities (upstream apimachinery/pkg/api/resource.Quantity):
// parsing, exact comparison and the canonical string form the API server
// writes back (`1024Mi` -> `1Gi`, `0.5` -> `500m`, `1000m` -> `1`).

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** Exact value num/den (den > 0). */
  num: bigint;
  den: bigint;
  format: QuantityFormat;
}

export const QUANTITY_REGEX_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
}

function norm(num: bigint, den: bigint): { num: bigint; den: bigint } {
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const g = gcd(num, den) || 1n;
  return { num: num / g, den: den / g };
}

/** Parses a quantity string (or JSON number); undefined when malformed. */
export function parseQuantity(input: unknown): Quantity | undefined {
  let s: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return undefined;
    s = String(input);
  } else if (typeof input === 'string') {
    s = input.trim();
  } else {
    return undefined;
  }
  const m = /^([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+)(.*)$/.exec(s);
  if (!m) return undefined;
  const [, sign, numStr, suffix] = m;
  const [ip, fp = ''] = numStr.split('.');
  let num = BigInt((ip || '0') + fp);
  let den = pow10(fp.length);
  if (sign === '-') num = -num;
  let format: QuantityFormat;
  if (suffix in DECIMAL_SUFFIX) {
    format = 'DecimalSI';
    const e = DECIMAL_SUFFIX[suffix];
    if (e >= 0) num *= pow10(e);
    else den *= pow10(-e);
  } else if (suffix in BINARY_SUFFIX) {
    format = 'BinarySI';
    num *= 2n ** BigInt(BINARY_SUFFIX[suffix]);
  } else {
    const em = /^[eE]([+-]?[0-9]+)$/.exec(suffix);
    if (!em) return undefined;
    format = 'DecimalExponent';
    const e = Number(em[1]);
    if (Math.abs(e) > 1000) return undefined;
    if (e >= 0) num *= pow10(e);
    else den *= pow10(-e);
  }
  const r = roundUp(norm(num, den), 9);
  return { ...r, format };
}

/** Rounds away from zero to 10^-scale precision (inf.RoundUp). */
function roundUp(v: { num: bigint; den: bigint }, scale: number): { num: bigint; den: bigint } {
  const p = pow10(scale);
  const scaled = v.num * p;
  let q = scaled / v.den;
  if (q * v.den !== scaled) q += v.num < 0n ? -1n : 1n;
  return norm(q, p);
}

/** Rounds to milli precision, as SetDefaults_ResourceList does. */
export function roundUpMilli(q: Quantity): Quantity {
  return { ...roundUp(q, 3), format: q.format };
}

export function compareQuantity(a: Quantity, b: Quantity): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

export function isZero(q: Quantity): boolean {
  return q.num === 0n;
}

export function isNegative(q: Quantity): boolean {
  return q.num < 0n;
}

export function isInteger(q: Quantity): boolean {
  return q.num % q.den === 0n;
}

/** The canonical string (Quantity.String()). */
export function formatQuantity(q: Quantity): string {
  if (q.num === 0n) return '0';
  let format = q.format;
  const neg = q.num < 0n;
  const absNum = neg ? -q.num : q.num;
  if (format === 'BinarySI') {
    if (absNum < 1024n * q.den) format = 'DecimalSI';
    else if (absNum % q.den !== 0n) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    let m = absNum / q.den;
    let e = 0;
    while (e < 60 && m % 1024n === 0n) {
      m /= 1024n;
      e += 10;
    }
    const suffix = Object.keys(BINARY_SUFFIX).find((k) => BINARY_SUFFIX[k] === e) ?? '';
    return `${neg ? '-' : ''}${m}${suffix}`;
  }
  // mantissa * 10^exp with exp a multiple of 3; den divides 10^9 after nano rounding
  let exp = -9;
  let m = (absNum * pow10(9)) / q.den;
  while (m !== 0n && m % 10n === 0n) {
    m /= 10n;
    exp++;
  }
  while (((exp % 3) + 3) % 3 !== 0) {
    m *= 10n;
    exp--;
  }
  let suffix: string;
  if (format === 'DecimalSI') {
    const found = Object.keys(DECIMAL_SUFFIX).find((k) => DECIMAL_SUFFIX[k] === exp);
    suffix = found !== undefined ? found : `e${exp}`;
  } else {
    suffix = exp === 0 ? '' : `e${exp}`;
  }
  return `${neg ? '-' : ''}${m}${suffix}`;
}

/** Canonical form of a quantity value, or the input unchanged when it does not parse. */
export function canonicalQuantity(v: unknown, milli = false): unknown {
  const q = parseQuantity(v);
  if (!q) return v;
  return formatQuantity(milli ? roundUpMilli(q) : q);
}

/** The zero quantity (as a ResourceList entry starts in upstream's usage sums). */
export function zeroQuantity(format: QuantityFormat = 'DecimalSI'): Quantity {
  return { num: 0n, den: 1n, format };
}

/** a + b, exact. As Quantity.Add, a zero left side takes the right side's format. */
export function addQuantity(a: Quantity, b: Quantity): Quantity {
  const r = norm(a.num * b.den + b.num * a.den, a.den * b.den);
  return { ...r, format: a.num === 0n ? b.format : a.format };
}

/** a - b, exact, in a's format (Quantity.Sub). */
export function subtractQuantity(a: Quantity, b: Quantity): Quantity {
  const r = norm(a.num * b.den - b.num * a.den, a.den * b.den);
  return { ...r, format: a.num === 0n ? b.format : a.format };
}

/** Quantity.MilliValue(): the value in thousandths, rounded up. */
export function milliValue(q: Quantity): bigint {
  const scaled = q.num * 1000n;
  let v = scaled / q.den;
  if (v * q.den !== scaled && scaled > 0n) v += 1n;
  return v;
}
