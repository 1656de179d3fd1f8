// Small helpers shared by the controllers: owner references, pod
// readiness and availability, selectors, timestamps. Pure functions over
// API objects (plain JSON), no I/O.

import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { selectorFromLabelSelectorObject, NOTHING, type LabelSelector, type LabelSelectorObject } from '../api/labels.js';
import { ApiRequestError } from '../client/types.js';

export type { OwnerReference };

/** The owner reference with `controller: true`, if any. */
export function getControllerOf(obj: any): OwnerReference | undefined {
  const refs: OwnerReference[] | undefined = obj?.metadata?.ownerReferences;
  if (!refs) return undefined;
  return refs.find((r) => r.controller === true);
}

/** A controller reference to `owner` (controller and blockOwnerDeletion set), as upstream's NewControllerRef. */
export function newControllerRef(owner: any, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true };
}

/** The group of an `apiVersion` string ('' for core). */
export function groupOf(apiVersion: string | undefined): string {
  if (!apiVersion) return '';
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** Not Succeeded, not Failed, not being deleted. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

export function podReadyCondition(pod: Pod): { status: string; lastTransitionTime?: string } | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Pod): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/** Ready for at least minReadySeconds (at `nowMs`). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  const c = podReadyCondition(pod);
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const t = parseTime(c.lastTransitionTime);
  return t !== 0 && t + minReadySeconds * 1000 < nowMs;
}

/** Compiles a metav1.LabelSelector; an invalid selector selects nothing. Cached per selector object (cache objects are shared and not mutated). */
const selectorCache = new WeakMap<object, LabelSelector>();
export function labelSelectorOf(sel: LabelSelectorObject | null | undefined): LabelSelector {
  if (!sel) return NOTHING;
  let s = selectorCache.get(sel);
  if (!s) {
    try {
      s = selectorFromLabelSelectorObject(sel);
    } catch {
      s = NOTHING;
    }
    selectorCache.set(sel, s);
  }
  return s;
}

/** Like labelSelectorOf but throws on an invalid selector (callers that must report it). */
export function parseSelectorStrict(sel: LabelSelectorObject | null | undefined): LabelSelector {
  return selectorFromLabelSelectorObject(sel);
}

/** metav1.Time: RFC 3339 in UTC with whole seconds. */
export function nowRFC3339(ms: number = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Milliseconds since the epoch, or 0 for a missing or unparsable time. */
export function parseTime(s: string | null | undefined): number {
  if (!s) return 0;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : 0;
}

/** Older first; the name breaks ties (upstream's ...ByCreationTimestamp). */
export function compareByCreation(a: any, b: any): number {
  const ta = parseTime(a.metadata?.creationTimestamp);
  const tb = parseTime(b.metadata?.creationTimestamp);
  if (ta !== tb) return ta - tb;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** True when a create failed because the namespace is terminating (nothing to retry). */
export function isNamespaceTerminating(e: unknown): boolean {
  return e instanceof ApiRequestError && (e.status?.details?.causes ?? []).some((c: any) => c?.reason === 'NamespaceTerminating');
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The collection path of a namespaced resource. */
export function namespacedPath(group: string, version: string, namespace: string, resource: string): string {
  return group ? `/apis/${group}/${version}/namespaces/${namespace}/${resource}` : `/api/${version}/namespaces/${namespace}/${resource}`;
}

export const podsPath = (ns: string): string => `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`;
export const replicaSetsPath = (ns: string): string => `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/replicasets`;
export const deploymentsPath = (ns: string): string => `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments`;

/** Shallow label equality. */
export function labelsEqual(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  if (ka.length !== kb.length) return false;
  for (const k of ka) if ((a ?? {})[k] !== (b ?? {})[k]) return false;
  return true;
}

/** JSON-level deep equality (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ka = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const kb = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}
