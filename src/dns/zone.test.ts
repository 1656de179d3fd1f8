import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterZone } from './zone.js';
import { IndexedClusterView } from './view.js';
import { CLASS_IN, RCode, RRType, reverseName, type ResourceRecord } from './wire.js';

function fixture() {
  const view = IndexedClusterView.empty();
  const s = view.stores;
  for (const ns of ['default', 'prod', 'empty']) s.namespaces.set({ metadata: { name: ns } });
  s.services.set({ metadata: { name: 'web', namespace: 'default' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] } });
  s.services.set({ metadata: { name: 'dual', namespace: 'default' }, spec: { clusterIP: '10.96.0.21', clusterIPs: ['10.96.0.21', 'fd00::21'], ports: [{ port: 80 }] } });
  s.services.set({ metadata: { name: 'v6', namespace: 'default' }, spec: { clusterIP: 'fd00::22', clusterIPs: ['fd00::22'], ports: [{ port: 80 }] } });
  s.services.set({ metadata: { name: 'db', namespace: 'prod' }, spec: { clusterIP: 'None', clusterIPs: ['None'], ports: [{ name: 'pg', port: 5432 }] } });
  s.services.set({ metadata: { name: 'bare', namespace: 'prod' }, spec: { clusterIP: 'None' } });
  s.services.set({ metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'example.org' } });
  s.services.set({ metadata: { name: 'alias', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' } });
  s.services.set({ metadata: { name: 'extip', namespace: 'default' }, spec: { type: 'ExternalName', externalName: '1.2.3.4' } });
  s.endpointSlices.set({
    metadata: { name: 'db-abc', namespace: 'prod', labels: { 'kubernetes.io/service-name': 'db' } },
    addressType: 'IPv4',
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['10.244.0.5'], hostname: 'db-0', conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'db-0' } },
      { addresses: ['10.244.0.6'], hostname: 'db-1', conditions: {}, targetRef: { kind: 'Pod', name: 'db-1' } },
      { addresses: ['10.244.0.7'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'db-x' } },
      { addresses: ['10.244.0.8'], hostname: 'db-2', conditions: { ready: false } },
    ],
  });
  s.endpointSlices.set({ metadata: { name: 'bare-1', namespace: 'prod', labels: { 'kubernetes.io/service-name': 'bare' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.244.1.1'] }] });
  s.endpointSlices.set({ metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4', ports: [{ name: 'http', port: 8080 }], endpoints: [{ addresses: ['10.244.2.2'] }] });
  s.pods!.set({ metadata: { name: 'p', namespace: 'default' }, status: { podIP: '10.244.3.3', podIPs: [{ ip: '10.244.3.3' }] } });
  return view;
}

const q = (name: string, type: number) => ({ name, type, class: CLASS_IN });
const data = (rrs: ResourceRecord[]) => rrs.map((r) => r.data);

test('ClusterIP service: A, AAAA NODATA with SOA, TTL 5, AA-style answer keeps the asked case', () => {
  const z = new ClusterZone(fixture());
  const a = z.answer(q('Web.Default.svc.cluster.local', RRType.A))!;
  assert.equal(a.rcode, RCode.NOERROR);
  assert.deepEqual(a.answers, [{ name: 'Web.Default.svc.cluster.local', type: RRType.A, class: CLASS_IN, ttl: 5, data: '10.96.0.20' }]);
  assert.deepEqual(a.authorities, []);
  const aaaa = z.answer(q('web.default.svc.cluster.local', RRType.AAAA))!;
  assert.equal(aaaa.rcode, RCode.NOERROR);
  assert.equal(aaaa.answers.length, 0);
  assert.equal(aaaa.authorities[0].type, RRType.SOA);
  assert.deepEqual(aaaa.authorities[0].data, { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: (aaaa.authorities[0].data as any).serial, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 });
});

test('dual-stack and IPv6 services', () => {
  const z = new ClusterZone(fixture());
  assert.deepEqual(data(z.answer(q('dual.default.svc.cluster.local', RRType.A))!.answers), ['10.96.0.21']);
  assert.deepEqual(data(z.answer(q('dual.default.svc.cluster.local', RRType.AAAA))!.answers), ['fd00::21']);
  assert.deepEqual(data(z.answer(q('v6.default.svc.cluster.local', RRType.AAAA))!.answers), ['fd00::22']);
  assert.equal(z.answer(q('v6.default.svc.cluster.local', RRType.A))!.answers.length, 0);
});

test('NXDOMAIN vs NODATA as CoreDNS', () => {
  const z = new ClusterZone(fixture());
  const rc = (name: string, type: number = RRType.A) => {
    const a = z.answer(q(name, type))!;
    return [a.rcode, a.answers.length, a.authorities.map((r) => r.type)];
  };
  const nodata = [RCode.NOERROR, 0, [RRType.SOA]];
  const nx = [RCode.NXDOMAIN, 0, [RRType.SOA]];
  assert.deepEqual(rc('nope.default.svc.cluster.local'), nx);
  assert.deepEqual(rc('web.nons.svc.cluster.local'), nx);
  assert.deepEqual(rc('default.svc.cluster.local'), nodata);
  assert.deepEqual(rc('nons.svc.cluster.local'), nx);
  assert.deepEqual(rc('svc.cluster.local'), nodata);
  assert.deepEqual(rc('cluster.local'), nodata);
  assert.deepEqual(rc('foo.cluster.local'), nx);
  assert.deepEqual(rc('a.b.c.web.default.svc.cluster.local'), nx);
  assert.deepEqual(rc('web.default.svc.cluster.local', RRType.MX), nodata);
  assert.deepEqual(rc('nope.default.svc.cluster.local', RRType.MX), nx);
  assert.deepEqual(rc('web.default.svc.cluster.local', RRType.TXT), nodata);
  assert.deepEqual(rc('_nope._tcp.web.default.svc.cluster.local', RRType.SRV), nx);
  assert.deepEqual(rc('extip.default.svc.cluster.local'), nx);
  assert.deepEqual(rc('web.default.svc.cluster.local', RRType.CNAME), nodata);
  assert.equal(z.answer(q('cluster.local', RRType.AXFR))!.rcode, RCode.REFUSED);
});

test('before the caches sync an unknown name is SERVFAIL, not NXDOMAIN', () => {
  const v = fixture();
  const unsynced = new IndexedClusterView(v.stores, () => false);
  const z = new ClusterZone(unsynced);
  assert.equal(z.answer(q('nope.default.svc.cluster.local', RRType.A))!.rcode, RCode.SERVFAIL);
  assert.equal(z.answer(q('web.default.svc.cluster.local', RRType.A))!.rcode, RCode.NOERROR);
});

test('SRV for named ports of a ClusterIP service targets the service, with glue', () => {
  const z = new ClusterZone(fixture());
  const a = z.answer(q('_http._tcp.web.default.svc.cluster.local', RRType.SRV))!;
  assert.deepEqual(data(a.answers), [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }]);
  assert.deepEqual(a.additionals.map((r) => [r.name, r.type, r.data]), [['web.default.svc.cluster.local', RRType.A, '10.96.0.20']]);
  assert.deepEqual(data(z.answer(q('_dns._udp.web.default.svc.cluster.local', RRType.SRV))!.answers), [{ priority: 0, weight: 100, port: 53, target: 'web.default.svc.cluster.local' }]);
  assert.equal(z.answer(q('_dns._tcp.web.default.svc.cluster.local', RRType.SRV))!.rcode, RCode.NXDOMAIN);
  // Without port and protocol: every port.
  assert.deepEqual(data(z.answer(q('web.default.svc.cluster.local', RRType.SRV))!.answers).map((d: any) => d.port), [80, 53]);
});

test('headless service: ready endpoints only, hostnames or dashed IPs, SRV per endpoint', () => {
  const z = new ClusterZone(fixture());
  assert.deepEqual(data(z.answer(q('db.prod.svc.cluster.local', RRType.A))!.answers), ['10.244.0.5', '10.244.0.6', '10.244.0.7']);
  assert.deepEqual(data(z.answer(q('db-1.db.prod.svc.cluster.local', RRType.A))!.answers), ['10.244.0.6']);
  assert.deepEqual(data(z.answer(q('10-244-0-7.db.prod.svc.cluster.local', RRType.A))!.answers), ['10.244.0.7']);
  assert.equal(z.answer(q('db-2.db.prod.svc.cluster.local', RRType.A))!.rcode, RCode.NXDOMAIN);
  const srv = z.answer(q('_pg._tcp.db.prod.svc.cluster.local', RRType.SRV))!;
  assert.deepEqual(
    data(srv.answers),
    ['db-0', 'db-1', '10-244-0-7'].map((h) => ({ priority: 0, weight: 33, port: 5432, target: `${h}.db.prod.svc.cluster.local` })),
  );
  assert.deepEqual(srv.additionals.map((r) => [r.name, r.data]), [
    ['db-0.db.prod.svc.cluster.local', '10.244.0.5'],
    ['db-1.db.prod.svc.cluster.local', '10.244.0.6'],
    ['10-244-0-7.db.prod.svc.cluster.local', '10.244.0.7'],
  ]);
  // endpoint_pod_names: a pod name instead of the dashed IP.
  const z2 = new ClusterZone(fixture(), { endpointPodNames: true });
  assert.deepEqual(data(z2.answer(q('db-x.db.prod.svc.cluster.local', RRType.A))!.answers), ['10.244.0.7']);
  // A headless service without ports still has A records, but no SRV.
  assert.deepEqual(data(z.answer(q('bare.prod.svc.cluster.local', RRType.A))!.answers), ['10.244.1.1']);
  const bare = z.answer(q('bare.prod.svc.cluster.local', RRType.SRV))!;
  assert.equal(bare.rcode, RCode.NOERROR);
  assert.equal(bare.answers.length, 0);
  // Endpoint names of a ClusterIP service resolve too.
  assert.deepEqual(data(z.answer(q('10-244-2-2.web.default.svc.cluster.local', RRType.A))!.answers), ['10.244.2.2']);
});

test('ExternalName: CNAME, chased out of the zone by the caller, followed inside it', () => {
  const z = new ClusterZone(fixture());
  const c = z.answer(q('ext.default.svc.cluster.local', RRType.CNAME))!;
  assert.deepEqual(data(c.answers), ['example.org']);
  const a = z.answer(q('ext.default.svc.cluster.local', RRType.A))!;
  assert.equal(a.answers.length, 0);
  assert.deepEqual(a.chase!.map((x) => [x.cname.name, x.cname.data, x.target, x.type]), [['ext.default.svc.cluster.local', 'example.org', 'example.org', RRType.A]]);
  assert.deepEqual(a.authorities, []);
  const alias = z.answer(q('alias.default.svc.cluster.local', RRType.A))!;
  assert.deepEqual(alias.answers.map((r) => [r.name, r.type, r.data]), [
    ['alias.default.svc.cluster.local', RRType.CNAME, 'web.default.svc.cluster.local'],
    ['web.default.svc.cluster.local', RRType.A, '10.96.0.20'],
  ]);
  // No SRV for ExternalName.
  const srv = z.answer(q('ext.default.svc.cluster.local', RRType.SRV))!;
  assert.equal(srv.rcode, RCode.NOERROR);
  assert.equal(srv.answers.length, 0);
});

test('pod names: insecure checks the namespace, verified the pod, disabled none', () => {
  const insecure = new ClusterZone(fixture());
  assert.deepEqual(data(insecure.answer(q('10-1-2-3.default.pod.cluster.local', RRType.A))!.answers), ['10.1.2.3']);
  assert.equal(insecure.answer(q('10-1-2-3.nons.pod.cluster.local', RRType.A))!.rcode, RCode.NXDOMAIN);
  assert.equal(insecure.answer(q('not-an-ip.default.pod.cluster.local', RRType.A))!.rcode, RCode.NXDOMAIN);
  assert.deepEqual(data(insecure.answer(q('fd00--1.default.pod.cluster.local', RRType.AAAA))!.answers), ['fd00::1']);
  const verified = new ClusterZone(fixture(), { podMode: 'verified' });
  assert.deepEqual(data(verified.answer(q('10-244-3-3.default.pod.cluster.local', RRType.A))!.answers), ['10.244.3.3']);
  assert.equal(verified.answer(q('10-244-3-3.prod.pod.cluster.local', RRType.A))!.rcode, RCode.NXDOMAIN);
  assert.equal(verified.answer(q('10-1-2-3.default.pod.cluster.local', RRType.A))!.rcode, RCode.NXDOMAIN);
  const disabled = new ClusterZone(fixture(), { podMode: 'disabled' });
  assert.equal(disabled.answer(q('10-244-3-3.default.pod.cluster.local', RRType.A))!.rcode, RCode.NXDOMAIN);
});

test('PTR for ClusterIPs and endpoint addresses; anything else is forwarded', () => {
  const z = new ClusterZone(fixture());
  assert.deepEqual(data(z.answer(q(reverseName('10.96.0.20')!, RRType.PTR))!.answers), ['web.default.svc.cluster.local']);
  assert.deepEqual(data(z.answer(q(reverseName('fd00::21')!, RRType.PTR))!.answers), ['dual.default.svc.cluster.local']);
  assert.deepEqual(data(z.answer(q(reverseName('10.244.0.5')!, RRType.PTR))!.answers), ['db-0.db.prod.svc.cluster.local']);
  assert.deepEqual(data(z.answer(q(reverseName('10.244.0.7')!, RRType.PTR))!.answers), ['10-244-0-7.db.prod.svc.cluster.local']);
  assert.equal(z.answer(q(reverseName('10.244.0.8')!, RRType.PTR)), undefined); // not ready
  assert.equal(z.answer(q(reverseName('8.8.8.8')!, RRType.PTR)), undefined);
  assert.equal(z.answer(q('example.org', RRType.A)), undefined);
});

test('SOA and NS at the apex, dns-version TXT, a custom domain', () => {
  const z = new ClusterZone(fixture(), { domain: 'kts.internal.', ttl: 30 });
  const soa = z.answer(q('kts.internal', RRType.SOA))!;
  assert.equal(soa.answers[0].type, RRType.SOA);
  assert.equal(soa.answers[0].ttl, 30);
  assert.deepEqual(data(z.answer(q('kts.internal', RRType.NS))!.answers), ['ns.dns.kts.internal']);
  assert.deepEqual(data(z.answer(q('dns-version.kts.internal', RRType.TXT))!.answers), [['1.1.0']]);
  assert.deepEqual(data(z.answer(q('web.default.svc.kts.internal', RRType.A))!.answers), ['10.96.0.20']);
  assert.equal(z.answer(q('web.default.svc.cluster.local', RRType.A)), undefined);
});
