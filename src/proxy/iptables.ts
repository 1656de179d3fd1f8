// Running iptables-save / iptables-restore (and sysctl), optionally inside a
// network namespace (`ip netns exec NS ...`), so tests and benchmarks program
// a throwaway namespace instead of the host. The binaries are whatever
// `iptables-restore` resolves to (on Debian 12: the nf_tables backend).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { generateRules, parseIptablesSave, renderCleanup, renderRestore, type NodeInfo, type ProxyRules, type SavedTable } from './rules.js';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command with optional stdin. */
export type ExecFn = (cmd: string, args: string[], input?: string) => Promise<ExecResult>;

export const defaultExec: ExecFn = (cmd, args, input) =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {}); // the command may exit before reading everything; its exit code tells
    child.stdin.end(input ?? '');
  });

export interface IptablesOptions {
  /** Run inside this network namespace (`ip netns exec NS`). */
  netns?: string;
  exec?: ExecFn;
}

export class IptablesError extends Error {
  constructor(
    readonly command: string,
    readonly result: ExecResult,
  ) {
    super(`${command} exited with ${result.code}: ${result.stderr.trim()}`);
    this.name = 'IptablesError';
  }
}

export class Iptables {
  private readonly exec: ExecFn;

  constructor(private readonly opts: IptablesOptions = {}) {
    this.exec = opts.exec ?? defaultExec;
  }

  private async run(cmd: string, args: string[], input?: string): Promise<string> {
    const [c, a] = this.opts.netns ? ['ip', ['netns', 'exec', this.opts.netns, cmd, ...args]] : [cmd, args];
    const r = await this.exec(c, a, input);
    if (r.code !== 0) throw new IptablesError(`${cmd} ${args.join(' ')}`, r);
    return r.stdout;
  }

  /** The parsed `iptables-save` of the nat and filter tables. */
  async save(): Promise<Record<string, SavedTable>> {
    const [nat, filter] = await Promise.all([this.run('iptables-save', ['-t', 'nat']), this.run('iptables-save', ['-t', 'filter'])]);
    return { ...parseIptablesSave(filter), ...parseIptablesSave(nat) };
  }

  /** One `iptables-restore --noflush` transaction: all of it applies or none. */
  async restore(input: string): Promise<void> {
    await this.run('iptables-restore', ['--noflush', '--wait'], input);
  }

  /** Sets a sysctl (in the namespace, if any); false when it does not exist there. */
  async sysctl(name: string, value: string): Promise<boolean> {
    try {
      await this.run('sysctl', ['-q', '-w', `${name}=${value}`]);
      return true;
    } catch {
      return false;
    }
  }

  /** Removes every jump into a KTS- chain and every KTS- chain. */
  async cleanup(): Promise<void> {
    const input = renderCleanup(await this.save());
    if (input) await this.restore(input);
  }
}

/** The sysctls the proxy relies on: forwarding, bridged traffic through iptables, and route_localnet for localhost NodePorts. */
export async function setProxySysctls(ipt: Iptables, opts: { localhostNodePorts?: boolean } = {}): Promise<void> {
  await ipt.sysctl('net.ipv4.ip_forward', '1');
  // Only when br_netfilter is loaded (in the host namespace we can check; in another namespace sysctl simply fails).
  if (existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables')) await ipt.sysctl('net.bridge.bridge-nf-call-iptables', '1');
  if (opts.localhostNodePorts) await ipt.sysctl('net.ipv4.conf.all.route_localnet', '1');
}

export interface ApplyResult {
  rules: ProxyRules;
  generateMs: number;
  applyMs: number;
}

/** Generates and applies the rules in one go (tests, benchmarks): save, render, one restore. */
export async function applyServiceRules(services: Service[], slices: EndpointSlice[], node: NodeInfo, opts: IptablesOptions = {}): Promise<ApplyResult> {
  const ipt = new Iptables(opts);
  const t0 = performance.now();
  const rules = generateRules(services, slices, node);
  const t1 = performance.now();
  const saved = await ipt.save();
  await ipt.restore(renderRestore(rules, { saved }));
  return { rules, generateMs: t1 - t0, applyMs: performance.now() - t1 };
}
