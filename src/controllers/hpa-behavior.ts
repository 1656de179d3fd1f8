// From the metrics' proposal to the replica count the HPA writes (upstream
// horizontal.go's normalizeDesiredReplicas*), pure: the proposal, the
// autoscaler's history and the clock in; the count and the AbleToScale and
// ScalingLimited conditions' reasons out.
//
// Without spec.behavior (autoscaling/v1 and behavior-less v2 objects): the
// highest recommendation of the last downscale stabilization window (the
// controller's, default 300 s) wins, then min/max replicas and a scale-up
// limit of max(2 x current, 4).
// With spec.behavior: the proposal is held between the lowest
// recommendation of the scale-up window and the highest of the scale-down
// window; then the rate is limited by the policies (Pods: a number of pods,
// Percent: a percentage of the count at the start of the policy's period,
// over the scale events of that period; selectPolicy Max takes the policy
// allowing the largest change, Min the smallest, Disabled none), then by
// min/max replicas.

export interface ScalingPolicy {
  type: 'Pods' | 'Percent' | string;
  value: number;
  periodSeconds: number;
}

export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled' | string;
  policies?: ScalingPolicy[];
}

export interface Behavior {
  scaleUp?: ScalingRules;
  scaleDown?: ScalingRules;
}

export interface Recommendation {
  replicas: number;
  timestamp: number;
}

export interface ScaleEvent {
  change: number;
  timestamp: number;
}

/** One autoscaler's memory between syncs (the controller keeps it per HPA key). */
export interface ScalingHistory {
  recommendations: Recommendation[];
  scaleUpEvents: ScaleEvent[];
  scaleDownEvents: ScaleEvent[];
}

export interface Normalized {
  replicas: number;
  /** AbleToScale (status True): ReadyForNewScale, ScaleUpStabilized or ScaleDownStabilized. */
  ableReason: string;
  ableMessage: string;
  /** ScalingLimited: True when the limits changed the stabilized recommendation. */
  limited: boolean;
  limitReason: string;
  limitMessage: string;
}

export const DEFAULT_DOWNSCALE_STABILIZATION_MS = 5 * 60 * 1000;
const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;

