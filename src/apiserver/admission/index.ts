// The API server's cross-resource admission plugins, in upstream's order.
// Mutating: DefaultIngressClass, DefaultStorageClass, LimitRanger (container
// defaults), then the mutating admission webhooks. Validating: LimitRanger
// (min/max/ratio), PodSecurity, ValidatingAdmissionPolicy, the validating
// admission webhooks, then ResourceQuota last (so nothing refuses a request
// after its usage was charged). NodeRestriction and the certificates
// plugins (who may write what) come first among the validating ones.
// Per-resource admission (Priority,
// DefaultTolerationSeconds, Service allocation) stays in ResourceHooks.

import type { ResourceInfo, ResourceRegistry } from '../../api/registry.js';
import { applyLimitRangeDefaults, validateLimitRanges } from '../../api/quota/limitrange.js';
import { forbidden } from '../errors.js';
import type { AdmissionAttributes, AdmissionChain, ResourceRest } from '../rest.js';
import type { WatchCache } from '../watch-cache.js';
import type { Store } from '../../storage/types.js';
import { resourcePrefix } from '../objects.js';
import { ResourceQuotaAdmission } from './resourcequota.js';
import { PodSecurityAdmission } from './podsecurity.js';
import { WebhookAdmission } from './webhooks.js';
import { PolicyAdmission } from './policy.js';
import { cacheServiceResolver } from './service-resolver.js';
import { admitCSR } from './certificates.js';
import { admitNodeRestriction, type NodeRestrictionLookups } from './noderestriction.js';
import type { Authorizer } from '../../auth/rbac.js';

/** What the plugins need from the API server. */
export interface AdmissionHost {
  readonly registry: ResourceRegistry;
  readonly store: Store;
  cacheFor(info: ResourceInfo): WatchCache;
  rest(info: ResourceInfo): ResourceRest;
  /** The request authorizer (CSR approval and signing check the signer with it). */
  readonly authorizer: Authorizer;
}

/** Pods and Nodes as NodeRestriction looks them up, from the watch caches. */
export function nodeRestrictionLookups(host: AdmissionHost): NodeRestrictionLookups {
  const get = (resource: string, key: string) => {
    const info = host.registry.get('', 'v1', resource)!;
    return host.cacheFor(info).get(`${resourcePrefix(info)}${key}`)?.obj;
  };
  return { pod: (ns, name) => get('pods', `${ns}/${name}`), node: (name) => get('nodes', name) };
}

/** The objects of a core resource in one namespace, from the watch cache. */
export function namespacedObjects(host: AdmissionHost, resource: string, ns: string): any[] {
  const info = host.registry.get('', 'v1', resource)!;
  return host
    .cacheFor(info)
    .list(`${resourcePrefix(info)}${ns}/`)
    .map((c) => c.obj);
}

