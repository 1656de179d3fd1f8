// An ApiClient in front of another that counts requests, each under the
// label a benchmark's classifier gives it (by verb, resource, ...).

import type { ApiClient, PatchType, WatchEvent, WatchHandle } from '../src/client/types.js';

export type Classify = (method: string, path: string) => string;

export class CountingClient implements ApiClient {
  counts = new Map<string, number>();

  constructor(
    private readonly inner: ApiClient,
    private readonly classify: Classify,
  ) {}

  /** Returns the counts so far and starts new ones. */
  reset(): Map<string, number> {
    const c = this.counts;
    this.counts = new Map();
    return c;
  }

  private note(method: string, path: string): void {
    const k = this.classify(method, path);
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }

  request(method: string, path: string, body?: unknown, contentType?: string): Promise<any> {
    this.note(method, path);
    return this.inner.request(method, path, body, contentType);
  }
  get(path: string): Promise<any> {
    this.note('GET', path);
    return this.inner.get(path);
  }
  create(path: string, obj: unknown): Promise<any> {
    this.note('POST', path);
    return this.inner.create(path, obj);
  }
  update(path: string, obj: unknown): Promise<any> {
    this.note('PUT', path);
    return this.inner.update(path, obj);
  }
  patch(path: string, patch: unknown, type?: PatchType): Promise<any> {
    this.note('PATCH', path);
    return this.inner.patch(path, patch, type);
  }
  delete(path: string, options?: unknown): Promise<any> {
    this.note('DELETE', path);
    return this.inner.delete(path, options);
  }
  watch(path: string, onEvent: (ev: WatchEvent) => void, onEnd?: (err?: Error) => void): Promise<WatchHandle> {
    this.note('WATCH', path);
    return this.inner.watch(path, onEvent, onEnd);
  }
}
