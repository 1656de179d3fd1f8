// Table printers for apps/v1, batch/v1 and autoscaling workload resources.

import { humanDuration } from './duration.js';
import { boolPtr, containerCells, formatLabelSelector, formatLabels, int, parseTime, selectorString, since } from './format.js';
import { AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, col, type Printer } from './types.js';

const name = (obj: any): string => obj?.metadata?.name ?? '';
const age = (obj: any, now: Date): string => since(obj?.metadata?.creationTimestamp, now);
/** spec.replicas, which upstream defaults to 1. */
const replicas = (obj: any): number => (typeof obj?.spec?.replicas === 'number' ? int(obj.spec.replicas) : 1);

const selectorColumn = (what: string) => col('Selector', 'string', `Label query over the pods the ${what} manages.`, 1);

const deploymentPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Ready', 'string', 'Ready replicas out of desired replicas.'),
    col('Up-to-date', 'string', 'Replicas running the latest pod template.'),
    col('Available', 'string', 'Replicas available to serve.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn('deployment'),
  ],
  cells(d, now) {
    const [names, images] = containerCells(d?.spec?.template?.spec?.containers);
    return [
      name(d),
      `${int(d?.status?.readyReplicas)}/${replicas(d)}`,
      int(d?.status?.updatedReplicas),
      int(d?.status?.availableReplicas),
      age(d, now),
      names,
      images,
      selectorString(d?.spec?.selector) ?? '<invalid>',
    ];
  },
};

const replicaSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Desired', 'integer', 'Requested number of replicas.'),
    col('Current', 'integer', 'Replicas that currently exist.'),
    col('Ready', 'integer', 'Replicas that are ready.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn('replica set'),
  ],
  cells(rs, now) {
    const [names, images] = containerCells(rs?.spec?.template?.spec?.containers);
    return [
      name(rs),
      replicas(rs),
      int(rs?.status?.replicas),
      int(rs?.status?.readyReplicas),
      age(rs, now),
      names,
      images,
      formatLabelSelector(rs?.spec?.selector),
    ];
  },
};

const statefulSetPrinter: Printer = {
  columns: [NAME_COLUMN, col('Ready', 'string', 'Ready replicas out of desired replicas.'), AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN],
  cells(ss, now) {
    const [names, images] = containerCells(ss?.spec?.template?.spec?.containers);
    return [name(ss), `${int(ss?.status?.readyReplicas)}/${replicas(ss)}`, age(ss, now), names, images];
  },
};

const daemonSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Desired', 'integer', 'Nodes that should run the daemon pod.'),
    col('Current', 'integer', 'Nodes running at least one daemon pod.'),
    col('Ready', 'integer', 'Nodes whose daemon pod is ready.'),
    col('Up-to-date', 'integer', 'Nodes running the latest pod template.'),
    col('Available', 'integer', 'Nodes whose daemon pod is available.'),
    col('Node Selector', 'string', 'Node labels the pods are restricted to.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn('daemon set'),
  ],
  cells(ds, now) {
    const st = ds?.status ?? {};
    const [names, images] = containerCells(ds?.spec?.template?.spec?.containers);
    return [
      name(ds),
      int(st.desiredNumberScheduled),
      int(st.currentNumberScheduled),
      int(st.numberReady),
      int(st.updatedNumberScheduled),
      int(st.numberAvailable),
      formatLabels(ds?.spec?.template?.spec?.nodeSelector),
      age(ds, now),
      names,
      images,
      formatLabelSelector(ds?.spec?.selector),
    ];
  },
};

/** `kind.group/name` of the controlling owner, or `<none>`. */
function controllerName(obj: any): string {
  const ref = (obj?.metadata?.ownerReferences ?? []).find((r: any) => r?.controller === true);
  if (!ref) return '<none>';
  const apiVersion: string = ref.apiVersion ?? '';
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  const kind: string = ref.kind ?? '';
  if (!kind && !group) return ref.name ?? '';
  return `${(group ? `${kind}.${group}` : kind).toLowerCase()}/${ref.name ?? ''}`;
}

const controllerRevisionPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Controller', 'string', 'Object that owns this revision.'),
    col('Revision', 'string', 'Revision number of the recorded state.'),
    AGE_COLUMN,
  ],
  cells: (cr, now) => [name(cr), controllerName(cr), int(cr?.revision), age(cr, now)],
};

// ---------------------------------------------------------------- batch

/** Status of the first condition of `type` is True. */
function hasCondition(conditions: any[] | undefined, type: string): boolean {
  const c = (conditions ?? []).find((x) => x?.type === type);
  return c?.status === 'True';
}

export function jobStatus(job: any): string {
  const conds = job?.status?.conditions;
  if (hasCondition(conds, 'Complete')) return 'Complete';
  if (hasCondition(conds, 'Failed')) return 'Failed';
  if (job?.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(conds, 'Suspended')) return 'Suspended';
  if (hasCondition(conds, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

const jobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Status', 'string', 'Overall state of the job.'),
    col('Completions', 'string', 'Succeeded pods out of required completions.'),
    col('Duration', 'string', 'How long the job ran or has been running.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn('job'),
  ],
  cells(job, now) {
    const spec = job?.spec ?? {};
    const st = job?.status ?? {};
    const succeeded = int(st.succeeded);
    let completions: string;
    if (typeof spec.completions === 'number') completions = `${succeeded}/${int(spec.completions)}`;
    else if (int(spec.parallelism) > 1) completions = `${succeeded}/1 of ${int(spec.parallelism)}`;
    else completions = `${succeeded}/1`;

    const start = parseTime(st.startTime);
    const end = parseTime(st.completionTime);
    let duration = '';
    if (start !== undefined) duration = humanDuration((end ?? now.getTime()) - start);

    const [names, images] = containerCells(spec.template?.spec?.containers);
    return [
      name(job),
      jobStatus(job),
      completions,
      duration,
      age(job, now),
      names,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
};

const cronJobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Schedule', 'string', 'Cron schedule of the job.'),
    col('Timezone', 'string', 'Time zone the schedule is interpreted in.'),
    col('Suspend', 'boolean', 'Whether new runs are suspended.'),
    col('Active', 'integer', 'Jobs currently running.'),
    col('Last Schedule', 'string', 'Time since a job was last scheduled.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn('job template'),
  ],
  cells(cj, now) {
    const spec = cj?.spec ?? {};
    const last = cj?.status?.lastScheduleTime;
    const [names, images] = containerCells(spec.jobTemplate?.spec?.template?.spec?.containers);
    return [
      name(cj),
      spec.schedule ?? '',
      spec.timeZone ?? '<none>',
      boolPtr(spec.suspend ?? false),
      (cj?.status?.active ?? []).length,
      last ? since(last, now) : '<none>',
      age(cj, now),
      names,
      images,
      formatLabelSelector(spec.jobTemplate?.spec?.selector),
    ];
  },
};

// ---------------------------------------------------------------- autoscaling

const quantity = (q: unknown): string => (q === undefined || q === null ? '<nil>' : String(q));
const isSet = (v: unknown): boolean => v !== undefined && v !== null;

/** autoscaling/v2-shaped metrics of an HPA in either served version (v1 carries only CPU). */
function hpaMetrics(hpa: any): { specs: any[]; statuses: any[] } {
  const spec = hpa?.spec ?? {};
  const status = hpa?.status ?? {};
  let specs: any[] = spec.metrics ?? [];
  let statuses: any[] = status.currentMetrics ?? [];
  if (!spec.metrics && isSet(spec.targetCPUUtilizationPercentage)) {
    specs = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } }];
  }
  if (!status.currentMetrics && isSet(status.currentCPUUtilizationPercentage)) {
    statuses = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }];
  }
  if (specs.length === 0) {
    // Defaulting gives a metric-less autoscaler an 80% CPU utilization target.
    specs = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
  return { specs, statuses };
}

