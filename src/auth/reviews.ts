// The review APIs: create-only, never stored. authorization.k8s.io/v1
// SelfSubjectAccessReview, SubjectAccessReview, LocalSubjectAccessReview and
// SelfSubjectRulesReview answer "may this user do that", and
// authentication.k8s.io/v1 SelfSubjectReview "who am I".

import type { Authorizer } from './rbac.js';
import type { Attributes, UserInfo } from './rules.js';

export const REVIEW_RESOURCES: Record<string, string[]> = {
  'authorization.k8s.io': ['selfsubjectaccessreviews', 'subjectaccessreviews', 'localsubjectaccessreviews', 'selfsubjectrulesreviews'],
  'authentication.k8s.io': ['selfsubjectreviews'],
};

export function isReviewResource(group: string, resource: string): boolean {
  return REVIEW_RESOURCES[group]?.includes(resource) ?? false;
}

/** A review the request cannot answer: a 422 with these field errors. */
export class ReviewInvalid extends Error {
  constructor(
    readonly kind: string,
    readonly causes: Array<{ field: string; message: string; reason: string }>,
  ) {
    super(causes.map((c) => `${c.field}: ${c.message}`).join(', '));
  }
}

function attributesOf(kind: string, spec: any): Attributes {
  const ra = spec?.resourceAttributes;
  const nra = spec?.nonResourceAttributes;
  if ((ra && nra) || (!ra && !nra)) {
    const field = ra ? 'spec.nonResourceAttributes' : 'spec.resourceAttributes';
    throw new ReviewInvalid(kind, [{ field, reason: ra ? 'FieldValueInvalid' : 'FieldValueRequired', message: ra ? `Invalid value: "null": cannot be specified in combination with resourceAttributes` : 'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified' }]);
  }
  if (nra) return { resourceRequest: false, verb: nra.verb ?? '', path: nra.path ?? '' };
  return {
    resourceRequest: true,
    verb: ra.verb ?? '',
    group: ra.group ?? '',
    version: ra.version ?? '',
    resource: ra.resource ?? '',
    subresource: ra.subresource ?? '',
    namespace: ra.namespace ?? '',
    name: ra.name ?? '',
  };
}

function answer(kind: string, group: string, body: any, status: object): object {
  return { kind, apiVersion: `${group}/v1`, metadata: { ...(body.metadata ?? {}), creationTimestamp: null }, spec: body.spec ?? {}, status };
}

function decide(authz: Authorizer, user: UserInfo, a: Attributes): object {
  const d = authz.authorize(user, a);
  return d.allowed ? { allowed: true, ...(d.reason ? { reason: d.reason } : {}) } : { allowed: false, ...(d.reason ? { reason: d.reason } : {}) };
}

/**
 * Answers a review `body` for `resource` posted by `requester` in
 * `namespace` (LocalSubjectAccessReview only). Returns the object to send.
 */
export function review(resource: string, body: any, requester: UserInfo, namespace: string, authz: Authorizer): object {
  switch (resource) {
    case 'selfsubjectaccessreviews': {
      const a = attributesOf('SelfSubjectAccessReview', body.spec);
      return answer('SelfSubjectAccessReview', 'authorization.k8s.io', body, decide(authz, requester, a));
    }
    case 'subjectaccessreviews':
    case 'localsubjectaccessreviews': {
      const kind = resource === 'subjectaccessreviews' ? 'SubjectAccessReview' : 'LocalSubjectAccessReview';
      const spec = body.spec ?? {};
      const a = attributesOf(kind, spec);
      if (!spec.user && !(spec.groups?.length)) {
        throw new ReviewInvalid(kind, [{ field: 'spec.user', reason: 'FieldValueInvalid', message: `Invalid value: "": at least one of user or group must be specified` }]);
      }
      if (kind === 'LocalSubjectAccessReview') {
        if (!a.resourceRequest) throw new ReviewInvalid(kind, [{ field: 'spec.nonResourceAttributes', reason: 'FieldValueInvalid', message: 'Invalid value: "null": disallowed on this kind of request' }]);
        if (a.namespace !== namespace) throw new ReviewInvalid(kind, [{ field: 'spec.resourceAttributes.namespace', reason: 'FieldValueInvalid', message: `Invalid value: "${a.namespace}": must match metadata.namespace` }]);
      }
      const subject: UserInfo = { name: spec.user ?? '', groups: spec.groups ?? [], ...(spec.uid ? { uid: spec.uid } : {}) };
      const out = answer(kind, 'authorization.k8s.io', body, decide(authz, subject, a)) as any;
      if (kind === 'LocalSubjectAccessReview') out.metadata.namespace = namespace;
      return out;
    }
    case 'selfsubjectrulesreviews': {
      const ns: string = body.spec?.namespace ?? '';
      const rules = authz.rulesFor(requester, ns);
      const resourceRules = rules
        .filter((r) => r.resources?.length)
        .map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups ?? [], resources: r.resources, ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}) }));
      const nonResourceRules = rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }));
      return answer('SelfSubjectRulesReview', 'authorization.k8s.io', body, { resourceRules, nonResourceRules, incomplete: false });
    }
    case 'selfsubjectreviews': {
      const userInfo: Record<string, unknown> = { username: requester.name };
      if (requester.uid) userInfo.uid = requester.uid;
      userInfo.groups = requester.groups;
      if (requester.extra && Object.keys(requester.extra).length) userInfo.extra = requester.extra;
      return { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: { ...(body.metadata ?? {}), creationTimestamp: null }, status: { userInfo } };
    }
    default:
      throw new Error(`not a review resource: ${resource}`);
  }
}
