// The ClusterRole aggregation controller (upstream
// pkg/controller/clusterroleaggregation): a ClusterRole with an
// aggregationRule gets, as its rules, the union of the rules of every
// ClusterRole matching one of its selectors. Any ClusterRole change enqueues
// every aggregating ClusterRole, so chains (admin <- edit <- view) settle.

import type { ClusterRole, PolicyRule } from 'kubernetes-types/rbac/v1.js';
import type { ApiClient } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { matches, selectorFromLabelSelectorObject } from '../api/labels.js';
import { QueueController, type ControllerOptions } from './base.js';
import { isConflict, isNotFound } from '../client/types.js';

const PATH = '/apis/rbac.authorization.k8s.io/v1/clusterroles';

/** The aggregated rules of `role` from `all`: matching roles by name, their rules in order, duplicates dropped. */
export function aggregatedRules(role: ClusterRole, all: readonly ClusterRole[]): PolicyRule[] {
  const selectors = (role.aggregationRule?.clusterRoleSelectors ?? []).map((s) => selectorFromLabelSelectorObject(s as any));
  const sources = all
    .filter((c) => c.metadata?.name !== role.metadata?.name && selectors.some((s) => matches(s, c.metadata?.labels)))
    .sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
  const seen = new Set<string>();
  const out: PolicyRule[] = [];
  for (const c of sources) {
    for (const r of c.rules ?? []) {
      const k = JSON.stringify(r);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(r);
    }
  }
  return out;
}

export class ClusterRoleAggregationController extends QueueController {
  private readonly informer: Informer<ClusterRole>;

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    opts: ControllerOptions = {},
  ) {
    super('clusterrole-aggregation', opts);
    this.informer = factory.informerFor<ClusterRole>(PATH);
    const all = () => {
      for (const c of this.informer.list()) if (c.aggregationRule) this.enqueue(c.metadata!.name!);
    };
    this.registrations.push(this.informer.addEventHandler({ onAdd: all, onUpdate: all, onDelete: all }));
  }

  protected informers(): Informer<any>[] {
    return [this.informer];
  }

  protected async sync(name: string): Promise<void> {
    const role = this.informer.getByName('', name);
    if (!role?.aggregationRule) return;
    const rules = aggregatedRules(role, this.informer.list());
    if (JSON.stringify(rules) === JSON.stringify(role.rules ?? [])) return;
    try {
      await this.client.update(`${PATH}/${encodeURIComponent(name)}`, { ...role, rules });
    } catch (e) {
      // Gone: nothing to do. Conflict: the newer version is on its way and enqueues again.
      if (isNotFound(e) || isConflict(e)) return;
      throw e;
    }
  }
}
