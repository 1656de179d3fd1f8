// Leader election between two candidates on a real in-process API server,
// with short durations: one leads; a released lease is taken at once; a
// leader that cannot renew steps down and the standby takes over once the
// lease expires.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiServer } from '../apiserver/api-server.js';
import { MemoryStore } from '../storage/memory.js';
import { InProcessClient } from './in-process.js';
import type { ApiClient, PatchType, WatchEvent, WatchHandle } from './types.js';
import { LeaderElector, microTime, type LeaderElectionConfig } from './leader-election.js';

const ADMIN = { name: 'test', groups: ['system:masters'] };
let api: ApiServer;
let client: InProcessClient;

before(async () => {
  api = new ApiServer({ store: new MemoryStore() });
  await api.start();
  client = new InProcessClient(api, ADMIN);
});
const electors: LeaderElector[] = [];
after(async () => {
  // Also after a failed assertion, so the test process can exit.
  for (const e of electors) await e.stop();
  await api.stop();
});

/** A client whose network can be cut. */
class CuttableClient implements ApiClient {
  down = false;
  constructor(private readonly inner: ApiClient) {}
  async request(method: string, path: string, body?: unknown, contentType?: string): Promise<any> {
    if (this.down) throw new Error('connect ECONNREFUSED');
    return this.inner.request(method, path, body, contentType);
  }
  get(path: string) {
    return this.request('GET', path);
  }
  create(path: string, obj: unknown) {
    return this.request('POST', path, obj);
  }
  update(path: string, obj: unknown) {
    return this.request('PUT', path, obj);
  }
  patch(path: string, patch: unknown, type?: PatchType) {
    return this.inner.patch(path, patch, type);
  }
  delete(path: string, options?: unknown) {
    return this.request('DELETE', path, options);
  }
  watch(path: string, onEvent: (ev: WatchEvent) => void, onEnd?: () => void): Promise<WatchHandle> {
    return this.inner.watch(path, onEvent, onEnd);
  }
}

async function waitFor(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Candidate {
  elector: LeaderElector;
  client: CuttableClient;
  events: string[];
  leading: boolean;
  signal?: AbortSignal;
  done: Promise<void>;
}

const FAST = { leaseDurationMs: 1000, renewDeadlineMs: 400, retryPeriodMs: 50 };
let concurrentLeaders = 0;
let maxConcurrentLeaders = 0;

function candidate(lease: string, identity: string, extra: Partial<LeaderElectionConfig> = {}): Candidate {
  const c: Partial<Candidate> = { client: new CuttableClient(client), events: [], leading: false };
  c.elector = new LeaderElector({
    client: c.client!,
    namespace: 'kube-system',
    name: lease,
    identity,
    ...FAST,
    onError: () => {},
    callbacks: {
      onStartedLeading: (signal) => {
        c.leading = true;
        c.signal = signal;
        c.events!.push('started');
        concurrentLeaders++;
        maxConcurrentLeaders = Math.max(maxConcurrentLeaders, concurrentLeaders);
      },
      onStoppedLeading: () => {
        c.leading = false;
        c.events!.push('stopped');
        concurrentLeaders--;
      },
      onNewLeader: (id) => c.events!.push(`leader ${id}`),
    },
    ...extra,
  });
  electors.push(c.elector);
  c.done = c.elector.run();
  return c as Candidate;
}

const leasePath = (name: string) => `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}`;
const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

test('microTime has six fractional digits', () => {
  assert.equal(microTime(new Date('2006-01-02T15:04:05.123Z')), '2006-01-02T15:04:05.123000Z');
});

test('configuration is checked: leaseDuration > renewDeadline > retryPeriod*1.2', () => {
  const base = { client, namespace: 'kube-system', name: 'x', identity: 'i', callbacks: { onStartedLeading() {} } };
  assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 1000, renewDeadlineMs: 1000 }), /leaseDuration/);
  assert.throws(() => new LeaderElector({ ...base, renewDeadlineMs: 100, retryPeriodMs: 100, leaseDurationMs: 1000 }), /renewDeadline/);
});

