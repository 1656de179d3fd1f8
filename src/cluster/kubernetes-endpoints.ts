/**
 * The endpoints of the `default/kubernetes` Service: where in-cluster
 * clients (KUBERNETES_SERVICE_HOST, the service proxy) reach the API server.
 * Upstream's API servers keep these through their endpoint reconciler; a
 * single kts server writes its advertised address and port at start.
 */
import type { ApiClient } from '../client/types.js';
import { upsert } from './upsert.js';

export async function ensureKubernetesEndpoints(client: ApiClient, ip: string, port: number): Promise<void> {
  const ports = [{ name: 'https', port, protocol: 'TCP' }];
  await upsert(client, '/api/v1/namespaces/default/endpoints', 'kubernetes', {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip }], ports }],
  });
  await upsert(client, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', 'kubernetes', {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'kts-apiserver' } },
    addressType: ip.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } }],
    ports,
  });
}
