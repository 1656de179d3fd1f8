// Namespace lifecycle: when a namespace is being deleted, delete everything
// in it, then remove the `kubernetes` finalizer so the API server removes
// the namespace. A first version; the informer-based controller framework
// arrives with the controllers work.

import type { ResourceInfo } from '../api/registry.js';
import { apiVersionOf } from '../api/registry.js';
import type { InProcessClient, WatchHandle } from '../client/in-process.js';
import { ApiRequestError } from '../client/in-process.js';

export class NamespaceController {
  private queue = new Set<string>();
  private running = false;
  private watch: WatchHandle | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly client: InProcessClient,
    private readonly resources: () => ResourceInfo[],
  ) {}

  async start(): Promise<void> {
    const list = await this.client.get('/api/v1/namespaces');
    for (const ns of list.items) if (ns.metadata.deletionTimestamp) this.enqueue(ns.metadata.name);
    this.watch = await this.client.watch(`/api/v1/namespaces?resourceVersion=${list.metadata.resourceVersion}`, (ev) => {
      if (ev.type !== 'DELETED' && ev.object?.metadata?.deletionTimestamp) this.enqueue(ev.object.metadata.name);
    });
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
    if (this.timer) clearTimeout(this.timer);
  }

  private enqueue(name: string): void {
    this.queue.add(name);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      while (this.queue.size && !this.stopped) {
        const [name] = this.queue;
        this.queue.delete(name);
        let done = false;
        try {
          done = await this.sync(name);
        } catch {
          done = false;
        }
        if (!done) this.retryLater(name);
      }
    } finally {
      this.running = false;
    }
  }

  private retryLater(name: string): void {
    setTimeout(() => this.enqueue(name), 1000).unref();
  }

  /** Returns true when nothing more is to be done for the namespace. */
  async sync(name: string): Promise<boolean> {
    let ns: any;
    try {
      ns = await this.client.get(`/api/v1/namespaces/${name}`);
    } catch (e) {
      if (e instanceof ApiRequestError && e.code === 404) return true;
      throw e;
    }
    if (!ns.metadata.deletionTimestamp) return true;
    const bases: string[] = [];
    const seen = new Set<string>();
    for (const r of this.resources()) {
      if (!r.namespaced || !r.verbs.includes('list') || !r.verbs.includes('delete')) continue;
      const storage = `${r.group}/${r.resource}`;
      if (seen.has(storage)) continue;
      seen.add(storage);
      bases.push(`/${r.group ? 'apis' : 'api'}/${apiVersionOf(r)}/namespaces/${name}/${r.resource}`);
    }
    for (const base of bases) {
      const list = await this.client.get(base);
      for (const item of list.items) {
        if (item.metadata.deletionTimestamp) continue;
        try {
          await this.client.delete(`${base}/${item.metadata.name}`, { propagationPolicy: 'Background' });
        } catch (e) {
          if (!(e instanceof ApiRequestError && e.code === 404)) throw e;
        }
      }
    }
    // Objects with finalizers or grace periods take time; check again later.
    for (const base of bases) {
      const list = await this.client.get(`${base}?limit=1`);
      if (list.items.length > 0) return false;
    }
    const finalizers = (ns.spec?.finalizers ?? []).filter((f: string) => f !== 'kubernetes');
    await this.client.update(`/api/v1/namespaces/${name}/finalize`, { ...ns, spec: { ...ns.spec, finalizers } });
    return true;
  }
}
