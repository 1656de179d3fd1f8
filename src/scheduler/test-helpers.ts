// Builders for concrete Nodes and Pods used by the scheduler's tests.

import { SchedulerCache } from './node-info.js';

export interface NodeOpts {
  cpu?: string;
  memory?: string;
  pods?: string;
  extended?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Array<{ key: string; value?: string; effect: string }>;
  unschedulable?: boolean;
  /** Ready condition status; null: no Ready condition at all. Default 'True'. */
  ready?: string | null;
  images?: Array<{ names: string[]; sizeBytes: number }>;
}

export function makeNode(name: string, o: NodeOpts = {}): any {
  const node: any = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: {},
    status: {
      allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110', ...(o.extended ?? {}) },
      conditions: o.ready === null ? [] : [{ type: 'Ready', status: o.ready ?? 'True' }],
    },
  };
  if (o.taints) node.spec.taints = o.taints;
  if (o.unschedulable) node.spec.unschedulable = true;
  if (o.images) node.status.images = o.images;
  return node;
}

export interface PodOpts {
  namespace?: string;
  uid?: string;
  cpu?: string;
  memory?: string;
  requests?: Record<string, string>;
  labels?: Record<string, string>;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: any;
  tolerations?: any[];
  hostPorts?: Array<{ hostPort: number; protocol?: string; hostIP?: string }>;
  priority?: number;
  priorityClassName?: string;
  preemptionPolicy?: string;
  topologySpreadConstraints?: any[];
  initContainers?: any[];
  overhead?: Record<string, string>;
  image?: string;
  schedulerName?: string;
  creationTimestamp?: string;
  status?: any;
  deletionTimestamp?: string;
}

let uidCounter = 0;

export function makePod(name: string, o: PodOpts = {}): any {
  const requests: Record<string, string> = { ...(o.requests ?? {}) };
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  const container: any = { name: 'c', image: o.image ?? 'busybox' };
  if (Object.keys(requests).length) container.resources = { requests };
  if (o.hostPorts) container.ports = o.hostPorts.map((p) => ({ containerPort: p.hostPort, ...p }));
  const pod: any = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      uid: o.uid ?? `uid-${name}-${++uidCounter}`,
      labels: o.labels ?? {},
      creationTimestamp: o.creationTimestamp ?? '2024-01-01T00:00:00Z',
    },
    spec: { containers: [container] },
    status: o.status ?? {},
  };
  if (o.deletionTimestamp) pod.metadata.deletionTimestamp = o.deletionTimestamp;
  const spec = pod.spec;
  if (o.nodeName) spec.nodeName = o.nodeName;
  if (o.nodeSelector) spec.nodeSelector = o.nodeSelector;
  if (o.affinity) spec.affinity = o.affinity;
  if (o.tolerations) spec.tolerations = o.tolerations;
  if (o.priority !== undefined) spec.priority = o.priority;
  if (o.priorityClassName) spec.priorityClassName = o.priorityClassName;
  if (o.preemptionPolicy) spec.preemptionPolicy = o.preemptionPolicy;
  if (o.topologySpreadConstraints) spec.topologySpreadConstraints = o.topologySpreadConstraints;
  if (o.initContainers) spec.initContainers = o.initContainers;
  if (o.overhead) spec.overhead = o.overhead;
  if (o.schedulerName) spec.schedulerName = o.schedulerName;
  return pod;
}

/** A cache holding these nodes and (assigned) pods. */
export function clusterOf(nodes: any[], pods: any[] = [], nsLabels: Record<string, Record<string, string>> = {}): SchedulerCache {
  const cache = new SchedulerCache((ns) => nsLabels[ns]);
  for (const n of nodes) cache.setNode(n);
  for (const p of pods) cache.setPod(p);
  return cache;
}
