// The node parts every node runs, in a server process or a joined agent:
// the kubelet, the service proxy, the routes to other nodes' pod networks
// and the Ingress controller on ports 80 and 443. Each talks to the API server through the client it is given
// (in-process for the server's own node, HTTPS with the node's certificate
// for an agent) and is authorized as that identity.

import type { ApiClient } from '../client/types.js';
import { startKubelet, type RunningKubelet } from '../kubelet/kubelet.js';
import { startPodRoutes } from '../kubelet/pod-routes.js';
import { startServiceProxy } from '../proxy/proxier.js';
import { startIngressController } from '../ingress/index.js';
import { Informer } from '../client/informer.js';
import { loadBalancerIPs } from '../proxy/service-lb.js';
import type { Node } from 'kubernetes-types/core/v1.js';

export interface NodeRoleOptions {
  dataDir: string;
  nodeName: string;
  nodeIP: string;
  clusterCIDR: string;
  clusterDomain: string;
  /** The kube-dns Service address(es) pods get in resolv.conf. */
  clusterDNS: string[];
  kubeletTLS: { certPem: string; keyPem: string; caPem: string };
  kubeletPort?: number;
  runtimeEndpoint?: string;
  /** Pod CIDR to fall back to when no controller assigns one. */
  podCIDR?: string;
  /** `ingress`: the Ingress controller's own identity (none: no Ingress controller on this node). */
  clients: { kubelet: ApiClient; proxy: ApiClient; ingress?: ApiClient };
  /** Components not to run: `proxy`, `ingress`. */
  disable: string[];
  progress: (msg: string) => void;
  /** Time since the process started, for progress lines. */
  since?: () => string;
}

export interface RunningNodeRole {
  kubelet: RunningKubelet;
  stop(): Promise<void>;
}

export async function startNodeRole(o: NodeRoleOptions): Promise<RunningNodeRole> {
  const t0 = performance.now();
  const since = o.since ?? (() => `${Math.round(performance.now() - t0)}ms`);
  const kubelet = await startKubelet(o.clients.kubelet, {
    dataDir: o.dataDir,
    nodeName: o.nodeName,
    nodeIP: o.nodeIP,
    tls: o.kubeletTLS,
    runtimeEndpoint: o.runtimeEndpoint,
    port: o.kubeletPort,
    podCIDR: o.podCIDR,
    clusterCIDR: o.clusterCIDR,
    clusterDNS: o.clusterDNS,
    clusterDomain: o.clusterDomain,
    log: (m) => o.progress(`kubelet: ${m}`),
  });
  const stops: Array<() => Promise<void>> = [() => kubelet.stop()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  o.progress(`node ${o.nodeName} registered (runtime ${kubelet.runtimeEndpoint}) [${since()}]`);
  try {
    // Pods on other nodes are reached through routes to their nodes' pod CIDRs.
    const routes = await startPodRoutes(o.clients.kubelet, { nodeName: o.nodeName, clusterCIDR: o.clusterCIDR, onError: (e) => o.progress(`pod routes: ${e instanceof Error ? e.message : String(e)}`) });
    stops.push(() => routes.stop());
    // The node's service proxy: iptables rules for ClusterIP, NodePort and LoadBalancer addresses, removed at stop.
    if (!o.disable.includes('proxy')) {
      const proxy = await startServiceProxy(o.clients.proxy, {
        nodeName: o.nodeName,
        clusterCIDR: o.clusterCIDR,
        setSysctls: true,
        // As kube-proxy's iptables mode: NodePorts answer on 127.0.0.1 too.
        localhostNodePorts: true,
        onError: (e) => o.progress(`proxy: ${e instanceof Error ? e.message : String(e)}`),
      });
      // Stops run in reverse: the rules go before the kubelet stops.
      stops.push(() => proxy.stop());
      o.progress(`service proxy started [${since()}]`);
    }
    // The Ingress controller on the node's ports 80 and 443. Every node's
    // controller publishes the same addresses (the Ready nodes'), so they agree on status.
    if (o.clients.ingress && !o.disable.includes('ingress')) {
      const nodes = new Informer<Node>(o.clients.ingress, '/api/v1/nodes');
      nodes.start();
      stops.push(async () => nodes.stop());
      try {
        const ingress = await startIngressController(o.clients.ingress, {
          // The same addresses ServiceLB publishes (this node's own until the cache has any).
          publishAddresses: () => {
            const ips = loadBalancerIPs(nodes.list());
            return ips.length ? ips : [o.nodeIP];
          },
          onError: (what, e) => o.progress(`ingress: ${what}: ${e instanceof Error ? e.message : String(e)}`),
        });
        stops.push(() => ingress.stop());
        o.progress(`ingress controller on ports ${ingress.httpPort} and ${ingress.httpsPort} [${since()}]`);
      } catch (e) {
        o.progress(`ingress controller not started: ${(e as Error).message}`);
      }
    }
  } catch (e) {
    await stopAll();
    throw e;
  }
  return { kubelet, stop: stopAll };
}
