import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wantedRoutes } from './pod-routes.js';

const node = (name: string, podCIDR?: string, ip?: string): any => ({
  metadata: { name },
  spec: podCIDR ? { podCIDR } : {},
  status: { addresses: ip ? [{ type: 'Hostname', address: name }, { type: 'InternalIP', address: ip }] : [] },
});

test('wantedRoutes: other nodes\' pod CIDRs inside the cluster CIDR, via their InternalIP', () => {
  const got = wantedRoutes([
    node('self', '10.42.0.0/24', '192.0.2.2'),
    node('b', '10.42.1.0/24', '10.99.0.2'),
    node('no-ip', '10.42.2.0/24'),
    node('no-cidr', undefined, '10.99.0.3'),
    node('sim', '10.128.0.0/24', '10.99.0.4'),
  ], 'self', '10.42.0.0/16');
  assert.deepEqual([...got], [['10.42.1.0/24', '10.99.0.2']]);
});
