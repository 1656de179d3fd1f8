// The HPA's replica calculation for resource metrics (upstream
// pkg/controller/podautoscaler/replica_calculator.go), pure: pods, their
// metrics and the clock in, a replica count out.
//
// - Pods being deleted or Failed are ignored; Pending pods count as unready;
//   pods without a metric are "missing".
// - For CPU, a pod is unready when it has no Ready condition or start time;
//   during its first cpuInitializationPeriod (5 min) when it is not Ready or
//   its sample does not cover a full metric window since it became Ready;
//   later only when it is not Ready and has never been Ready since start
//   (its Ready condition changed within delayOfInitialReadinessStatus, 30 s,
//   of its start).
// - The ratio of the ready pods' usage to the target decides. Within the
//   tolerance (0.1) of 1 nothing changes. With missing pods or (scaling up)
//   unready pods the ratio is recomputed assuming the worst for the
//   direction: missing pods at the target when scaling down and at 0 when
//   scaling up, unready pods at 0; a recomputed ratio that is within the
//   tolerance or points the other way keeps the current count.
// - Utilization is usage over requests in percent (integer, as upstream);
//   every counted container must request the resource.

import type { Pod } from 'kubernetes-types/core/v1.js';
import { milliValue, parseQuantity } from '../api/validation/quantity.js';
import { parseTime, podReadyCondition } from './util.js';

export const DEFAULT_TOLERANCE = 0.1;
export const DEFAULT_CPU_INITIALIZATION_PERIOD_MS = 5 * 60 * 1000;
export const DEFAULT_INITIAL_READINESS_DELAY_MS = 30 * 1000;

/** One pod's sample: the value in milli-units (summed over the counted containers). */
export interface PodMetric {
  value: number;
  /** When the sample was taken (ms) and over how long (ms). */
  timestamp: number;
  windowMs: number;
}

export type PodMetrics = Map<string, PodMetric>;

export interface ReplicaCalcOptions {
  tolerance?: number;
  cpuInitializationPeriodMs?: number;
  delayOfInitialReadinessStatusMs?: number;
  now: number;
}

export interface ResourceProposal {
  replicas: number;
  /** Utilization in percent of requests (Utilization targets only). */
  utilization?: number;
  /** The average usage per ready pod, in milli-units. */
  averageMilli: number;
  timestamp: number;
}

interface Groups {
  readyCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

export function groupPods(pods: Pod[], metrics: PodMetrics, resource: string, opts: ReplicaCalcOptions): Groups {
  const g: Groups = { readyCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  const initPeriod = opts.cpuInitializationPeriodMs ?? DEFAULT_CPU_INITIALIZATION_PERIOD_MS;
  const readinessDelay = opts.delayOfInitialReadinessStatusMs ?? DEFAULT_INITIAL_READINESS_DELAY_MS;
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Failed') {
      g.ignored.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      g.unready.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missing.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const cond = podReadyCondition(pod);
      const start = parseTime(pod.status?.startTime);
      let unready: boolean;
      if (!cond || !pod.status?.startTime) unready = true;
      else {
        const transition = parseTime(cond.lastTransitionTime);
        if (start + initPeriod > opts.now) unready = cond.status === 'False' || metric.timestamp < transition + metric.windowMs;
        else unready = cond.status === 'False' && start + readinessDelay > transition;
      }
      if (unready) {
        g.unready.add(name);
        continue;
      }
    }
    g.readyCount++;
  }
  return g;
}

