/**
 * The CNI network containerd sets up for every pod sandbox: a Linux bridge
 * with host-local IPAM over the node's pod CIDR, portmap for hostPort, and
 * bandwidth-free defaults. Written by the agent into containerd's CNI
 * configuration folder.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

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
        ipMasq: true,
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
