// Table printers for the core ("" group) resources.

import { humanDuration } from './duration.js';
import {
  accessModes,
  containerCells,
  formatLabels,
  int,
  joinHostPort,
  parseTime,
  since,
} from './format.js';
import {
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  NAME_COLUMN,
  col,
  type Printer,
  type TableRowCondition,
} from './types.js';

const name = (obj: any): string => obj?.metadata?.name ?? '';
const age = (obj: any, now: Date): string => since(obj?.metadata?.creationTimestamp, now);

// ---------------------------------------------------------------- pods

/** The later of a running maximum and a container's last termination time. */
function laterRestart(current: number | undefined, status: any): number | undefined {
  const finished = parseTime(status?.lastState?.terminated?.finishedAt);
  if (finished === undefined) return current;
  return current === undefined || current < finished ? finished : current;
}

function conditionIs(conditions: any[] | undefined, type: string, status = 'True'): boolean {
  return (conditions ?? []).some((c) => c?.type === type && c?.status === status);
}

/** READY, STATUS and RESTARTS of a pod, the way kubectl shows them. */
export function podSummary(pod: any, now: Date): { ready: string; status: string; restarts: string } {
  const spec = pod?.spec ?? {};
  const status = pod?.status ?? {};
  const phase: string = status.phase || 'Pending';
  const conditions: any[] = status.conditions ?? [];

  let reason: string = status.reason || phase;
  for (const c of conditions) {
    if (c?.type === 'PodScheduled' && c?.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initSpecs: any[] = spec.initContainers ?? [];
  const restartable = new Set<string>();
  let total = (spec.containers ?? []).length;
  for (const c of initSpecs) {
    if (c?.restartPolicy === 'Always') {
      restartable.add(c.name);
      total++;
    }
  }

  let readyCount = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart: number | undefined;
  let lastSidecarRestart: number | undefined;

  // Init containers run in order: report the first one that has not finished.
  let initializing = false;
  const initStatuses: any[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i] ?? {};
    const state = cs.state ?? {};
    const isSidecar = restartable.has(cs.name);
    restarts += int(cs.restartCount);
    lastRestart = laterRestart(lastRestart, cs);
    if (isSidecar) {
      sidecarRestarts += int(cs.restartCount);
      lastSidecarRestart = laterRestart(lastSidecarRestart, cs);
    }
    if (state.terminated && int(state.terminated.exitCode) === 0) continue;
    if (isSidecar && cs.started === true) {
      if (cs.ready) readyCount++;
      continue;
    }
    if (state.terminated) {
      const t = state.terminated;
      if (t.reason) reason = `Init:${t.reason}`;
      else if (int(t.signal) !== 0) reason = `Init:Signal:${int(t.signal)}`;
      else reason = `Init:ExitCode:${int(t.exitCode)}`;
    } else if (state.waiting?.reason && state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${state.waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionIsFirst(conditions, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses: any[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i] ?? {};
      const state = cs.state ?? {};
      restarts += int(cs.restartCount);
      lastRestart = laterRestart(lastRestart, cs);
      if (state.waiting && state.waiting.reason) {
        reason = state.waiting.reason;
      } else if (state.terminated && state.terminated.reason) {
        reason = state.terminated.reason;
      } else if (state.terminated) {
        const t = state.terminated;
        reason = int(t.signal) !== 0 ? `Signal:${int(t.signal)}` : `ExitCode:${int(t.exitCode)}`;
      } else if (cs.ready && state.running) {
        hasRunning = true;
        readyCount++;
      }
    }
    // A pod whose finished containers say Completed is still running while
    // another container is up.
    if (reason === 'Completed' && hasRunning) {
      reason = conditionIs(conditions, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  if (pod?.metadata?.deletionTimestamp && status.reason === 'NodeLost') {
    reason = 'Unknown';
  } else if (pod?.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') {
    reason = 'Terminating';
  }

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) {
    restartsText = `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)`;
  }
  return { ready: `${readyCount}/${total}`, status: reason, restarts: restartsText };
}

/** Whether the first condition of `type` is True (upstream looks only at the first). */
function conditionIsFirst(conditions: any[], type: string): boolean {
  const c = conditions.find((x) => x?.type === type);
  return c?.status === 'True';
}

const podPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Ready', 'string', 'Ready containers out of all containers in the pod.'),
    col('Status', 'string', 'Summary of the pod phase and container states.'),
    col('Restarts', 'string', 'Container restarts in the pod and how long ago the last one was.'),
    AGE_COLUMN,
    col('IP', 'string', 'Primary IP address assigned to the pod.', 1),
    col('Node', 'string', 'Node the pod is bound to.', 1),
    col('Nominated Node', 'string', 'Node the scheduler nominated while preempting for this pod.', 1),
    col('Readiness Gates', 'string', 'Satisfied readiness gates out of all declared gates.', 1),
  ],
  cells(pod, now) {
    const s = podSummary(pod, now);
    const status = pod?.status ?? {};
    const spec = pod?.spec ?? {};
    const ip: string = status.podIPs?.[0]?.ip || status.podIP || '<none>';
    const gates: any[] = spec.readinessGates ?? [];
    let gatesText = '<none>';
    if (gates.length > 0) {
      let satisfied = 0;
      for (const g of gates) {
        const c = (status.conditions ?? []).find((x: any) => x?.type === g?.conditionType);
        if (c?.status === 'True') satisfied++;
      }
      gatesText = `${satisfied}/${gates.length}`;
    }
    return [
      name(pod),
      s.ready,
      s.status,
      s.restarts,
      age(pod, now),
      ip,
      spec.nodeName || '<none>',
      status.nominatedNodeName || '<none>',
      gatesText,
    ];
  },
  conditions(pod): TableRowCondition[] | undefined {
    switch (pod?.status?.phase) {
      case 'Succeeded':
        return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
      case 'Failed':
        return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
      default:
        return undefined;
    }
  },
};

const podTemplatePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Containers', 'string', 'Container names in the template.'),
    col('Images', 'string', 'Container images in the template.'),
    col('Pod Labels', 'string', 'Labels the template gives its pods.'),
  ],
  cells(obj) {
    const [names, images] = containerCells(obj?.template?.spec?.containers);
    return [name(obj), names, images, formatLabels(obj?.template?.metadata?.labels)];
  },
};

const replicationControllerPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Desired', 'integer', 'Requested number of replicas.'),
    col('Current', 'integer', 'Replicas that currently exist.'),
    col('Ready', 'integer', 'Replicas that are ready.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    col('Selector', 'string', 'Label query over the pods it manages.', 1),
  ],
  cells(obj, now) {
    const [names, images] = containerCells(obj?.spec?.template?.spec?.containers);
    return [
      name(obj),
      typeof obj?.spec?.replicas === 'number' ? int(obj.spec.replicas) : 1,
      int(obj?.status?.replicas),
      int(obj?.status?.readyReplicas),
      age(obj, now),
      names,
      images,
      formatLabels(obj?.spec?.selector),
    ];
  },
};

