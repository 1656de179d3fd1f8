// The resource quota controller (upstream pkg/controller/resourcequota):
// keeps every ResourceQuota's status — `hard` mirrors spec.hard, `used` is
// the namespace's usage of each hard resource, computed from the informer
// caches by the evaluators in src/api/quota.
//
// Quotas are synced when created or their spec changes, when an object they
// measure is deleted or changes its usage (a pod turning terminal), and
// periodically. Creations are not watched: admission charges them to
// status.used before they are stored (a recount while such an object is not
// yet in the cache would undercount). Informers for the resources a quota
// names (`count/deployments.apps`, `configmaps`, ...) are started on demand.

import type { ResourceInfo } from '../api/registry.js';
import { apiVersionOf } from '../api/registry.js';
import { evaluatorFor, isIgnoredResource } from '../api/quota/evaluators.js';
import { equals, parseResourceList, resourceNames } from '../api/quota/resources.js';
import { calculateQuotaStatus, evaluatorsForNames } from '../api/quota/usage.js';
import type { ApiClient } from '../client/types.js';
import { isNotFound } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { NAMESPACE_INDEX, metaNamespaceKey, objectOf, splitMetaNamespaceKey } from '../client/store.js';
import { QueueController, type ControllerOptions } from './base.js';
import { deepEqual } from './util.js';

export interface ResourceQuotaControllerOptions extends ControllerOptions {
  /** The served resources (for object-count quotas). */
  resources: () => ResourceInfo[];
  /** Full recalculation period (upstream --resource-quota-sync-period, 5 m; shorter here). */
  resyncMs?: number;
  now?: () => number;
}

interface GroupResource {
  group: string;
  resource: string;
}

const grKey = (g: GroupResource): string => `${g.group}/${g.resource}`;

export class ResourceQuotaController extends QueueController {
  private readonly quotaInformer: Informer<any>;
  /** Informers of measured resources, by group/resource, each with our handler. */
  private readonly monitors = new Map<string, Informer<any>>();
  private readonly now: () => number;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: ApiClient,
    private readonly factory: SharedInformerFactory,
    private readonly options: ResourceQuotaControllerOptions,
  ) {
    super('resourcequota', options);
    this.now = options.now ?? Date.now;
    this.quotaInformer = factory.informerFor('/api/v1/resourcequotas');
    this.registrations.push(
      this.quotaInformer.addEventHandler({
        onAdd: (q) => this.enqueue(metaNamespaceKey(q)),
        onUpdate: (o, q) => {
          if (!deepEqual(o.spec, q.spec) || !equals(parseResourceList(q.status?.hard), parseResourceList(q.spec?.hard))) this.enqueue(metaNamespaceKey(q));
        },
      }),
    );
    // The common ones up front so their caches are warm when the first quota arrives.
    for (const resource of ['pods', 'services', 'persistentvolumeclaims']) this.monitor({ group: '', resource });
    const period = options.resyncMs ?? 30_000;
    this.resyncTimer = setInterval(() => {
      for (const q of this.quotaInformer.list()) this.enqueue(metaNamespaceKey(q));
    }, period);
    this.resyncTimer.unref();
  }

  protected informers(): Informer<any>[] {
    return [this.quotaInformer, ...this.monitors.values()];
  }

  override async stop(): Promise<void> {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.resyncTimer = undefined;
    await super.stop();
  }

  /** Served namespaced resources, one entry per group/resource. */
  private servedResources(): Map<string, ResourceInfo> {
    const out = new Map<string, ResourceInfo>();
    for (const r of this.options.resources()) {
      if (!r.namespaced || isIgnoredResource(r.group, r.resource) || r.resource.includes('/')) continue;
      if (!r.verbs.includes('list') || !r.verbs.includes('watch')) continue;
      if (!out.has(grKey(r))) out.set(grKey(r), r);
    }
    return out;
  }

  private monitor(gr: GroupResource, info?: ResourceInfo): Informer<any> {
    const key = grKey(gr);
    let inf = this.monitors.get(key);
    if (inf) return inf;
    const path = info ? `/${info.group ? 'apis' : 'api'}/${apiVersionOf(info)}/${info.resource}` : `/api/v1/${gr.resource}`;
    inf = this.factory.informerFor(path);
    const ev = evaluatorFor(gr.group, gr.resource);
    const touched = (obj: any) => {
      const ns = obj?.metadata?.namespace;
      if (!ns) return;
      for (const q of this.quotaInformer.byIndex(NAMESPACE_INDEX, ns)) {
        if (ev.matchingResources(resourceNames(parseResourceList(q.spec?.hard))).length) this.enqueue(metaNamespaceKey(q));
      }
    };
    this.registrations.push(
      inf.addEventHandler({
        onUpdate: (o, n) => {
          if (o === n) return;
          const t = this.now();
          if (!equals(ev.usage(o, t), ev.usage(n, t))) touched(n);
        },
        onDelete: (obj) => touched(objectOf(obj)),
      }),
    );
    this.monitors.set(key, inf);
    return inf;
  }

  protected async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const quota = this.quotaInformer.getByName(namespace, name);
    if (!quota) return;
    const served = this.servedResources();
    const names = resourceNames(parseResourceList(quota.spec?.hard));
    const evaluators = evaluatorsForNames(names, [...served.values()]);
    const informers = new Map<string, Informer<any>>();
    for (const ev of evaluators) {
      const inf = this.monitor(ev, served.get(grKey(ev)));
      if (!inf.hasSynced() && !(await inf.waitForSync(this.abort.signal))) return;
      informers.set(grKey(ev), inf);
    }
    const status = calculateQuotaStatus(
      quota,
      (group, resource) => informers.get(grKey({ group, resource }))?.byIndex(NAMESPACE_INDEX, namespace),
      evaluators,
      this.now(),
    );
    if (deepEqual(status.hard, quota.status?.hard ?? null) && deepEqual(status.used, quota.status?.used ?? null)) return;
    try {
      await this.client.update(`/api/v1/namespaces/${encodeURIComponent(namespace)}/resourcequotas/${encodeURIComponent(name)}/status`, { ...quota, status });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }
}
