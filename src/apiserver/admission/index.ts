// The API server's cross-resource admission plugins, in upstream's order:
// LimitRanger (mutating: container defaults; validating: min/max/ratio),
// then PodSecurity (validating), then ResourceQuota (validating, last);
// DefaultIngressClass (mutating). Per-resource admission (Priority,
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

/** What the plugins need from the API server. */
export interface AdmissionHost {
  readonly registry: ResourceRegistry;
  readonly store: Store;
  cacheFor(info: ResourceInfo): WatchCache;
  rest(info: ResourceInfo): ResourceRest;
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
  const nameOf = (a: AdmissionAttributes): string => a.obj?.metadata?.name || a.obj?.metadata?.generateName || '';
  return {
    mutate(a) {
      if (a.info.group === 'networking.k8s.io' && a.info.resource === 'ingresses' && a.operation === 'CREATE' && !a.subresource) {
        defaultIngressClass(host, a.obj);
        return;
      }
      // LimitRanger: only pod creates get defaults (containers are immutable afterwards).
      if (a.info.group !== '' || a.info.resource !== 'pods' || a.operation !== 'CREATE' || a.subresource) return;
      applyLimitRangeDefaults(a.obj, namespacedObjects(host, 'limitranges', a.obj?.metadata?.namespace ?? ''));
    },
    async validate(a) {
      if (a.info.group === '' && !a.subresource && (a.info.resource === 'persistentvolumeclaims' || (a.info.resource === 'pods' && a.operation === 'CREATE'))) {
        if (!a.old?.metadata?.deletionTimestamp) {
          const why = validateLimitRanges(a.info.resource, a.obj, namespacedObjects(host, 'limitranges', a.obj?.metadata?.namespace ?? ''));
          if (why) throw forbidden(a.info.group, a.info.resource, nameOf(a), why);
        }
      }
      podSecurity.validate(a, a.warnings);
      await quota.admit(a);
    },
  };
}

/**
 * DefaultIngressClass: an Ingress created without a class (and without the
 * legacy class annotation) gets the default IngressClass's name. With
 * several defaults, the newest wins, as upstream.
 */
function defaultIngressClass(host: AdmissionHost, ing: any): void {
  if (!ing || ing.spec?.ingressClassName || ing.metadata?.annotations?.['kubernetes.io/ingress.class']) return;
  const info = host.registry.get('networking.k8s.io', 'v1', 'ingressclasses');
  if (!info) return;
  const defaults = host
    .cacheFor(info)
    .list(resourcePrefix(info))
    .map((c) => c.obj)
    .filter((c) => c.metadata?.annotations?.['ingressclass.kubernetes.io/is-default-class'] === 'true')
    .sort((x, y) => String(y.metadata.creationTimestamp).localeCompare(String(x.metadata.creationTimestamp)));
  if (defaults.length) ing.spec = { ...(ing.spec ?? {}), ingressClassName: defaults[0].metadata.name };
}
