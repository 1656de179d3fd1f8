// A client that calls the API server's handler directly, without HTTP, for
// components running in the same process. It still goes through the full
// request pipeline (authentication, admission, validation): the API is the
// only bus.

import type { ApiServer, UserInfo } from '../apiserver/api-server.js';
import { ApiRequestError, PATCH_CONTENT_TYPES, type ApiClient, type PatchType, type WatchEvent, type WatchHandle } from './types.js';

export { ApiRequestError };
export type { WatchHandle };

export class InProcessClient implements ApiClient {
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
      body: body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      user: this.user,
    });
    if ('stream' in res) throw new Error('unexpected stream response');
    const text = 'body' in res ? res.body : Buffer.from(res.bytes).toString('utf8');
    const parsed = parseBody(res.contentType, text);
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
  patch(path: string, patch: unknown, type: PatchType = 'merge'): Promise<any> {
    return this.request('PATCH', path, patch, PATCH_CONTENT_TYPES[type]);
  }
  delete(path: string, options?: unknown): Promise<any> {
    return this.request('DELETE', path, options);
  }

  /**
   * Streams watch events for a list path. Events are delivered on a
   * microtask, not inside the API server's write path, so a slow handler
   * never delays a write and a throwing handler never breaks the stream.
   * Every event is a fresh parse: handlers cannot mutate the server's cache.
   */
  async watch(path: string, onEvent: (ev: WatchEvent) => void, onEnd?: (err?: Error) => void): Promise<WatchHandle> {
    const url = new URL(path, 'https://in-process');
    url.searchParams.set('watch', 'true');
    const res = await this.api.handle({
      method: 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: { accept: 'application/json' },
      user: this.user,
    });
    if (!('stream' in res)) {
      const text = 'body' in res ? res.body : Buffer.from(res.bytes).toString('utf8');
      throw new ApiRequestError(res.status, parseBody(res.contentType, text));
    }

    let stopped = false;
    let ended = false;
    let pending: string[] = [];
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      const lines = pending;
      pending = [];
      for (const line of lines) {
        if (stopped) return;
        let ev: WatchEvent;
        try {
          ev = JSON.parse(line);
        } catch {
          continue;
        }
        try {
          onEvent(ev);
        } catch {
          // A handler's failure is the handler's problem, not the stream's.
        }
      }
      if (ended && !stopped) {
        stopped = true;
        onEnd?.();
      }
    };
    const schedule = () => {
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
    };
    const stopStream = res.stream({
      write: (chunk: string) => {
        if (stopped || ended) return;
        for (const line of chunk.split('\n')) if (line) pending.push(line);
        schedule();
      },
      end: () => {
        if (stopped || ended) return;
        ended = true;
        schedule();
      },
    });
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        pending = [];
        stopStream();
      },
    };
  }
}

function parseBody(contentType: string, body: string): any {
  if (!contentType.startsWith('application/json')) return body;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
