// The Namespace controller (upstream pkg/controller/namespace): when a
// namespace is being deleted, delete everything in it, report progress in
// the namespace's status conditions, and once nothing is left remove the
// `kubernetes` finalizer so the API server removes the namespace.
//
// Content is deleted with propagationPolicy=Background (the garbage
// collector follows ownerReferences); objects held by finalizers or grace
// periods are waited for: the key is requeued after an estimate, as
// upstream's ResourcesRemainingError does.

import type { Namespace } from 'kubernetes-types/core/v1.js';
import type { ResourceInfo } from '../api/registry.js';
import { apiVersionOf } from '../api/registry.js';
import { isNotFound, type ApiClient } from '../client/types.js';
import { SharedInformerFactory, type Informer } from '../client/informer.js';
import { QueueController, type ControllerOptions } from './base.js';
import { deepEqual, errorMessage, nowRFC3339, parseTime } from './util.js';

export const FINALIZER_KUBERNETES = 'kubernetes';

export interface NamespaceControllerOptions extends ControllerOptions {
  /** Share informers with other controllers; when absent the controller runs its own. */
  factory?: SharedInformerFactory;
  now?: () => number;
}

interface ContentTotals {
  /** `<resource>.<group>` → instances left. */
  remaining: Map<string, number>;
  /** finalizer → instances held by it. */
  finalizers: Map<string, number>;
  errors: string[];
  /** How long graceful pod deletions still need (ms). */
  estimateMs: number;
}

const CONDITION_TYPES = ['NamespaceDeletionDiscoveryFailure', 'NamespaceDeletionGroupVersionParsingFailure', 'NamespaceDeletionContentFailure', 'NamespaceContentRemaining', 'NamespaceFinalizersRemaining'] as const;

