// Pure Deployment logic (upstream pkg/controller/deployment/util and
// controller.ComputeHash): the pod-template hash, revisions and the
// annotations that carry them, maxSurge/maxUnavailable resolution,
// proportional scaling, status and conditions. No I/O: the controller in
// deployment.ts applies what these functions decide.

import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { clone } from '../client/store.js';
import { compareByCreation, deepEqual, nowRFC3339, parseTime } from './util.js';

export const DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY = 'pod-template-hash';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const ROLLBACK_TO_ANNOTATION = 'deprecated.deployment.rollback.to';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** Longest revision-history annotation kept (upstream: 2000 characters). */
export const MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000;

// Condition reasons, as upstream spells them.
export const FAILED_RS_CREATE_REASON = 'ReplicaSetCreateError';
export const NEW_REPLICA_SET_REASON = 'NewReplicaSetCreated';
export const FOUND_NEW_RS_REASON = 'FoundNewReplicaSet';
export const NEW_RS_AVAILABLE_REASON = 'NewReplicaSetAvailable';
export const TIMED_OUT_REASON = 'ProgressDeadlineExceeded';
export const PAUSED_DEPLOY_REASON = 'DeploymentPaused';
export const RESUMED_DEPLOY_REASON = 'DeploymentResumed';
export const REPLICA_SET_UPDATED_REASON = 'ReplicaSetUpdated';
export const MINIMUM_REPLICAS_AVAILABLE = 'MinimumReplicasAvailable';
export const MINIMUM_REPLICAS_UNAVAILABLE = 'MinimumReplicasUnavailable';
// Rollback event reasons.
export const ROLLBACK_REVISION_NOT_FOUND = 'DeploymentRollbackRevisionNotFound';
export const ROLLBACK_TEMPLATE_UNCHANGED = 'DeploymentRollbackTemplateUnchanged';
export const ROLLBACK_DONE = 'DeploymentRollback';

const MAX_INT32 = 2147483647;

const ANNOTATIONS_TO_SKIP = new Set([LAST_APPLIED_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, ROLLBACK_TO_ANNOTATION]);

// ---------------------------------------------------------------------------
// Template hash

/** FNV-1a, 32 bits, over the UTF-8 bytes of `data`, continuing from `hash`. */
export function fnv32a(data: Uint8Array, hash = 0x811c9dc5): number {
  let h = hash >>> 0;
  for (const b of data) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** Upstream's rand.SafeEncodeString: every character mapped into an alphabet without vowels (no accidental words). */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHANUMS[s.charCodeAt(i) % SAFE_ALPHANUMS.length];
  return out;
}

/**
 * JSON with sorted keys where null, empty objects and empty arrays are
 * dropped, so two templates that mean the same (as Go's semantic equality
 * sees them) print the same.
 */
export function canonicalJSON(v: unknown): string {
  const norm = normalize(v);
  return JSON.stringify(norm === undefined ? null : norm);
}

function normalize(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    const items = v.map((x) => {
      const n = normalize(x);
      return n === undefined ? null : n;
    });
    return items.length ? items : undefined;
  }
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const n = normalize((v as Record<string, unknown>)[k]);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v;
}

/**
 * The pod-template-hash of a template: FNV-32a over its canonical JSON and
 * the collision count, printed in decimal (at least 9 digits) and safely
 * encoded, so always 9 or 10 characters of [bcdfghjklmnpqrstvwxz2456789].
 * Deterministic: the same template and collision count give the same hash
 * in every process.
 */
export function computeHash(template: unknown, collisionCount?: number | null): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJSON(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncodeString(String(h).padStart(9, '0'));
}

/** Templates equal apart from the pod-template-hash label. */
export function equalIgnoreHash(t1: any, t2: any): boolean {
  const a = clone(t1 ?? {});
  const b = clone(t2 ?? {});
  if (a.metadata?.labels) delete a.metadata.labels[DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY];
  if (b.metadata?.labels) delete b.metadata.labels[DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY];
  return canonicalJSON(a) === canonicalJSON(b);
}

