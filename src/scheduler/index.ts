// Starting the scheduler as a component: alone, or under leader election on
// the Lease kube-system/kube-scheduler so several replicas can run with one
// scheduling at a time. Each term of leadership gets a fresh Scheduler (and
// fresh caches); losing the lease stops it and the replica stands by again.

import { LeaderElector, type ApiClient } from '../client/index.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';

export { Scheduler, DEFAULT_SCHEDULER_NAME, type SchedulerOptions } from './scheduler.js';
export { SchedulingQueue, type ClusterEvent, type QueuedPodInfo } from './queue.js';
export { SchedulerCache, NodeInfo } from './node-info.js';
export { PodInfo } from './pod-info.js';
export { Algorithm, fitErrorMessage } from './framework.js';

export const SCHEDULER_LEASE_NAMESPACE = 'kube-system';
export const SCHEDULER_LEASE_NAME = 'kube-scheduler';

export interface StartSchedulerOptions extends Omit<SchedulerOptions, 'identity'> {
  /** This replica's identity (Lease holder, Events' reportingInstance). */
  identity: string;
  /** Schedule only while holding the Lease kube-system/kube-scheduler. */
  leaderElection?: boolean;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface RunningScheduler {
  /** True while this replica schedules (always, without leader election). */
  isLeading(): boolean;
  /** The Scheduler of the current term, if leading. */
  current(): Scheduler | undefined;
  stop(): Promise<void>;
}

export async function startScheduler(client: ApiClient, opts: StartSchedulerOptions): Promise<RunningScheduler> {
  const { leaderElection, leaseDurationMs, renewDeadlineMs, retryPeriodMs, ...rest } = opts;
  const schedOpts: SchedulerOptions = { ...rest, identity: opts.identity };

  if (!leaderElection) {
    const s = new Scheduler(client, schedOpts);
    await s.start();
    return { isLeading: () => true, current: () => s, stop: () => s.stop() };
  }

  let current: Scheduler | undefined;
  let stopping: Promise<void> | undefined;
  let stopped = false;
  const report = opts.onError ?? ((err: unknown, context: string) => console.error(`scheduler: ${context}: ${err instanceof Error ? err.message : String(err)}`));
  const elector = new LeaderElector({
    client,
    namespace: SCHEDULER_LEASE_NAMESPACE,
    name: SCHEDULER_LEASE_NAME,
    identity: opts.identity,
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
    onError: report,
    callbacks: {
      onStartedLeading: async (signal) => {
        const s = new Scheduler(client, schedOpts);
        current = s;
        const stopTerm = () => {
          if (current === s) current = undefined;
          stopping = s.stop();
        };
        if (signal.aborted) {
          stopTerm();
          return;
        }
        signal.addEventListener('abort', stopTerm, { once: true });
        await s.start();
      },
    },
  });
  const campaign = (async () => {
    while (!stopped) {
      await elector.run();
      await stopping;
    }
  })();
  return {
    isLeading: () => current !== undefined,
    current: () => current,
    async stop() {
      stopped = true;
      await elector.stop();
      await campaign;
      await stopping;
    },
  };
}
