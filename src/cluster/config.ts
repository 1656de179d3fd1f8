// The server role's configuration: one typed object built once from flags
// and an optional YAML config file, then passed down. No component reads
// flags or the environment itself.

import { homedir } from 'node:os';
import { join } from 'node:path';

export interface ServerConfig {
  dataDir: string;
  port: number;
  bindAddress: string;
  /** Extra path to write the admin kubeconfig to. */
  writeKubeconfig?: string;
  storage: 'sqlite' | 'memory';
  /** Resources whose stored values are encrypted (sqlite only): `secrets`, `<resource>.<group>`; default `secrets`. */
  encryptResources?: string[];
  /** Extra names or IPs for the serving certificate. */
  tlsSANs: string[];
  /** Components not to run in this server (`scheduler`, `controllers`). */
  disable: string[];
  /** Simulated nodes to run in this process (0: none). */
  simNodes: number;
  /** Static bearer tokens: a CSV file `token,user,uid,"group1,group2"` (--token-auth-file). */
  tokenAuthFile?: string;
  /** The API server audit log (--audit-log-*); unset: no audit events. */
  audit?: AuditConfig;
  /** Service ClusterIPs (default 10.43.0.0/16); its first address is the kubernetes Service's, its tenth kube-dns's. */
  serviceCIDR?: string;
  /** Pod addresses of the cluster; each node gets a /24 of it (default 10.42.0.0/16). */
  clusterCIDR?: string;
  /** The node agent run in this process unless `disable` holds `agent`. */
  agent: AgentConfig;
  /** Controller timings (kube-controller-manager's flags); unset: upstream's defaults. */
  controllers?: ControllerTimings;
  /** DefaultTolerationSeconds admission: tolerationSeconds of the not-ready and unreachable tolerations added to pods (default 300). */
  defaultNotReadyTolerationSeconds?: number;
  defaultUnreachableTolerationSeconds?: number;
}

export interface ControllerTimings {
  /** --horizontal-pod-autoscaler-sync-period (default 15 s). */
  hpaSyncPeriodMs?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (default 5 min). */
  hpaDownscaleStabilizationMs?: number;
  /** --node-monitor-period (default 5 s). */
  nodeMonitorPeriodMs?: number;
  /** --node-monitor-grace-period (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
}

export interface AuditConfig {
  /** JSON lines file, or `-` for stdout. */
  logPath: string;
  /** audit.k8s.io/v1 Policy file; unset: every request at Metadata. */
  policyFile?: string;
  /** Rotate at this size in megabytes (0: never). */
  maxSizeMB: number;
  /** Rotated files kept (0: all). */
  maxBackups: number;
}

export interface AgentConfig {
  /** An existing CRI socket; when unset kts runs its own containerd. */
  runtimeEndpoint?: string;
  nodeName?: string;
  nodeIP?: string;
  /** Kubelet API port (default 10250). */
  kubeletPort?: number;
}

export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/kts' : join(homedir(), '.kts');
}

export function defaultServerConfig(): ServerConfig {
  return { dataDir: defaultDataDir(), port: 6443, bindAddress: '0.0.0.0', storage: 'sqlite', tlsSANs: [], disable: [], simNodes: 0, agent: {}, controllers: {} };
}
