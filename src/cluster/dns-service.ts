/**
 * The `kube-system/kube-dns` Service that pods' resolv.conf names: a fixed
 * ClusterIP (10.43.0.10, as k3s) with DNS over UDP and TCP on port 53, and,
 * since it has no selector, an EndpointSlice and Endpoints written here that
 * point at the address the cluster DNS server listens on (the node's). The
 * service proxy carries pods' queries from the ClusterIP to it.
 */
import type { ApiClient } from '../client/types.js';
import { isAlreadyExists, isNotFound } from '../client/types.js';
import { upsert } from './upsert.js';

export const DNS_SERVICE_IP = '10.43.0.10';
const NS = 'kube-system';
const NAME = 'kube-dns';
const MANAGED_BY = 'kts-dns';

const PORTS = [
  { name: 'dns', port: 53, protocol: 'UDP' },
  { name: 'dns-tcp', port: 53, protocol: 'TCP' },
];

/** Creates or brings up to date the kube-dns Service and its endpoints; returns the Service's ClusterIP. */
export async function ensureDnsService(client: ApiClient, serverIP: string, clusterIP = DNS_SERVICE_IP): Promise<string> {
  const labels = { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' };
  let svc: any;
  try {
    svc = await client.get(`/api/v1/namespaces/${NS}/services/${NAME}`);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    try {
      svc = await client.create(`/api/v1/namespaces/${NS}/services?fieldManager=kts`, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: NAME, namespace: NS, labels },
        spec: { clusterIP, ports: PORTS.map((p) => ({ ...p, targetPort: 53 })) },
      });
    } catch (e2) {
      if (!isAlreadyExists(e2)) throw e2;
      svc = await client.get(`/api/v1/namespaces/${NS}/services/${NAME}`);
    }
  }
  await upsert(client, `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, `${NAME}-kts`, {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${NAME}-kts`, namespace: NS, labels: { 'kubernetes.io/service-name': NAME, 'endpointslice.kubernetes.io/managed-by': MANAGED_BY } },
    addressType: serverIP.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [serverIP], conditions: { ready: true, serving: true, terminating: false } }],
    ports: PORTS,
  });
  await upsert(client, `/api/v1/namespaces/${NS}/endpoints`, NAME, {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: NAME, namespace: NS, labels: { ...labels, 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: serverIP }], ports: PORTS }],
  });
  return svc.spec.clusterIP;
}
