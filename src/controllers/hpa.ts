// The horizontal pod autoscaler controller (upstream
// pkg/controller/podautoscaler), for autoscaling/v2 HorizontalPodAutoscalers
// (v1 ones are the same objects, converted by the API server).
//
// Each HPA is synced when it is created or its spec changes, and every sync
// period (15 s) after each sync. A sync reads the target's scale subresource
// (any kind that has one, found through discovery), selects the pods by the
// scale's status.selector, reads their PodMetrics from metrics.k8s.io
// through the API, computes a proposal per metric (hpa-replicas.ts; the
// largest wins), stabilizes and limits it (hpa-behavior.ts), writes the
// scale and the HPA's status (currentMetrics, conditions AbleToScale,
// ScalingActive, ScalingLimited with upstream's reasons) and records
// SuccessfulRescale or the failure events. Pods, Object and External
// metrics need the custom and external metrics APIs, which kts does not
// serve: such metrics are invalid, reported as upstream reports an
// unreachable metrics API.
//
// The recommendation history and recent scale events of each HPA live in
// memory, as upstream's: a new leader starts them afresh (with the current
// size, so it does not scale down at once).

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../client/types.js';
import { isNotFound, withQuery } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { clone, metaNamespaceKey, objectOf, splitMetaNamespaceKey, NAMESPACE_INDEX } from '../client/store.js';
import { parseLabelSelector, matches, type LabelSelector } from '../api/labels.js';
import { formatQuantity, milliValue, parseQuantity } from '../api/validation/quantity.js';
import { QueueController, type ControllerOptions } from './base.js';
import { ApiEventRecorder, type EventRecorder } from './events.js';
import { deepEqual, errorMessage, nowRFC3339 } from './util.js';
import { resourceAverageValueReplicas, resourceUtilizationReplicas, type PodMetrics, type ReplicaCalcOptions } from './hpa-replicas.js';
import { DEFAULT_DOWNSCALE_STABILIZATION_MS, newHistory, normalizeWithBehavior, normalizeWithoutBehavior, recordScaleEvent, type ScalingHistory } from './hpa-behavior.js';

export const DEFAULT_HPA_SYNC_PERIOD_MS = 15_000;
const HPA_PATH = '/apis/autoscaling/v2/horizontalpodautoscalers';

export interface HPAControllerOptions extends ControllerOptions {
  recorder?: EventRecorder;
  /** --horizontal-pod-autoscaler-sync-period (default 15 s). */
  syncPeriodMs?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (default 5 min). */
  downscaleStabilizationMs?: number;
  /** --horizontal-pod-autoscaler-tolerance (default 0.1). */
  tolerance?: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period (default 5 min). */
  cpuInitializationPeriodMs?: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay (default 30 s). */
  initialReadinessDelayMs?: number;
  now?: () => number;
}

type Condition = { type: string; status: string; lastTransitionTime: string; reason: string; message: string };

/** A metric that could not be computed: the condition it sets and the event it records. */
class MetricError extends Error {
  constructor(
    message: string,
    readonly reason: string,
    readonly inner: string,
  ) {
    super(message);
  }
}

/** All metrics (or some, when scaling down) failed. */
class InvalidMetricsError extends Error {
  constructor(
    message: string,
    readonly statuses: any[],
  ) {
    super(message);
  }
}

interface MetricProposal {
  replicas: number;
  /** How the rescale reason names it: "cpu resource utilization (percentage of request)". */
  name: string;
  status: any;
}

export function setCondition(conditions: Condition[], type: string, status: string, reason: string, message: string, now: number): void {
  const i = conditions.findIndex((c) => c.type === type);
  const prev = i >= 0 ? conditions[i] : undefined;
  const lastTransitionTime = prev && prev.status === status ? prev.lastTransitionTime : nowRFC3339(now);
  const c = { type, status, lastTransitionTime, reason, message };
  if (i >= 0) conditions[i] = c;
  else conditions.push(c);
}

const milliQuantity = (milli: number): string => formatQuantity({ num: BigInt(Math.trunc(milli)), den: 1000n, format: 'DecimalSI' });

