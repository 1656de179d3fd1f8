// Dynamic admission through the real kubectl: admission webhooks served by
// an HTTPS server this test starts on 127.0.0.1 (its own CA, passed as
// caBundle), and ValidatingAdmissionPolicies with CEL. Each scenario works
// in its own namespace, and its configuration selects only that namespace.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startKts, eventually, type KtsProcess } from './harness.js';
import { generateCA, issueServingCertificate } from '../../src/apiserver/pki/index.js';

let kts: KtsProcess;
let hook: https.Server;
let hookPort: number;
let caBundle: string;
/** Every AdmissionReview request the webhook server received, by path. */
const received: Array<{ path: string; request: any }> = [];

function respond(path: string, request: any): any {
  const labels = (request.object ?? request.oldObject)?.metadata?.labels ?? {};
  const base = { uid: request.uid, allowed: true };
  switch (path) {
    case '/deny-labelled':
      if (labels.deny === 'true') return { ...base, allowed: false, status: { code: 403, message: 'objects labelled deny=true are not allowed' } };
      return base;
    case '/add-label': {
      const patch = request.object?.metadata?.labels
        ? [{ op: 'add', path: '/metadata/labels/mutated-by', value: 'kts-test' }]
        : [{ op: 'add', path: '/metadata/labels', value: { 'mutated-by': 'kts-test' } }];
      return { ...base, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64'), warnings: ['mutated by the test webhook'] };
    }
    case '/protect':
      if (request.operation === 'DELETE' && labels.protected === 'true') return { ...base, allowed: false, status: { message: `${request.name} is protected` } };
      return base;
    default:
      return base;
  }
}

function config(kind: 'Validating' | 'Mutating', name: string, webhooks: any[]): string {
  return JSON.stringify({ apiVersion: 'admissionregistration.k8s.io/v1', kind: `${kind}WebhookConfiguration`, metadata: { name }, webhooks });
}

/** A webhook of this test's server, limited to one namespace. */
function webhook(name: string, path: string, ns: string, extra: Record<string, unknown> = {}): any {
  return {
    name,
    clientConfig: { url: `https://127.0.0.1:${hookPort}${path}`, caBundle },
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods', 'configmaps'] }],
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    ...extra,
  };
}

const configMap = (name: string, labels: Record<string, string> = {}) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { a: 'b' } });

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

before(async () => {
  const ca = await generateCA('webhook-test-ca');
  const serving = await issueServingCertificate(ca, { commonName: 'webhook', sans: ['127.0.0.1', 'hook.wh-svc.svc'] });
  caBundle = Buffer.from(ca.certPem).toString('base64');
  hook = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const path = new URL(req.url ?? '/', 'https://x').pathname;
      received.push({ path, request: review.request });
      const answer = () => {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: respond(path, review.request) }));
      };
      // /slow answers only after the 1 s timeout its webhook sets.
      if (path === '/slow') setTimeout(answer, 2500);
      else answer();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookPort = (hook.address() as AddressInfo).port;
  kts = await startKts({ storage: 'memory' });
});
after(async () => {
  await kts?.stop();
  hook?.closeAllConnections();
  await new Promise((r) => hook?.close(r));
});

test('configurations are validated with upstream messages', async () => {
  const bad = config('Validating', 'bad', [
    { name: 'nodots', clientConfig: { url: 'http://127.0.0.1/x', service: { name: 's', namespace: 'n' } }, admissionReviewVersions: ['v2'], timeoutSeconds: 31 },
  ]);
  const r = await kts.kubectl(['create', '-f', '-'], { input: bad });
  assert.notEqual(r.code, 0);
  for (const m of [
    'webhooks[0].name: Invalid value: "nodots": should be a domain with at least three segments separated by dots',
    'webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun',
    'webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds',
    'webhooks[0].clientConfig: Required value: exactly one of url or service is required',
    'webhooks[0].admissionReviewVersions: Invalid value: []string{"v2"}: must include at least one of v1, v1beta1',
  ]) {
    assert.ok(r.stderr.includes(m), `missing ${m} in ${r.stderr}`);
  }
  const http = config('Validating', 'http', [{ ...webhook('a.kts.test', '/', 'x'), clientConfig: { url: 'http://127.0.0.1:1/x' } }]);
  const h = await kts.kubectl(['create', '-f', '-'], { input: http });
  assert.match(h.stderr, /webhooks\[0\]\.clientConfig\.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https:\/\/host\[\/path\]/);
  // Defaults appear on a stored configuration.
  await kts.k(['create', '-f', '-'], config('Validating', 'defaults', [webhook('d.kts.test', '/allow', 'nowhere')]));
  const stored = JSON.parse(await kts.k(['get', 'validatingwebhookconfiguration', 'defaults', '-o', 'json'])).webhooks[0];
  assert.equal(stored.failurePolicy, 'Fail');
  assert.equal(stored.matchPolicy, 'Equivalent');
  assert.equal(stored.timeoutSeconds, 10);
  assert.deepEqual(stored.objectSelector, {});
  assert.equal(stored.rules[0].scope, '*');
});

