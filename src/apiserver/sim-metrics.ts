/**
 * Resource usage of simulated nodes (src/sim), which have no kubelet and no
 * containers: a kubelet Summary API answer (`/stats/summary` shape) built
 * from the pods' annotations, so `kubectl top` and the HPA controller see
 * simulated pods through the same metrics.k8s.io code path as real ones.
 * As kwok's ClusterResourceUsage, this is a simulation feature: a node is
 * simulated when its runtime is the simulator's (`kts-sim://`, set by
 * src/sim/node-object.ts); real nodes are never read this way.
 *
 * Annotations on a pod (quantities, as in resource requests):
 *   sim.kts.io/cpu-usage: "250m"          every container's CPU usage
 *   sim.kts.io/memory-usage: "64Mi"       every container's working set
 *   sim.kts.io/usage.<container>: "cpu=100m,memory=32Mi"   one container's, overriding the two above
 * A container without any reports zero. Only Running pods are reported, as
 * a kubelet reports only pods it runs.
 */
import { milliValue, parseQuantity } from '../api/validation/quantity.js';

export const SIM_RUNTIME_PREFIX = 'kts-sim://';
export const CPU_USAGE_ANNOTATION = 'sim.kts.io/cpu-usage';
export const MEMORY_USAGE_ANNOTATION = 'sim.kts.io/memory-usage';
export const CONTAINER_USAGE_ANNOTATION_PREFIX = 'sim.kts.io/usage.';

export function isSimulatedNode(node: any): boolean {
  return String(node?.status?.nodeInfo?.containerRuntimeVersion ?? '').startsWith(SIM_RUNTIME_PREFIX);
}

interface Usage {
  nanoCores: number;
  bytes: number;
}

function nanoCores(q: unknown): number | undefined {
  const v = parseQuantity(q);
  // Nanocores: the value in milli times a million, kept exact for the usual values.
  return v ? Number((v.num * 1_000_000_000n) / v.den) : undefined;
}

function bytes(q: unknown): number | undefined {
  const v = parseQuantity(q);
  return v ? Number(milliValue(v) / 1000n) : undefined;
}

/** Usage of each container of a simulated pod, from its annotations. */
export function simulatedContainerUsage(pod: any): Array<{ name: string; usage: Usage }> {
  const a: Record<string, string> = pod?.metadata?.annotations ?? {};
  const podCPU = nanoCores(a[CPU_USAGE_ANNOTATION]) ?? 0;
  const podMem = bytes(a[MEMORY_USAGE_ANNOTATION]) ?? 0;
  return (pod?.spec?.containers ?? []).map((c: any) => {
    const usage = { nanoCores: podCPU, bytes: podMem };
    const own = a[`${CONTAINER_USAGE_ANNOTATION_PREFIX}${c.name}`];
    if (typeof own === 'string') {
      for (const part of own.split(',')) {
        const [k, v] = part.split('=').map((s) => s.trim());
        if (k === 'cpu') usage.nanoCores = nanoCores(v) ?? usage.nanoCores;
        else if (k === 'memory') usage.bytes = bytes(v) ?? usage.bytes;
      }
    }
    return { name: c.name, usage };
  });
}

function stats(u: Usage, time: string): any {
  return { cpu: { time, usageNanoCores: u.nanoCores }, memory: { time, workingSetBytes: u.bytes } };
}

/** The Summary a kubelet on `node` would serve for `pods` (the pods bound to it). */
export function simulatedSummary(node: any, pods: any[], now: Date = new Date()): any {
  const time = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const total: Usage = { nanoCores: 0, bytes: 0 };
  const podStats = [];
  for (const pod of pods) {
    if (pod?.status?.phase !== 'Running' || pod.metadata?.deletionTimestamp) continue;
    const containers = simulatedContainerUsage(pod);
    const sum: Usage = { nanoCores: 0, bytes: 0 };
    for (const c of containers) {
      sum.nanoCores += c.usage.nanoCores;
      sum.bytes += c.usage.bytes;
    }
    total.nanoCores += sum.nanoCores;
    total.bytes += sum.bytes;
    podStats.push({
      podRef: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
      ...stats(sum, time),
      containers: containers.map((c) => ({ name: c.name, ...stats(c.usage, time) })),
    });
  }
  return { node: { nodeName: node.metadata.name, ...stats(total, time) }, pods: podStats };
}
