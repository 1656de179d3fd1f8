// Simulated nodes: N Node objects that look like healthy kubelets to the
// control plane, without containers. For scale runs (thousands of nodes in
// one process) and fast tests of the scheduler and controllers.
//
// Per node, as a kubelet: register the Node (labels, pod CIDR, taints,
// capacity, conditions, addresses, nodeInfo), keep a Lease in
// kube-node-lease renewed every `heartbeatSeconds`, refresh the node's
// conditions every `statusSeconds`. For pods bound to its nodes: report
// them Running with an IP from the node's pod CIDR, play out the exits
// asked for by annotations (see pod-status.ts) under the pod's
// restartPolicy, and finish graceful deletions by reporting the containers
// stopped and deleting the pod with grace period 0.
//
// Scale (after kwok): heartbeats and status refreshes of all nodes come
// from one PeriodicScheduler each, every node at its own phase of the
// interval, with a bounded number of requests in flight. Pods come from
// one informer on all bound pods (a field selector per node does not scale
// to thousands of nodes), filtered by a Set of this simulator's node names,
// and are synced by a few workers over a WorkQueue, so one pod is never
// handled by two workers at once.

import { randomBytes, randomUUID } from 'node:crypto';
import { isAlreadyExists, isConflict, isNotFound, type ApiClient } from '../client/types.js';
import { Informer } from '../client/informer.js';
import { WorkQueue, runWorkers, ItemExponentialFailureRateLimiter } from '../client/workqueue.js';
import { metaNamespaceKey, objectOf, splitMetaNamespaceKey } from '../client/store.js';
import { PeriodicScheduler } from './periodic.js';
import { PodIPPool, formatCIDR, formatIPv4, nodePodCIDR, parseCIDR, parseIPv4, type CIDR } from './ip.js';
import {
  DEFAULT_CAPACITY,
  NODE_LEASE_NAMESPACE,
  buildLease,
  buildNode,
  nodeConditions,
  nodeStatus,
  reconcileExistingNode,
  renewedLease,
  type NodeShape,
  type SimNodeIdentity,
} from './node-object.js';
import { adoptSimPod, advanceSimPod, buildPodStatus, killSimPod, newerResourceVersion, newSimPod, semanticEqual, startSimPod, type SimPod, type SimRuntimeOptions } from './pod-status.js';

export interface NodeSimulatorOptions {
  /** How many nodes. */
  count: number;
  /** Node names are `<namePrefix><i>`, i from 0 (default `sim-node-`). */
  namePrefix?: string;
  /** Capacity (= allocatable), merged over the defaults: cpu 8, memory 32Gi, pods 110, ephemeral-storage 100Gi. */
  capacity?: Record<string, string>;
  /** Extra node labels (the kubelet's own and `type=kts-sim` are always set). */
  labels?: Record<string, string>;
  taints?: any[];
  /** Node i gets the i-th /24 from this range's start, and its pod IPs from that /24 (default 10.244.0.0/16). */
  podCIDRBase?: string;
  /** Node i's InternalIP is this address + i + 1 (default 10.200.0.0). */
  nodeIPBase?: string;
  /** Lease renewal period (default 10, the kubelet's). */
  heartbeatSeconds?: number;
  /** Lease duration written (default 40, the kubelet's). */
  leaseDurationSeconds?: number;
  /** Node status refresh period, as the kubelet's nodeStatusReportFrequency (default 60). */
  statusSeconds?: number;
  /** Each period is stretched by up to this fraction at random (default 0.04). */
  jitter?: number;
  /** Delay between a pod first seen and its containers running (default 0: straight to Running). */
  podStartDelayMs?: number;
  /** Delay between a deletion seen and the containers stopped, capped by the grace period (default 0). */
  podStopDelayMs?: number;
  /** First CrashLoopBackOff delay for restarted containers (default 10). */
  restartBackoffSeconds?: number;
  /** CrashLoopBackOff cap (default 300). */
  maxRestartBackoffSeconds?: number;
  /** Pod workers (default 16). */
  workers?: number;
  /** Lease renewals in flight at once; the same bound applies to node status refreshes (default 16). */
  heartbeatConcurrency?: number;
  /** Node registrations in flight at once (default 32). */
  registerConcurrency?: number;
  /** Where failures are reported (default: console.error). */
  onError?: (err: unknown, context: string) => void;
}

