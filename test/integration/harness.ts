// Starts a real `kts server` process on a free port with a temporary data
// dir, and runs the real kubectl against it. Everything it starts is
// stopped and removed by stop().

import { spawn, type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../..');
export const MAIN = join(REPO, 'dist/src/cli/main.js');
export const KUBECTL = process.env.KTS_TEST_KUBECTL ?? '/usr/bin/kubectl';

export interface KtsProcess {
  url: string;
  port: number;
  dataDir: string;
  kubeconfig: string;
  proc: ChildProcess;
  stderr(): string;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<CmdResult>;
  /** kubectl that must succeed; returns stdout. */
  k(args: string[], input?: string): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CmdResult> {
  return new Promise((resolvePromise) => {
    const child = execFile(
      cmd,
      args,
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
        resolvePromise({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

export interface StartOptions {
  dataDir?: string;
  storage?: 'sqlite' | 'memory';
  extraArgs?: string[];
  /** Run the node agent (containerd, real containers); off by default. */
  agent?: boolean;
}

export async function startKts(opts: StartOptions = {}): Promise<KtsProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'kts-test-'));
  const ownDir = opts.dataDir === undefined;
  const args = [MAIN, 'server', '--data-dir', dataDir, '--port', '0', '--bind-address', '127.0.0.1', '--config', '/dev/null'];
  if (opts.storage) args.push('--storage', opts.storage);
  if (!opts.agent) args.push('--disable', 'agent');
  args.push(...(opts.extraArgs ?? []));
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  proc.stdout!.on('data', () => {});
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`kts did not become ready:\n${err}`)), 30_000);
    const onData = () => {
      const m = /API server ready at (https:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        proc.stderr!.off('data', onData);
        res(m[1]);
      }
    };
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`kts exited with ${code}:\n${err}`));
    });
  });
  const kubeconfig = join(dataDir, 'admin.kubeconfig');
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  const kubectl = (a: string[], o: { input?: string; timeoutMs?: number } = {}) => run(KUBECTL, a, { ...o, env });
  let exited = false;
  proc.once('exit', () => (exited = true));
  const waitExit = () => (exited ? Promise.resolve() : new Promise<void>((r) => proc.once('exit', () => r())));
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    kubeconfig,
    proc,
    stderr: () => err,
    kubectl,
    async k(a, input) {
      const r = await kubectl(a, { input });
      if (r.code !== 0) throw new Error(`kubectl ${a.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    async kill(signal = 'SIGKILL') {
      if (!exited) proc.kill(signal);
      await waitExit();
    },
    async stop() {
      if (!exited) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await waitExit();
      clearTimeout(t);
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `f` every 100 ms until it returns a value (not undefined); fails with `what` after `ms`. */
export async function eventually<T>(what: string, f: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
