import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ingress, HTTPIngressPath } from 'kubernetes-types/networking/v1.js';
import { RouteTable, normalizeHost, prefixMatches, wildcardMatches } from './routes.js';
import { resolveEndpoints, EndpointPicker, type BackendView } from './backends.js';
import { servesIngress } from './class.js';

function path(p: string, svc: string, pathType: HTTPIngressPath['pathType'] = 'Prefix', port: number | string = 80): HTTPIngressPath {
  return { path: p, pathType, backend: { service: { name: svc, port: typeof port === 'number' ? { number: port } : { name: port } } } };
}

function ing(name: string, created: string, rules: Array<{ host?: string; paths: HTTPIngressPath[] }>, extra: Partial<Ingress['spec']> = {}, ns = 'default'): Ingress {
  return {
    metadata: { name, namespace: ns, creationTimestamp: created },
    spec: { ...extra, rules: rules.map((r) => ({ host: r.host, http: { paths: r.paths } })) },
  };
}

/** The service a request lands on, or '404' / the unsupported reason. */
function svc(t: RouteTable, host: string, p: string): string {
  const m = t.match(host, p);
  if (!m.backend) return '404';
  return m.backend.kind === 'service' ? `${m.backend.target.namespace}/${m.backend.target.service}:${m.backend.target.port}` : m.backend.reason;
}

test('prefix matching is element-wise and ignores a trailing slash', () => {
  assert.equal(prefixMatches('/foo', '/foo'), true);
  assert.equal(prefixMatches('/foo', '/foo/'), true);
  assert.equal(prefixMatches('/foo', '/foo/bar'), true);
  assert.equal(prefixMatches('/foo', '/foobar'), false);
  assert.equal(prefixMatches('/', '/anything'), true);
  const t = RouteTable.build([ing('a', '2024-01-01T00:00:00Z', [{ paths: [path('/aaa/bbb/', 'x')] }])]);
  assert.equal(svc(t, 'h', '/aaa/bbb'), 'default/x:80');
  assert.equal(svc(t, 'h', '/aaa/bbb/ccc'), 'default/x:80');
  assert.equal(svc(t, 'h', '/aaa/bbbxyz'), '404');
  assert.equal(svc(t, 'h', '/aaa/bbb?q=1'), 'default/x:80');
});

test('wildcard hosts match exactly one label', () => {
  assert.equal(wildcardMatches('*.example.com', 'a.example.com'), true);
  assert.equal(wildcardMatches('*.example.com', 'example.com'), false);
  assert.equal(wildcardMatches('*.example.com', 'a.b.example.com'), false);
  const t = RouteTable.build([ing('a', '2024-01-01T00:00:00Z', [{ host: '*.example.com', paths: [path('/', 'wild')] }])]);
  assert.equal(svc(t, 'foo.example.com', '/'), 'default/wild:80');
  assert.equal(svc(t, 'FOO.Example.com:8080', '/x'), 'default/wild:80');
  assert.equal(svc(t, 'a.b.example.com', '/'), '404');
  assert.equal(svc(t, 'example.com', '/'), '404');
});

test('host precedence: exact, then wildcard, then host-less rules, first path match', () => {
  const t = RouteTable.build([
    ing('a', '2024-01-01T00:00:00Z', [
      { host: 'foo.example.com', paths: [path('/api', 'exact-host')] },
      { host: '*.example.com', paths: [path('/api', 'wild-host'), path('/web', 'wild-web')] },
      { paths: [path('/', 'any')] },
    ]),
  ]);
  assert.equal(svc(t, 'foo.example.com', '/api/v1'), 'default/exact-host:80');
  assert.equal(svc(t, 'bar.example.com', '/api/v1'), 'default/wild-host:80');
  // The exact host has no /web: the wildcard rule serves it, then the host-less one.
  assert.equal(svc(t, 'foo.example.com', '/web'), 'default/wild-web:80');
  assert.equal(svc(t, 'foo.example.com', '/other'), 'default/any:80');
  assert.equal(svc(t, 'other.org', '/api'), 'default/any:80');
  assert.equal(svc(t, '', '/api'), 'default/any:80');
});

