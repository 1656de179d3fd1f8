// A kts server with its node agent (containerd, runc, CNI) on a data dir of
// its own, for tests that run real containers. destroy() stops kts and runs
// `kts killall`, which removes the containers, mounts and the bridge.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIN, eventually, run, startKts, type KtsProcess } from './harness.js';

/** The busybox image kts builds and imports at start. */
export const BUSYBOX = 'kts.local/busybox:latest';

export interface AgentCluster {
  readonly dataDir: string;
  readonly kts: KtsProcess;
  /** Starts kts again on the same data dir (after kill or stop). */
  restart(): Promise<KtsProcess>;
  destroy(): Promise<void>;
}

export async function startAgentCluster(extraArgs: string[] = []): Promise<AgentCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kts-ctr-'));
  const start = async () => {
    const k = await startKts({ dataDir, agent: true, extraArgs: ['--kubelet-port', '0', ...extraArgs] });
    await eventually('node Ready', async () => {
      const r = await k.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].status.conditions[?(@.type=="Ready")].status}']);
      return r.stdout === 'True' ? true : undefined;
    });
    return k;
  };
  let kts = await start();
  return {
    dataDir,
    get kts() {
      return kts;
    },
    async restart() {
      kts = await start();
      return kts;
    },
    async destroy() {
      await kts.stop();
      const r = await run(process.execPath, [MAIN, 'killall', '--data-dir', dataDir]);
      rmSync(dataDir, { recursive: true, force: true });
      assert.equal(r.code, 0, r.stderr);
    },
  };
}
