// Cluster DNS against a real `kts server`: objects made with kubectl,
// answers read with Node's resolver, out-of-zone names forwarded to a fake
// upstream on 127.0.0.1.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { startKts, eventually, type KtsProcess } from './harness.js';
import { startClusterDnsFromKubeconfig } from '../../src/dns/standalone.js';
import type { ClusterDns } from '../../src/dns/index.js';
import { startFakeUpstream, type FakeUpstream } from '../../src/dns/testing.js';
import { lookup } from '../../src/dns/client.js';
import { RCode, RRType } from '../../src/dns/wire.js';

let kts: KtsProcess;
let upstream: FakeUpstream;
let dns: ClusterDns;
let r: Resolver;

const OBJECTS = `
apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec:
  selector: { app: web }
  ports:
  - { name: http, port: 80, targetPort: 8080, protocol: TCP }
  - { name: metrics, port: 9090, protocol: TCP }
---
apiVersion: v1
kind: Service
metadata: { name: db, namespace: default }
spec:
  clusterIP: None
  ports:
  - { name: pg, port: 5432 }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: db-manual
  namespace: default
  labels: { kubernetes.io/service-name: db }
addressType: IPv4
ports:
- { name: pg, port: 5432, protocol: TCP }
endpoints:
- { addresses: [10.244.0.5], hostname: db-0, conditions: { ready: true } }
- { addresses: [10.244.0.6], hostname: db-1, conditions: { ready: true } }
- { addresses: [10.244.0.7], hostname: db-2, conditions: { ready: false } }
---
apiVersion: v1
kind: Service
metadata: { name: ext, namespace: default }
spec:
  type: ExternalName
  externalName: www.example.test
`;

before(async () => {
  kts = await startKts({ storage: 'memory' });
  upstream = await startFakeUpstream();
  await kts.k(['apply', '-f', '-'], OBJECTS);
  dns = await startClusterDnsFromKubeconfig(kts.kubeconfig, { listen: [{ host: '127.0.0.1', port: 0 }], upstreams: [`127.0.0.1:${upstream.port}`], onError: () => {} });
  r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([`127.0.0.1:${dns.port}`]);
});

after(async () => {
  await dns?.stop();
  await upstream?.close();
  await kts?.stop();
});

const clusterIP = async (name: string) => (await kts.k(['get', 'svc', name, '-o', 'jsonpath={.spec.clusterIP}'])).trim();

/** Polls the resolver until `check` passes; the whole wait must stay under `ms`. */
async function within<T>(ms: number, what: string, f: () => Promise<T>, ok: (v: T) => boolean): Promise<number> {
  const t0 = Date.now();
  await eventually(
    what,
    async () => {
      const v = await f().catch((e) => e);
      return ok(v) ? true : undefined;
    },
    ms,
  );
  return Date.now() - t0;
}

test('caches are synced at start', () => {
  assert.equal(dns.synced(), true);
});

test('ClusterIP service: A, SRV for named ports, PTR', async () => {
  const ip = await clusterIP('web');
  assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
  assert.deepEqual(await r.resolve4('web.default.svc.cluster.local'), [ip]);
  assert.deepEqual(await r.resolveSrv('_http._tcp.web.default.svc.cluster.local'), [{ name: 'web.default.svc.cluster.local', port: 80, priority: 0, weight: 100 }]);
  assert.deepEqual(await r.resolveSrv('_metrics._tcp.web.default.svc.cluster.local'), [{ name: 'web.default.svc.cluster.local', port: 9090, priority: 0, weight: 100 }]);
  assert.deepEqual(await r.reverse(ip), ['web.default.svc.cluster.local']);
  // The `kubernetes` Service kts creates.
  assert.deepEqual(await r.resolve4('kubernetes.default.svc.cluster.local'), [await clusterIP('kubernetes')]);
});

test('headless service with a hand-made EndpointSlice: ready addresses, hostnames, SRV per endpoint, PTR', async () => {
  assert.deepEqual((await r.resolve4('db.default.svc.cluster.local')).sort(), ['10.244.0.5', '10.244.0.6']);
  assert.deepEqual(await r.resolve4('db-1.db.default.svc.cluster.local'), ['10.244.0.6']);
  await assert.rejects(r.resolve4('db-2.db.default.svc.cluster.local'), { code: 'ENOTFOUND' });
  const srv = (await r.resolveSrv('_pg._tcp.db.default.svc.cluster.local')).sort((a, b) => a.name.localeCompare(b.name));
  assert.deepEqual(srv, [
    { name: 'db-0.db.default.svc.cluster.local', port: 5432, priority: 0, weight: 50 },
    { name: 'db-1.db.default.svc.cluster.local', port: 5432, priority: 0, weight: 50 },
  ]);
  assert.deepEqual(await r.reverse('10.244.0.5'), ['db-0.db.default.svc.cluster.local']);
});

