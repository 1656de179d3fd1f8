import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResolvConf, podDnsConfig } from './dns-config.js';

const cluster = { servers: ['10.43.0.10'], domain: 'cluster.local' };
const host = parseResolvConf('# generated\nnameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch corp.example\noptions edns0 ndots:2\n');

test('resolv.conf parsing drops loopback servers and keeps search and options', () => {
  assert.deepEqual(host, { servers: ['192.0.2.53'], searches: ['corp.example'], options: ['edns0', 'ndots:2'] });
});

test('ClusterFirst: cluster server, namespace search path, ndots:5', () => {
  const pod = { metadata: { namespace: 'shop' }, spec: {} };
  assert.deepEqual(podDnsConfig(pod, cluster, host), {
    servers: ['10.43.0.10'],
    searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'],
    options: ['ndots:5'],
  });
});

test('host network: the node resolvers unless ClusterFirstWithHostNet; Default always', () => {
  assert.deepEqual(podDnsConfig({ metadata: { namespace: 'a' }, spec: { hostNetwork: true } }, cluster, host).servers, ['192.0.2.53']);
  assert.deepEqual(podDnsConfig({ metadata: { namespace: 'a' }, spec: { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } }, cluster, host).servers, ['10.43.0.10']);
  assert.deepEqual(podDnsConfig({ metadata: { namespace: 'a' }, spec: { dnsPolicy: 'Default' } }, cluster, host).options, ['edns0', 'ndots:2']);
});

test('None uses only dnsConfig; dnsConfig merges into other policies, options by name', () => {
  const none = { metadata: { namespace: 'a' }, spec: { dnsPolicy: 'None', dnsConfig: { nameservers: ['1.2.3.4'], searches: ['x.example'], options: [{ name: 'ndots', value: '2' }, { name: 'rotate' }] } } };
  assert.deepEqual(podDnsConfig(none, cluster, host), { servers: ['1.2.3.4'], searches: ['x.example'], options: ['ndots:2', 'rotate'] });
  const merged = podDnsConfig({ metadata: { namespace: 'a' }, spec: { dnsConfig: { nameservers: ['10.43.0.10', '9.9.9.9'], options: [{ name: 'ndots', value: '1' }] } } }, cluster, host);
  assert.deepEqual(merged.servers, ['10.43.0.10', '9.9.9.9']);
  assert.deepEqual(merged.options, ['ndots:1']);
});

test('no cluster DNS configured: pods get the node resolvers', () => {
  assert.deepEqual(podDnsConfig({ metadata: { namespace: 'a' }, spec: {} }, { servers: [], domain: 'cluster.local' }, host).servers, ['192.0.2.53']);
});
