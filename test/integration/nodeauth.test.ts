// Certificates and node identities as users and joining nodes meet them:
// CertificateSigningRequests filed with the real kubectl, approved with
// `kubectl certificate approve` (1.32 and 1.33) or automatically for
// bootstrap-token kubelets, signed by the cluster CA; then the Node
// authorizer and NodeRestriction seen through a node's client certificate.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKts, eventually, run, KUBECTL, MAIN, type KtsProcess } from './harness.js';
import { kubeconfigYAML, PKI_FILES } from '../../src/apiserver/pki/index.js';

let kts: KtsProcess;
let dir: string;
let caPem: string;
const KUBECTL_133 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';

before(async () => {
  kts = await startKts();
  dir = mkdtempSync(join(tmpdir(), 'kts-nodeauth-'));
  caPem = readFileSync(join(kts.dataDir, 'tls', PKI_FILES.caCert), 'utf8');
  writeFileSync(join(dir, 'ca.crt'), caPem);
  writeFileSync(join(dir, 'empty.kubeconfig'), 'apiVersion: v1\nkind: Config\n');
});

after(async () => {
  await kts?.stop();
});

/** A new EC key and a PKCS#10 request for it, made by openssl. */
async function opensslRequest(name: string, subject: string, sans?: string): Promise<{ key: string; csr: string }> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const args = ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-subj', subject, '-out', csr];
  if (sans) args.push('-addext', `subjectAltName=${sans}`);
  const r = await run('openssl', args);
  assert.equal(r.code, 0, r.stderr);
  return { key: readFileSync(key, 'utf8'), csr: readFileSync(csr, 'utf8') };
}

function csrYAML(name: string, request: string, signerName: string, usages: string[], extra = ''): string {
  return [
    'apiVersion: certificates.k8s.io/v1',
    'kind: CertificateSigningRequest',
    `metadata: {name: ${name}}`,
    'spec:',
    `  request: ${Buffer.from(request).toString('base64')}`,
    `  signerName: ${signerName}`,
    `  usages: [${usages.map((u) => JSON.stringify(u)).join(', ')}]`,
    extra,
  ].join('\n');
}

/** kubectl as the holder of a client certificate. */
function asCert(name: string, certPem: string, keyPem: string, args: string[]) {
  const file = join(dir, `${name}.kubeconfig`);
  if (!existsSync(file)) writeFileSync(file, kubeconfigYAML({ server: kts.url, caPem, client: { certPem, keyPem } }));
  return run(KUBECTL, ['--kubeconfig', file, ...args]);
}

function withToken(token: string, args: string[], input?: string) {
  return run(KUBECTL, ['--server', kts.url, '--certificate-authority', join(dir, 'ca.crt'), '--token', token, ...args], { env: { ...process.env, KUBECONFIG: join(dir, 'empty.kubeconfig') }, input });
}

async function issuedCertificate(name: string): Promise<string> {
  const b64 = await eventually(`csr ${name} issued`, async () => (await kts.k(['get', 'csr', name, '-o', 'jsonpath={.status.certificate}'])).trim() || undefined, 20_000);
  return Buffer.from(b64, 'base64').toString();
}

