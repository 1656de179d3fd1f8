// The garbage collector (upstream pkg/controller/garbagecollector): deletes
// objects whose owners are gone, and carries out the foreground and orphan
// deletion policies.
//
// A graph of every object's ownerReferences is kept from informers on all
// resources that can be listed, watched and deleted (shared informers where
// the process already has them, metadata-only ones otherwise). Two queues
// of object uids drive the work:
//
//   attemptToDelete: an object whose owners may be gone. Owners are
//     classified (present, absent, or being deleted in the foreground);
//     references to absent owners are removed while a present owner
//     remains, otherwise the object is deleted (in the foreground when an
//     owner waits for it and it has dependents itself). An owner in
//     foreground deletion (`foregroundDeletion` finalizer) is also processed
//     here: its blocking dependents are deleted first, then the finalizer
//     is removed.
//   attemptToOrphan: an owner being deleted with the `orphan` finalizer:
//     its dependents lose their reference to it, then the finalizer goes.
//
// The API server adds those finalizers for DELETE with
// propagationPolicy=Foreground or Orphan; Background deletes the owner at
// once and the dependents follow here.

import { setMaxListeners } from 'node:events';
import type { ResourceInfo } from '../api/registry.js';
import { apiVersionOf } from '../api/registry.js';
import { isConflict, isNotFound, type ApiClient } from '../client/types.js';
import { Informer, waitForCacheSync, type HandlerRegistration, type SharedInformerFactory } from '../client/informer.js';
import { objectOf } from '../client/store.js';
import { WorkQueue, runWorkers } from '../client/workqueue.js';
import { errorMessage, groupOf, type OwnerReference } from './util.js';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

/** Resources the collector never watches (upstream's DefaultIgnoredResources). */
export const DEFAULT_IGNORED_RESOURCES: Array<{ group: string; resource: string }> = [
  { group: '', resource: 'events' },
  { group: 'events.k8s.io', resource: 'events' },
];

export interface GarbageCollectorOptions {
  /** The resources to consider (discovery); re-read every `rediscoveryPeriodMs`. */
  resources: () => ResourceInfo[];
  /** Informers already in the process are shared instead of opening a second watch. */
  factory?: SharedInformerFactory;
  /** attemptToDelete workers (default 10). */
  workers?: number;
  /** attemptToOrphan workers (default 2). */
  orphanWorkers?: number;
  /** How often the resource list is re-read for new or removed resources (default 30 s; 0: never). */
  rediscoveryPeriodMs?: number;
  ignoredResources?: Array<{ group: string; resource: string }>;
  onError?: (what: string, err: unknown) => void;
}

/** One object in the graph. */
interface GraphNode {
  uid: string;
  resourceKey: string;
  namespace: string;
  name: string;
  owners: OwnerReference[];
  deletionTimestamp?: string;
  finalizers: string[];
}

interface Monitor {
  info: ResourceInfo;
  informer: Informer<any>;
  registration: HandlerRegistration;
  /** Created by the collector (stopped with it), not shared. */
  own: boolean;
}

type OwnerState = { state: 'absent' } | { state: 'present'; waiting: boolean } | { state: 'invalid' };