const OK_CONDITIONS: Record<string, { reason: string; message: string }> = {
  NamespaceDeletionDiscoveryFailure: { reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
  NamespaceDeletionGroupVersionParsingFailure: { reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  NamespaceDeletionContentFailure: { reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  NamespaceContentRemaining: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  NamespaceFinalizersRemaining: { reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
};

export class NamespaceController extends QueueController {
  private readonly factory: SharedInformerFactory;
  private readonly ownFactory: boolean;
  private readonly nsInformer: Informer<Namespace>;
  private readonly now: () => number;
  private runPromise: Promise<void> | undefined;

  constructor(
    private readonly client: ApiClient,
    private readonly resources: () => ResourceInfo[],
    opts: NamespaceControllerOptions = {},
  ) {
    super('namespace', opts);
    this.ownFactory = !opts.factory;
    this.factory = opts.factory ?? new SharedInformerFactory(client);
    this.now = opts.now ?? Date.now;
    this.nsInformer = this.factory.informerFor<Namespace>('/api/v1/namespaces');
    this.registrations.push(
      this.nsInformer.addEventHandler({
        onAdd: (ns) => this.enqueueIfDeleting(ns),
        onUpdate: (_old, ns) => this.enqueueIfDeleting(ns),
      }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.nsInformer];
  }

  /**
   * Standalone use: starts the controller's own informers and workers and
   * resolves once the namespace cache has synced. With a shared factory the
   * owner starts the factory and calls run().
   */
  async start(): Promise<void> {
    if (this.ownFactory) this.factory.start();
    this.runPromise ??= this.run(this.opts.workers ?? 2);
    await this.nsInformer.waitForSync(this.abort.signal);
  }

  override async stop(): Promise<void> {
    await super.stop();
    if (this.ownFactory) this.factory.stop();
    await this.runPromise;
  }

  private enqueueIfDeleting(ns: Namespace): void {
    if (ns.metadata?.deletionTimestamp) this.enqueue(ns.metadata.name!);
  }

  protected async sync(name: string): Promise<void> {
    const cached = this.nsInformer.getByName('', name);
    if (!cached?.metadata?.deletionTimestamp) return;
    let ns: any;
    try {
      ns = await this.client.get(`/api/v1/namespaces/${encodeURIComponent(name)}`);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (!ns.metadata.deletionTimestamp) return;
    if (!(ns.spec?.finalizers ?? []).includes(FINALIZER_KUBERNETES)) return; // not ours to finalize

    const totals = await this.deleteAllContent(name);
    ns = await this.updateConditions(ns, totals);
    if (totals.errors.length) {
      throw new Error(`failed to delete all resource types, ${totals.errors.length} remaining: ${totals.errors.join(', ')}`);
    }
    if (totals.remaining.size > 0) {
      // Come back when graceful deletions should be done (upstream: estimate/2 + 1 s).
      this.queue.addAfter(name, Math.floor(totals.estimateMs / 2) + 1000);
      return;
    }
    const finalizers = (ns.spec?.finalizers ?? []).filter((f: string) => f !== FINALIZER_KUBERNETES);
    try {
      await this.client.update(`/api/v1/namespaces/${encodeURIComponent(name)}/finalize`, { ...ns, spec: { ...ns.spec, finalizers } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** The namespaced resources that can be listed and deleted, one version per resource. */
  private deletableResources(): ResourceInfo[] {
    const seen = new Set<string>();
    const out: ResourceInfo[] = [];
    for (const r of this.resources()) {
      if (!r.namespaced || !r.verbs.includes('list') || !r.verbs.includes('delete')) continue;
      const key = `${r.group}/${r.resource}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(r);
    }
    return out;
  }

  private async deleteAllContent(namespace: string): Promise<ContentTotals> {
    const totals: ContentTotals = { remaining: new Map(), finalizers: new Map(), errors: [], estimateMs: 0 };
    const now = this.now();
    for (const r of this.deletableResources()) {
      const base = `/${r.group ? 'apis' : 'api'}/${apiVersionOf(r)}/namespaces/${encodeURIComponent(namespace)}/${r.resource}`;
      const gr = `${r.resource}.${r.group}`;
      try {
        if (r.verbs.includes('deletecollection')) {
          await this.client.delete(base, { propagationPolicy: 'Background' });
        } else {
          const list = await this.client.get(base);
          for (const item of list.items ?? []) {
            if (item.metadata?.deletionTimestamp) continue;
            try {
              await this.client.delete(`${base}/${encodeURIComponent(item.metadata.name)}`, { propagationPolicy: 'Background' });
            } catch (e) {
              if (!isNotFound(e)) throw e;
            }
          }
        }
        const left = (await this.client.get(base)).items ?? [];
        if (left.length === 0) continue;
        totals.remaining.set(gr, left.length);
        for (const item of left) {
          for (const f of item.metadata?.finalizers ?? []) totals.finalizers.set(f, (totals.finalizers.get(f) ?? 0) + 1);
          if (r.group === '' && r.resource === 'pods' && item.metadata?.deletionTimestamp) {
            totals.estimateMs = Math.max(totals.estimateMs, parseTime(item.metadata.deletionTimestamp) - now);
          }
        }
      } catch (e) {
        totals.errors.push(`${gr}: ${errorMessage(e)}`);
      }
    }
    return totals;
  }

  /** Brings the deletion conditions up to date (as upstream's namespaceConditionUpdater). */
  private async updateConditions(ns: any, totals: ContentTotals): Promise<any> {
    const failing = new Map<string, { reason: string; message: string }>();
    if (totals.errors.length) {
      failing.set('NamespaceDeletionContentFailure', { reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${totals.errors.length} remaining: ${totals.errors.join(', ')}` });
    }
    if (totals.remaining.size) {
      const parts = [...totals.remaining].map(([gr, n]) => `${gr} has ${n} resource instances`).sort();
      failing.set('NamespaceContentRemaining', { reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${parts.join(', ')}` });
    }
    if (totals.finalizers.size) {
      const parts = [...totals.finalizers].map(([f, n]) => `${f} in ${n} resource instances`).sort();
      failing.set('NamespaceFinalizersRemaining', { reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${parts.join(', ')}` });
    }
    const conditions: any[] = (ns.status?.conditions ?? []).map((c: any) => ({ ...c }));
    const now = nowRFC3339(this.now());
    for (const type of CONDITION_TYPES) {
      const f = failing.get(type);
      const want = f ? { status: 'True', ...f } : { status: 'False', ...OK_CONDITIONS[type] };
      const old = conditions.find((c) => c.type === type);
      if (!old) {
        conditions.push({ type, status: want.status, lastTransitionTime: now, reason: want.reason, message: want.message });
      } else if (old.status !== want.status || old.reason !== want.reason || old.message !== want.message) {
        if (old.status !== want.status) old.lastTransitionTime = now;
        old.status = want.status;
        old.reason = want.reason;
        old.message = want.message;
      }
    }
    if (deepEqual(conditions, ns.status?.conditions ?? [])) return ns;
    try {
      return await this.client.update(`/api/v1/namespaces/${encodeURIComponent(ns.metadata.name)}/status`, { ...ns, status: { ...(ns.status ?? {}), conditions } });
    } catch (e) {
      if (isNotFound(e)) return ns;
      throw e;
    }
  }
}
