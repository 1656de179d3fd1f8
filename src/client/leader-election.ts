// Leader election on a coordination.k8s.io/v1 Lease, as client-go's
// tools/leaderelection does it, so that several controller managers or
// schedulers can run hot with exactly one acting.
//
// Every candidate tries, each retry period, to take or renew the Lease with
// an update guarded by resourceVersion (optimistic concurrency: of two
// simultaneous writers one gets a conflict). A Lease held by someone else is
// taken only when it has not changed for leaseDurationSeconds as measured on
// this candidate's own clock from when it last saw it change, so clock skew
// between machines does not matter. A leader that cannot renew within the
// renew deadline steps down (its signal aborts) before its lease can expire
// for the others. Stopping a leader releases the Lease (empty holder) so a
// standby takes over at its next retry instead of waiting for expiry.

import { isNotFound, type ApiClient } from './types.js';

export interface LeaderCallbacks {
  /** Leadership acquired; `signal` aborts when it is lost or the elector stops. Do the work until then. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Leadership lost or given up (only called after onStartedLeading). */
  onStoppedLeading?(): void;
  /** The observed holder changed (including to this candidate). Not called for an empty holder. */
  onNewLeader?(identity: string): void;
}

export interface LeaderElectionConfig {
  client: ApiClient;
  /** Lease namespace (kube-system for control-plane components). */
  namespace: string;
  /** Lease name (kube-controller-manager, kube-scheduler, ...). */
  name: string;
  /** This candidate's unique identity (host name plus a random suffix, as upstream). */
  identity: string;
  /** How long a lease is valid without renewal (default 15 s; written in whole seconds). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before stepping down (default 10 s; must be < leaseDuration). */
  renewDeadlineMs?: number;
  /** Pause between attempts (default 2 s, with up to 20% jitter while acquiring). */
  retryPeriodMs?: number;
  /** Release the lease on stop() (default true). */
  releaseOnCancel?: boolean;
  callbacks: LeaderCallbacks;
  onError?: (err: unknown, context: string) => void;
  now?: () => Date;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits, UTC. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const JITTER = 1.2;

export class LeaderElector {
  private readonly client: ApiClient;
  private readonly path: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly releaseOnCancel: boolean;
  private readonly now: () => Date;
  private readonly report: (err: unknown, context: string) => void;

