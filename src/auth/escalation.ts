// RBAC's guard against privilege escalation through its own API: a Role or
// ClusterRole may only be written with rules the writer already holds
// (unless allowed `escalate` on it), and a binding only made to a role whose
// rules the writer holds (unless allowed `bind` on it).

import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import { SYSTEM_MASTERS, type Authorizer } from './rbac.js';
import { ruleString, uncoveredRules, type UserInfo } from './rules.js';

const RBAC = 'rbac.authorization.k8s.io';

export interface RoleLookup {
  /** Rules of the role a roleRef names; undefined when it does not exist. */
  roleRules(kind: string, namespace: string, name: string): PolicyRule[] | undefined;
}

/** Returns why the write is refused, or undefined when it may go ahead. */
export function checkEscalation(authz: Authorizer, roles: RoleLookup, user: UserInfo, resource: string, namespace: string, obj: any): string | undefined {
  if (user.groups.includes(SYSTEM_MASTERS)) return undefined;
  const name: string = obj?.metadata?.name ?? '';
  const allowed = (verb: string, res: string, n: string, ns: string) =>
    authz.authorize(user, { resourceRequest: true, verb, group: RBAC, resource: res, subresource: '', namespace: ns, name: n }).allowed;
  let wanted: PolicyRule[];
  if (resource === 'roles' || resource === 'clusterroles') {
    if (allowed('escalate', resource, name, namespace)) return undefined;
    // An aggregated ClusterRole's rules come from roles not named here: only those holding everything may write one.
    wanted = obj?.aggregationRule ? [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }] : (obj?.rules ?? []);
  } else if (resource === 'rolebindings' || resource === 'clusterrolebindings') {
    const ref = obj?.roleRef ?? {};
    const refResource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
    if (allowed('bind', refResource, ref.name ?? '', namespace)) return undefined;
    const rules = roles.roleRules(ref.kind, namespace, ref.name ?? '');
    // A missing role grants nothing yet; upstream lets such a binding through.
    if (!rules) return undefined;
    wanted = rules;
  } else {
    return undefined;
  }
  const missing = uncoveredRules(authz.rulesFor(user, namespace), wanted);
  if (missing.length === 0) return undefined;
  const groups = `[${user.groups.map((g) => JSON.stringify(g)).join(' ')}]`;
  return `user ${JSON.stringify(user.name)} (groups=${groups}) is attempting to grant RBAC permissions not currently held:\n${missing.map(ruleString).join('\n')}`;
}
