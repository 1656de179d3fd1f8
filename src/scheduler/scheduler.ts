// The kts scheduler: watches nodes, pods, PriorityClasses,
// PodDisruptionBudgets and namespaces (plus Services, ReplicationControllers,
// ReplicaSets and StatefulSets for default spreading) through informers,
// keeps a cache of per-node state, and assigns pending pods (its
// schedulerName, no nodeName, not terminating) to nodes one at a time:
//
//   pop the next pod from the scheduling queue;
//   filter and score nodes (framework.ts) against the cache;
//   on success, assume the pod onto the node in the cache (so the next pod
//     sees the room taken) and bind it through pods/binding in the
//     background, then record a Scheduled event;
//   on failure, try preemption (preemption.ts), record FailedScheduling with
//     upstream's message, set PodScheduled=False (and nominatedNodeName)
//     through pods/status, and park the pod as unschedulable until a
//     cluster event could help.
//
// Pods with spec.schedulingGates are not attempted until the gates are gone.
// Informer handlers only update the cache and the queue; the scheduling
// loop is the only place decisions are made. Per pod the work is O(nodes)
// over precomputed NodeInfo state.

import {
  isNotFound,
  objectOf,
  SharedInformerFactory,
  waitForCacheSync,
  type ApiClient,
  type HandlerRegistration,
  type Informer,
} from '../client/index.js';
import { defaultSpreadSelector } from './default-spread.js';
import { EventRecorder } from './events.js';
import { Algorithm, ERR_NO_NODES_AVAILABLE, fitErrorMessage } from './framework.js';
import { SchedulerCache } from './node-info.js';
import { podFullName, podKey, type PodInfo } from './pod-info.js';
import { Preemptor } from './preemption.js';
import { findGlobalDefault, podPriority, type PriorityClassLookup } from './priority.js';
import { SchedulingQueue, type QueuedPodInfo } from './queue.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export interface SchedulerOptions {
  /** Pods with this spec.schedulerName are ours (unset counts as default-scheduler). */
  schedulerName?: string;
  /** This instance, for Events' reportingInstance. */
  identity?: string;
  /** Share informers with other components; by default the scheduler makes its own. */
  informerFactory?: SharedInformerFactory;
  /** 0 (default): upstream's adaptive share of nodes to find before scoring. */
  percentageOfNodesToScore?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxUnschedulableMs?: number;
  flushIntervalMs?: number;
  /** Bindings in flight at once (default 256). */
  maxInFlightBindings?: number;
  random?: () => number;
  onError?: (err: unknown, context: string) => void;
  /** Called after each successful binding (benchmarks, tests). */
  onBound?: (pod: any, nodeName: string) => void;
}

export function isAssigned(pod: any): boolean {
  return !!pod?.spec?.nodeName;
}

