/**
 * Pod cgroups on the host: where a pod's cgroup lives (cgroup v1, one tree
 * per controller, or the v2 unified tree), CPU and memory usage read from
 * it, and its removal once the pod is gone (runc removes only the
 * containers' own cgroups, never the pod's parent).
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';

export interface CgroupUsage {
  /** Cumulative CPU time, nanoseconds. */
  cpuNanos?: number;
  memoryUsageBytes?: number;
  memoryWorkingSetBytes?: number;
  memoryRssBytes?: number;
}

export function isCgroupV2(root = ROOT): boolean {
  return existsSync(join(root, 'cgroup.controllers'));
}

/** Reads usage of a cgroup given by its path below the hierarchy root ('' for the root). */
export function readCgroupUsage(path: string, root = ROOT): CgroupUsage {
  const out: CgroupUsage = {};
  if (isCgroupV2(root)) {
    const dir = join(root, path);
    const cpu = parseKeyed(readOr(join(dir, 'cpu.stat')));
    if (cpu.usage_usec !== undefined) out.cpuNanos = cpu.usage_usec * 1000;
    const mem = parseKeyed(readOr(join(dir, 'memory.stat')));
    const current = num(readOr(join(dir, 'memory.current')));
    if (current !== undefined) {
      out.memoryUsageBytes = current;
      out.memoryWorkingSetBytes = Math.max(0, current - (mem.inactive_file ?? 0));
    }
    if (mem.anon !== undefined) out.memoryRssBytes = mem.anon;
    return out;
  }
  const cpu = num(readOr(join(root, 'cpuacct', path, 'cpuacct.usage')));
  if (cpu !== undefined) out.cpuNanos = cpu;
  const usage = num(readOr(join(root, 'memory', path, 'memory.usage_in_bytes')));
  const mem = parseKeyed(readOr(join(root, 'memory', path, 'memory.stat')));
  if (usage !== undefined) {
    out.memoryUsageBytes = usage;
    out.memoryWorkingSetBytes = Math.max(0, usage - (mem.total_inactive_file ?? 0));
  }
  if (mem.total_rss !== undefined) out.memoryRssBytes = mem.total_rss;
  return out;
}

/**
 * Removes a pod's cgroup (`/kubepods/.../pod<uid>`) in every hierarchy, deepest
 * first. Cgroups that still hold processes stay; returns how many were removed.
 */
export function removeCgroup(path: string, root = ROOT): number {
  let removed = 0;
  const dirs = isCgroupV2(root) ? [join(root, path)] : controllerDirs(root).map((c) => join(c, path));
  for (const dir of dirs) removed += removeTree(dir);
  return removed;
}

/** Removes every empty `pod*` cgroup under /kubepods (kts killall). */
export function removeKubepodsCgroups(root = ROOT): number {
  let removed = 0;
  const bases = isCgroupV2(root) ? [join(root, 'kubepods')] : controllerDirs(root).map((c) => join(c, 'kubepods'));
  for (const base of bases) {
    for (const sub of ['', 'burstable', 'besteffort']) {
      const dir = join(base, sub);
      for (const e of safeList(dir)) if (e.startsWith('pod')) removed += removeTree(join(dir, e));
    }
  }
  return removed;
}

function controllerDirs(root: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of safeList(root)) {
    const p = join(root, e);
    try {
      // cpu,cpuacct and its cpu / cpuacct links name one hierarchy: visit it once.
      const st = statSync(p);
      if (!st.isDirectory()) continue;
      const id = `${st.dev}:${st.ino}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(p);
    } catch {
      // not a hierarchy
    }
  }
  return out;
}

function removeTree(dir: string): number {
  if (!existsSync(dir)) return 0;
  let removed = 0;
  for (const e of safeList(dir)) {
    const p = join(dir, e);
    try {
      if (statSync(p).isDirectory()) removed += removeTree(p);
    } catch {
      // gone meanwhile
    }
  }
  try {
    rmdirSync(dir);
    removed++;
  } catch {
    // busy: processes still in it
  }
  return removed;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function num(text: string): number | undefined {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : undefined;
}

function parseKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}
