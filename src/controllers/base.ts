// The lifecycle every queue-driven controller shares (upstream's Run):
// wait for the informer caches, run N workers over a rate-limited work
// queue calling an injectable sync handler, and on stop detach the event
// handlers, shut the queue down and wait for the workers to finish.

import { waitForCacheSync, type HandlerRegistration, type Informer } from '../client/informer.js';
import { WorkQueue, runWorkers } from '../client/workqueue.js';
import { errorMessage } from './util.js';

export interface ControllerOptions {
  /** Workers processing keys in parallel (a key is never processed by two at once). */
  workers?: number;
  /** Where sync failures are reported (default: console.error). */
  onError?: (key: string, err: unknown) => void;
}

export abstract class QueueController {
  readonly queue: WorkQueue<string>;
  /** The sync function; replaceable so tests can drive or observe it. */
  syncHandler: (key: string) => Promise<void>;
  protected readonly registrations: HandlerRegistration[] = [];
  protected readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private stopped = false;

  protected constructor(
    readonly name: string,
    protected readonly opts: ControllerOptions,
  ) {
    this.queue = new WorkQueue<string>({ name });
    this.syncHandler = (key) => this.sync(key);
  }

  /** Reconciles one key; throwing requeues it with back-off. */
  protected abstract sync(key: string): Promise<void>;

  /** The informers whose caches must be synced before workers start. */
  protected abstract informers(): Informer<any>[];

  /** Waits for the caches, then processes keys until stop(). Resolves when the workers have exited. */
  run(workers = this.opts.workers ?? 5): Promise<void> {
    this.running ??= (async () => {
      if (!(await waitForCacheSync(this.informers(), this.abort.signal)) || this.stopped) return;
      await runWorkers(this.queue, workers, (key) => this.syncHandler(key), {
        onError: this.opts.onError ?? ((key, err) => console.error(`${this.name}: syncing ${JSON.stringify(key)} failed: ${errorMessage(err)}`)),
      });
    })();
    return this.running;
  }

  /** Detaches handlers, shuts the queue down and waits for in-flight syncs. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const r of this.registrations) r.remove();
    this.registrations.length = 0;
    this.abort.abort();
    this.queue.shutDown();
    await this.running;
  }

  protected enqueue(key: string): void {
    this.queue.add(key);
  }
}
