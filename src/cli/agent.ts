// `kts agent`: this machine joins a cluster as a node (kubelet, service
// proxy, routes to other nodes' pods), with a join token from the server.

import { startAgent } from '../agent/index.js';
import { JoinError } from '../agent/join-token.js';
import { parseCIDR } from '../api/cidr.js';
import { defaultDataDir } from '../cluster/config.js';
import { stopOnSignal, flagHelp, parseFlags, UsageError, type FlagSpec } from './flags.js';

const FLAGS: FlagSpec[] = [
  { name: 'server', type: 'string', help: 'the cluster\'s API server, https://HOST:6443 (or $KTS_URL)' },
  { name: 'token', type: 'string', help: 'join token K10<CA hash>::<id>.<secret> from `kts token create` (or $KTS_TOKEN); not needed once joined' },
  { name: 'data-dir', type: 'string', help: 'where the node\'s state, certificates and containers live', default: '/var/lib/kts as root, ~/.kts otherwise' },
  { name: 'node-name', type: 'string', help: 'name of this node', default: 'the host name' },
  { name: 'node-ip', type: 'string', help: 'address the node reports (other nodes route pod traffic to it)', default: 'the first non-loopback IPv4 address' },
  { name: 'kubelet-port', type: 'number', help: 'port of the node agent API', default: '10250' },
  { name: 'container-runtime-endpoint', type: 'string', help: 'use this CRI socket instead of starting containerd' },
  { name: 'cluster-cidr', type: 'string', help: 'pod addresses of the cluster (as the server\'s --cluster-cidr)', default: '10.42.0.0/16' },
  { name: 'disable', type: 'list', help: 'node components not to run: proxy, ingress' },
];

export function agentHelp(): string {
  return `Usage: kts agent --server https://HOST:6443 --token TOKEN [flags]\n\nJoin a kts cluster as a node: the server's CA is checked against the token's hash,\nthe node gets its certificates through the certificates API, then runs pods.\n\nFlags:\n${flagHelp(FLAGS)}\n  -h, --help`;
}

export async function runAgent(args: string[]): Promise<void> {
  const { values, positional } = parseFlags(args, FLAGS);
  if (positional.length) throw new UsageError(`unexpected argument: ${positional[0]}`);
  const server = (values.server as string | undefined) ?? process.env.KTS_URL;
  if (!server) throw new UsageError('missing --server https://HOST:6443');
  if (!/^https:\/\//.test(server)) throw new UsageError(`invalid value for --server: ${server} (want https://HOST:PORT)`);
  const clusterCIDR = values['cluster-cidr'] as string | undefined;
  if (clusterCIDR !== undefined) {
    try {
      parseCIDR(clusterCIDR);
    } catch {
      throw new UsageError(`invalid value for --cluster-cidr: ${clusterCIDR}`);
    }
  }
  const disable = (values.disable as string[] | undefined) ?? [];
  for (const d of disable) if (d !== 'proxy' && d !== 'ingress') throw new UsageError(`invalid value for --disable: ${d} (want proxy or ingress)`);
  const log = (msg: string) => process.stderr.write(`kts: ${msg}\n`);
  let agent;
  try {
    agent = await startAgent({
      server,
      token: (values.token as string | undefined) ?? process.env.KTS_TOKEN,
      dataDir: (values['data-dir'] as string | undefined) ?? defaultDataDir(),
      nodeName: values['node-name'] as string | undefined,
      nodeIP: values['node-ip'] as string | undefined,
      kubeletPort: values['kubelet-port'] as number | undefined,
      runtimeEndpoint: values['container-runtime-endpoint'] as string | undefined,
      clusterCIDR,
      disable,
      progress: log,
    });
  } catch (e) {
    if (e instanceof JoinError) throw new UsageError(e.message);
    throw e;
  }
  log(`node ${agent.nodeName} joined ${server}; its kubeconfig: ${agent.kubeconfigPath}`);
  stopOnSignal(() => agent.stop(), log);
}
