// The ConfigMaps and Secrets the node's pods refer to, each watched on its
// own (upstream kubelet's watch-based manager): a list+watch of
// `metadata.name=<name>` in the pod's namespace, shared by every pod using
// it and dropped with the last one. A kubelet may read nothing else: the
// Node authorizer grants a node exactly the objects its pods reference, and
// only one by one, never a whole namespace. Which objects a pod refers to
// is the Node authorizer's rule (`podReferences` of auth/node-graph.ts), so
// the two never disagree.

import { Informer } from '../client/informer.js';
import { podReferences, refKey } from '../auth/node-graph.js';
import type { ApiClient } from '../client/types.js';

/** The ConfigMaps and Secrets among a pod's references (the Node authorizer's list of them). */
export type RefKind = 'configmap' | 'secret';

function referencedKeys(pod: any): string[] {
  return podReferences(pod).filter((k) => k.startsWith('configmap/') || k.startsWith('secret/'));
}

interface Entry {
  informer: Informer<any>;
  users: Set<string>;
  synced: Promise<boolean>;
}

export class ReferencedObjects {
  private readonly entries = new Map<string, Entry>();
  /** What each pod (by UID) holds, to release exactly that. */
  private readonly held = new Map<string, string[]>();

  constructor(
    private readonly client: ApiClient,
    /** Called when a watched object is added later, changes or goes away. */
    private readonly onChange: (kind: RefKind, namespace: string, name: string) => void,
  ) {}

  /** Starts (or shares) the watches of what the pod refers to; resolves once they have listed. */
  async track(pod: any): Promise<void> {
    const uid: string = pod.metadata.uid;
    const want = referencedKeys(pod);
    const before = this.held.get(uid) ?? [];
    if (before.length === want.length && before.every((k, i) => k === want[i])) {
      await Promise.all(want.map((k) => this.entries.get(k)?.synced));
      return;
    }
    for (const k of want) this.acquire(k, uid);
    this.held.set(uid, want);
    for (const k of before) if (!want.includes(k)) this.releaseOne(k, uid);
    await Promise.all(want.map((k) => this.entries.get(k)!.synced));
  }

  /** Drops the pod's watches (the last user stops each). */
  release(uid: string): void {
    for (const k of this.held.get(uid) ?? []) this.releaseOne(k, uid);
    this.held.delete(uid);
  }

  get(kind: RefKind, ns: string, name: string): any | undefined {
    return this.entries.get(refKey(kind, ns, name))?.informer.getByName(ns, name);
  }

  /** Objects watched now (for tests and diagnostics). */
  get size(): number {
    return this.entries.size;
  }

  stop(): void {
    for (const e of this.entries.values()) e.informer.stop();
    this.entries.clear();
    this.held.clear();
  }

  private acquire(key: string, uid: string): void {
    const cur = this.entries.get(key);
    if (cur) {
      cur.users.add(uid);
      return;
    }
    const [kind, ns, name] = key.split('/') as [RefKind, string, string];
    const resource = kind === 'configmap' ? 'configmaps' : 'secrets';
    const informer = new Informer<any>(this.client, `/api/v1/namespaces/${encodeURIComponent(ns)}/${resource}`, { fieldSelector: `metadata.name=${name}` });
    const notify = () => this.onChange(kind, ns, name);
    informer.addEventHandler({ onAdd: (_o, initial) => !initial && notify(), onUpdate: notify, onDelete: notify });
    informer.start();
    this.entries.set(key, { informer, users: new Set([uid]), synced: informer.waitForSync() });
  }

  private releaseOne(key: string, uid: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.users.delete(uid);
    if (e.users.size === 0) {
      e.informer.stop();
      this.entries.delete(key);
    }
  }
}
