// The node lifecycle controller (upstream pkg/controller/nodelifecycle)
// with taint-based eviction (pkg/controller/tainteviction), keyed by node
// name.
//
// Health: a node is healthy while its kubelet heartbeats, either by
// renewing its Lease in `kube-node-lease` or by bumping the Ready
// condition's lastHeartbeatTime. As upstream, the controller remembers the
// local time at which it last saw either change (the probe time), so
// clock skew between kubelet and controller does not matter; a node whose
// probe time is older than the grace period gets its conditions set to
// Unknown through the nodes/status subresource.
//
// Taints follow the Ready condition: Unknown gives
// node.kubernetes.io/unreachable, False gives node.kubernetes.io/not-ready
// (each NoExecute with timeAdded, and NoSchedule); True removes both.
//
// Eviction: a pod on a node with NoExecute taints it does not tolerate is
// deleted at once; a pod that tolerates them all is deleted when the
// smallest matching tolerationSeconds has passed since the taint's
// timeAdded (no tolerationSeconds: never). Pods on an unreachable node are
// also marked Ready=False.
//
// A timer enqueues every node each monitor period; Lease and pod events
// enqueue their node; a pending toleration deadline re-enqueues the node
// when it falls due. The sync is level-triggered and idempotent.

import type { Node, NodeCondition, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { ApiClient } from '../client/types.js';
import { isConflict, isNotFound } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { clone, objectOf, type DeletedFinalStateUnknown } from '../client/store.js';
import { QueueController, type ControllerOptions } from './base.js';
import { ApiEventRecorder, type EventRecorder } from './events.js';
import { errorMessage, nowRFC3339, parseTime, podsPath } from './util.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const DEFAULT_NODE_MONITOR_PERIOD_MS = 5000;
export const DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS = 40000;
/** The conditions a kubelet posts that become Unknown when it stops posting. */
export const NODE_CONDITION_TYPES = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];
export const POD_NODE_NAME_INDEX = 'spec.nodeName';

/** Indexes pods by the node they are bound to. */
export function podNodeNameIndexFunc(pod: Pod): string[] {
  return pod.spec?.nodeName ? [pod.spec.nodeName] : [];
}

export interface NodeLifecycleControllerOptions extends ControllerOptions {
  /** How often every node is checked (default 5 s). */
  nodeMonitorPeriodMs?: number;
  /** How long a node may go without a heartbeat before it is Unknown (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  recorder?: EventRecorder;
  now?: () => number;
}

interface NodeHealth {
  /** Local time of the last observed heartbeat change. */
  probeMs: number;
  readyHeartbeat: string;
  leaseRenew: string;
}

