/**
 * The container runtime as the kubelet sees it: the shape of CRI v1
 * (RuntimeService + ImageService), with camelCase field names. `cri/client.ts`
 * implements it over gRPC; tests may implement it in memory.
 */

export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
export type SandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

export interface KeyValue { key: string; value: string }

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
  propagation?: 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
}

export interface PortMapping {
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort?: number;
  hostIp?: string;
}

export interface NamespaceOption { network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode; targetId?: string }

export interface PodSandboxMetadata { name: string; uid: string; namespace: string; attempt: number }

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  logDirectory?: string;
  dnsConfig?: { servers?: string[]; searches?: string[]; options?: string[] };
  portMappings?: PortMapping[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: {
    cgroupParent?: string;
    securityContext?: {
      namespaceOptions?: NamespaceOption;
      runAsUser?: { value: number };
      runAsGroup?: { value: number };
      readonlyRootfs?: boolean;
      supplementalGroups?: number[];
      privileged?: boolean;
    };
    sysctls?: Record<string, string>;
  };
}

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: SandboxState;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandboxStatus extends PodSandbox {
  network?: { ip: string; additionalIps: { ip: string }[] } | null;
}

export interface LinuxContainerResources {
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares?: number;
  memoryLimitInBytes?: number;
  oomScoreAdj?: number;
}

export interface ContainerConfig {
  metadata: { name: string; attempt: number };
  image: { image: string; userSpecifiedImage?: string };
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: KeyValue[];
  mounts?: Mount[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  logPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: {
    resources?: LinuxContainerResources;
    securityContext?: {
      capabilities?: { addCapabilities?: string[]; dropCapabilities?: string[] };
      privileged?: boolean;
      namespaceOptions?: NamespaceOption;
      runAsUser?: { value: number };
      runAsGroup?: { value: number };
      runAsUsername?: string;
      readonlyRootfs?: boolean;
      supplementalGroups?: number[];
      noNewPrivs?: boolean;
      maskedPaths?: string[];
      readonlyPaths?: string[];
    };
  };
}

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: { name: string; attempt: number };
  image: { image: string };
  imageRef: string;
  state: ContainerState;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatus {
  id: string;
  metadata: { name: string; attempt: number };
  state: ContainerState;
  /** Nanoseconds since the epoch (0 when unset). */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  image: { image: string };
  imageRef: string;
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath: string;
}

export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  uid?: { value: number } | null;
  username: string;
}

export interface ContainerStats {
  attributes: { id: string; metadata: { name: string; attempt: number }; labels: Record<string, string> };
  cpu?: { timestamp: number; usageCoreNanoSeconds?: { value: number } | null } | null;
  memory?: { timestamp: number; workingSetBytes?: { value: number } | null; usageBytes?: { value: number } | null } | null;
  writableLayer?: { usedBytes?: { value: number } | null } | null;
}

export interface RuntimeVersion { version: string; runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }
export interface RuntimeCondition { type: string; status: boolean; reason: string; message: string }

export interface ContainerRuntime {
  version(): Promise<RuntimeVersion>;
  status(): Promise<RuntimeCondition[]>;

  runPodSandbox(config: PodSandboxConfig, runtimeHandler?: string): Promise<string>;
  stopPodSandbox(id: string): Promise<void>;
  removePodSandbox(id: string): Promise<void>;
  podSandboxStatus(id: string): Promise<PodSandboxStatus>;
  listPodSandbox(filter?: { id?: string; state?: SandboxState; labelSelector?: Record<string, string> }): Promise<PodSandbox[]>;

  createContainer(sandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  listContainers(filter?: { id?: string; podSandboxId?: string; state?: ContainerState; labelSelector?: Record<string, string> }): Promise<Container[]>;
  containerStatus(id: string): Promise<ContainerStatus>;
  reopenContainerLog(id: string): Promise<void>;
  listContainerStats(filter?: { podSandboxId?: string }): Promise<ContainerStats[]>;

  execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }>;
  exec(req: { containerId: string; cmd: string[]; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }): Promise<string>;
  attach(req: { containerId: string; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }): Promise<string>;
  portForward(sandboxId: string, ports: number[]): Promise<string>;

  listImages(): Promise<Image[]>;
  imageStatus(image: string): Promise<Image | null>;
  pullImage(image: string): Promise<string>;
  removeImage(image: string): Promise<void>;
}

/** A failed runtime call: `code` is the gRPC status code (5 NotFound, 14 Unavailable, ...). */
export class RuntimeError extends Error {
  constructor(readonly method: string, readonly code: number, readonly details: string) {
    super(`${method}: ${details}`);
  }
}
