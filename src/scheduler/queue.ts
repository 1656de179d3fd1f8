// The scheduling queue (upstream's PriorityQueue), three places a pending pod
// can wait:
//
//   activeQ         ready to be tried; a heap by priority (higher first),
//                   then arrival;
//   backoffQ        failed recently; waits 1 s doubling per attempt up to
//                   10 s, then moves to activeQ (one timer for the earliest
//                   expiry, no polling);
//   unschedulable   failed because no node fits; stays until a cluster
//                   event that could help one of the plugins that rejected
//                   it (node added or changed, assigned pod added, changed
//                   or deleted), or until the periodic flush (a pod waits at
//                   most `maxUnschedulableMs`, checked every
//                   `flushIntervalMs`) as upstream's safety net.
//
// A pod handed out by pop() is "in flight" until done() or one of the
// add*() calls after its attempt. If an event that could help it arrives
// while it is in flight, a failure of that attempt goes to backoffQ instead
// of unschedulable, so an event that raced with the attempt is not lost.
//
// The queue also keeps the nominator: which pending pods are nominated to
// which node after preemption (status.nominatedNodeName).

import type { NominatedPod } from './framework.js';
import type { NodeChange } from './node-info.js';
import { PodInfo, podKey } from './pod-info.js';
import { INTER_POD_AFFINITY } from './plugins/inter-pod-affinity.js';
import { NODE_AFFINITY } from './plugins/node-affinity.js';
import { NODE_PORTS } from './plugins/node-ports.js';
import { NODE_RESOURCES_FIT } from './plugins/node-resources-fit.js';
import { NODE_UNSCHEDULABLE } from './plugins/node-unschedulable.js';
import { POD_TOPOLOGY_SPREAD } from './plugins/pod-topology-spread.js';
import { TAINT_TOLERATION } from './plugins/taint-toleration.js';

export interface QueuedPodInfo {
  readonly key: string;
  pod: any;
  podInfo: PodInfo;
  priority: number;
  /** When the pod first entered the queue (ordering among equal priorities, latency). */
  readonly timestamp: number;
  /** Scheduling attempts so far (incremented by pop). */
  attempts: number;
  /** When the last attempt failed (start of the back-off). */
  lastFailure: number;
  /** Plugins that rejected the pod in its last attempt; empty: any event may help. */
  unschedulablePlugins: Set<string>;
  /** When it entered the unschedulable set. */
  unschedulableSince: number;
  /** The scheduling cycle of its current attempt. */
  cycle: number;
  /** A relevant update of the pod arrived during its attempt. */
  updatedInFlight: boolean;
}

export type ClusterEvent =
  | { kind: 'NodeAdd' }
  | { kind: 'NodeUpdate'; change: NodeChange }
  | { kind: 'AssignedPodAdd' }
  | { kind: 'AssignedPodUpdate' }
  | { kind: 'AssignedPodDelete' }
  | { kind: 'NamespaceUpdate' }
  | { kind: 'UnschedulableTimeout' }
  | { kind: 'ForceActivate' };

const ALL = 'all' as const;

/** The plugins whose rejections an event may resolve. */
export function pluginsHelpedBy(ev: ClusterEvent): Set<string> | typeof ALL {
  switch (ev.kind) {
    case 'NodeAdd':
    case 'UnschedulableTimeout':
    case 'ForceActivate':
      return ALL;
    case 'NodeUpdate': {
      const s = new Set<string>();
      const c = ev.change;
      if (c.allocatable) s.add(NODE_RESOURCES_FIT);
      if (c.labels) {
        s.add(NODE_AFFINITY);
        s.add(POD_TOPOLOGY_SPREAD);
        s.add(INTER_POD_AFFINITY);
      }
      if (c.taints || c.ready) s.add(TAINT_TOLERATION);
      if (c.unschedulable) s.add(NODE_UNSCHEDULABLE);
      return s;
    }
    case 'AssignedPodAdd':
    case 'AssignedPodUpdate':
      return new Set([INTER_POD_AFFINITY, POD_TOPOLOGY_SPREAD]);
    case 'AssignedPodDelete':
      return new Set([NODE_RESOURCES_FIT, NODE_PORTS, INTER_POD_AFFINITY, POD_TOPOLOGY_SPREAD]);
    case 'NamespaceUpdate':
      return new Set([INTER_POD_AFFINITY]);
  }
}