// ---------------------------------------------------------------- services

function loadBalancerIngress(ingress: any[] | undefined): string {
  const set = new Set<string>();
  for (const i of ingress ?? []) {
    if (i?.ip) set.add(i.ip);
    else if (i?.hostname) set.add(i.hostname);
  }
  // The server always prints in wide mode, so the list is never clipped.
  return [...set].sort().join(',');
}

export function serviceExternalIP(svc: any): string {
  const spec = svc?.spec ?? {};
  const external: string[] = spec.externalIPs ?? [];
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return external.length > 0 ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(svc?.status?.loadBalancer?.ingress);
      if (external.length > 0) return [...(lb ? lb.split(',') : []), ...external].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

export function servicePorts(ports: any[] | undefined): string {
  return (ports ?? [])
    .map((p) => {
      const proto = p?.protocol || 'TCP';
      return int(p?.nodePort) > 0 ? `${int(p.port)}:${int(p.nodePort)}/${proto}` : `${int(p?.port)}/${proto}`;
    })
    .join(',');
}

const servicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Type', 'string', 'How the service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.'),
    col('Cluster-IP', 'string', 'Virtual IP assigned inside the cluster.'),
    col('External-IP', 'string', 'Addresses reachable from outside the cluster.'),
    col('Port(s)', 'string', 'Service ports, with node ports where allocated.'),
    AGE_COLUMN,
    col('Selector', 'string', 'Labels of the pods the service routes to.', 1),
  ],
  cells(svc, now) {
    const spec = svc?.spec ?? {};
    const ips: string[] = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
    return [
      name(svc),
      spec.type ?? 'ClusterIP',
      ips[0] ?? '<none>',
      serviceExternalIP(svc),
      servicePorts(spec.ports) || '<none>',
      age(svc, now),
      formatLabels(spec.selector),
    ];
  },
};

