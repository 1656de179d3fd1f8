// `kts killall`: stop and remove every container, mount and network device
// the node agent of a data dir created (state in the data dir is kept).

import { defaultDataDir } from '../cluster/config.js';
import { killall } from '../runtime/cleanup.js';
import { flagHelp, parseFlags, UsageError, type FlagSpec } from './flags.js';

const FLAGS: FlagSpec[] = [{ name: 'data-dir', type: 'string', help: 'the node\'s data dir', default: '/var/lib/kts as root, ~/.kts otherwise' }];

export function killallHelp(): string {
  return `Usage: kts killall [flags]\n\nStop and remove every container, mount and network device kts created for a data dir.\nRun it after stopping kts.\n\nFlags:\n${flagHelp(FLAGS)}\n  -h, --help`;
}

export async function runKillall(args: string[]): Promise<number> {
  const { values, positional } = parseFlags(args, FLAGS);
  if (positional.length) throw new UsageError(`unexpected argument: ${positional[0]}`);
  const dataDir = (values['data-dir'] as string | undefined) ?? defaultDataDir();
  const r = await killall(dataDir, { log: (m) => process.stderr.write(`kts: ${m}\n`) });
  console.log(`removed ${r.sandboxes} pod sandbox(es), ${r.unmounted} mount(s), ${r.cgroupsRemoved} cgroup(s)${r.bridgeRemoved ? ", the pod bridge" : ""}`);
  return 0;
}
