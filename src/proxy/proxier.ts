// The service proxy (kube-proxy, iptables mode): informers for Services and
// EndpointSlices; any change marks the rules dirty and a sync runs at most
// every `minSyncIntervalMs`, coalescing bursts. A sync regenerates the whole
// rule set (rules.ts) and applies the chains that changed with one
// `iptables-restore --noflush`.
// Full syncs (the first, every `syncPeriodMs`, and after a failure) also read
// `iptables-save` first, to put back jumps someone else removed and to delete
// KTS- chains left behind, and rewrite every chain; other syncs write only the
// chains whose rules differ from what the previous sync wrote.
// stop() removes every KTS- rule and chain.

import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ApiClient } from '../client/types.js';
import { SharedInformerFactory, waitForCacheSync, type HandlerRegistration, type Informer } from '../client/informer.js';
import { Iptables, setProxySysctls, type ExecFn } from './iptables.js';
import { chainContents, generateRules, renderRestore, type NodeInfo } from './rules.js';

export interface ServiceProxyOptions extends NodeInfo {
  /** Program the rules inside this network namespace (`ip netns exec NS`). */
  netns?: string;
  /** How commands run (default: child_process.spawn). */
  exec?: ExecFn;
  /** Set net.ipv4.ip_forward, bridge-nf-call-iptables (when br_netfilter is loaded) and, for localhostNodePorts, route_localnet. Default false. */
  setSysctls?: boolean;
  /** Shortest time between two syncs (default 100 ms). */
  minSyncIntervalMs?: number;
  /** Full resync period: re-read iptables-save, rewrite every chain (default 1 hour, as upstream's; a full sync of 1,000 Services × 10 endpoints takes seconds with iptables-nft). */
  syncPeriodMs?: number;
  /** Share informers with other components of the process (default: a factory of its own). */
  factory?: SharedInformerFactory;
  /** Called after every successful sync. */
  onSync?: (result: SyncResult) => void;
  /** Sync failures (default: console.error); a failed sync is retried as a full sync. */
  onError?: (err: unknown) => void;
}

export interface SyncResult {
  full: boolean;
  services: number;
  endpointSlices: number;
  ruleCount: number;
  generateMs: number;
  applyMs: number;
}

export interface ServiceProxy {
  /** Syncs now (waiting for a sync in progress first). */
  sync(): Promise<SyncResult>;
  /** The last successful sync, if any. */
  lastSync(): SyncResult | undefined;
  /** Stops the informers and the timers, then removes every KTS- rule and chain. */
  stop(): Promise<void>;
}

/**
 * Starts the proxy: waits for the Service and EndpointSlice caches, runs the
 * first (full) sync, and keeps the rules current until stop(). Resolves once
 * the first sync was attempted (a failure there is reported to onError and
 * retried).
 */
export async function startServiceProxy(client: ApiClient, opts: ServiceProxyOptions): Promise<ServiceProxy> {
  const proxier = new Proxier(client, opts);
  await proxier.start();
  return proxier;
}

class Proxier implements ServiceProxy {
  private readonly ipt: Iptables;
  private readonly factory: SharedInformerFactory;
  private readonly ownFactory: boolean;
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly registrations: HandlerRegistration[] = [];
  private readonly abort = new AbortController();
  private readonly minInterval: number;
  private readonly period: number;
  private timer: NodeJS.Timeout | undefined;
  private periodic: NodeJS.Timeout | undefined;
  private running: Promise<SyncResult> | undefined;
  private dirty = false;
  private needFull = true;
  private lastStart = 0;
  private last: SyncResult | undefined;
  /** Chain contents the last sync wrote (partial syncs write only what changed). */
  private previous: Map<string, string> | undefined;
  private stopped = false;
  private synced = false;

  constructor(
    client: ApiClient,
    private readonly opts: ServiceProxyOptions,
  ) {
    this.ipt = new Iptables({ netns: opts.netns, exec: opts.exec });
    this.ownFactory = !opts.factory;
    this.factory = opts.factory ?? new SharedInformerFactory(client, { transform: dropManagedFields });
    this.minInterval = opts.minSyncIntervalMs ?? 100;
    this.period = opts.syncPeriodMs ?? 3_600_000;
    this.services = this.factory.informerFor<Service>('/api/v1/services');
    this.slices = this.factory.informerFor<EndpointSlice>('/apis/discovery.k8s.io/v1/endpointslices');
    const onChange = { onAdd: () => this.requestSync(), onUpdate: (a: unknown, b: unknown) => a !== b && this.requestSync(), onDelete: () => this.requestSync() };
    this.registrations.push(this.services.addEventHandler(onChange), this.slices.addEventHandler(onChange));
  }

  async start(): Promise<void> {
    if (this.opts.setSysctls) await setProxySysctls(this.ipt, { localhostNodePorts: this.opts.localhostNodePorts });
    if (this.ownFactory) this.factory.start();
    if (!(await waitForCacheSync([this.services, this.slices], this.abort.signal))) return;
    this.synced = true;
    this.periodic = setInterval(() => {
      this.needFull = true;
      this.requestSync();
    }, this.period);
    this.periodic.unref();
    await this.sync().catch(() => {}); // reported by runSync; retried by the timer
  }

  lastSync(): SyncResult | undefined {
    return this.last;
  }

  private requestSync(): void {
    this.dirty = true;
    if (!this.synced || this.stopped || this.timer || this.running) return;
    const wait = Math.max(0, this.lastStart + this.minInterval - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sync().catch(() => {});
    }, wait);
  }

  async sync(): Promise<SyncResult> {
    while (this.running) await this.running.catch(() => {});
    if (this.stopped) throw new Error('service proxy stopped');
    this.running = this.runSync();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
      if (this.dirty) this.requestSync();
    }
  }

  private async runSync(): Promise<SyncResult> {
    this.lastStart = Date.now();
    this.dirty = false;
    const full = this.needFull;
    try {
      const services = this.services.list();
      const slices = this.slices.list();
      const t0 = performance.now();
      const rules = generateRules(services, slices, this.opts);
      const t1 = performance.now();
      const saved = full ? await this.ipt.save() : undefined;
      const input = renderRestore(rules, { saved, previous: this.previous });
      if (input) await this.ipt.restore(input);
      this.previous = chainContents(rules);
      this.needFull = false;
      const result: SyncResult = {
        full,
        services: services.length,
        endpointSlices: slices.length,
        ruleCount: rules.ruleCount,
        generateMs: t1 - t0,
        applyMs: performance.now() - t1,
      };
      this.last = result;
      this.opts.onSync?.(result);
      return result;
    } catch (err) {
      this.needFull = true;
      // Retry after a pause rather than in a tight loop.
      setTimeout(() => this.requestSync(), 1000).unref();
      (this.opts.onError ?? ((e) => console.error(`service proxy: sync failed: ${e instanceof Error ? e.message : String(e)}`)))(err);
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    clearTimeout(this.timer);
    clearInterval(this.periodic);
    for (const r of this.registrations) r.remove();
    if (this.ownFactory) this.factory.stop();
    await this.running?.catch(() => {});
    await this.ipt.cleanup();
  }
}

function dropManagedFields(obj: any): any {
  if (obj?.metadata?.managedFields) {
    const { managedFields: _, ...metadata } = obj.metadata;
    return { ...obj, metadata };
  }
  return obj;
}
