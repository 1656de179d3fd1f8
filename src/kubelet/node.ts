/**
 * The kubelet's Node: registration with the machine's real capacity,
 * addresses and system info, the Lease heartbeat in kube-node-lease, and
 * status updates when readiness changes (or every minute).
 */
import { cpus, hostname, networkInterfaces, release, totalmem } from 'node:os';
import { readFileSync, statfsSync } from 'node:fs';
import type { ApiClient } from '../client/types.js';
import { isConflict, isNotFound, isAlreadyExists } from '../client/types.js';
import { KUBERNETES_VERSION } from '../version.js';
import { buildLease, machineIDFor, nodeConditions, renewedLease, systemUUIDFor, NODE_LEASE_NAMESPACE, KUBELET_PORT } from '../sim/node-object.js';

export interface NodeIdentity {
  name: string;
  nodeIP: string;
  labels: Record<string, string>;
  taints: any[];
  kubeletPort: number;
  runtimeVersion: string;
  /** Bytes of the filesystem holding the data dir. */
  ephemeralStorage: number;
}

/** The machine's first non-loopback IPv4 address, or 127.0.0.1. */
export function detectNodeIP(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export function defaultNodeName(): string {
  return hostname().toLowerCase();
}

export function filesystemBytes(path: string): number {
  try {
    const s = statfsSync(path);
    return s.blocks * s.bsize;
  } catch {
    return 0;
  }
}

function osImage(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

function bootID(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

function machineID(name: string): string {
  try {
    return readFileSync('/etc/machine-id', 'utf8').trim() || machineIDFor(name);
  } catch {
    return machineIDFor(name);
  }
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

export function nodeArch(): string {
  return ARCH[process.arch] ?? process.arch;
}

export function nodeCapacity(id: NodeIdentity): Record<string, string> {
  return {
    cpu: String(cpus().length),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    pods: '110',
    'ephemeral-storage': `${Math.floor(id.ephemeralStorage / 1024)}Ki`,
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
  };
}

export interface Readiness {
  ready: boolean;
  message: string;
}

export function buildNodeObject(id: NodeIdentity, readiness: Readiness, now: number): any {
  const capacity = nodeCapacity(id);
  const arch = nodeArch();
  const conditions = nodeConditions(now, now);
  setReady(conditions, readiness, now);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: id.name,
      labels: {
        'beta.kubernetes.io/arch': arch,
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': arch,
        'kubernetes.io/hostname': id.name,
        'kubernetes.io/os': 'linux',
        ...id.labels,
      },
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    // spec.podCIDR is the control plane's to give (the node IPAM controller).
    spec: { ...(id.taints.length ? { taints: id.taints } : {}) },
    status: {
      capacity,
      allocatable: { ...capacity },
      conditions,
      addresses: [
        { type: 'InternalIP', address: id.nodeIP },
        { type: 'Hostname', address: id.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: id.kubeletPort || KUBELET_PORT } },
      nodeInfo: {
        machineID: machineID(id.name),
        systemUUID: systemUUIDFor(id.name),
        bootID: bootID(),
        kernelVersion: release(),
        osImage: osImage(),
        containerRuntimeVersion: id.runtimeVersion,
        kubeletVersion: KUBERNETES_VERSION.gitVersion,
        kubeProxyVersion: KUBERNETES_VERSION.gitVersion,
        operatingSystem: 'linux',
        architecture: arch,
      },
    },
  };
}

function setReady(conditions: any[], r: Readiness, now: number): void {
  const c = conditions.find((x) => x.type === 'Ready');
  if (!c) return;
  if (r.ready) return;
  c.status = 'False';
  c.reason = 'KubeletNotReady';
  c.message = r.message;
  void now;
}

const NODES = '/api/v1/nodes';
const LEASES = `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases`;

export class NodeAgent {
  private nodeUID: string | undefined;
  private lastReady: boolean | undefined;
  private lastStatusAt = 0;
  private transitionAt = Date.now();

  constructor(private readonly client: ApiClient, private readonly id: NodeIdentity, private readonly readiness: () => Promise<Readiness>) {}

  /** The Node object's UID once registered. */
  get uid(): string | undefined {
    return this.nodeUID;
  }

  /** Creates the Node, or brings an existing one up to date (labels, addresses, info). */
  async register(): Promise<void> {
    const r = await this.readiness();
    const want = buildNodeObject(this.id, r, Date.now());
    try {
      const created = await this.client.create(`${NODES}?fieldManager=kubelet`, want);
      this.nodeUID = created.metadata.uid;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const cur = await this.client.get(`${NODES}/${this.id.name}`);
      const next = structuredClone(cur);
      next.metadata.labels = { ...(cur.metadata.labels ?? {}), ...want.metadata.labels };
      next.metadata.annotations = { ...(cur.metadata.annotations ?? {}), ...want.metadata.annotations };
      const updated = await this.client.update(`${NODES}/${this.id.name}?fieldManager=kubelet`, next);
      this.nodeUID = updated.metadata.uid;
      await this.updateStatus(true);
    }
    this.lastReady = r.ready;
    this.lastStatusAt = Date.now();
  }

  /**
   * The pod CIDR the control plane gave the node, waiting for the node IPAM
   * controller up to `timeoutMs`; then `fallback` (a control plane without
   * controllers) is written to the Node, as a kubelet without a controller
   * would use its own.
   */
  async waitForPodCIDR(timeoutMs: number, fallback: string | undefined, signal?: AbortSignal): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const n = await this.client.get(`${NODES}/${this.id.name}`);
      if (n.spec?.podCIDR) return n.spec.podCIDR;
      if (Date.now() >= deadline || signal?.aborted) {
        if (!fallback) throw new Error(`node ${this.id.name} got no pod CIDR from the control plane within ${Math.round(timeoutMs / 1000)} s`);
        await this.client.patch(`${NODES}/${this.id.name}?fieldManager=kubelet`, { spec: { podCIDR: fallback, podCIDRs: [fallback] } }, 'strategic');
        return fallback;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** One heartbeat: renew the Lease; post status when readiness changed or a minute passed. */
  async heartbeat(): Promise<void> {
    await this.renewLease();
    const r = await this.readiness();
    if (r.ready !== this.lastReady || Date.now() - this.lastStatusAt > 60_000) {
      if (r.ready !== this.lastReady) this.transitionAt = Date.now();
      await this.updateStatus(false, r);
      this.lastReady = r.ready;
      this.lastStatusAt = Date.now();
    }
  }

  private async renewLease(): Promise<void> {
    const now = new Date();
    try {
      const cur = await this.client.get(`${LEASES}/${this.id.name}`);
      await this.client.update(`${LEASES}/${this.id.name}`, renewedLease(cur, this.id.name, this.nodeUID, 40, now));
    } catch (e) {
      if (isNotFound(e)) await this.client.create(LEASES, buildLease(this.id.name, this.nodeUID, 40, now));
      else if (!isConflict(e)) throw e;
    }
  }

  private async updateStatus(full: boolean, r?: Readiness): Promise<void> {
    const readiness = r ?? (await this.readiness());
    for (let attempt = 0; attempt < 5; attempt++) {
      let cur: any;
      try {
        cur = await this.client.get(`${NODES}/${this.id.name}`);
      } catch (e) {
        if (isNotFound(e)) {
          await this.register();
          return;
        }
        throw e;
      }
      const want = buildNodeObject(this.id, readiness, Date.now());
      const status = { ...(cur.status ?? {}), ...(full ? want.status : {}) };
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const transition = new Date(this.transitionAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
      status.conditions = want.status.conditions.map((c: any) => {
        const old = (cur.status?.conditions ?? []).find((o: any) => o.type === c.type);
        return { ...c, lastHeartbeatTime: now, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : transition };
      });
      try {
        await this.client.update(`${NODES}/${this.id.name}/status?fieldManager=kubelet`, { ...cur, status });
        return;
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
    }
  }
}
