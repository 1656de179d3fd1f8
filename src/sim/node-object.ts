// The Node and Lease objects a healthy kubelet would register and keep
// fresh, built for one simulated node. Pure: no I/O.

import { createHash } from 'node:crypto';
import { KUBERNETES_VERSION } from '../version.js';
import { microTime } from '../client/leader-election.js';
import { rfc3339 } from './pod-status.js';

export const SIM_NODE_LABEL = 'type';
export const SIM_NODE_LABEL_VALUE = 'kts-sim';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
// The API server recognizes simulated nodes by this runtime (apiserver/sim-metrics.ts: their pods' usage comes from annotations).
export const CONTAINER_RUNTIME_VERSION = 'kts-sim://0.1';
export const KUBELET_PORT = 10250;

export const DEFAULT_CAPACITY: Readonly<Record<string, string>> = {
  cpu: '8',
  memory: '32Gi',
  pods: '110',
  'ephemeral-storage': '100Gi',
  'hugepages-1Gi': '0',
  'hugepages-2Mi': '0',
};

export interface SimNodeIdentity {
  name: string;
  podCIDR: string;
  nodeIP: string;
  /** Changes every time the simulator starts, as a kubelet's boot id changes with each boot. */
  bootID: string;
}

export interface NodeShape {
  capacity: Record<string, string>;
  labels: Record<string, string>;
  taints: any[];
}

function hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Stable per node name: /etc/machine-id style (32 hex digits). */
export function machineIDFor(name: string): string {
  return hex(`machine-id/${name}`).slice(0, 32);
}

/** Stable per node name: a DMI product UUID. */
export function systemUUIDFor(name: string): string {
  const h = hex(`system-uuid/${name}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function nodeLabels(name: string, extra: Record<string, string>): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    [SIM_NODE_LABEL]: SIM_NODE_LABEL_VALUE,
    ...extra,
  };
}

/** The four conditions of a healthy kubelet, with the upstream reasons and messages. */
export function nodeConditions(heartbeat: number, since: number): any[] {
  const hb = rfc3339(heartbeat);
  const tr = rfc3339(since);
  const c = (type: string, status: string, reason: string, message: string) => ({ type, status, lastHeartbeatTime: hb, lastTransitionTime: tr, reason, message });
  return [
    c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    c('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

export function nodeStatus(id: SimNodeIdentity, shape: NodeShape, now: number, since: number): any {
  return {
    capacity: { ...shape.capacity },
    allocatable: { ...shape.capacity },
    conditions: nodeConditions(now, since),
    addresses: [
      { type: 'InternalIP', address: id.nodeIP },
      { type: 'Hostname', address: id.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
    nodeInfo: {
      machineID: machineIDFor(id.name),
      systemUUID: systemUUIDFor(id.name),
      bootID: id.bootID,
      kernelVersion: '6.1.0-kts-sim',
      osImage: 'kts simulated node',
      containerRuntimeVersion: CONTAINER_RUNTIME_VERSION,
      kubeletVersion: KUBERNETES_VERSION.gitVersion,
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}

/** The Node a kubelet registers (nodes accept status on create). */
export function buildNode(id: SimNodeIdentity, shape: NodeShape, now: number): any {
  const spec: any = { podCIDR: id.podCIDR, podCIDRs: [id.podCIDR] };
  if (shape.taints.length) spec.taints = shape.taints.map((t) => ({ ...t }));
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: id.name,
      labels: nodeLabels(id.name, shape.labels),
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec,
    status: nodeStatus(id, shape, now, now),
  };
}

/**
 * Brings an existing Node to what this simulator registers, as a kubelet
 * does on re-registration: its labels win, taints it asks for are added,
 * an empty pod CIDR is filled (a set one is immutable and kept).
 */
export function reconcileExistingNode(existing: any, id: SimNodeIdentity, shape: NodeShape): any {
  const node = structuredClone(existing);
  node.metadata.labels = { ...(node.metadata.labels ?? {}), ...nodeLabels(id.name, shape.labels) };
  node.metadata.annotations = { ...(node.metadata.annotations ?? {}), 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' };
  node.spec ??= {};
  if (!node.spec.podCIDR && !(node.spec.podCIDRs ?? []).length) {
    node.spec.podCIDR = id.podCIDR;
    node.spec.podCIDRs = [id.podCIDR];
  }
  if (shape.taints.length) {
    const taints: any[] = node.spec.taints ?? [];
    for (const t of shape.taints) if (!taints.some((x) => x.key === t.key && x.effect === t.effect)) taints.push({ ...t });
    node.spec.taints = taints;
  }
  return node;
}

/** The node's Lease in kube-node-lease, owned by the Node so it goes away with it. */
export function buildLease(name: string, nodeUID: string | undefined, durationSeconds: number, now: Date): any {
  const lease: any = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: NODE_LEASE_NAMESPACE },
    spec: { holderIdentity: name, leaseDurationSeconds: durationSeconds, renewTime: microTime(now) },
  };
  if (nodeUID) lease.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name, uid: nodeUID }];
  return lease;
}

/** The lease renewed now (and taken over if another holder had it). */
export function renewedLease(lease: any, name: string, nodeUID: string | undefined, durationSeconds: number, now: Date): any {
  const next = { ...lease, metadata: { ...lease.metadata }, spec: { ...(lease.spec ?? {}) } };
  if (next.spec.holderIdentity !== name) {
    next.spec.holderIdentity = name;
    next.spec.leaseTransitions = (next.spec.leaseTransitions ?? 0) + 1;
  }
  next.spec.leaseDurationSeconds = durationSeconds;
  next.spec.renewTime = microTime(now);
  if (nodeUID && !(next.metadata.ownerReferences ?? []).length) next.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name, uid: nodeUID }];
  return next;
}
