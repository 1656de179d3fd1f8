// PodSecurity admission through the real kubectl: namespace labels choose
// the level; enforce refuses pods with upstream's message, warn prints a
// Warning, workloads are only warned about (their pods are then refused,
// seen as FailedCreate events), and raising a namespace's enforce level
// lists the existing pods that break it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKts, eventually, type KtsProcess } from './harness.js';

let kts: KtsProcess;

before(async () => {
  kts = await startKts({ storage: 'memory' });
});
after(async () => {
  await kts?.stop();
});

const RESTRICTED_PLAIN = (c: string) =>
  `allowPrivilegeEscalation != false (container "${c}" must set securityContext.allowPrivilegeEscalation=false), ` +
  `unrestricted capabilities (container "${c}" must set securityContext.capabilities.drop=["ALL"]), ` +
  `runAsNonRoot != true (pod or container "${c}" must set securityContext.runAsNonRoot=true), ` +
  `seccompProfile (pod or container "${c}" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`;

const compliant = (name: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'c', image: 'busybox', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    },
  });

test('enforce=restricted: a privileged pod is refused with the exact message, a compliant pod admitted', async () => {
  await kts.k(['create', 'namespace', 'r1']);
  await kts.k(['label', 'namespace', 'r1', 'pod-security.kubernetes.io/enforce=restricted']);
  const run = await kts.kubectl(['run', 'p', '-n', 'r1', '--image=nginx', '--privileged']);
  assert.notEqual(run.code, 0);
  assert.equal(
    run.stderr.trim(),
    'Error from server (Forbidden): pods "p" is forbidden: violates PodSecurity "restricted:latest": ' +
      'privileged (container "p" must not set securityContext.privileged=true), ' +
      RESTRICTED_PLAIN('p'),
  );
  const plain = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'plain' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const apply = await kts.kubectl(['apply', '-n', 'r1', '-f', '-'], { input: plain });
  assert.notEqual(apply.code, 0);
  assert.match(apply.stderr, /pods "plain" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false \(container "c"/);
  const ok = await kts.kubectl(['apply', '-n', 'r1', '-f', '-'], { input: compliant('good') });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stderr, '');
  assert.equal(ok.stdout.trim(), 'pod/good created');
});

test('enforce=baseline: hostNetwork refused, a plain pod admitted; enforce-version v1.x is shown', async () => {
  await kts.k(['create', 'namespace', 'b1']);
  await kts.k(['label', 'namespace', 'b1', 'pod-security.kubernetes.io/enforce=baseline', 'pod-security.kubernetes.io/enforce-version=v1.30']);
  const host = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hn' }, spec: { hostNetwork: true, containers: [{ name: 'c', image: 'busybox' }] } });
  const r = await kts.kubectl(['apply', '-n', 'b1', '-f', '-'], { input: host });
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trim(), 'Error from server (Forbidden): error when creating "STDIN": pods "hn" is forbidden: violates PodSecurity "baseline:v1.30": host namespaces (hostNetwork=true)');
  const ok = await kts.kubectl(['run', 'plain', '-n', 'b1', '--image=busybox']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stderr, '');
});

test('warn=restricted: admitted with a Warning', async () => {
  await kts.k(['create', 'namespace', 'w1']);
  await kts.k(['label', 'namespace', 'w1', 'pod-security.kubernetes.io/warn=restricted', 'pod-security.kubernetes.io/audit=baseline']);
  const r = await kts.kubectl(['run', 'p', '-n', 'w1', '--image=busybox']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.trim(), `Warning: would violate PodSecurity "restricted:latest": ${RESTRICTED_PLAIN('p')}`);
  assert.equal(r.stdout.trim(), 'pod/p created');
});

test('a Deployment with a violating template is created with a warning; its pods are refused (FailedCreate)', async () => {
  await kts.k(['create', 'namespace', 'd1']);
  await kts.k(['label', 'namespace', 'd1', 'pod-security.kubernetes.io/enforce=restricted']);
  const r = await kts.kubectl(['create', 'deployment', 'web', '-n', 'd1', '--image=nginx']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.trim(), `Warning: would violate PodSecurity "restricted:latest": ${RESTRICTED_PLAIN('nginx')}`);
  const msg = await eventually('FailedCreate event', async () => {
    const out = await kts.k(['get', 'events', '-n', 'd1', '--field-selector', 'reason=FailedCreate', '-o', 'jsonpath={.items[*].message}']);
    return out.trim() || undefined;
  });
  assert.match(msg, /^Error creating: pods "web-[a-z0-9]+-[a-z0-9]{5}" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
  assert.equal(await kts.k(['get', 'pods', '-n', 'd1', '-o', 'name']), '');
});

test('raising enforce warns about existing pods', async () => {
  await kts.k(['create', 'namespace', 'n1']);
  await kts.k(['run', 'a', '-n', 'n1', '--image=busybox']);
  await kts.k(['run', 'b', '-n', 'n1', '--image=busybox']);
  await kts.kubectl(['apply', '-n', 'n1', '-f', '-'], { input: compliant('good') });
  const r = await kts.kubectl(['label', 'namespace', 'n1', 'pod-security.kubernetes.io/enforce=restricted']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stderr.trim(),
    [
      'Warning: existing pods in namespace "n1" violate the new PodSecurity enforce level "restricted:latest"',
      'Warning: a (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
    ].join('\n'),
  );
});

test('invalid pod-security labels are refused on namespace create and update, as upstream', async () => {
  const created = await kts.kubectl(['create', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: typo\n  labels:\n    pod-security.kubernetes.io/enforce: strict\n' });
  assert.equal(created.code, 1);
  assert.equal(created.stderr.trim(), 'The Namespace "typo" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted');
  assert.equal((await kts.kubectl(['get', 'ns', 'typo'])).code, 1);
  await kts.k(['create', 'ns', 'labelled']);
  const version = await kts.kubectl(['label', 'ns', 'labelled', 'pod-security.kubernetes.io/warn=baseline', 'pod-security.kubernetes.io/warn-version=1.30']);
  assert.equal(version.code, 1);
  assert.equal(version.stderr.trim(), 'The Namespace "labelled" is invalid: metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "1.30": must be "latest" or "v1.x"');
  assert.equal((await kts.k(['get', 'ns', 'labelled', '-o', 'jsonpath={.metadata.labels}'])).includes('pod-security'), false);
  await kts.k(['label', 'ns', 'labelled', 'pod-security.kubernetes.io/warn=baseline', 'pod-security.kubernetes.io/warn-version=v1.30']);
});
