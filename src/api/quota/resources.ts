// ResourceList arithmetic for quota (upstream apiserver/pkg/quota/v1/resources.go):
// exact sums, masks, comparisons and the `name=value,...` form errors print.

import { addQuantity, compareQuantity, formatQuantity, isNegative, isZero, parseQuantity, subtractQuantity, zeroQuantity, type Quantity } from '../validation/quantity.js';

/** Resource name to quantity. */
export type ResourceList = Record<string, Quantity>;

/** Parses a JSON ResourceList; values that are not quantities are skipped. */
export function parseResourceList(rl: unknown): ResourceList {
  const out: ResourceList = {};
  if (!rl || typeof rl !== 'object') return out;
  for (const [k, v] of Object.entries(rl as Record<string, unknown>)) {
    const q = parseQuantity(v);
    if (q) out[k] = q;
  }
  return out;
}

/** The JSON form with canonical quantity strings. */
export function formatResourceList(rl: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(rl).sort()) out[k] = formatQuantity(rl[k]);
  return out;
}

export function resourceNames(rl: ResourceList): string[] {
  return Object.keys(rl);
}

/** a + b for every name in either. */
export function add(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? addQuantity(out[k], v) : v;
  return out;
}

/** Adds b into list in place (upstream addResourceList). */
export function addInto(list: ResourceList, b: ResourceList): void {
  for (const [k, v] of Object.entries(b)) list[k] = k in list ? addQuantity(list[k], v) : v;
}

/** Sets list[k] to max(list[k], b[k]) for every name in b (upstream maxResourceList). */
export function maxInto(list: ResourceList, b: ResourceList): void {
  for (const [k, v] of Object.entries(b)) if (!(k in list) || compareQuantity(v, list[k]) > 0) list[k] = v;
}

/** a - b for the names of a, never below zero. */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(a)) {
    const d = k in b ? subtractQuantity(v, b[k]) : v;
    out[k] = isNegative(d) ? zeroQuantity(v.format) : d;
  }
  return out;
}

/** Only the given names. */
export function mask(rl: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = {};
  for (const n of names) if (n in rl) out[n] = rl[n];
  return out;
}

export function removeZeros(rl: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(rl)) if (!isZero(v)) out[k] = v;
  return out;
}

export function negativeNames(rl: ResourceList): string[] {
  return Object.keys(rl).filter((k) => isNegative(rl[k]));
}

/** Whether every name of a that b also has is at most b's value; the names that exceed. */
export function lessThanOrEqual(a: ResourceList, b: ResourceList): { ok: boolean; exceeded: string[] } {
  const exceeded: string[] = [];
  for (const [k, v] of Object.entries(a)) if (k in b && compareQuantity(v, b[k]) > 0) exceeded.push(k);
  return { ok: exceeded.length === 0, exceeded };
}

/** Same names and values. */
export function equals(a: ResourceList, b: ResourceList): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => k in b && compareQuantity(a[k], b[k]) === 0);
}

/** `name=value` pairs sorted by name, comma-joined (upstream prettyPrint). */
export function prettyPrint(rl: ResourceList): string {
  return Object.keys(rl)
    .sort()
    .map((k) => `${k}=${formatQuantity(rl[k])}`)
    .join(',');
}

export function prettyPrintNames(names: string[]): string {
  return [...names].sort().join(',');
}
