// ServiceAccount tokens, bootstrap tokens and static tokens as users meet
// them: the real kubectl against a real `kts server`, authenticating with
// bearer tokens only (a kubeconfig without a client certificate).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKts, eventually, run, KUBECTL, MAIN, type KtsProcess } from './harness.js';
import { signJwt } from '../../src/auth/jwt.js';

let kts: KtsProcess;
let dir: string;
let caFile: string;
const UNAUTHORIZED = 'error: You must be logged in to the server (Unauthorized)';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kts-satoken-'));
  writeFileSync(join(dir, 'tokens.csv'), 'static-secret-token,alice,1001,"dev,ops"\n');
  writeFileSync(join(dir, 'empty.kubeconfig'), '');
  kts = await startKts({ extraArgs: ['--token-auth-file', join(dir, 'tokens.csv')] });
  caFile = join(kts.dataDir, 'tls', 'server-ca.crt');
  await kts.k(['create', 'configmap', 'x', '--from-literal=a=1']);
  await kts.k(['create', 'serviceaccount', 'robot']);
  await kts.k(['create', 'role', 'cm-reader', '--verb=get', '--resource=configmaps']);
  await kts.k(['create', 'rolebinding', 'robot-reads', '--role=cm-reader', '--serviceaccount=default:robot']);
});

after(async () => {
  await kts?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** kubectl authenticating with `token` only. */
function withToken(token: string, args: string[]) {
  return run(KUBECTL, ['--server', kts.url, '--certificate-authority', caFile, '--token', token, ...args], { env: { ...process.env, KUBECONFIG: join(dir, 'empty.kubeconfig') } });
}

test('kubectl create token: the token works as the ServiceAccount, within its RBAC rules', async () => {
  const token = (await kts.k(['create', 'token', 'robot'])).trim();
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
  assert.equal(claims.iss, 'https://kubernetes.default.svc.cluster.local');
  assert.deepEqual(claims.aud, ['https://kubernetes.default.svc.cluster.local']);
  assert.equal(claims.sub, 'system:serviceaccount:default:robot');
  assert.equal(claims.exp - claims.iat, 3600);
  assert.equal(claims['kubernetes.io'].namespace, 'default');
  assert.equal(claims['kubernetes.io'].serviceaccount.name, 'robot');
  const got = await eventually('robot can get configmaps', async () => {
    const r = await withToken(token, ['get', 'cm', 'x', '-o', 'jsonpath={.data.a}']);
    return r.code === 0 ? r.stdout : undefined;
  }, 10_000);
  assert.equal(got, '1');
  const del = await withToken(token, ['delete', 'cm', 'x']);
  assert.equal(del.code, 1);
  assert.equal(del.stderr.trim(), 'Error from server (Forbidden): configmaps "x" is forbidden: User "system:serviceaccount:default:robot" cannot delete resource "configmaps" in API group "" in the namespace "default"');
  const who = await withToken(token, ['auth', 'whoami']);
  assert.equal(who.code, 0, who.stderr);
  assert.match(who.stdout, /Username\s+system:serviceaccount:default:robot\n/);
  assert.match(who.stdout, /Groups\s+\[system:serviceaccounts system:serviceaccounts:default system:authenticated\]/);
  assert.match(who.stdout, /Extra: authentication\.kubernetes\.io\/credential-id\s+\[JTI=/);
  // --duration below ten minutes is refused.
  const short = await kts.kubectl(['create', 'token', 'robot', '--duration', '5m']);
  assert.equal(short.code, 1);
  assert.match(short.stderr, /spec\.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes/);
  const ten = (await kts.k(['create', 'token', 'robot', '--duration', '10m'])).trim();
  const c10 = JSON.parse(Buffer.from(ten.split('.')[1]!, 'base64url').toString());
  assert.equal(c10.exp - c10.iat, 600);
  const missing = await kts.kubectl(['create', 'token', 'nobody']);
  assert.match(missing.stderr, /serviceaccounts "nobody" not found/);
});

test('expired, wrongly signed and wrong-audience tokens get 401 Unauthorized', async () => {
  const key = createPrivateKey(readFileSync(join(kts.dataDir, 'tls', 'sa.key'), 'utf8'));
  const sa = JSON.parse(await kts.k(['get', 'sa', 'robot', '-o', 'json']));
  const now = Math.floor(Date.now() / 1000);
  const claims = (exp: number) => ({
    aud: ['https://kubernetes.default.svc.cluster.local'],
    exp,
    iat: exp - 3600,
    nbf: exp - 3600,
    iss: 'https://kubernetes.default.svc.cluster.local',
    'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'robot', uid: sa.metadata.uid } },
    sub: 'system:serviceaccount:default:robot',
  });
  // The same claims, unexpired, work: the crafted token is right but for its expiry.
  assert.equal((await withToken(signJwt(claims(now + 600), key), ['get', 'cm', 'x', '-o', 'name'])).stdout.trim(), 'configmap/x');
  const expired = await withToken(signJwt(claims(now - 10), key), ['get', 'cm', 'x']);
  assert.equal(expired.code, 1);
  assert.equal(expired.stderr.trim(), UNAUTHORIZED);
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const forged = await withToken(signJwt(claims(now + 600), other), ['get', 'cm', 'x']);
  assert.equal(forged.stderr.trim(), UNAUTHORIZED);
  const vault = (await kts.k(['create', 'token', 'robot', '--audience', 'vault'])).trim();
  const aud = await withToken(vault, ['get', 'cm', 'x']);
  assert.equal(aud.stderr.trim(), UNAUTHORIZED);
  assert.equal((await withToken('garbage', ['get', 'cm', 'x'])).stderr.trim(), UNAUTHORIZED);
  // The Status body, as upstream's.
  const raw = await withToken('garbage', ['get', '--raw', '/api/v1/namespaces']);
  assert.match(raw.stderr, /Unauthorized/);
  // TokenReview tells the same story.
  const review = (token: string, audiences?: string[]) =>
    kts.k(['create', '-o', 'json', '-f', '-'], JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } }));
  const ok = JSON.parse(await review(signJwt(claims(now + 600), key)));
  assert.equal(ok.status.authenticated, true);
  assert.equal(ok.status.user.username, 'system:serviceaccount:default:robot');
  assert.deepEqual(ok.status.audiences, ['https://kubernetes.default.svc.cluster.local']);
  const bad = JSON.parse(await review(vault));
  assert.equal(bad.status.authenticated, undefined);
  assert.match(bad.status.error, /audience/);
  assert.equal(JSON.parse(await review(vault, ['vault'])).status.authenticated, true);
});

