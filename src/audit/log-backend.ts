// The audit log file backend: events as JSON lines, appended asynchronously.
// Requests only push a line into memory; a timer (or a full buffer) writes
// the batch with one write, so a slow disk never holds a request up.
// Rotation as upstream's --audit-log-maxsize/--audit-log-maxbackup:
// `audit.log` becomes `audit-<timestamp>.log`, oldest backups removed.

import { createWriteStream, type WriteStream } from 'node:fs';
import { readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';

export interface LogBackendOptions {
  /** A file, or `-` for stdout. */
  path: string;
  /** Rotate once the file would exceed this many megabytes (0: never). */
  maxSizeMB?: number;
  /** Rotated files to keep (0: all). */
  maxBackups?: number;
  /** How often buffered lines are written (ms, default 100). */
  flushIntervalMs?: number;
}

/** Buffered lines beyond which a flush starts at once. */
const FLUSH_BYTES = 256 * 1024;
/** Memory bound: beyond this lines are dropped (and counted) rather than blocking requests. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;

export class LogBackend {
  private pending: string[] = [];
  private pendingBytes = 0;
  private writing: Promise<void> | undefined;
  private stream: WriteStream | undefined;
  private size = 0;
  private timer: NodeJS.Timeout;
  private closed = false;
  /** Lines dropped because the buffer was full. */
  dropped = 0;

  constructor(private readonly opts: LogBackendOptions) {
    this.timer = setInterval(() => void this.flush(), opts.flushIntervalMs ?? 100);
    this.timer.unref();
  }

  /** Queues one event; never waits for the disk. */
  write(event: object): void {
    if (this.closed) return;
    const line = JSON.stringify(event) + '\n';
    if (this.pendingBytes + line.length > MAX_PENDING_BYTES) {
      this.dropped++;
      return;
    }
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= FLUSH_BYTES) void this.flush();
  }

  /** Writes what is buffered; resolves once it is handed to the OS. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (!this.pending.length) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    this.writing = this.writeChunk(chunk).catch((e) => {
      process.stderr.write(`kts: audit log: ${(e as Error).message}\n`);
    });
    try {
      await this.writing;
    } finally {
      this.writing = undefined;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    this.closed = true;
    const s = this.stream;
    this.stream = undefined;
    if (s) await new Promise<void>((resolve) => s.end(resolve));
  }

  private async writeChunk(chunk: string): Promise<void> {
    if (this.opts.path === '-') {
      await new Promise<void>((resolve) => (process.stdout.write(chunk) ? resolve() : process.stdout.once('drain', resolve)));
      return;
    }
    const bytes = Buffer.byteLength(chunk);
    const max = (this.opts.maxSizeMB ?? 0) * 1024 * 1024;
    if (!this.stream) await this.open();
    if (max > 0 && this.size > 0 && this.size + bytes > max) await this.rotate();
    const s = this.stream!;
    await new Promise<void>((resolve, reject) => s.write(chunk, (e) => (e ? reject(e) : resolve())));
    this.size += bytes;
  }

  private async open(): Promise<void> {
    this.size = await stat(this.opts.path).then((s) => s.size, () => 0);
    this.stream = createWriteStream(this.opts.path, { flags: 'a', mode: 0o600 });
    this.stream.on('error', (e) => process.stderr.write(`kts: audit log: ${e.message}\n`));
  }

  private async rotate(): Promise<void> {
    const s = this.stream!;
    await new Promise<void>((resolve) => s.end(resolve));
    this.stream = undefined;
    const { dir, stem, ext } = parts(this.opts.path);
    const stamp = new Date().toISOString().replace(/:/g, '-').replace('Z', '');
    await rename(this.opts.path, join(dir, `${stem}-${stamp}${ext}`));
    const keep = this.opts.maxBackups ?? 0;
    if (keep > 0) {
      const re = new RegExp(`^${escape(stem)}-\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d\\.\\d{3}${escape(ext)}$`);
      const backups = (await readdir(dir)).filter((f) => re.test(f)).sort();
      for (const f of backups.slice(0, Math.max(0, backups.length - keep))) await unlink(join(dir, f)).catch(() => {});
    }
    await this.open();
  }
}

function parts(path: string): { dir: string; stem: string; ext: string } {
  const ext = extname(path);
  return { dir: dirname(path), stem: basename(path, ext), ext };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