/** Counters, for benchmarks and tests. */
export interface NodeSimulatorStats {
  nodesRegistered: number;
  leaseRenewals: number;
  nodeStatusUpdates: number;
  podStatusWrites: number;
  podDeletes: number;
  conflicts: number;
  errors: number;
}

interface SimNode extends SimNodeIdentity {
  index: number;
  uid?: string;
  pool: PodIPPool;
  /** The Lease as last written (its resourceVersion is the next update's precondition). */
  lease?: any;
  /** When the conditions took their current values. */
  since: number;
  /** The Node object was found deleted at the last status refresh. */
  missing?: boolean;
}

interface PodRecord {
  uid: string;
  node: SimNode;
  sim: SimPod;
  /** When the containers start (first seen + podStartDelayMs). */
  runAt: number;
  /** The pod as our last status write returned it: newer than the cache until the watch catches up. */
  latest?: any;
  /** When the containers stop (deletion seen + podStopDelayMs, capped by the grace period). */
  killAt?: number;
  /** The DELETE went out; wait for the watch to confirm. */
  deleted?: boolean;
}

const POD_PATH = (ns: string, name: string) => `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}`;
/** Writes are attributed to the kubelet in managedFields, as a real one's are. */
const FIELD_MANAGER = 'kubelet';
const managed = (path: string) => `${path}?fieldManager=${FIELD_MANAGER}`;
const MAX_WRITE_ATTEMPTS = 5;

export class NodeSimulator {
  readonly stats: NodeSimulatorStats = { nodesRegistered: 0, leaseRenewals: 0, nodeStatusUpdates: 0, podStatusWrites: 0, podDeletes: 0, conflicts: 0, errors: 0 };

  private readonly nodes = new Map<string, SimNode>();
  private readonly order: SimNode[] = [];
  private readonly shape: NodeShape;
  private readonly pods = new Map<string, PodRecord>();
  private readonly queue = new WorkQueue<string>({ name: 'sim-pods', rateLimiter: new ItemExponentialFailureRateLimiter<string>(5, 10_000) });
  private readonly heartbeats: PeriodicScheduler;
  private readonly statusRefresh: PeriodicScheduler;
  private readonly runtime: SimRuntimeOptions;
  private readonly report: (err: unknown, context: string) => void;
  private informer: Informer | undefined;
  private workers: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private stopped = false;
  /** Start of the heartbeat phases: node i renews at epoch + (i/count) * interval + k * interval. */
  private epoch = 0;

  private readonly heartbeatMs: number;
  private readonly statusMs: number;
  private readonly leaseDuration: number;
  private readonly startDelay: number;
  private readonly stopDelay: number;