test('a webhook that rejects pods with a label', async () => {
  await kts.k(['create', 'namespace', 'deny']);
  await kts.k(['create', '-f', '-'], config('Validating', 'deny', [webhook('deny.kts.test', '/deny-labelled', 'deny')]));
  const r = await eventually('the denial', async () => {
    const x = await kts.kubectl(['run', 'bad', '-n', 'deny', '--image=busybox', '--labels=deny=true']);
    return x.code !== 0 ? x : undefined;
  });
  assert.equal(r.stderr.trim(), 'Error from server: admission webhook "deny.kts.test" denied the request: objects labelled deny=true are not allowed');
  await kts.k(['run', 'good', '-n', 'deny', '--image=busybox']);
  assert.equal((await kts.k(['get', 'pod', 'good', '-n', 'deny', '-o', 'jsonpath={.metadata.name}'])).trim(), 'good');
  const req = received.find((x) => x.path === '/deny-labelled' && x.request.name === 'good')!.request;
  assert.equal(req.operation, 'CREATE');
  assert.equal(req.namespace, 'deny');
  assert.deepEqual(req.kind, { group: '', version: 'v1', kind: 'Pod' });
  assert.deepEqual(req.resource, { group: '', version: 'v1', resource: 'pods' });
  assert.equal(req.userInfo.username, 'system:admin');
  assert.equal(req.object.kind, 'Pod');
  assert.equal(req.oldObject, null);
  assert.equal(req.options.kind, 'CreateOptions');
  // Dry runs are sent with dryRun set and still refused.
  const dry = await kts.kubectl(['run', 'bad2', '-n', 'deny', '--image=busybox', '--labels=deny=true', '--dry-run=server']);
  assert.match(dry.stderr, /denied the request: objects labelled deny=true are not allowed/);
  assert.equal(received.find((x) => x.request.name === 'bad2')!.request.dryRun, true);
});

test('a mutating webhook adds a label with a JSONPatch; its warning reaches kubectl', async () => {
  await kts.k(['create', 'namespace', 'mutate']);
  await kts.k(['create', '-f', '-'], config('Mutating', 'mutate', [webhook('label.kts.test', '/add-label', 'mutate', { objectSelector: { matchLabels: { mutate: 'yes' } } })]));
  const created = await eventually('the mutation', async () => {
    const name = `cm${received.length}`;
    const r = await kts.kubectl(['create', '-n', 'mutate', '-f', '-'], { input: configMap(name, { mutate: 'yes' }) });
    assert.equal(r.code, 0, r.stderr);
    const label = (await kts.k(['get', 'configmap', name, '-n', 'mutate', '-o', 'jsonpath={.metadata.labels.mutated-by}'])).trim();
    return label === 'kts-test' ? r : undefined;
  });
  assert.match(created.stderr, /Warning: mutated by the test webhook/);
  // objectSelector: an object without the label is not sent.
  await kts.k(['create', '-n', 'mutate', '-f', '-'], configMap('plain'));
  assert.equal((await kts.k(['get', 'configmap', 'plain', '-n', 'mutate', '-o', 'jsonpath={.metadata.labels}'])).trim(), '');
  assert.equal(received.some((x) => x.request.name === 'plain'), false);
});

test('namespaceSelector: a webhook for labelled namespaces ignores the others', async () => {
  await kts.k(['create', 'namespace', 'ns-on']);
  await kts.k(['label', 'namespace', 'ns-on', 'webhook=on']);
  await kts.k(['create', 'namespace', 'ns-off']);
  await kts.k(['create', '-f', '-'], config('Validating', 'nssel', [{ ...webhook('nssel.kts.test', '/deny-labelled', ''), namespaceSelector: { matchLabels: { webhook: 'on' } } }]));
  await eventually('the denial in ns-on', async () => ((await kts.kubectl(['create', '-n', 'ns-on', '-f', '-'], { input: configMap('x', { deny: 'true' }) })).code !== 0 ? true : undefined));
  await kts.k(['create', '-n', 'ns-off', '-f', '-'], configMap('x', { deny: 'true' }));
});