export function formatEndpoints(ep: any): string {
  const subsets: any[] = ep?.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses: any[] = ss?.addresses ?? [];
    const ports: any[] = ss?.ports ?? [];
    if (ports.length === 0) {
      // Headless services may publish addresses without ports.
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a?.ip ?? '');
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(a?.ip ?? '', int(port?.port)));
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

const endpointsPrinter: Printer = {
  columns: [NAME_COLUMN, col('Endpoints', 'string', 'Ready addresses and ports behind the service.'), AGE_COLUMN],
  cells: (obj, now) => [name(obj), formatEndpoints(obj), age(obj, now)],
};

// ---------------------------------------------------------------- nodes

export function nodeRoles(node: any): string {
  const roles = new Set<string>();
  const prefix = 'node-role.kubernetes.io/';
  for (const [k, v] of Object.entries<string>(node?.metadata?.labels ?? {})) {
    if (k.startsWith(prefix)) {
      const role = k.slice(prefix.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) {
      roles.add(v);
    }
  }
  return [...roles].sort().join(',') || '<none>';
}

function nodeAddress(node: any, type: string): string {
  const a = (node?.status?.addresses ?? []).find((x: any) => x?.type === type);
  return a ? (a.address ?? '') : '<none>';
}

const nodePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Status', 'string', 'Readiness of the node and whether scheduling is disabled.'),
    col('Roles', 'string', 'Roles taken from node-role.kubernetes.io labels.'),
    AGE_COLUMN,
    col('Version', 'string', 'Kubelet version reported by the node.'),
    col('Internal-IP', 'string', 'First internal address of the node.', 1),
    col('External-IP', 'string', 'First external address of the node.', 1),
    col('OS-Image', 'string', 'Operating system image reported by the node.', 1),
    col('Kernel-Version', 'string', 'Kernel version reported by the node.', 1),
    col('Container-Runtime', 'string', 'Container runtime name and version.', 1),
  ],
  cells(node, now) {
    const status: string[] = [];
    // Later conditions of the same type win, as in a map keyed by type.
    let ready: any;
    for (const c of node?.status?.conditions ?? []) if (c?.type === 'Ready') ready = c;
    if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
    if (status.length === 0) status.push('Unknown');
    if (node?.spec?.unschedulable) status.push('SchedulingDisabled');
    const info = node?.status?.nodeInfo ?? {};
    return [
      name(node),
      status.join(','),
      nodeRoles(node),
      age(node, now),
      info.kubeletVersion ?? '',
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      info.osImage || '<unknown>',
      info.kernelVersion || '<unknown>',
      info.containerRuntimeVersion || '<unknown>',
    ];
  },
};

// ---------------------------------------------------------------- events

/** An events.k8s.io/v1 Event seen through core/v1 field names. */
export function eventsV1AsCore(e: any): any {
  return {
    metadata: e?.metadata,
    involvedObject: e?.regarding ?? {},
    reason: e?.reason,
    message: e?.note,
    source: e?.deprecatedSource ?? {},
    firstTimestamp: e?.deprecatedFirstTimestamp,
    lastTimestamp: e?.deprecatedLastTimestamp,
    count: e?.deprecatedCount,
    type: e?.type,
    eventTime: e?.eventTime,
    series: e?.series,
    reportingComponent: e?.reportingController,
    reportingInstance: e?.reportingInstance,
  };
}

