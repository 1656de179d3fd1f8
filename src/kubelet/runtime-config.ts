/**
 * Translates a Pod into the runtime's terms: the sandbox config (names,
 * hostname, DNS, host ports, namespaces, cgroup parent) and each container's
 * config (image, command, environment, mounts, resources as cgroup settings,
 * security context), with the labels and annotations the kubelet uses to find
 * its containers again after a restart. Pure.
 */
import { parseQuantity } from '../api/validation/quantity.js';
import type { ContainerConfig, KeyValue, Mount, NamespaceOption, PodSandboxConfig, PortMapping } from '../runtime/types.js';

export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
/** Marks everything this kubelet created, so `kts killall` and re-adoption find them. */
export const LABEL_MANAGED = 'io.kts.managed';
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const ANNOTATION_TERMINATION_MESSAGE_PATH = 'io.kubernetes.container.terminationMessagePath';
export const ANNOTATION_GRACE_PERIOD = 'io.kubernetes.pod.terminationGracePeriod';
export const ANNOTATION_SANDBOX_ATTEMPT = 'io.kts.sandbox.attempt';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** The pod's QoS class as upstream computes it (status.qosClass when already set). */
export function qosClass(pod: any): QOSClass {
  if (pod.status?.qosClass) return pod.status.qosClass;
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let anySet = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) anySet = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined) guaranteed = false;
      else if (req[r] !== undefined && String(req[r]) !== String(lim[r])) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function podCgroupParent(pod: any): string {
  const q = qosClass(pod);
  const base = q === 'Guaranteed' ? '/kubepods' : `/kubepods/${q.toLowerCase()}`;
  return `${base}/pod${pod.metadata.uid}`;
}

function namespaceOptions(pod: any): NamespaceOption {
  const s = pod.spec ?? {};
  return {
    network: s.hostNetwork ? 'NODE' : 'POD',
    pid: s.hostPID ? 'NODE' : s.shareProcessNamespace ? 'POD' : 'CONTAINER',
    ipc: s.hostIPC ? 'NODE' : 'POD',
  };
}

function podLabels(pod: any): Record<string, string> {
  return {
    ...(pod.metadata.labels ?? {}),
    [LABEL_POD_NAME]: pod.metadata.name,
    [LABEL_POD_NAMESPACE]: pod.metadata.namespace,
    [LABEL_POD_UID]: pod.metadata.uid,
    [LABEL_MANAGED]: 'true',
  };
}

export interface SandboxOptions {
  logDirectory: string;
  attempt: number;
  /** The node's hostname, for hostNetwork pods. */
  nodeHostname: string;
  dns?: { servers: string[]; searches: string[]; options: string[] };
}

export function podHostname(pod: any, nodeHostname: string): string {
  if (pod.spec?.hostNetwork) return nodeHostname;
  return (pod.spec?.hostname || pod.metadata.name).slice(0, 63);
}

export function sandboxConfig(pod: any, opts: SandboxOptions): PodSandboxConfig {
  const ports: PortMapping[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      ports.push({ protocol: p.protocol ?? 'TCP', containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIP ?? '' });
    }
  }
  const psc = pod.spec?.securityContext ?? {};
  const privileged = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].some((c) => c.securityContext?.privileged);
  const sysctls: Record<string, string> = {};
  for (const s of psc.sysctls ?? []) if (s?.name) sysctls[s.name] = String(s.value ?? '');
  const config: PodSandboxConfig = {
    metadata: { name: pod.metadata.name, uid: pod.metadata.uid, namespace: pod.metadata.namespace, attempt: opts.attempt },
    // A host-network pod shares the node's UTS namespace: runc cannot set a hostname there (nor does upstream).
    hostname: pod.spec?.hostNetwork ? '' : podHostname(pod, opts.nodeHostname),
    logDirectory: opts.logDirectory,
    portMappings: ports,
    labels: podLabels(pod),
    annotations: { ...(pod.metadata.annotations ?? {}), [ANNOTATION_SANDBOX_ATTEMPT]: String(opts.attempt) },
    linux: {
      cgroupParent: podCgroupParent(pod),
      securityContext: {
        namespaceOptions: namespaceOptions(pod),
        privileged,
        ...(psc.runAsUser !== undefined ? { runAsUser: { value: psc.runAsUser } } : {}),
        ...(psc.runAsGroup !== undefined ? { runAsGroup: { value: psc.runAsGroup } } : {}),
        supplementalGroups: supplementalGroups(pod),
      },
      sysctls,
    },
  };
  if (opts.dns) config.dnsConfig = opts.dns;
  return config;
}

function supplementalGroups(pod: any): number[] {
  const psc = pod.spec?.securityContext ?? {};
  const groups: number[] = [...(psc.supplementalGroups ?? [])];
  if (psc.fsGroup !== undefined && !groups.includes(psc.fsGroup)) groups.push(psc.fsGroup);
  return groups;
}

/** Exact value of a quantity scaled by `scale` (1000 for millis), rounded up. */
function scaled(q: unknown, scale: bigint): bigint | undefined {
  if (q === undefined || q === null) return undefined;
  const p = parseQuantity(String(q));
  if (!p) return undefined;
  const num = p.num * scale;
  const v = num / p.den;
  return v * p.den === num || num < 0n ? v : v + 1n;
}

const CPU_PERIOD = 100_000;

