// The Ingress controller against a real `kts server` (no node agent):
// Services without selectors and hand-written EndpointSlices pointing at
// small HTTP servers on 127.0.0.1 that this test runs; the controller listens
// on 127.0.0.1 with ephemeral ports and is driven with real HTTP(S) requests.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { startKts, eventually, type KtsProcess } from './harness.js';
import { HttpClient } from '../../src/client/http-client.js';
import { startIngressController, type IngressController } from '../../src/ingress/index.js';
import { generateCA, issueServingCertificate, type CertKeyPair } from '../../src/apiserver/pki/index.js';
import { FALLBACK_CN } from '../../src/ingress/tls.js';

const PUBLISHED = '192.0.2.10';

interface Backend {
  name: string;
  port: number;
  server: http.Server;
}

/** Answers with its name, the request and the forwarding headers; `/slow` never answers; upgrades echo with its name. */
function startBackend(name: string): Promise<Backend> {
  const server = http.createServer((req, res) => {
    if (req.url === '/slow') return; // the ingress's read timeout answers 504
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const h = req.headers;
      const body = JSON.stringify({
        name,
        method: req.method,
        path: req.url,
        host: h.host,
        body: Buffer.concat(chunks).toString(),
        xff: h['x-forwarded-for'],
        xfproto: h['x-forwarded-proto'],
        xfhost: h['x-forwarded-host'],
        xfport: h['x-forwarded-port'],
        xrealip: h['x-real-ip'],
        connection: h.connection,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
      res.end(body);
    });
  });
  server.on('upgrade', (req, socket) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\nX-Backend: ${name}\r\n\r\n`);
    socket.on('data', (d) => socket.write(`${name}:${d}`));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ name, port: (server.address() as any).port, server })));
}

let kts: KtsProcess;
let client: HttpClient;
let ctl: IngressController;
const backends: Record<string, Backend> = {};
let deadPort = 0;
let ca: CertKeyPair;

function service(name: string): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: default }
spec:
  ports:
  - { name: http, port: 80, targetPort: 8080, protocol: TCP }
---
`;
}

function slice(svc: string, ports: number[], sliceName = `${svc}-manual`): string {
  return `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${sliceName}
  namespace: default
  labels: { kubernetes.io/service-name: ${svc} }
addressType: IPv4
ports:
- { name: http, port: ${ports[0] ?? 1}, protocol: TCP }
endpoints: ${ports.length ? `\n- { addresses: [127.0.0.1], conditions: { ready: true } }` : '[]'}
---
`;
}

const INGRESS_HOSTS = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: hosts, namespace: default }
spec:
  ingressClassName: kts
  tls:
  - { hosts: [secure.test], secretName: secure-tls }
  - { hosts: ['*.wild.test'], secretName: wild-tls }
  rules:
  - host: a.test
    http: { paths: [ { path: /, pathType: Prefix, backend: { service: { name: svc-a, port: { number: 80 } } } } ] }
  - host: b.test
    http: { paths: [ { path: /, pathType: Prefix, backend: { service: { name: svc-b, port: { name: http } } } } ] }
  - host: paths.test
    http:
      paths:
      - { path: /app, pathType: Prefix, backend: { service: { name: svc-a, port: { number: 80 } } } }
      - { path: /app/v2, pathType: Exact, backend: { service: { name: svc-b, port: { number: 80 } } } }
      - { path: /empty, pathType: Prefix, backend: { service: { name: svc-empty, port: { number: 80 } } } }
      - { path: /missing, pathType: Prefix, backend: { service: { name: svc-missing, port: { number: 80 } } } }
      - { path: /dead, pathType: Prefix, backend: { service: { name: svc-dead, port: { number: 80 } } } }
  - host: '*.wild.test'
    http: { paths: [ { path: /, pathType: Prefix, backend: { service: { name: svc-b, port: { number: 80 } } } } ] }
  - host: secure.test
    http: { paths: [ { path: /, pathType: Prefix, backend: { service: { name: svc-a, port: { number: 80 } } } } ] }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: other-class, namespace: default }
