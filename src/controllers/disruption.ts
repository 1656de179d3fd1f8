// The disruption controller (upstream pkg/controller/disruption): keeps
// every PodDisruptionBudget's status — how many of its pods are healthy,
// how many must be, and so how many may be disrupted now.
//
// Event handlers map a PDB to its key and a pod to every PDB in its
// namespace whose selector matches it. The sync is level-triggered:
//
// - pods: the namespace's pods matching the selector (a null selector
//   selects nothing, an empty one everything, as in policy/v1);
// - expectedPods: for maxUnavailable and percentage minAvailable, the sum
//   of the scale of the pods' controllers (a ReplicaSet owned by a
//   Deployment counts as the Deployment; ReplicaSet, StatefulSet,
//   ReplicationController, Deployment); a pod whose controller cannot be
//   looked up counts as one. For integer minAvailable, the pod count;
// - desiredHealthy: minAvailable (percentages round up against
//   expectedPods), or expectedPods - maxUnavailable (rounded up);
// - currentHealthy: Ready pods that are not being deleted and not listed
//   in status.disruptedPods (entries the eviction API wrote, dropped once
//   the pod is gone or after two minutes);
// - disruptionsAllowed: max(0, currentHealthy - desiredHealthy), 0 when
//   nothing is expected; condition DisruptionAllowed SufficientPods or
//   InsufficientPods.
//
// A failing sync writes the fail-safe status (no disruptions allowed,
// reason SyncFailed) before retrying with back-off.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { ApiClient } from '../client/types.js';
import { isNotFound } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { clone, metaNamespaceKey, objectOf, splitMetaNamespaceKey, NAMESPACE_INDEX } from '../client/store.js';
import { QueueController, type ControllerOptions } from './base.js';
import { ApiEventRecorder, type EventRecorder } from './events.js';
import { scaledValueFromIntOrPercent } from './deployment-util.js';
import { deepEqual, errorMessage, getControllerOf, groupOf, isPodReady, labelSelectorOf, namespacedPath, nowRFC3339, parseSelectorStrict, parseTime } from './util.js';

export const DISRUPTION_ALLOWED_CONDITION = 'DisruptionAllowed';
export const SUFFICIENT_PODS_REASON = 'SufficientPods';
export const INSUFFICIENT_PODS_REASON = 'InsufficientPods';
export const SYNC_FAILED_REASON = 'SyncFailed';
/** How long an eviction's disruptedPods entry holds a pod out of the healthy count (upstream DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

export interface DisruptionControllerOptions extends ControllerOptions {
  recorder?: EventRecorder;
  now?: () => number;
}

/** The scale of a pod's controller, found in the caches. */
interface ControllerScale {
  uid: string;
  replicas: number;
}