test('a client CSR: server-set requester, kubectl certificate approve, issued with the subject and expiry asked for, and it authenticates', async () => {
  const { key, csr } = await opensslRequest('jane', '/O=devs/CN=jane');
  // Client-sent identity fields are overwritten with the requester's.
  await kts.k(['create', '-f', '-'], csrYAML('jane', csr, 'kubernetes.io/kube-apiserver-client', ['client auth'], '  expirationSeconds: 3600\n  username: mallory\n  groups: [system:masters]'));
  const admin = JSON.parse(await kts.k(['auth', 'whoami', '-o', 'json'])).status.userInfo;
  const spec = JSON.parse(await kts.k(['get', 'csr', 'jane', '-o', 'json'])).spec;
  assert.equal(spec.username, admin.username);
  assert.deepEqual(spec.groups, admin.groups);
  const pending = await kts.k(['get', 'csr', 'jane']);
  assert.match(pending, /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION\n/);
  assert.match(pending, new RegExp(`^jane\\s+\\S+\\s+kubernetes\\.io/kube-apiserver-client\\s+${admin.username}\\s+60m\\s+Pending$`, 'm'));

  assert.equal((await kts.k(['certificate', 'approve', 'jane'])).trim(), 'certificatesigningrequest.certificates.k8s.io/jane approved');
  const cert = new X509Certificate(await issuedCertificate('jane'));
  assert.equal(cert.subject, 'O=devs\nCN=jane');
  assert.ok(cert.checkIssued(new X509Certificate(caPem)));
  const lifetime = Date.parse(cert.validTo) - Date.now();
  assert.ok(lifetime > 55 * 60_000 && lifetime <= 60 * 60_000, `lifetime ${lifetime}`);
  assert.match(await kts.k(['get', 'csr', 'jane']), /^jane\s+\S+\s+kubernetes\.io\/kube-apiserver-client\s+\S+\s+60m\s+Approved,Issued$/m);
  const conds = JSON.parse(await kts.k(['get', 'csr', 'jane', '-o', 'json'])).status.conditions;
  assert.equal(conds.length, 1);
  assert.equal(conds[0].type, 'Approved');
  assert.equal(conds[0].reason, 'KubectlApprove');
  assert.equal(conds[0].message, 'This CSR was approved by kubectl certificate approve.');

  const who = await asCert('jane', cert.toString(), key, ['auth', 'whoami', '-o', 'json']);
  assert.equal(who.code, 0, who.stderr);
  const u = JSON.parse(who.stdout).status.userInfo;
  assert.equal(u.username, 'jane');
  assert.deepEqual(u.groups, ['devs', 'system:authenticated']);

  // The certificate is set once, through /status, by a signer.
  const again = await kts.kubectl(['patch', 'csr', 'jane', '--subresource=status', '--type=merge', '-p', `{"status":{"certificate":"${Buffer.from(caPem).toString('base64')}"}}`]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /The CertificateSigningRequest "jane" is invalid: status.certificate: Forbidden: updates may not modify existing certificate content/);
  // spec is immutable: an update keeps the stored spec.
  await kts.k(['patch', 'csr', 'jane', '--type=merge', '-p', '{"spec":{"signerName":"example.com/other"}}']);
  assert.equal((await kts.k(['get', 'csr', 'jane', '-o', 'jsonpath={.spec.signerName}'])).trim(), 'kubernetes.io/kube-apiserver-client');
});

test('a CSR created by server-side apply also records the requester, not what the client wrote', async () => {
  const { csr } = await opensslRequest('applied', '/CN=applied');
  await kts.k(['apply', '--server-side', '-f', '-'], csrYAML('applied', csr, 'kubernetes.io/kube-apiserver-client', ['client auth'], '  username: mallory\n  groups: [system:masters]'));
  const admin = JSON.parse(await kts.k(['auth', 'whoami', '-o', 'json'])).status.userInfo;
  const spec = JSON.parse(await kts.k(['get', 'csr', 'applied', '-o', 'json'])).spec;
  assert.equal(spec.username, admin.username);
  assert.deepEqual(spec.groups, admin.groups);
});

test('kubectl 1.33 denies; approval after denial is refused; a signer refuses what its rules forbid', async () => {
  const { csr } = await opensslRequest('bob', '/CN=bob');
  await kts.k(['create', '-f', '-'], csrYAML('bob', csr, 'kubernetes.io/kube-apiserver-client', ['client auth']));
  const deny = await run(KUBECTL_133, ['--kubeconfig', kts.kubeconfig, 'certificate', 'deny', 'bob']);
  assert.equal(deny.code, 0, deny.stderr);
  assert.equal(deny.stdout.trim(), 'certificatesigningrequest.certificates.k8s.io/bob denied');
  assert.match(await kts.k(['get', 'csr', 'bob']), /^bob\s+.*\s+<none>\s+Denied$/m);
  assert.equal((await kts.kubectl(['certificate', 'approve', 'bob'])).stderr.trim(), 'error: certificate signing request "bob" is already Denied');
  // What kubectl checks on its side, the server refuses too.
  const both = await kts.kubectl(['patch', 'csr', 'bob', '--subresource=approval', '--type=json', '-p', '[{"op":"add","path":"/status/conditions/-","value":{"type":"Approved","status":"True"}}]']);
  assert.equal(both.code, 1);
  assert.equal(both.stderr.trim(), 'The CertificateSigningRequest "bob" is invalid: status.conditions[1].type: Invalid value: "Approved": Approved and Denied conditions are mutually exclusive');
  const removed = await kts.kubectl(['patch', 'csr', 'bob', '--subresource=approval', '--type=json', '-p', '[{"op":"remove","path":"/status/conditions/0"}]']);
  assert.equal(removed.stderr.trim(), 'The CertificateSigningRequest "bob" is invalid: status.conditions: Forbidden: updates may not remove a condition of type "Denied"');

  // Server auth is not a kube-apiserver-client usage: the signer fails the request.
  const { csr: srv } = await opensslRequest('web', '/CN=web');
  await kts.k(['create', '-f', '-'], csrYAML('web', srv, 'kubernetes.io/kube-apiserver-client', ['server auth']));
  const ok = await run(KUBECTL_133, ['--kubeconfig', kts.kubeconfig, 'certificate', 'approve', 'web']);
  assert.equal(ok.code, 0, ok.stderr);
  const failed = await eventually('web failed', async () => {
    const c = JSON.parse(await kts.k(['get', 'csr', 'web', '-o', 'json'])).status?.conditions?.find((x: any) => x.type === 'Failed');
    return c;
  }, 20_000);
  assert.equal(failed.reason, 'SignerValidationFailure');
  assert.equal(failed.message, 'invalid usage for client certificate: server auth');
  assert.match(await kts.k(['get', 'csr', 'web']), /^web\s+.*\s+Approved,Failed$/m);
});