test('two candidates: one leads, the other takes over at once when the leader releases on stop', async () => {
  maxConcurrentLeaders = 0;
  const a = candidate('lease-release', 'a');
  const b = candidate('lease-release', 'b');
  await waitFor(() => a.leading || b.leading, 'a leader');
  const [leader, standby] = a.leading ? [a, b] : [b, a];
  const leaderId = leader === a ? 'a' : 'b';
  const standbyId = leader === a ? 'b' : 'a';
  await waitFor(() => standby.events.includes(`leader ${leaderId}`), 'standby observes the leader');
  assert.equal(leader.elector.isLeader(), true);
  assert.equal(standby.elector.isLeader(), false);
  assert.equal(standby.elector.getLeader(), leaderId);

  const lease = await client.get(leasePath('lease-release'));
  assert.equal(lease.spec.holderIdentity, leaderId);
  assert.equal(lease.spec.leaseDurationSeconds, 1);
  assert.match(lease.spec.acquireTime, MICRO);
  assert.match(lease.spec.renewTime, MICRO);
  assert.equal(lease.spec.leaseTransitions, 0);

  // Renewals move renewTime but keep acquireTime.
  const rv0 = lease.metadata.resourceVersion;
  await new Promise((r) => setTimeout(r, 150));
  const renewed = await client.get(leasePath('lease-release'));
  assert.notEqual(renewed.metadata.resourceVersion, rv0);
  assert.equal(renewed.spec.acquireTime, lease.spec.acquireTime);
  assert.equal(renewed.spec.holderIdentity, leaderId);

  const t0 = Date.now();
  await leader.elector.stop();
  await leader.done;
  assert.equal(leader.signal!.aborted, true);
  assert.deepEqual(leader.events.filter((e) => e === 'started' || e === 'stopped'), ['started', 'stopped']);
  const released = await client.get(leasePath('lease-release'));
  assert.ok(!released.spec.holderIdentity || released.spec.holderIdentity === standbyId, 'holder cleared on release');

  await waitFor(() => standby.leading, 'standby takes over');
  assert.ok(Date.now() - t0 < FAST.leaseDurationMs, `took over after ${Date.now() - t0} ms, before the lease could expire`);
  const taken = await client.get(leasePath('lease-release'));
  assert.equal(taken.spec.holderIdentity, standbyId);
  assert.equal(taken.spec.leaseTransitions, 1);
  assert.ok(standby.events.includes(`leader ${standbyId}`));
  assert.equal(maxConcurrentLeaders, 1, 'never two leaders at once');

  await standby.elector.stop();
  await standby.done;
});

test('a leader that cannot renew steps down; the standby takes over after the lease expires', async () => {
  concurrentLeaders = 0;
  maxConcurrentLeaders = 0;
  const a = candidate('lease-expire', 'a');
  await waitFor(() => a.leading, 'a leads');
  const b = candidate('lease-expire', 'b');
  await waitFor(() => b.events.includes('leader a'), 'b observes a');

  const cut = Date.now();
  a.client.down = true; // a can no longer reach the API server
  await waitFor(() => !a.leading, 'a steps down');
  const steppedDown = Date.now() - cut;
  assert.ok(steppedDown >= FAST.renewDeadlineMs - 2 * FAST.retryPeriodMs && steppedDown < FAST.leaseDurationMs, `a stepped down after ${steppedDown} ms`);
  assert.equal(a.signal!.aborted, true);
  await a.done;
  assert.equal(b.leading, false, 'b waits for the lease to expire');

  await waitFor(() => b.leading, 'b takes over');
  const tookOver = Date.now() - cut;
  assert.ok(tookOver >= FAST.leaseDurationMs - FAST.retryPeriodMs, `b took over after ${tookOver} ms`);
  const lease = await client.get(leasePath('lease-expire'));
  assert.equal(lease.spec.holderIdentity, 'b');
  assert.equal(lease.spec.leaseTransitions, 1);
  assert.equal(maxConcurrentLeaders, 1);

  // a, back on the network, stands by again.
  a.client.down = false;
  a.leading = false;
  const again = a.elector.run();
  await waitFor(() => a.events.filter((e) => e === 'leader b').length >= 1, 'a sees b');
  assert.equal(a.elector.isLeader(), false);
  await a.elector.stop();
  await again;
  await b.elector.stop();
  await b.done;
});
