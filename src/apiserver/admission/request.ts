// What dynamic admission (webhooks, ValidatingAdmissionPolicy) knows of a
// request: the matcher's view, the namespace object, equivalent resources,
// and the admission.k8s.io/v1 AdmissionRequest that webhooks receive and
// policies see as `request`.

import { randomUUID } from 'node:crypto';
import type { ResourceInfo } from '../../api/registry.js';
import { apiVersionOf } from '../../api/registry.js';
import type { GVR, MatchRequest } from '../../api/admission/rules.js';
import type { AdmissionAttributes } from '../rest.js';
import { resourcePrefix } from '../objects.js';
import type { AdmissionHost } from './index.js';

/** Resources whose writes no webhook or policy sees (upstream exempts its own configuration objects, so a broken webhook can always be removed). */
export function isExemptFromDynamicAdmission(info: ResourceInfo): boolean {
  return info.group === 'admissionregistration.k8s.io';
}

export function matchRequestOf(a: AdmissionAttributes): MatchRequest {
  const isNamespace = a.info.group === '' && a.info.resource === 'namespaces';
  const name = a.name ?? a.obj?.metadata?.name ?? a.old?.metadata?.name ?? '';
  return {
    operation: a.operation,
    resource: { group: a.info.group, version: a.info.version, resource: a.info.resource },
    subresource: a.subresource,
    // Requests of a Namespace carry its own name as namespace, as upstream's attributes do.
    namespace: isNamespace ? name : a.info.namespaced ? (a.namespace ?? a.obj?.metadata?.namespace ?? '') : '',
    name,
    object: a.obj,
    oldObject: a.old,
  };
}

/** The same objects served under other versions of the group (matchPolicy: Equivalent). */
export function equivalentResources(host: AdmissionHost, info: ResourceInfo): GVR[] {
  return host.registry
    .all()
    .filter((r) => r.group === info.group && r.resource === info.resource && r.version !== info.version)
    .map((r) => ({ group: r.group, version: r.version, resource: r.resource }));
}

/** The namespace object of a namespaced request (a Namespace's own object for namespaces). */
export function namespaceObject(host: AdmissionHost, req: MatchRequest): any | undefined {
  if (!req.namespace) return undefined;
  if (req.resource.group === '' && req.resource.resource === 'namespaces') return req.object ?? req.oldObject;
  const info = host.registry.get('', 'v1', 'namespaces')!;
  return host.cacheFor(info).get(`${resourcePrefix(info)}${req.namespace}`)?.obj;
}

export function userInfoOf(a: AdmissionAttributes): any {
  const u = a.user;
  if (!u) return { username: 'system:anonymous', groups: ['system:unauthenticated'] };
  const out: any = { username: u.name, groups: u.groups };
  if (u.uid) out.uid = u.uid;
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
}

/**
 * The AdmissionRequest for a call matched on `gvr` (the request's own
 * resource, or an equivalent one). kts keeps every version of a resource in
 * one shape, so the object is sent as stored with the matched apiVersion.
 */
export function admissionRequest(host: AdmissionHost, a: AdmissionAttributes, gvr: GVR, uid: string = randomUUID()): any {
  const req = matchRequestOf(a);
  const matchedInfo = host.registry.get(gvr.group, gvr.version, gvr.resource) ?? a.info;
  const kindOf = (i: ResourceInfo) => ({ group: i.group, version: i.version, kind: i.kind });
  const resourceOf = (i: ResourceInfo) => ({ group: i.group, version: i.version, resource: i.resource });
  const asVersion = (o: any) => (o == null ? null : { ...o, apiVersion: apiVersionOf(matchedInfo), kind: o.kind ?? matchedInfo.kind });
  const r: any = {
    uid,
    kind: kindOf(matchedInfo),
    resource: resourceOf(matchedInfo),
    requestKind: kindOf(a.info),
    requestResource: resourceOf(a.info),
  };
  if (a.subresource) {
    r.subResource = a.subresource;
    r.requestSubResource = a.subresource;
  }
  if (req.name) r.name = req.name;
  if (req.namespace && !(a.info.group === '' && a.info.resource === 'namespaces')) r.namespace = req.namespace;
  r.operation = a.operation;
  r.userInfo = userInfoOf(a);
  r.object = asVersion(a.obj);
  r.oldObject = asVersion(a.old);
  r.dryRun = a.dryRun;
  r.options = a.options ?? null;
  return r;
}
