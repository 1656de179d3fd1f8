// The authentication stage through the API pipeline with the memory store:
// TokenRequest validation and bound objects, bearer tokens on requests,
// TokenReview, and ServiceAccount admission of pods (upstream
// pkg/registry/core/serviceaccount/storage/token.go,
// plugin/pkg/admission/serviceaccount/admission.go).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiServer, type UserInfo } from './api-server.js';
import { MemoryStore } from '../storage/memory.js';

const ADMIN: UserInfo = { name: 'admin', groups: ['system:masters'] };
let api: ApiServer;

before(async () => {
  api = new ApiServer({ store: new MemoryStore(), authentication: { serviceAccountAdmission: true } });
  await api.start();
  for (const sa of ['default', 'robot']) await call('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: sa } });
  await call('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'quiet' }, automountServiceAccountToken: false });
});
after(async () => {
  await api.stop();
});

async function call(method: string, path: string, body?: unknown, opts: { user?: UserInfo; authorization?: string } = {}) {
  const res = await api.handle({
    method,
    path,
    query: new URLSearchParams(),
    headers: { contentType: 'application/json', authorization: opts.authorization },
    body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
    user: opts.authorization ? undefined : (opts.user ?? ADMIN),
  });
  const text = 'body' in res ? res.body : '';
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const pod = (name: string, spec: object = {}) => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } });

test('TokenRequest: defaults, minimum lifetime, audiences, missing ServiceAccount', async () => {
  const r = await call('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: {} });
  assert.equal(r.status, 201);
  assert.equal(r.body.kind, 'TokenRequest');
  assert.equal(r.body.spec.expirationSeconds, 3600);
  assert.deepEqual(r.body.spec.audiences, ['https://kubernetes.default.svc.cluster.local']);
  assert.match(r.body.status.expirationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const who = await call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {}, { authorization: `Bearer ${r.body.status.token}` });
  assert.equal(who.status, 201);
  assert.equal(who.body.status.userInfo.username, 'system:serviceaccount:default:robot');
  const short = await call('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { expirationSeconds: 599 } });
  assert.equal(short.status, 422);
  assert.equal(short.body.message, 'TokenRequest.authentication.k8s.io "robot" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes');
  const none = await call('POST', '/api/v1/namespaces/default/serviceaccounts/ghost/token', { spec: {} });
  assert.equal(none.status, 404);
  const pod404 = await call('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'gone' } } });
  assert.equal(pod404.status, 404);
  assert.equal(pod404.body.message, 'pods "gone" not found');
  const cm = await call('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'x' } } });
  assert.equal(cm.status, 400);
});

test('bad bearer tokens are 401 Unauthorized; no token is anonymous', async () => {
  const r = await call('GET', '/api/v1/namespaces', undefined, { authorization: 'Bearer nope' });
  assert.equal(r.status, 401);
  assert.deepEqual(r.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
});

test('TokenReview answers for the token and audiences asked', async () => {
  const t = (await call('POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { spec: { audiences: ['vault'] } })).body.status.token;
  const ok = await call('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { spec: { token: t, audiences: ['vault'] } });
  assert.equal(ok.status, 201);
  assert.equal(ok.body.status.authenticated, true);
  assert.deepEqual(ok.body.status.audiences, ['vault']);
  assert.equal(ok.body.status.user.username, 'system:serviceaccount:default:robot');
  const no = await call('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { spec: { token: t } });
  assert.equal(no.body.status.authenticated, undefined);
  assert.ok(no.body.status.error);
});

test('ServiceAccount admission: default name, volume in every container, opt-outs, missing account', async () => {
  const r = await call('POST', '/api/v1/namespaces/default/pods', pod('a', { initContainers: [{ name: 'i', image: 'busybox' }] }));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.spec.serviceAccountName, 'default');
  const vol = r.body.spec.volumes.find((v: any) => v.name.startsWith('kube-api-access-'));
  assert.ok(vol.projected.sources[0].serviceAccountToken);
  for (const c of [...r.body.spec.initContainers, ...r.body.spec.containers]) {
    assert.deepEqual(c.volumeMounts, [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: vol.name, readOnly: true }]);
  }
  // The admitted pod passes validation on later writes (the kubelet's status updates).
  const st = await call('PUT', '/api/v1/namespaces/default/pods/a/status', { ...r.body, status: { phase: 'Running' } });
  assert.equal(st.status, 200, JSON.stringify(st.body));
  // A container mounting something else at the path keeps it.
  const own = await call('POST', '/api/v1/namespaces/default/pods', pod('b', { volumes: [{ name: 'mine', emptyDir: {} }], containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'mine', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }] }] }));
  assert.deepEqual(own.body.spec.volumes.map((v: any) => v.name), ['mine']);
  const quiet = await call('POST', '/api/v1/namespaces/default/pods', pod('c', { serviceAccountName: 'quiet' }));
  assert.equal(quiet.body.spec.volumes, undefined);
  const loud = await call('POST', '/api/v1/namespaces/default/pods', pod('d', { serviceAccountName: 'quiet', automountServiceAccountToken: true }));
  assert.equal(loud.body.spec.volumes.length, 1);
  const mirror = await call('POST', '/api/v1/namespaces/default/pods', { ...pod('e', { nodeName: 'n1' }), metadata: { name: 'e', annotations: { 'kubernetes.io/config.mirror': 'x' } } });
  assert.equal(mirror.status, 201, JSON.stringify(mirror.body));
  assert.equal(mirror.body.spec.volumes, undefined);
  const missing = await call('POST', '/api/v1/namespaces/default/pods', pod('f', { serviceAccountName: 'nope' }));
  assert.equal(missing.status, 403);
  assert.equal(missing.body.message, 'pods "f" is forbidden: error looking up service account default/nope: serviceaccount "nope" not found');
});
