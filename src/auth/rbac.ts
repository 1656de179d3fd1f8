// The RBAC authorizer: which rules a user holds in a namespace (through
// ClusterRoleBindings, and RoleBindings of that namespace), and whether they
// allow a request. Bindings are indexed by subject and the rules a user holds
// are cached per (user, groups, namespace); any RBAC change drops both, so a
// check is a map lookup and a scan of that user's few rules.

import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from 'kubernetes-types/rbac/v1.js';
import { rulesAllow, type Attributes, type UserInfo } from './rules.js';

/** Where the authorizer reads RBAC objects (the API server's watch caches). */
export interface RbacSource {
  clusterRoleBindings(): readonly ClusterRoleBinding[];
  roleBindings(namespace: string): readonly RoleBinding[];
  clusterRole(name: string): ClusterRole | undefined;
  role(namespace: string, name: string): Role | undefined;
  /** Calls `fn` after any Role, ClusterRole, RoleBinding or ClusterRoleBinding changes. */
  onChange(fn: () => void): void;
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

export interface Authorizer {
  authorize(user: UserInfo, a: Attributes): Decision;
  /** The rules `user` holds in `namespace` ('' for cluster-wide ones only). */
  rulesFor(user: UserInfo, namespace: string): PolicyRule[];
}

export const SYSTEM_MASTERS = 'system:masters';

type Binding = ClusterRoleBinding | RoleBinding;
type SubjectIndex = Map<string, Binding[]>;

const MAX_CACHED_SUBJECTS = 10_000;

function subjectKeys(s: Subject, bindingNamespace: string): string[] {
  switch (s.kind) {
    case 'User':
      return [`u:${s.name}`];
    case 'Group':
      return [`g:${s.name}`];
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNamespace;
      return ns ? [`u:system:serviceaccount:${ns}:${s.name}`] : [];
    }
    default:
      return [];
  }
}

function indexBindings(bindings: readonly Binding[]): SubjectIndex {
  const idx: SubjectIndex = new Map();
  for (const b of bindings) {
    const ns = b.metadata?.namespace ?? '';
    const keys = new Set((b.subjects ?? []).flatMap((s) => subjectKeys(s, ns)));
    for (const k of keys) {
      let l = idx.get(k);
      if (!l) idx.set(k, (l = []));
      l.push(b);
    }
  }
  return idx;
}

function bindingsOf(idx: SubjectIndex, user: UserInfo): Binding[] {
  const out = new Set<Binding>();
  for (const b of idx.get(`u:${user.name}`) ?? []) out.add(b);
  for (const g of user.groups) for (const b of idx.get(`g:${g}`) ?? []) out.add(b);
  return [...out];
}

export class RbacAuthorizer implements Authorizer {
  private clusterIndex: SubjectIndex | undefined;
  private namespaceIndex = new Map<string, SubjectIndex>();
  private rulesCache = new Map<string, PolicyRule[]>();

  constructor(private readonly source: RbacSource) {
    source.onChange(() => this.invalidate());
  }

  invalidate(): void {
    this.clusterIndex = undefined;
    this.namespaceIndex.clear();
    this.rulesCache.clear();
  }

  authorize(user: UserInfo, a: Attributes): Decision {
    if (user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
    const ns = a.resourceRequest ? a.namespace : '';
    const allowed = rulesAllow(this.rulesFor(user, ns), a);
    return { allowed, reason: '' };
  }

  rulesFor(user: UserInfo, namespace: string): PolicyRule[] {
    const key = `${namespace}\0${user.name}\0${user.groups.join('\0')}`;
    let rules = this.rulesCache.get(key);
    if (rules) return rules;
    rules = [];
    this.clusterIndex ??= indexBindings(this.source.clusterRoleBindings());
    for (const b of bindingsOf(this.clusterIndex, user)) {
      if (b.roleRef.kind === 'ClusterRole') rules.push(...(this.source.clusterRole(b.roleRef.name)?.rules ?? []));
    }
    if (namespace) {
      let idx = this.namespaceIndex.get(namespace);
      if (!idx) this.namespaceIndex.set(namespace, (idx = indexBindings(this.source.roleBindings(namespace))));
      for (const b of bindingsOf(idx, user)) {
        const role = b.roleRef.kind === 'Role' ? this.source.role(namespace, b.roleRef.name) : b.roleRef.kind === 'ClusterRole' ? this.source.clusterRole(b.roleRef.name) : undefined;
        rules.push(...(role?.rules ?? []));
      }
    }
    if (this.rulesCache.size >= MAX_CACHED_SUBJECTS) this.rulesCache.clear();
    this.rulesCache.set(key, rules);
    return rules;
  }
}

/** Every request allowed: the API server's mode when no authorizer is configured (unit tests). */
export class AlwaysAllow implements Authorizer {
  authorize(): Decision {
    return { allowed: true, reason: '' };
  }
  rulesFor(): PolicyRule[] {
    return [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }];
  }
}