  private lease: any;
  private observed: LeaseSpec = {};
  private observedRaw = '';
  private observedTime = 0;
  private reportedLeader = '';
  private leading = false;
  private stopping = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly cfg: LeaderElectionConfig) {
    this.client = cfg.client;
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(cfg.namespace)}/leases/${encodeURIComponent(cfg.name)}`;
    this.leaseDurationMs = cfg.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = cfg.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = cfg.retryPeriodMs ?? 2_000;
    this.releaseOnCancel = cfg.releaseOnCancel ?? true;
    this.now = cfg.now ?? (() => new Date());
    this.report = cfg.onError ?? ((err, context) => console.error(`leader election ${cfg.namespace}/${cfg.name}: ${context}: ${err instanceof Error ? err.message : String(err)}`));
    if (this.leaseDurationMs <= this.renewDeadlineMs) throw new Error('leaseDuration must be greater than renewDeadline');
    if (this.renewDeadlineMs <= this.retryPeriodMs * JITTER) throw new Error('renewDeadline must be greater than retryPeriod*1.2');
  }

  /** True while this candidate holds the lease as far as it knows. */
  isLeader(): boolean {
    return this.observed.holderIdentity === this.cfg.identity;
  }

  /** The last observed holder ('' if none). */
  getLeader(): string {
    return this.observed.holderIdentity ?? '';
  }

  /**
   * Campaigns until leadership is acquired, leads until it is lost or stop()
   * is called, then resolves. Call again to stand by for another term.
   */
  run(): Promise<void> {
    if (!this.running) {
      this.stopping = false;
      this.running = this.loop().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  /** Stops campaigning or leading; releases the lease if held. Resolves when run() has finished. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    // Acquire.
    for (;;) {
      if (this.stopping) return;
      const ok = await this.tryAcquireOrRenew();
      this.maybeReportTransition();
      if (ok) break;
      await this.sleep(this.retryPeriodMs * (1 + Math.random() * (JITTER - 1)));
    }
    if (this.stopping) {
      if (this.releaseOnCancel) await this.release();
      return;
    }

    // Lead.
    this.leading = true;
    const controller = new AbortController();
    try {
      Promise.resolve(this.cfg.callbacks.onStartedLeading(controller.signal)).catch((e) => this.report(e, 'onStartedLeading failed'));
    } catch (e) {
      this.report(e, 'onStartedLeading failed');
    }
    let lastRenew = Date.now();
    while (!this.stopping) {
      await this.sleep(this.retryPeriodMs);
      if (this.stopping) break;
      const remaining = this.renewDeadlineMs - (Date.now() - lastRenew);
      const ok = remaining > 0 && (await this.withTimeout(this.tryAcquireOrRenew(), remaining));
      this.maybeReportTransition();
      if (ok) {
        lastRenew = Date.now();
        continue;
      }
      // Keep trying until the renew deadline: a blip must not cost leadership.
      if (Date.now() - lastRenew + this.retryPeriodMs >= this.renewDeadlineMs || !this.isLeaderOrUnknown()) break;
    }
    controller.abort();
    this.leading = false;
    if (this.stopping && this.releaseOnCancel) await this.release();
    try {
      this.cfg.callbacks.onStoppedLeading?.();
    } catch (e) {
      this.report(e, 'onStoppedLeading failed');
    }
  }

  /** Someone else visibly holds a valid lease: stop at once rather than at the deadline. */
  private isLeaderOrUnknown(): boolean {
    return !this.observed.holderIdentity || this.isLeader();
  }

  private async withTimeout(p: Promise<boolean>, ms: number): Promise<boolean> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      t = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([p, timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private setObserved(lease: any): void {
    this.lease = lease;
    const spec: LeaseSpec = lease?.spec ?? {};
    this.observed = { ...spec };
    this.observedRaw = rawSpec(spec);
    this.observedTime = Date.now();
  }

  private leaseValid(): boolean {
    return this.observedTime + (this.observed.leaseDurationSeconds ?? 0) * 1000 > Date.now();
  }

  private desiredSpec(): LeaseSpec {
    const t = microTime(this.now());
    return {
      holderIdentity: this.cfg.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.leaseDurationMs / 1000)),
      acquireTime: t,
      renewTime: t,
      leaseTransitions: this.observed.leaseTransitions ?? 0,
    };
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const desired = this.desiredSpec();

    // Fast path: the leader renews on top of what it last wrote.
    if (this.isLeader() && this.leaseValid() && this.lease) {
      desired.acquireTime = this.observed.acquireTime ?? desired.acquireTime;
      desired.leaseTransitions = this.observed.leaseTransitions ?? 0;
      try {
        this.setObserved(await this.client.update(this.path, { ...this.lease, spec: desired }));
        return true;
      } catch {
        // Someone wrote the lease meanwhile, or the request failed: read it and decide.
      }
    }

    let lease: any;
    try {
      lease = await this.client.get(this.path);
    } catch (e) {
      if (!isNotFound(e)) {
        this.report(e, 'reading the lease failed');
        return false;
      }
      try {
        desired.leaseTransitions = 0;
        const created = await this.client.create(this.path.slice(0, this.path.lastIndexOf('/')), {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.cfg.name, namespace: this.cfg.namespace },
          spec: desired,
        });
        this.setObserved(created);
        return true;
      } catch {
        return false; // Another candidate created it first.
      }
    }

    const spec: LeaseSpec = lease.spec ?? {};
    if (rawSpec(spec) !== this.observedRaw) this.setObserved(lease);
    else this.lease = lease;
    if (spec.holderIdentity && this.leaseValid() && !this.isLeader()) return false;

    if (this.isLeader()) {
      desired.acquireTime = spec.acquireTime ?? desired.acquireTime;
      desired.leaseTransitions = spec.leaseTransitions ?? 0;
    } else {
      desired.leaseTransitions = (spec.leaseTransitions ?? 0) + 1;
    }
    try {
      this.setObserved(await this.client.update(this.path, { ...lease, spec: desired }));
      return true;
    } catch {
      return false;
    }
  }

  /** Gives the lease up: empty holder, one-second duration, so a standby takes it at once. */
  private async release(): Promise<void> {
    if (!this.isLeader() || !this.lease) return;
    const t = microTime(this.now());
    const spec: LeaseSpec = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: t, renewTime: t, leaseTransitions: this.observed.leaseTransitions ?? 0 };
    try {
      this.setObserved(await this.client.update(this.path, { ...this.lease, spec }));
    } catch (e) {
      this.report(e, 'releasing the lease failed');
    }
  }

  private maybeReportTransition(): void {
    const holder = this.observed.holderIdentity ?? '';
    if (holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    if (!holder) return;
    try {
      this.cfg.callbacks.onNewLeader?.(holder);
    } catch (e) {
      this.report(e, 'onNewLeader failed');
    }
  }

  /** True between onStartedLeading and onStoppedLeading. */
  get isLeading(): boolean {
    return this.leading;
  }
}

function rawSpec(spec: LeaseSpec): string {
  return JSON.stringify([spec.holderIdentity ?? '', spec.leaseDurationSeconds ?? 0, spec.acquireTime ?? '', spec.renewTime ?? '', spec.leaseTransitions ?? 0]);
}
