import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceEnvVars } from './service-env.js';

const svc = (ns: string, name: string, ip: string, ports: any[]) => ({ metadata: { namespace: ns, name }, spec: { clusterIP: ip, ports } });
const services = [
  svc('default', 'kubernetes', '10.43.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]),
  svc('shop', 'web-front', '10.43.0.7', [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }]),
  svc('shop', 'headless', 'None', [{ port: 80 }]),
  svc('other', 'elsewhere', '10.43.0.9', [{ port: 80 }]),
];

test('service links: the kubernetes Service always, the namespace\'s Services with a cluster IP', () => {
  const env = Object.fromEntries(serviceEnvVars(services, { metadata: { namespace: 'shop' }, spec: {} }).map((e) => [e.key, e.value]));
  assert.equal(env.KUBERNETES_SERVICE_HOST, '10.43.0.1');
  assert.equal(env.KUBERNETES_SERVICE_PORT, '443');
  assert.equal(env.KUBERNETES_SERVICE_PORT_HTTPS, '443');
  assert.equal(env.KUBERNETES_PORT, 'tcp://10.43.0.1:443');
  assert.equal(env.KUBERNETES_PORT_443_TCP_ADDR, '10.43.0.1');
  assert.equal(env.WEB_FRONT_SERVICE_HOST, '10.43.0.7');
  assert.equal(env.WEB_FRONT_PORT, 'tcp://10.43.0.7:80');
  assert.equal(env.WEB_FRONT_PORT_53_UDP, 'udp://10.43.0.7:53');
  assert.equal(env.WEB_FRONT_PORT_53_UDP_PROTO, 'udp');
  assert.equal(env.WEB_FRONT_SERVICE_PORT_DNS, '53');
  assert.equal(env.HEADLESS_SERVICE_HOST, undefined);
  assert.equal(env.ELSEWHERE_SERVICE_HOST, undefined);
});

test('enableServiceLinks: false keeps only the kubernetes Service', () => {
  const keys = serviceEnvVars(services, { metadata: { namespace: 'shop' }, spec: { enableServiceLinks: false } }).map((e) => e.key);
  assert.ok(keys.every((k) => k.startsWith('KUBERNETES_')), keys.join(','));
  assert.ok(keys.includes('KUBERNETES_SERVICE_HOST'));
});
