// autoscaling/v1 <-> autoscaling/v2 HorizontalPodAutoscalers. Both versions
// are served from one stored object (stored as v2, as upstream). v1 only has
// a CPU utilization target; as upstream, everything else a v2 object holds
// travels through v1 in annotations, in v1's own metric shapes (the
// v2beta1-like `targetAverageUtilization`, `currentAverageValue`, ...), so a
// v1 read-modify-write keeps it.

type Obj = Record<string, any>;

export const METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const CURRENT_METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
const ANNOTATIONS = [METRICS_ANNOTATION, CURRENT_METRICS_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION];
/** The implicit target of an autoscaler that names none. */
export const DEFAULT_CPU_UTILIZATION = 80;

const has = (v: unknown): boolean => v !== undefined && v !== null;

function setIf(o: Obj, k: string, v: unknown): void {
  if (has(v)) o[k] = v;
}

const isCPUUtilization = (m: any): boolean => m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.type === 'Utilization' && has(m.resource.target.averageUtilization);

// ---- metric shapes: v2 <-> v1 (annotation) ----

function targetToV1(t: any, out: Obj, names: { value?: string; average?: string; utilization?: string }): void {
  if (names.value) setIf(out, names.value, t?.value);
  if (names.average) setIf(out, names.average, t?.averageValue);
  if (names.utilization) setIf(out, names.utilization, t?.averageUtilization);
}

function metricSpecToV1(m: any): Obj {
  const out: Obj = { type: m?.type };
  switch (m?.type) {
    case 'Resource': {
      const r: Obj = { name: m.resource?.name };
      targetToV1(m.resource?.target, r, { utilization: 'targetAverageUtilization', average: 'targetAverageValue' });
      out.resource = r;
      break;
    }
    case 'ContainerResource': {
      const r: Obj = { name: m.containerResource?.name };
      targetToV1(m.containerResource?.target, r, { utilization: 'targetAverageUtilization', average: 'targetAverageValue' });
      r.container = m.containerResource?.container;
      out.containerResource = r;
      break;
    }
    case 'Pods': {
      const p: Obj = { metricName: m.pods?.metric?.name, targetAverageValue: m.pods?.target?.averageValue };
      setIf(p, 'selector', m.pods?.metric?.selector);
      out.pods = p;
      break;
    }
    case 'Object': {
      const o: Obj = { target: m.object?.describedObject, metricName: m.object?.metric?.name, targetValue: m.object?.target?.value };
      setIf(o, 'selector', m.object?.metric?.selector);
      setIf(o, 'averageValue', m.object?.target?.averageValue);
      out.object = o;
      break;
    }
    case 'External': {
      const e: Obj = { metricName: m.external?.metric?.name };
      setIf(e, 'metricSelector', m.external?.metric?.selector);
      targetToV1(m.external?.target, e, { value: 'targetValue', average: 'targetAverageValue' });
      out.external = e;
      break;
    }
  }
  return out;
}

function targetFromV1(value: unknown, average: unknown, utilization: unknown): Obj {
  if (has(utilization)) return { type: 'Utilization', averageUtilization: utilization };
  if (has(average)) return { type: 'AverageValue', averageValue: average };
  return { type: 'Value', value };
}

function metricSpecFromV1(m: any): Obj {
  const out: Obj = { type: m?.type };
  switch (m?.type) {
    case 'Resource':
      out.resource = { name: m.resource?.name, target: targetFromV1(undefined, m.resource?.targetAverageValue, m.resource?.targetAverageUtilization) };
      break;
    case 'ContainerResource':
      out.containerResource = {
        name: m.containerResource?.name,
        container: m.containerResource?.container,
        target: targetFromV1(undefined, m.containerResource?.targetAverageValue, m.containerResource?.targetAverageUtilization),
      };
      break;
    case 'Pods': {
      const metric: Obj = { name: m.pods?.metricName };
      setIf(metric, 'selector', m.pods?.selector);
      out.pods = { metric, target: { type: 'AverageValue', averageValue: m.pods?.targetAverageValue } };
      break;
    }
    case 'Object': {
      const metric: Obj = { name: m.object?.metricName };
      setIf(metric, 'selector', m.object?.selector);
      out.object = { describedObject: m.object?.target, metric, target: targetFromV1(m.object?.targetValue, m.object?.averageValue, undefined) };
      break;
    }
    case 'External': {
      const metric: Obj = { name: m.external?.metricName };
      setIf(metric, 'selector', m.external?.metricSelector);
      out.external = { metric, target: targetFromV1(m.external?.targetValue, m.external?.targetAverageValue, undefined) };
      break;
    }
  }
  return out;
}

