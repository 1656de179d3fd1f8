import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { desiredIngress, loadBalancerIPs, EXCLUDE_LB_LABEL } from './service-lb.js';

function node(name: string, ip: string, ready: boolean, labels?: Record<string, string>): Node {
  return {
    metadata: { name, labels },
    status: {
      addresses: [{ type: 'Hostname', address: name }, { type: 'InternalIP', address: ip }],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

describe('ServiceLB', () => {
  it('uses the InternalIPs of Ready, not excluded nodes, sorted and unique', () => {
    const nodes = [node('b', '192.168.0.2', true), node('a', '192.168.0.1', true), node('c', '192.168.0.3', false), node('d', '192.168.0.4', true, { [EXCLUDE_LB_LABEL]: '' })];
    assert.deepEqual(loadBalancerIPs(nodes), ['192.168.0.1', '192.168.0.2']);
    // None Ready: all of them, rather than none.
    assert.deepEqual(loadBalancerIPs([node('c', '192.168.0.3', false)]), ['192.168.0.3']);
  });

  it('sets ingress on LoadBalancer Services, clears it when the type changes, leaves other classes alone', () => {
    const lb: Service = { metadata: { name: 's' }, spec: { type: 'LoadBalancer' } };
    assert.deepEqual(desiredIngress(lb, ['192.168.0.1']), [{ ip: '192.168.0.1', ipMode: 'VIP' }]);
    assert.equal(desiredIngress({ ...lb, spec: { type: 'LoadBalancer', loadBalancerClass: 'example.com/lb' } }, ['192.168.0.1']), undefined);
    assert.deepEqual(desiredIngress({ metadata: { name: 's' }, spec: { type: 'ClusterIP' }, status: { loadBalancer: { ingress: [{ ip: '192.168.0.1' }] } } }, ['192.168.0.1']), []);
    assert.equal(desiredIngress({ metadata: { name: 's' }, spec: { type: 'ClusterIP' } }, ['192.168.0.1']), undefined);
  });
});