spec:
  ingressClassName: other
  rules:
  - host: other.test
    http: { paths: [ { path: /, pathType: Prefix, backend: { service: { name: svc-a, port: { number: 80 } } } } ] }
`;

async function tlsSecretYaml(name: string, cn: string, sans: string[]): Promise<string> {
  const pair = await issueServingCertificate(ca, { commonName: cn, sans });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return `apiVersion: v1
kind: Secret
metadata: { name: ${name}, namespace: default }
type: kubernetes.io/tls
data:
  tls.crt: ${b64(pair.certPem)}
  tls.key: ${b64(pair.keyPem)}
---
`;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

function get(host: string, path: string, opts: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ctl.httpPort, path, method: opts.method ?? 'GET', headers: { host, ...opts.headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function tlsGet(servername: string, host: string, verifyWith?: string): Promise<{ cert: X509Certificate; json: any; status: number }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port: ctl.httpsPort, path: '/tls', servername, headers: { host }, agent: false, ...(verifyWith ? { ca: verifyWith } : { rejectUnauthorized: false }) },
      (res) => {
        const cert = new X509Certificate((res.socket as TLSSocket).getPeerX509Certificate()!.raw);
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ cert, status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const cn = (c: X509Certificate) => /CN=([^\n]*)/.exec(c.subject)?.[1];

before(async () => {
  for (const n of ['a', 'b', 'a2', 'default']) backends[n] = await startBackend(n);
  const dead = http.createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
  deadPort = (dead.address() as any).port;
  await new Promise((r) => dead.close(r));
  ca = await generateCA('ingress-test-ca');

  kts = await startKts({ storage: 'memory' });
  const objects =
    ['svc-a', 'svc-b', 'svc-empty', 'svc-dead', 'svc-default'].map(service).join('') +
    slice('svc-a', [backends.a.port]) +
    slice('svc-b', [backends.b.port]) +
    slice('svc-empty', []) +
    slice('svc-dead', [deadPort]) +
    slice('svc-default', [backends.default.port]) +
    (await tlsSecretYaml('secure-tls', 'secure.test', ['secure.test'])) +
    (await tlsSecretYaml('wild-tls', 'wild.test', ['*.wild.test'])) +
    INGRESS_HOSTS;
  await kts.k(['apply', '-f', '-'], objects);
  client = HttpClient.fromKubeconfig(kts.kubeconfig);
  ctl = await startIngressController(client, {
    http: { host: '127.0.0.1', port: 0 },
    https: { host: '127.0.0.1', port: 0 },
    publishAddresses: () => [PUBLISHED],
    readTimeoutMs: 700,
    onError: () => {},
  });
});

after(async () => {
  await ctl?.stop();
  client?.close();
  await kts?.stop();
  for (const b of Object.values(backends)) {
    b.server.closeAllConnections();
    b.server.close();
  }
});

test('listens on ephemeral ports', () => {
  assert.ok(ctl.httpPort > 0 && ctl.httpsPort > 0 && ctl.httpPort !== ctl.httpsPort);
});

test('the IngressClass kts exists and is the default', async () => {
  const cls = JSON.parse(await kts.k(['get', 'ingressclass', 'kts', '-o', 'json']));
  assert.equal(cls.spec.controller, 'kts.io/ingress');
  assert.equal(cls.metadata.annotations['ingressclass.kubernetes.io/is-default-class'], 'true');
});

test('two hosts route to two Services, with forwarding headers', async () => {
  const a = await get('a.test', '/hello?x=1', { headers: { 'x-forwarded-for': '203.0.113.7' } });
  assert.equal(a.status, 200);
  assert.equal(a.json.name, 'a');
  assert.equal(a.json.path, '/hello?x=1');
  assert.equal(a.json.host, 'a.test');
  assert.equal(a.json.xff, '127.0.0.1'); // the client's own X-Forwarded-For is not trusted
  assert.equal(a.json.xrealip, '127.0.0.1');
  assert.equal(a.json.xfproto, 'http');
  assert.equal(a.json.xfhost, 'a.test');
  assert.equal(a.json.xfport, String(ctl.httpPort));
  assert.deepEqual(a.headers['set-cookie'], ['a=1', 'b=2']);
  const b = await get('b.test:8080', '/x');
  assert.equal(b.json.name, 'b');
  assert.equal(b.json.xfhost, 'b.test:8080');
});

test('request bodies stream through', async () => {
  const body = 'x'.repeat(200_000);
  const r = await get('a.test', '/upload', { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
  assert.equal(r.json.method, 'POST');
  assert.equal(r.json.body.length, 200_000);
});

test('path Prefix vs Exact', async () => {
  assert.equal((await get('paths.test', '/app')).json.name, 'a');
  assert.equal((await get('paths.test', '/app/v1')).json.name, 'a');
  assert.equal((await get('paths.test', '/app/v2')).json.name, 'b');
  assert.equal((await get('paths.test', '/app/v2/more')).json.name, 'a');
  assert.equal((await get('paths.test', '/apple')).status, 404);
});

test('wildcard host matches one label only', async () => {
  assert.equal((await get('x.wild.test', '/')).json.name, 'b');
  assert.equal((await get('x.y.wild.test', '/')).status, 404);
  assert.equal((await get('wild.test', '/')).status, 404);
});

test('404 without a rule, 503 without ready endpoints or Service, 502 when the endpoint refuses, 504 on timeout', async () => {
  const r404 = await get('nobody.test', '/');
  assert.equal(r404.status, 404);
  assert.equal((await get('other.test', '/')).status, 404); // another class's Ingress is not served
  assert.equal((await get('paths.test', '/empty')).status, 503);
  assert.equal((await get('paths.test', '/missing')).status, 503);
  assert.equal((await get('paths.test', '/dead')).status, 502);
  const t0 = Date.now();
  assert.equal((await get('a.test', '/slow')).status, 504);
  assert.ok(Date.now() - t0 < 3000);
});

test('an Ingress without a class uses the default class; its defaultBackend catches the rest', async () => {
  await kts.k(
    ['apply', '-f', '-'],
    `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: fallback, namespace: default }