  constructor(
    private readonly client: ApiClient,
    private readonly opts: NodeSimulatorOptions,
  ) {
    if (!Number.isInteger(opts.count) || opts.count < 0) throw new Error(`count must be a non-negative integer, got ${opts.count}`);
    const prefix = opts.namePrefix ?? 'sim-node-';
    const podBase: CIDR = parseCIDR(opts.podCIDRBase ?? '10.244.0.0/16');
    const nodeIPBase = parseIPv4(opts.nodeIPBase ?? '10.200.0.0');
    const bootID = randomUUID();
    // Pod CIDRs run on past the base range when there are more nodes than it has /24s; they must not reach the node addresses.
    const podLo = podBase.network;
    const podHi = podBase.network + opts.count * 256;
    if (opts.count > 0 && nodeIPBase + 1 < podHi && nodeIPBase + opts.count + 1 > podLo) {
      throw new Error(`the pod CIDRs of ${opts.count} nodes from ${formatCIDR(podBase)} overlap the node addresses from ${formatIPv4(nodeIPBase)}`);
    }
    for (let i = 0; i < opts.count; i++) {
      const cidr = nodePodCIDR(podBase, i);
      const node: SimNode = {
        name: `${prefix}${i}`,
        index: i,
        podCIDR: formatCIDR(cidr),
        nodeIP: formatIPv4(nodeIPBase + i + 1),
        bootID,
        pool: new PodIPPool(cidr),
        since: Date.now(),
      };
      this.nodes.set(node.name, node);
      this.order.push(node);
    }
    this.shape = { capacity: { ...DEFAULT_CAPACITY, ...(opts.capacity ?? {}) }, labels: { ...(opts.labels ?? {}) }, taints: [...(opts.taints ?? [])] };
    this.heartbeatMs = (opts.heartbeatSeconds ?? 10) * 1000;
    this.statusMs = (opts.statusSeconds ?? 60) * 1000;
    this.leaseDuration = opts.leaseDurationSeconds ?? 40;
    this.startDelay = Math.max(0, opts.podStartDelayMs ?? 0);
    this.stopDelay = Math.max(0, opts.podStopDelayMs ?? 0);
    this.report =
      opts.onError ??
      ((err, context) => console.error(`node simulator: ${context}: ${err instanceof Error ? err.message : String(err)}`));
    const concurrency = opts.heartbeatConcurrency ?? 16;
    const onError = (context: string) => (key: string, err: unknown) => {
      this.stats.errors++;
      this.report(err, `${context} ${key}`);
    };
    this.heartbeats = new PeriodicScheduler({ intervalMs: this.heartbeatMs, jitter: opts.jitter, concurrency, run: (n) => this.renewLease(n), onError: onError('renewing the lease of') });
    this.statusRefresh = new PeriodicScheduler({ intervalMs: this.statusMs, jitter: opts.jitter, concurrency, run: (n) => this.refreshNodeStatus(n), onError: onError('updating the status of') });
    this.runtime = {
      backoffBaseMs: (opts.restartBackoffSeconds ?? 10) * 1000,
      backoffMaxMs: (opts.maxRestartBackoffSeconds ?? 300) * 1000,
      newContainerID: () => `kts-sim://${randomBytes(32).toString('hex')}`,
    };
  }

  /** The simulated nodes' names, in index order. */
  nodeNames(): string[] {
    return this.order.map((n) => n.name);
  }

  hasNode(name: string): boolean {
    return this.nodes.has(name);
  }

  /** A node's pod CIDR (`10.244.3.0/24`), or undefined for a node not simulated here. */
  podCIDR(name: string): string | undefined {
    return this.nodes.get(name)?.podCIDR;
  }

  /** A node's InternalIP, or undefined for a node not simulated here. */
  nodeIP(name: string): string | undefined {
    return this.nodes.get(name)?.nodeIP;
  }

  /** Registers the nodes and their leases, then starts heartbeats and the pod workers. Resolves once every node is registered. */
  start(): Promise<void> {
    if (this.starting) return this.starting;
    this.starting = this.run();
    return this.starting;
  }

