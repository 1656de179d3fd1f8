// The audit policy (audit.k8s.io/v1 Policy): which requests are recorded and
// at what level. Pure logic: parsing and rule matching, no I/O.
// First matching rule wins; no matching rule means level None.

import YAML from 'yaml';

export type Level = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
export type Stage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';

export const LEVELS: readonly Level[] = ['None', 'Metadata', 'Request', 'RequestResponse'];
export const STAGES: readonly Stage[] = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'];

export interface GroupResources {
  group?: string;
  // `pods`, `pods/log`, `*`, `*/log` (any resource's log), `pods/*`.
  resources?: string[];
  resourceNames?: string[];
}

export interface PolicyRule {
  level: Level;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: GroupResources[];
  /** `''` matches cluster-scoped requests. */
  namespaces?: string[];
  /** Exact paths or prefixes ending in `*`. */
  nonResourceURLs?: string[];
  omitStages?: Stage[];
}

export interface Policy {
  rules: PolicyRule[];
  omitStages: Stage[];
}

/** What a rule is matched against. */
export interface AuditAttributes {
  user: string;
  groups: string[];
  verb: string;
  resourceRequest: boolean;
  /** Resource requests. */
  group?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Non-resource requests. */
  path?: string;
}

export interface PolicyDecision {
  level: Level;
  omitStages: Stage[];
}

/** With --audit-log-path but no policy file kts records every request at Metadata (upstream requires a policy). */
export const DEFAULT_POLICY: Policy = { rules: [{ level: 'Metadata' }], omitStages: [] };

export class PolicyError extends Error {}

/** Parses a Policy document (YAML or JSON), checking levels, stages and field types. */
export function parsePolicy(text: string): Policy {
  let doc: any;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new PolicyError(`audit policy: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object') throw new PolicyError('audit policy: not an object');
  if (doc.kind !== undefined && doc.kind !== 'Policy') throw new PolicyError(`audit policy: kind ${String(doc.kind)}, want Policy`);
  if (doc.apiVersion !== undefined && !/^audit\.k8s\.io\/v1(beta1|alpha1)?$/.test(doc.apiVersion)) throw new PolicyError(`audit policy: apiVersion ${String(doc.apiVersion)}, want audit.k8s.io/v1`);
  const stages = (v: unknown, where: string): Stage[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new PolicyError(`audit policy: ${where}omitStages must be a list`);
    for (const s of v) if (!STAGES.includes(s)) throw new PolicyError(`audit policy: ${where}omitStages: unknown stage ${String(s)}`);
    return v as Stage[];
  };
  const strings = (v: unknown, what: string): string[] | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new PolicyError(`audit policy: ${what} must be a list of strings`);
    return v as string[];
  };
  const rawRules = doc.rules ?? [];
  if (!Array.isArray(rawRules)) throw new PolicyError('audit policy: rules must be a list');
  const rules: PolicyRule[] = rawRules.map((r: any, i: number) => {
    const where = `rules[${i}].`;
    if (!r || typeof r !== 'object') throw new PolicyError(`audit policy: ${where.slice(0, -1)} is not an object`);
    if (!LEVELS.includes(r.level)) throw new PolicyError(`audit policy: ${where}level: unknown level ${String(r.level)}`);
    const rule: PolicyRule = { level: r.level };
    const users = strings(r.users, `${where}users`);
    if (users) rule.users = users;
    const groups = strings(r.userGroups, `${where}userGroups`);
    if (groups) rule.userGroups = groups;
    const verbs = strings(r.verbs, `${where}verbs`);
    if (verbs) rule.verbs = verbs;
    const ns = strings(r.namespaces, `${where}namespaces`);
    if (ns) rule.namespaces = ns;
    const urls = strings(r.nonResourceURLs, `${where}nonResourceURLs`);
    if (urls) rule.nonResourceURLs = urls;
    if (r.resources !== undefined && r.resources !== null) {
      if (!Array.isArray(r.resources)) throw new PolicyError(`audit policy: ${where}resources must be a list`);
      rule.resources = r.resources.map((g: any, j: number) => ({
        group: g?.group ?? '',
        resources: strings(g?.resources, `${where}resources[${j}].resources`),
        resourceNames: strings(g?.resourceNames, `${where}resources[${j}].resourceNames`),
      }));
    }
    if ((rule.resources || rule.namespaces) && rule.nonResourceURLs) throw new PolicyError(`audit policy: ${where.slice(0, -1)}: nonResourceURLs cannot be combined with resources or namespaces`);
    const omit = stages(r.omitStages, where);
    if (omit.length) rule.omitStages = omit;
    return rule;
  });
  return { rules, omitStages: stages(doc.omitStages, '') };
}

/** The level and omitted stages for a request: the first matching rule, else None. */
export function evaluatePolicy(policy: Policy, a: AuditAttributes): PolicyDecision {
  for (const rule of policy.rules) {
    if (ruleMatches(rule, a)) return { level: rule.level, omitStages: [...new Set([...policy.omitStages, ...(rule.omitStages ?? [])])] };
  }
  return { level: 'None', omitStages: policy.omitStages };
}

export function ruleMatches(rule: PolicyRule, a: AuditAttributes): boolean {
  if (rule.users && !rule.users.includes(a.user)) return false;
  if (rule.userGroups && !rule.userGroups.some((g) => a.groups.includes(g))) return false;
  if (rule.verbs && !rule.verbs.includes(a.verb)) return false;
  if (rule.namespaces || rule.resources) {
    if (!a.resourceRequest) return false;
    if (rule.namespaces && !rule.namespaces.includes(a.namespace ?? '')) return false;
    if (rule.resources && !rule.resources.some((gr) => groupResourcesMatch(gr, a))) return false;
  }
  if (rule.nonResourceURLs) {
    if (a.resourceRequest) return false;
    if (!rule.nonResourceURLs.some((u) => urlMatches(u, a.path ?? ''))) return false;
  }
  return true;
}

function groupResourcesMatch(gr: GroupResources, a: AuditAttributes): boolean {
  if ((gr.group ?? '') !== '*' && (gr.group ?? '') !== (a.group ?? '')) return false;
  if (gr.resources?.length) {
    const res = a.resource ?? '';
    const sub = a.subresource ?? '';
    const full = sub ? `${res}/${sub}` : res;
    const ok = gr.resources.some((r) => {
      if (r === full || r === '*/*') return true;
      // `*` matches only the resource itself, not its subresources.
      if (r === '*') return !sub;
      if (r.startsWith('*/')) return sub !== '' && r.slice(2) === sub;
      if (r.endsWith('/*')) return r.slice(0, -2) === res;
      return false;
    });
    if (!ok) return false;
  }
  if (gr.resourceNames?.length && !gr.resourceNames.includes(a.name ?? '')) return false;
  return true;
}

function urlMatches(pattern: string, path: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
  return pattern === path;
}