// ---------------------------------------------------------------------------
// Finding the new and old ReplicaSets

/** The oldest ReplicaSet whose template equals the Deployment's (ignoring the hash label). */
export function findNewReplicaSet(d: Deployment, rsList: ReplicaSet[]): ReplicaSet | undefined {
  const sorted = [...rsList].sort(compareByCreation);
  return sorted.find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** Every ReplicaSet but the new one (`all`), and those of them with replicas (`required`). */
export function findOldReplicaSets(d: Deployment, rsList: ReplicaSet[]): { required: ReplicaSet[]; all: ReplicaSet[] } {
  const newRS = findNewReplicaSet(d, rsList);
  const all: ReplicaSet[] = [];
  const required: ReplicaSet[] = [];
  for (const rs of rsList) {
    if (newRS && rs.metadata?.uid === newRS.metadata?.uid) continue;
    all.push(rs);
    if ((rs.spec?.replicas ?? 0) !== 0) required.push(rs);
  }
  return { required, all };
}

/** The revision of a ReplicaSet (0 when absent); throws on a malformed annotation. */
export function revisionOf(obj: any): number {
  const v = obj?.metadata?.annotations?.[REVISION_ANNOTATION];
  if (v === undefined || v === '') return 0;
  if (!/^\d+$/.test(v)) throw new Error(`invalid revision ${JSON.stringify(v)}`);
  return Number(v);
}

export function maxRevision(rss: ReplicaSet[]): number {
  let max = 0;
  for (const rs of rss) {
    try {
      max = Math.max(max, revisionOf(rs));
    } catch {
      // an unparsable revision is ignored, as upstream logs and skips it
    }
  }
  return max;
}

/** The second-highest revision (the one before the current), 0 when none. */
export function lastRevision(rss: ReplicaSet[]): number {
  let max = 0;
  let second = 0;
  for (const rs of rss) {
    let v: number;
    try {
      v = revisionOf(rs);
    } catch {
      continue;
    }
    if (v >= max) {
      second = max;
      max = v;
    } else if (v > second) {
      second = v;
    }
  }
  return second;
}

// ---------------------------------------------------------------------------
// Annotations

function skipCopyAnnotation(key: string): boolean {
  return ANNOTATIONS_TO_SKIP.has(key);
}

/** Copies the Deployment's annotations (but the skipped ones) onto the ReplicaSet; true when anything changed. */
function copyDeploymentAnnotationsToReplicaSet(d: Deployment, rs: any): boolean {
  let changed = false;
  rs.metadata.annotations ??= {};
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (skipCopyAnnotation(k) || rs.metadata.annotations[k] === v) continue;
    rs.metadata.annotations[k] = v;
    changed = true;
  }
  return changed;
}

/** Replaces the Deployment's copyable annotations with the ReplicaSet's (rollback). */
export function setDeploymentAnnotationsTo(d: any, rollbackToRS: ReplicaSet): void {
  const kept: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) if (skipCopyAnnotation(k)) kept[k] = v as string;
  for (const [k, v] of Object.entries(rollbackToRS.metadata?.annotations ?? {})) if (!skipCopyAnnotation(k)) kept[k] = v;
  d.metadata.annotations = kept;
}