  private async run(): Promise<void> {
    this.epoch = performance.now();
    await mapLimit(this.order, this.opts.registerConcurrency ?? 32, async (node) => {
      if (this.stopped) return;
      await this.registerNode(node);
      // An in-process client never leaves the microtask queue: every worker
      // yields to the event loop so timers (the first heartbeats) still run.
      await yieldToEventLoop();
      if (this.stopped) return;
      this.heartbeats.add(node.name, this.firstDelay(node, this.heartbeatMs));
      this.statusRefresh.add(node.name, this.firstDelay(node, this.statusMs));
    });
    if (this.stopped) return;
    // Pods are watched once the nodes (and so their pod CIDRs) are final: the
    // first list reserves the addresses of pods a previous simulator started.
    this.informer = new Informer(this.client, '/api/v1/pods', {
      fieldSelector: 'spec.nodeName!=',
      transform: (o: any) => {
        if (o?.metadata?.managedFields) delete o.metadata.managedFields;
        return o;
      },
      onError: (err, context) => this.report(err, `pod informer: ${context}`),
    });
    this.informer.addEventHandler({
      onAdd: (pod, initial) => {
        if (!this.nodes.has(pod?.spec?.nodeName)) return;
        if (initial) this.reserveExistingIP(pod);
        this.queue.add(metaNamespaceKey(pod));
      },
      onUpdate: (oldPod, pod) => {
        if (oldPod === pod || !this.nodes.has(pod?.spec?.nodeName)) return;
        this.queue.add(metaNamespaceKey(pod));
      },
      onDelete: (obj) => {
        const pod = objectOf(obj);
        if (!this.nodes.has(pod?.spec?.nodeName)) return;
        this.queue.add(metaNamespaceKey(pod));
      },
    });
    this.informer.start();
    await this.informer.waitForSync();
    if (this.stopped) return;
    this.workers = runWorkers(this.queue, this.opts.workers ?? 16, async (key) => {
      try {
        await this.syncPod(key);
      } finally {
        // As during registration: do not starve the heartbeat timers when the client is in-process.
        await yieldToEventLoop();
      }
    }, {
      onError: (key, err) => {
        this.stats.errors++;
        this.report(err, `syncing pod ${key}`);
      },
    });
  }

  /** Stops heartbeats, the informer and the workers, waiting for requests in flight. Nodes and leases stay, as when a kubelet stops. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.informer?.stop();
    await this.starting?.catch(() => {});
    await Promise.all([this.heartbeats.stop(), this.statusRefresh.stop()]);
    if (this.workers) {
      await this.queue.shutDownWithDrain();
      await this.workers;
    } else {
      this.queue.shutDown(); // stopped before the workers started: nothing will drain it
    }
  }

  /** Node i's next slot: phase (i/count) of the interval after the epoch. */
  private firstDelay(node: SimNode, interval: number): number {
    const phase = (node.index / Math.max(1, this.order.length)) * interval;
    const elapsed = performance.now() - this.epoch;
    let due = phase;
    while (due <= elapsed) due += interval;
    return due - elapsed;
  }

  // ---- nodes and leases ----

  private async registerNode(node: SimNode): Promise<void> {
    const now = Date.now();
    node.since = now;
    let registered: any;
    try {
      registered = await this.client.create(managed('/api/v1/nodes'), buildNode(node, this.shape, now));
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      registered = await this.updateExistingNode(node, now);
    }
    node.uid = registered?.metadata?.uid;
    // An existing node may carry another pod CIDR: it is immutable, so use it.
    const cidr = registered?.spec?.podCIDR;
    if (cidr && cidr !== node.podCIDR) {
      node.podCIDR = cidr;
      node.pool = new PodIPPool(parseCIDR(cidr));
    }
    await this.ensureLease(node);
    this.stats.nodesRegistered++;
  }

  private async updateExistingNode(node: SimNode, now: number): Promise<any> {
    const path = `/api/v1/nodes/${encodeURIComponent(node.name)}`;
    for (let attempt = 0; ; attempt++) {
      const existing = await this.client.get(path);
      const wanted = reconcileExistingNode(existing, node, this.shape);
      try {
        const updated = await this.client.update(managed(path), wanted);
        updated.status = nodeStatus(node, this.shape, now, now);
        return await this.client.update(managed(`${path}/status`), updated);
      } catch (e) {
        if (!isConflict(e) || attempt >= MAX_WRITE_ATTEMPTS) throw e;
        this.stats.conflicts++;
      }
    }
  }

