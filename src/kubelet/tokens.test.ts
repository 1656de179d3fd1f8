import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenManager } from './tokens.js';

test('tokens are requested bound to the pod, cached, and renewed after 80% of their life', async () => {
  const calls: Array<{ path: string; body: any }> = [];
  let now = 1_000_000_000_000;
  const client: any = {
    create: async (path: string, body: any) => {
      calls.push({ path, body });
      return { status: { token: `t${calls.length}`, expirationTimestamp: new Date(now + body.spec.expirationSeconds * 1000).toISOString() } };
    },
  };
  const m = new TokenManager(client, () => now);
  const pod = { metadata: { namespace: 'ns', name: 'p', uid: 'u1' }, spec: { serviceAccountName: 'robot' } };
  const a = await m.tokenFor(pod, { expirationSeconds: 3607 });
  assert.equal(a.token, 't1');
  assert.equal(a.fresh, true);
  assert.equal(calls[0]!.path, '/api/v1/namespaces/ns/serviceaccounts/robot/token');
  assert.deepEqual(calls[0]!.body.spec, { expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u1' } });
  assert.equal((await m.tokenFor(pod, { expirationSeconds: 3607 })).fresh, false);
  assert.equal((await m.tokenFor(pod, { expirationSeconds: 3607, audience: 'vault' })).token, 't2');
  assert.deepEqual(calls[1]!.body.spec.audiences, ['vault']);
  now += 0.81 * 3607 * 1000;
  assert.equal((await m.tokenFor(pod, { expirationSeconds: 3607 })).token, 't3');
});
