// Reconciling the bootstrap policy with what is stored, as upstream does at
// every start: missing objects are created; existing ones gain missing rules,
// subjects, labels, annotations and aggregation selectors, never lose user
// additions; `rbac.authorization.kubernetes.io/autoupdate: "false"` leaves an
// object alone. Pure functions: the API server writes the results.

import type { ClusterRole, ClusterRoleBinding } from 'kubernetes-types/rbac/v1.js';
import { AUTOUPDATE_ANNOTATION } from './bootstrap-policy.js';
import { uncoveredRules } from './rules.js';

export type Reconciled<T> = { action: 'none' } | { action: 'create' | 'update' | 'recreate'; obj: T };

function skip(existing: { metadata?: { annotations?: Record<string, string> } }): boolean {
  return existing.metadata?.annotations?.[AUTOUPDATE_ANNOTATION] === 'false';
}

/** Adds the keys of `want` missing from `have`; true when something was added. */
function mergeMissing(have: Record<string, string>, want: Record<string, string> | undefined): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(want ?? {})) {
    if (!(k in have)) {
      have[k] = v;
      changed = true;
    }
  }
  return changed;
}

const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o));

export function reconcileClusterRole(existing: ClusterRole | undefined, expected: ClusterRole): Reconciled<ClusterRole> {
  if (!existing) return { action: 'create', obj: expected };
  if (skip(existing)) return { action: 'none' };
  const next = clone(existing);
  next.metadata ??= {};
  let changed = mergeMissing((next.metadata.labels ??= {}), expected.metadata?.labels);
  changed = mergeMissing((next.metadata.annotations ??= {}), expected.metadata?.annotations) || changed;
  if (expected.aggregationRule) {
    // Aggregated roles' rules belong to the aggregation controller; only the selectors are reconciled.
    const have = (next.aggregationRule ??= {}).clusterRoleSelectors ?? [];
    const haveJSON = new Set(have.map((s) => JSON.stringify(s)));
    const missing = (expected.aggregationRule.clusterRoleSelectors ?? []).filter((s) => !haveJSON.has(JSON.stringify(s)));
    if (missing.length || !next.aggregationRule.clusterRoleSelectors) {
      next.aggregationRule.clusterRoleSelectors = [...have, ...missing];
      changed = true;
    }
  } else {
    const missing = uncoveredRules(next.rules ?? [], expected.rules ?? []);
    if (missing.length) {
      // Add the expected rules that are not fully covered, whole, as upstream does.
      const add = (expected.rules ?? []).filter((r) => uncoveredRules(next.rules ?? [], [r]).length > 0);
      next.rules = [...(next.rules ?? []), ...add];
      changed = true;
    }
  }
  return changed ? { action: 'update', obj: next } : { action: 'none' };
}

function isNodesGroup(s: { kind: string; name: string }): boolean {
  return s.kind === 'Group' && s.name === 'system:nodes';
}

export function reconcileClusterRoleBinding(existing: ClusterRoleBinding | undefined, expected: ClusterRoleBinding): Reconciled<ClusterRoleBinding> {
  if (!existing) return { action: 'create', obj: expected };
  if (skip(existing)) return { action: 'none' };
  // roleRef is immutable: a wrong one means delete and create, keeping the user's subjects.
  if (existing.roleRef.kind !== expected.roleRef.kind || existing.roleRef.name !== expected.roleRef.name) {
    const obj = clone(expected);
    const seen = new Set((obj.subjects ?? []).map((s) => `${s.kind}/${s.namespace ?? ''}/${s.name}`));
    for (const s of existing.subjects ?? []) if (!seen.has(`${s.kind}/${s.namespace ?? ''}/${s.name}`)) (obj.subjects ??= []).push(s);
    return { action: 'recreate', obj };
  }
  const next = clone(existing);
  next.metadata ??= {};
  let changed = mergeMissing((next.metadata.labels ??= {}), expected.metadata?.labels);
  changed = mergeMissing((next.metadata.annotations ??= {}), expected.metadata?.annotations) || changed;
  // Earlier kts versions bound system:node to the system:nodes group; the Node authorizer replaces that grant.
  if (expected.metadata?.name === 'system:node' && next.subjects?.some(isNodesGroup)) {
    next.subjects = next.subjects.filter((s) => !isNodesGroup(s));
    changed = true;
  }
  const have = new Set((next.subjects ?? []).map((s) => `${s.kind}/${s.namespace ?? ''}/${s.name}`));
  for (const s of expected.subjects ?? []) {
    if (!have.has(`${s.kind}/${s.namespace ?? ''}/${s.name}`)) {
      (next.subjects ??= []).push(s);
      changed = true;
    }
  }
  return changed ? { action: 'update', obj: next } : { action: 'none' };
}