export class GarbageCollector {
  readonly attemptToDelete = new WorkQueue<string>({ name: 'garbage_collector_attempt_to_delete' });
  readonly attemptToOrphan = new WorkQueue<string>({ name: 'garbage_collector_attempt_to_orphan' });
  private readonly uidToNode = new Map<string, GraphNode>();
  /** owner uid → uids of objects that name it in their ownerReferences. */
  private readonly dependents = new Map<string, Set<string>>();
  private readonly monitors = new Map<string, Monitor>();
  /** group/kind → the resource used to read owners of that kind. */
  private kindToResource = new Map<string, ResourceInfo>();
  private readonly absentOwners = new Set<string>();
  private readonly ignored: Set<string>;
  private readonly report: (what: string, err: unknown) => void;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly client: ApiClient,
    private readonly opts: GarbageCollectorOptions,
  ) {
    this.ignored = new Set((opts.ignoredResources ?? DEFAULT_IGNORED_RESOURCES).map((r) => `${r.group}/${r.resource}`));
    this.report = opts.onError ?? ((what, err) => console.error(`garbage collector: ${what}: ${errorMessage(err)}`));
    setMaxListeners(0, this.abort.signal); // one listener per watched resource
    this.syncMonitors();
  }

  /** Waits for the graph to fill, then works the queues until stop(). */
  run(): Promise<void> {
    this.running ??= (async () => {
      const ok = await waitForCacheSync(
        [...this.monitors.values()].map((m) => m.informer),
        this.abort.signal,
      );
      if (!ok || this.stopped) return;
      const period = this.opts.rediscoveryPeriodMs ?? 30_000;
      if (period > 0) {
        this.timer = setInterval(() => this.syncMonitors(), period);
        this.timer.unref();
      }
      const onError = (uid: string, err: unknown) => this.report(`processing ${this.describe(uid)}`, err);
      await Promise.all([
        runWorkers(this.attemptToDelete, this.opts.workers ?? 10, (uid) => this.attemptToDeleteItem(uid), { onError }),
        runWorkers(this.attemptToOrphan, this.opts.orphanWorkers ?? 2, (uid) => this.attemptToOrphanItem(uid), { onError }),
      ]);
    })();
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    if (this.timer) clearInterval(this.timer);
    for (const m of this.monitors.values()) {
      m.registration.remove();
      if (m.own) m.informer.stop();
    }
    this.monitors.clear();
    this.attemptToDelete.shutDown();
    this.attemptToOrphan.shutDown();
    await this.running;
  }

  /** Number of objects in the graph (for tests and metrics). */
  graphSize(): number {
    return this.uidToNode.size;
  }

  // ---- monitors: one informer per resource ----

  /** Starts informers for new deletable resources and drops those that went away. */
  syncMonitors(): void {
    if (this.stopped) return;
    let resources: ResourceInfo[];
    try {
      resources = this.opts.resources();
    } catch (e) {
      this.report('listing resources', e);
      return;
    }
    const wanted = new Map<string, ResourceInfo>();
    const kinds = new Map<string, ResourceInfo>();
    for (const r of resources) {
      const key = `${r.group}/${r.resource}`;
      if (!kinds.has(`${r.group}/${r.kind}`)) kinds.set(`${r.group}/${r.kind}`, r);
      if (wanted.has(key) || this.ignored.has(key)) continue;
      if (!['list', 'watch', 'delete'].every((v) => r.verbs.includes(v as any))) continue;
      wanted.set(key, r);
    }
    this.kindToResource = kinds;
    for (const [key, m] of this.monitors) {
      if (wanted.has(key)) continue;
      m.registration.remove();
      if (m.own) m.informer.stop();
      this.monitors.delete(key);
      // Its objects are gone with it: their dependents must be looked at.
      for (const node of [...this.uidToNode.values()]) if (node.resourceKey === key) this.removeNode(node.uid);
    }
    for (const [key, info] of wanted) {
      if (this.monitors.has(key)) continue;
      this.monitors.set(key, this.startMonitor(key, info));
    }
  }

  private startMonitor(key: string, info: ResourceInfo): Monitor {
    const path = `/${info.group ? 'apis' : 'api'}/${apiVersionOf(info)}/${info.resource}`;
    let informer = this.opts.factory?.all().find((i) => i.path === path && i.describe() === path);
    const own = !informer;
    if (!informer) {
      informer = new Informer<any>(this.client, path, {
        transform: metadataOnly,
        onError: (err, context) => this.report(`${path}: ${context}`, err),
      });
    }
    const registration = informer.addEventHandler({
      onAdd: (obj) => this.upsert(key, obj, undefined),
      onUpdate: (oldObj, newObj) => {
        if (oldObj !== newObj) this.upsert(key, newObj, oldObj);
      },
      onDelete: (obj) => this.removeNode(objectOf(obj)?.metadata?.uid),
    });
    if (own) informer.start();
    return { info, informer, registration, own };
  }

  // ---- the graph ----

  private upsert(resourceKey: string, obj: any, _old: unknown): void {
    const m = obj?.metadata;
    if (!m?.uid) return;
    const uid: string = m.uid;
    const prev = this.uidToNode.get(uid);
    const node: GraphNode = {
      uid,
      resourceKey,
      namespace: m.namespace ?? '',
      name: m.name,
      owners: m.ownerReferences ?? [],
      deletionTimestamp: m.deletionTimestamp ?? undefined,
      finalizers: m.finalizers ?? [],
    };
    this.uidToNode.set(uid, node);

    const prevOwners = prev?.owners ?? [];
    const ownersChanged = !sameReferences(prevOwners, node.owners);
    if (ownersChanged) {
      for (const r of prevOwners) if (!node.owners.some((n) => n.uid === r.uid)) this.dependents.get(r.uid)?.delete(uid);
      for (const r of prevOwners) {
        if (!this.dependents.get(r.uid)?.size) this.dependents.delete(r.uid);
      }
      for (const r of node.owners) {
        let set = this.dependents.get(r.uid);
        if (!set) this.dependents.set(r.uid, (set = new Set()));
        set.add(uid);
      }
      // Owners waiting in the foreground for this object may be free now.
      for (const r of prevOwners) {
        const now = node.owners.find((n) => n.uid === r.uid);
        if (r.blockOwnerDeletion && !now?.blockOwnerDeletion) this.enqueueIfDeletingDependents(r.uid);
      }
    }

    // A dependent: check it when an owner is not in the graph (gone, or not
    // seen yet), lives in another namespace, or waits for its dependents.
    const needsCheck = node.owners.some((r) => {
      const o = this.uidToNode.get(r.uid);
      return !o || (o.namespace !== '' && o.namespace !== node.namespace) || isDeletingDependents(o);
    });
    if (needsCheck) this.attemptToDelete.add(uid);

    // An owner: react to the deletion policy it was deleted with.
    if (node.deletionTimestamp) {
      if (node.finalizers.includes(ORPHAN_FINALIZER)) this.attemptToOrphan.add(uid);
      if (isDeletingDependents(node)) {
        if (!prev || !isDeletingDependents(prev)) for (const dep of this.dependents.get(uid) ?? []) this.attemptToDelete.add(dep);
        this.attemptToDelete.add(uid);
      }
    }
  }

  private removeNode(uid: string | undefined): void {
    if (!uid) return;
    const node = this.uidToNode.get(uid);
    if (!node) return;
    this.uidToNode.delete(uid);
    for (const r of node.owners) {
      const set = this.dependents.get(r.uid);
      set?.delete(uid);
      if (set && set.size === 0) this.dependents.delete(r.uid);
    }
    const deps = this.dependents.get(uid);
    if (deps?.size) {
      this.rememberAbsent(uid);
      for (const dep of deps) this.attemptToDelete.add(dep);
    }
    for (const r of node.owners) this.enqueueIfDeletingDependents(r.uid);
  }

  private enqueueIfDeletingDependents(uid: string): void {
    const owner = this.uidToNode.get(uid);
    if (owner && isDeletingDependents(owner)) this.attemptToDelete.add(uid);
  }

  private rememberAbsent(key: string): void {
    this.absentOwners.add(key);
    if (this.absentOwners.size > 1000) this.absentOwners.delete(this.absentOwners.values().next().value as string);
  }

  private describe(uid: string): string {
    const n = this.uidToNode.get(uid);
    return n ? `${n.resourceKey} ${n.namespace ? `${n.namespace}/` : ''}${n.name} (uid ${uid})` : `uid ${uid}`;
  }

  private pathOf(info: ResourceInfo, namespace: string, name: string): string {
    const base = `/${info.group ? 'apis' : 'api'}/${apiVersionOf(info)}`;
    const ns = info.namespaced ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${base}${ns}/${info.resource}/${encodeURIComponent(name)}`;
  }

  private nodePath(node: GraphNode): string | undefined {
    const m = this.monitors.get(node.resourceKey);
    return m ? this.pathOf(m.info, node.namespace, node.name) : undefined;
  }

  /** The current object, or undefined when it is gone or was replaced by another with the same name. */
  private async getLatest(node: GraphNode): Promise<any | undefined> {
    const path = this.nodePath(node);
    if (!path) return undefined;
    let latest: any;
    try {
      latest = await this.client.get(path);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    return latest?.metadata?.uid === node.uid ? latest : undefined;
  }

  // ---- attemptToDelete ----

  private async attemptToDeleteItem(uid: string): Promise<void> {
    const node = this.uidToNode.get(uid);
    if (!node) return;
    const latest = await this.getLatest(node);
    if (!latest) return; // the watch will deliver the deletion
    const lm = latest.metadata;
    if (lm.deletionTimestamp && (lm.finalizers ?? []).includes(FOREGROUND_FINALIZER)) {
      return this.processDeletingDependents(node, latest);
    }
    const owners: OwnerReference[] = lm.ownerReferences ?? [];
    if (owners.length === 0) return;

    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of owners) {
      const s = await this.classifyOwner(ref, node);
      if (s.state === 'invalid') return; // a cluster-scoped object naming a namespaced owner: never collected
      if (s.state === 'absent') dangling.push(ref);
      else if (s.waiting) waiting.push(ref);
      else solid.push(ref);
    }

    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return;
      // Keep the object; drop the references to owners that are gone or going.
      const drop = [...dangling, ...waiting].map((r) => ({ $patch: 'delete', uid: r.uid }));
      await this.patchIgnoringNotFound(this.nodePath(node)!, { metadata: { ownerReferences: drop, uid } });
      return;
    }

    const hasDependents = (this.dependents.get(uid)?.size ?? 0) > 0;
    if (waiting.length > 0 && hasDependents) {
      // An owner waits for us and we have dependents: delete in the foreground too.
      for (const depUID of this.dependents.get(uid) ?? []) {
        const dep = this.uidToNode.get(depUID);
        if (dep && isDeletingDependents(dep)) {
          // A dependent waits for its own dependents: break a possible cycle.
          const unblock = owners.filter((r) => r.blockOwnerDeletion).map((r) => ({ uid: r.uid, blockOwnerDeletion: false }));
          if (unblock.length) await this.patchIgnoringNotFound(this.nodePath(node)!, { metadata: { ownerReferences: unblock, uid } });
          break;
        }
      }
      return this.deleteObject(node, latest, 'Foreground');
    }

    const finalizers: string[] = lm.finalizers ?? [];
    const policy = finalizers.includes(ORPHAN_FINALIZER) ? 'Orphan' : finalizers.includes(FOREGROUND_FINALIZER) ? 'Foreground' : 'Background';
    return this.deleteObject(node, latest, policy);
  }

  private async classifyOwner(ref: OwnerReference, dependent: GraphNode): Promise<OwnerState> {
    const info = this.kindToResource.get(`${groupOf(ref.apiVersion)}/${ref.kind}`);
    if (!info) throw new Error(`unable to find a resource for owner kind ${ref.kind} of apiVersion ${ref.apiVersion}`);
    if (info.namespaced && !dependent.namespace) return { state: 'invalid' };
    const ns = info.namespaced ? dependent.namespace : '';
    const absentKey = `${ref.uid}|${ns}`;
    if (this.absentOwners.has(absentKey) || this.absentOwners.has(ref.uid)) return { state: 'absent' };
    const node = this.uidToNode.get(ref.uid);
    if (node && node.namespace === ns && node.name === ref.name && this.monitors.get(node.resourceKey)?.info.kind === info.kind) {
      return { state: 'present', waiting: isDeletingDependents(node) };
    }
    // Not in the graph (yet): ask the API server.
    let owner: any;
    try {
      owner = await this.client.get(this.pathOf(info, ns, ref.name));
    } catch (e) {
      if (!isNotFound(e)) throw e;
      this.rememberAbsent(absentKey);
      return { state: 'absent' };
    }
    if (owner?.metadata?.uid !== ref.uid) {
      this.rememberAbsent(absentKey);
      return { state: 'absent' };
    }
    const m = owner.metadata;
    return { state: 'present', waiting: !!m.deletionTimestamp && (m.finalizers ?? []).includes(FOREGROUND_FINALIZER) };
  }

  /** Foreground deletion: delete the blocking dependents; once none is left, remove the finalizer. */
  private async processDeletingDependents(node: GraphNode, latest: any): Promise<void> {
    const blocking: GraphNode[] = [];
    for (const depUID of this.dependents.get(node.uid) ?? []) {
      const dep = this.uidToNode.get(depUID);
      if (dep && dep.owners.some((r) => r.uid === node.uid && r.blockOwnerDeletion === true)) blocking.push(dep);
    }
    if (blocking.length === 0) {
      await this.removeFinalizer(node, latest, FOREGROUND_FINALIZER);
      return;
    }
    for (const dep of blocking) if (!isDeletingDependents(dep)) this.attemptToDelete.add(dep.uid);
  }

  private async deleteObject(node: GraphNode, latest: any, policy: 'Background' | 'Foreground' | 'Orphan'): Promise<void> {
    const path = this.nodePath(node);
    if (!path) return;
    try {
      await this.client.delete(path, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        propagationPolicy: policy,
        preconditions: { uid: latest.metadata.uid, resourceVersion: latest.metadata.resourceVersion },
      });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e; // a conflict means the object changed: look again
    }
  }

  private async removeFinalizer(node: GraphNode, latest: any, finalizer: string): Promise<void> {
    const path = this.nodePath(node);
    if (!path) return;
    let cur = latest;
    for (let attempt = 0; ; attempt++) {
      const finalizers: string[] = cur.metadata.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return;
      const rest = finalizers.filter((f) => f !== finalizer);
      try {
        await this.client.patch(path, { metadata: { finalizers: rest.length ? rest : null, resourceVersion: cur.metadata.resourceVersion } }, 'merge');
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e) || attempt >= 3) throw e;
        cur = await this.getLatest(node);
        if (!cur) return;
      }
    }
  }

  private async patchIgnoringNotFound(path: string, patch: unknown): Promise<void> {
    try {
      await this.client.patch(path, patch, 'strategic');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  // ---- attemptToOrphan ----

  private async attemptToOrphanItem(uid: string): Promise<void> {
    const node = this.uidToNode.get(uid);
    if (!node) return;
    const latest = await this.getLatest(node);
    if (!latest) return;
    const lm = latest.metadata;
    if (!lm.deletionTimestamp || !(lm.finalizers ?? []).includes(ORPHAN_FINALIZER)) return;
    const errors: unknown[] = [];
    await Promise.all(
      [...(this.dependents.get(uid) ?? [])].map(async (depUID) => {
        const dep = this.uidToNode.get(depUID);
        const path = dep && this.nodePath(dep);
        if (!path) return;
        try {
          await this.patchIgnoringNotFound(path, { metadata: { ownerReferences: [{ $patch: 'delete', uid }], uid: depUID } });
        } catch (e) {
          errors.push(e);
        }
      }),
    );
    if (errors.length) throw errors[0];
    await this.removeFinalizer(node, latest, ORPHAN_FINALIZER);
  }
}

function isDeletingDependents(n: { deletionTimestamp?: string; finalizers: string[] }): boolean {
  return !!n.deletionTimestamp && n.finalizers.includes(FOREGROUND_FINALIZER);
}

function sameReferences(a: OwnerReference[], b: OwnerReference[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].uid !== b[i].uid || !!a[i].blockOwnerDeletion !== !!b[i].blockOwnerDeletion || !!a[i].controller !== !!b[i].controller) return false;
  }
  return true;
}

/** What the collector keeps of an object it watches only for the graph. */
export function metadataOnly(obj: any): any {
  const m = obj?.metadata ?? {};
  const meta: any = { name: m.name, uid: m.uid, resourceVersion: m.resourceVersion };
  if (m.namespace) meta.namespace = m.namespace;
  if (m.ownerReferences?.length) meta.ownerReferences = m.ownerReferences;
  if (m.finalizers?.length) meta.finalizers = m.finalizers;
  if (m.deletionTimestamp) meta.deletionTimestamp = m.deletionTimestamp;
  return { apiVersion: obj?.apiVersion, kind: obj?.kind, metadata: meta };
}
