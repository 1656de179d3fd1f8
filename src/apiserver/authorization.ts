// The API server's authorization stage: RBAC objects read from the watch
// caches, request info turned into authorizer attributes, denials turned into
// upstream's Forbidden Status, and the bootstrap policy written at start.

import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import type { ResourceInfo, ResourceRegistry } from '../api/registry.js';
import type { RbacSource } from '../auth/rbac.js';
import { forbiddenReason, type Attributes } from '../auth/rules.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles } from '../auth/bootstrap-policy.js';
import { reconcileClusterRole, reconcileClusterRoleBinding, type Reconciled } from '../auth/reconcile.js';
import type { ResourceRequest } from './request-info.js';
import type { WatchCache } from './watch-cache.js';
import type { ResourceRest } from './rest.js';
import { resourcePrefix } from './objects.js';
import { ApiError, failure, forbidden } from './errors.js';
import { NodeGraph } from '../auth/node-graph.js';
import type { NodeAuthorizerSource } from '../auth/node-authorizer.js';

const RBAC = 'rbac.authorization.k8s.io';

export function rbacSource(registry: ResourceRegistry, cacheFor: (i: ResourceInfo) => WatchCache): RbacSource {
  const info = (r: string) => registry.get(RBAC, 'v1', r)!;
  const cache = (r: string) => cacheFor(info(r));
  const prefix = (r: string) => resourcePrefix(info(r));
  return {
    clusterRoleBindings: () => cache('clusterrolebindings').list().map((c) => c.obj as ClusterRoleBinding),
    roleBindings: (ns) => cache('rolebindings').list(`${prefix('rolebindings')}${ns}/`).map((c) => c.obj as RoleBinding),
    clusterRole: (name) => cache('clusterroles').get(`${prefix('clusterroles')}${name}`)?.obj as ClusterRole | undefined,
    role: (ns, name) => cache('roles').get(`${prefix('roles')}${ns}/${name}`)?.obj as Role | undefined,
    onChange: (fn) => {
      for (const r of ['clusterrolebindings', 'rolebindings', 'clusterroles', 'roles']) {
        const c = cache(r);
        c.watch(c.revision, { onEvent: fn });
      }
    },
  };
}

/**
 * What a resource request asks, as the authorizers see it. exec/attach/portforward
 * upgrades are `create` whatever the method. As upstream, a list or watch
 * narrowed to one object by `fieldSelector=metadata.name=x` names it, so
 * per-object rules (resourceNames, the Node authorizer) can allow it.
 */
export function resourceAttributes(ri: ResourceRequest, query?: URLSearchParams): Attributes {
  let name = ri.name;
  if (!name && (ri.verb === 'list' || ri.verb === 'watch') && query) {
    const m = /^metadata\.name==?([^,]*)$/.exec(query.get('fieldSelector') ?? '');
    if (m && m[1]) name = m[1];
  }
  return { resourceRequest: true, verb: ri.verb, group: ri.group, version: ri.version, resource: ri.resource, subresource: ri.subresource, namespace: ri.namespace, name };
}

/** The Node authorizer's view of the pods (its graph, kept current from the pod cache) and claims. */
export function nodeAuthorizerSource(registry: ResourceRegistry, cacheFor: (i: ResourceInfo) => WatchCache): NodeAuthorizerSource {
  const pods = cacheFor(registry.get('', 'v1', 'pods')!);
  const pvcInfo = registry.get('', 'v1', 'persistentvolumeclaims')!;
  const graph = new NodeGraph();
  for (const c of pods.list()) graph.setPod(c.obj);
  pods.watch(pods.revision, {
    onEvent: (ev) => {
      if (ev.type === 'DELETED') graph.deletePod(`${ev.object.obj.metadata?.namespace ?? ''}/${ev.object.obj.metadata?.name ?? ''}`);
      else graph.setPod(ev.object.obj);
    },
  });
  return {
    graph,
    claimVolume: (ns, name) => cacheFor(pvcInfo).get(`${resourcePrefix(pvcInfo)}${ns}/${name}`)?.obj?.spec?.volumeName,
  };
}

export function nonResourceAttributes(method: string, path: string): Attributes {
  const m = method.toLowerCase();
  return { resourceRequest: false, verb: m === 'head' ? 'get' : m, path };
}

/** `pods "x" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace "default"`. */
export function forbiddenFor(user: string, a: Attributes, reason = ''): ApiError {
  const why = reason ? `${forbiddenReason(user, a)}: ${reason}` : forbiddenReason(user, a);
  if (!a.resourceRequest) return failure(403, 'Forbidden', `forbidden: ${why}`, {});
  return forbidden(a.group, a.resource, a.name, why);
}

/** Creates or updates the default ClusterRoles and ClusterRoleBindings. */
export async function reconcileBootstrapPolicy(registry: ResourceRegistry, cacheFor: (i: ResourceInfo) => WatchCache, rest: (i: ResourceInfo) => ResourceRest): Promise<void> {
  const opts = { dryRun: false, fieldManager: 'kube-apiserver' };
  const write = async <T extends { metadata?: { name?: string } }>(resource: string, r: Reconciled<T>) => {
    if (r.action === 'none') return;
    const info = registry.get(RBAC, 'v1', resource)!;
    const name = r.obj.metadata!.name!;
    try {
      if (r.action === 'update') {
        await rest(info).update('', name, r.obj, '', opts);
        return;
      }
      if (r.action === 'recreate') await rest(info).delete('', name, {}, opts);
      await rest(info).create('', r.obj, opts);
    } catch (e) {
      // Another server reconciled first; the next start tries again.
      if (!(e instanceof ApiError && (e.code === 409 || e.code === 404))) throw e;
    }
  };
  const get = (resource: string, name: string) => {
    const info = registry.get(RBAC, 'v1', resource)!;
    return cacheFor(info).get(`${resourcePrefix(info)}${name}`)?.obj;
  };
  for (const role of bootstrapClusterRoles()) await write('clusterroles', reconcileClusterRole(get('clusterroles', role.metadata!.name!), role));
  for (const b of bootstrapClusterRoleBindings()) await write('clusterrolebindings', reconcileClusterRoleBinding(get('clusterrolebindings', b.metadata!.name!), b));
}