/**
 * Brings the new ReplicaSet's annotations up to date: the Deployment's
 * annotations, the revision (raised to `newRevision`, never lowered; a
 * raised revision that existed before is kept in revision-history), and
 * for a ReplicaSet about to be created the replica annotations. True when
 * anything changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: any, newRevision: string, exists: boolean, revHistoryLimitInChars = MAX_REV_HISTORY_LENGTH_IN_CHARS): boolean {
  let changed = copyDeploymentAnnotationsToReplicaSet(d, rs);
  const ann: Record<string, string> = rs.metadata.annotations;
  const had = Object.prototype.hasOwnProperty.call(ann, REVISION_ANNOTATION);
  const oldRevision = ann[REVISION_ANNOTATION] ?? '';
  let oldRevisionInt = 0;
  if (oldRevision !== '') {
    if (!/^-?\d+$/.test(oldRevision)) return false;
    oldRevisionInt = Number(oldRevision);
  }
  if (!/^-?\d+$/.test(newRevision)) return false;
  const newRevisionInt = Number(newRevision);
  if (oldRevisionInt < newRevisionInt) {
    ann[REVISION_ANNOTATION] = newRevision;
    changed = true;
  }
  if (had && oldRevisionInt < newRevisionInt) {
    // Rolling back to this ReplicaSet: remember the revisions it had.
    const history = ann[REVISION_HISTORY_ANNOTATION] ?? '';
    let old = history.split(',');
    if (old[0].length === 0) {
      ann[REVISION_HISTORY_ANNOTATION] = oldRevision;
    } else {
      let total = history.length + oldRevision.length + 1;
      let start = 0;
      while (total > revHistoryLimitInChars && start < old.length) {
        total = total - old[start].length - 1;
        start++;
      }
      if (total <= revHistoryLimitInChars) {
        old = [...old.slice(start), oldRevision];
        ann[REVISION_HISTORY_ANNOTATION] = old.join(',');
      }
    }
  }
  const replicas = d.spec?.replicas ?? 1;
  if (!exists && setReplicasAnnotations(rs, replicas, replicas + maxSurge(d))) changed = true;
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: any, desired: number, max: number): boolean {
  const ann = rs.metadata?.annotations ?? {};
  return ann[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || ann[MAX_REPLICAS_ANNOTATION] !== String(max);
}

export function setReplicasAnnotations(rs: any, desired: number, max: number): boolean {
  rs.metadata.annotations ??= {};
  const ann = rs.metadata.annotations;
  let changed = false;
  if (ann[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    ann[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (ann[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    ann[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

function intAnnotation(rs: any, key: string): number | undefined {
  const v = rs?.metadata?.annotations?.[key];
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Sets the Deployment's revision annotation; true when it changed. */
export function setDeploymentRevision(d: any, revision: string | undefined): boolean {
  if (revision === undefined) return false;
  d.metadata.annotations ??= {};
  if (d.metadata.annotations[REVISION_ANNOTATION] === revision) return false;
  d.metadata.annotations[REVISION_ANNOTATION] = revision;
  return true;
}

// ---------------------------------------------------------------------------
// Surge and unavailability

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** An IntOrString scaled against `total`: percentages round up or down; a plain string must be a percentage. */
export function scaledValueFromIntOrPercent(v: number | string | undefined | null, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (!v.endsWith('%')) {
    if (/^-?\d+$/.test(v)) return Number(v);
    throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  }
  const n = Number(v.slice(0, -1));
  if (!Number.isInteger(n)) throw new Error(`invalid value for IntOrString: invalid value ${JSON.stringify(v)}`);
  return roundUp ? Math.ceil((n * total) / 100) : Math.floor((n * total) / 100);
}

/** maxSurge rounds up, maxUnavailable rounds down; both zero means maxUnavailable 1. */
export function resolveFenceposts(surge: number | string | undefined, unavailable: number | string | undefined, desired: number): { surge: number; unavailable: number } {
  const s = scaledValueFromIntOrPercent(surge ?? 0, desired, true);
  let u = scaledValueFromIntOrPercent(unavailable ?? 0, desired, false);
  if (s === 0 && u === 0) u = 1;
  return { surge: s, unavailable: u };
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, d.spec?.replicas ?? 1).surge;
}

export function maxUnavailable(d: Deployment): number {
  const replicas = d.spec?.replicas ?? 1;
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  const u = resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicas).unavailable;
  return Math.min(u, replicas);
}

// ---------------------------------------------------------------------------
// Replica arithmetic

const specReplicas = (rs: ReplicaSet | undefined): number => rs?.spec?.replicas ?? 0;

