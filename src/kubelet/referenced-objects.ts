// The kubelet's view of the Secrets and ConfigMaps its pods use (upstream's
// watch-based secret and configmap managers): one single-object informer
// (`fieldSelector=metadata.name=x`) per referenced object, started when a
// pod on this node first refers to it and stopped when none does any more.
// Under the Node authorizer a kubelet may read exactly these objects, never
// list a whole resource.

import type { ApiClient } from '../client/types.js';
import { Informer, type ResourceEventHandler } from '../client/informer.js';
import { podReferences } from '../auth/node-graph.js';

export class ReferencedObjects {
  private readonly informers = new Map<string, Informer<any>>();
  private readonly handlers: ResourceEventHandler<any>[] = [];
  private stopped = false;

  /** `resource` is `secrets` or `configmaps`; `kind` the node graph's name for it. */
  constructor(
    private readonly client: ApiClient,
    private readonly resource: 'secrets' | 'configmaps',
    private readonly kind: 'secret' | 'configmap',
  ) {}

  getByName(namespace: string, name: string): any | undefined {
    return this.informers.get(`${namespace}/${name}`)?.getByName(namespace, name);
  }

  /** Handlers see every object's events; a newly watched object's first add counts as a change. */
  addEventHandler(h: ResourceEventHandler<any>): void {
    this.handlers.push(h);
    for (const inf of this.informers.values()) this.attach(inf, h);
  }

  /** Watches exactly the objects `pods` reference. */
  track(pods: readonly any[]): void {
    if (this.stopped) return;
    const want = new Set<string>();
    const prefix = `${this.kind}/`;
    for (const p of pods) for (const r of podReferences(p)) if (r.startsWith(prefix)) want.add(r.slice(prefix.length));
    for (const [key, inf] of this.informers) {
      if (want.has(key)) continue;
      inf.stop();
      this.informers.delete(key);
    }
    for (const key of want) {
      if (this.informers.has(key)) continue;
      const [ns, name] = key.split('/') as [string, string];
      const inf = new Informer<any>(this.client, `/api/v1/namespaces/${encodeURIComponent(ns)}/${this.resource}`, { fieldSelector: `metadata.name=${name}` });
      for (const h of this.handlers) this.attach(inf, h);
      this.informers.set(key, inf);
      inf.start();
    }
  }

  private attach(inf: Informer<any>, h: ResourceEventHandler<any>): void {
    inf.addEventHandler({ onAdd: (o) => h.onAdd?.(o, false), onUpdate: (a, b) => h.onUpdate?.(a, b), onDelete: (o) => h.onDelete?.(o) });
  }

  stop(): void {
    this.stopped = true;
    for (const inf of this.informers.values()) inf.stop();
    this.informers.clear();
  }
}
