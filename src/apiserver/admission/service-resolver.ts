// Resolves a webhook's Service reference from the watch caches: the Service
// port named by clientConfig.service.port, then a ready endpoint of its
// EndpointSlices (reachable from the host without the service proxy), else
// the ClusterIP.

import type { AdmissionHost } from './index.js';
import { resourcePrefix } from '../objects.js';
import type { ServiceResolver } from './webhook-client.js';

export function cacheServiceResolver(host: AdmissionHost): ServiceResolver {
  return {
    resolve(namespace, name, port) {
      const svcInfo = host.registry.get('', 'v1', 'services')!;
      const svc = host.cacheFor(svcInfo).get(`${resourcePrefix(svcInfo)}${namespace}/${name}`)?.obj;
      if (!svc) return `services ${JSON.stringify(name)} not found`;
      const sp = (svc.spec?.ports ?? []).find((p: any) => p.port === port);
      if (!sp) return `service ${JSON.stringify(`${namespace}/${name}`)} has no port ${port}`;
      const sliceInfo = host.registry.get('discovery.k8s.io', 'v1', 'endpointslices');
      if (sliceInfo) {
        const slices = host
          .cacheFor(sliceInfo)
          .list(`${resourcePrefix(sliceInfo)}${namespace}/`)
          .map((c) => c.obj)
          .filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === name);
        for (const s of slices) {
          const ep = (s.ports ?? []).find((p: any) => (p.name ?? '') === (sp.name ?? ''));
          if (!ep || typeof ep.port !== 'number') continue;
          const ready = (s.endpoints ?? []).find((e: any) => e.conditions?.ready !== false && (e.addresses ?? []).length);
          if (ready) return { host: ready.addresses[0], port: ep.port };
        }
      }
      const ip = svc.spec?.clusterIP;
      if (!ip || ip === 'None') return `service ${JSON.stringify(`${namespace}/${name}`)} has no ready endpoints and no cluster IP`;
      return { host: ip, port };
    },
  };
}