export function replicaCount(rss: Array<ReplicaSet | undefined>): number {
  return rss.reduce((n, rs) => n + specReplicas(rs), 0);
}
export function actualReplicaCount(rss: Array<ReplicaSet | undefined>): number {
  return rss.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
}
export function readyReplicaCount(rss: Array<ReplicaSet | undefined>): number {
  return rss.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
}
export function availableReplicaCount(rss: Array<ReplicaSet | undefined>): number {
  return rss.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);
}

export function filterActiveReplicaSets<T extends ReplicaSet | undefined>(rss: T[]): ReplicaSet[] {
  return rss.filter((rs): rs is NonNullable<T> => !!rs && specReplicas(rs) > 0) as ReplicaSet[];
}

/** How many replicas the new ReplicaSet may have now. */
export function newRSNewReplicas(d: Deployment, allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet): number {
  const replicas = d.spec?.replicas ?? 1;
  if (!isRollingUpdate(d)) return replicas;
  const current = replicaCount(allRSs);
  const maxTotal = replicas + maxSurge(d);
  if (current >= maxTotal) return specReplicas(newRS);
  const up = Math.min(maxTotal - current, replicas - specReplicas(newRS));
  return specReplicas(newRS) + up;
}

/** The new ReplicaSet runs exactly the desired replicas, all available. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const replicas = d.spec?.replicas ?? 1;
  const desired = intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
  return desired === replicas && specReplicas(rs) === replicas && (rs.status?.availableReplicas ?? 0) === replicas;
}

/** The only active ReplicaSet, the newest one when none is active, undefined when several are. */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const sortedOld = [...oldRSs].sort((a, b) => compareByCreation(b, a));
  const active = filterActiveReplicaSets([...sortedOld, newRS]);
  if (active.length === 0) return newRS ?? sortedOld[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** Go's math.Round: halves away from zero. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** The share of a scaling event that falls to this ReplicaSet, by its size relative to the Deployment's previous maximum. */
export function getReplicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  const replicas = d.spec?.replicas ?? 1;
  if (replicas === 0) return -specReplicas(rs);
  const deploymentMaxReplicas = replicas + maxSurge(d);
  let before = intAnnotation(rs, MAX_REPLICAS_ANNOTATION);
  if (before === undefined || before === 0) {
    // Annotation missing or edited: fall back to the current size.
    before = d.status?.replicas ?? 0;
    if (before === 0) return 0;
  }
  const newSize = (specReplicas(rs) * deploymentMaxReplicas) / before;
  return roundHalfAway(newSize) - specReplicas(rs);
}

