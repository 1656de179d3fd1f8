// The ConfigMaps and Secrets the node's pods refer to, each watched on its
// own (upstream kubelet's watch-based manager): a list+watch of
// `metadata.name=<name>` in the pod's namespace, shared by every pod using
// it and dropped with the last one. A kubelet may read nothing else: the
// Node authorizer grants a node exactly the objects its pods reference, and
// only one by one, never a whole namespace.

import { Informer } from '../client/informer.js';
import type { ApiClient } from '../client/types.js';

export type RefKind = 'configMap' | 'secret';

/** Names of the ConfigMaps and Secrets a pod uses (volumes, projected sources, env, envFrom). */
export function podReferences(pod: any): { configMap: Set<string>; secret: Set<string> } {
  const out = { configMap: new Set<string>(), secret: new Set<string>() };
  const add = (k: RefKind, n: unknown) => {
    if (typeof n === 'string' && n) out[k].add(n);
  };
  for (const v of pod.spec?.volumes ?? []) {
    add('configMap', v.configMap?.name);
    add('secret', v.secret?.secretName);
    for (const s of v.projected?.sources ?? []) {
      add('configMap', s.configMap?.name);
      add('secret', s.secret?.name);
    }
  }
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])]) {
    for (const e of c.env ?? []) {
      add('configMap', e.valueFrom?.configMapKeyRef?.name);
      add('secret', e.valueFrom?.secretKeyRef?.name);
    }
    for (const e of c.envFrom ?? []) {
      add('configMap', e.configMapRef?.name);
      add('secret', e.secretRef?.name);
    }
  }
  return out;
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

  private static key(kind: RefKind, ns: string, name: string): string {
    return `${kind}/${ns}/${name}`;
  }

  /** Starts (or shares) the watches of what the pod refers to; resolves once they have listed. */
  async track(pod: any): Promise<void> {
    const uid: string = pod.metadata.uid;
    const ns: string = pod.metadata.namespace;
    const refs = podReferences(pod);
    const want: string[] = [];
    for (const kind of ['configMap', 'secret'] as const) for (const name of refs[kind]) want.push(ReferencedObjects.key(kind, ns, name));
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
    return this.entries.get(ReferencedObjects.key(kind, ns, name))?.informer.getByName(ns, name);
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
    const resource = kind === 'configMap' ? 'configmaps' : 'secrets';
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
