// Records core/v1 Events about pods (Scheduled, FailedScheduling, Preempted)
// without holding up scheduling: events are queued and posted by a few
// concurrent senders. A repeat of the same event for the same object
// (same type, reason and message) updates the existing Event's count and
// lastTimestamp instead of creating another, as client-go's correlator does.

import { isNotFound, type ApiClient } from '../client/index.js';

export interface EventRecorderOptions {
  /** source.component and reportingComponent (the scheduler name). */
  component: string;
  /** reportingInstance (this scheduler's identity). */
  instance?: string;
  /** Concurrent API requests (default 8). */
  concurrency?: number;
  /** Queued events beyond this are dropped, oldest first (default 10,000). */
  maxQueued?: number;
  onError?: (err: unknown, context: string) => void;
  now?: () => Date;
}

interface PendingEvent {
  namespace: string;
  body: any;
  dedupKey: string;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
}

const MAX_SEEN = 4096;

export class EventRecorder {
  private queue: PendingEvent[] = [];
  private head = 0;
  private active = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly seen = new Map<string, Seen>();
  private seq = 0;
  private stopped = false;
  private readonly concurrency: number;
  private readonly maxQueued: number;
  private readonly now: () => Date;
  private readonly report: (err: unknown, context: string) => void;

  constructor(
    private readonly client: ApiClient,
    private readonly opts: EventRecorderOptions,
  ) {
    this.concurrency = opts.concurrency ?? 8;
    this.maxQueued = opts.maxQueued ?? 10_000;
    this.now = opts.now ?? (() => new Date());
    this.report = opts.onError ?? ((err, context) => console.error(`events: ${context}: ${err instanceof Error ? err.message : String(err)}`));
  }

  /** Queues an Event about `obj` (a Pod); `related` is a second object (the preemptor). */
  event(obj: any, type: 'Normal' | 'Warning', reason: string, action: string, message: string, related?: any): void {
    if (this.stopped) return;
    const m = obj?.metadata ?? {};
    const namespace: string = m.namespace || 'default';
    const t = this.now();
    const ts = t.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const nanos = BigInt(t.getTime()) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    const body: any = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${m.name}.${nanos.toString(16)}`, namespace },
      involvedObject: refOf(obj),
      reason,
      message,
      type,
      source: { component: this.opts.component },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      action,
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.instance ?? '',
    };
    if (related) body.related = refOf(related);
    this.queue.push({ namespace, body, dedupKey: `${m.uid ?? `${namespace}/${m.name}`}\u0000${type}\u0000${reason}\u0000${message}` });
    if (this.queue.length - this.head > this.maxQueued) this.head++;
    this.pump();
  }

  /** Resolves once every queued event has been sent (or failed). */
  flush(): Promise<void> {
    if (this.active === 0 && this.head >= this.queue.length) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Sends what is queued, then accepts no more. */
  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
  }

  private pump(): void {
    while (this.active < this.concurrency && this.head < this.queue.length) {
      const ev = this.queue[this.head];
      this.queue[this.head] = undefined as unknown as PendingEvent;
      this.head++;
      this.active++;
      void this.send(ev).finally(() => {
        this.active--;
        this.pump();
      });
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.active === 0 && this.head >= this.queue.length) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  private async send(ev: PendingEvent): Promise<void> {
    const prev = this.seen.get(ev.dedupKey);
    try {
      if (prev) {
        prev.count++;
        try {
          await this.client.patch(`/api/v1/namespaces/${encodeURIComponent(prev.namespace)}/events/${encodeURIComponent(prev.name)}`, {
            count: prev.count,
            lastTimestamp: ev.body.lastTimestamp,
          });
          this.touch(ev.dedupKey, prev);
          return;
        } catch (e) {
          if (!isNotFound(e)) throw e;
          this.seen.delete(ev.dedupKey);
        }
      }
      await this.client.create(`/api/v1/namespaces/${encodeURIComponent(ev.namespace)}/events`, ev.body);
      this.touch(ev.dedupKey, { name: ev.body.metadata.name, namespace: ev.namespace, count: 1 });
    } catch (e) {
      this.report(e, `recording ${ev.body.reason} for ${ev.namespace}/${ev.body.involvedObject.name}`);
    }
  }

  private touch(key: string, s: Seen): void {
    this.seen.delete(key);
    this.seen.set(key, s);
    if (this.seen.size > MAX_SEEN) this.seen.delete(this.seen.keys().next().value as string);
  }
}

function refOf(obj: any): any {
  const m = obj?.metadata ?? {};
  const ref: any = { apiVersion: obj?.apiVersion ?? 'v1', kind: obj?.kind ?? 'Pod', namespace: m.namespace, name: m.name };
  if (m.uid) ref.uid = m.uid;
  if (m.resourceVersion) ref.resourceVersion = m.resourceVersion;
  return ref;
}
