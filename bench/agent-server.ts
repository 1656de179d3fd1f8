// A `kts server` with its node agent (real containers) for benchmarks: on a
// throwaway data dir, loopback only; stop() ends it and runs `kts killall`.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HttpClient } from '../src/client/http-client.js';

const REPO = resolve(new URL('.', import.meta.url).pathname, '../..');
const MAIN = join(REPO, 'dist', 'src', 'cli', 'main.js');

export interface AgentServer {
  dataDir: string;
  proc: ChildProcess;
  client: HttpClient;
  stop(): Promise<void>;
}

/** Starts kts with the agent and waits until its node is Ready. */
export async function startAgentServer(prefix: string, extraArgs: string[] = []): Promise<AgentServer> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const proc = spawn(process.execPath, [MAIN, 'server', '--data-dir', dataDir, '--port', '0', '--bind-address', '127.0.0.1', '--config', '/dev/null', '--kubelet-port', '0', ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    execFileSync(process.execPath, [MAIN, 'killall', '--data-dir', dataDir], { stdio: 'ignore' });
    rmSync(dataDir, { recursive: true, force: true });
  };
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  try {
    await new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`kts did not start:\n${err}`)), 60_000);
      proc.stderr!.on('data', () => {
        if (/API server ready at/.test(err)) {
          clearTimeout(t);
          res();
        }
      });
      proc.once('exit', (c) => rej(new Error(`kts exited with ${c}:\n${err}`)));
    });
    const client = HttpClient.fromKubeconfig(join(dataDir, 'admin.kubeconfig'));
    for (;;) {
      const nodes = await client.get('/api/v1/nodes');
      if (nodes.items?.[0]?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return { dataDir, proc, client, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
