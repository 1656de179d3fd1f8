/**
 * The CNI network containerd sets up for every pod sandbox: a Linux bridge
 * with host-local IPAM over the node's pod CIDR, portmap for hostPort, and
 * bandwidth-free defaults. Written by the agent into containerd's CNI
 * configuration folder.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CniOptions {
  podCIDR: string;
  bridge: string;
  /** host-local's allocation records. */
  ipamDataDir: string;
  mtu?: number;
}

export const CNI_FILE = '10-kts.conflist';

export function cniConflist(o: CniOptions): string {
  const conf = {
    cniVersion: '1.0.0',
    name: 'kts',
    plugins: [
      {
        type: 'bridge',
        bridge: o.bridge,
        isGateway: true,
        // Masquerading is one node-wide rule (ensurePodMasquerade), not a chain per pod:
        // the bridge plugin's per-pod chains cost several iptables runs per pod start and stop.
        ipMasq: false,
        hairpinMode: true,
        ...(o.mtu ? { mtu: o.mtu } : {}),
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: o.podCIDR }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: o.ipamDataDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
  return JSON.stringify(conf, null, 2) + '\n';
}

/** Writes the conflist (only when it changed) and removes other configs in the folder. */
export function writeCniConfig(confDir: string, o: CniOptions): void {
  mkdirSync(confDir, { recursive: true });
  mkdirSync(o.ipamDataDir, { recursive: true });
  const path = join(confDir, CNI_FILE);
  const text = cniConflist(o);
  if (!existsSync(path) || readFileSync(path, 'utf8') !== text) writeFileSync(path, text);
  for (const f of readdirSync(confDir)) if (f !== CNI_FILE) rmSync(join(confDir, f), { force: true });
}

export const POD_MASQ_CHAIN = 'KTS-POD-MASQ';

/**
 * Pods' traffic leaving the cluster network is masqueraded behind the node's
 * address: one chain in nat POSTROUTING for the node's pod CIDR (traffic to
 * other pods and multicast keeps its source). Idempotent; `kts killall`
 * removes it with the other KTS- chains.
 */
export async function ensurePodMasquerade(podCIDR: string, clusterCIDR: string): Promise<void> {
  const rules = ['*nat', `:${POD_MASQ_CHAIN} - [0:0]`, `-F ${POD_MASQ_CHAIN}`, `-A ${POD_MASQ_CHAIN} -d ${clusterCIDR} -j RETURN`, `-A ${POD_MASQ_CHAIN} -d 224.0.0.0/4 -j RETURN`, `-A ${POD_MASQ_CHAIN} -j MASQUERADE`, 'COMMIT', ''].join('\n');
  await new Promise<void>((resolve, reject) => {
    const child = execFile('iptables-restore', ['--noflush', '--wait'], (err) => (err ? reject(err) : resolve()));
    child.stdin!.end(rules);
  });
  const jump = ['POSTROUTING', '-s', podCIDR, '-m', 'comment', '--comment', 'kts pod masquerade', '-j', POD_MASQ_CHAIN];
  try {
    await run('iptables', ['--wait', '-t', 'nat', '-C', ...jump]);
  } catch {
    await run('iptables', ['--wait', '-t', 'nat', '-A', ...jump]);
  }
}