/** A binary heap with removal and re-positioning by key. */
export class KeyedHeap<T extends { key: string }> {
  private items: T[] = [];
  private index = new Map<string, number>();

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  get(key: string): T | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.items[i];
  }

  peek(): T | undefined {
    return this.items[0];
  }

  /** Adds, or re-positions an item already present under the same key. */
  push(item: T): void {
    const i = this.index.get(item.key);
    if (i !== undefined) {
      this.items[i] = item;
      this.fix(i);
      return;
    }
    this.items.push(item);
    this.index.set(item.key, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    if (this.items.length === 0) return undefined;
    const top = this.items[0];
    this.removeAt(0);
    return top;
  }

  delete(key: string): T | undefined {
    const i = this.index.get(key);
    if (i === undefined) return undefined;
    const item = this.items[i];
    this.removeAt(i);
    return item;
  }

  values(): T[] {
    return [...this.items];
  }

  private removeAt(i: number): void {
    const lastIndex = this.items.length - 1;
    this.index.delete(this.items[i].key);
    const last = this.items.pop()!;
    if (i === lastIndex) return;
    this.items[i] = last;
    this.index.set(last.key, i);
    this.fix(i);
  }

  private fix(i: number): void {
    if (!this.up(i)) this.down(i);
  }

  private swap(i: number, j: number): void {
    const a = this.items[i];
    const b = this.items[j];
    this.items[i] = b;
    this.items[j] = a;
    this.index.set(b.key, i);
    this.index.set(a.key, j);
  }

  private up(i: number): boolean {
    let moved = false;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(this.items[i], this.items[p])) break;
      this.swap(i, p);
      i = p;
      moved = true;
    }
    return moved;
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(this.items[l], this.items[m])) m = l;
      if (r < n && this.less(this.items[r], this.items[m])) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}

/** Pending pods nominated to nodes (after preemption), by node. */
export class Nominator {
  private readonly byNode = new Map<string, Map<string, NominatedPod>>();
  private readonly nodeOf = new Map<string, string>();

  set(pod: PodInfo, priority: number, nodeName: string): void {
    this.delete(pod.key);
    if (!nodeName) return;
    let m = this.byNode.get(nodeName);
    if (!m) this.byNode.set(nodeName, (m = new Map()));
    m.set(pod.key, { pod, priority });
    this.nodeOf.set(pod.key, nodeName);
  }

  delete(key: string): void {
    const node = this.nodeOf.get(key);
    if (node === undefined) return;
    this.nodeOf.delete(key);
    const m = this.byNode.get(node);
    m?.delete(key);
    if (m && m.size === 0) this.byNode.delete(node);
  }

  nodeFor(key: string): string | undefined {
    return this.nodeOf.get(key);
  }

  forNode(nodeName: string): NominatedPod[] | undefined {
    // Asked for every node filtered; nominations are rare.
    if (this.byNode.size === 0) return undefined;
    const m = this.byNode.get(nodeName);
    return m ? [...m.values()] : undefined;
  }
}

export interface QueueOptions {
  priorityOf: (pod: any) => number;
  /** First back-off (default 1 s); doubles per attempt. */
  initialBackoffMs?: number;
  /** Back-off cap (default 10 s). */
  maxBackoffMs?: number;
  /** Longest a pod stays unschedulable without an event (default 60 s). */
  maxUnschedulableMs?: number;
  /** How often that is checked (default 30 s). */
  flushIntervalMs?: number;
  now?: () => number;
}

type Where = 'active' | 'backoff' | 'unschedulable' | 'inflight';