function metricStatusToV1(m: any): Obj {
  const out: Obj = { type: m?.type };
  const cur = (x: any) => x?.current ?? {};
  switch (m?.type) {
    case 'Resource': {
      const r: Obj = { name: m.resource?.name };
      setIf(r, 'currentAverageUtilization', cur(m.resource).averageUtilization);
      r.currentAverageValue = cur(m.resource).averageValue ?? '0';
      out.resource = r;
      break;
    }
    case 'ContainerResource': {
      const r: Obj = { name: m.containerResource?.name };
      setIf(r, 'currentAverageUtilization', cur(m.containerResource).averageUtilization);
      r.currentAverageValue = cur(m.containerResource).averageValue ?? '0';
      r.container = m.containerResource?.container;
      out.containerResource = r;
      break;
    }
    case 'Pods': {
      const p: Obj = { metricName: m.pods?.metric?.name, currentAverageValue: cur(m.pods).averageValue ?? '0' };
      setIf(p, 'selector', m.pods?.metric?.selector);
      out.pods = p;
      break;
    }
    case 'Object': {
      const o: Obj = { target: m.object?.describedObject, metricName: m.object?.metric?.name, currentValue: cur(m.object).value ?? '0' };
      setIf(o, 'selector', m.object?.metric?.selector);
      setIf(o, 'averageValue', cur(m.object).averageValue);
      out.object = o;
      break;
    }
    case 'External': {
      const e: Obj = { metricName: m.external?.metric?.name, currentValue: cur(m.external).value ?? '0' };
      setIf(e, 'metricSelector', m.external?.metric?.selector);
      setIf(e, 'currentAverageValue', cur(m.external).averageValue);
      out.external = e;
      break;
    }
  }
  return out;
}

function current(value: unknown, average: unknown, utilization: unknown): Obj {
  const c: Obj = {};
  setIf(c, 'value', value);
  setIf(c, 'averageValue', average);
  setIf(c, 'averageUtilization', utilization);
  return c;
}

function metricStatusFromV1(m: any): Obj {
  const out: Obj = { type: m?.type };
  switch (m?.type) {
    case 'Resource':
      out.resource = { name: m.resource?.name, current: current(undefined, m.resource?.currentAverageValue, m.resource?.currentAverageUtilization) };
      break;
    case 'ContainerResource':
      out.containerResource = {
        name: m.containerResource?.name,
        container: m.containerResource?.container,
        current: current(undefined, m.containerResource?.currentAverageValue, m.containerResource?.currentAverageUtilization),
      };
      break;
    case 'Pods': {
      const metric: Obj = { name: m.pods?.metricName };
      setIf(metric, 'selector', m.pods?.selector);
      out.pods = { metric, current: current(undefined, m.pods?.currentAverageValue, undefined) };
      break;
    }
    case 'Object': {
      const metric: Obj = { name: m.object?.metricName };
      setIf(metric, 'selector', m.object?.selector);
      out.object = { describedObject: m.object?.target, metric, current: current(m.object?.currentValue, m.object?.averageValue, undefined) };
      break;
    }
    case 'External': {
      const metric: Obj = { name: m.external?.metricName };
      setIf(metric, 'selector', m.external?.metricSelector);
      out.external = { metric, current: current(m.external?.currentValue, m.external?.currentAverageValue, undefined) };
      break;
    }
  }
  return out;
}

function parseAnnotation(annotations: Obj, key: string): any {
  const raw = annotations[key];
  if (typeof raw !== 'string') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    // As upstream's conversion this is an error; a hand-edited annotation should not make the object unreadable.
    return undefined;
  }
}

// ---- whole objects ----