export function newAdmissionChain(host: AdmissionHost, now: () => number = Date.now): AdmissionChain {
  const quota = new ResourceQuotaAdmission(host, now);
  const podSecurity = new PodSecurityAdmission(host);
  const webhooks = new WebhookAdmission(host, cacheServiceResolver(host));
  const policies = new PolicyAdmission(host);
  // NodeRestriction and the certificates plugins: decided by who writes, synchronously.
  const byRequester = (a: AdmissionAttributes): void => {
    if (a.user) {
      admitNodeRestriction(
        { user: a.user, operation: a.operation, group: a.info.group, resource: a.info.resource, subresource: a.subresource, namespace: a.obj?.metadata?.namespace ?? '', name: a.obj?.metadata?.name ?? '', obj: a.obj, old: a.old },
        nodeRestrictionLookups(host),
      );
    }
    admitCSR(host.authorizer, a);
  };
  const nameOf = (a: AdmissionAttributes): string => a.obj?.metadata?.name || a.obj?.metadata?.generateName || '';
  return {
    async mutate(a) {
      // The built-in plugins handle writes of main resources only.
      if (!a.subresource && a.operation !== 'DELETE') mutateBuiltin(a);
      await webhooks.mutate(a);
    },
    async validate(a) {
      // NodeRestriction and the certificate plugins (deletes: in api-server.ts).
      if (a.operation !== 'DELETE') byRequester(a);
      if (!a.subresource && a.operation !== 'DELETE') {
        if (a.info.group === '' && (a.info.resource === 'persistentvolumeclaims' || (a.info.resource === 'pods' && a.operation === 'CREATE'))) {
          if (!a.old?.metadata?.deletionTimestamp) {
            const why = validateLimitRanges(a.info.resource, a.obj, namespacedObjects(host, 'limitranges', a.obj?.metadata?.namespace ?? ''));
            if (why) throw forbidden(a.info.group, a.info.resource, nameOf(a), why);
          }
        }
        podSecurity.validate(a, a.warnings);
      }
      await policies.validate(a);
      await webhooks.validate(a);
      if (!a.subresource && a.operation !== 'DELETE') await quota.admit(a);
    },
  };

  function mutateBuiltin(a: AdmissionAttributes): void {
    if (a.info.group === 'networking.k8s.io' && a.info.resource === 'ingresses' && a.operation === 'CREATE' && !a.subresource) {
      defaultIngressClass(host, a.obj);
      return;
    }
    if (a.info.group === '' && a.info.resource === 'persistentvolumeclaims' && a.operation === 'CREATE' && !a.subresource) {
      defaultStorageClass(host, a.obj);
      return;
    }
    // LimitRanger: only pod creates get defaults (containers are immutable afterwards).
    if (a.info.group !== '' || a.info.resource !== 'pods' || a.operation !== 'CREATE' || a.subresource) return;
    applyLimitRangeDefaults(a.obj, namespacedObjects(host, 'limitranges', a.obj?.metadata?.namespace ?? ''));
  }
}

/**
 * DefaultIngressClass: an Ingress created without a class (and without the
 * legacy class annotation) gets the default IngressClass's name. With
 * several defaults, the newest wins, as upstream.
 */
function defaultIngressClass(host: AdmissionHost, ing: any): void {
  if (!ing || ing.spec?.ingressClassName || ing.metadata?.annotations?.['kubernetes.io/ingress.class']) return;
  const name = newestDefault(host, 'networking.k8s.io', 'ingressclasses', (c) => c.metadata?.annotations?.['ingressclass.kubernetes.io/is-default-class'] === 'true');
  if (name) ing.spec = { ...(ing.spec ?? {}), ingressClassName: name };
}

/**
 * DefaultStorageClass: a PVC created with no `storageClassName` (absent or
 * null; "" means "no class" and stays) and no beta class annotation gets the
 * default StorageClass's name; with several defaults the newest wins.
 */
function defaultStorageClass(host: AdmissionHost, pvc: any): void {
  if (!pvc || pvc.spec?.storageClassName != null || pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] != null) return;
  const isDefault = (a: any) => a?.['storageclass.kubernetes.io/is-default-class'] === 'true' || a?.['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
  const name = newestDefault(host, 'storage.k8s.io', 'storageclasses', (c) => isDefault(c.metadata?.annotations));
  if (name) pvc.spec = { ...(pvc.spec ?? {}), storageClassName: name };
}

/** The newest (then lexically first) object of a cluster-scoped resource that `isDefault` accepts. */
function newestDefault(host: AdmissionHost, group: string, resource: string, isDefault: (o: any) => boolean): string | undefined {
  const info = host.registry.get(group, 'v1', resource);
  if (!info) return undefined;
  const defaults = host
    .cacheFor(info)
    .list(resourcePrefix(info))
    .map((c) => c.obj)
    .filter(isDefault)
    .sort((x, y) => String(y.metadata.creationTimestamp).localeCompare(String(x.metadata.creationTimestamp)) || String(x.metadata.name).localeCompare(String(y.metadata.name)));
  return defaults[0]?.metadata?.name;
}