/** cgroup settings for a container, as the kubelet derives them from requests and limits. */
export function containerResources(pod: any, container: any): { cpuPeriod?: number; cpuQuota?: number; cpuShares: number; memoryLimitInBytes?: number; oomScoreAdj: number } {
  const req = container.resources?.requests ?? {};
  const lim = container.resources?.limits ?? {};
  const cpuReqMilli = scaled(req.cpu ?? lim.cpu, 1000n);
  // Shares: millicores * 1024 / 1000, at least 2 (the kernel minimum).
  const shares = cpuReqMilli === undefined ? 2 : Math.max(2, Number((cpuReqMilli * 1024n) / 1000n));
  const out: ReturnType<typeof containerResources> = { cpuShares: shares, oomScoreAdj: oomScoreAdj(pod, container) };
  const cpuLimMilli = scaled(lim.cpu, 1000n);
  if (cpuLimMilli !== undefined && cpuLimMilli > 0n) {
    out.cpuPeriod = CPU_PERIOD;
    out.cpuQuota = Math.max(1000, Number((cpuLimMilli * BigInt(CPU_PERIOD)) / 1000n));
  }
  const mem = scaled(lim.memory, 1n);
  if (mem !== undefined && mem > 0n) out.memoryLimitInBytes = Number(mem);
  return out;
}

function oomScoreAdj(pod: any, container: any): number {
  const q = qosClass(pod);
  if (q === 'Guaranteed') return -997;
  if (q === 'BestEffort') return 1000;
  const memReq = scaled(container.resources?.requests?.memory, 1n);
  if (memReq === undefined) return 999;
  const capacity = 24n * 1024n * 1024n * 1024n;
  const adj = 1000 - Number((1000n * memReq) / capacity);
  return Math.min(999, Math.max(3, adj));
}

export interface ContainerOptions {
  image: string;
  attempt: number;
  restartCount: number;
  env: KeyValue[];
  command?: string[];
  args?: string[];
  mounts: Mount[];
  logPath: string;
}

export function containerConfig(pod: any, container: any, opts: ContainerOptions): ContainerConfig {
  const psc = pod.spec?.securityContext ?? {};
  const sc = container.securityContext ?? {};
  const runAsUser = sc.runAsUser ?? psc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? psc.runAsGroup;
  const cfg: ContainerConfig = {
    metadata: { name: container.name, attempt: opts.attempt },
    image: { image: opts.image, userSpecifiedImage: container.image },
    command: opts.command ?? [],
    args: opts.args ?? [],
    workingDir: container.workingDir ?? '',
    envs: opts.env,
    mounts: opts.mounts,
    labels: {
      [LABEL_POD_NAME]: pod.metadata.name,
      [LABEL_POD_NAMESPACE]: pod.metadata.namespace,
      [LABEL_POD_UID]: pod.metadata.uid,
      [LABEL_CONTAINER_NAME]: container.name,
      [LABEL_MANAGED]: 'true',
    },
    annotations: {
      [ANNOTATION_RESTART_COUNT]: String(opts.restartCount),
      [ANNOTATION_TERMINATION_MESSAGE_PATH]: container.terminationMessagePath ?? '/dev/termination-log',
      [ANNOTATION_GRACE_PERIOD]: String(pod.spec?.terminationGracePeriodSeconds ?? 30),
    },
    logPath: opts.logPath,
    stdin: !!container.stdin,
    stdinOnce: !!container.stdinOnce,
    tty: !!container.tty,
    linux: {
      resources: containerResources(pod, container),
      securityContext: {
        privileged: !!sc.privileged,
        namespaceOptions: namespaceOptions(pod),
        readonlyRootfs: !!sc.readOnlyRootFilesystem,
        supplementalGroups: supplementalGroups(pod),
        noNewPrivs: sc.allowPrivilegeEscalation === false,
        ...(runAsUser !== undefined ? { runAsUser: { value: runAsUser } } : {}),
        ...(runAsGroup !== undefined ? { runAsGroup: { value: runAsGroup } } : {}),
        ...(sc.capabilities ? { capabilities: { addCapabilities: capNames(sc.capabilities.add), dropCapabilities: capNames(sc.capabilities.drop) } } : {}),
      },
    },
  };
  return cfg;
}

/** Kubernetes writes `NET_ADMIN`; the runtime wants `CAP_NET_ADMIN` (and `ALL` as is). */
function capNames(list: string[] | undefined): string[] {
  return (list ?? []).map((c) => (c.toUpperCase() === 'ALL' ? 'ALL' : c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : `CAP_${c.toUpperCase()}`));
}

/** The kubelet-managed /etc/hosts of a pod. */
export function etcHosts(pod: any, podIPs: string[]): string {
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  const hostname = (pod.spec?.hostname || pod.metadata.name).slice(0, 63);
  const names = pod.spec?.subdomain ? `${hostname}.${pod.spec.subdomain}.${pod.metadata.namespace}.svc.cluster.local\t${hostname}` : hostname;
  for (const ip of podIPs) lines.push(`${ip}\t${names}`);
  const aliases = pod.spec?.hostAliases ?? [];
  if (aliases.length) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of aliases) if (a?.ip && a.hostnames?.length) lines.push(`${a.ip}\t${a.hostnames.join('\t')}`);
  }
  return lines.join('\n') + '\n';
}