function eventCells(ev: any, now: Date): unknown[] {
  const first = parseTime(ev?.firstTimestamp) !== undefined ? since(ev.firstTimestamp, now) : since(ev?.eventTime, now);
  let last = parseTime(ev?.lastTimestamp) !== undefined ? since(ev.lastTimestamp, now) : first;
  let count = int(ev?.count);
  if (ev?.series) {
    last = since(ev.series.lastObservedTime, now);
    count = int(ev.series.count);
  } else if (count === 0) {
    count = 1; // singleton events written through the new API carry no count
  }
  const involved = ev?.involvedObject ?? {};
  const kind = String(involved.kind ?? '').toLowerCase();
  const target = involved.name ? `${kind}/${involved.name}` : kind;
  const component = ev?.source?.component || ev?.reportingComponent || '';
  const instance = ev?.source?.host || ev?.reportingInstance || '';
  const source = instance ? `${component}, ${instance}` : component;
  return [
    last,
    ev?.type ?? '',
    ev?.reason ?? '',
    target,
    involved.fieldPath ?? '',
    source,
    String(ev?.message ?? '').trim(),
    first,
    count,
    name(ev),
  ];
}

const eventColumns = [
  col('Last Seen', 'string', 'Time since the event was last observed.'),
  col('Type', 'string', 'Normal or Warning.'),
  col('Reason', 'string', 'Short machine-readable cause of the event.'),
  col('Object', 'string', 'Object the event is about, as kind/name.'),
  col('Subobject', 'string', 'Field path within the object, such as a container.', 1),
  col('Source', 'string', 'Component (and host) that reported the event.', 1),
  col('Message', 'string', 'Human-readable description of the event.'),
  col('First Seen', 'string', 'Time since the event was first observed.', 1),
  col('Count', 'string', 'How many times the event has occurred.', 1),
  col('Name', 'string', 'Name of the event object.', 1, 'name'),
];

const eventPrinter: Printer = { columns: eventColumns, cells: eventCells };
const eventsV1Printer: Printer = { columns: eventColumns, cells: (e, now) => eventCells(eventsV1AsCore(e), now) };

// ---------------------------------------------------------------- simple core kinds

const namespacePrinter: Printer = {
  columns: [NAME_COLUMN, col('Status', 'string', 'Lifecycle phase of the namespace.'), AGE_COLUMN],
  cells: (ns, now) => [name(ns), ns?.status?.phase || 'Active', age(ns, now)],
};

const secretPrinter: Printer = {
  columns: [NAME_COLUMN, col('Type', 'string', 'Secret type.'), col('Data', 'string', 'Number of data keys.'), AGE_COLUMN],
  cells: (s, now) => [name(s), s?.type || 'Opaque', Object.keys(s?.data ?? {}).length, age(s, now)],
};

const configMapPrinter: Printer = {
  columns: [NAME_COLUMN, col('Data', 'string', 'Number of data and binaryData keys.'), AGE_COLUMN],
  cells: (cm, now) => [name(cm), Object.keys(cm?.data ?? {}).length + Object.keys(cm?.binaryData ?? {}).length, age(cm, now)],
};

const serviceAccountPrinter: Printer = {
  columns: [NAME_COLUMN, col('Secrets', 'string', 'Number of secrets listed on the account.'), AGE_COLUMN],
  cells: (sa, now) => [name(sa), (sa?.secrets ?? []).length, age(sa, now)],
};

const BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

const persistentVolumePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Capacity', 'string', 'Storage capacity of the volume.'),
    col('Access Modes', 'string', 'Ways the volume can be mounted.'),
    col('Reclaim Policy', 'string', 'What happens to the volume when its claim is released.'),
    col('Status', 'string', 'Lifecycle phase of the volume.'),
    col('Claim', 'string', 'Claim bound to the volume, as namespace/name.'),
    col('StorageClass', 'string', 'Storage class of the volume.'),
    col('VolumeAttributesClass', 'string', 'Volume attributes class of the volume.'),
    col('Reason', 'string', 'Why the volume is in its current phase.'),
    AGE_COLUMN,
    col('VolumeMode', 'string', 'Filesystem or Block.', 1),
  ],
  cells(pv, now) {
    const spec = pv?.spec ?? {};
    const ref = spec.claimRef;
    const annotations = pv?.metadata?.annotations ?? {};
    return [
      name(pv),
      spec.capacity?.storage ?? '0',
      accessModes(spec.accessModes),
      spec.persistentVolumeReclaimPolicy || 'Retain',
      pv?.metadata?.deletionTimestamp ? 'Terminating' : pv?.status?.phase || 'Pending',
      ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '',
      BETA_STORAGE_CLASS in annotations ? annotations[BETA_STORAGE_CLASS] : (spec.storageClassName ?? ''),
      spec.volumeAttributesClassName ?? '<unset>',
      pv?.status?.reason ?? '',
      age(pv, now),
      spec.volumeMode || 'Filesystem',
    ];
  },
};

const persistentVolumeClaimPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Status', 'string', 'Lifecycle phase of the claim.'),
    col('Volume', 'string', 'Volume bound to the claim.'),
    col('Capacity', 'string', 'Capacity of the bound volume.'),
    col('Access Modes', 'string', 'Access modes of the bound volume.'),
    col('StorageClass', 'string', 'Storage class requested by the claim.'),
    col('VolumeAttributesClass', 'string', 'Volume attributes class requested by the claim.'),
    AGE_COLUMN,
    col('VolumeMode', 'string', 'Filesystem or Block.', 1),
  ],
  cells(pvc, now) {
    const spec = pvc?.spec ?? {};
    const annotations = pvc?.metadata?.annotations ?? {};
    const bound = !!spec.volumeName;
    return [
      name(pvc),
      pvc?.metadata?.deletionTimestamp ? 'Terminating' : pvc?.status?.phase || 'Pending',
      spec.volumeName ?? '',
      bound ? (pvc?.status?.capacity?.storage ?? '0') : '',
      bound ? accessModes(pvc?.status?.accessModes) : '',
      BETA_STORAGE_CLASS in annotations ? annotations[BETA_STORAGE_CLASS] : (spec.storageClassName ?? ''),
      spec.volumeAttributesClassName ?? '<unset>',
      age(pvc, now),
      spec.volumeMode || 'Filesystem',
    ];
  },
};

const componentStatusPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Status', 'string', 'Healthy, Unhealthy or Unknown.'),
    col('Message', 'string', 'Message of the health condition.'),
    col('Error', 'string', 'Error of the health condition.'),
  ],
  cells(cs) {
    let status = 'Unknown';
    let message = '';
    let error = '';
    const c = (cs?.conditions ?? []).find((x: any) => x?.type === 'Healthy');
    if (c) {
      status = c.status === 'True' ? 'Healthy' : 'Unhealthy';
      message = c.message ?? '';
      error = c.error ?? '';
    }
    return [name(cs), status, message, error];
  },
};

const resourceQuotaPrinter: Printer = {
  // 1.32 places Age before the usage columns.
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    col('Request', 'string', 'Used and hard limits of request-type resources.'),
    col('Limit', 'string', 'Used and hard limits of limits.* resources.'),
  ],
  cells(rq, now) {
    const hard: Record<string, string> = rq?.status?.hard ?? {};
    const used: Record<string, string> = rq?.status?.used ?? {};
    const requests: string[] = [];
    const limits: string[] = [];
    for (const r of Object.keys(hard).sort()) {
      const pieces = r.split('.');
      const text = `${r}: ${used[r] ?? '0'}/${hard[r]}`;
      (pieces.length > 1 && pieces[0] === 'limits' ? limits : requests).push(text);
    }
    return [name(rq), age(rq, now), requests.join(', '), limits.join(', ')];
  },
};

/** Core-group printers keyed by plural resource name. */
export const corePrinters: Record<string, Printer> = {
  pods: podPrinter,
  podtemplates: podTemplatePrinter,
  replicationcontrollers: replicationControllerPrinter,
  services: servicePrinter,
  endpoints: endpointsPrinter,
  nodes: nodePrinter,
  events: eventPrinter,
  namespaces: namespacePrinter,
  secrets: secretPrinter,
  configmaps: configMapPrinter,
  serviceaccounts: serviceAccountPrinter,
  persistentvolumes: persistentVolumePrinter,
  persistentvolumeclaims: persistentVolumeClaimPrinter,
  componentstatuses: componentStatusPrinter,
  resourcequotas: resourceQuotaPrinter,
};

export { eventsV1Printer };