spec:
  defaultBackend: { service: { name: svc-default, port: { number: 80 } } }
`,
  );
  const r = await eventually('the default backend', async () => {
    const x = await get('nobody.test', '/anything');
    return x.status === 200 ? x : undefined;
  });
  assert.equal(r.json.name, 'default');
  assert.equal((await get('a.test', '/')).json.name, 'a'); // rules still win
  await kts.k(['delete', 'ingress', 'fallback']);
  await eventually('404 again', async () => ((await get('nobody.test', '/')).status === 404 ? true : undefined));
});

test('TLS with SNI serves the Secret\'s certificate; unknown names get the fallback', async () => {
  const caPem = ca.certPem;
  const s = await tlsGet('secure.test', 'secure.test', caPem); // verified against the test CA and the name
  assert.equal(s.status, 200);
  assert.equal(cn(s.cert), 'secure.test');
  assert.equal(s.json.name, 'a');
  assert.equal(s.json.xfproto, 'https');
  assert.equal(s.json.xfport, String(ctl.httpsPort));
  const w = await tlsGet('foo.wild.test', 'foo.wild.test', caPem);
  assert.equal(cn(w.cert), 'wild.test');
  assert.equal(w.json.name, 'b');
  const f = await tlsGet('unknown.test', 'a.test');
  assert.equal(cn(f.cert), FALLBACK_CN);
  assert.equal(f.json.name, 'a');
});

test('a changed TLS Secret is served from the next handshake', async () => {
  const before = (await tlsGet('secure.test', 'secure.test')).cert.fingerprint256;
  await kts.k(['apply', '-f', '-'], await tlsSecretYaml('secure-tls', 'secure-v2.test', ['secure.test']));
  const after = await eventually('the new certificate', async () => {
    const c = (await tlsGet('secure.test', 'secure.test', ca.certPem)).cert;
    return cn(c) === 'secure-v2.test' ? c : undefined;
  }, 5000);
  assert.notEqual(after.fingerprint256, before);
});

test('WebSocket upgrades are tunneled', async () => {
  const { res, socket } = await new Promise<{ res: http.IncomingMessage; socket: import('node:net').Socket }>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: ctl.httpPort,
      path: '/ws',
      headers: { host: 'b.test', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      agent: false,
    });
    req.on('upgrade', (res, socket) => resolve({ res, socket }));
    req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
  assert.equal(res.statusCode, 101);
  assert.equal(res.headers['x-backend'], 'b');
  assert.equal(res.headers.upgrade, 'websocket');
  const echoed = await new Promise<string>((resolve) => {
    socket.once('data', (d) => resolve(String(d)));
    socket.write('ping');
  });
  assert.equal(echoed, 'b:ping');
  socket.destroy();
});

test('sslRedirect sends hosts with TLS to HTTPS (308), others are proxied', async () => {
  const second = await startIngressController(client, { http: { host: '127.0.0.1', port: 0 }, https: { host: '127.0.0.1', port: 0 }, sslRedirect: true, onError: () => {} });
  try {
    const ask = (host: string) =>
      new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: second.httpPort, path: '/p?q=1', headers: { host }, agent: false }, (res) => {
          res.resume();
          resolve(res);
        });
        req.on('error', reject);
        req.end();
      });
    const r = await ask('secure.test');
    assert.equal(r.statusCode, 308);
    assert.equal(r.headers.location, `https://secure.test:${second.httpsPort}/p?q=1`);
    const w = await ask('x.wild.test');
    assert.equal(w.statusCode, 308);
    assert.equal((await ask('a.test')).statusCode, 200);
  } finally {
    await second.stop();
  }
});

