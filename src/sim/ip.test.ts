// IPv4 helpers and the per-node pod IP pool.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PodIPPool, cidrContains, formatCIDR, formatIPv4, nodePodCIDR, parseCIDR, parseIPv4 } from './ip.js';

test('parse and format', () => {
  assert.equal(parseIPv4('10.244.1.2'), 10 * 2 ** 24 + 244 * 2 ** 16 + 1 * 256 + 2);
  assert.equal(formatIPv4(parseIPv4('255.255.255.255')), '255.255.255.255');
  assert.throws(() => parseIPv4('10.0.0'));
  assert.throws(() => parseIPv4('10.0.0.256'));
  assert.equal(formatCIDR(parseCIDR('10.244.3.7/16')), '10.244.0.0/16', 'host bits cleared');
  assert.throws(() => parseCIDR('10.0.0.0'));
  assert.throws(() => parseCIDR('10.0.0.0/33'));
  assert.ok(cidrContains(parseCIDR('10.244.1.0/24'), '10.244.1.200'));
  assert.ok(!cidrContains(parseCIDR('10.244.1.0/24'), '10.244.2.1'));
  assert.ok(!cidrContains(parseCIDR('10.244.1.0/24'), 'nope'));
});

test('node i gets the i-th /24, continuing past the base range', () => {
  const base = parseCIDR('10.244.0.0/16');
  assert.equal(formatCIDR(nodePodCIDR(base, 0)), '10.244.0.0/24');
  assert.equal(formatCIDR(nodePodCIDR(base, 7)), '10.244.7.0/24');
  assert.equal(formatCIDR(nodePodCIDR(base, 256)), '10.245.0.0/24');
  assert.equal(formatCIDR(nodePodCIDR(base, 300)), '10.245.44.0/24');
  assert.throws(() => nodePodCIDR(parseCIDR('10.0.0.0/25'), 0));
  assert.throws(() => nodePodCIDR(parseCIDR('255.255.255.0/24'), 1));
});

test('pool: unique addresses, skipping network, gateway and broadcast; no immediate reuse', () => {
  const pool = new PodIPPool(parseCIDR('10.244.5.0/24'));
  assert.equal(pool.capacity, 253);
  assert.equal(pool.allocate('a'), '10.244.5.2');
  assert.equal(pool.allocate('b'), '10.244.5.3');
  pool.release('10.244.5.2', 'someone-else');
  assert.equal(pool.ownerOf('10.244.5.2'), 'a', 'release checks the owner');
  pool.release('10.244.5.2', 'a');
  assert.equal(pool.allocate('c'), '10.244.5.4', 'the next address, not the one just freed');
  const seen = new Set<string>();
  for (let i = 0; i < 251; i++) {
    const ip = pool.allocate(`x${i}`);
    assert.ok(ip, `allocation ${i}`);
    assert.ok(!seen.has(ip!));
    seen.add(ip!);
  }
  assert.equal(pool.used, 253);
  assert.equal(pool.allocate('overflow'), undefined);
  assert.ok(!seen.has('10.244.5.0') && !seen.has('10.244.5.1') && !seen.has('10.244.5.255'));
});

test('pool: reserving existing addresses', () => {
  const pool = new PodIPPool(parseCIDR('10.244.0.0/24'));
  assert.ok(pool.reserve('10.244.0.2', 'old'));
  assert.ok(pool.reserve('10.244.0.2', 'old'), 'idempotent for the same owner');
  assert.ok(!pool.reserve('10.244.0.2', 'other'));
  assert.ok(!pool.reserve('10.244.1.2', 'x'), 'outside the range');
  assert.ok(!pool.reserve('10.244.0.1', 'x'), 'the gateway');
  assert.equal(pool.allocate('new'), '10.244.0.3');
});