test('longest path wins; Exact before Prefix at equal length', () => {
  const t = RouteTable.build([
    ing('a', '2024-01-01T00:00:00Z', [
      {
        host: 'h',
        paths: [path('/', 'root'), path('/foo', 'foo-prefix'), path('/foo', 'foo-exact', 'Exact'), path('/foo/bar', 'foobar', 'ImplementationSpecific'), path('/foo/bar/baz', 'baz-exact', 'Exact')],
      },
    ]),
  ]);
  assert.equal(svc(t, 'h', '/foo'), 'default/foo-exact:80');
  assert.equal(svc(t, 'h', '/foo/'), 'default/foo-prefix:80');
  assert.equal(svc(t, 'h', '/foo/x'), 'default/foo-prefix:80');
  assert.equal(svc(t, 'h', '/foo/bar/x'), 'default/foobar:80');
  assert.equal(svc(t, 'h', '/foo/bar/baz'), 'default/baz-exact:80');
  assert.equal(svc(t, 'h', '/foo/bar/baz/'), 'default/foobar:80');
  assert.equal(svc(t, 'h', '/foobar'), 'default/root:80');
});

test('rules merge across Ingresses; the oldest wins a conflict', () => {
  const newer = ing('newer', '2024-02-01T00:00:00Z', [{ host: 'h', paths: [path('/api', 'new-api'), path('/new', 'new-only')] }], {}, 'b');
  const older = ing('older', '2024-01-01T00:00:00Z', [{ host: 'h', paths: [path('/api/', 'old-api'), path('/api', 'old-exact', 'Exact')] }], {}, 'a');
  for (const order of [[newer, older], [older, newer]]) {
    const t = RouteTable.build(order);
    assert.equal(svc(t, 'h', '/api/x'), 'a/old-api:80');
    assert.equal(svc(t, 'h', '/api'), 'a/old-exact:80');
    assert.equal(svc(t, 'h', '/new'), 'b/new-only:80');
    assert.deepEqual(t.conflicts, ['h /api (Prefix) in b/newer shadowed by a/older']);
  }
  // Same timestamp: namespace/name decides.
  const t2 = RouteTable.build([
    ing('z', '2024-01-01T00:00:00Z', [{ paths: [path('/', 'from-z')] }]),
    ing('m', '2024-01-01T00:00:00Z', [{ paths: [path('/', 'from-m')] }]),
  ]);
  assert.equal(svc(t2, 'x', '/'), 'default/from-m:80');
});

test('default backends: the host\'s Ingress, then the oldest one, else none', () => {
  const t = RouteTable.build([
    ing('b', '2024-02-01T00:00:00Z', [{ host: 'b.test', paths: [path('/only', 'b-only')] }], { defaultBackend: { service: { name: 'b-default', port: { name: 'http' } } } }),
    ing('a', '2024-01-01T00:00:00Z', [{ host: 'a.test', paths: [path('/only', 'a-only')] }], { defaultBackend: { service: { name: 'a-default', port: { number: 8080 } } } }),
  ]);
  assert.equal(svc(t, 'b.test', '/elsewhere'), 'default/b-default:http');
  assert.equal(svc(t, 'a.test', '/elsewhere'), 'default/a-default:8080');
  assert.equal(svc(t, 'unknown.test', '/'), 'default/a-default:8080');
  assert.equal(svc(RouteTable.build([]), 'x', '/'), '404');
  const r = RouteTable.build([ing('r', '2024-01-01T00:00:00Z', [], { defaultBackend: { resource: { apiGroup: 'k8s.example.com', kind: 'Bucket', name: 'b' } } })]);
  assert.equal(svc(r, 'x', '/'), 'resource backends are not supported');
});

test('TLS secrets by SNI name: exact, one-label wildcard, rule hosts when hosts are omitted', () => {
  const t = RouteTable.build([
    ing('a', '2024-01-01T00:00:00Z', [{ host: 'plain.test', paths: [path('/', 'x')] }], {
      tls: [{ hosts: ['a.test'], secretName: 'a-tls' }, { hosts: ['*.wild.test'], secretName: 'wild-tls' }, { secretName: 'rules-tls' }],
    }),
    ing('b', '2024-02-01T00:00:00Z', [], { tls: [{ hosts: ['a.test'], secretName: 'late' }] }),
  ]);
  assert.deepEqual(t.tlsFor('A.test'), { namespace: 'default', secretName: 'a-tls' });
  assert.deepEqual(t.tlsFor('x.wild.test'), { namespace: 'default', secretName: 'wild-tls' });
  assert.equal(t.tlsFor('x.y.wild.test'), undefined);
  assert.deepEqual(t.tlsFor('plain.test'), { namespace: 'default', secretName: 'rules-tls' });
  assert.deepEqual([...t.secretKeys].sort(), ['default/a-tls', 'default/late', 'default/rules-tls', 'default/wild-tls']);
  assert.equal(t.hasTls('a.test:8443'), true);
  assert.equal(t.hasTls('other.test'), false);
});