export class DisruptionController extends QueueController {
  readonly recorder: EventRecorder;
  private readonly pdbInformer: Informer<PodDisruptionBudget>;
  private readonly podInformer: Informer<Pod>;
  private readonly rsInformer: Informer<any>;
  private readonly deploymentInformer: Informer<any>;
  private readonly stsInformer: Informer<any>;
  private readonly rcInformer: Informer<any>;
  private readonly now: () => number;

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    opts: DisruptionControllerOptions = {},
  ) {
    super('disruption', opts);
    this.now = opts.now ?? Date.now;
    this.recorder = opts.recorder ?? new ApiEventRecorder(client, 'controllermanager');
    this.pdbInformer = factory.informerFor<PodDisruptionBudget>('/apis/policy/v1/poddisruptionbudgets');
    this.podInformer = factory.informerFor<Pod>('/api/v1/pods');
    this.rsInformer = factory.informerFor('/apis/apps/v1/replicasets');
    this.deploymentInformer = factory.informerFor('/apis/apps/v1/deployments');
    this.stsInformer = factory.informerFor('/apis/apps/v1/statefulsets');
    this.rcInformer = factory.informerFor('/api/v1/replicationcontrollers');
    this.registrations.push(
      this.pdbInformer.addEventHandler({
        onAdd: (pdb) => this.enqueue(metaNamespaceKey(pdb)),
        onUpdate: (_o, pdb) => this.enqueue(metaNamespaceKey(pdb)),
        onDelete: (obj) => this.enqueue(metaNamespaceKey(objectOf(obj))),
      }),
      this.podInformer.addEventHandler({
        onAdd: (pod) => this.enqueuePodPDBs(pod),
        onUpdate: (oldPod, curPod) => {
          if (oldPod.metadata?.resourceVersion === curPod.metadata?.resourceVersion) return;
          this.enqueuePodPDBs(curPod);
          this.enqueuePodPDBs(oldPod); // labels may have changed
        },
        onDelete: (obj) => this.enqueuePodPDBs(objectOf(obj)),
      }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.pdbInformer, this.podInformer, this.rsInformer, this.deploymentInformer, this.stsInformer, this.rcInformer];
  }

  private enqueuePodPDBs(pod: Pod): void {
    for (const pdb of this.pdbInformer.byIndex(NAMESPACE_INDEX, pod.metadata?.namespace ?? '')) {
      if (labelSelectorOf(pdb.spec?.selector as any).matches(pod.metadata?.labels)) this.enqueue(metaNamespaceKey(pdb));
    }
  }

  // ---- sync ----

  protected async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const pdb = this.pdbInformer.getByName(namespace, name);
    if (!pdb) return;
    try {
      await this.trySync(key, pdb);
    } catch (e) {
      try {
        await this.writeStatus(pdb, failSafeStatus(pdb, this.now()));
      } catch (e2) {
        if (!isNotFound(e2)) console.error(`disruption ${key}: writing the fail-safe status: ${errorMessage(e2)}`);
      }
      throw e;
    }
  }

  private async trySync(key: string, pdb: PodDisruptionBudget): Promise<void> {
    const ref = { ...pdb, kind: 'PodDisruptionBudget', apiVersion: 'policy/v1' };
    let selector;
    try {
      selector = pdb.spec?.selector ? parseSelectorStrict(pdb.spec.selector as any) : labelSelectorOf(null);
    } catch (e) {
      throw new Error(`invalid selector: ${errorMessage(e)}`);
    }
    const pods = this.podInformer.byIndex(NAMESPACE_INDEX, pdb.metadata!.namespace!).filter((p) => selector.matches(p.metadata?.labels));
    if (pods.length === 0) this.recorder.event(ref, 'Normal', 'NoPods', 'No matching pods found');
    const now = this.now();
    let counts;
    try {
      counts = computeExpected(pdb, pods, (pod) => this.controllerScale(pod));
    } catch (e) {
      this.recorder.event(ref, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${errorMessage(e)}`);
      throw e;
    }
    if (counts.unmanaged.length > 0) {
      this.recorder.event(ref, 'Warning', 'UnmanagedPods', `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec?.selector ?? null)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`);
    }
    const { disruptedPods, recheckMs } = activeDisruptedPods(pdb, pods, now);
    const status = computeStatus(pdb, pods, disruptedPods, counts.expectedPods, counts.desiredHealthy, now);
    await this.writeStatus(pdb, status);
    if (recheckMs !== undefined) this.queue.addAfter(key, Math.max(recheckMs - now, 1));
  }

  /** The scale of the pod's controller (a ReplicaSet's Deployment when it has one), or undefined when it cannot be found. */
  private controllerScale(pod: Pod): ControllerScale | undefined {
    const ref = getControllerOf(pod);
    if (!ref) return undefined;
    const ns = pod.metadata?.namespace ?? '';
    const lookup = (inf: Informer<any>, name: string, uid: string) => {
      const o = inf.getByName(ns, name);
      return o && o.metadata?.uid === uid ? o : undefined;
    };
    const scaleOf = (o: any): ControllerScale => ({ uid: o.metadata.uid, replicas: o.spec?.replicas ?? 1 });
    const group = groupOf(ref.apiVersion);
    if (group === 'apps' && ref.kind === 'ReplicaSet') {
      const rs = lookup(this.rsInformer, ref.name, ref.uid);
      if (!rs) return undefined;
      const dref = getControllerOf(rs);
      if (dref && dref.kind === 'Deployment' && groupOf(dref.apiVersion) === 'apps') {
        const d = lookup(this.deploymentInformer, dref.name, dref.uid);
        return d ? scaleOf(d) : undefined;
      }
      return scaleOf(rs);
    }
    if (group === 'apps' && ref.kind === 'StatefulSet') {
      const s = lookup(this.stsInformer, ref.name, ref.uid);
      return s ? scaleOf(s) : undefined;
    }
    if (group === '' && ref.kind === 'ReplicationController') {
      const rc = lookup(this.rcInformer, ref.name, ref.uid);
      return rc ? scaleOf(rc) : undefined;
    }
    return undefined;
  }

  /** Writes the status when it differs (observedGeneration included). */
  private async writeStatus(pdb: PodDisruptionBudget, status: any): Promise<void> {
    if (deepEqual(pdb.status ?? {}, status)) return;
    const path = `${namespacedPath('policy', 'v1', pdb.metadata!.namespace!, 'poddisruptionbudgets')}/${encodeURIComponent(pdb.metadata!.name!)}/status`;
    await this.client.update(path, { ...pdb, status });
  }
}

// ---- pure parts (exported for tests) ----

/**
 * expectedPods and desiredHealthy for the PDB's pods (upstream's
 * getExpectedPodCount). `scaleOf` finds a pod's controller's scale; pods
 * without a controller are returned as unmanaged.
 */
export function computeExpected(
  pdb: PodDisruptionBudget,
  pods: Pod[],
  scaleOf: (pod: Pod) => ControllerScale | undefined,
): { expectedPods: number; desiredHealthy: number; unmanaged: string[] } {
  const spec: any = pdb.spec ?? {};
  const unmanaged: string[] = [];
  const expectedScale = (): number => {
    const seen = new Map<string, number>();
    let loose = 0;
    for (const p of pods) {
      if (!getControllerOf(p)) unmanaged.push(p.metadata?.name ?? '');
      const s = scaleOf(p);
      if (s) seen.set(s.uid, s.replicas);
      else loose++;
    }
    let total = loose;
    for (const r of seen.values()) total += r;
    return total;
  };
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const expectedPods = expectedScale();
    const maxUnavailable = scaledValueFromIntOrPercent(spec.maxUnavailable, expectedPods, true);
    return { expectedPods, desiredHealthy: Math.max(0, expectedPods - maxUnavailable), unmanaged };
  }
  if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
    if (typeof spec.minAvailable === 'number') return { expectedPods: pods.length, desiredHealthy: spec.minAvailable, unmanaged };
    const expectedPods = expectedScale();
    return { expectedPods, desiredHealthy: scaledValueFromIntOrPercent(spec.minAvailable, expectedPods, true), unmanaged };
  }
  // Neither set (validation forbids it; upstream yields zeros).
  return { expectedPods: 0, desiredHealthy: 0, unmanaged };
}

/**
 * The status.disruptedPods entries still in force: the pod exists, is not
 * being deleted, and the entry is younger than DELETION_TIMEOUT_MS. Also
 * when the earliest of them expires.
 */
export function activeDisruptedPods(pdb: PodDisruptionBudget, pods: Pod[], now: number): { disruptedPods: Record<string, string>; recheckMs?: number } {
  const entries: Record<string, string> = (pdb.status as any)?.disruptedPods ?? {};
  const byName = new Map(pods.map((p) => [p.metadata?.name ?? '', p]));
  const out: Record<string, string> = {};
  let recheckMs: number | undefined;
  for (const [name, t] of Object.entries(entries)) {
    const pod = byName.get(name);
    if (!pod || pod.metadata?.deletionTimestamp) continue;
    const expires = parseTime(t) + DELETION_TIMEOUT_MS;
    if (expires < now) continue;
    out[name] = t;
    recheckMs = recheckMs === undefined ? expires : Math.min(recheckMs, expires);
  }
  return { disruptedPods: out, recheckMs };
}

/** Ready pods not being deleted and not just disrupted. */
export function countHealthyPods(pods: Pod[], disruptedPods: Record<string, string>): number {
  let n = 0;
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue;
    if (disruptedPods[p.metadata?.name ?? ''] !== undefined) continue;
    if (isPodReady(p)) n++;
  }
  return n;
}

/** The new status (upstream's updatePdbStatus + UpdateDisruptionAllowedCondition). */
export function computeStatus(pdb: PodDisruptionBudget, pods: Pod[], disruptedPods: Record<string, string>, expectedPods: number, desiredHealthy: number, now: number): any {
  const currentHealthy = countHealthyPods(pods, disruptedPods);
  let disruptionsAllowed = currentHealthy - desiredHealthy;
  if (expectedPods <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
  const status: any = {
    ...clone((pdb.status ?? {}) as any),
    currentHealthy,
    desiredHealthy,
    expectedPods,
    disruptionsAllowed,
  };
  if (pdb.metadata?.generation) status.observedGeneration = pdb.metadata.generation;
  if (Object.keys(disruptedPods).length) status.disruptedPods = disruptedPods;
  else delete status.disruptedPods;
  status.conditions = setCondition(status.conditions, {
    type: DISRUPTION_ALLOWED_CONDITION,
    status: disruptionsAllowed > 0 ? 'True' : 'False',
    reason: disruptionsAllowed > 0 ? SUFFICIENT_PODS_REASON : INSUFFICIENT_PODS_REASON,
    message: '',
    observedGeneration: status.observedGeneration,
  }, now);
  return status;
}

/** No disruptions while the controller cannot compute the budget. */
export function failSafeStatus(pdb: PodDisruptionBudget, now: number): any {
  const status: any = { ...clone((pdb.status ?? {}) as any), disruptionsAllowed: 0 };
  if (pdb.metadata?.generation) status.observedGeneration = pdb.metadata.generation;
  status.currentHealthy ??= 0;
  status.desiredHealthy ??= 0;
  status.expectedPods ??= 0;
  status.conditions = setCondition(status.conditions, { type: DISRUPTION_ALLOWED_CONDITION, status: 'False', reason: SYNC_FAILED_REASON, message: '', observedGeneration: status.observedGeneration }, now);
  return status;
}

/** apimachinery's meta.SetStatusCondition: lastTransitionTime changes only with the status. */
function setCondition(conditions: any[] | undefined, c: any, now: number): any[] {
  const list = (conditions ?? []).map((x) => ({ ...x }));
  if (c.observedGeneration === undefined) delete c.observedGeneration;
  const i = list.findIndex((x) => x.type === c.type);
  if (i < 0) return [...list, { ...c, lastTransitionTime: nowRFC3339(now) }];
  const prev = list[i];
  list[i] = { ...c, lastTransitionTime: prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : nowRFC3339(now) };
  return list;
}