test('failurePolicy with the webhook down: Ignore admits, Fail refuses with the call error', async () => {
  const port = await closedPort();
  await kts.k(['create', 'namespace', 'down']);
  const down = (name: string, policy: string, only: string) =>
    ({ ...webhook(name, '/x', 'down'), clientConfig: { url: `https://127.0.0.1:${port}/x`, caBundle }, failurePolicy: policy, objectSelector: { matchLabels: { only } } });
  await kts.k(['create', '-f', '-'], config('Validating', 'down', [down('ignore.kts.test', 'Ignore', 'ignore'), down('fail.kts.test', 'Fail', 'fail')]));
  const r = await eventually('the call failure', async () => {
    const x = await kts.kubectl(['create', '-n', 'down', '-f', '-'], { input: configMap('f', { only: 'fail' }) });
    return x.code !== 0 ? x : undefined;
  });
  assert.equal(
    r.stderr.trim(),
    `Error from server (InternalError): error when creating "STDIN": Internal error occurred: failed calling webhook "fail.kts.test": failed to call webhook: Post "https://127.0.0.1:${port}/x?timeout=10s": dial tcp 127.0.0.1:${port}: connect: connection refused`,
  );
  await kts.k(['create', '-n', 'down', '-f', '-'], configMap('i', { only: 'ignore' }));
});

test('a webhook slower than its timeoutSeconds fails the request', async () => {
  await kts.k(['create', 'namespace', 'slow']);
  await kts.k(['create', '-f', '-'], config('Validating', 'slow', [webhook('slow.kts.test', '/slow', 'slow', { timeoutSeconds: 1 })]));
  const r = await eventually('the timeout', async () => {
    const x = await kts.kubectl(['create', '-n', 'slow', '-f', '-'], { input: configMap(`s${received.length}`) });
    return x.code !== 0 ? x : undefined;
  });
  assert.match(r.stderr, /failed calling webhook "slow.kts.test": failed to call webhook: Post "https:\/\/127.0.0.1:\d+\/slow\?timeout=1s": context deadline exceeded/);
});

test('a delete is sent with the old object and can be refused', async () => {
  await kts.k(['create', 'namespace', 'protect']);
  await kts.k(['create', '-n', 'protect', '-f', '-'], configMap('keep', { protected: 'true' }));
  await kts.k(['create', '-n', 'protect', '-f', '-'], configMap('drop'));
  await kts.k(['create', '-f', '-'], config('Validating', 'protect', [webhook('protect.kts.test', '/protect', 'protect', { rules: [{ operations: ['DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }] })]));
  const r = await eventually('the refused delete', async () => {
    const x = await kts.kubectl(['delete', 'configmap', 'keep', '-n', 'protect']);
    return x.code !== 0 ? x : undefined;
  });
  assert.equal(r.stderr.trim(), 'Error from server: admission webhook "protect.kts.test" denied the request: keep is protected');
  await kts.k(['delete', 'configmap', 'drop', '-n', 'protect']);
  const req = received.find((x) => x.path === '/protect' && x.request.name === 'drop')!.request;
  assert.equal(req.operation, 'DELETE');
  assert.equal(req.object, null);
  assert.equal(req.oldObject.metadata.name, 'drop');
  assert.equal(req.options.kind, 'DeleteOptions');
  assert.equal((await kts.k(['get', 'configmap', 'keep', '-n', 'protect', '-o', 'jsonpath={.metadata.name}'])).trim(), 'keep');
});

test('a Service reference is resolved through its endpoints and verified as <svc>.<ns>.svc', async () => {
  await kts.k(['create', 'namespace', 'wh-svc']);
  await kts.k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'hook', namespace: 'wh-svc' }, spec: { ports: [{ name: 'https', port: 443, targetPort: hookPort }] } }));
  await kts.k(
    ['create', '-f', '-'],
    JSON.stringify({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'hook-1', namespace: 'wh-svc', labels: { 'kubernetes.io/service-name': 'hook' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
      ports: [{ name: 'https', port: hookPort, protocol: 'TCP' }],
    }),
  );
  const viaService = { ...webhook('svc.kts.test', '', 'wh-svc'), clientConfig: { service: { name: 'hook', namespace: 'wh-svc', path: '/deny-labelled' }, caBundle } };
  await kts.k(['create', '-f', '-'], config('Validating', 'svc', [viaService]));
  const r = await eventually('the denial through the service', async () => {
    const x = await kts.kubectl(['create', '-n', 'wh-svc', '-f', '-'], { input: configMap('x', { deny: 'true' }) });
    return x.code !== 0 ? x : undefined;
  });
  assert.match(r.stderr, /admission webhook "svc.kts.test" denied the request: objects labelled deny=true are not allowed/);
  await kts.k(['create', '-n', 'wh-svc', '-f', '-'], configMap('y'));
});

test('ValidatingAdmissionPolicy: replicas <= 5 in namespaces labelled env=prod', async () => {
  await kts.k(['create', 'namespace', 'prod']);
  await kts.k(['label', 'namespace', 'prod', 'env=prod']);
  await kts.k(['create', 'namespace', 'dev']);
  await kts.k(
    ['create', '-f', '-'],
    JSON.stringify({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'max-replicas' },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] },
        validations: [{ expression: 'object.spec.replicas <= 5' }],
      },
    }),
  );
  await kts.k(
    ['create', '-f', '-'],
    JSON.stringify({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: 'max-replicas-prod' },
      spec: { policyName: 'max-replicas', validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { env: 'prod' } } } },
    }),
  );
  const r = await eventually('the policy denial', async () => {
    const x = await kts.kubectl(['create', 'deployment', 'big', '-n', 'prod', '--image=busybox', '--replicas=6']);
    return x.code !== 0 ? x : undefined;
  });
  assert.equal(
    r.stderr.trim(),
    `error: failed to create deployment: deployments.apps "big" is forbidden: ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-prod' denied request: failed expression: object.spec.replicas <= 5`,
  );
  await kts.k(['create', 'deployment', 'ok', '-n', 'prod', '--image=busybox', '--replicas=5']);
  await kts.k(['create', 'deployment', 'big', '-n', 'dev', '--image=busybox', '--replicas=6']);
  // Scaling past the limit is an update the policy refuses too.
  const s = await kts.kubectl(['scale', 'deployment', 'ok', '-n', 'prod', '--replicas=7']);
  assert.match(s.stderr, /ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-prod' denied request: failed expression: object.spec.replicas <= 5/);
});