/** A Go duration as metrics-server writes the window ("10s", "1m0s", "500ms"). */
export function parseDurationMs(s: unknown): number {
  if (typeof s !== 'string') return 0;
  let ms = 0;
  for (const m of s.matchAll(/([\d.]+)(h|ms|m|s|us|µs|ns)/g)) {
    const v = Number(m[1]);
    ms += v * ({ h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 } as Record<string, number>)[m[2]];
  }
  return ms;
}

/** PodMetrics items to one value per pod (milli-units): all containers, or the one named; pods lacking it are left out. */
export function podMetricsOf(items: any[], resource: string, container?: string): PodMetrics {
  const out: PodMetrics = new Map();
  for (const item of items) {
    const containers: any[] = item.containers ?? [];
    let sum = 0;
    let found = false;
    let missing = false;
    for (const c of containers) {
      if (container && c.name !== container) continue;
      const q = parseQuantity(c.usage?.[resource]);
      if (!q) {
        missing = true;
        break;
      }
      sum += Number(milliValue(q));
      found = true;
    }
    if (missing || !found) continue;
    out.set(item.metadata?.name ?? '', { value: sum, timestamp: Date.parse(item.timestamp) || 0, windowMs: parseDurationMs(item.window) });
  }
  return out;
}

export class HorizontalPodAutoscalerController extends QueueController {
  readonly recorder: EventRecorder;
  private readonly hpaInformer: Informer<any>;
  private readonly podInformer: Informer<Pod>;
  private readonly syncPeriodMs: number;
  private readonly now: () => number;
  private readonly histories = new Map<string, ScalingHistory>();
  /** `group/version/Kind` -> the plural resource with a scale subresource. */
  private readonly scaleResources = new Map<string, string>();

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    private readonly hpaOpts: HPAControllerOptions = {},
  ) {
    super('horizontal-pod-autoscaler', hpaOpts);
    this.syncPeriodMs = hpaOpts.syncPeriodMs ?? DEFAULT_HPA_SYNC_PERIOD_MS;
    this.now = hpaOpts.now ?? Date.now;
    this.recorder = hpaOpts.recorder ?? new ApiEventRecorder(client, 'horizontal-pod-autoscaler');
    this.hpaInformer = factory.informerFor(HPA_PATH);
    this.podInformer = factory.informerFor<Pod>('/api/v1/pods');
    this.registrations.push(
      this.hpaInformer.addEventHandler({
        onAdd: (h) => this.enqueue(metaNamespaceKey(h)),
        // The controller's own status writes do not trigger a sync; spec changes do.
        onUpdate: (o, h) => {
          if (!deepEqual(o.spec, h.spec)) this.enqueue(metaNamespaceKey(h));
        },
        onDelete: (obj) => this.enqueue(metaNamespaceKey(objectOf(obj))),
      }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.hpaInformer, this.podInformer];
  }

  protected async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const hpa = this.hpaInformer.getByName(namespace, name);
    if (!hpa) {
      this.histories.delete(key);
      return;
    }
    try {
      await this.reconcile(key, clone(hpa));
    } finally {
      this.queue.addAfter(key, this.syncPeriodMs);
    }
  }

  private event(hpa: any, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder.event({ ...hpa, kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v2' }, type, reason, message);
  }

  private async reconcile(key: string, hpa: any): Promise<void> {
    const now = this.now();
    const spec = hpa.spec ?? {};
    const ns: string = hpa.metadata.namespace;
    const old = hpa.status ?? {};
    const conditions: Condition[] = clone(old.conditions ?? []);
    const ref = spec.scaleTargetRef ?? {};
    let scale: any;
    let scalePath: string;
    try {
      scalePath = await this.scalePath(ns, ref);
      scale = await this.client.get(scalePath);
    } catch (e) {
      const msg = errorMessage(e);
      this.event(hpa, 'Warning', 'FailedGetScale', msg);
      setCondition(conditions, 'AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${msg}`, now);
      await this.writeStatus(hpa, { ...old, currentReplicas: old.currentReplicas ?? 0, desiredReplicas: old.desiredReplicas ?? 0, conditions });
      return;
    }
    setCondition(conditions, 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale", now);
    const current: number = scale.spec?.replicas ?? 0;
    let history = this.histories.get(key);
    if (!history) this.histories.set(key, (history = newHistory(current, now)));
    const minReplicas: number = spec.minReplicas ?? 1;
    const maxReplicas: number = spec.maxReplicas ?? 0;

    let desired = 0;
    let reason = '';
    let metricStatuses: any[] = [];
    if (current === 0 && minReplicas !== 0) {
      setCondition(conditions, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero', now);
      desired = 0;
    } else if (current > maxReplicas) {
      reason = 'Current number of replicas above Spec.MaxReplicas';
      desired = maxReplicas;
    } else if (current < minReplicas) {
      reason = 'Current number of replicas below Spec.MinReplicas';
      desired = minReplicas;
    } else {
      let proposal: { replicas: number; name: string; statuses: any[] };
      try {
        proposal = await this.replicasForMetrics(hpa, scale, current, conditions, now);
      } catch (e) {
        const statuses = e instanceof InvalidMetricsError ? e.statuses : [];
        this.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', errorMessage(e));
        await this.writeStatus(hpa, { ...keptScaleTime(old), currentReplicas: current, desiredReplicas: old.desiredReplicas ?? 0, currentMetrics: statuses, conditions });
        return;
      }
      metricStatuses = proposal.statuses;
      if (proposal.replicas > current) reason = `${proposal.name} above target`;
      else if (proposal.replicas < current) reason = 'All metrics below target';
      const n = spec.behavior
        ? normalizeWithBehavior(history, spec.behavior, proposal.replicas, current, minReplicas, maxReplicas, now, this.hpaOpts.downscaleStabilizationMs)
        : normalizeWithoutBehavior(history, proposal.replicas, current, minReplicas, maxReplicas, now, this.hpaOpts.downscaleStabilizationMs ?? DEFAULT_DOWNSCALE_STABILIZATION_MS);
      setCondition(conditions, 'AbleToScale', 'True', n.ableReason, n.ableMessage, now);
      setCondition(conditions, 'ScalingLimited', n.limited ? 'True' : 'False', n.limitReason, n.limitMessage, now);
      desired = n.replicas;
    }

    const rescale = desired !== current;
    if (rescale) {
      try {
        await this.client.update(scalePath, { ...scale, spec: { ...(scale.spec ?? {}), replicas: desired } });
      } catch (e) {
        const msg = errorMessage(e);
        this.event(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${reason}; error: ${msg}`);
        setCondition(conditions, 'AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${msg}`, now);
        await this.writeStatus(hpa, { ...keptScaleTime(old), currentReplicas: current, desiredReplicas: old.desiredReplicas ?? 0, currentMetrics: metricStatuses, conditions });
        return;
      }
      setCondition(conditions, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`, now);
      this.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
      recordScaleEvent(history, spec.behavior, current, desired, now);
    }
    const status: any = { currentReplicas: current, desiredReplicas: desired, currentMetrics: metricStatuses, conditions };
    const lastScaleTime = rescale ? nowRFC3339(now) : old.lastScaleTime;
    if (lastScaleTime) status.lastScaleTime = lastScaleTime;
    await this.writeStatus(hpa, status);
  }

  /** The scale subresource's path of the target (discovery finds the resource of its kind). */
  private async scalePath(ns: string, ref: any): Promise<string> {
    const apiVersion: string = ref.apiVersion || 'v1';
    const kind: string = ref.kind ?? '';
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
    const cacheKey = `${apiVersion}/${kind}`;
    let resource = this.scaleResources.get(cacheKey);
    if (!resource) {
      let list: any;
      try {
        list = await this.client.get(base);
      } catch (e) {
        if (isNotFound(e)) throw new Error(`no matches for kind "${kind}" in group "${group}"`);
        throw e;
      }
      const names = new Set<string>((list.resources ?? []).map((r: any) => r.name));
      const r = (list.resources ?? []).find((x: any) => x.kind === kind && !String(x.name).includes('/'));
      if (!r) throw new Error(`no matches for kind "${kind}" in group "${group}"`);
      if (!names.has(`${r.name}/scale`)) throw new Error(`${r.name}.${group || 'core'} has no scale subresource`);
      resource = r.name as string;
      this.scaleResources.set(cacheKey, resource);
    }
    return `${base}/namespaces/${encodeURIComponent(ns)}/${resource}/${encodeURIComponent(ref.name ?? '')}/scale`;
  }

  private async replicasForMetrics(hpa: any, scale: any, current: number, conditions: Condition[], now: number): Promise<{ replicas: number; name: string; statuses: any[] }> {
    const selectorText: string = scale.status?.selector ?? '';
    if (!selectorText) {
      this.event(hpa, 'Warning', 'SelectorRequired', 'selector is required');
      setCondition(conditions, 'ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector", now);
      throw new Error('selector is required');
    }
    let selector: LabelSelector;
    try {
      selector = parseLabelSelector(selectorText);
    } catch (e) {
      const msg = `couldn't convert selector into a corresponding internal selector object: ${errorMessage(e)}`;
      this.event(hpa, 'Warning', 'InvalidSelector', msg);
      setCondition(conditions, 'ScalingActive', 'False', 'InvalidSelector', msg, now);
      throw new Error(msg);
    }
    const ns: string = hpa.metadata.namespace;
    const pods = this.podInformer.byIndex(NAMESPACE_INDEX, ns).filter((p) => matches(selector, p.metadata?.labels ?? {}));
    const specs: any[] = hpa.spec?.metrics ?? [];
    const statuses: any[] = [];
    let best: MetricProposal | undefined;
    let invalid = 0;
    let first: MetricError | undefined;
    for (const [i, m] of specs.entries()) {
      try {
        const p = await this.proposal(m, ns, selectorText, pods, current, now);
        statuses[i] = p.status;
        if (!best || p.replicas > best.replicas) best = p;
      } catch (e) {
        const err = e instanceof MetricError ? e : new MetricError(errorMessage(e), 'FailedGetResourceMetric', errorMessage(e));
        this.event(hpa, 'Warning', err.reason, err.inner);
        statuses[i] = { type: '' };
        if (!first) first = err;
        invalid++;
      }
    }
    // All invalid, or some invalid and the valid ones would scale down: no decision.
    if (first && (invalid >= specs.length || (best?.replicas ?? 0) < current)) {
      setCondition(conditions, 'ScalingActive', 'False', first.reason, `the HPA was unable to compute the replica count: ${first.inner}`, now);
      throw new InvalidMetricsError(`invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${first.message}`, statuses);
    }
    if (!best) throw new InvalidMetricsError('no metrics to scale on', statuses);
    setCondition(conditions, 'ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${best.name}`, now);
    return { replicas: best.replicas, name: best.name, statuses };
  }

  private calcOptions(now: number): ReplicaCalcOptions {
    return {
      now,
      tolerance: this.hpaOpts.tolerance,
      cpuInitializationPeriodMs: this.hpaOpts.cpuInitializationPeriodMs,
      delayOfInitialReadinessStatusMs: this.hpaOpts.initialReadinessDelayMs,
    };
  }

  /** One metric's proposal; throws MetricError with upstream's reason and texts. */
  private async proposal(m: any, ns: string, selector: string, pods: Pod[], current: number, now: number): Promise<MetricProposal> {
    switch (m?.type) {
      case 'Resource':
      case 'ContainerResource': {
        const container = m.type === 'ContainerResource';
        const src = container ? m.containerResource : m.resource;
        const resource: string = src?.name ?? '';
        const containerName: string | undefined = container ? src?.container : undefined;
        const failReason = container ? 'FailedGetContainerResourceMetric' : 'FailedGetResourceMetric';
        const outer = container ? `failed to get ${resource} container metric value` : `failed to get ${resource} resource metric value`;
        const what = container ? `${resource} container resource` : `${resource} resource`;
        const target = src?.target ?? {};
        const fail = (detail: string) => new MetricError(`${outer}: ${detail}`, failReason, detail);
        if (target.type === 'Utilization' || (target.averageUtilization !== undefined && target.averageUtilization !== null)) {
          let metrics: PodMetrics;
          try {
            metrics = await this.resourceMetrics(ns, selector, resource, containerName);
          } catch (e) {
            throw fail(`failed to get ${resource} utilization: ${errorMessage(e)}`);
          }
          let r;
          try {
            r = resourceUtilizationReplicas(current, target.averageUtilization, resource, pods, metrics, this.calcOptions(now), containerName);
          } catch (e) {
            throw fail(`failed to get ${resource} utilization: ${errorMessage(e)}`);
          }
          const cur = { averageUtilization: r.utilization, averageValue: milliQuantity(r.averageMilli) };
          const status = container
            ? { type: 'ContainerResource', containerResource: { name: resource, container: containerName, current: cur } }
            : { type: 'Resource', resource: { name: resource, current: cur } };
          return { replicas: r.replicas, name: `${what} utilization (percentage of request)`, status };
        }
        const targetQ = parseQuantity(target.averageValue);
        if (!targetQ) throw fail('invalid resource metric source: neither a utilization target nor a value target was set');
        let metrics: PodMetrics;
        try {
          metrics = await this.resourceMetrics(ns, selector, resource, containerName);
        } catch (e) {
          throw fail(`failed to get ${resource} usage: ${errorMessage(e)}`);
        }
        let r;
        try {
          r = resourceAverageValueReplicas(current, Number(milliValue(targetQ)), resource, pods, metrics, this.calcOptions(now));
        } catch (e) {
          throw fail(`failed to get ${resource} usage: ${errorMessage(e)}`);
        }
        const cur = { averageValue: milliQuantity(r.averageMilli) };
        const status = container
          ? { type: 'ContainerResource', containerResource: { name: resource, container: containerName, current: cur } }
          : { type: 'Resource', resource: { name: resource, current: cur } };
        return { replicas: r.replicas, name: what, status };
      }
      case 'Pods':
        throw unservedMetric('Pods', 'FailedGetPodsMetric', 'pods', m.pods?.metric?.name, 'custom metrics API (custom.metrics.k8s.io)');
      case 'Object':
        throw unservedMetric('Object', 'FailedGetObjectMetric', 'object', m.object?.metric?.name, 'custom metrics API (custom.metrics.k8s.io)');
      case 'External':
        throw unservedMetric('External', 'FailedGetExternalMetric', 'external', m.external?.metric?.name, 'external metrics API (external.metrics.k8s.io)');
      default:
        throw new MetricError(`unknown metric source type "${m?.type ?? ''}"`, 'InvalidMetricSourceType', `unknown metric source type "${m?.type ?? ''}"`);
    }
  }

  /** The pods' usage from metrics.k8s.io, as the HPA's metrics client reads it. */
  private async resourceMetrics(ns: string, selector: string, resource: string, container?: string): Promise<PodMetrics> {
    let list: any;
    try {
      list = await this.client.get(withQuery(`/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(ns)}/pods`, { labelSelector: selector }));
    } catch (e) {
      throw new Error(`unable to get metrics for resource ${resource}: unable to fetch metrics from resource metrics API: ${errorMessage(e)}`);
    }
    const items: any[] = list?.items ?? [];
    if (!items.length) throw new Error(`unable to get metrics for resource ${resource}: no metrics returned from resource metrics API`);
    return podMetricsOf(items, resource, container);
  }

  private async writeStatus(hpa: any, status: any): Promise<void> {
    if (Array.isArray(status.currentMetrics) && !status.currentMetrics.length) delete status.currentMetrics;
    if (deepEqual(hpa.status ?? {}, status)) return;
    const body = { ...hpa, apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', status };
    try {
      await this.client.update(`/apis/autoscaling/v2/namespaces/${encodeURIComponent(hpa.metadata.namespace)}/horizontalpodautoscalers/${encodeURIComponent(hpa.metadata.name)}/status`, body);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

/** The part of an old status a failed sync keeps. */
function keptScaleTime(old: any): any {
  const { lastScaleTime } = old;
  return lastScaleTime ? { lastScaleTime } : {};
}

function unservedMetric(kind: string, reason: string, outer: string, name: string | undefined, api: string): MetricError {
  const inner = `unable to get ${kind === 'External' ? 'external ' : ''}metric ${name ?? ''}: unable to fetch metrics from ${api}: not served by kts`;
  return new MetricError(`failed to get ${outer} metric value: ${inner}`, reason, inner);
}
