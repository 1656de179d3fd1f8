/**
 * The resource metrics API (`metrics.k8s.io/v1beta1`, what metrics-server
 * serves and `kubectl top` reads), built into the API server: NodeMetrics
 * and PodMetrics from each node's kubelet Summary API (`/stats/summary`:
 * working-set memory and CPU rates from cgroups). Summaries are fetched on
 * demand and kept for a few seconds; nodes whose kubelet does not answer
 * (nodes that are down) are left out, as metrics-server does. Simulated
 * nodes have no kubelet: their Summary is built from their pods'
 * annotations (sim-metrics.ts) at each request.
 */
import { kubeletGet, kubeletLocation, type KubeletClientTLS } from './kubelet-proxy.js';
import { isSimulatedNode, simulatedSummary } from './sim-metrics.js';

export const METRICS_GROUP = 'metrics.k8s.io';
const API_VERSION = 'metrics.k8s.io/v1beta1';
const CACHE_MS = 5_000;
const KUBELET_TIMEOUT_MS = 2_000;

interface Scrape {
  node: any;
  summary: any;
}

export class MetricsApi {
  private cached: { at: number; scrapes: Promise<Scrape[]> } | undefined;

  constructor(
    private readonly tls: () => KubeletClientTLS | undefined,
    /** The pods bound to each node, by node name (for simulated nodes' summaries). */
    private readonly podsByNode: () => Map<string, any[]> = () => new Map(),
  ) {}

  /** NodeMetrics of the given nodes that answered. */
  async nodeMetrics(nodes: any[]): Promise<any[]> {
    const scrapes = await this.scrape(nodes);
    return scrapes
      .filter((s) => s.summary?.node?.cpu?.usageNanoCores !== undefined && s.summary?.node?.memory?.workingSetBytes !== undefined)
      .map((s) => ({
        metadata: { name: s.node.metadata.name, creationTimestamp: new Date().toISOString(), labels: s.node.metadata.labels ?? {} },
        timestamp: s.summary.node.cpu.time,
        window: '10s',
        usage: usage(s.summary.node),
      }));
  }

  /** PodMetrics of every pod the answering kubelets report; `pods` supplies labels (and filters out pods the API no longer has). */
  async podMetrics(nodes: any[], podOf: (ns: string, name: string) => any | undefined): Promise<any[]> {
    const out: any[] = [];
    for (const s of await this.scrape(nodes)) {
      for (const p of s.summary?.pods ?? []) {
        const pod = podOf(p.podRef.namespace, p.podRef.name);
        if (!pod) continue;
        const containers = (p.containers ?? []).filter((c: any) => c.cpu?.usageNanoCores !== undefined && c.memory?.workingSetBytes !== undefined);
        // As metrics-server: a pod is reported once every container has a CPU rate.
        if (!containers.length || containers.length !== (p.containers ?? []).length) continue;
        out.push({
          metadata: { name: p.podRef.name, namespace: p.podRef.namespace, creationTimestamp: new Date().toISOString(), labels: pod.metadata?.labels ?? {} },
          timestamp: p.cpu?.time ?? new Date().toISOString(),
          window: '10s',
          containers: containers.map((c: any) => ({ name: c.name, usage: usage(c) })),
        });
      }
    }
    return out;
  }

  private async scrape(nodes: any[]): Promise<Scrape[]> {
    const simulated = nodes.filter(isSimulatedNode);
    const real = simulated.length ? nodes.filter((n) => !isSimulatedNode(n)) : nodes;
    const scraped = await this.scrapeKubelets(real);
    if (!simulated.length) return scraped;
    const byNode = this.podsByNode();
    return [...scraped, ...simulated.map((node) => ({ node, summary: simulatedSummary(node, byNode.get(node.metadata?.name) ?? []) }))];
  }

  private scrapeKubelets(nodes: any[]): Promise<Scrape[]> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < CACHE_MS) return this.cached.scrapes;
    const tls = this.tls();
    const scrapes = tls && nodes.length ? Promise.all(nodes.map((n) => this.scrapeNode(n, tls))).then((r) => r.filter((s): s is Scrape => s !== undefined)) : Promise.resolve([]);
    this.cached = { at: now, scrapes };
    return scrapes;
  }

  private async scrapeNode(node: any, tls: KubeletClientTLS): Promise<Scrape | undefined> {
    try {
      const loc = kubeletLocation(node);
      const res = await Promise.race([
        kubeletGet(loc, tls, '/stats/summary'),
        new Promise<never>((_, rej) => setTimeout(() => rej(new Error('kubelet did not answer in time')), KUBELET_TIMEOUT_MS)),
      ]);
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      return { node, summary: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
    } catch {
      return undefined;
    }
  }
}

/** Usage in metrics-server's units: CPU in nanocores, memory (working set) in KiB. */
function usage(stats: any): { cpu: string; memory: string } {
  return { cpu: `${Math.round(stats.cpu.usageNanoCores)}n`, memory: `${Math.round(stats.memory.workingSetBytes / 1024)}Ki` };
}

export function metricsList(kind: 'NodeMetricsList' | 'PodMetricsList', items: any[]): any {
  return { kind, apiVersion: API_VERSION, metadata: {}, items: items.map((i) => ({ ...i })) };
}

export function metricsItem(kind: 'NodeMetrics' | 'PodMetrics', item: any): any {
  return { kind, apiVersion: API_VERSION, ...item };
}
