// Conversion between the served versions of a resource whose versions
// differ in shape. Most resources are served in every version from the same
// JSON (only apiVersion differs); those listed here are stored in one
// version (upstream's storage version) and converted on the way in and out.

import { hpaV1ToV2, hpaV2ToV1 } from './hpa.js';

type Converter = { storage: string; to: Record<string, (o: any) => any> };

/** By `group/Kind`: the storage version and, per target version, a conversion from the other version. */
const CONVERTERS: Record<string, Converter> = {
  'autoscaling/HorizontalPodAutoscaler': { storage: 'v2', to: { v1: hpaV2ToV1, v2: hpaV1ToV2 } },
};

function versionOf(apiVersion: unknown): string {
  const s = typeof apiVersion === 'string' ? apiVersion : '';
  const i = s.lastIndexOf('/');
  return i < 0 ? s : s.slice(i + 1);
}

/** True when objects of this kind change shape between versions. */
export function hasConversion(group: string, kind: string): boolean {
  return CONVERTERS[`${group}/${kind}`] !== undefined;
}

/** The version objects of this kind are stored in, or undefined when any version is stored as is. */
export function storageVersion(group: string, kind: string): string | undefined {
  return CONVERTERS[`${group}/${kind}`]?.storage;
}

/**
 * `obj` (of `group`/`kind`, in the version its apiVersion names) in
 * `version`: a new object when the shapes differ, else `obj` itself.
 */
export function convertToVersion(obj: any, group: string, kind: string, version: string): any {
  const c = CONVERTERS[`${group}/${kind}`];
  if (!c || !obj || typeof obj !== 'object') return obj;
  const from = versionOf(obj.apiVersion);
  if (!from || from === version) return obj;
  const f = c.to[version];
  return f ? f(obj) : obj;
}
