// The ServiceAccount controller (upstream pkg/controller/serviceaccount):
// every active namespace has a `default` ServiceAccount. Namespace
// additions and updates, and the deletion of a `default` ServiceAccount,
// enqueue the namespace; the sync creates what is missing.

import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../client/types.js';
import { isAlreadyExists } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { objectOf } from '../client/store.js';
import { QueueController, type ControllerOptions } from './base.js';
import { isNamespaceTerminating } from './util.js';

export const DEFAULT_SERVICE_ACCOUNTS = ['default'];

export interface ServiceAccountsControllerOptions extends ControllerOptions {
  /** The ServiceAccounts every namespace gets (default: `default`). */
  serviceAccounts?: string[];
}

export class ServiceAccountsController extends QueueController {
  private readonly nsInformer: Informer<Namespace>;
  private readonly saInformer: Informer<ServiceAccount>;
  private readonly names: string[];

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    opts: ServiceAccountsControllerOptions = {},
  ) {
    super('serviceaccount', opts);
    this.names = opts.serviceAccounts ?? DEFAULT_SERVICE_ACCOUNTS;
    this.nsInformer = factory.informerFor<Namespace>('/api/v1/namespaces');
    this.saInformer = factory.informerFor<ServiceAccount>('/api/v1/serviceaccounts');
    this.registrations.push(
      this.nsInformer.addEventHandler({
        onAdd: (ns) => this.enqueue(ns.metadata!.name!),
        onUpdate: (_old, cur) => this.enqueue(cur.metadata!.name!),
      }),
      this.saInformer.addEventHandler({
        onDelete: (obj) => {
          const sa = objectOf(obj);
          if (this.names.includes(sa.metadata?.name ?? '') && sa.metadata?.namespace) this.enqueue(sa.metadata.namespace);
        },
      }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.nsInformer, this.saInformer];
  }

  protected async sync(name: string): Promise<void> {
    const ns = this.nsInformer.getByName('', name);
    if (!ns || ns.metadata?.deletionTimestamp || (ns.status?.phase ?? 'Active') !== 'Active') return;
    for (const sa of this.names) {
      if (this.saInformer.getByName(name, sa)) continue;
      try {
        await this.client.create(`/api/v1/namespaces/${encodeURIComponent(name)}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa } });
      } catch (e) {
        if (isAlreadyExists(e) || isNamespaceTerminating(e)) continue;
        throw e;
      }
    }
  }
}