test('normalizeHost strips port, trailing dot and case', () => {
  assert.equal(normalizeHost('Foo.Example.COM.:8080'), 'foo.example.com');
  assert.equal(normalizeHost('[::1]:80'), '[::1]');
  assert.equal(normalizeHost(undefined), '');
});

test('class selection: legacy annotation, ingressClassName, default class', () => {
  const mk = (cls?: string, ann?: string): Ingress => ({ metadata: { name: 'x', annotations: ann ? { 'kubernetes.io/ingress.class': ann } : {} }, spec: { ingressClassName: cls } });
  assert.equal(servesIngress(mk('kts'), 'kts', false), true);
  assert.equal(servesIngress(mk('nginx'), 'kts', true), false);
  assert.equal(servesIngress(mk(), 'kts', true), true);
  assert.equal(servesIngress(mk(), 'kts', false), false);
  assert.equal(servesIngress(mk(undefined, 'kts'), 'kts', false), true);
  assert.equal(servesIngress(mk(undefined, 'nginx'), 'kts', true), false);
});

test('endpoints: port by number or name, ready only, round robin', () => {
  const view: BackendView = {
    service: (ns, name) =>
      name === 'web' ? { metadata: { name, namespace: ns }, spec: { ports: [{ name: 'http', port: 80 }, { name: 'admin', port: 9000 }] } } : name === 'bare' ? { spec: { ports: [{ port: 8080 }] } } : undefined,
    endpointSlices: (_ns, name) =>
      name === 'web'
        ? [
            {
              addressType: 'IPv4',
              ports: [{ name: 'http', port: 8080 }, { name: 'admin', port: 9090 }],
              endpoints: [{ addresses: ['10.0.0.2'], conditions: { ready: true } }, { addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.3'], conditions: { ready: false } }],
            },
          ]
        : name === 'bare'
          ? [{ addressType: 'IPv4', ports: [{ port: 8080 }], endpoints: [] }]
          : [],
  };
  assert.deepEqual(resolveEndpoints(view, { namespace: 'd', service: 'web', port: 80 }), { ok: true, endpoints: [{ host: '10.0.0.1', port: 8080 }, { host: '10.0.0.2', port: 8080 }] });
  assert.deepEqual(resolveEndpoints(view, { namespace: 'd', service: 'web', port: 'admin' }), { ok: true, endpoints: [{ host: '10.0.0.1', port: 9090 }, { host: '10.0.0.2', port: 9090 }] });
  assert.equal(resolveEndpoints(view, { namespace: 'd', service: 'web', port: 81 }).ok, false);
  assert.equal(resolveEndpoints(view, { namespace: 'd', service: 'nope', port: 80 }).ok, false);
  const ext: BackendView = { service: () => ({ spec: { type: 'ExternalName', externalName: 'api.example.org', ports: [{ name: 'https', port: 443 }] } }), endpointSlices: () => [] };
  assert.deepEqual(resolveEndpoints(ext, { namespace: 'd', service: 'x', port: 8080 }), { ok: true, endpoints: [{ host: 'api.example.org', port: 8080 }] });
  assert.deepEqual(resolveEndpoints(ext, { namespace: 'd', service: 'x', port: 'https' }), { ok: true, endpoints: [{ host: 'api.example.org', port: 443 }] });
  const picker = new EndpointPicker(view);
  const b = { namespace: 'd', service: 'web', port: 80 };
  assert.deepEqual([1, 2, 3].map(() => (picker.pick(b) as any).host), ['10.0.0.1', '10.0.0.2', '10.0.0.1']);
  assert.match((picker.pick({ namespace: 'd', service: 'bare', port: 8080 }) as any).reason, /no ready endpoints/);
});
