// Helpers for stored objects: storage keys, names, uids, timestamps, and the
// parts of an object that metadata rules compare.

import { randomBytes, randomUUID } from 'node:crypto';
import type { ResourceInfo } from '../api/registry.js';

export function resourcePrefix(info: { group: string; resource: string }): string {
  return `/registry/${info.group || 'core'}/${info.resource}/`;
}

export function objectKey(info: ResourceInfo, namespace: string, name: string): string {
  return info.namespaced ? `${resourcePrefix(info)}${namespace}/${name}` : `${resourcePrefix(info)}${name}`;
}

/** Prefix for a list: all objects of the resource, or those in one namespace. */
export function listPrefix(info: ResourceInfo, namespace: string): string {
  return info.namespaced && namespace ? `${resourcePrefix(info)}${namespace}/` : resourcePrefix(info);
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** generateName suffix: five characters from upstream's alphabet (no vowels, no confusable digits). */
export function randomSuffix(n = 5): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_CHARS[bytes[i] % NAME_CHARS.length];
  return s;
}

export function newUID(): string {
  return randomUUID();
}

/** RFC 3339 with second precision, as metav1.Time serializes. */
export function nowRFC3339(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Whether anything but metadata and status differs: what a "spec change" means for generation. */
export function specChanged(a: any, b: any): boolean {
  const { metadata: _ma, status: _sa, ...ra } = a;
  const { metadata: _mb, status: _sb, ...rb } = b;
  return !deepEqualJSON(ra, rb);
}

export function deepEqualJSON(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqualJSON(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ak.length !== bk.length) return false;
  for (const k of ak) if (!deepEqualJSON(ao[k], bo[k])) return false;
  return true;
}

export function clone<T>(v: T): T {
  return v === undefined ? v : JSON.parse(JSON.stringify(v));
}
