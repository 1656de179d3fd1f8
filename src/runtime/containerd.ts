/**
 * containerd as kts runs it: a configuration written under the data dir (own
 * root, state and socket, overlayfs, the CNI folders, the locally built pause
 * image) and a supervised process that is restarted when it crashes and
 * stopped with kts. Container shims outlive containerd, so containers keep
 * running across a restart of kts and are re-adopted by the kubelet.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PAUSE_IMAGE = 'kts.local/pause:3.10';

export interface ContainerdPaths {
  /** Persistent: images, snapshots, container metadata. */
  root: string;
  /** Volatile: shim sockets, runtime state. Under /run, keyed by data dir. */
  state: string;
  socket: string;
  config: string;
  log: string;
  cniConfDir: string;
  cniBinDir: string;
}

/** Debian installs CNI plugins in /usr/lib/cni; upstream packages use /opt/cni/bin. */
export function findCniBinDir(): string {
  for (const dir of ['/usr/lib/cni', '/opt/cni/bin']) if (existsSync(join(dir, 'bridge'))) return dir;
  return '/usr/lib/cni';
}

export function containerdPaths(dataDir: string): ContainerdPaths {
  const agent = join(dataDir, 'agent');
  // Unix socket paths are limited to 108 bytes, so the volatile state lives
  // under a short per-data-dir folder in /run.
  const key = createHash('sha256').update(dataDir).digest('hex').slice(0, 10);
  const state = join('/run/kts', key, 'containerd');
  return {
    root: join(agent, 'containerd'),
    state,
    socket: join(state, 'containerd.sock'),
    config: join(agent, 'etc', 'containerd', 'config.toml'),
    log: join(agent, 'containerd', 'containerd.log'),
    cniConfDir: join(agent, 'etc', 'cni', 'net.d'),
    cniBinDir: findCniBinDir(),
  };
}

const tomlString = (s: string) => JSON.stringify(s);

/**
 * Whether this process may lower an OOM score adjustment. Some sandboxes
 * (and unprivileged setups) forbid it; containerd must then clamp the
 * adjustments the kubelet asks for, or every container start fails.
 */
export function canLowerOomScoreAdj(): boolean {
  const path = '/proc/self/oom_score_adj';
  let current: string;
  try {
    current = readFileSync(path, 'utf8').trim();
  } catch {
    return false;
  }
  const lower = Number(current) - 1;
  if (lower < -1000) return true;
  try {
    writeFileSync(path, String(lower));
    writeFileSync(path, current);
    return true;
  } catch {
    return false;
  }
}

export function containerdConfigTOML(p: ContainerdPaths, opts: { restrictOomScoreAdj?: boolean } = {}): string {
  return `# Written by kts; rewritten at every start.
version = 2
root = ${tomlString(p.root)}
state = ${tomlString(p.state)}
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = ${tomlString(p.socket)}

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${tomlString(PAUSE_IMAGE)}
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  max_container_log_line_size = 16384
  restrict_oom_score_adj = ${opts.restrictOomScoreAdj ? 'true' : 'false'}
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = ${tomlString(p.cniBinDir)}
    conf_dir = ${tomlString(p.cniConfDir)}
    max_conf_num = 1
`;
}

export interface SupervisorOptions {
  binary?: string;
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  log?: (msg: string) => void;
}

/** Runs containerd and keeps it running until stop(). */
export class ContainerdSupervisor {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(readonly paths: ContainerdPaths, private readonly opts: SupervisorOptions = {}) {}

  writeConfig(): void {
    for (const dir of [this.paths.root, this.paths.state, this.paths.cniConfDir]) mkdirSync(dir, { recursive: true, mode: 0o711 });
    mkdirSync(join(this.paths.config, '..'), { recursive: true });
    writeFileSync(this.paths.config, containerdConfigTOML(this.paths, { restrictOomScoreAdj: !canLowerOomScoreAdj() }));
  }

  start(): void {
    this.writeConfig();
    // A containerd left by a kts that was killed (it runs in its own process
    // group) holds the same root and socket: stop it; the shims, and so the
    // containers, survive.
    spawnSync('pkill', ['-TERM', '-f', `^containerd --config ${this.paths.config}$`]);
    this.spawnOnce();
  }

  private spawnOnce(): void {
    const fd = openSync(this.paths.log, 'a');
    const child = spawn(this.opts.binary ?? 'containerd', ['--config', this.paths.config], {
      stdio: ['ignore', fd, fd],
      // Own process group: a Ctrl-C on kts must not reach containerd before
      // kts has stopped what it runs.
      detached: true,
    });
    closeSync(fd);
    this.child = child;
    child.on('error', (err) => this.opts.log?.(`containerd: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      this.opts.onExit?.(code, signal);
      if (this.stopping) return;
      const delay = Math.min(10_000, 250 * 2 ** Math.min(this.restarts++, 6));
      this.opts.log?.(`containerd exited (${signal ?? code}); restarting in ${delay} ms`);
      this.restartTimer = setTimeout(() => this.spawnOnce(), delay);
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
