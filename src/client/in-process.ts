// A client that calls the API server's handler directly, without HTTP, for
// components running in the same process. It still goes through the full
// request pipeline: the API is the only bus.

import type { ApiServer, UserInfo } from '../apiserver/api-server.js';

export class ApiRequestError extends Error {
  constructor(
    readonly code: number,
    readonly status: any,
  ) {
    super(status?.message ?? `request failed with ${code}`);
    this.name = 'ApiRequestError';
  }
}

export interface WatchHandle {
  stop(): void;
}

export class InProcessClient {
  constructor(
    private readonly api: ApiServer,
    private readonly user: UserInfo,
  ) {}

  async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<any> {
    const url = new URL(path, 'https://in-process');
    const res = await this.api.handle({
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: { accept: 'application/json', contentType },
      body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
      user: this.user,
    });
    if (!('body' in res)) throw new Error('unexpected stream response');
    const parsed = res.contentType.startsWith('application/json') ? JSON.parse(res.body) : res.body;
    if (res.status >= 400) throw new ApiRequestError(res.status, parsed);
    return parsed;
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
  patch(path: string, patch: unknown, type: 'merge' | 'json' | 'strategic' = 'merge'): Promise<any> {
    const ct = { merge: 'application/merge-patch+json', json: 'application/json-patch+json', strategic: 'application/strategic-merge-patch+json' }[type];
    return this.request('PATCH', path, patch, ct);
  }
  delete(path: string, options?: unknown): Promise<any> {
    return this.request('DELETE', path, options);
  }

  /** Streams watch events for a list path; `onEvent` gets each parsed event. */
  async watch(path: string, onEvent: (ev: { type: string; object: any }) => void, onEnd?: () => void): Promise<WatchHandle> {
    const url = new URL(path, 'https://in-process');
    url.searchParams.set('watch', 'true');
    const res = await this.api.handle({
      method: 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: { accept: 'application/json' },
      user: this.user,
    });
    if ('body' in res) throw new ApiRequestError(res.status, JSON.parse(res.body));
    if (!('stream' in res)) throw new Error('unexpected binary response');
    const stop = res.stream({
      write: (chunk) => {
        for (const line of chunk.split('\n')) if (line) onEvent(JSON.parse(line));
      },
      end: () => onEnd?.(),
    });
    return { stop };
  }
}
