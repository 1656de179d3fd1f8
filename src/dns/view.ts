// The in-memory view of the cluster that the zone answers from: Services,
// EndpointSlices (discovery.k8s.io/v1), Pods and Namespaces, each kept in an
// Indexer (the informers' caches in production, hand-filled ones in tests)
// with the indexes DNS needs: ClusterIP -> Service, address -> EndpointSlice,
// Service -> EndpointSlices, pod IP -> Pod.

import { Indexer, type Indexers } from '../client/store.js';
import { canonicalIP } from './wire.js';

export const SERVICE_IP_INDEX = 'dns-cluster-ip';
export const SLICE_SERVICE_INDEX = 'dns-service';
export const SLICE_IP_INDEX = 'dns-endpoint-ip';
export const POD_IP_INDEX = 'dns-pod-ip';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function serviceIPIndexFunc(svc: any): string[] {
  const ips: string[] = svc?.spec?.clusterIPs?.length ? svc.spec.clusterIPs : svc?.spec?.clusterIP ? [svc.spec.clusterIP] : [];
  return ips.filter((ip) => ip && ip !== 'None').map(canonicalIP);
}

/** `namespace/service` of the Service an EndpointSlice belongs to. */
export function sliceServiceIndexFunc(slice: any): string[] {
  const svc = slice?.metadata?.labels?.[SERVICE_NAME_LABEL];
  return svc ? [`${slice.metadata.namespace ?? ''}/${svc}`] : [];
}

export function sliceIPIndexFunc(slice: any): string[] {
  if (slice?.addressType === 'FQDN') return [];
  const out: string[] = [];
  for (const ep of slice?.endpoints ?? []) if (isReady(ep)) for (const a of ep.addresses ?? []) out.push(canonicalIP(a));
  return out;
}

export function podIPIndexFunc(pod: any): string[] {
  const ips: string[] = (pod?.status?.podIPs ?? []).map((p: any) => p?.ip).filter(Boolean);
  if (!ips.length && pod?.status?.podIP) ips.push(pod.status.podIP);
  return ips.map(canonicalIP);
}

/** As CoreDNS: an endpoint counts unless it is explicitly not ready (nil means ready). */
export function isReady(ep: any): boolean {
  return ep?.conditions?.ready !== false;
}

export const serviceIndexers: Indexers = { [SERVICE_IP_INDEX]: serviceIPIndexFunc };
export const sliceIndexers: Indexers = { [SLICE_SERVICE_INDEX]: sliceServiceIndexFunc, [SLICE_IP_INDEX]: sliceIPIndexFunc };
export const podIndexers: Indexers = { [POD_IP_INDEX]: podIPIndexFunc };

/** Keeps only what DNS reads, so the caches stay small. */
export function slimObject(obj: any): any {
  if (!obj || typeof obj !== 'object' || !obj.metadata) return obj;
  const { managedFields: _m, annotations: _a, ownerReferences: _o, ...meta } = obj.metadata;
  const out: any = { ...obj, metadata: meta };
  if (obj.kind === 'Pod' || (obj.spec?.containers && obj.status)) {
    out.spec = { hostname: obj.spec?.hostname, subdomain: obj.spec?.subdomain };
    out.status = { podIP: obj.status?.podIP, podIPs: obj.status?.podIPs, phase: obj.status?.phase };
  }
  return out;
}

export interface ClusterView {
  /** True once every cache has listed once. */
  synced(): boolean;
  /** Seconds since the epoch of the last change seen (the SOA serial). */
  serial(): number;
  namespaceExists(namespace: string): boolean;
  service(namespace: string, name: string): any | undefined;
  endpointSlices(namespace: string, service: string): any[];
  servicesByIP(ip: string): any[];
  endpointSlicesByIP(ip: string): any[];
  podsByIP(ip: string): any[];
}

export interface ViewStores {
  namespaces: Indexer;
  services: Indexer;
  endpointSlices: Indexer;
  /** Only needed for `pods verified`. */
  pods?: Indexer;
}

/** A ClusterView over indexers; `touch()` records a change for the SOA serial. */
export class IndexedClusterView implements ClusterView {
  private lastChange = Math.floor(Date.now() / 1000);

  constructor(
    readonly stores: ViewStores,
    private readonly isSynced: () => boolean = () => true,
  ) {
    stores.services.addIndexers(serviceIndexers);
    stores.endpointSlices.addIndexers(sliceIndexers);
    stores.pods?.addIndexers(podIndexers);
  }

  /** Empty stores with the DNS indexes (tests). */
  static empty(): IndexedClusterView {
    return new IndexedClusterView({ namespaces: new Indexer(), services: new Indexer(), endpointSlices: new Indexer(), pods: new Indexer() });
  }

  touch(): void {
    this.lastChange = Math.floor(Date.now() / 1000);
  }

  synced(): boolean {
    return this.isSynced();
  }
  serial(): number {
    return this.lastChange;
  }
  namespaceExists(namespace: string): boolean {
    return this.stores.namespaces.has(namespace);
  }
  service(namespace: string, name: string): any | undefined {
    return this.stores.services.get(`${namespace}/${name}`);
  }
  endpointSlices(namespace: string, service: string): any[] {
    return this.stores.endpointSlices.byIndex(SLICE_SERVICE_INDEX, `${namespace}/${service}`);
  }
  servicesByIP(ip: string): any[] {
    return this.stores.services.byIndex(SERVICE_IP_INDEX, ip);
  }
  endpointSlicesByIP(ip: string): any[] {
    return this.stores.endpointSlices.byIndex(SLICE_IP_INDEX, ip);
  }
  podsByIP(ip: string): any[] {
    return this.stores.pods ? this.stores.pods.byIndex(POD_IP_INDEX, ip) : [];
  }
}
