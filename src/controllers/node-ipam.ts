// The node IPAM controller (upstream pkg/controller/nodeipam, range
// allocator): every Node gets `spec.podCIDR` (and `podCIDRs`), a subnet of
// the cluster CIDR (default a /24 of 10.42.0.0/16) that no other node holds.
// The agent's CNI configuration and the routes between nodes come from it.
// Nodes that already carry a pod CIDR (assigned before a restart, or chosen
// by simulated nodes) keep it; one inside the cluster CIDR is marked used.
// A deleted node's subnet is free again.

import type { Node } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../client/types.js';
import { isNotFound } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { objectOf } from '../client/store.js';
import { QueueController, type ControllerOptions } from './base.js';
import { intToIpv4, parseCIDR } from '../api/cidr.js';

export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
export const DEFAULT_NODE_MASK_SIZE = 24;

/** The subnets of one size inside a cluster CIDR, handed out lowest first. */
export class CidrSet {
  private readonly base: number;
  private readonly subnetSize: number;
  readonly capacity: number;
  private readonly used = new Set<number>();
  private next = 0;

  constructor(readonly clusterCIDR: string, readonly maskSize: number) {
    const { base, prefix } = parseCIDR(clusterCIDR);
    if (maskSize < prefix || maskSize > 30) throw new Error(`node mask size /${maskSize} does not fit the cluster CIDR ${clusterCIDR}`);
    this.base = base;
    this.subnetSize = 2 ** (32 - maskSize);
    this.capacity = 2 ** (maskSize - prefix);
  }

  private indexOf(cidr: string): number | undefined {
    let p: { base: number; prefix: number };
    try {
      p = parseCIDR(cidr);
    } catch {
      return undefined;
    }
    if (p.prefix !== this.maskSize) return undefined;
    const off = p.base - this.base;
    if (off < 0 || off >= this.capacity * this.subnetSize) return undefined;
    return off / this.subnetSize;
  }

  /** Marks a subnet used; false when it is not one of this set's subnets. */
  occupy(cidr: string): boolean {
    const i = this.indexOf(cidr);
    if (i === undefined) return false;
    this.used.add(i);
    return true;
  }

  release(cidr: string): void {
    const i = this.indexOf(cidr);
    if (i !== undefined) this.used.delete(i);
  }

  /** The next free subnet (round-robin after the last one handed out), or undefined when all are used. */
  allocate(): string | undefined {
    for (let k = 0; k < this.capacity; k++) {
      const i = (this.next + k) % this.capacity;
      if (this.used.has(i)) continue;
      this.used.add(i);
      this.next = (i + 1) % this.capacity;
      return `${intToIpv4(this.base + i * this.subnetSize)}/${this.maskSize}`;
    }
    return undefined;
  }

  get usedCount(): number {
    return this.used.size;
  }
}

export interface NodeIpamOptions extends ControllerOptions {
  clusterCIDR?: string;
  nodeMaskSize?: number;
  /** Reports a node that cannot get a subnet (upstream: a CIDRNotAvailable event). */
  onExhausted?: (node: string) => void;
}

export class NodeIpamController extends QueueController {
  private readonly nodes: Informer<Node>;
  private readonly cidrs: CidrSet;
  /** The subnet this controller gave each node, so deletion frees it. */
  private readonly held = new Map<string, string>();

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    private readonly ipamOpts: NodeIpamOptions = {},
  ) {
    super('node-ipam', ipamOpts);
    this.cidrs = new CidrSet(ipamOpts.clusterCIDR ?? DEFAULT_CLUSTER_CIDR, ipamOpts.nodeMaskSize ?? DEFAULT_NODE_MASK_SIZE);
    this.nodes = factory.informerFor<Node>('/api/v1/nodes');
    this.registrations.push(
      this.nodes.addEventHandler({
        onAdd: (n) => this.observe(n),
        onUpdate: (_o, n) => this.observe(n),
        onDelete: (obj) => {
          const n = objectOf(obj) as Node;
          const name = n.metadata?.name ?? '';
          const cidr = this.held.get(name) ?? n.spec?.podCIDR;
          if (cidr) this.cidrs.release(cidr);
          this.held.delete(name);
        },
      }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.nodes];
  }

  /** Nodes with a subnet occupy it before any allocation happens (the informer replays existing nodes first). */
  private observe(n: Node): void {
    const name = n.metadata?.name ?? '';
    const cidr = n.spec?.podCIDR;
    if (cidr) {
      if (this.cidrs.occupy(cidr)) this.held.set(name, cidr);
      return;
    }
    this.enqueue(name);
  }

  protected async sync(name: string): Promise<void> {
    const node = this.nodes.getByName('', name);
    if (!node || node.spec?.podCIDR || node.metadata?.deletionTimestamp) return;
    const cidr = this.held.get(name) ?? this.cidrs.allocate();
    if (!cidr) {
      this.ipamOpts.onExhausted?.(name);
      throw new Error(`no pod CIDR left in ${this.cidrs.clusterCIDR} for node ${name}`);
    }
    this.held.set(name, cidr);
    try {
      // spec.podCIDR may be set once; a strategic merge patch leaves the rest of the Node alone.
      await this.client.patch(`/api/v1/nodes/${encodeURIComponent(name)}?fieldManager=node-ipam-controller`, { spec: { podCIDR: cidr, podCIDRs: [cidr] } }, 'strategic');
    } catch (e) {
      this.held.delete(name);
      this.cidrs.release(cidr);
      if (isNotFound(e)) return;
      throw e;
    }
  }
}
