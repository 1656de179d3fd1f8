import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_RESOURCES, type ResourceInfo } from '../registry.js';
import { fieldErrorString } from './errors.js';
import {
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidLabelValue,
  isValidPathSegmentName,
  isValidPathSegmentPrefix,
  isValidPortName,
  isIP,
  isCIDR,
  nameIsDNSSubdomain,
  validateObjectMeta,
} from './names.js';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const QNAME_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

function info(group: string, kind: string): ResourceInfo {
  const r = BUILTIN_RESOURCES.find((x) => x.group === group && x.kind === kind);
  if (!r) throw new Error(`no ${group}/${kind}`);
  return r;
}

test('DNS-1123 subdomain', () => {
  assert.deepEqual(isDNS1123Subdomain('example.com'), []);
  assert.deepEqual(isDNS1123Subdomain('a'), []);
  assert.deepEqual(isDNS1123Subdomain('Foo'), [SUBDOMAIN_MSG]);
  assert.deepEqual(isDNS1123Subdomain('-a'), [SUBDOMAIN_MSG]);
  assert.deepEqual(isDNS1123Subdomain('a'.repeat(254)), ['must be no more than 253 characters']);
});

test('DNS-1123 label', () => {
  assert.deepEqual(isDNS1123Label('my-name'), []);
  assert.deepEqual(isDNS1123Label('123-abc'), []);
  assert.deepEqual(isDNS1123Label('My_Name'), [LABEL_MSG]);
  assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
  assert.deepEqual(isDNS1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
  assert.deepEqual(isDNS1123Label(''), [LABEL_MSG]);
});

test('DNS-1035 label', () => {
  assert.deepEqual(isDNS1035Label('my-svc'), []);
  assert.deepEqual(isDNS1035Label('1abc'), [DNS1035_MSG]);
});

test('qualified names (label keys)', () => {
  assert.deepEqual(isQualifiedName('app'), []);
  assert.deepEqual(isQualifiedName('example.com/My_Name-1'), []);
  assert.deepEqual(isQualifiedName('a b'), [QNAME_MSG]);
  assert.deepEqual(isQualifiedName('/a'), ['prefix part must be non-empty']);
  assert.deepEqual(isQualifiedName('Example.com/a'), ['prefix part ' + SUBDOMAIN_MSG]);
  assert.deepEqual(isQualifiedName('a/'), ['name part must be non-empty', QNAME_MSG]);
  assert.deepEqual(isQualifiedName('x'.repeat(64)), ['name part must be no more than 63 characters']);
  assert.equal(isQualifiedName('a/b/c').length, 1);
  assert.match(isQualifiedName('a/b/c')[0], /^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/);
});

test('label values', () => {
  assert.deepEqual(isValidLabelValue(''), []);
  assert.deepEqual(isValidLabelValue('v1.2_x'), []);
  assert.deepEqual(isValidLabelValue('a b'), [LABEL_VALUE_MSG]);
  assert.deepEqual(isValidLabelValue('x'.repeat(64)), ['must be no more than 63 characters']);
});

test('path segment names', () => {
  assert.deepEqual(isValidPathSegmentName('ok:name'), []);
  assert.deepEqual(isValidPathSegmentName('.'), ["may not be '.'"]);
  assert.deepEqual(isValidPathSegmentName('..'), ["may not be '..'"]);
  assert.deepEqual(isValidPathSegmentName('a/b%c'), ["may not contain '/'", "may not contain '%'"]);
  assert.deepEqual(isValidPathSegmentPrefix('.'), []);
});

test('config keys, env names, port names', () => {
  assert.deepEqual(isConfigMapKey('app.properties'), []);
  assert.deepEqual(isConfigMapKey('..data'), ["must not start with '..'"]);
  assert.deepEqual(isConfigMapKey('.'), ["must not be '.'"]);
  assert.deepEqual(isConfigMapKey('a b'), [
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
  ]);
  assert.deepEqual(isRelaxedEnvVarName('1_FOO bar'), []);
  assert.deepEqual(isRelaxedEnvVarName('A=B'), ["a valid environment variable name must consist only of printable ASCII characters other than '='"]);
  assert.deepEqual(isValidPortName('http'), []);
  assert.deepEqual(isValidPortName('a--b'), ['must not contain consecutive hyphens']);
  assert.deepEqual(isValidPortName('123'), ['must contain at least one letter (a-z)']);
});

test('IP and CIDR parsing', () => {
  assert.ok(isIP('10.0.0.1'));
  assert.ok(isIP('2001:db8::1'));
  assert.ok(isIP('::ffff:10.0.0.1'));
  assert.ok(!isIP('10.0.0.256'));
  assert.ok(!isIP('foo'));
  assert.ok(isCIDR('10.0.0.0/24'));
  assert.ok(isCIDR('fd00::/64'));
  assert.ok(!isCIDR('10.0.0.0/33'));
});

test('generateName prefixes may end with a dash', () => {
  assert.deepEqual(nameIsDNSSubdomain('web-', true), []);
  assert.deepEqual(nameIsDNSSubdomain('web-', false), [SUBDOMAIN_MSG]);
});

test('object meta on create: name required, rules per resource', () => {
  const pods = info('', 'Pod');
  const errs = validateObjectMeta({ metadata: { namespace: 'default' } }, pods, true);
  assert.deepEqual(errs.map(fieldErrorString), ['metadata.name: Required value: name or generateName is required']);

  const e2 = validateObjectMeta({ metadata: { name: 'Foo', namespace: 'default' } }, pods, true).map(fieldErrorString);
  assert.deepEqual(e2, [`metadata.name: Invalid value: "Foo": ${SUBDOMAIN_MSG}`]);

  const ns = validateObjectMeta({ metadata: { name: 'a.b' } }, info('', 'Namespace'), true).map(fieldErrorString);
  assert.deepEqual(ns, ['metadata.name: Invalid value: "a.b": must not contain dots']);

  const svc = validateObjectMeta({ metadata: { name: '1svc', namespace: 'd' } }, info('', 'Service'), true).map(fieldErrorString);
  assert.deepEqual(svc, [`metadata.name: Invalid value: "1svc": ${DNS1035_MSG}`]);

  const role = validateObjectMeta({ metadata: { name: 'system:a/b', namespace: 'd' } }, info('rbac.authorization.k8s.io', 'Role'), true).map(fieldErrorString);
  assert.deepEqual(role, ["metadata.name: Invalid value: \"system:a/b\": may not contain '/'"]);

  assert.deepEqual(validateObjectMeta({ metadata: { name: 'system:admin' } }, info('rbac.authorization.k8s.io', 'ClusterRole'), true), []);
});

test('object meta: namespace required / forbidden', () => {
  assert.deepEqual(validateObjectMeta({ metadata: { name: 'p' } }, info('', 'Pod'), true).map(fieldErrorString), ['metadata.namespace: Required value']);
  assert.deepEqual(validateObjectMeta({ metadata: { name: 'n', namespace: 'x' } }, info('', 'Node'), true).map(fieldErrorString), [
    'metadata.namespace: Forbidden: not allowed on this type',
  ]);
  assert.deepEqual(validateObjectMeta({ metadata: { name: 'p', namespace: 'Bad_NS' } }, info('', 'Pod'), true).map(fieldErrorString), [
    `metadata.namespace: Invalid value: "Bad_NS": ${LABEL_MSG}`,
  ]);
});

test('object meta: labels, annotations, finalizers, ownerReferences', () => {
  const pods = info('', 'Pod');
  const errs = validateObjectMeta(
    {
      metadata: {
        name: 'p',
        namespace: 'd',
        labels: { 'a b': 'x', ok: 'bad value' },
        annotations: { 'ok/x': 'y', 'Bad Key': 'z' },
        finalizers: ['example.com/f', 'plain'],
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: '' }],
      },
    },
    pods,
    true,
  ).map(fieldErrorString);
  assert.deepEqual(errs, [
    `metadata.labels: Invalid value: "a b": ${QNAME_MSG}`,
    `metadata.labels: Invalid value: "bad value": ${LABEL_VALUE_MSG}`,
    `metadata.annotations: Invalid value: "Bad Key": ${QNAME_MSG}`,
    'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty',
    'metadata.finalizers[1]: Invalid value: "plain": name is neither a standard finalizer name nor is it fully qualified',
  ]);
  const typed = validateObjectMeta({ metadata: { name: 'p', namespace: 'd', labels: { v: 1 } } }, pods, true).map(fieldErrorString);
  assert.deepEqual(typed, ['metadata.labels[v]: Invalid value: 1: must be of type string']);
  const big = validateObjectMeta({ metadata: { name: 'p', namespace: 'd', annotations: { a: 'x'.repeat(256 * 1024) } } }, pods, true).map(fieldErrorString);
  assert.deepEqual(big, ['metadata.annotations: Too long: may not be more than 262144 bytes']);
});

