/**
 * The kubelet's Summary API (`/stats/summary`, what metrics-server and
 * `kubectl top` read): CPU and memory of the node and of each running pod
 * and container, from cgroups. CPU rates (usageNanoCores) come from the
 * difference between two readings of cumulative usage; readings are kept
 * per cgroup and refreshed at most once a second.
 */
import { readFileSync } from 'node:fs';
import { readCgroupUsage, type CgroupUsage } from '../runtime/cgroups.js';

export interface CpuStats {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds?: number;
}

export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes?: number;
  workingSetBytes?: number;
  rssBytes?: number;
}

export interface StatsContainer {
  name: string;
  /** cgroup path below the hierarchy root */
  cgroup: string;
  startTime: string;
}

export interface StatsPod {
  name: string;
  namespace: string;
  uid: string;
  startTime: string;
  cgroup: string;
  containers: StatsContainer[];
}

interface Reading {
  at: number;
  usage: CgroupUsage;
  nanoCores?: number;
}

export class StatsProvider {
  private readonly readings = new Map<string, Reading>();

  constructor(
    private readonly nodeName: string,
    private readonly nodeStartTime: string,
    private readonly read: (cgroup: string) => CgroupUsage = (c) => readCgroupUsage(c),
    private readonly memTotal: () => number | undefined = memTotalBytes,
  ) {}

  summary(pods: StatsPod[], now = Date.now()): any {
    const live = new Set<string>(['']);
    const node = this.sample('', now);
    const total = this.memTotal();
    const nodeMem = this.memory(node, now);
    if (total !== undefined && nodeMem.workingSetBytes !== undefined) nodeMem.availableBytes = Math.max(0, total - nodeMem.workingSetBytes);
    const out = {
      node: { nodeName: this.nodeName, startTime: this.nodeStartTime, cpu: this.cpu(node, now), memory: nodeMem },
      pods: pods.map((p) => {
        live.add(p.cgroup);
        const r = this.sample(p.cgroup, now);
        return {
          podRef: { name: p.name, namespace: p.namespace, uid: p.uid },
          startTime: p.startTime,
          containers: p.containers.map((c) => {
            live.add(c.cgroup);
            const cr = this.sample(c.cgroup, now);
            return { name: c.name, startTime: c.startTime, cpu: this.cpu(cr, now), memory: this.memory(cr, now) };
          }),
          cpu: this.cpu(r, now),
          memory: this.memory(r, now),
        };
      }),
    };
    for (const k of [...this.readings.keys()]) if (!live.has(k)) this.readings.delete(k);
    return out;
  }

  private sample(cgroup: string, now: number): Reading {
    const prev = this.readings.get(cgroup);
    if (prev && now - prev.at < 1000) return prev;
    const usage = this.read(cgroup);
    const next: Reading = { at: now, usage, nanoCores: prev?.nanoCores };
    if (prev && prev.usage.cpuNanos !== undefined && usage.cpuNanos !== undefined && usage.cpuNanos >= prev.usage.cpuNanos) {
      next.nanoCores = Math.round(((usage.cpuNanos - prev.usage.cpuNanos) * 1000) / (now - prev.at));
    }
    this.readings.set(cgroup, next);
    return next;
  }

  private cpu(r: Reading, now: number): CpuStats {
    const out: CpuStats = { time: new Date(now).toISOString() };
    if (r.nanoCores !== undefined) out.usageNanoCores = r.nanoCores;
    if (r.usage.cpuNanos !== undefined) out.usageCoreNanoSeconds = r.usage.cpuNanos;
    return out;
  }

  private memory(r: Reading, now: number): MemoryStats {
    const out: MemoryStats = { time: new Date(now).toISOString() };
    if (r.usage.memoryUsageBytes !== undefined) out.usageBytes = r.usage.memoryUsageBytes;
    if (r.usage.memoryWorkingSetBytes !== undefined) out.workingSetBytes = r.usage.memoryWorkingSetBytes;
    if (r.usage.memoryRssBytes !== undefined) out.rssBytes = r.usage.memoryRssBytes;
    return out;
  }
}

function memTotalBytes(): number | undefined {
  try {
    const m = /^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