  private leasePath(name: string): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases/${encodeURIComponent(name)}`;
  }

  private async ensureLease(node: SimNode): Promise<void> {
    try {
      node.lease = await this.client.create(managed(`/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases`), buildLease(node.name, node.uid, this.leaseDuration, new Date()));
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      node.lease = await this.client.get(this.leasePath(node.name));
      await this.renewLease(node.name);
    }
  }

  /** One heartbeat: update the lease from the copy last written; on conflict re-read once, on 404 re-create. */
  private async renewLease(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node || this.stopped) return;
    if (!node.lease) return this.ensureLease(node);
    for (let attempt = 0; ; attempt++) {
      try {
        node.lease = await this.client.update(managed(this.leasePath(name)), renewedLease(node.lease, name, node.uid, this.leaseDuration, new Date()));
        this.stats.leaseRenewals++;
        return;
      } catch (e) {
        if (isNotFound(e)) {
          node.lease = undefined;
          return this.ensureLease(node);
        }
        if (!isConflict(e) || attempt >= 1) throw e;
        this.stats.conflicts++;
        node.lease = await this.client.get(this.leasePath(name));
      }
    }
  }

  /** Re-posts the conditions with a fresh lastHeartbeatTime (a strategic merge patch on conditions only, as the kubelet sends). */
  private async refreshNodeStatus(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node || this.stopped) return;
    try {
      await this.client.patch(managed(`/api/v1/nodes/${encodeURIComponent(name)}/status`), { status: { conditions: nodeConditions(Date.now(), node.since) } }, 'strategic');
    } catch (e) {
      // Someone deleted the Node. A kubelet does not register again either; say so once, not every period.
      if (!isNotFound(e)) throw e;
      if (!node.missing) {
        node.missing = true;
        this.stats.errors++;
        this.report(e, `updating the status of ${name}`);
      }
      return;
    }
    node.missing = false;
    this.stats.nodeStatusUpdates++;
  }

  // ---- pods ----

  /** At the first list, existing pods keep their IPs (a restarted simulator must not hand them out twice). */
  private reserveExistingIP(pod: any): void {
    const ip = pod?.status?.podIP;
    const phase = pod?.status?.phase;
    if (!ip || phase === 'Succeeded' || phase === 'Failed' || pod.spec?.hostNetwork) return;
    this.nodes.get(pod.spec.nodeName)?.pool.reserve(ip, pod.metadata.uid);
  }

  private forget(key: string): void {
    const rec = this.pods.get(key);
    if (!rec) return;
    if (rec.sim.podIP) rec.node.pool.release(rec.sim.podIP, rec.uid);
    this.pods.delete(key);
  }

  private async syncPod(key: string): Promise<void> {
    if (this.stopped) return;
    const cached = this.informer?.get(key);
    let rec = this.pods.get(key);
    if (!cached || !this.nodes.has(cached.spec?.nodeName)) {
      this.forget(key);
      return;
    }
    if (rec && rec.uid !== cached.metadata?.uid) {
      this.forget(key);
      rec = undefined;
    }
    let pod = cached;
    if (rec?.latest) {
      if (newerResourceVersion(rec.latest, cached)) pod = rec.latest;
      else rec.latest = undefined; // the cache caught up: do not hold a second copy
    }
    const now = Date.now();
    if (!rec) {
      const node = this.nodes.get(pod.spec.nodeName)!;
      const adopted = adoptSimPod(pod, node.nodeIP, now, this.runtime);
      if (adopted?.podIP && !adopted.terminal && !pod.spec?.hostNetwork) node.pool.reserve(adopted.podIP, adopted.uid);
      rec = { uid: pod.metadata.uid, node, sim: adopted ?? newSimPod(pod, now, node.nodeIP), runAt: adopted ? now : now + this.startDelay };
      this.pods.set(key, rec);
    }
    if (rec.deleted) return;
    if (pod.metadata.deletionTimestamp) return this.syncTerminating(key, pod, rec, now);
    const phase = pod.status?.phase;
    if (rec.sim.terminal || phase === 'Succeeded' || phase === 'Failed') {
      // The kubelet leaves a finished pod alone; its address goes back to the pool.
      if (rec.sim.podIP) rec.node.pool.release(rec.sim.podIP, rec.uid);
      return;
    }

    let wake: number | undefined;
    if (!rec.sim.sandboxReady) {
      if (now < rec.runAt) {
        // Not started yet: report Pending with containers being created, then come back.
        await this.writeStatus(key, pod, rec, now);
        this.queue.addAfter(key, rec.runAt - now);
        return;
      }
      startSimPod(rec.sim, now, this.podIPFor(pod, rec), this.runtime);
    }
    wake = advanceSimPod(rec.sim, pod, now, this.runtime);
    if (rec.sim.terminal && rec.sim.podIP) rec.node.pool.release(rec.sim.podIP, rec.uid);
    await this.writeStatus(key, pod, rec, now);
    if (wake !== undefined && !this.stopped) this.queue.addAfter(key, Math.max(1, wake - Date.now()));
  }

  private podIPFor(pod: any, rec: PodRecord): string {
    if (pod.spec?.hostNetwork) return rec.node.nodeIP;
    const ip = rec.node.pool.allocate(rec.uid);
    if (!ip) throw new Error(`no free pod IP in ${rec.node.podCIDR} on node ${rec.node.name}`);
    return ip;
  }

  /** Graceful deletion: stop the containers (after the stop delay), report them stopped, then delete with grace period 0. */
  private async syncTerminating(key: string, pod: any, rec: PodRecord, now: number): Promise<void> {
    if (rec.killAt === undefined) {
      const graceMs = Math.max(0, (pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000);
      rec.killAt = now + Math.min(this.stopDelay, graceMs);
    }
    if (now < rec.killAt) {
      this.queue.addAfter(key, rec.killAt - now);
      return;
    }
    const wasRunning = rec.sim.sandboxReady && !rec.sim.terminal;
    if (wasRunning) {
      killSimPod(rec.sim, pod, now);
      await this.writeStatus(key, pod, rec, now, true);
    }
    if (rec.sim.podIP) rec.node.pool.release(rec.sim.podIP, rec.uid);
    const { namespace, name } = splitMetaNamespaceKey(key);
    try {
      await this.client.delete(POD_PATH(namespace, name), { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: rec.uid } });
      this.stats.podDeletes++;
    } catch (e) {
      // Gone already, or replaced by a new pod of the same name: nothing left to do.
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
    rec.deleted = true;
  }

  /**
   * PUT /status when the computed status differs from the pod's. On a
   * conflict, re-read the pod and compute again (another writer may have
   * added conditions the status must keep).
   */
  private async writeStatus(key: string, pod: any, rec: PodRecord, now: number, podIsTerminal = false): Promise<void> {
    let current = pod;
    for (let attempt = 0; ; attempt++) {
      const status = buildPodStatus(current, rec.sim, now, podIsTerminal);
      if (semanticEqual(status, current.status)) return;
      try {
        rec.latest = await this.client.update(managed(`${POD_PATH(current.metadata.namespace, current.metadata.name)}/status`), { ...current, status });
        this.stats.podStatusWrites++;
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e) || attempt + 1 >= MAX_WRITE_ATTEMPTS) throw e;
        this.stats.conflicts++;
      }
      try {
        current = await this.client.get(POD_PATH(pod.metadata.namespace, pod.metadata.name));
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      if (current.metadata?.uid !== rec.uid) return;
      rec.latest = current;
      if (current.metadata.deletionTimestamp && !podIsTerminal) {
        // Deleted meanwhile: the terminating path takes over.
        this.queue.add(key);
        return;
      }
    }
  }
}


function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs `fn` over `items` with at most `limit` in flight; rejects with the first failure after all settled. */
async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let firstError: unknown;
  let failed = false;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (e) {
        if (!failed) {
          failed = true;
          firstError = e;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker()));
  if (failed) throw firstError;
}