test('ValidatingAdmissionPolicy: params, variables, messageExpression and Warn', async () => {
  await kts.k(['create', 'namespace', 'params']);
  await kts.k(['create', 'configmap', 'limits', '-n', 'params', '--from-literal=prefix=team-']);
  await kts.k(
    ['create', '-f', '-'],
    JSON.stringify({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'name-prefix' },
      spec: {
        failurePolicy: 'Fail',
        paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] },
        matchConditions: [{ name: 'not-params', expression: 'object.metadata.name != "limits"' }],
        variables: [{ name: 'prefix', expression: 'params.data.prefix' }],
        validations: [{ expression: 'object.metadata.name.startsWith(variables.prefix)', messageExpression: '"name must start with " + variables.prefix', reason: 'Forbidden' }],
      },
    }),
  );
  const binding = (name: string, actions: string[], ns: string) =>
    JSON.stringify({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name },
      spec: {
        policyName: 'name-prefix',
        validationActions: actions,
        paramRef: { name: 'limits', namespace: 'params', parameterNotFoundAction: 'Deny' },
        matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } },
      },
    });
  await kts.k(['create', '-f', '-'], binding('name-prefix-deny', ['Deny'], 'params'));
  const r = await eventually('the params denial', async () => {
    const x = await kts.kubectl(['create', 'configmap', 'other', '-n', 'params']);
    return x.code !== 0 ? x : undefined;
  });
  assert.equal(r.stderr.trim(), `error: failed to create configmap: configmaps "other" is forbidden: ValidatingAdmissionPolicy 'name-prefix' with binding 'name-prefix-deny' denied request: name must start with team-`);
  await kts.k(['create', 'configmap', 'team-a', '-n', 'params']);
  // Warn: admitted, with a Warning header.
  await kts.k(['create', 'namespace', 'warnme']);
  await kts.k(['create', '-f', '-'], binding('name-prefix-warn', ['Warn'], 'warnme'));
  const w = await eventually('the warning', async () => {
    const name = `other${received.length}${Date.now() % 1000}`;
    const x = await kts.kubectl(['create', 'configmap', name, '-n', 'warnme']);
    assert.equal(x.code, 0, x.stderr);
    return x.stderr.includes('Warning') ? x : undefined;
  });
  assert.match(w.stderr, /Warning: Validation failed for ValidatingAdmissionPolicy 'name-prefix' with binding 'name-prefix-warn': name must start with team-/);
});
