import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedInformerFactory } from '../client/informer.js';
import { CidrSet, NodeIpamController } from './node-ipam.js';
import { parseCIDR } from '../api/cidr.js';
import { startTestApi, waitFor } from './testing.js';

test('parseCIDR refuses host bits and garbage', () => {
  assert.deepEqual(parseCIDR('10.42.0.0/16'), { base: 10 * 2 ** 24 + 42 * 2 ** 16, prefix: 16 });
  assert.throws(() => parseCIDR('10.42.0.1/16'), /host bits/);
  assert.throws(() => parseCIDR('10.42.0.0'), /invalid CIDR/);
  assert.throws(() => parseCIDR('10.42.0.300/24'), /not an IPv4/);
});

test('CidrSet hands out each subnet once, skips occupied ones and reuses released ones', () => {
  const s = new CidrSet('10.42.0.0/22', 24);
  assert.equal(s.capacity, 4);
  assert.equal(s.occupy('10.42.1.0/24'), true);
  assert.equal(s.occupy('10.128.0.0/24'), false, 'outside the cluster CIDR');
  assert.equal(s.occupy('10.42.2.0/25'), false, 'wrong size');
  assert.equal(s.allocate(), '10.42.0.0/24');
  assert.equal(s.allocate(), '10.42.2.0/24');
  assert.equal(s.allocate(), '10.42.3.0/24');
  assert.equal(s.allocate(), undefined, 'exhausted');
  s.release('10.42.2.0/24');
  assert.equal(s.allocate(), '10.42.2.0/24');
  assert.throws(() => new CidrSet('10.42.0.0/16', 8), /does not fit/);
});

test('the controller gives each node its own pod CIDR and keeps existing ones', async () => {
  const { api, client, admin } = await startTestApi();
  const factory = new SharedInformerFactory(client);
  const c = new NodeIpamController(client, factory, { clusterCIDR: '10.42.0.0/16' });
  const node = (name: string, podCIDR?: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {} });
  await admin.create('/api/v1/nodes', node('kept', '10.42.0.0/24'));
  await admin.create('/api/v1/nodes', node('sim', '10.128.0.0/24'));
  factory.start();
  const run = c.run(1);
  try {
    await admin.create('/api/v1/nodes', node('a'));
    await admin.create('/api/v1/nodes', node('b'));
    const cidrOf = async (n: string) => (await admin.get(`/api/v1/nodes/${n}`)).spec?.podCIDR as string | undefined;
    await waitFor(async () => !!(await cidrOf('a')) && !!(await cidrOf('b')), 'both nodes get a pod CIDR');
    const a = await admin.get('/api/v1/nodes/a');
    assert.deepEqual(a.spec.podCIDRs, [a.spec.podCIDR]);
    const got = new Set([await cidrOf('a'), await cidrOf('b')]);
    assert.deepEqual(got, new Set(['10.42.1.0/24', '10.42.2.0/24']), 'the kept node\'s subnet is not handed out again');
    assert.equal(await cidrOf('kept'), '10.42.0.0/24');
    assert.equal(await cidrOf('sim'), '10.128.0.0/24');
    // A deleted node's subnet goes to the next node.
    const freed = await cidrOf('a');
    await admin.delete('/api/v1/nodes/a');
    await admin.create('/api/v1/nodes', node('c'));
    await waitFor(async () => (await cidrOf('c')) !== undefined, 'node c gets a pod CIDR');
    assert.equal(await cidrOf('c'), '10.42.3.0/24', 'round robin: the next never-used subnet first');
    void freed;
  } finally {
    await c.stop();
    factory.stop();
    await run;
    await api.stop();
  }
});
