// RBAC as users meet it: the real kubectl against a real `kts server`,
// impersonating other users with --as.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKts, eventually, run, KUBECTL, type KtsProcess } from './harness.js';
import { issueClientCertificate, kubeconfigYAML, PKI_FILES } from '../../src/apiserver/pki/index.js';

let kts: KtsProcess;

before(async () => {
  kts = await startKts();
  await kts.k(['create', 'configmap', 'x', '--from-literal=a=1']);
  await kts.k(['create', 'role', 'cm-reader', '--verb=get', '--resource=configmaps']);
  await kts.k(['create', 'rolebinding', 'jane-reads', '--role=cm-reader', '--user=jane']);
  // The authorizer follows the watch caches; wait until the binding is in effect.
  await eventually('jane can get configmaps', async () => ((await kts.kubectl(['--as', 'jane', 'get', 'cm', 'x'])).code === 0 ? true : undefined), 10_000);
});

after(async () => {
  await kts?.stop();
});

test('a Role bound to jane allows exactly its rule', async () => {
  const got = await kts.k(['--as', 'jane', 'get', 'cm', 'x', '-o', 'jsonpath={.data.a}']);
  assert.equal(got, '1');
  const del = await kts.kubectl(['--as', 'jane', 'delete', 'cm', 'x']);
  assert.equal(del.code, 1);
  assert.equal(del.stderr.trim(), 'Error from server (Forbidden): configmaps "x" is forbidden: User "jane" cannot delete resource "configmaps" in API group "" in the namespace "default"');
  const list = await kts.kubectl(['--as', 'jane', 'get', 'cm']);
  assert.equal(list.stderr.trim(), 'Error from server (Forbidden): configmaps is forbidden: User "jane" cannot list resource "configmaps" in API group "" in the namespace "default"');
  const nodes = await kts.kubectl(['--as', 'jane', 'get', 'nodes']);
  assert.equal(nodes.stderr.trim(), 'Error from server (Forbidden): nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope');
  // Another namespace is not covered by the RoleBinding.
  const other = await kts.kubectl(['--as', 'jane', 'get', 'cm', 'x', '-n', 'kube-system']);
  assert.match(other.stderr, /configmaps "x" is forbidden: User "jane" cannot get resource "configmaps" in API group "" in the namespace "kube-system"/);
  // The Status itself: 403, reason Forbidden, details name and kind.
  const raw = await kts.kubectl(['--as', 'jane', 'get', '--raw', '/api/v1/namespaces/default/secrets/s1']);
  assert.equal(raw.code, 1);
  assert.match(raw.stderr, /secrets "s1" is forbidden/);
});

test('kubectl auth can-i answers for jane, and for the admin', async () => {
  const no = await kts.kubectl(['auth', 'can-i', 'delete', 'configmaps', '--as', 'jane']);
  assert.equal(no.code, 1);
  assert.equal(no.stdout.trim(), 'no');
  const yes = await kts.kubectl(['auth', 'can-i', 'get', 'configmaps', '--as', 'jane']);
  assert.equal(yes.code, 0);
  assert.equal(yes.stdout.trim(), 'yes');
  assert.equal((await kts.kubectl(['auth', 'can-i', 'get', 'configmaps', '--as', 'jane', '-n', 'kube-system'])).stdout.trim(), 'no');
  assert.equal((await kts.k(['auth', 'can-i', '*', '*'])).trim(), 'yes');
});

test('kubectl auth can-i --list shows jane\'s rules', async () => {
  const out = await kts.k(['auth', 'can-i', '--list', '--as', 'jane']);
  const lines = out.split('\n');
  assert.match(lines[0], /^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/);
  assert.ok(lines.some((l) => /^configmaps\s+\[\]\s+\[\]\s+\[get\]$/.test(l)), out);
  assert.ok(lines.some((l) => /^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/.test(l)), out);
  assert.ok(!lines.some((l) => /^secrets/.test(l)), out);
});

test('kubectl auth whoami shows the admin and an impersonated user', async () => {
  const out = await kts.k(['auth', 'whoami']);
  assert.deepEqual(out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/)), [
    ['ATTRIBUTE', 'VALUE'],
    ['Username', 'system:admin'],
    ['Groups', '[system:masters system:authenticated]'],
  ]);
  const as = await kts.k(['auth', 'whoami', '--as', 'jane', '--as-group', 'devs', '-o', 'json']);
  assert.deepEqual(JSON.parse(as).status.userInfo, { username: 'jane', groups: ['devs', 'system:authenticated'] });
});

