/**
 * `kts killall`: removes every pod sandbox and container the node agent of a
 * data dir created (through CRI, so CNI releases addresses and rules), stops
 * its containerd and leftover shims, unmounts what is still mounted under its
 * folders, deletes the pod bridge and removes empty pod cgroups.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { CriClient } from './cri/client.js';
import { ContainerdSupervisor, containerdPaths } from './containerd.js';
import { removeKubepodsCgroups } from './cgroups.js';
import { Iptables } from '../proxy/iptables.js';
import { removePodRoutes } from '../kubelet/pod-routes.js';

const run = promisify(execFile);

export interface KillallReport {
  sandboxes: number;
  unmounted: number;
  bridgeRemoved: boolean;
  cgroupsRemoved: number;
}

export async function killall(dataDir: string, opts: { bridge?: string; log?: (m: string) => void } = {}): Promise<KillallReport> {
  const log = opts.log ?? (() => {});
  const paths = containerdPaths(dataDir);
  const report: KillallReport = { sandboxes: 0, unmounted: 0, bridgeRemoved: false, cgroupsRemoved: 0 };
  let supervisor: ContainerdSupervisor | undefined;
  let client = new CriClient(paths.socket, 30_000);
  try {
    await client.version();
  } catch {
    client.close();
    if (existsSync(paths.config)) {
      // containerd is down but containers may live on in their shims: start it to remove them properly.
      supervisor = new ContainerdSupervisor(paths, { log });
      supervisor.start();
      client = new CriClient(paths.socket, 30_000);
      await client.waitReady(15_000).catch(() => undefined);
    }
  }
  try {
    const sandboxes = await client.listPodSandbox({ labelSelector: { 'io.kts.managed': 'true' } }).catch(() => []);
    for (const s of sandboxes) {
      await client.stopPodSandbox(s.id).catch((e) => log(`stop sandbox ${s.id}: ${e.message}`));
      await client.removePodSandbox(s.id).catch((e) => log(`remove sandbox ${s.id}: ${e.message}`));
      report.sandboxes++;
    }
  } finally {
    client.close();
  }
  await supervisor?.stop();
  // A containerd kts started and that outlived it.
  await run('pkill', ['-TERM', '-f', `containerd --config ${paths.config}`]).catch(() => undefined);
  await run('pkill', ['-KILL', '-f', `containerd-shim-runc-v2 -namespace k8s.io -address ${paths.socket}`]).catch(() => undefined);

  // Mounts left under our folders (tmpfs emptyDirs, overlay rootfs, netns, shm).
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter(Boolean);
  const ours = mounts.filter((m) => m.startsWith(dataDir + '/') || m.startsWith(paths.state + '/') || m.startsWith(paths.state.replace(/\/containerd$/, '') + '/'));
  for (const m of ours.sort((a, b) => b.length - a.length)) {
    await run('umount', ['-l', m]).then(() => report.unmounted++).catch((e) => log(`umount ${m}: ${e.message}`));
  }
  const bridge = opts.bridge ?? 'kts0';
  await run('ip', ['link', 'show', bridge]).then(
    () => run('ip', ['link', 'delete', bridge]).then(() => (report.bridgeRemoved = true)),
    () => undefined,
  ).catch((e) => log(`deleting ${bridge}: ${e.message}`));
  // The service proxy's KTS-* chains, if a killed kts left them.
  await new Iptables().cleanup().catch((e) => log(`removing service rules: ${e.message}`));
  // Routes to other nodes' pod networks.
  await removePodRoutes().catch((e) => log(`removing pod routes: ${e.message}`));
  // Pod cgroups (runc removes only the containers' own); busy ones stay.
  report.cgroupsRemoved = removeKubepodsCgroups();
  rmSync(paths.state.replace(/\/containerd$/, ''), { recursive: true, force: true });
  return report;
}
