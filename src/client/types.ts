// The client interface every component talks to the API through. Two
// implementations: InProcessClient (same process, calls the API pipeline
// directly) and HttpClient (another machine, HTTP/2 with TLS). Informers,
// controllers, the scheduler and the kubelet depend only on this interface.

/** A metav1.Status-shaped error returned by the API server. */
export class ApiRequestError extends Error {
  constructor(
    readonly code: number,
    readonly status: any,
  ) {
    super(status?.message ?? `request failed with ${code}`);
    this.name = 'ApiRequestError';
  }

  /** The Status `reason` (NotFound, AlreadyExists, Conflict, Expired, ...), or '' when absent. */
  get reason(): string {
    return typeof this.status?.reason === 'string' ? this.status.reason : '';
  }
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiRequestError && e.code === 404;
}

export function isAlreadyExists(e: unknown): boolean {
  return e instanceof ApiRequestError && e.code === 409 && e.reason === 'AlreadyExists';
}

/** An optimistic-concurrency failure (stale resourceVersion). */
export function isConflict(e: unknown): boolean {
  return e instanceof ApiRequestError && e.code === 409 && e.reason !== 'AlreadyExists';
}

/** 410 Gone / Expired: the resourceVersion or continue token is older than the server keeps. */
export function isGone(e: unknown): boolean {
  return e instanceof ApiRequestError && (e.code === 410 || e.reason === 'Expired' || e.reason === 'Gone');
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType | string;
  /** The object; for ERROR events a metav1.Status. */
  object: any;
}

export interface WatchHandle {
  /** Ends the watch. `onEnd` is not called for a watch the caller stopped. */
  stop(): void;
}

export type PatchType = 'merge' | 'json' | 'strategic';

export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export interface ApiClient {
  /**
   * One request. `path` may carry a query string. Resolves with the parsed
   * JSON body; rejects with ApiRequestError (status >= 400) or a transport
   * error (connection refused, reset, timeout).
   */
  request(method: string, path: string, body?: unknown, contentType?: string): Promise<any>;
  get(path: string): Promise<any>;
  create(path: string, obj: unknown): Promise<any>;
  update(path: string, obj: unknown): Promise<any>;
  patch(path: string, patch: unknown, type?: PatchType): Promise<any>;
  delete(path: string, options?: unknown): Promise<any>;
  /**
   * Watches a collection path (`watch=true` is added). Resolves once the
   * server accepted the watch; rejects with ApiRequestError when it did not
   * (for example 410 Gone). Events may arrive before the promise resolves.
   * `onEnd` is called once when the server or the connection ends the
   * stream. Reconnecting is the caller's job (see Informer).
   */
  watch(path: string, onEvent: (ev: WatchEvent) => void, onEnd?: (err?: Error) => void): Promise<WatchHandle>;
}

/** Joins a path and query parameters (skipping undefined and empty values). */
export function withQuery(path: string, params: Record<string, string | number | boolean | undefined>): string {
  const qIndex = path.indexOf('?');
  const base = qIndex < 0 ? path : path.slice(0, qIndex);
  const q = new URLSearchParams(qIndex < 0 ? '' : path.slice(qIndex + 1));
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${base}?${s}` : base;
}
