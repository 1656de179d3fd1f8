// User impersonation (Impersonate-User, -Group, -Uid, -Extra-<key>
// headers): the requester must be allowed `impersonate` on each thing asked
// for; the request then runs as the impersonated user.

import type { Authorizer } from './rbac.js';
import { isServiceAccountUser, serviceAccountGroups, type Attributes, type UserInfo } from './rules.js';

export interface ImpersonationRequest {
  user?: string;
  groups: string[];
  uid?: string;
  extra: Record<string, string[]>;
}

type HeaderValue = string | string[] | undefined;

const values = (v: HeaderValue): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Reads the impersonation headers (names in any case); undefined when there are none. */
export function impersonationFromHeaders(headers: Record<string, HeaderValue>): ImpersonationRequest | undefined {
  let found = false;
  const r: ImpersonationRequest = { groups: [], extra: {} };
  for (const [rawName, v] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (!name.startsWith('impersonate-')) continue;
    found = true;
    if (name === 'impersonate-user') r.user = values(v)[0];
    else if (name === 'impersonate-group') r.groups.push(...values(v));
    else if (name === 'impersonate-uid') r.uid = values(v)[0];
    else if (name.startsWith('impersonate-extra-')) {
      const key = decodeURIComponent(name.slice('impersonate-extra-'.length));
      (r.extra[key] ??= []).push(...values(v));
    }
  }
  return found ? r : undefined;
}

export type ImpersonationResult = { user: UserInfo } | { badRequest: string } | { denied: Attributes };

const check = (verb: string, group: string, resource: string, name: string, namespace = '', subresource = ''): Attributes => ({
  resourceRequest: true,
  verb,
  group,
  resource,
  subresource,
  namespace,
  name,
});

export function impersonate(requester: UserInfo, req: ImpersonationRequest, authz: Authorizer): ImpersonationResult {
  if (!req.user) {
    const asked = [...req.groups.map((g) => `group=${g}`), ...(req.uid ? [`uid=${req.uid}`] : []), ...Object.keys(req.extra).map((k) => `extra=${k}`)];
    return { badRequest: `requested [${asked.join(' ')}] without impersonating a user` };
  }
  const attrs: Attributes[] = [];
  const sa = isServiceAccountUser(req.user);
  attrs.push(sa ? check('impersonate', '', 'serviceaccounts', sa.name, sa.namespace) : check('impersonate', '', 'users', req.user));
  for (const g of req.groups) attrs.push(check('impersonate', '', 'groups', g));
  if (req.uid) attrs.push(check('impersonate', 'authentication.k8s.io', 'uids', req.uid));
  for (const [k, vs] of Object.entries(req.extra)) for (const v of vs) attrs.push(check('impersonate', 'authentication.k8s.io', 'userextras', v, '', k));
  for (const a of attrs) if (!authz.authorize(requester, a).allowed) return { denied: a };

  let groups = [...req.groups];
  // A ServiceAccount's groups follow from its name.
  if (sa && groups.length === 0) groups = serviceAccountGroups(sa.namespace);
  if (req.user === 'system:anonymous') {
    if (!groups.includes('system:unauthenticated')) groups.push('system:unauthenticated');
  } else if (!groups.includes('system:authenticated')) groups.push('system:authenticated');
  const user: UserInfo = { name: req.user, groups };
  if (req.uid) user.uid = req.uid;
  if (Object.keys(req.extra).length) user.extra = req.extra;
  return { user };
}