test('a ServiceAccount subject, and the groups of ServiceAccounts', async () => {
  await kts.k(['create', 'serviceaccount', 'sa1']);
  await kts.k(['create', 'rolebinding', 'sa1-view', '--clusterrole=view', '--serviceaccount=default:sa1']);
  const sa = 'system:serviceaccount:default:sa1';
  await eventually('sa1 can list pods', async () => ((await kts.kubectl(['auth', 'can-i', 'list', 'pods', '--as', sa])).code === 0 ? true : undefined), 10_000);
  assert.equal((await kts.k(['--as', sa, 'get', 'cm', 'x', '-o', 'name'])).trim(), 'configmap/x');
  const secrets = await kts.kubectl(['--as', sa, 'get', 'secrets']);
  assert.equal(secrets.stderr.trim(), `Error from server (Forbidden): secrets is forbidden: User "${sa}" cannot list resource "secrets" in API group "" in the namespace "default"`);
  // Group binding for every ServiceAccount of a namespace.
  await kts.k(['create', 'role', 'secret-reader', '--verb=list', '--resource=secrets']);
  await kts.k(['create', 'rolebinding', 'sas-read-secrets', '--role=secret-reader', '--group=system:serviceaccounts:default']);
  await eventually('sa1 can list secrets', async () => ((await kts.kubectl(['--as', sa, 'get', 'secrets'])).code === 0 ? true : undefined), 10_000);
  const other = 'system:serviceaccount:kube-system:other';
  assert.equal((await kts.kubectl(['auth', 'can-i', 'list', 'secrets', '-n', 'default', '--as', other])).stdout.trim(), 'no');
});

test('aggregation: a ClusterRole labelled aggregate-to-view adds its rules to view, edit and admin', async () => {
  await kts.k(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'nodes-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
      rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }],
    }),
  );
  for (const role of ['view', 'edit', 'admin']) {
    await eventually(`${role} has nodes`, async () => {
      const rules = JSON.parse(await kts.k(['get', 'clusterrole', role, '-o', 'jsonpath={.rules}']));
      return rules.some((r: any) => r.resources?.includes('nodes')) ? true : undefined;
    }, 10_000);
  }
  const view = JSON.parse(await kts.k(['get', 'clusterrole', 'view', '-o', 'json']));
  assert.ok(view.rules.some((r: any) => r.resources?.includes('pods/log')), 'view keeps the default rules');
  assert.ok(!view.rules.some((r: any) => r.resources?.includes('secrets')), 'view does not read secrets');
  assert.equal((await kts.kubectl(['get', 'nodes', '--as', 'bob'])).code, 1);
  await kts.k(['create', 'clusterrolebinding', 'bob-view', '--clusterrole=view', '--user=bob']);
  await eventually('bob can list nodes', async () => ((await kts.kubectl(['get', 'nodes', '--as', 'bob'])).code === 0 ? true : undefined), 10_000);
  assert.equal((await kts.kubectl(['auth', 'can-i', 'delete', 'nodes', '--as', 'bob'])).stdout.trim(), 'no');
});

test('impersonation needs the impersonate verb', async () => {
  // The admin (system:masters) may impersonate anyone, and any group.
  assert.equal((await kts.kubectl(['--as', 'jane', '--as-group', 'system:masters', 'delete', 'cm', 'x', '--dry-run=server'])).code, 0);
  // dave, a user of his own client certificate, may impersonate carol only.
  const ca = { certPem: readFileSync(join(kts.dataDir, 'tls', PKI_FILES.caCert), 'utf8'), keyPem: readFileSync(join(kts.dataDir, 'tls', PKI_FILES.caKey), 'utf8') };
  const dave = await issueClientCertificate(ca, { commonName: 'dave', organizations: ['devs'] });
  const kubeconfig = join(kts.dataDir, 'dave.kubeconfig');
  writeFileSync(kubeconfig, kubeconfigYAML({ server: kts.url, caPem: ca.certPem, client: dave }));
  const asDave = (args: string[]) => run(KUBECTL, ['--kubeconfig', kubeconfig, ...args]);
  await kts.k(['create', 'clusterrole', 'impersonate-carol', '--verb=impersonate', '--resource=users', '--resource-name=carol']);
  await kts.k(['create', 'clusterrolebinding', 'dave-impersonates-carol', '--clusterrole=impersonate-carol', '--user=dave']);
  await eventually('dave can impersonate carol', async () => ((await asDave(['auth', 'whoami', '--as', 'carol'])).code === 0 ? true : undefined), 10_000);
  const who = JSON.parse((await asDave(['auth', 'whoami', '--as', 'carol', '-o', 'json'])).stdout);
  assert.deepEqual(who.status.userInfo, { username: 'carol', groups: ['system:authenticated'] });
  const me = JSON.parse((await asDave(['auth', 'whoami', '-o', 'json'])).stdout);
  assert.deepEqual(me.status.userInfo, { username: 'dave', groups: ['devs', 'system:authenticated'] });
  const erin = await asDave(['get', 'cm', '--as', 'erin']);
  assert.equal(erin.code, 1);
  assert.equal(erin.stderr.trim(), 'Error from server (Forbidden): users "erin" is forbidden: User "dave" cannot impersonate resource "users" in API group "" at the cluster scope');
  const group = await asDave(['get', 'cm', '--as', 'carol', '--as-group', 'system:masters']);
  assert.equal(group.stderr.trim(), 'Error from server (Forbidden): groups "system:masters" is forbidden: User "dave" cannot impersonate resource "groups" in API group "" at the cluster scope');
  const sa = await asDave(['get', 'cm', '--as', 'system:serviceaccount:default:sa9']);
  assert.equal(sa.stderr.trim(), 'Error from server (Forbidden): serviceaccounts "sa9" is forbidden: User "dave" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "default"');
  // Without --as, dave is just dave: nothing beyond discovery and self reviews.
  const own = await asDave(['get', 'cm']);
  assert.equal(own.stderr.trim(), 'Error from server (Forbidden): configmaps is forbidden: User "dave" cannot list resource "configmaps" in API group "" in the namespace "default"');
});

