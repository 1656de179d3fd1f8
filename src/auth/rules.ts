// RBAC's matching of request attributes against PolicyRules (upstream
// plugin/pkg/auth/authorizer/rbac semantics), and the "covers" check the
// escalation guard uses. Pure functions, no I/O.

import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';

export type { PolicyRule };

export interface UserInfo {
  name: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

/** What a request asks to do, as the authorizer sees it. */
export type Attributes =
  | {
      resourceRequest: true;
      verb: string;
      group: string;
      version?: string;
      resource: string;
      subresource: string;
      namespace: string;
      name: string;
    }
  | { resourceRequest: false; verb: string; path: string };

const ALL = '*';

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === ALL || v === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === ALL || g === group);
}

/** `pods`, `pods/log`, `*`, and `* /subresource` (any resource's subresource). */
export function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === ALL || r === combined) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

/** An empty resourceNames list allows every name; a non-empty one only those names (never unnamed requests). */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  if (names.length === 0) return true;
  return names.includes(name);
}

/** `*`, an exact path, or a prefix ending in `*`. */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === ALL || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

export function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  if (!verbMatches(rule, a.verb)) return false;
  if (a.resourceRequest) {
    return apiGroupMatches(rule, a.group) && resourceMatches(rule, a.resource, a.subresource) && resourceNameMatches(rule, a.name);
  }
  return nonResourceURLMatches(rule, a.path);
}

export function rulesAllow(rules: readonly PolicyRule[], a: Attributes): boolean {
  for (const r of rules) if (ruleAllows(r, a)) return true;
  return false;
}

/**
 * The atoms of a rule: one verb, one group, one resource, one name (or
 * none), or one verb and one URL. A set of rules covers a rule when it
 * covers each atom.
 */
function atoms(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  const names = rule.resourceNames?.length ? rule.resourceNames : [undefined];
  for (const verb of rule.verbs) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const n of names) out.push({ verbs: [verb], apiGroups: [group], resources: [resource], ...(n !== undefined ? { resourceNames: [n] } : {}) });
      }
    }
    for (const url of rule.nonResourceURLs ?? []) out.push({ verbs: [verb], nonResourceURLs: [url] });
  }
  return out;
}

/** Does `owner` cover the single-valued atom `a`? A wildcard in `a` is only covered by a wildcard (or a wider prefix) in `owner`. */
function coversAtom(owner: PolicyRule, a: PolicyRule): boolean {
  const has = (list: string[] | undefined, v: string) => (list ?? []).some((x) => x === ALL || x === v);
  if (!has(owner.verbs, a.verbs[0])) return false;
  if (a.nonResourceURLs) {
    const url = a.nonResourceURLs[0];
    return (owner.nonResourceURLs ?? []).some((o) => o === ALL || o === url || (o.endsWith('*') && url.startsWith(o.slice(0, -1))));
  }
  if (!has(owner.apiGroups, a.apiGroups![0])) return false;
  const res = a.resources![0];
  const resOk = (owner.resources ?? []).some((o) => {
    if (o === ALL || o === res) return true;
    // `*/scale` covers `deployments/scale`; `pods/*` is not a wildcard upstream.
    const slash = res.indexOf('/');
    return slash > 0 && o === `*${res.slice(slash)}`;
  });
  if (!resOk) return false;
  const ownerNames = owner.resourceNames ?? [];
  if (ownerNames.length === 0) return true;
  return a.resourceNames !== undefined && ownerNames.includes(a.resourceNames[0]);
}

/** The parts of `wanted` that `owner` does not cover (empty when fully covered). */
export function uncoveredRules(owner: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const w of wanted) for (const a of atoms(w)) if (!owner.some((o) => coversAtom(o, a))) missing.push(a);
  return missing;
}

/** Upstream's compact rule text, as in escalation messages: {APIGroups:["apps"], Resources:["deployments"], Verbs:["get"]}. */
export function ruleString(r: PolicyRule): string {
  const q = (l: string[]) => l.map((x) => JSON.stringify(x)).join(' ');
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:[${q(r.apiGroups)}]`);
  if (r.resources?.length) parts.push(`Resources:[${q(r.resources)}]`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:[${q(r.resourceNames)}]`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:[${q(r.nonResourceURLs)}]`);
  parts.push(`Verbs:[${q(r.verbs)}]`);
  return `{${parts.join(', ')}}`;
}

export function isServiceAccountUser(name: string): { namespace: string; name: string } | undefined {
  const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(name);
  return m ? { namespace: m[1], name: m[2] } : undefined;
}

export function serviceAccountGroups(namespace: string): string[] {
  return ['system:serviceaccounts', `system:serviceaccounts:${namespace}`];
}

/** Upstream's forbidden text without the `<what> is forbidden: ` prefix. */
export function forbiddenReason(user: string, a: Attributes): string {
  if (!a.resourceRequest) return `User ${JSON.stringify(user)} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const where = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  return `User ${JSON.stringify(user)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.group)} ${where}`;
}
