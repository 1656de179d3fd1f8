// ServiceLB (k3s's built-in load balancer, without its per-service pods):
// every Service of type LoadBalancer without a loadBalancerClass gets the
// InternalIPs of the cluster's Ready nodes as status.loadBalancer.ingress;
// the service proxy then answers the service port on those addresses on
// every node. When a Service stops being type LoadBalancer, the ingress it
// was given is cleared. Node changes re-queue every Service that has or
// needs an ingress.

import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../client/types.js';
import { isNotFound } from '../client/types.js';
import { SharedInformerFactory, waitForCacheSync, type HandlerRegistration, type Informer } from '../client/informer.js';
import { metaNamespaceKey, objectOf, splitMetaNamespaceKey } from '../client/store.js';
import { WorkQueue, runWorkers } from '../client/workqueue.js';

/** Nodes with this label are left out, as upstream's service controller does. */
export const EXCLUDE_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

export interface ServiceLBOptions {
  /** Share informers (default: a factory of its own, started and stopped with the controller). */
  factory?: SharedInformerFactory;
  workers?: number;
  onError?: (key: string, err: unknown) => void;
}

/** The ingress addresses for LoadBalancer Services: InternalIPs of Ready nodes (of all nodes when none is Ready), sorted, unique. */
export function loadBalancerIPs(nodes: Node[]): string[] {
  const eligible = nodes.filter((n) => n.metadata?.labels?.[EXCLUDE_LB_LABEL] === undefined);
  const ready = eligible.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  const ips = new Set<string>();
  for (const n of ready.length > 0 ? ready : eligible) {
    for (const a of n.status?.addresses ?? []) if (a.type === 'InternalIP' && a.address) ips.add(a.address);
  }
  return [...ips].sort();
}

/** The ingress a Service should have, or undefined when ServiceLB leaves it alone. */
export function desiredIngress(svc: Service, ips: string[]): Array<{ ip: string; ipMode: string }> | undefined {
  if (svc.spec?.type === 'LoadBalancer') {
    if (svc.spec.loadBalancerClass) return undefined; // another controller's
    return ips.map((ip) => ({ ip, ipMode: 'VIP' }));
  }
  return (svc.status?.loadBalancer?.ingress?.length ?? 0) > 0 ? [] : undefined;
}

function sameIngress(a: Array<{ ip?: string; ipMode?: string }> | undefined, b: Array<{ ip: string; ipMode: string }>): boolean {
  const x = a ?? [];
  return x.length === b.length && x.every((e, i) => e.ip === b[i].ip && (e.ipMode ?? 'VIP') === b[i].ipMode);
}

export class ServiceLBController {
  readonly queue = new WorkQueue<string>({ name: 'service-lb' });
  private readonly factory: SharedInformerFactory;
  private readonly ownFactory: boolean;
  private readonly services: Informer<Service>;
  private readonly nodes: Informer<Node>;
  private readonly registrations: HandlerRegistration[] = [];
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly client: ApiClient,
    private readonly opts: ServiceLBOptions = {},
  ) {
    this.ownFactory = !opts.factory;
    this.factory = opts.factory ?? new SharedInformerFactory(client);
    this.services = this.factory.informerFor<Service>('/api/v1/services');
    this.nodes = this.factory.informerFor<Node>('/api/v1/nodes');
    const enqueueService = (obj: any) => this.queue.add(metaNamespaceKey(objectOf(obj)));
    const enqueueAll = () => {
      for (const s of this.services.list()) if (desiredIngress(s, []) !== undefined) this.queue.add(metaNamespaceKey(s));
    };
    this.registrations.push(
      this.services.addEventHandler({ onAdd: enqueueService, onUpdate: (_o, n) => enqueueService(n) }),
      this.nodes.addEventHandler({ onAdd: enqueueAll, onUpdate: (o, n) => o !== n && enqueueAll(), onDelete: enqueueAll }),
    );
  }

  /** Starts the informers (when owned) and the workers; resolves when the caches have synced. */
  async start(): Promise<void> {
    if (this.ownFactory) this.factory.start();
    if (!(await waitForCacheSync([this.services, this.nodes], this.abort.signal))) return;
    this.running = runWorkers(this.queue, this.opts.workers ?? 2, (key) => this.sync(key), { onError: this.opts.onError });
  }

  async sync(key: string): Promise<void> {
    const svc = this.services.get(key);
    if (!svc) return;
    const want = desiredIngress(svc, loadBalancerIPs(this.nodes.list()));
    if (want === undefined || sameIngress(svc.status?.loadBalancer?.ingress, want)) return;
    const { namespace, name } = splitMetaNamespaceKey(key);
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(name)}/status`;
    const patch = { metadata: { resourceVersion: svc.metadata?.resourceVersion }, status: { loadBalancer: { ingress: want.length ? want : null } } };
    try {
      await this.client.patch(path, patch, 'merge');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    for (const r of this.registrations) r.remove();
    this.queue.shutDown();
    if (this.ownFactory) this.factory.stop();
    await this.running;
  }
}

/** Starts ServiceLB; resolves once its caches have synced. */
export async function startServiceLB(client: ApiClient, opts: ServiceLBOptions = {}): Promise<ServiceLBController> {
  const c = new ServiceLBController(client, opts);
  await c.start();
  return c;
}