/** An autoscaling/v2 HorizontalPodAutoscaler as autoscaling/v1. */
export function hpaV2ToV1(h: Obj): Obj {
  const { spec = {}, status, metadata = {}, ...rest } = h;
  const annotations: Obj = { ...(metadata.annotations ?? {}) };
  const metrics: any[] = Array.isArray(spec.metrics) ? spec.metrics : [];
  const v1spec: Obj = { scaleTargetRef: spec.scaleTargetRef };
  setIf(v1spec, 'minReplicas', spec.minReplicas);
  v1spec.maxReplicas = spec.maxReplicas;
  const cpu = metrics.find(isCPUUtilization);
  if (cpu) v1spec.targetCPUUtilizationPercentage = cpu.resource.target.averageUtilization;
  const others = metrics.filter((m) => m !== cpu);
  if (others.length) annotations[METRICS_ANNOTATION] = JSON.stringify(others.map(metricSpecToV1));
  if (has(spec.behavior)) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(spec.behavior);
  const out: Obj = { ...rest, apiVersion: 'autoscaling/v1', metadata: { ...metadata }, spec: v1spec };
  if (status) {
    const s: Obj = {};
    setIf(s, 'observedGeneration', status.observedGeneration);
    setIf(s, 'lastScaleTime', status.lastScaleTime);
    s.currentReplicas = status.currentReplicas ?? 0;
    s.desiredReplicas = status.desiredReplicas ?? 0;
    const currentMetrics: any[] = Array.isArray(status.currentMetrics) ? status.currentMetrics : [];
    const cpuNow = currentMetrics.find((m) => m?.type === 'Resource' && m.resource?.name === 'cpu' && has(m.resource?.current?.averageUtilization));
    if (cpuNow) s.currentCPUUtilizationPercentage = cpuNow.resource.current.averageUtilization;
    // The raw values of CPU too: v1 has nowhere else to keep them.
    if (currentMetrics.length) annotations[CURRENT_METRICS_ANNOTATION] = JSON.stringify(currentMetrics.map(metricStatusToV1));
    if (Array.isArray(status.conditions) && status.conditions.length) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(status.conditions);
    out.status = s;
  }
  if (Object.keys(annotations).length) out.metadata.annotations = annotations;
  return out;
}

/** An autoscaling/v1 HorizontalPodAutoscaler as autoscaling/v2. */
export function hpaV1ToV2(h: Obj): Obj {
  const { spec = {}, status, metadata = {}, ...rest } = h;
  const annotations: Obj = { ...(metadata.annotations ?? {}) };
  const v2spec: Obj = { scaleTargetRef: spec.scaleTargetRef };
  setIf(v2spec, 'minReplicas', spec.minReplicas);
  v2spec.maxReplicas = spec.maxReplicas;
  const metrics: any[] = [];
  if (has(spec.targetCPUUtilizationPercentage)) {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } });
  }
  const others = parseAnnotation(annotations, METRICS_ANNOTATION);
  if (Array.isArray(others)) metrics.push(...others.map(metricSpecFromV1));
  // v1's implicit target, made explicit.
  if (!metrics.length) metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } });
  v2spec.metrics = metrics;
  const behavior = parseAnnotation(annotations, BEHAVIOR_ANNOTATION);
  if (behavior && typeof behavior === 'object') v2spec.behavior = behavior;
  const out: Obj = { ...rest, apiVersion: 'autoscaling/v2', metadata: { ...metadata }, spec: v2spec };
  if (status) {
    const s: Obj = {};
    setIf(s, 'observedGeneration', status.observedGeneration);
    setIf(s, 'lastScaleTime', status.lastScaleTime);
    setIf(s, 'currentReplicas', status.currentReplicas);
    s.desiredReplicas = status.desiredReplicas ?? 0;
    const currentMetrics = parseAnnotation(annotations, CURRENT_METRICS_ANNOTATION);
    if (Array.isArray(currentMetrics)) s.currentMetrics = currentMetrics.map(metricStatusFromV1);
    else if (has(status.currentCPUUtilizationPercentage)) {
      s.currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }];
    }
    const conditions = parseAnnotation(annotations, CONDITIONS_ANNOTATION);
    if (Array.isArray(conditions)) s.conditions = conditions;
    out.status = s;
  }
  for (const k of ANNOTATIONS) delete annotations[k];
  if (Object.keys(annotations).length) out.metadata.annotations = annotations;
  else delete out.metadata.annotations;
  return out;
}
