// The API server audit log as upstream writes it: a real `kts server` with
// --audit-log-path and --audit-policy-file, driven by the real kubectl.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKts, eventually, type KtsProcess } from './harness.js';

const POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    users: [system:kube-controller-manager, system:kube-scheduler, system:kube-proxy]
  - level: None
    verbs: [get, list, watch]
    resources:
      - group: ""
        resources: [events]
      - group: events.k8s.io
        resources: [events]
  - level: Metadata
    resources:
      - group: ""
        resources: [secrets]
  - level: RequestResponse
    namespaces: [audited]
    resources:
      - group: ""
        resources: [configmaps]
  - level: Metadata
`;

let kts: KtsProcess;
let dir: string;
let logPath: string;

type Ev = Record<string, any>;

function events(): Ev[] {
  let text = '';
  try {
    text = readFileSync(logPath, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Ev);
}

/** The admin's events for one resource and verb, once the writer has flushed them. */
async function eventsFor(verb: string, resource: string, name: string | undefined, stages: number): Promise<Ev[]> {
  return eventually(`${verb} ${resource} events`, async () => {
    const got = events().filter((e) => e.user.username === 'system:admin' && e.verb === verb && e.objectRef?.resource === resource && (name === undefined || e.objectRef?.name === name));
    return got.length >= stages ? got : undefined;
  }, 5000).catch((e) => {
    throw new Error(`${(e as Error).message}; the log has:\n${events().filter((x) => x.user.username === 'system:admin').map((x) => JSON.stringify(x)).join('\n')}`);
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kts-audit-'));
  logPath = join(dir, 'audit.log');
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  kts = await startKts({ extraArgs: ['--audit-log-path', logPath, '--audit-policy-file', join(dir, 'policy.yaml')] });
  await kts.k(['create', 'namespace', 'audited']);
});

after(async () => {
  await kts?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a configmap created in `audited` is logged at RequestResponse, both stages', async () => {
  await kts.k(['create', 'configmap', 'c1', '-n', 'audited', '--from-literal=a=1']);
  const evs = await eventsFor('create', 'configmaps', 'c1', 2);
  assert.deepEqual(evs.map((e) => e.stage), ['RequestReceived', 'ResponseComplete']);
  const [rr, done] = evs as [Ev, Ev];
  assert.equal(rr.auditID, done.auditID);
  for (const e of evs) {
    assert.equal(e.kind, 'Event');
    assert.equal(e.apiVersion, 'audit.k8s.io/v1');
    assert.equal(e.level, 'RequestResponse');
    assert.deepEqual(e.objectRef, { resource: 'configmaps', namespace: 'audited', name: 'c1', apiVersion: 'v1' });
    assert.deepEqual(e.user.groups, ['system:masters', 'system:authenticated']);
    assert.match(e.userAgent, /^kubectl/);
    assert.ok(e.sourceIPs.includes('127.0.0.1'), JSON.stringify(e.sourceIPs));
    assert.equal(e.requestObject.data.a, '1');
    assert.match(e.requestURI, /^\/api\/v1\/namespaces\/audited\/configmaps\?/);
    assert.match(e.requestReceivedTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  }
  assert.equal(rr.responseStatus, undefined);
  assert.equal(rr.responseObject, undefined);
  assert.deepEqual(done.responseStatus, { metadata: {}, code: 201 });
  assert.equal(done.responseObject.metadata.name, 'c1');
  assert.equal(done.annotations['authorization.k8s.io/decision'], 'allow');
});

test('secrets are logged at Metadata: no request or response bodies', async () => {
  await kts.k(['create', 'secret', 'generic', 's1', '--from-literal=password=hunter2']);
  await kts.k(['get', 'secret', 's1', '-o', 'name']);
  for (const verb of ['create', 'get']) {
    const evs = await eventsFor(verb, 'secrets', 's1', 2);
    assert.deepEqual(evs.map((e) => [e.stage, e.level, e.responseStatus?.code]), [['RequestReceived', 'Metadata', undefined], ['ResponseComplete', 'Metadata', verb === 'create' ? 201 : 200]]);
    for (const e of evs) {
      assert.equal(e.requestObject, undefined);
      assert.equal(e.responseObject, undefined);
      assert.deepEqual(e.objectRef, { resource: 'secrets', namespace: 'default', name: 's1', apiVersion: 'v1' });
    }
  }
  assert.ok(!readFileSync(logPath, 'utf8').includes(Buffer.from('hunter2').toString('base64')));
});

test('a Forbidden request via --as jane: impersonatedUser and decision forbid', async () => {
  const r = await kts.kubectl(['--as', 'jane', 'get', 'configmap', 'c1', '-n', 'audited']);
  assert.equal(r.code, 1);
  const evs = await eventsFor('get', 'configmaps', 'c1', 2);
  // As upstream, impersonation comes after RequestReceived: only the later stage names jane.
  const id = evs.find((e) => e.impersonatedUser?.username === 'jane')?.auditID;
  const forbidden = evs.filter((e) => e.auditID === id);
  assert.deepEqual(forbidden.map((e) => [e.stage, e.impersonatedUser?.username]), [['RequestReceived', undefined], ['ResponseComplete', 'jane']]);
  const done = forbidden[1]!;
  assert.equal(done.level, 'RequestResponse');
  assert.equal(done.responseStatus.code, 403);
  assert.equal(done.responseStatus.reason, 'Forbidden');
  assert.equal(done.responseStatus.status, 'Failure');
  assert.match(done.responseStatus.message, /User "jane" cannot get resource "configmaps"/);
  assert.equal(done.annotations['authorization.k8s.io/decision'], 'forbid');
  assert.equal(done.requestObject, undefined);
});

test('a delete, a watch, and nothing for the None rules', async () => {
  await kts.k(['delete', 'configmap', 'c1', '-n', 'audited']);
  const del = await eventsFor('delete', 'configmaps', 'c1', 2);
  assert.deepEqual(del.map((e) => [e.stage, e.responseStatus?.code]), [['RequestReceived', undefined], ['ResponseComplete', 200]]);
  assert.equal(del[1]!.level, 'RequestResponse');

  await kts.k(['get', '--raw', '/api/v1/namespaces/audited/configmaps?watch=1&timeoutSeconds=1']);
  const watch = await eventsFor('watch', 'configmaps', undefined, 3);
  assert.deepEqual(watch.map((e) => e.stage), ['RequestReceived', 'ResponseStarted', 'ResponseComplete']);
  assert.equal(watch[1]!.responseStatus.code, 200);

  await kts.k(['get', 'events', '-A']);
  await kts.k(['get', 'pods', '-A']);
  await eventsFor('list', 'pods', undefined, 2);
  const all = events();
  assert.equal(all.filter((e) => e.objectRef?.resource === 'events' && ['get', 'list', 'watch'].includes(e.verb)).length, 0);
  assert.equal(all.filter((e) => /^system:kube-(controller-manager|scheduler|proxy)$/.test(e.user.username)).length, 0);
});

test('the Audit-Id response header is the event\'s auditID', async () => {
  const r = await kts.kubectl(['-v=8', 'get', 'namespace', 'audited']);
  assert.equal(r.code, 0, r.stderr);
  const m = /Audit-Id: ([0-9a-f-]{36})/i.exec(r.stderr);
  assert.ok(m, r.stderr);
  const evs = await eventsFor('get', 'namespaces', 'audited', 2);
  const mine = evs.filter((e) => e.auditID === m[1]);
  assert.deepEqual(mine.map((e) => [e.stage, e.level]), [['RequestReceived', 'Metadata'], ['ResponseComplete', 'Metadata']]);
});