function valueOrAverage(target: any, current: any, hasStatus: boolean): string {
  if (isSet(target?.averageValue)) {
    const cur = hasStatus && isSet(current?.averageValue) ? String(current.averageValue) : '<unknown>';
    return `${cur}/${String(target.averageValue)} (avg)`;
  }
  const cur = hasStatus ? quantity(current?.value) : '<unknown>';
  return `${cur}/${quantity(target?.value)}`;
}

function resourceMetric(src: any, cur: any): string {
  const metricName = src?.name ?? '';
  const target = src?.target ?? {};
  if (isSet(target.averageValue)) {
    const current = cur ? quantity(cur.current?.averageValue) : '<unknown>';
    return `${metricName}: ${current}/${String(target.averageValue)}`;
  }
  const current = cur && isSet(cur.current?.averageUtilization) ? `${int(cur.current.averageUtilization)}%` : '<unknown>';
  const goal = isSet(target.averageUtilization) ? `${int(target.averageUtilization)}%` : '<auto>';
  return `${metricName}: ${current}/${goal}`;
}

export function formatHPAMetrics(specs: any[], statuses: any[]): string {
  if (specs.length === 0) return '<none>';
  const max = 2;
  let list: string[] = [];
  specs.forEach((spec, i) => {
    const st = statuses[i];
    switch (spec?.type) {
      case 'External':
        list.push(valueOrAverage(spec.external?.target, st?.external?.current, !!st?.external));
        break;
      case 'Pods':
        list.push(`${st?.pods ? quantity(st.pods.current?.averageValue) : '<unknown>'}/${quantity(spec.pods?.target?.averageValue)}`);
        break;
      case 'Object':
        list.push(valueOrAverage(spec.object?.target, st?.object?.current, !!st?.object));
        break;
      case 'Resource':
        list.push(resourceMetric(spec.resource, st?.resource));
        break;
      case 'ContainerResource':
        list.push(resourceMetric(spec.containerResource, st?.containerResource));
        break;
      default:
        list.push('<unknown type>');
    }
  });
  const count = list.length;
  if (count > max) {
    list = list.slice(0, max);
    return `${list.join(', ')} + ${count - max} more...`;
  }
  return list.join(', ');
}

const hpaPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Reference', 'string', 'Scaled object, as kind/name.'),
    col('Targets', 'string', 'Current and target values of each metric.'),
    col('MinPods', 'string', 'Lower replica bound.'),
    col('MaxPods', 'string', 'Upper replica bound.'),
    col('Replicas', 'string', 'Current number of replicas.'),
    AGE_COLUMN,
  ],
  cells(hpa, now) {
    const spec = hpa?.spec ?? {};
    const { specs, statuses } = hpaMetrics(hpa);
    const ref = spec.scaleTargetRef ?? {};
    return [
      name(hpa),
      `${ref.kind ?? ''}/${ref.name ?? ''}`,
      formatHPAMetrics(specs, statuses),
      String(isSet(spec.minReplicas) ? int(spec.minReplicas) : 1),
      int(spec.maxReplicas),
      int(hpa?.status?.currentReplicas),
      age(hpa, now),
    ];
  },
};

export const appsPrinters: Record<string, Printer> = {
  deployments: deploymentPrinter,
  replicasets: replicaSetPrinter,
  statefulsets: statefulSetPrinter,
  daemonsets: daemonSetPrinter,
  controllerrevisions: controllerRevisionPrinter,
};

export const batchPrinters: Record<string, Printer> = {
  jobs: jobPrinter,
  cronjobs: cronJobPrinter,
};

export const autoscalingPrinters: Record<string, Printer> = {
  horizontalpodautoscalers: hpaPrinter,
};