/** Each pod's request of `resource` in milli-units, summed over its containers (or the one named). */
export function podRequests(pods: Pod[], resource: string, container?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) {
      if (container && c.name !== container) continue;
      const q = parseQuantity((c.resources?.requests as Record<string, unknown> | undefined)?.[resource]);
      if (!q) throw new Error(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata?.name ?? ''}`);
      sum += Number(milliValue(q));
    }
    out.set(pod.metadata?.name ?? '', sum);
  }
  return out;
}

/** Usage over requests of the pods that have both: [ratio to target, utilization %, average usage (milli)]. */
export function utilizationRatio(metrics: PodMetrics, requests: Map<string, number>, targetUtilization: number): { ratio: number; utilization: number; averageMilli: number } {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let n = 0;
  for (const [name, m] of metrics) {
    const r = requests.get(name);
    if (r === undefined) continue;
    metricsTotal += m.value;
    requestsTotal += r;
    n++;
  }
  if (requestsTotal === 0) throw new Error('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / targetUtilization, utilization, averageMilli: Math.trunc(metricsTotal / n) };
}

function oldestTimestamp(metrics: PodMetrics): number {
  let t = 0;
  for (const m of metrics.values()) if (t === 0 || m.timestamp < t) t = m.timestamp;
  return t;
}

/**
 * Desired replicas for a Utilization target of a Resource (or, with
 * `container`, ContainerResource) metric.
 */
export function resourceUtilizationReplicas(
  currentReplicas: number,
  targetUtilization: number,
  resource: string,
  pods: Pod[],
  input: PodMetrics,
  opts: ReplicaCalcOptions,
  container?: string,
): ResourceProposal {
  const tolerance = opts.tolerance ?? DEFAULT_TOLERANCE;
  if (pods.length === 0) throw new Error('no pods returned by selector while calculating replica count');
  const metrics: PodMetrics = new Map(input);
  const g = groupPods(pods, metrics, resource, opts);
  for (const n of [...g.ignored, ...g.unready]) metrics.delete(n);
  if (metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  const requests = podRequests(pods, resource, container);
  const first = utilizationRatio(metrics, requests, targetUtilization);
  const timestamp = oldestTimestamp(metrics);
  const scaleUpWithUnready = g.unready.size > 0 && first.ratio > 1.0;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (Math.abs(1.0 - first.ratio) <= tolerance) return { replicas: currentReplicas, utilization: first.utilization, averageMilli: first.averageMilli, timestamp };
    return { replicas: Math.ceil(first.ratio * g.readyCount), utilization: first.utilization, averageMilli: first.averageMilli, timestamp };
  }
  if (g.missing.size > 0) {
    // Scaling down: missing pods are assumed at their full request; up: idle.
    for (const n of g.missing) metrics.set(n, { value: first.ratio < 1.0 ? (requests.get(n) ?? 0) : 0, timestamp, windowMs: 0 });
  }
  if (scaleUpWithUnready) for (const n of g.unready) metrics.set(n, { value: 0, timestamp, windowMs: 0 });
  const next = utilizationRatio(metrics, requests, targetUtilization);
  return settle(currentReplicas, first.ratio, next.ratio, metrics.size, tolerance, { utilization: first.utilization, averageMilli: first.averageMilli, timestamp });
}

/** Desired replicas for an AverageValue target (milli-units per pod) of a Resource or ContainerResource metric. */
export function resourceAverageValueReplicas(
  currentReplicas: number,
  targetAverageMilli: number,
  resource: string,
  pods: Pod[],
  input: PodMetrics,
  opts: ReplicaCalcOptions,
): ResourceProposal {
  const tolerance = opts.tolerance ?? DEFAULT_TOLERANCE;
  if (pods.length === 0) throw new Error('no pods returned by selector while calculating replica count');
  const metrics: PodMetrics = new Map(input);
  const g = groupPods(pods, metrics, resource, opts);
  for (const n of [...g.ignored, ...g.unready]) metrics.delete(n);
  if (metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  const average = (m: PodMetrics) => {
    let sum = 0;
    for (const v of m.values()) sum += v.value;
    return Math.trunc(sum / m.size);
  };
  const usage = average(metrics);
  const ratio = usage / targetAverageMilli;
  const timestamp = oldestTimestamp(metrics);
  const scaleUpWithUnready = g.unready.size > 0 && ratio > 1.0;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (Math.abs(1.0 - ratio) <= tolerance) return { replicas: currentReplicas, averageMilli: usage, timestamp };
    return { replicas: Math.ceil(ratio * g.readyCount), averageMilli: usage, timestamp };
  }
  if (g.missing.size > 0) for (const n of g.missing) metrics.set(n, { value: ratio < 1.0 ? targetAverageMilli : 0, timestamp, windowMs: 0 });
  if (scaleUpWithUnready) for (const n of g.unready) metrics.set(n, { value: 0, timestamp, windowMs: 0 });
  const nextRatio = average(metrics) / targetAverageMilli;
  return settle(currentReplicas, ratio, nextRatio, metrics.size, tolerance, { averageMilli: usage, timestamp });
}

function settle(
  currentReplicas: number,
  ratio: number,
  nextRatio: number,
  count: number,
  tolerance: number,
  rest: Omit<ResourceProposal, 'replicas'>,
): ResourceProposal {
  // Within tolerance, or the worst-case assumptions turned the direction around: no change.
  if (Math.abs(1.0 - nextRatio) <= tolerance || (ratio < 1.0 && nextRatio > 1.0) || (ratio > 1.0 && nextRatio < 1.0)) return { replicas: currentReplicas, ...rest };
  const replicas = Math.ceil(nextRatio * count);
  if ((nextRatio < 1.0 && replicas > currentReplicas) || (nextRatio > 1.0 && replicas < currentReplicas)) return { replicas: currentReplicas, ...rest };
  return { replicas, ...rest };
}