const READY = { reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
const UP_STABILIZED = { reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' };
const DOWN_STABILIZED = { reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };
const WITHIN = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
const TOO_FEW = { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
const TOO_MANY = { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
const UP_LIMIT = { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
const DOWN_LIMIT = { reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' };

export function newHistory(currentReplicas: number, now: number): ScalingHistory {
  // As upstream: the first recommendation is the current size, so a new autoscaler does not scale down at once.
  return { recommendations: [{ replicas: currentReplicas, timestamp: now }], scaleUpEvents: [], scaleDownEvents: [] };
}

function result(replicas: number, stabilized: number, able: { reason: string; message: string }, limit: { reason: string; message: string }): Normalized {
  return { replicas, ableReason: able.reason, ableMessage: able.message, limited: replicas !== stabilized, limitReason: limit.reason, limitMessage: limit.message };
}

/** Without behavior: stabilize over the downscale window, then clamp. Records the proposal in `history`. */
export function normalizeWithoutBehavior(
  history: ScalingHistory,
  proposal: number,
  current: number,
  minReplicas: number,
  maxReplicas: number,
  now: number,
  downscaleStabilizationMs = DEFAULT_DOWNSCALE_STABILIZATION_MS,
): Normalized {
  let stabilized = proposal;
  let oldest = -1;
  const cutoff = now - downscaleStabilizationMs;
  history.recommendations.forEach((r, i) => {
    if (r.timestamp > cutoff) stabilized = Math.max(stabilized, r.replicas);
    else oldest = i;
  });
  if (oldest >= 0) history.recommendations[oldest] = { replicas: proposal, timestamp: now };
  else history.recommendations.push({ replicas: proposal, timestamp: now });
  const able = stabilized !== proposal ? DOWN_STABILIZED : READY;
  const upLimit = Math.max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM);
  let limit = WITHIN;
  let replicas = stabilized;
  if (stabilized < minReplicas) {
    replicas = minReplicas;
    limit = TOO_FEW;
  } else if (stabilized > Math.min(maxReplicas, upLimit)) {
    const up = maxReplicas > upLimit;
    replicas = up ? upLimit : maxReplicas;
    limit = up ? UP_LIMIT : TOO_MANY;
  }
  return result(replicas, stabilized, able, limit);
}

/** The scale-down stabilization window when unset (the controller's). */
function windowSeconds(rules: ScalingRules | undefined, fallback: number): number {
  return rules?.stabilizationWindowSeconds ?? fallback;
}

function changeInPeriod(events: ScaleEvent[], periodSeconds: number, now: number): number {
  const cutoff = now - periodSeconds * 1000;
  let sum = 0;
  for (const e of events) if (e.timestamp > cutoff) sum += e.change;
  return sum;
}

/** The most replicas the scale-up policies allow now. */
export function scaleUpLimit(current: number, events: ScaleEvent[], rules: ScalingRules | undefined, now: number): number {
  const select = rules?.selectPolicy ?? 'Max';
  if (select === 'Disabled') return current;
  let result = select === 'Min' ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules?.policies ?? []) {
    const start = current - changeInPeriod(events, p.periodSeconds, now);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = select === 'Min' ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** The fewest replicas the scale-down policies allow now. */
export function scaleDownLimit(current: number, events: ScaleEvent[], rules: ScalingRules | undefined, now: number): number {
  const select = rules?.selectPolicy ?? 'Max';
  if (select === 'Disabled') return current;
  // Max picks the policy allowing the biggest drop, that is the lowest count.
  let result = select === 'Min' ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules?.policies ?? []) {
    const start = current + changeInPeriod(events, p.periodSeconds, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = select === 'Min' ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

/** With behavior: stabilize between the windows' bounds, then limit the rate and clamp. Records the proposal in `history`. */
export function normalizeWithBehavior(
  history: ScalingHistory,
  behavior: Behavior,
  proposal: number,
  current: number,
  minReplicas: number,
  maxReplicas: number,
  now: number,
  downscaleStabilizationMs = DEFAULT_DOWNSCALE_STABILIZATION_MS,
): Normalized {
  const upWindow = windowSeconds(behavior.scaleUp, 0) * 1000;
  const downWindow = windowSeconds(behavior.scaleDown, downscaleStabilizationMs / 1000) * 1000;
  const obsolete = now - Math.max(upWindow, downWindow);
  let upBound = proposal;
  let downBound = proposal;
  let oldest = -1;
  history.recommendations.forEach((r, i) => {
    if (r.timestamp > now - upWindow) upBound = Math.min(upBound, r.replicas);
    if (r.timestamp > now - downWindow) downBound = Math.max(downBound, r.replicas);
    if (r.timestamp < obsolete) oldest = i;
  });
  let stabilized = current;
  if (stabilized < upBound) stabilized = upBound;
  if (stabilized > downBound) stabilized = downBound;
  if (oldest >= 0) history.recommendations[oldest] = { replicas: proposal, timestamp: now };
  else history.recommendations.push({ replicas: proposal, timestamp: now });
  const able = stabilized === proposal ? READY : proposal >= current ? UP_STABILIZED : DOWN_STABILIZED;

  if (stabilized > current) {
    const limit = Math.max(scaleUpLimit(current, history.scaleUpEvents, behavior.scaleUp, now), current);
    const [allowed, why] = maxReplicas > limit ? [limit, UP_LIMIT] : [maxReplicas, TOO_MANY];
    if (stabilized > allowed) return result(allowed, stabilized, able, why);
  } else if (stabilized < current) {
    const limit = Math.min(scaleDownLimit(current, history.scaleDownEvents, behavior.scaleDown, now), current);
    const [allowed, why] = minReplicas < limit ? [limit, DOWN_LIMIT] : [minReplicas, TOO_FEW];
    if (stabilized < allowed) return result(allowed, stabilized, able, why);
  }
  return result(stabilized, stabilized, able, WITHIN);
}

/** Remembers a rescale for the rate limits; events older than every policy's period are dropped. */
export function recordScaleEvent(history: ScalingHistory, behavior: Behavior | undefined, previous: number, next: number, now: number): void {
  if (!behavior || previous === next) return;
  const up = next > previous;
  const rules = up ? behavior.scaleUp : behavior.scaleDown;
  const longest = Math.max(0, ...(rules?.policies ?? []).map((p) => p.periodSeconds)) * 1000;
  const key = up ? 'scaleUpEvents' : 'scaleDownEvents';
  history[key] = history[key].filter((e) => e.timestamp > now - longest);
  history[key].push({ change: Math.abs(next - previous), timestamp: now });
}
