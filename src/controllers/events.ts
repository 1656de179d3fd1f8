// Recording core/v1 Events about objects, as client-go's record package
// does for the controllers: `source.component` names the controller, an
// identical event (same object, type, reason, message) seen again bumps
// `count` and `lastTimestamp` on the existing Event instead of creating a
// new one. Writing is asynchronous and best effort: a controller never
// waits for, or fails because of, an event.

import { isNotFound, type ApiClient } from '../client/types.js';
import { errorMessage, nowRFC3339 } from './util.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  event(obj: any, type: EventType, reason: string, message: string): void;
}

export interface ApiEventRecorderOptions {
  /** `source.host` and `reportingInstance` (default: none). */
  host?: string;
  /** Called when writing an event fails (default: ignored). */
  onError?: (err: unknown) => void;
  /** How many distinct events are remembered for aggregation (default 4096). */
  cacheSize?: number;
}

interface Seen {
  namespace: string;
  name: string;
  count: number;
}

export class ApiEventRecorder implements EventRecorder {
  private readonly seen = new Map<string, Seen>();
  private pending = Promise.resolve();
  private inflight = 0;
  private stopped = false;
  private readonly cacheSize: number;
  private seq = 0;

  constructor(
    private readonly client: ApiClient,
    readonly component: string,
    private readonly opts: ApiEventRecorderOptions = {},
  ) {
    this.cacheSize = opts.cacheSize ?? 4096;
  }

  event(obj: any, type: EventType, reason: string, message: string): void {
    if (this.stopped || !obj?.metadata?.name) return;
    const m = obj.metadata;
    const involvedObject: Record<string, unknown> = { kind: obj.kind, namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: obj.apiVersion, resourceVersion: m.resourceVersion };
    for (const k of Object.keys(involvedObject)) if (involvedObject[k] === undefined || involvedObject[k] === '') delete involvedObject[k];
    const key = JSON.stringify([m.namespace ?? '', m.name, m.uid ?? '', obj.kind ?? '', type, reason, message]);
    this.inflight++;
    // Serialized so the aggregation sees its own writes.
    this.pending = this.pending
      .then(() => this.write(key, involvedObject, type, reason, message))
      .catch((e) => this.opts.onError?.(e))
      .finally(() => {
        this.inflight--;
      });
  }

  /** Resolves when every event recorded so far has been written (or failed). */
  async flush(): Promise<void> {
    while (this.inflight > 0) await this.pending;
  }

  stop(): void {
    this.stopped = true;
  }

  private async write(key: string, involvedObject: Record<string, unknown>, type: EventType, reason: string, message: string): Promise<void> {
    const now = nowRFC3339();
    const namespace = (involvedObject.namespace as string | undefined) || 'default';
    const prev = this.seen.get(key);
    if (prev) {
      try {
        await this.client.patch(`/api/v1/namespaces/${encodeURIComponent(prev.namespace)}/events/${encodeURIComponent(prev.name)}`, { count: prev.count + 1, lastTimestamp: now }, 'strategic');
        prev.count++;
        this.seen.delete(key);
        this.seen.set(key, prev);
        return;
      } catch (e) {
        if (!isNotFound(e)) throw e;
        this.seen.delete(key);
      }
    }
    // Upstream names events <object>.<unix nanoseconds in hex>.
    const nanos = BigInt(Date.now()) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    const name = `${involvedObject.name as string}.${nanos.toString(16)}`;
    const ev: any = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject,
      reason,
      message,
      source: { component: this.component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: this.component,
      reportingInstance: this.opts.host ?? '',
    };
    if (this.opts.host) ev.source.host = this.opts.host;
    try {
      await this.client.create(`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, ev);
    } catch (e) {
      throw new Error(`recording event ${reason} for ${namespace}/${involvedObject.name as string}: ${errorMessage(e)}`);
    }
    this.seen.set(key, { namespace, name, count: 1 });
    if (this.seen.size > this.cacheSize) this.seen.delete(this.seen.keys().next().value as string);
  }
}

/** Discards events (tests, or components that must not write). */
export const NO_EVENTS: EventRecorder = { event() {} };
