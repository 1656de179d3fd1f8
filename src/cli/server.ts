// `kts server` and `kts up`: parse flags (and the config file) into a
// ServerConfig and start the server role in the foreground.

import { defaultServerConfig, type ServerConfig } from '../cluster/config.js';
import { startServer } from '../cluster/server.js';
import { parseCIDR } from '../api/cidr.js';
import { stopOnSignal, flagHelp, parseDuration, parseFlags, readConfigFile, UsageError, type FlagSpec } from './flags.js';

const DEFAULT_CONFIG_FILE = '/etc/kts/config.yaml';

export const SERVER_FLAGS: FlagSpec[] = [
  { name: 'config', type: 'string', help: 'YAML file whose keys are these flag names', default: DEFAULT_CONFIG_FILE },
  { name: 'data-dir', type: 'string', help: 'where state, certificates and kubeconfig live', default: '/var/lib/kts as root, ~/.kts otherwise' },
  { name: 'port', type: 'number', help: 'HTTPS port of the API server', default: '6443' },
  { name: 'bind-address', type: 'string', help: 'address the API server listens on', default: '0.0.0.0' },
  { name: 'write-kubeconfig', type: 'string', help: 'also write the admin kubeconfig to this path' },
  { name: 'storage', type: 'string', help: 'storage backend: sqlite or memory', default: 'sqlite' },
  { name: 'encrypt-resources', type: 'list', help: 'resources encrypted at rest with the keys in <data-dir>/encryption/keys.json (empty: none)', default: 'secrets' },
  { name: 'tls-san', type: 'list', help: 'extra host names or IPs for the serving certificate (repeatable)' },
  { name: 'disable', type: 'list', help: 'components not to run: scheduler, controllers, agent, proxy, servicelb, dns, ingress, local-storage (repeatable)' },
  { name: 'token-auth-file', type: 'string', help: 'CSV file of static bearer tokens: token,user,uid,"group1,group2"' },
  { name: 'audit-log-path', type: 'string', help: 'write API audit events as JSON lines to this file (- for stdout)' },
  { name: 'audit-policy-file', type: 'string', help: 'audit.k8s.io/v1 Policy deciding what is logged', default: 'every request at Metadata' },
  { name: 'audit-log-maxsize', type: 'number', help: 'rotate the audit log at this many megabytes (0: never)', default: '0' },
  { name: 'audit-log-maxbackup', type: 'number', help: 'rotated audit logs to keep (0: all)', default: '0' },
  { name: 'container-runtime-endpoint', type: 'string', help: 'use this CRI socket instead of starting containerd' },
  { name: 'node-name', type: 'string', help: 'name of this node', default: 'the host name' },
  { name: 'node-ip', type: 'string', help: 'address the node reports', default: 'the first non-loopback IPv4 address' },
  { name: 'kubelet-port', type: 'number', help: 'port of the node agent API', default: '10250' },
  { name: 'service-cidr', type: 'string', help: 'Service ClusterIPs (the kubernetes Service takes the first, kube-dns the tenth)', default: '10.43.0.0/16' },
  { name: 'cluster-cidr', type: 'string', help: 'pod addresses of the cluster; each node gets a /24 of it', default: '10.42.0.0/16' },
  { name: 'sim-nodes', type: 'number', help: 'run this many simulated nodes (no containers) in the server process', default: '0' },
  { name: 'horizontal-pod-autoscaler-sync-period', type: 'string', help: 'how often each HorizontalPodAutoscaler is synced', default: '15s' },
  { name: 'horizontal-pod-autoscaler-downscale-stabilization', type: 'string', help: 'how far back an autoscaler without behavior looks for higher recommendations before scaling down', default: '5m0s' },
  { name: 'node-monitor-period', type: 'string', help: 'how often the node lifecycle controller checks every node', default: '5s' },
  { name: 'node-monitor-grace-period', type: 'string', help: 'how long a node may go without a heartbeat before it is marked Unknown', default: '40s' },
  { name: 'default-not-ready-toleration-seconds', type: 'number', help: 'tolerationSeconds of the node.kubernetes.io/not-ready:NoExecute toleration added to every pod', default: '300' },
  { name: 'default-unreachable-toleration-seconds', type: 'number', help: 'tolerationSeconds of the node.kubernetes.io/unreachable:NoExecute toleration added to every pod', default: '300' },
];