test('object meta on update: immutable fields', () => {
  const pods = info('', 'Pod');
  const old = { metadata: { name: 'p', namespace: 'd', uid: 'u1', creationTimestamp: '2024-01-02T03:04:05Z', generation: 3 } };
  const errs = validateObjectMeta(
    { metadata: { name: 'q', namespace: 'e', uid: 'u2', creationTimestamp: '2024-01-02T03:04:06Z', generation: 2 } },
    pods,
    false,
    old,
  ).map(fieldErrorString);
  assert.deepEqual(errs, [
    'metadata.generation: Invalid value: 2: must not be decremented',
    'metadata.name: Invalid value: "q": field is immutable',
    'metadata.namespace: Invalid value: "e": field is immutable',
    'metadata.uid: Invalid value: "u2": field is immutable',
    'metadata.creationTimestamp: Invalid value: 2024-01-02 03:04:06 +0000 UTC: field is immutable',
  ]);
  assert.deepEqual(validateObjectMeta(old, pods, false, old), []);
});

test('custom resources do not get the kube finalizer-name rule', () => {
  const crd: ResourceInfo = { ...info('', 'Pod'), group: 'example.com', kind: 'Widget', resource: 'widgets' };
  assert.deepEqual(validateObjectMeta({ metadata: { name: 'w', namespace: 'd', finalizers: ['plain'] } }, crd, true), []);
});