/** Replicas to add to (or remove from) this ReplicaSet, never past what is left to distribute. */
export function getProportion(rs: ReplicaSet | undefined, d: Deployment, toAdd: number, added: number): number {
  if (!rs || specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = getReplicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** Larger first; equal sizes newer first (scaling up) or older first (scaling down). */
export function sortBySize(rss: ReplicaSet[], newerFirst: boolean): ReplicaSet[] {
  return [...rss].sort((a, b) => {
    const d = specReplicas(b) - specReplicas(a);
    if (d !== 0) return d;
    return newerFirst ? compareByCreation(b, a) : compareByCreation(a, b);
  });
}

/** Oldest revision first (unparsable revisions count as 0), then creation. */
export function sortByRevision(rss: ReplicaSet[]): ReplicaSet[] {
  const rev = (rs: ReplicaSet) => {
    try {
      return revisionOf(rs);
    } catch {
      return 0;
    }
  };
  return [...rss].sort((a, b) => (rev(a) !== rev(b) ? rev(a) - rev(b) : compareByCreation(a, b)));
}

// ---------------------------------------------------------------------------
// Status and conditions

export interface DeploymentCondition {
  type: string;
  status: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export function newDeploymentCondition(type: string, status: string, reason: string, message: string, nowMs = Date.now()): DeploymentCondition {
  const t = nowRFC3339(nowMs);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export function getDeploymentCondition(status: any, type: string): DeploymentCondition | undefined {
  return (status?.conditions ?? []).find((c: DeploymentCondition) => c.type === type);
}

/** Sets a condition; same status and reason keeps the existing one, same status keeps its transition time. */
export function setDeploymentCondition(status: any, cond: DeploymentCondition): void {
  const current = getDeploymentCondition(status, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  const next = { ...cond };
  if (current && current.status === cond.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c: DeploymentCondition) => c.type !== cond.type), next];
}

export function removeDeploymentCondition(status: any, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c: DeploymentCondition) => c.type !== type);
  if (status.conditions.length === 0) delete status.conditions;
}

export function hasProgressDeadline(d: Deployment): boolean {
  const p = d.spec?.progressDeadlineSeconds;
  return p !== undefined && p !== null && p !== MAX_INT32;
}

export function hasRevisionHistoryLimit(d: Deployment): boolean {
  const l = d.spec?.revisionHistoryLimit;
  return l !== undefined && l !== null && l !== MAX_INT32;
}

/** Every replica updated and available, and the latest spec observed. */
export function deploymentComplete(d: Deployment, status: any): boolean {
  const replicas = d.spec?.replicas ?? 1;
  return (
    (status.updatedReplicas ?? 0) === replicas &&
    (status.replicas ?? 0) === replicas &&
    (status.availableReplicas ?? 0) === replicas &&
    (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
  );
}

/** Something moved since the last status: more updated, fewer old, more ready or more available replicas. */
export function deploymentProgressing(d: Deployment, status: any): boolean {
  const old: any = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (
    (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** The Progressing condition was last updated longer than progressDeadlineSeconds ago. */
export function deploymentTimedOut(d: Deployment, status: any, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getDeploymentCondition(status, 'Progressing');
  if (!c) return false;
  if (c.reason === NEW_RS_AVAILABLE_REASON) return false;
  if (c.reason === TIMED_OUT_REASON) return true;
  const from = parseTime(c.lastUpdateTime);
  return from + (d.spec!.progressDeadlineSeconds as number) * 1000 < nowMs;
}

/** The status counts from the ReplicaSets plus the Available condition (upstream's calculateStatus). */
export function calculateDeploymentStatus(allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined, d: Deployment, nowMs = Date.now()): any {
  const available = availableReplicaCount(allRSs);
  const total = replicaCount(allRSs);
  const unavailable = Math.max(0, total - available);
  const status: any = {};
  const set = (k: string, v: number) => {
    if (v) status[k] = v;
  };
  set('observedGeneration', d.metadata?.generation ?? 0);
  set('replicas', actualReplicaCount(allRSs));
  set('updatedReplicas', actualReplicaCount([newRS]));
  set('readyReplicas', readyReplicaCount(allRSs));
  set('availableReplicas', available);
  set('unavailableReplicas', unavailable);
  const conditions = d.status?.conditions;
  if (conditions?.length) status.conditions = conditions.map((c) => ({ ...c }));
  if (d.status?.collisionCount !== undefined && d.status?.collisionCount !== null) status.collisionCount = d.status.collisionCount;
  if (available >= (d.spec?.replicas ?? 1) - maxUnavailable(d)) {
    setDeploymentCondition(status, newDeploymentCondition('Available', 'True', MINIMUM_REPLICAS_AVAILABLE, 'Deployment has minimum availability.', nowMs));
  } else {
    setDeploymentCondition(status, newDeploymentCondition('Available', 'False', MINIMUM_REPLICAS_UNAVAILABLE, 'Deployment does not have minimum availability.', nowMs));
  }
  return status;
}

/** Status equality as the controller needs it (missing numbers are zero). */
export function deploymentStatusEqual(a: any, b: any): boolean {
  return deepEqual(normalizeStatus(a), normalizeStatus(b));
}

function normalizeStatus(s: any): any {
  const out: any = { ...(s ?? {}) };
  for (const k of ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas']) if (!out[k]) delete out[k];
  if (out.conditions && out.conditions.length === 0) delete out.conditions;
  return out;
}

/** Converts a ReplicaSet condition to a Deployment condition. */
export function replicaSetToDeploymentCondition(c: any): DeploymentCondition {
  return { type: c.type, status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
}