/** A positive duration flag, in milliseconds. */
function durationFlag(name: string, v: unknown): number {
  let ms: number;
  try {
    ms = parseDuration(String(v));
  } catch {
    throw new UsageError(`invalid value for --${name}: ${String(v)} (want a duration such as 15s or 1m30s)`);
  }
  if (!(ms > 0)) throw new UsageError(`invalid value for --${name}: ${String(v)} (must be greater than 0)`);
  return ms;
}

export function serverHelp(cmd: 'server' | 'up'): string {
  const what =
    cmd === 'up'
      ? 'Start a single-node cluster in the foreground, print progress, and once ready, how to use kubectl.'
      : 'Run the control plane (API server and controllers) in the foreground.';
  return `Usage: kts ${cmd} [flags]\n\n${what}\n\nFlags:\n${flagHelp(SERVER_FLAGS)}\n  -h, --help`;
}

export function serverConfigFromArgs(args: string[]): ServerConfig {
  const { values, positional } = parseFlags(args, SERVER_FLAGS);
  if (positional.length) throw new UsageError(`unexpected argument: ${positional[0]}`);
  const configPath = (values.config as string | undefined) ?? DEFAULT_CONFIG_FILE;
  const file = readConfigFile(configPath, SERVER_FLAGS, values.config !== undefined);
  const v = { ...file, ...values };
  const cfg = defaultServerConfig();
  if (v['data-dir'] !== undefined) cfg.dataDir = v['data-dir'] as string;
  if (v.port !== undefined) {
    const p = v.port as number;
    if (p > 65535) throw new UsageError(`invalid value for --port: ${p} (want 0-65535)`);
    cfg.port = p;
  }
  if (v['bind-address'] !== undefined) cfg.bindAddress = v['bind-address'] as string;
  if (v['write-kubeconfig'] !== undefined) cfg.writeKubeconfig = v['write-kubeconfig'] as string;
  if (v.storage !== undefined) {
    if (v.storage !== 'sqlite' && v.storage !== 'memory') throw new UsageError(`invalid value for --storage: ${String(v.storage)} (want sqlite or memory)`);
    cfg.storage = v.storage;
  }
  if (v['encrypt-resources'] !== undefined) {
    cfg.encryptResources = v['encrypt-resources'] as string[];
    for (const r of cfg.encryptResources) {
      if (!/^[a-z0-9-]+(\.[a-z0-9.-]+)?$/.test(r)) throw new UsageError(`invalid value for --encrypt-resources: ${r} (want a resource such as secrets or deployments.apps)`);
    }
  }
  if (v['tls-san'] !== undefined) cfg.tlsSANs = v['tls-san'] as string[];
  if (v.disable !== undefined) {
    cfg.disable = v.disable as string[];
    const known = ['scheduler', 'controllers', 'agent', 'proxy', 'servicelb', 'dns', 'ingress', 'local-storage'];
    for (const d of cfg.disable) if (!known.includes(d)) throw new UsageError(`invalid value for --disable: ${d} (want one of ${known.join(', ')})`);
  }
  if (v['token-auth-file'] !== undefined) cfg.tokenAuthFile = v['token-auth-file'] as string;
  if (v['audit-log-path'] !== undefined) {
    cfg.audit = { logPath: v['audit-log-path'] as string, maxSizeMB: (v['audit-log-maxsize'] as number | undefined) ?? 0, maxBackups: (v['audit-log-maxbackup'] as number | undefined) ?? 0 };
    if (v['audit-policy-file'] !== undefined) cfg.audit.policyFile = v['audit-policy-file'] as string;
  } else if (v['audit-policy-file'] !== undefined) {
    throw new UsageError('--audit-policy-file needs --audit-log-path');
  }
  if (v['container-runtime-endpoint'] !== undefined) cfg.agent.runtimeEndpoint = v['container-runtime-endpoint'] as string;
  if (v['node-name'] !== undefined) cfg.agent.nodeName = v['node-name'] as string;
  if (v['node-ip'] !== undefined) cfg.agent.nodeIP = v['node-ip'] as string;
  if (v['kubelet-port'] !== undefined) cfg.agent.kubeletPort = v['kubelet-port'] as number;
  if (v['service-cidr'] !== undefined) {
    const c = v['service-cidr'] as string;
    try {
      const p = parseCIDR(c).prefix;
      if (p < 8 || p > 28) throw new Error('size');
    } catch {
      throw new UsageError(`invalid value for --service-cidr: ${c} (want an IPv4 CIDR from /8 to /28, such as 10.43.0.0/16)`);
    }
    cfg.serviceCIDR = c;
  }
  if (v['cluster-cidr'] !== undefined) {
    const c = v['cluster-cidr'] as string;
    try {
      if (parseCIDR(c).prefix > 24) throw new Error('smaller than a /24');
    } catch (e) {
      throw new UsageError(`invalid value for --cluster-cidr: ${c} (want an IPv4 CIDR of at least a /24, such as 10.42.0.0/16)`);
    }
    cfg.clusterCIDR = c;
  }
  if (v['sim-nodes'] !== undefined) cfg.simNodes = v['sim-nodes'] as number;
  const durations: Array<[string, keyof NonNullable<ServerConfig['controllers']>]> = [
    ['horizontal-pod-autoscaler-sync-period', 'hpaSyncPeriodMs'],
    ['horizontal-pod-autoscaler-downscale-stabilization', 'hpaDownscaleStabilizationMs'],
    ['node-monitor-period', 'nodeMonitorPeriodMs'],
    ['node-monitor-grace-period', 'nodeMonitorGracePeriodMs'],
  ];
  for (const [flag, key] of durations) if (v[flag] !== undefined) (cfg.controllers ??= {})[key] = durationFlag(flag, v[flag]);
  if (v['default-not-ready-toleration-seconds'] !== undefined) cfg.defaultNotReadyTolerationSeconds = v['default-not-ready-toleration-seconds'] as number;
  if (v['default-unreachable-toleration-seconds'] !== undefined) cfg.defaultUnreachableTolerationSeconds = v['default-unreachable-toleration-seconds'] as number;
  return cfg;
}

export async function runServer(args: string[], mode: 'server' | 'up'): Promise<void> {
  const cfg = serverConfigFromArgs(args);
  const t0 = performance.now();
  const log = (msg: string) => process.stderr.write(`kts: ${msg}\n`);
  if (mode === 'up') log(`starting a single-node cluster (data in ${cfg.dataDir})`);
  const server = await startServer(cfg, mode === 'up' ? log : () => {});
  const ms = Math.round(performance.now() - t0);
  if (mode === 'up') {
    const kc = cfg.writeKubeconfig ?? server.kubeconfigPath;
    process.stdout.write(
      [
        ``,
        `kts is ready in ${ms} ms: Kubernetes API at ${server.url}`,
        ``,
        `Use it with kubectl:`,
        `  export KUBECONFIG=${kc}`,
        `  kubectl get namespaces`,
        `  kubectl create deployment web --image=nginx`,
        ``,
        `Press Ctrl-C to stop. State is kept in ${cfg.dataDir}.`,
        ``,
      ].join('\n'),
    );
  } else {
    log(`API server ready at ${server.url} in ${ms} ms; kubeconfig: ${server.kubeconfigPath}`);
  }
  stopOnSignal(() => server.stop(), log);
}