test('an endpoint change is picked up within a second', async () => {
  assert.equal((await get('a.test', '/')).json.name, 'a');
  await kts.k(['apply', '-f', '-'], slice('svc-a', [backends.a2.port]));
  const t0 = Date.now();
  for (;;) {
    if ((await get('a.test', '/')).json?.name === 'a2') break;
    assert.ok(Date.now() - t0 < 1000, 'still the old endpoint after 1 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  // A second slice of the same Service adds an endpoint: requests alternate.
  await kts.k(['apply', '-f', '-'], slice('svc-a', [backends.a.port], 'svc-a-extra'));
  await eventually('both endpoints', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 4; i++) names.add((await get('a.test', '/')).json.name);
    return names.size === 2 ? names : undefined;
  }, 5000);
  const seq = [];
  for (let i = 0; i < 4; i++) seq.push((await get('a.test', '/')).json.name);
  assert.ok(seq[0] !== seq[1] && seq[0] === seq[2] && seq[1] === seq[3], `round robin: ${seq}`);
});

test('status: served Ingresses get the published address, kubectl shows it, other classes do not', async () => {
  const addr = await eventually('ADDRESS of hosts', async () => {
    const out = await kts.k(['get', 'ingress', 'hosts', '--no-headers']);
    return out.includes(PUBLISHED) ? out : undefined;
  }, 10_000);
  // NAME CLASS HOSTS ADDRESS PORTS AGE; HOSTS reads "a.test,b.test,paths.test + 2 more...".
  assert.match(addr.trim(), /^hosts\s+kts\s+a\.test,b\.test,paths\.test \+ 2 more\.\.\.\s+192\.0\.2\.10\s+80, 443\s+\S+$/);
  const other = JSON.parse(await kts.k(['get', 'ingress', 'other-class', '-o', 'json']));
  assert.equal(other.status?.loadBalancer?.ingress, undefined);
});

test('status is cleared when an Ingress stops being served', async () => {
  await kts.k(['patch', 'ingress', 'hosts', '--type=merge', '-p', '{"spec":{"ingressClassName":"other"}}']);
  await eventually('status cleared', async () => {
    const ing = JSON.parse(await kts.k(['get', 'ingress', 'hosts', '-o', 'json']));
    return (ing.status?.loadBalancer?.ingress?.length ?? 0) === 0 ? true : undefined;
  }, 10_000);
  await eventually('routes dropped', async () => ((await get('a.test', '/')).status === 404 ? true : undefined), 5000);
});
