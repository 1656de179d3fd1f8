// The HTTPS transport from the outside: HTTP/1.1 and HTTP/2, who may call
// what, body limits, and the Status of protocol-level errors.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { startKts, type KtsProcess } from './harness.js';

let kts: KtsProcess;
let creds: { ca: string; cert: string; key: string };

before(async () => {
  kts = await startKts({ storage: 'memory' });
  const kc = YAML.parse(readFileSync(kts.kubeconfig, 'utf8'));
  const b = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  creds = {
    ca: b(kc.clusters[0].cluster['certificate-authority-data']),
    cert: b(kc.users[0].user['client-certificate-data']),
    key: b(kc.users[0].user['client-key-data']),
  };
});

after(async () => {
  await kts?.stop();
});

function h1(method: string, path: string, opts: { body?: string | Buffer; anonymous?: boolean; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; headers: any }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${kts.url}${path}`,
      {
        method,
        ca: creds.ca,
        ...(opts.anonymous ? {} : { cert: creds.cert, key: creds.key }),
        headers: { 'content-type': 'application/json', ...(opts.headers ?? {}) },
        agent: false,
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: data, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

test('HTTP/1.1 with a client certificate reads the API', async () => {
  const r = await h1('GET', '/api/v1/namespaces/default');
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).metadata.name, 'default');
  assert.match(r.headers['content-type'], /^application\/json/);
});

test('HTTP/2 is negotiated by ALPN', async () => {
  const session = http2.connect(kts.url, { ca: creds.ca, cert: creds.cert, key: creds.key });
  try {
    const body = await new Promise<string>((resolve, reject) => {
      const req = session.request({ ':path': '/version' });
      let data = '';
      req.setEncoding('utf8');
      req.on('data', (d) => (data += d));
      req.on('end', () => resolve(data));
      req.on('error', reject);
      req.end();
    });
    assert.equal(session.alpnProtocol, 'h2');
    assert.match(JSON.parse(body).gitVersion, /^v1\.32\.\d+\+kts$/);
  } finally {
    session.close();
  }
});

test('anonymous requests reach only health and version', async () => {
  for (const p of ['/healthz', '/livez', '/readyz']) {
    const r = await h1('GET', p, { anonymous: true });
    assert.equal(r.status, 200, p);
    assert.equal(r.body, 'ok');
  }
  const v = await h1('GET', '/readyz?verbose', { anonymous: true });
  assert.match(v.body, /readyz check passed/);
  assert.equal((await h1('GET', '/version', { anonymous: true })).status, 200);
  for (const p of ['/api', '/apis', '/api/v1/namespaces', '/openapi/v3']) {
    const r = await h1('GET', p, { anonymous: true });
    assert.equal(r.status, 401, p);
    assert.deepEqual(JSON.parse(r.body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  }
});

test('bodies over 3 MiB get 413 and nothing is stored', async () => {
  const big = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'huge' }, data: { x: 'a'.repeat(3 * 1024 * 1024 + 10) } });
  const r = await h1('POST', '/api/v1/namespaces/default/configmaps', { body: big });
  assert.equal(r.status, 413);
  const s = JSON.parse(r.body);
  assert.equal(s.reason, 'RequestEntityTooLarge');
  assert.equal(s.message, 'Request entity too large: limit is 3145728');
  assert.equal((await h1('GET', '/api/v1/namespaces/default/configmaps/huge')).status, 404);
});

test('malformed JSON and YAML bodies get 400 BadRequest', async () => {
  const r = await h1('POST', '/api/v1/namespaces/default/configmaps', { body: '{"apiVersion": "v1", "kind": ' });
  assert.equal(r.status, 400);
  assert.equal(JSON.parse(r.body).reason, 'BadRequest');
  const y = await h1('POST', '/api/v1/namespaces/default/configmaps', { body: 'metadata: [unclosed', headers: { 'content-type': 'application/yaml' } });
  assert.equal(y.status, 400);
  const ok = await h1('POST', '/api/v1/namespaces/default/configmaps', {
    body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n',
    headers: { 'content-type': 'application/yaml' },
  });
  assert.equal(ok.status, 201);
  assert.equal(JSON.parse(ok.body).data.k, 'v');
});

test('unknown resources are 404 and unsupported verbs 405, as Status', async () => {
  const nf = await h1('GET', '/api/v1/widgets');
  assert.equal(nf.status, 404);
  assert.equal(JSON.parse(nf.body).reason, 'NotFound');
  assert.equal((await h1('GET', '/apis/nope.example.com/v1')).status, 404);
  const mna = await h1('DELETE', '/api/v1/componentstatuses/x');
  assert.equal(mna.status, 405);
  assert.equal(JSON.parse(mna.body).reason, 'MethodNotAllowed');
  const ns = await h1('DELETE', '/api/v1/namespaces');
  assert.equal(ns.status, 405);
});