test('default roles and bindings exist', async () => {
  const out = await kts.k(['get', 'clusterrole', 'admin', 'edit', 'view', 'cluster-admin', '-o', 'name']);
  assert.deepEqual(out.trim().split('\n'), ['clusterrole.rbac.authorization.k8s.io/admin', 'clusterrole.rbac.authorization.k8s.io/edit', 'clusterrole.rbac.authorization.k8s.io/view', 'clusterrole.rbac.authorization.k8s.io/cluster-admin']);
  const crb = JSON.parse(await kts.k(['get', 'clusterrolebinding', 'cluster-admin', '-o', 'json']));
  assert.deepEqual(crb.subjects, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }]);
  const names = (await kts.k(['get', 'clusterroles', '-o', 'name'])).trim().split('\n');
  for (const n of ['system:basic-user', 'system:discovery', 'system:public-info-viewer', 'system:node', 'system:kube-scheduler', 'system:kube-controller-manager', 'system:auth-delegator']) {
    assert.ok(names.includes(`clusterrole.rbac.authorization.k8s.io/${n}`), n);
  }
});

test('kubectl describe of RBAC objects', async () => {
  const role = await kts.k(['describe', 'role', 'cm-reader']);
  assert.match(role, /Name:\s+cm-reader/);
  assert.match(role, /configmaps\s+\[\]\s+\[\]\s+\[get\]/);
  const rb = await kts.k(['describe', 'rolebinding', 'jane-reads']);
  assert.match(rb, /Role:\n\s+Kind:\s+Role\n\s+Name:\s+cm-reader/);
  assert.match(rb, /User\s+jane/);
  const cr = await kts.k(['describe', 'clusterrole', 'system:basic-user']);
  assert.match(cr, /selfsubjectreviews\.authentication\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/);
});

test('escalation: jane may only grant what she holds', async () => {
  await kts.k(['create', 'role', 'rbac-writer', '--verb=get,create,update,patch', '--resource=roles,rolebindings']);
  await kts.k(['create', 'rolebinding', 'jane-writes-rbac', '--role=rbac-writer', '--user=jane']);
  await eventually('jane can create roles', async () => ((await kts.kubectl(['auth', 'can-i', 'create', 'roles', '--as', 'jane'])).code === 0 ? true : undefined), 10_000);
  await kts.k(['--as', 'jane', 'create', 'role', 'cm-getter', '--verb=get', '--resource=configmaps']);
  const sneaky = await kts.kubectl(['--as', 'jane', 'create', 'role', 'sneaky', '--verb=get', '--resource=secrets']);
  assert.equal(sneaky.code, 1);
  assert.equal(
    sneaky.stderr.trim(),
    'Error from server (Forbidden): roles.rbac.authorization.k8s.io "sneaky" is forbidden: user "jane" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}',
  );
  // Widening her own role through a patch is refused too.
  const patch = await kts.kubectl(['--as', 'jane', 'patch', 'role', 'cm-getter', '--type=json', '-p', '[{"op":"add","path":"/rules/0/verbs/-","value":"delete"}]']);
  assert.match(patch.stderr, /roles.rbac.authorization.k8s.io "cm-getter" is forbidden: user "jane" .* attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["configmaps"\], Verbs:\["delete"\]\}/);
  // Binding: to a role she holds, yes; to admin, no.
  await kts.k(['--as', 'jane', 'create', 'rolebinding', 'kim-reads', '--role=cm-reader', '--user=kim']);
  const admin = await kts.kubectl(['--as', 'jane', 'create', 'rolebinding', 'kim-admin', '--clusterrole=admin', '--user=kim']);
  assert.equal(admin.code, 1);
  assert.match(admin.stderr, /^error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io "kim-admin" is forbidden: user "jane" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["serviceaccounts"\], Verbs:\["impersonate"\]\}\n/);
  // With bind on admin, the binding is allowed.
  await kts.k(['create', 'role', 'bind-admin', '--verb=bind', '--resource=clusterroles', '--resource-name=admin']);
  await kts.k(['create', 'rolebinding', 'jane-binds-admin', '--role=bind-admin', '--user=jane']);
  await eventually('jane can bind admin', async () => ((await kts.kubectl(['--as', 'jane', 'create', 'rolebinding', 'kim-admin', '--clusterrole=admin', '--user=kim'])).code === 0 ? true : undefined), 10_000);
});
