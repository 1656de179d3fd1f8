/**
 * Container logs as the runtime writes them (the CRI log format: one line per
 * write, `<RFC3339Nano> <stdout|stderr> <P|F> <content>`, P marking a partial
 * line) served the way `kubectl logs` asks: --tail, --since, --timestamps,
 * --limit-bytes and -f, which follows the file until the container stops.
 * Also size-based rotation of those files.
 */
import { existsSync, openSync, readSync, closeSync, statSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';

export interface LogOptions {
  follow?: boolean;
  tailLines?: number;
  /** Only lines at or after this time (ms since the epoch). */
  sinceMs?: number;
  timestamps?: boolean;
  limitBytes?: number;
  /** stdout, stderr or both (default). */
  stream?: 'stdout' | 'stderr';
}

export interface LogLine {
  time: string;
  stream: string;
  partial: boolean;
  content: Buffer;
}

/** Parses one CRI log line (without its trailing newline). */
export function parseCriLogLine(line: Buffer): LogLine | undefined {
  const s1 = line.indexOf(0x20);
  if (s1 < 0) return undefined;
  const s2 = line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return undefined;
  const s3 = line.indexOf(0x20, s2 + 1);
  const tag = line.subarray(s2 + 1, s3 < 0 ? line.length : s3).toString();
  return {
    time: line.subarray(0, s1).toString(),
    stream: line.subarray(s1 + 1, s2).toString(),
    partial: tag.split(':')[0] === 'P',
    content: s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1),
  };
}

/** The bytes kubectl sees for one parsed line. */
export function renderLine(l: LogLine, timestamps: boolean): Buffer {
  const parts: Buffer[] = [];
  if (timestamps) parts.push(Buffer.from(l.time + ' '));
  parts.push(l.content);
  if (!l.partial) parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}

function splitLines(buf: Buffer): { lines: Buffer[]; rest: Buffer } {
  const lines: Buffer[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) break;
    lines.push(buf.subarray(start, nl));
    start = nl + 1;
  }
  return { lines, rest: buf.subarray(start) };
}

function readFrom(path: string, offset: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const size = statSync(path).size;
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(size - offset);
    let read = 0;
    while (read < buf.length) {
      const n = readSync(fd, buf, read, buf.length - read, offset + read);
      if (n <= 0) break;
      read += n;
    }
    return buf.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

function wanted(l: LogLine, opts: LogOptions): boolean {
  if (opts.stream && l.stream !== opts.stream) return false;
  if (opts.sinceMs !== undefined && Date.parse(l.time) < opts.sinceMs) return false;
  return true;
}

/**
 * Writes the log at `path` to `out` per `opts`. With `follow`, keeps reading
 * new lines until `stillRunning()` says the container stopped (and the file
 * is drained) or `signal` aborts.
 */
export async function streamLogs(path: string, opts: LogOptions, out: Writable, stillRunning: () => Promise<boolean>, signal?: AbortSignal): Promise<void> {
  let budget = opts.limitBytes && opts.limitBytes > 0 ? opts.limitBytes : Infinity;
  const write = async (b: Buffer): Promise<boolean> => {
    if (budget <= 0) return false;
    const chunk = b.length > budget ? b.subarray(0, budget) : b;
    budget -= chunk.length;
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', r));
    return budget > 0;
  };

  let offset = 0;
  const first = readFrom(path, 0);
  const { lines, rest } = splitLines(first);
  offset = first.length - rest.length;
  let parsed = lines.map(parseCriLogLine).filter((l): l is LogLine => !!l && wanted(l, opts));
  if (opts.tailLines !== undefined && opts.tailLines >= 0) parsed = opts.tailLines === 0 ? [] : parsed.slice(-opts.tailLines);
  for (const l of parsed) if (!(await write(renderLine(l, !!opts.timestamps)))) return;
  if (!opts.follow) return;

  let inode = fileId(path);
  for (;;) {
    if (signal?.aborted) return;
    const chunk = readFrom(path, offset);
    if (chunk.length) {
      const { lines: more, rest: r } = splitLines(chunk);
      offset += chunk.length - r.length;
      for (const raw of more) {
        const l = parseCriLogLine(raw);
        if (l && wanted(l, opts) && !(await write(renderLine(l, !!opts.timestamps)))) return;
      }
      continue;
    }
    // Rotated: the runtime reopened a new file at the same path.
    const id = fileId(path);
    if (id !== inode) {
      inode = id;
      offset = 0;
      continue;
    }
    if (!(await stillRunning())) {
      const tail = readFrom(path, offset);
      if (!tail.length) return;
      continue;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function fileId(path: string): string {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return '';
  }
}

/**
 * Rotates `path` when it outgrew `maxBytes`: renames it to
 * `<path>.<timestamp>`, keeps the newest `maxFiles - 1` rotated files, and
 * returns true so the caller asks the runtime to reopen the log.
 */
export function rotateIfNeeded(path: string, maxBytes: number, maxFiles: number): boolean {
  if (!existsSync(path)) return false;
  if (statSync(path).size < maxBytes) return false;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
  renameSync(path, `${path}.${stamp}`);
  const dir = dirname(path);
  const prefix = basename(path) + '.';
  const rotated = readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .sort();
  while (rotated.length > Math.max(0, maxFiles - 1)) rmSync(join(dir, rotated.shift()!), { force: true });
  return true;
}
