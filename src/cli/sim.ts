// `kts sim`: simulated nodes (no containers) joined to a running cluster
// through its API, for scale tests of the control plane.

import { HttpClient } from '../client/http-client.js';
import { startSimulatedNodes } from '../sim/index.js';
import { flagHelp, parseFlags, UsageError, type FlagSpec } from './flags.js';

const FLAGS: FlagSpec[] = [
  { name: 'kubeconfig', type: 'string', help: 'kubeconfig of the cluster to join (default $KUBECONFIG)' },
  { name: 'nodes', type: 'number', help: 'how many nodes to simulate', default: '10' },
  { name: 'name-prefix', type: 'string', help: 'node names are <prefix><i>', default: 'sim-node-' },
  { name: 'cpu', type: 'string', help: 'cpu capacity of each node', default: '8' },
  { name: 'memory', type: 'string', help: 'memory capacity of each node', default: '32Gi' },
  { name: 'pods', type: 'number', help: 'pod capacity of each node', default: '110' },
];

export function simHelp(): string {
  return `Usage: kts sim [flags]\n\nRegister simulated nodes with a cluster and keep them healthy: Leases, node status,\nand pods bound to them moved to Running (or Succeeded/Failed) without containers.\n\nFlags:\n${flagHelp(FLAGS)}\n  -h, --help`;
}

export async function runSim(args: string[]): Promise<void> {
  const { values, positional } = parseFlags(args, FLAGS);
  if (positional.length) throw new UsageError(`unexpected argument: ${positional[0]}`);
  const kubeconfig = (values.kubeconfig as string | undefined) ?? process.env.KUBECONFIG;
  if (!kubeconfig) throw new UsageError('no cluster: pass --kubeconfig or set KUBECONFIG');
  const count = (values.nodes as number | undefined) ?? 10;
  if (count < 1) throw new UsageError('invalid value for --nodes: must be at least 1');
  let client: HttpClient;
  try {
    client = HttpClient.fromKubeconfig(kubeconfig);
  } catch (e) {
    throw new UsageError(`cannot read kubeconfig ${kubeconfig}: ${(e as Error).message}`);
  }
  const sim = await startSimulatedNodes(client, {
    count,
    namePrefix: (values['name-prefix'] as string | undefined) ?? 'sim-node-',
    capacity: {
      cpu: (values.cpu as string | undefined) ?? '8',
      memory: (values.memory as string | undefined) ?? '32Gi',
      pods: String((values.pods as number | undefined) ?? 110),
    },
    podCIDRBase: '10.128.0.0/9',
  });
  process.stderr.write(`kts: ${count} simulated node(s) running; Ctrl-C to stop\n`);
  const stop = () => {
    sim.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