export class NodeLifecycleController extends QueueController {
  readonly recorder: EventRecorder;
  private readonly nodeInformer: Informer<Node>;
  private readonly leaseInformer: Informer<Lease>;
  private readonly podInformer: Informer<Pod>;
  private readonly periodMs: number;
  private readonly graceMs: number;
  private readonly now: () => number;
  private readonly health = new Map<string, NodeHealth>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    opts: NodeLifecycleControllerOptions = {},
  ) {
    super('nodelifecycle', opts);
    this.periodMs = opts.nodeMonitorPeriodMs ?? DEFAULT_NODE_MONITOR_PERIOD_MS;
    this.graceMs = opts.nodeMonitorGracePeriodMs ?? DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS;
    this.now = opts.now ?? Date.now;
    this.recorder = opts.recorder ?? new ApiEventRecorder(client, 'node-controller');
    this.nodeInformer = factory.informerFor<Node>('/api/v1/nodes');
    this.leaseInformer = factory.informerFor<Lease>(`/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases`);
    this.podInformer = factory.informerFor<Pod>('/api/v1/pods', { indexers: { [POD_NODE_NAME_INDEX]: podNodeNameIndexFunc } });
    this.registrations.push(
      this.nodeInformer.addEventHandler({
        onAdd: (n) => this.enqueueName(n.metadata?.name),
        onUpdate: (_o, n) => this.enqueueName(n.metadata?.name),
        onDelete: (obj) => this.enqueueName(objectOf(obj).metadata?.name),
      }),
      this.leaseInformer.addEventHandler({
        onAdd: (l) => this.enqueueName(l.metadata?.name),
        onUpdate: (o, l) => {
          if (o.spec?.renewTime !== l.spec?.renewTime) this.enqueueName(l.metadata?.name);
        },
      }),
      this.podInformer.addEventHandler({
        onAdd: (p) => this.enqueueName(p.spec?.nodeName),
        onUpdate: (o, p) => {
          if (o.spec?.nodeName !== p.spec?.nodeName || !sameTolerations(o, p)) this.enqueueName(p.spec?.nodeName);
        },
      }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.nodeInformer, this.leaseInformer, this.podInformer];
  }

  override run(workers = this.opts.workers ?? 1): Promise<void> {
    this.timer ??= setInterval(() => {
      for (const n of this.nodeInformer.list()) this.enqueueName(n.metadata?.name);
    }, this.periodMs);
    return super.run(workers);
  }

  override async stop(): Promise<void> {
    clearInterval(this.timer);
    await super.stop();
  }

  private enqueueName(name: string | undefined): void {
    if (name) this.enqueue(name);
  }

  // ---- sync ----

  protected async sync(name: string): Promise<void> {
    let node = this.nodeInformer.getByName('', name);
    if (!node) {
      this.health.delete(name);
      return;
    }
    const now = this.now();
    const lease = this.leaseInformer.getByName(NODE_LEASE_NAMESPACE, name);
    const ready = readyCondition(node);
    const observed = { readyHeartbeat: ready?.lastHeartbeatTime ?? '', leaseRenew: lease?.spec?.renewTime ?? '' };
    let h = this.health.get(name);
    if (!h || h.readyHeartbeat !== observed.readyHeartbeat || h.leaseRenew !== observed.leaseRenew) {
      h = { probeMs: now, ...observed };
      this.health.set(name, h);
    }

    if (now - h.probeMs > this.graceMs) {
      const status = markConditionsUnknown(node, now);
      if (status) node = await this.writeStatus(node, status);
    } else {
      // Check again just after the grace period would run out.
      this.queue.addAfter(name, Math.max(h.probeMs + this.graceMs - now + 1, 1));
    }

    node = await this.reconcileTaints(node, now);
    if (readyCondition(node)?.status === 'Unknown') await this.markPodsNotReady(node, now);
    await this.evictPods(node, now);
  }

  private async writeStatus(node: Node, status: any): Promise<Node> {
    const path = `/api/v1/nodes/${encodeURIComponent(node.metadata!.name!)}/status`;
    const updated = await this.client.update(path, { ...node, status });
    this.recorder.event({ ...updated, kind: 'Node', apiVersion: 'v1' }, 'Normal', 'NodeNotReady', `Node ${node.metadata!.name} status is now: NodeNotReady`);
    return updated;
  }

  /** Makes the node's controller taints match its Ready condition; retries on conflict. */
  private async reconcileTaints(node: Node, now: number): Promise<Node> {
    let cur: any = node;
    for (let attempt = 0; ; attempt++) {
      const taints = desiredTaints(cur, now);
      if (!taints) return cur;
      const updated = clone(cur);
      updated.spec = { ...(updated.spec ?? {}), taints };
      if (taints.length === 0) delete updated.spec.taints;
      try {
        return await this.client.update(`/api/v1/nodes/${encodeURIComponent(cur.metadata.name)}`, updated);
      } catch (e) {
        if (!isConflict(e) || attempt >= 2) throw e;
        cur = await this.client.get(`/api/v1/nodes/${encodeURIComponent(cur.metadata.name)}`);
      }
    }
  }

  private podsOn(node: Node): Pod[] {
    return this.podInformer.byIndex(POD_NODE_NAME_INDEX, node.metadata!.name!);
  }

  /** Upstream's MarkPodsNotReady: the kubelet cannot, so the controller says the pods are not ready. */
  private async markPodsNotReady(node: Node, now: number): Promise<void> {
    const errors: unknown[] = [];
    for (const pod of this.podsOn(node)) {
      if (pod.metadata?.deletionTimestamp) continue;
      const conds = pod.status?.conditions ?? [];
      const i = conds.findIndex((c) => c.type === 'Ready');
      if (i < 0 || conds[i].status === 'False') continue;
      const status: any = clone(pod.status ?? {});
      status.conditions[i] = { ...status.conditions[i], status: 'False', lastTransitionTime: nowRFC3339(now) };
      try {
        await this.client.update(`${podsPath(pod.metadata!.namespace!)}/${encodeURIComponent(pod.metadata!.name!)}/status`, { ...pod, status });
        this.recorder.event({ ...pod, kind: 'Pod', apiVersion: 'v1' }, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (e) {
        if (!isNotFound(e)) errors.push(e);
      }
    }
    if (errors.length) throw errors[0];
  }

  /** Taint-based eviction of the node's pods; schedules the next toleration deadline. */
  private async evictPods(node: Node, now: number): Promise<void> {
    const taints = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
    if (taints.length === 0) return;
    let next = Infinity;
    const errors: unknown[] = [];
    for (const pod of this.podsOn(node)) {
      if (pod.metadata?.deletionTimestamp) continue;
      const at = evictionTime(pod, taints, now);
      if (at === undefined) continue;
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      try {
        this.recorder.event({ ...pod, kind: 'Pod', apiVersion: 'v1' }, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${pod.metadata!.namespace}/${pod.metadata!.name}`);
        await this.client.delete(`${podsPath(pod.metadata!.namespace!)}/${encodeURIComponent(pod.metadata!.name!)}`, {});
      } catch (e) {
        if (!isNotFound(e)) errors.push(new Error(`evicting pod ${pod.metadata!.namespace}/${pod.metadata!.name}: ${errorMessage(e)}`));
      }
    }
    if (next !== Infinity) this.queue.addAfter(node.metadata!.name!, next - now + 1);
    if (errors.length) throw errors[0];
  }
}

// ---- pure parts (exported for tests) ----

function readyCondition(node: Node): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready');
}

function sameTolerations(a: Pod, b: Pod): boolean {
  return JSON.stringify(a.spec?.tolerations ?? []) === JSON.stringify(b.spec?.tolerations ?? []);
}

/**
 * The node status with every kubelet condition Unknown (missing ones
 * added as never posted), or undefined when they already are.
 */
export function markConditionsUnknown(node: Node, now: number): any | undefined {
  const status: any = clone(node.status ?? {});
  const conditions: any[] = status.conditions ?? [];
  const t = nowRFC3339(now);
  let changed = false;
  for (const type of NODE_CONDITION_TYPES) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      conditions.push({
        type,
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: node.metadata?.creationTimestamp ?? t,
        lastTransitionTime: t,
      });
      changed = true;
    } else if (c.status !== 'Unknown') {
      c.status = 'Unknown';
      c.reason = 'NodeStatusUnknown';
      c.message = 'Kubelet stopped posting node status.';
      c.lastTransitionTime = t;
      changed = true;
    }
  }
  if (!changed) return undefined;
  status.conditions = conditions;
  return status;
}

/**
 * The node's taints with the controller's unreachable/not-ready taints
 * matching its Ready condition, or undefined when nothing changes.
 * Existing taints keep their timeAdded.
 */
export function desiredTaints(node: Node, now: number): Taint[] | undefined {
  const ready = readyCondition(node)?.status;
  const key = ready === 'Unknown' ? TAINT_NODE_UNREACHABLE : ready === 'False' ? TAINT_NODE_NOT_READY : undefined;
  const current = node.spec?.taints ?? [];
  const ours = (t: Taint) => t.key === TAINT_NODE_UNREACHABLE || t.key === TAINT_NODE_NOT_READY;
  const kept = current.filter((t) => !ours(t) || (t.key === key && (t.effect === 'NoExecute' || t.effect === 'NoSchedule')));
  const out = [...kept];
  if (key) {
    if (!kept.some((t) => t.key === key && t.effect === 'NoSchedule')) out.push({ key, effect: 'NoSchedule' });
    if (!kept.some((t) => t.key === key && t.effect === 'NoExecute')) out.push({ key, effect: 'NoExecute', timeAdded: nowRFC3339(now) });
  }
  // Duplicates of our taints (same key and effect) collapse to the first.
  const seen = new Set<string>();
  const dedup = out.filter((t) => {
    if (!ours(t)) return true;
    const k = `${t.key}:${t.effect}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  if (dedup.length === current.length && dedup.every((t, i) => t === current[i])) return undefined;
  return dedup;
}

/** Upstream's Toleration.ToleratesTaint. */
export function toleratesTaint(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key && tol.key !== taint.key) return false;
  switch (tol.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (tol.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

/**
 * When the pod must be evicted because of the node's NoExecute taints:
 * `now` if some taint is not tolerated; the earliest timeAdded +
 * tolerationSeconds over the taints (each using the smallest matching
 * tolerationSeconds); undefined when every taint is tolerated forever.
 */
export function evictionTime(pod: Pod, noExecuteTaints: Taint[], now: number): number | undefined {
  const tolerations = pod.spec?.tolerations ?? [];
  let at: number | undefined;
  for (const taint of noExecuteTaints) {
    const matching = tolerations.filter((t) => toleratesTaint(t, taint));
    if (matching.length === 0) return now;
    let seconds = Infinity;
    for (const t of matching) {
      if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
      seconds = Math.min(seconds, Math.max(t.tolerationSeconds, 0));
    }
    if (seconds === Infinity) continue;
    const added = parseTime(taint.timeAdded) || now;
    const due = added + seconds * 1000;
    at = at === undefined ? due : Math.min(at, due);
  }
  return at;
}