test('a token bound to a pod stops working once the pod is deleted', async () => {
  await kts.k(['run', 'bound', '--image=busybox', '--overrides', JSON.stringify({ spec: { serviceAccountName: 'robot' } })]);
  const token = (await kts.k(['create', 'token', 'robot', '--bound-object-kind', 'Pod', '--bound-object-name', 'bound'])).trim();
  const pod = JSON.parse(await kts.k(['get', 'pod', 'bound', '-o', 'json']));
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
  assert.deepEqual(claims['kubernetes.io'].pod, { name: 'bound', uid: pod.metadata.uid });
  const who = await withToken(token, ['auth', 'whoami', '-o', 'json']);
  assert.equal(who.code, 0, who.stderr);
  const info = JSON.parse(who.stdout).status.userInfo;
  assert.deepEqual(info.extra['authentication.kubernetes.io/pod-name'], ['bound']);
  assert.deepEqual(info.extra['authentication.kubernetes.io/pod-uid'], [pod.metadata.uid]);
  // Binding to a pod of another ServiceAccount is refused.
  await kts.k(['run', 'other', '--image=busybox']);
  const wrong = await kts.kubectl(['create', 'token', 'robot', '--bound-object-kind', 'Pod', '--bound-object-name', 'other']);
  assert.match(wrong.stderr, /cannot bind token for serviceaccount "robot" to pod running with different serviceaccount name/);
  await kts.k(['delete', 'pod', 'bound', '--wait=false']);
  await eventually('the pod is gone', async () => ((await kts.kubectl(['get', 'pod', 'bound'])).code === 1 ? true : undefined), 10_000);
  const after = await withToken(token, ['get', 'cm', 'x']);
  assert.equal(after.stderr.trim(), UNAUTHORIZED);
});

test('a legacy token Secret is filled by the token controller and its token works', async () => {
  await kts.k(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'robot-token', annotations: { 'kubernetes.io/service-account.name': 'robot' } }, type: 'kubernetes.io/service-account-token' }));
  const secret = await eventually('data.token is filled', async () => {
    const s = JSON.parse(await kts.k(['get', 'secret', 'robot-token', '-o', 'json']));
    return s.data?.token ? s : undefined;
  }, 15_000);
  assert.equal(Buffer.from(secret.data.namespace, 'base64').toString(), 'default');
  assert.equal(Buffer.from(secret.data['ca.crt'], 'base64').toString(), readFileSync(caFile, 'utf8'));
  assert.ok(secret.metadata.annotations['kubernetes.io/service-account.uid']);
  const token = Buffer.from(secret.data.token, 'base64').toString();
  const r = await withToken(token, ['get', 'cm', 'x', '-o', 'name']);
  assert.equal(r.stdout.trim(), 'configmap/x', r.stderr);
  await kts.k(['delete', 'secret', 'robot-token']);
  assert.equal((await withToken(token, ['get', 'cm', 'x'])).stderr.trim(), UNAUTHORIZED);
});

