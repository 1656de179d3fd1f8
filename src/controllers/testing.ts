// Test helpers for the controllers: an in-process API server, polling,
// and a client wrapper that can hold back watch events or fail requests,
// to reproduce a lagging cache or a failing API.

import assert from 'node:assert/strict';
import { ApiServer } from '../apiserver/api-server.js';
import { MemoryStore } from '../storage/memory.js';
import { InProcessClient } from '../client/in-process.js';
import type { ApiClient, PatchType, WatchEvent, WatchHandle } from '../client/types.js';

export const CONTROLLER_USER = { name: 'system:kube-controller-manager', groups: ['system:authenticated'] };
export const ADMIN_USER = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };

export async function startTestApi(): Promise<{ api: ApiServer; client: InProcessClient; admin: InProcessClient }> {
  const api = new ApiServer({ store: new MemoryStore() });
  await api.start();
  return { api, client: new InProcessClient(api, CONTROLLER_USER), admin: new InProcessClient(api, ADMIN_USER) };
}

/** Polls until `fn` returns a truthy value (returned), failing after `ms`. */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, ms = 5000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Non-terminating pods of a namespace, optionally filtered by a label selector string. */
export async function listPods(client: ApiClient, ns: string, labelSelector?: string): Promise<any[]> {
  const q = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
  const list = await client.get(`/api/v1/namespaces/${ns}/pods${q}`);
  return list.items.filter((p: any) => !p.metadata.deletionTimestamp);
}

/** Marks a pod Running and Ready (as a kubelet would), ready since `readySince`. */
export async function markPodReady(client: ApiClient, pod: any, readySince: Date = new Date()): Promise<any> {
  const path = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`;
  for (let attempt = 0; ; attempt++) {
    const cur = await client.get(path);
    const t = readySince.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const status = {
      ...cur.status,
      phase: 'Running',
      conditions: [
        { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: t },
        { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: t },
        { type: 'ContainersReady', status: 'True', lastProbeTime: null, lastTransitionTime: t },
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: t },
      ],
    };
    try {
      return await client.update(`${path}/status`, { ...cur, status });
    } catch (e) {
      if (attempt > 5) throw e;
    }
  }
}

/** Marks every non-ready, non-terminating pod of the namespace (matching the selector) ready. Returns how many. */
export async function markAllPodsReady(client: ApiClient, ns: string, labelSelector?: string, readySince?: Date): Promise<number> {
  let n = 0;
  for (const p of await listPods(client, ns, labelSelector)) {
    if ((p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True')) continue;
    try {
      await markPodReady(client, p, readySince);
      n++;
    } catch {
      // deleted meanwhile
    }
  }
  return n;
}

/**
 * An ApiClient wrapper for fault injection: `holdWatch(prefix)` buffers
 * watch events of matching paths until `releaseWatch()`; `failWith`
 * rejects requests it returns an error for.
 */
export class FaultyClient implements ApiClient {
  private holding: string | undefined;
  private held: Array<() => void> = [];
  failWith: ((method: string, path: string) => Error | undefined) | undefined;
  readonly calls: Array<{ method: string; path: string }> = [];

  constructor(private readonly inner: ApiClient) {}

  holdWatch(prefix: string): void {
    this.holding = prefix;
  }

  releaseWatch(): void {
    this.holding = undefined;
    const held = this.held;
    this.held = [];
    for (const f of held) f();
  }

  async request(method: string, path: string, body?: unknown, contentType?: string): Promise<any> {
    this.calls.push({ method, path });
    const err = this.failWith?.(method, path);
    if (err) throw err;
    return this.inner.request(method, path, body, contentType);
  }
  get(path: string): Promise<any> {
    return this.request('GET', path);
  }
  create(path: string, obj: unknown): Promise<any> {
    return this.request('POST', path, obj);
  }
  update(path: string, obj: unknown): Promise<any> {
    return this.request('PUT', path, obj);
  }
  patch(path: string, patch: unknown, type: PatchType = 'merge'): Promise<any> {
    const ct = { merge: 'application/merge-patch+json', json: 'application/json-patch+json', strategic: 'application/strategic-merge-patch+json' }[type];
    return this.request('PATCH', path, patch, ct);
  }
  delete(path: string, options?: unknown): Promise<any> {
    return this.request('DELETE', path, options);
  }
  watch(path: string, onEvent: (ev: WatchEvent) => void, onEnd?: (err?: Error) => void): Promise<WatchHandle> {
    return this.inner.watch(
      path,
      (ev) => {
        if (this.holding !== undefined && path.startsWith(this.holding)) this.held.push(() => onEvent(ev));
        else onEvent(ev);
      },
      onEnd,
    );
  }
}