function isTerminal(pod: any): boolean {
  const phase = pod?.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

function stripManagedFields(obj: any): any {
  if (obj?.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}

function sameLabels(a: any, b: any): boolean {
  return JSON.stringify(a?.metadata?.labels ?? {}) === JSON.stringify(b?.metadata?.labels ?? {});
}

function podPath(pod: any, sub = ''): string {
  const m = pod?.metadata ?? {};
  return `/api/v1/namespaces/${encodeURIComponent(m.namespace ?? 'default')}/pods/${encodeURIComponent(m.name)}${sub ? `/${sub}` : ''}`;
}

export class Scheduler {
  readonly schedulerName: string;
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
  private readonly factory: SharedInformerFactory;
  private readonly ownFactory: boolean;
  private readonly recorder: EventRecorder;
  private readonly algorithm: Algorithm;
  private readonly preemptor: Preemptor;
  private readonly report: (err: unknown, context: string) => void;
  private nodes!: Informer;
  private pods!: Informer;
  private priorityClasses!: Informer;
  private pdbs!: Informer;
  private namespaces!: Informer;
  /** What selects pods for the default topology spreading. */
  private services!: Informer;
  private replicationControllers!: Informer;
  private replicaSets!: Informer;
  private statefulSets!: Informer;
  private registrations: HandlerRegistration[] = [];
  private globalDefaultClass: any;
  private readonly classes: PriorityClassLookup;
  private started = false;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private bindsInFlight = 0;
  private readonly maxInFlight: number;
  private bindWaiters: Array<() => void> = [];
  private readonly background = new Set<Promise<unknown>>();

  constructor(
    private readonly client: ApiClient,
    private readonly opts: SchedulerOptions = {},
  ) {
    this.schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.report = opts.onError ?? ((err, context) => console.error(`scheduler: ${context}: ${err instanceof Error ? err.message : String(err)}`));
    this.ownFactory = !opts.informerFactory;
    this.factory = opts.informerFactory ?? new SharedInformerFactory(client, { transform: stripManagedFields, onError: (e, c) => this.report(e, c) });
    this.classes = {
      byName: (name) => this.priorityClasses?.getByName('', name),
      globalDefault: () => this.globalDefaultClass,
    };
    this.cache = new SchedulerCache(
      (ns) => this.namespaces?.getByName('', ns)?.metadata?.labels,
      (pi) =>
        this.services
          ? defaultSpreadSelector(pi.pod, {
              services: (ns) => this.services.byIndex('namespace', ns),
              replicationController: (ns, name) => this.replicationControllers.getByName(ns, name),
              replicaSet: (ns, name) => this.replicaSets.getByName(ns, name),
              statefulSet: (ns, name) => this.statefulSets.getByName(ns, name),
            })
          : undefined,
    );
    this.queue = new SchedulingQueue({
      priorityOf: (pod) => this.priorityOf(pod),
      initialBackoffMs: opts.initialBackoffMs,
      maxBackoffMs: opts.maxBackoffMs,
      maxUnschedulableMs: opts.maxUnschedulableMs,
      flushIntervalMs: opts.flushIntervalMs,
    });
    this.algorithm = new Algorithm(this.cache, {
      percentageOfNodesToScore: opts.percentageOfNodesToScore,
      random: opts.random,
      nominatedPods: (node) => this.queue.nominator.forNode(node),
    });
    this.preemptor = new Preemptor({
      view: this.cache,
      priorityOf: (pod) => this.priorityOf(pod),
      pdbs: () => this.pdbs.list(),
      nominatedPods: (node) => this.queue.nominator.forNode(node),
      random: opts.random,
    });
    this.maxInFlight = opts.maxInFlightBindings ?? 256;
    this.recorder = new EventRecorder(client, { component: this.schedulerName, instance: opts.identity, onError: this.report });
  }

  priorityOf(pod: any): number {
    return podPriority(pod, this.classes);
  }

  /** Whether this scheduler is responsible for a pod (ignoring whether it is assigned). */
  responsibleFor(pod: any): boolean {
    return (pod?.spec?.schedulerName || DEFAULT_SCHEDULER_NAME) === this.schedulerName;
  }

  /** Starts the informers, waits for their caches, then starts scheduling. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const f = this.factory;
    this.nodes = f.informerFor('/api/v1/nodes');
    this.pods = f.informerFor('/api/v1/pods');
    this.priorityClasses = f.informerFor('/apis/scheduling.k8s.io/v1/priorityclasses');
    this.pdbs = f.informerFor('/apis/policy/v1/poddisruptionbudgets');
    this.namespaces = f.informerFor('/api/v1/namespaces');
    this.services = f.informerFor('/api/v1/services');
    this.replicationControllers = f.informerFor('/api/v1/replicationcontrollers');
    this.replicaSets = f.informerFor('/apis/apps/v1/replicasets');
    this.statefulSets = f.informerFor('/apis/apps/v1/statefulsets');

    const pcChanged = () => {
      this.globalDefaultClass = findGlobalDefault(this.priorityClasses.list());
      if (this.priorityClasses.hasSynced()) this.queue.refreshPriorities();
    };
    this.registrations.push(
      this.priorityClasses.addEventHandler({ onAdd: pcChanged, onUpdate: pcChanged, onDelete: pcChanged }),
      this.namespaces.addEventHandler({
        onUpdate: (o, n) => {
          if (!sameLabels(o, n)) this.queue.moveAllToActiveOrBackoff({ kind: 'NamespaceUpdate' });
        },
      }),
      this.nodes.addEventHandler({
        onAdd: (node) => {
          this.cache.setNode(node);
          this.queue.moveAllToActiveOrBackoff({ kind: 'NodeAdd' });
        },
        onUpdate: (_o, node) => {
          const change = this.cache.setNode(node);
          this.queue.moveAllToActiveOrBackoff({ kind: 'NodeUpdate', change });
        },
        onDelete: (obj) => this.cache.removeNode(objectOf(obj)?.metadata?.name ?? ''),
      }),
      this.pods.addEventHandler({
        onAdd: (pod) => this.onPod(undefined, pod),
        onUpdate: (o, n) => this.onPod(o, n),
        onDelete: (obj) => this.onPodDelete(objectOf(obj)),
      }),
    );
    f.start();
    const ok = await waitForCacheSync(
      [this.nodes, this.pods, this.priorityClasses, this.pdbs, this.namespaces, this.services, this.replicationControllers, this.replicaSets, this.statefulSets],
      this.abort.signal,
    );
    if (!ok || this.stopping) return;
    pcChanged();
    this.loop = this.run();
  }

  /** Stops scheduling; waits for bindings and events in flight. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    this.queue.close();
    for (const w of this.bindWaiters.splice(0)) w();
    await this.loop;
    while (this.background.size) await Promise.allSettled([...this.background]);
    await this.recorder.stop();
    for (const r of this.registrations) r.remove();
    this.registrations = [];
    if (this.ownFactory) this.factory.stop();
  }

  // ---- informer events ----

  private onPod(oldPod: any, pod: any): void {
    const key = podKey(pod);
    if (isAssigned(pod)) {
      this.queue.delete(key);
      if (isTerminal(pod)) {
        if (this.cache.nodeOfPod(key) !== undefined) {
          this.cache.removePod(pod);
          this.queue.moveAllToActiveOrBackoff({ kind: 'AssignedPodDelete' });
        }
        return;
      }
      this.cache.setPod(pod);
      if (!oldPod || !isAssigned(oldPod)) this.queue.moveAllToActiveOrBackoff({ kind: 'AssignedPodAdd' });
      else if (!sameLabels(oldPod, pod)) this.queue.moveAllToActiveOrBackoff({ kind: 'AssignedPodUpdate' });
      return;
    }
    // Pods with scheduling gates wait outside the queue until the gates are removed.
    if (!this.responsibleFor(pod) || pod?.metadata?.deletionTimestamp || pod?.spec?.schedulingGates?.length) {
      this.queue.delete(key);
      return;
    }
    // Being bound by us: an older unassigned version must not requeue it.
    if (this.cache.isAssumed(key)) return;
    this.queue.add(pod);
  }

  private onPodDelete(pod: any): void {
    if (!pod) return;
    const key = podKey(pod);
    if (this.cache.nodeOfPod(key) !== undefined) {
      this.cache.removeKey(key);
      this.queue.moveAllToActiveOrBackoff({ kind: 'AssignedPodDelete' });
    }
    this.queue.delete(key);
  }

  // ---- the scheduling loop ----

  private async run(): Promise<void> {
    let sliceStart = performance.now();
    while (!this.stopping) {
      if (this.bindsInFlight >= this.maxInFlight) {
        await new Promise<void>((resolve) => this.bindWaiters.push(resolve));
        continue;
      }
      const q = await this.queue.pop();
      if (!q) break;
      try {
        this.scheduleOne(q);
      } catch (e) {
        this.report(e, `scheduling ${podFullName(q.pod)}`);
        this.queue.addBackoff(q);
      }
      // Long runs of decisions must not starve informer events and bindings.
      if (performance.now() - sliceStart > 10) {
        await new Promise((r) => setImmediate(r));
        sliceStart = performance.now();
      }
    }
  }

  /** One scheduling attempt; API calls it causes run in the background. */
  scheduleOne(q: QueuedPodInfo): void {
    const key = q.key;
    if (this.cache.nodeOfPod(key) !== undefined) {
      this.queue.done(key);
      return;
    }
    const pi = q.podInfo;
    if (this.cache.numNodes === 0) {
      this.queue.addUnschedulable(q, []);
      this.recordFailure(q.pod, ERR_NO_NODES_AVAILABLE, 'Unschedulable', undefined);
      return;
    }
    const nominated = this.queue.nominator.nodeFor(key);
    const result = this.algorithm.schedule(pi, q.priority, nominated);
    if (result.kind === 'scheduled') {
      this.assumeAndBind(q, result.nodeName);
      return;
    }
    let postFilterMsg = '';
    let nominate: string | null | undefined;
    const pre = this.preemptor.preempt(pi, q.priority, result.state, result.diagnosis, result.numAllNodes, nominated);
    if (pre.kind === 'nominated') {
      nominate = pre.candidate.nodeName;
      this.queue.nominator.set(pi, q.priority, nominate);
      this.track(this.evictVictims(q.pod, nominate, pre.candidate.victims, pre.displaced));
    } else {
      postFilterMsg = pre.message;
      if (pre.clearNomination && (q.pod?.status?.nominatedNodeName || nominated)) {
        nominate = null;
        this.queue.nominator.delete(key);
      }
    }
    const msg = fitErrorMessage(result.numAllNodes, result.diagnosis.statuses.values(), postFilterMsg);
    this.queue.addUnschedulable(q, result.diagnosis.unschedulablePlugins);
    this.recordFailure(q.pod, msg, 'Unschedulable', nominate);
  }

  private track(p: Promise<unknown>): void {
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  private assumeAndBind(q: QueuedPodInfo, nodeName: string): void {
    const assumed = q.podInfo.withNodeName(nodeName);
    this.cache.assumePod(assumed);
    this.queue.nominator.delete(q.key);
    this.bindsInFlight++;
    this.track(
      this.bind(q, nodeName).finally(() => {
        this.bindsInFlight--;
        const w = this.bindWaiters.shift();
        w?.();
      }),
    );
  }

  private async bind(q: QueuedPodInfo, nodeName: string): Promise<void> {
    const pod = q.pod;
    const m = pod.metadata ?? {};
    try {
      await this.client.create(podPath(pod, 'binding'), {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: m.name, namespace: m.namespace, ...(m.uid ? { uid: m.uid } : {}) },
        target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
      });
    } catch (e) {
      this.cache.forgetPod(q.key);
      if (isNotFound(e) || (e as any)?.code === 409) {
        // Deleted, or assigned by someone else: the informer will tell the rest.
        this.queue.done(q.key);
        return;
      }
      this.report(e, `binding ${podFullName(pod)} to ${nodeName}`);
      this.queue.addBackoff(q);
      this.recordFailure(pod, `Binding rejected: ${e instanceof Error ? e.message : String(e)}`, 'SchedulerError', undefined);
      return;
    }
    this.queue.done(q.key);
    this.recorder.event(pod, 'Normal', 'Scheduled', 'Binding', `Successfully assigned ${m.namespace}/${m.name} to ${nodeName}`);
    try {
      this.opts.onBound?.(pod, nodeName);
    } catch (e) {
      this.report(e, 'onBound');
    }
  }

  /**
   * FailedScheduling event plus PodScheduled=False on the pod (skipped when
   * the condition already says the same). `nominate`: a node to nominate,
   * null to clear the nomination, undefined to leave it.
   */
  private recordFailure(pod: any, message: string, reason: string, nominate: string | null | undefined): void {
    if (this.stopping) return;
    this.recorder.event(pod, 'Warning', 'FailedScheduling', 'Scheduling', message);
    const cur = (pod?.status?.conditions ?? []).find((c: any) => c?.type === 'PodScheduled');
    const curNominated = pod?.status?.nominatedNodeName ?? null;
    const nominationChanges = nominate !== undefined && nominate !== curNominated;
    if (cur && cur.status === 'False' && cur.reason === reason && cur.message === message && !nominationChanges) return;
    const condition = {
      type: 'PodScheduled',
      status: 'False',
      lastTransitionTime: cur && cur.status === 'False' ? cur.lastTransitionTime : new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      reason,
      message,
    };
    const status: any = { conditions: [condition] };
    if (nominate !== undefined) status.nominatedNodeName = nominate;
    this.track(
      this.client.patch(podPath(pod, 'status'), { status }, 'strategic').catch((e) => {
        if (!isNotFound(e)) this.report(e, `updating the PodScheduled condition of ${podFullName(pod)}`);
      }),
    );
  }

  /** Deletes preemption victims (gracefully) after marking them, and un-nominates displaced pods. */
  private async evictVictims(preemptor: any, nodeName: string, victims: PodInfo[], displaced: PodInfo[]): Promise<void> {
    const condition = {
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'PreemptionByScheduler',
      message: `${this.schedulerName}: preempting to accommodate a higher priority pod`,
      lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    await Promise.all(
      victims.map(async (v) => {
        if (v.pod?.metadata?.deletionTimestamp) return;
        try {
          await this.client.patch(podPath(v.pod, 'status'), { status: { conditions: [condition] } }, 'strategic');
          await this.client.delete(podPath(v.pod));
        } catch (e) {
          if (!isNotFound(e)) this.report(e, `preempting ${podFullName(v.pod)}`);
          return;
        }
        this.recorder.event(v.pod, 'Normal', 'Preempted', 'Preempting', `Preempted by pod ${preemptor?.metadata?.uid ?? ''} on node ${nodeName}`, preemptor);
      }),
    );
    await Promise.all(
      displaced.map(async (d) => {
        this.queue.nominator.delete(d.key);
        try {
          await this.client.patch(podPath(d.pod, 'status'), { status: { nominatedNodeName: null } }, 'merge');
        } catch (e) {
          if (!isNotFound(e)) this.report(e, `clearing the nomination of ${podFullName(d.pod)}`);
        }
      }),
    );
  }
}