/** Spec, labels or annotations changed (not just status): the pod may now fit where it did not. */
export function isSchedulingRelevantUpdate(oldPod: any, newPod: any): boolean {
  if (oldPod === newPod) return false;
  const o = oldPod?.metadata ?? {};
  const n = newPod?.metadata ?? {};
  return JSON.stringify(o.labels ?? {}) !== JSON.stringify(n.labels ?? {}) || JSON.stringify(o.annotations ?? {}) !== JSON.stringify(n.annotations ?? {}) || JSON.stringify(oldPod?.spec) !== JSON.stringify(newPod?.spec);
}

export class SchedulingQueue {
  readonly nominator = new Nominator();
  private readonly active: KeyedHeap<QueuedPodInfo>;
  private readonly backoff: KeyedHeap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  private readonly inflight = new Map<string, QueuedPodInfo>();
  private readonly where = new Map<string, Where>();
  private waiters: Array<(q: QueuedPodInfo | undefined) => void> = [];
  private closed = false;
  private cycle = 0;
  /** The last cycle in which an event that helps every plugin arrived. */
  private moveAllCycle = -1;
  /** The last cycle in which an event helping each plugin arrived. */
  private readonly moveCycleByPlugin = new Map<string, number>();
  private backoffTimer: NodeJS.Timeout | undefined;
  private backoffTimerAt = Infinity;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: QueueOptions) {
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 60_000;
    this.now = opts.now ?? Date.now;
    this.active = new KeyedHeap((a, b) => a.priority > b.priority || (a.priority === b.priority && a.timestamp < b.timestamp));
    this.backoff = new KeyedHeap((a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
    const flushMs = opts.flushIntervalMs ?? 30_000;
    if (flushMs > 0) {
      this.flushTimer = setInterval(() => this.flushUnschedulableLeftover(), flushMs);
      this.flushTimer.unref?.();
    }
  }

  // ---- introspection ----

  get schedulingCycle(): number {
    return this.cycle;
  }

  /** Where a pod waits: 'active', 'backoff', 'unschedulable', 'inflight', or undefined. */
  locate(podOrKey: any): Where | undefined {
    return this.where.get(typeof podOrKey === 'string' ? podOrKey : podKey(podOrKey));
  }

  counts(): { active: number; backoff: number; unschedulable: number; inflight: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, inflight: this.inflight.size };
  }

  /** Pods waiting anywhere (including in flight). */
  get size(): number {
    return this.where.size;
  }

  // ---- pods from the informer ----

  /** A pending pod appeared (or a newer version of one already queued). */
  add(pod: any): void {
    if (this.closed) return;
    const key = podKey(pod);
    if (this.where.has(key)) {
      this.update(pod);
      return;
    }
    const pi = new PodInfo(pod);
    const q: QueuedPodInfo = {
      key,
      pod,
      podInfo: pi,
      priority: this.opts.priorityOf(pod),
      timestamp: this.now(),
      attempts: 0,
      lastFailure: 0,
      unschedulablePlugins: new Set(),
      unschedulableSince: 0,
      cycle: 0,
      updatedInFlight: false,
    };
    this.syncNomination(q);
    this.pushActive(q);
  }

  update(pod: any): void {
    if (this.closed) return;
    const key = podKey(pod);
    const where = this.where.get(key);
    if (!where) {
      this.add(pod);
      return;
    }
    const q = this.find(key, where)!;
    const relevant = isSchedulingRelevantUpdate(q.pod, pod);
    const oldPod = q.pod;
    q.pod = pod;
    if (relevant) q.podInfo = new PodInfo(pod);
    q.priority = this.opts.priorityOf(pod);
    this.syncNomination(q, oldPod);
    switch (where) {
      case 'active':
        this.active.push(q);
        break;
      case 'backoff':
        this.backoff.push(q);
        break;
      case 'inflight':
        if (relevant) q.updatedInFlight = true;
        break;
      case 'unschedulable':
        if (relevant) {
          this.unschedulable.delete(key);
          this.requeue(q);
        }
        break;
    }
  }

  delete(podOrKey: any): void {
    const key = typeof podOrKey === 'string' ? podOrKey : podKey(podOrKey);
    const where = this.where.get(key);
    this.nominator.delete(key);
    if (!where) return;
    this.where.delete(key);
    if (where === 'active') this.active.delete(key);
    else if (where === 'backoff') this.backoff.delete(key);
    else if (where === 'unschedulable') this.unschedulable.delete(key);
    else this.inflight.delete(key);
  }

  // ---- the scheduling loop's side ----

  /** The next pod to try, waiting if none is ready; undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    const q = this.tryPop();
    if (q || this.closed) return Promise.resolve(q);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The next pod to try, if one is ready now. */
  tryPop(): QueuedPodInfo | undefined {
    if (this.closed) return undefined;
    const q = this.active.pop();
    if (!q) return undefined;
    this.cycle++;
    q.attempts++;
    q.cycle = this.cycle;
    q.updatedInFlight = false;
    this.inflight.set(q.key, q);
    this.where.set(q.key, 'inflight');
    return q;
  }

  /** The attempt ended with the pod bound or dropped: it leaves the queue. */
  done(key: string): void {
    if (this.where.get(key) !== 'inflight') return;
    this.inflight.delete(key);
    this.where.delete(key);
  }

  /**
   * The attempt found no node. The pod waits for a cluster event, unless one
   * already arrived during the attempt (then it only backs off).
   */
  addUnschedulable(q: QueuedPodInfo, plugins: Iterable<string>): void {
    if (this.where.get(q.key) !== 'inflight') return; // deleted meanwhile
    this.inflight.delete(q.key);
    q.lastFailure = this.now();
    q.unschedulablePlugins = new Set(plugins);
    if (q.updatedInFlight || this.eventSince(q.cycle, q.unschedulablePlugins)) {
      this.pushBackoff(q);
      return;
    }
    q.unschedulableSince = this.now();
    this.unschedulable.set(q.key, q);
    this.where.set(q.key, 'unschedulable');
  }

  /** The attempt failed for another reason (API error): retry after the back-off. */
  addBackoff(q: QueuedPodInfo): void {
    if (this.where.get(q.key) !== 'inflight') return;
    this.inflight.delete(q.key);
    q.lastFailure = this.now();
    q.unschedulablePlugins = new Set();
    this.pushBackoff(q);
  }

  /** A cluster event: unschedulable pods it could help move to activeQ (or backoffQ while backing off). */
  moveAllToActiveOrBackoff(ev: ClusterEvent): number {
    const helped = pluginsHelpedBy(ev);
    if (helped !== ALL && helped.size === 0) return 0;
    if (helped === ALL) this.moveAllCycle = this.cycle;
    else for (const p of helped) this.moveCycleByPlugin.set(p, this.cycle);
    let moved = 0;
    for (const [key, q] of this.unschedulable) {
      if (!this.helps(helped, q)) continue;
      this.unschedulable.delete(key);
      this.requeue(q);
      moved++;
    }
    return moved;
  }

  /** Recomputes every waiting pod's priority (PriorityClasses changed or arrived late). */
  refreshPriorities(): void {
    for (const q of this.active.values()) {
      const p = this.opts.priorityOf(q.pod);
      if (p !== q.priority) {
        q.priority = p;
        this.active.push(q);
      }
    }
    for (const q of [...this.backoff.values(), ...this.unschedulable.values(), ...this.inflight.values()]) q.priority = this.opts.priorityOf(q.pod);
  }

  /** Moves unschedulable pods that waited `maxUnschedulableMs` (the periodic safety net). */
  flushUnschedulableLeftover(): number {
    const now = this.now();
    let moved = 0;
    for (const [key, q] of this.unschedulable) {
      if (now - q.unschedulableSince < this.maxUnschedulableMs) continue;
      this.unschedulable.delete(key);
      this.requeue(q);
      moved++;
    }
    return moved;
  }

  /** Moves back-off pods whose time is up to activeQ (also run by the timer). */
  flushBackoffCompleted(): number {
    const now = this.now();
    let moved = 0;
    for (;;) {
      const top = this.backoff.peek();
      if (!top || this.backoffExpiry(top) > now) break;
      this.backoff.pop();
      this.pushActive(top);
      moved++;
    }
    this.armBackoffTimer();
    return moved;
  }

  close(): void {
    this.closed = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimer = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(undefined);
  }

  /** upstream's calculateBackoffDuration: initial * 2^(attempts-1), capped. */
  backoffDuration(attempts: number): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < attempts; i++) {
      d *= 2;
      if (d >= this.maxBackoffMs) return this.maxBackoffMs;
    }
    return Math.min(d, this.maxBackoffMs);
  }

  backoffExpiry(q: QueuedPodInfo): number {
    return q.lastFailure + this.backoffDuration(q.attempts);
  }

  // ---- internals ----

  /** Whether an event that could help a pod rejected by `plugins` arrived since `cycle` began. */
  private eventSince(cycle: number, plugins: Set<string>): boolean {
    if (this.moveAllCycle >= cycle) return true;
    if (plugins.size === 0) {
      for (const c of this.moveCycleByPlugin.values()) if (c >= cycle) return true;
      return false;
    }
    for (const p of plugins) if ((this.moveCycleByPlugin.get(p) ?? -1) >= cycle) return true;
    return false;
  }

  private helps(helped: Set<string> | typeof ALL, q: QueuedPodInfo): boolean {
    if (helped === ALL || q.unschedulablePlugins.size === 0) return true;
    for (const p of q.unschedulablePlugins) if (helped.has(p)) return true;
    return false;
  }

  private find(key: string, where: Where): QueuedPodInfo | undefined {
    switch (where) {
      case 'active':
        return this.active.get(key);
      case 'backoff':
        return this.backoff.get(key);
      case 'unschedulable':
        return this.unschedulable.get(key);
      case 'inflight':
        return this.inflight.get(key);
    }
  }

  /**
   * Follows status.nominatedNodeName. A nomination the scheduler made in
   * memory survives updates that do not carry it yet; one the status drops
   * is removed.
   */
  private syncNomination(q: QueuedPodInfo, oldPod?: any): void {
    const node: string | undefined = q.pod?.status?.nominatedNodeName;
    if (node) this.nominator.set(q.podInfo, q.priority, node);
    else if (oldPod?.status?.nominatedNodeName) this.nominator.delete(q.key);
    else {
      const mem = this.nominator.nodeFor(q.key);
      if (mem !== undefined) this.nominator.set(q.podInfo, q.priority, mem);
    }
  }

  private requeue(q: QueuedPodInfo): void {
    if (q.lastFailure && this.backoffExpiry(q) > this.now()) this.pushBackoff(q);
    else this.pushActive(q);
  }

  private pushActive(q: QueuedPodInfo): void {
    this.active.push(q);
    this.where.set(q.key, 'active');
    if (this.waiters.length) {
      const w = this.waiters.shift()!;
      const next = this.tryPop();
      w(next);
    }
  }

  private pushBackoff(q: QueuedPodInfo): void {
    this.backoff.push(q);
    this.where.set(q.key, 'backoff');
    this.armBackoffTimer();
  }

  private armBackoffTimer(): void {
    if (this.closed) return;
    const top = this.backoff.peek();
    if (!top) {
      if (this.backoffTimer) clearTimeout(this.backoffTimer);
      this.backoffTimer = undefined;
      this.backoffTimerAt = Infinity;
      return;
    }
    const at = this.backoffExpiry(top);
    if (this.backoffTimer && this.backoffTimerAt <= at) return;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimerAt = at;
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      this.backoffTimerAt = Infinity;
      this.flushBackoffCompleted();
    }, Math.max(0, at - this.now()));
  }
}