test('pods get the default ServiceAccount and the kube-api-access volume; a missing ServiceAccount is refused', async () => {
  await kts.k(['run', 'plain', '--image=busybox']);
  const pod = JSON.parse(await kts.k(['get', 'pod', 'plain', '-o', 'json']));
  assert.equal(pod.spec.serviceAccountName, 'default');
  assert.equal(pod.spec.serviceAccount, 'default');
  const vol = pod.spec.volumes.find((v: any) => v.name.startsWith('kube-api-access-'));
  assert.match(vol.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.deepEqual(vol.projected, {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
      { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
    ],
  });
  assert.deepEqual(pod.spec.containers[0].volumeMounts, [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: vol.name, readOnly: true }]);
  // automountServiceAccountToken: false on the pod: no volume.
  await kts.k(['run', 'nomount', '--image=busybox', '--overrides', JSON.stringify({ spec: { automountServiceAccountToken: false } })]);
  const nomount = JSON.parse(await kts.k(['get', 'pod', 'nomount', '-o', 'json']));
  assert.equal(nomount.spec.volumes, undefined);
  assert.equal(nomount.spec.containers[0].volumeMounts, undefined);
  const bad = await kts.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad' }, spec: { serviceAccountName: 'nope', containers: [{ name: 'c', image: 'busybox' }] } }) });
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.trim(), 'Error from server (Forbidden): error when creating "STDIN": pods "bad" is forbidden: error looking up service account default/nope: serviceaccount "nope" not found');
});

test('a new namespace gets kube-root-ca.crt, and pods can be created in it at once', async () => {
  await kts.k(['create', 'namespace', 'fresh']);
  await kts.k(['run', 'early', '-n', 'fresh', '--image=busybox']);
  const cm = await eventually('kube-root-ca.crt', async () => {
    const r = await kts.kubectl(['get', 'cm', 'kube-root-ca.crt', '-n', 'fresh', '-o', 'json']);
    return r.code === 0 ? JSON.parse(r.stdout) : undefined;
  }, 10_000);
  assert.equal(cm.data['ca.crt'], readFileSync(caFile, 'utf8'));
});

test('a static token file user authenticates', async () => {
  const who = await withToken('static-secret-token', ['auth', 'whoami', '-o', 'json']);
  assert.equal(who.code, 0, who.stderr);
  const u = JSON.parse(who.stdout).status.userInfo;
  assert.equal(u.username, 'alice');
  assert.equal(u.uid, '1001');
  assert.deepEqual(u.groups, ['dev', 'ops', 'system:authenticated']);
});

test('kts token create makes a bootstrap token that authenticates; list shows it; delete revokes it', async () => {
  const env = { ...process.env, KUBECONFIG: kts.kubeconfig };
  const created = await run(process.execPath, [MAIN, 'token', 'create', '--description', 'for tests'], { env });
  assert.equal(created.code, 0, created.stderr);
  // The join token: K10<sha256 of the CA>::<bootstrap token>.
  const joinToken = created.stdout.trim();
  assert.match(joinToken, /^K10[0-9a-f]{64}::[a-z0-9]{6}\.[a-z0-9]{16}$/);
  const token = joinToken.split('::')[1]!;
  const id = token.split('.')[0]!;
  const who = await withToken(token, ['auth', 'whoami', '-o', 'json']);
  assert.equal(who.code, 0, who.stderr);
  const u = JSON.parse(who.stdout).status.userInfo;
  assert.equal(u.username, `system:bootstrap:${id}`);
  assert.deepEqual(u.groups, ['system:bootstrappers', 'system:bootstrappers:kts:default-node-token', 'system:authenticated']);
  const list = await run(process.execPath, [MAIN, 'token', 'list', '--kubeconfig', kts.kubeconfig], {});
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS\n/);
  assert.match(list.stdout, new RegExp(`${token.replace('.', '\\.')}\\s+23h\\s+\\S+Z\\s+authentication,signing\\s+for tests\\s+system:bootstrappers:kts:default-node-token`));
  const del = await run(process.execPath, [MAIN, 'token', 'delete', id], { env });
  assert.equal(del.stdout.trim(), `bootstrap token "${id}" deleted`);
  assert.equal((await withToken(token, ['get', 'cm', 'x'])).stderr.trim(), UNAUTHORIZED);
});