test('bad requests are refused with upstream messages', async () => {
  const bad = await kts.kubectl(['create', '-f', '-'], { input: csrYAML('bad', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', 'kubernetes.io/kube-apiserver-client', ['client auth']) });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /The CertificateSigningRequest "bad" is invalid: spec.request: Invalid value: \[\]byte\{0x2d, .*\}: PEM block type must be CERTIFICATE REQUEST/);
  const { csr } = await opensslRequest('nosigner', '/CN=x');
  const noSigner = await kts.kubectl(['create', '-f', '-'], { input: csrYAML('nosigner', csr, 'nodomain', ['client auth', 'flying']).replace('  expirationSeconds', '') + '  expirationSeconds: 60\n' });
  assert.equal(noSigner.code, 1);
  assert.equal(
    noSigner.stderr.trim(),
    `The CertificateSigningRequest "nosigner" is invalid: \n* spec.usages[1]: Unsupported value: "flying": supported values: ${['any', 'cert sign', 'client auth', 'code signing', 'content commitment', 'crl sign', 'data encipherment', 'decipher only', 'digital signature', 'email protection', 'encipher only', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'key agreement', 'key encipherment', 'microsoft sgc', 'netscape sgc', 'ocsp signing', 's/mime', 'server auth', 'signing', 'timestamping'].map((u) => JSON.stringify(u)).join(', ')}\n* spec.signerName: Invalid value: "nodomain": must be a fully qualified domain and path of the form 'example.com/signer-name'\n* spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)`,
  );
  // system:masters certificates are never issued through the API.
  const { csr: root } = await opensslRequest('root', '/O=system:masters/CN=root');
  const masters = await kts.kubectl(['create', '-f', '-'], { input: csrYAML('root', root, 'kubernetes.io/kube-apiserver-client', ['client auth']) });
  assert.equal(masters.code, 1);
  assert.equal(masters.stderr.trim(), 'Error from server (Forbidden): error when creating "STDIN": certificatesigningrequests.certificates.k8s.io "root" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed');
  // Approving needs `approve` on the signer, not only update on /approval.
  await kts.k(['create', 'clusterrole', 'csr-approval', '--verb=get,update,patch', '--resource=certificatesigningrequests,certificatesigningrequests/approval']);
  await kts.k(['create', 'clusterrolebinding', 'ann-csr-approval', '--clusterrole=csr-approval', '--user=ann']);
  const { csr: c2 } = await opensslRequest('carol', '/CN=carol');
  await kts.k(['create', '-f', '-'], csrYAML('carol', c2, 'kubernetes.io/kube-apiserver-client', ['client auth']));
  const refused = await eventually('ann reaches admission', async () => {
    const r = await kts.kubectl(['--as', 'ann', 'certificate', 'approve', 'carol']);
    return /not permitted/.test(r.stderr) ? r : undefined;
  }, 10_000);
  assert.match(refused.stderr, /certificatesigningrequests.certificates.k8s.io "carol" is forbidden: user not permitted to approve requests with signerName "kubernetes.io\/kube-apiserver-client"/);
});

let nodeCert = '';
let nodeKey = '';

test('a kubelet joining with a bootstrap token: its client CSR is auto-approved and issued, and the certificate is node n1', async () => {
  const created = await run(process.execPath, [MAIN, 'token', 'create'], { env: { ...process.env, KUBECONFIG: kts.kubeconfig } });
  assert.equal(created.code, 0, created.stderr);
  // The join token K10<CA hash>::<id>.<secret>: the bootstrap token is the part after '::'.
  const token = created.stdout.trim().split('::').pop()!;
  const { key, csr } = await opensslRequest('n1', '/O=system:nodes/CN=system:node:n1');
  const r = await withToken(token, ['create', '-f', '-'], csrYAML('node-csr-n1', csr, 'kubernetes.io/kube-apiserver-client-kubelet', ['digital signature', 'client auth']));
  assert.equal(r.code, 0, r.stderr);
  nodeCert = await issuedCertificate('node-csr-n1');
  nodeKey = key;
  const csrObj = JSON.parse(await kts.k(['get', 'csr', 'node-csr-n1', '-o', 'json']));
  assert.equal(csrObj.spec.username, `system:bootstrap:${token.split('.')[0]}`);
  const approved = csrObj.status.conditions.find((c: any) => c.type === 'Approved');
  assert.equal(approved.reason, 'AutoApproved');
  assert.equal(approved.message, 'Auto approving kubelet client certificate after SubjectAccessReview.');
  // The bootstrap token can read its CSR back (system:node-bootstrapper), as a joining agent does.
  assert.equal((await withToken(token, ['get', 'csr', 'node-csr-n1', '-o', 'jsonpath={.status.certificate}'])).stdout.trim(), csrObj.status.certificate);
  const who = JSON.parse((await asCert('n1', nodeCert, nodeKey, ['auth', 'whoami', '-o', 'json'])).stdout).status.userInfo;
  assert.equal(who.username, 'system:node:n1');
  assert.deepEqual(who.groups, ['system:nodes', 'system:authenticated']);

  // Renewal: the node itself files the next CSR with its current certificate.
  const next = await opensslRequest('n1-renew', '/O=system:nodes/CN=system:node:n1');
  const renew = await run(KUBECTL, ['--kubeconfig', join(dir, 'n1.kubeconfig'), 'create', '-f', '-'], { input: csrYAML('node-csr-n1-renew', next.csr, 'kubernetes.io/kube-apiserver-client-kubelet', ['digital signature', 'key encipherment', 'client auth']) });
  assert.equal(renew.code, 0, renew.stderr);
  await issuedCertificate('node-csr-n1-renew');
  const self = JSON.parse(await kts.k(['get', 'csr', 'node-csr-n1-renew', '-o', 'json'])).status.conditions.find((c: any) => c.type === 'Approved');
  assert.equal(self.message, 'Auto approving self kubelet client certificate after SubjectAccessReview.');
});

test('the Node authorizer and NodeRestriction: n1 reads only what its pods use and changes only itself', async () => {
  assert.ok(nodeCert, 'the bootstrap test issued the node certificate');
  const node = (name: string, ip: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, status: { addresses: [{ type: 'InternalIP', address: ip }] } });
  const pod = (name: string, nodeName: string, secret: string) => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { nodeName, containers: [{ name: 'c', image: 'busybox', envFrom: [{ configMapRef: { name: `cm-${secret}` } }] }], volumes: [{ name: 's', secret: { secretName: secret } }] },
  });
  await kts.k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [node('n1', '10.9.0.1'), node('n2', '10.9.0.2')] }));
  await kts.k(['create', 'secret', 'generic', 's1', '--from-literal=k=one']);
  await kts.k(['create', 'secret', 'generic', 's2', '--from-literal=k=two']);
  await kts.k(['create', 'configmap', 'cm-s1', '--from-literal=k=1']);
  await eventually('default ServiceAccount', async () => ((await kts.kubectl(['get', 'sa', 'default'])).code === 0 ? true : undefined), 10_000);
  await kts.k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod('p1', 'n1', 's1'), pod('p2', 'n2', 's2')] }));
  const n1 = (args: string[]) => asCert('n1', nodeCert, nodeKey, args);

  assert.equal((await n1(['get', 'secret', 's1', '-o', 'jsonpath={.data.k}'])).stdout, Buffer.from('one').toString('base64'));
  assert.equal((await n1(['get', 'configmap', 'cm-s1', '-o', 'jsonpath={.data.k}'])).stdout, '1');
  // The kubelet's single-object watch (fieldSelector metadata.name) is allowed too.
  const watched = await n1(['get', '--raw', '/api/v1/namespaces/default/secrets?fieldSelector=metadata.name%3Ds1']);
  assert.equal(watched.code, 0, watched.stderr);
  assert.equal(JSON.parse(watched.stdout).items[0].metadata.name, 's1');
  const other = await n1(['get', 'secret', 's2']);
  assert.equal(other.code, 1);
  assert.equal(other.stderr.trim(), `Error from server (Forbidden): secrets "s2" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'n1' and this object`);
  const all = await n1(['get', 'secrets']);
  assert.equal(all.stderr.trim(), `Error from server (Forbidden): secrets is forbidden: User "system:node:n1" cannot list resource "secrets" in API group "" in the namespace "default": No Object name found`);
  // A token for the ServiceAccount of its pod; not for one no pod of it uses.
  assert.equal((await n1(['create', 'token', 'default', '--bound-object-kind=Pod', '--bound-object-name=p1', `--bound-object-uid=${(await kts.k(['get', 'pod', 'p1', '-o', 'jsonpath={.metadata.uid}'])).trim()}`])).code, 0);
  await kts.k(['create', 'sa', 'robot']);
  assert.match((await n1(['create', 'token', 'robot'])).stderr, /serviceaccounts "robot" is forbidden: User "system:node:n1" cannot create resource "serviceaccounts\/token" in API group "" in the namespace "default": no relationship found between node 'n1' and this object/);

  const n2patch = await n1(['patch', 'node', 'n2', '--type=merge', '-p', '{"metadata":{"labels":{"x":"y"}}}']);
  assert.equal(n2patch.code, 1);
  assert.equal(n2patch.stderr.trim(), 'Error from server (Forbidden): nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
  const status = await n1(['patch', 'node', 'n1', '--subresource=status', '--type=merge', '-p', '{"status":{"addresses":[{"type":"InternalIP","address":"10.9.0.11"}]}}']);
  assert.equal(status.code, 0, status.stderr);
  assert.equal((await kts.k(['get', 'node', 'n1', '-o', 'jsonpath={.status.addresses[0].address}'])).trim(), '10.9.0.11');
  const role = await n1(['label', 'node', 'n1', 'node-role.kubernetes.io/control-plane=']);
  assert.match(role.stderr, /nodes "n1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io\/control-plane/);
  assert.equal((await n1(['label', 'node', 'n1', 'topology.kubernetes.io/zone=z1'])).code, 0);
  const taint = await n1(['taint', 'node', 'n1', 'k=v:NoSchedule']);
  assert.match(taint.stderr, /node "n1" is not allowed to modify taints/);
  // Pod status only for its own pods; no pods but mirror pods.
  const p2 = await n1(['patch', 'pod', 'p2', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Running"}}']);
  assert.match(p2.stderr, /pods "p2" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself/);
  assert.equal((await n1(['patch', 'pod', 'p1', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Running"}}'])).code, 0);
  const create = await n1(['run', 'x', '--image=busybox']);
  assert.match(create.stderr, /pods "x" is forbidden: pod does not have "kubernetes.io\/config.mirror" annotation, node "n1" can only create mirror pods/);
  const del = await n1(['delete', 'pod', 'p2']);
  assert.match(del.stderr, /pods "p2" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself/);
  // The system:node role is bound to nobody.
  const binding = JSON.parse(await kts.k(['get', 'clusterrolebinding', 'system:node', '-o', 'json']));
  assert.equal(binding.subjects, undefined);
});

test('a kubelet serving CSR from the node itself, for its own names and addresses, is approved and issued', async () => {
  assert.ok(nodeCert);
  const asN1 = (name: string, csr: string) =>
    run(KUBECTL, ['--kubeconfig', join(dir, 'n1.kubeconfig'), 'create', '-f', '-'], { input: csrYAML(name, csr, 'kubernetes.io/kubelet-serving', ['digital signature', 'server auth']) });
  // Another node's address: left for a human.
  const { csr: foreign } = await opensslRequest('n1-foreign', '/O=system:nodes/CN=system:node:n1', 'DNS:n1,IP:10.9.0.2');
  assert.equal((await asN1('n1-foreign', foreign)).code, 0);
  const { csr } = await opensslRequest('n1-serving', '/O=system:nodes/CN=system:node:n1', 'DNS:n1,IP:10.9.0.11');
  const r = await asN1('n1-serving', csr);
  assert.equal(r.code, 0, r.stderr);
  const cert = new X509Certificate(await issuedCertificate('n1-serving'));
  assert.equal(cert.subjectAltName, 'DNS:n1, IP Address:10.9.0.11');
  assert.equal(JSON.parse(await kts.k(['get', 'csr', 'n1-serving', '-o', 'json'])).status.conditions[0].message, 'Auto approving kubelet serving certificate after node identity and address check.');
  // Filed first, so the approver has looked at it by now.
  assert.match(await kts.k(['get', 'csr', 'n1-foreign']), /Pending$/m);
});