test('ExternalName: CNAME, and A chased through the upstream', async () => {
  assert.deepEqual(await r.resolveCname('ext.default.svc.cluster.local'), ['www.example.test']);
  assert.deepEqual(await r.resolve4('ext.default.svc.cluster.local'), ['192.0.2.1']);
});

test('NXDOMAIN and NODATA', async () => {
  await assert.rejects(r.resolve4('nope.default.svc.cluster.local'), { code: 'ENOTFOUND' });
  await assert.rejects(r.resolve4('web.nonamespace.svc.cluster.local'), { code: 'ENOTFOUND' });
  await assert.rejects(r.resolve6('web.default.svc.cluster.local'), { code: 'ENODATA' });
  const ns = await lookup({ host: '127.0.0.1', port: dns.port }, 'kube-system.svc.cluster.local', RRType.A);
  assert.equal(ns.header.rcode, RCode.NOERROR);
  assert.equal(ns.answers.length, 0);
  assert.equal(ns.authorities[0].type, RRType.SOA);
});

test('out-of-zone names go to the upstream', async () => {
  assert.deepEqual(await r.resolve4('www.example.test'), ['192.0.2.1']);
  await assert.rejects(r.resolve4('nxdomain.example.test'), { code: 'ENOTFOUND' });
  assert.ok(upstream.seen.some((s) => s.q.name === 'www.example.test'));
});

test('changes made with kubectl are answered within a second', async () => {
  await kts.k(['create', 'service', 'clusterip', 'late', '--tcp=8080:8080']);
  const created = await within(1000, 'late service in DNS', () => r.resolve4('late.default.svc.cluster.local'), (v) => Array.isArray(v) && v.length === 1);
  assert.deepEqual(await r.resolve4('late.default.svc.cluster.local'), [await clusterIP('late')]);
  await kts.k(['patch', 'endpointslice', 'db-manual', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/endpoints/2/conditions/ready', value: true }])]);
  const ready = await within(1000, 'db-2 ready in DNS', () => r.resolve4('db-2.db.default.svc.cluster.local'), (v) => Array.isArray(v) && v[0] === '10.244.0.7');
  await kts.k(['delete', 'service', 'late']);
  const deleted = await within(1000, 'late service gone from DNS', () => r.resolve4('late.default.svc.cluster.local'), (v: any) => v?.code === 'ENOTFOUND');
  await kts.k(['create', 'namespace', 'fresh']);
  await within(1000, 'new namespace in DNS', () => lookup({ host: '127.0.0.1', port: dns.port }, 'fresh.svc.cluster.local', RRType.A), (m: any) => m?.header?.rcode === RCode.NOERROR);
  console.log(`# DNS saw: create ${created} ms, endpoint ready ${ready} ms, delete ${deleted} ms`);
});

test('pods verified: only IPs of existing pods in that namespace resolve', async () => {
  await kts.k(['run', 'p1', '--image=busybox:1.36', '--restart=Never']);
  await kts.k(['patch', 'pod', 'p1', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { podIP: '10.244.5.5', podIPs: [{ ip: '10.244.5.5' }] } })]);
  const verified = await startClusterDnsFromKubeconfig(kts.kubeconfig, { listen: [{ host: '127.0.0.1', port: 0 }], upstreams: [], podMode: 'verified', onError: () => {} });
  try {
    const v = new Resolver({ timeout: 2000, tries: 1 });
    v.setServers([`127.0.0.1:${verified.port}`]);
    assert.deepEqual(await v.resolve4('10-244-5-5.default.pod.cluster.local'), ['10.244.5.5']);
    await assert.rejects(v.resolve4('10-244-5-6.default.pod.cluster.local'), { code: 'ENOTFOUND' });
    await assert.rejects(v.resolve4('10-244-5-5.kube-system.pod.cluster.local'), { code: 'ENOTFOUND' });
    // The default (insecure) answers any IP in an existing namespace.
    assert.deepEqual(await r.resolve4('10-244-5-6.default.pod.cluster.local'), ['10.244.5.6']);
  } finally {
    await verified.stop();
  }
});
