// HttpClient against a real kts server over HTTPS (HTTP/2, client
// certificate from the admin kubeconfig): requests, Status errors, watch
// streams, and an informer running over the network client.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../cluster/server.js';
import { HttpClient, kubeconfigToOptions } from './http-client.js';
import { ApiRequestError, isConflict, isGone, isNotFound, type WatchEvent } from './types.js';
import { Informer } from './informer.js';

let dir: string;
let server: RunningServer;
let client: HttpClient;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kts-http-client-'));
  server = await startServer({ dataDir: dir, port: 0, bindAddress: '127.0.0.1', storage: 'memory', tlsSANs: [], disable: ['scheduler', 'agent'], simNodes: 0, agent: {} });
  client = HttpClient.fromKubeconfig(server.kubeconfigPath);
});

after(async () => {
  client?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const CM = '/api/v1/namespaces/default/configmaps';

test('requests over HTTP/2 with the kubeconfig client certificate; errors carry the Status', async () => {
  const nsList = await client.get('/api/v1/namespaces');
  assert.equal(nsList.kind, 'NamespaceList');
  assert.ok(nsList.items.some((n: any) => n.metadata.name === 'kube-system'));

  const created = await client.create(CM, { metadata: { name: 'http1' }, data: { a: '1' } });
  assert.equal(created.metadata.name, 'http1');
  const merged = await client.patch(`${CM}/http1`, { data: { b: '2' } });
  assert.deepEqual(merged.data, { a: '1', b: '2' });
  const jsonPatched = await client.patch(`${CM}/http1`, [{ op: 'remove', path: '/data/a' }], 'json');
  assert.deepEqual(jsonPatched.data, { b: '2' });
  const smp = await client.patch(`${CM}/http1`, { metadata: { labels: { x: 'y' } } }, 'strategic');
  assert.equal(smp.metadata.labels.x, 'y');

  // Optimistic concurrency: an update with a stale resourceVersion conflicts.
  const stale = { ...created, data: { c: '3' } };
  await assert.rejects(client.update(`${CM}/http1`, stale), (e: unknown) => {
    assert.ok(e instanceof ApiRequestError);
    assert.equal(e.code, 409);
    assert.equal(isConflict(e), true);
    assert.equal(e.status.kind, 'Status');
    return true;
  });
  const fresh = await client.update(`${CM}/http1`, { ...smp, data: { c: '3' } });
  assert.deepEqual(fresh.data, { c: '3' });

  await assert.rejects(client.get(`${CM}/missing`), (e: unknown) => {
    assert.equal(isNotFound(e), true);
    assert.equal((e as ApiRequestError).reason, 'NotFound');
    assert.match((e as ApiRequestError).message, /configmaps "missing" not found/);
    return true;
  });
  const del = await client.delete(`${CM}/http1`);
  assert.ok(del.kind === 'ConfigMap' || del.kind === 'Status');
});

test('watch streams newline-delimited events; a refused watch rejects with the Status', async () => {
  const list = await client.get(CM);
  const events: WatchEvent[] = [];
  let ended = false;
  const h = await client.watch(
    `${CM}?resourceVersion=${list.metadata.resourceVersion}`,
    (ev) => events.push(ev),
    () => (ended = true),
  );
  await client.create(CM, { metadata: { name: 'w1' } });
  await client.patch(`${CM}/w1`, { data: { k: 'v' } });
  await client.delete(`${CM}/w1`);
  await waitFor(() => events.length >= 3, 'three events');
  assert.deepEqual(
    events.slice(0, 3).map((e) => `${e.type} ${e.object.metadata.name}`),
    ['ADDED w1', 'MODIFIED w1', 'DELETED w1'],
  );
  h.stop();
  await client.create(CM, { metadata: { name: 'w2' } });
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(events.some((e) => e.object?.metadata?.name === 'w2'), false, 'no events after stop');
  assert.equal(ended, false, 'onEnd is not called for a watch the caller stopped');

  await assert.rejects(client.watch('/api/v1/nosuchresources', () => {}), (e: unknown) => {
    assert.ok(e instanceof ApiRequestError);
    assert.equal(e.code, 404);
    return true;
  });
});

test('an informer over the network client lists, watches and follows changes', async () => {
  await client.create(CM, { metadata: { name: 'inf1', labels: { via: 'http' } } });
  const inf = new Informer<any>(client, CM, { labelSelector: 'via=http', backoff: { initialMs: 10 } });
  const seen: string[] = [];
  inf.addEventHandler({ onAdd: (o) => seen.push(`add ${o.metadata.name}`), onDelete: (o: any) => seen.push(`delete ${o.metadata?.name ?? o.key}`) });
  inf.start();
  try {
    assert.equal(await inf.waitForSync(), true);
    await client.create(CM, { metadata: { name: 'inf2', labels: { via: 'http' } } });
    await client.delete(`${CM}/inf1`);
    await waitFor(() => seen.length === 3, 'events');
    assert.deepEqual(seen, ['add inf1', 'add inf2', 'delete inf1']);
    assert.deepEqual(inf.keys(), ['default/inf2']);
  } finally {
    inf.stop();
  }
});

test('kubeconfig: current or named context, data or file credentials, token and token file', () => {
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, 'CA-PEM');
  writeFileSync(join(dir, 'token'), 'file-token\n');
  const text = `
apiVersion: v1
kind: Config
current-context: agent
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443/prefix
    certificate-authority: ca.crt
    tls-server-name: kubernetes
contexts:
- name: agent
  context: { cluster: c1, user: u1, namespace: kube-system }
- name: other
  context: { cluster: c1, user: u2 }
users:
- name: u1
  user: { token: abc }
- name: u2
  user: { tokenFile: token, client-certificate-data: ${Buffer.from('CERT').toString('base64')}, client-key-data: ${Buffer.from('KEY').toString('base64')} }
`;
  const a = kubeconfigToOptions(text, dir);
  assert.equal(a.server, 'https://10.0.0.1:6443/prefix');
  assert.equal(String(a.ca), 'CA-PEM');
  assert.equal(a.token, 'abc');
  assert.equal(a.namespace, 'kube-system');
  assert.equal(a.tlsServerName, 'kubernetes');
  const b = kubeconfigToOptions(text, dir, 'other');
  assert.equal(String(b.cert), 'CERT');
  assert.equal(String(b.key), 'KEY');
  assert.equal(b.tokenFile, join(dir, 'token'));
  assert.throws(() => kubeconfigToOptions(text, dir, 'nope'), /no context "nope"/);
  assert.throws(() => new HttpClient({ server: 'http://insecure' }), /https/);
});

test('bearer token, server path prefix, non-Status errors, a 410 watch, and events split across chunks', async () => {
  const tls = join(dir, 'tls');
  const stub = http2.createSecureServer({
    cert: readFileSync(join(tls, 'serving-kube-apiserver.crt')),
    key: readFileSync(join(tls, 'serving-kube-apiserver.key')),
  });
  stub.on('stream', (stream, headers) => {
    const path = String(headers[':path']);
    if (path.startsWith('/prefix/api/v1/echo')) {
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.end(JSON.stringify({ auth: headers.authorization, path }));
    } else if (path.startsWith('/prefix/api/v1/busy')) {
      stream.respond({ ':status': 503, 'content-type': 'text/plain' });
      stream.end('overloaded\n');
    } else if (path.startsWith('/prefix/api/v1/old') && path.includes('watch=true')) {
      stream.respond({ ':status': 410, 'content-type': 'application/json' });
      stream.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'too old' }));
    } else {
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      const a = JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'x' } } });
      const b = JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '9' } } });
      stream.write(a.slice(0, 10));
      setTimeout(() => {
        stream.write(a.slice(10) + '\n' + b.slice(0, 5));
        setTimeout(() => stream.end(b.slice(5) + '\n'), 5);
      }, 5);
    }
  });
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', () => r()));
  const port = (stub.address() as AddressInfo).port;
  const c = new HttpClient({ server: `https://127.0.0.1:${port}/prefix/`, ca: readFileSync(join(tls, 'server-ca.crt')), token: 's3cret' });
  try {
    const echo = await c.get('/api/v1/echo?x=1');
    assert.deepEqual(echo, { auth: 'Bearer s3cret', path: '/prefix/api/v1/echo?x=1' });

    await assert.rejects(c.get('/api/v1/busy'), (e: unknown) => {
      assert.ok(e instanceof ApiRequestError);
      assert.equal(e.code, 503);
      assert.equal(e.status.kind, 'Status');
      assert.equal(e.status.message, 'overloaded');
      return true;
    });
    await assert.rejects(c.watch('/api/v1/old?resourceVersion=1', () => {}), (e: unknown) => isGone(e));

    const events: WatchEvent[] = [];
    let ended = false;
    await c.watch('/api/v1/stream', (ev) => events.push(ev), () => (ended = true));
    await waitFor(() => ended, 'stream end');
    assert.deepEqual(events.map((e) => e.type), ['ADDED', 'BOOKMARK']);
    assert.equal(events[1].object.metadata.resourceVersion, '9');
  } finally {
    c.close();
    await new Promise<void>((r) => stub.close(() => r()));
  }
});
