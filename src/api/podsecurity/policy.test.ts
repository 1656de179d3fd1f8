// Namespace labels to policy, whole-pod evaluation text and ordering.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePod, failuresText, isSignificantPodUpdate, podTemplateOf, policyFromLabels } from './policy.js';

const L = 'pod-security.kubernetes.io/';

test('labels: defaults, versions, warn follows enforce, invalid values', () => {
  assert.deepEqual(policyFromLabels(undefined), {
    enforce: { level: 'privileged', version: 'latest' },
    audit: { level: 'privileged', version: 'latest' },
    warn: { level: 'privileged', version: 'latest' },
  });
  const p = policyFromLabels({ [L + 'enforce']: 'baseline', [L + 'enforce-version']: 'v1.29' });
  assert.deepEqual(p.enforce, { level: 'baseline', version: 'v1.29' });
  assert.deepEqual(p.warn, { level: 'baseline', version: 'v1.29' });
  assert.deepEqual(policyFromLabels({ [L + 'enforce']: 'baseline', [L + 'warn']: 'restricted' }).warn, { level: 'restricted', version: 'latest' });
  assert.equal(policyFromLabels({ [L + 'enforce']: 'bogus' }).enforce.level, 'restricted');
  assert.equal(policyFromLabels({ [L + 'enforce']: 'bogus' }).warn.level, 'privileged');
  assert.equal(policyFromLabels({ [L + 'warn']: 'bogus' }).warn.level, 'privileged');
  assert.equal(policyFromLabels({ [L + 'enforce']: 'baseline', [L + 'enforce-version']: '1.2' }).enforce.version, 'latest');
});

test('restricted: the message of a plain pod, in upstream order', () => {
  const spec = { containers: [{ name: 'c', image: 'nginx' }] };
  assert.equal(
    failuresText(evaluatePod('restricted', {}, spec)),
    'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
      'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
      'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
      'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  );
  assert.deepEqual(evaluatePod('baseline', {}, spec), []);
  assert.deepEqual(evaluatePod('privileged', {}, { hostNetwork: true, containers: [] }), []);
});

test('baseline checks come before restricted ones; overridden baseline checks are replaced', () => {
  const spec = {
    hostNetwork: true,
    volumes: [{ name: 'h', hostPath: { path: '/' } }],
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{ name: 'c', securityContext: { privileged: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
  };
  assert.equal(
    failuresText(evaluatePod('restricted', {}, spec)),
    'host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true), restricted volume types (volume "h" uses restricted volume type "hostPath")',
  );
  assert.equal(
    failuresText(evaluatePod('baseline', {}, spec)),
    'host namespaces (hostNetwork=true), hostPath volumes (volume "h"), privileged (container "c" must not set securityContext.privileged=true)',
  );
});

test('a compliant restricted pod passes', () => {
  const spec = {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{ name: 'c', image: 'x', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
  };
  assert.deepEqual(evaluatePod('restricted', {}, spec), []);
});

test('pod templates and significant updates', () => {
  assert.deepEqual(podTemplateOf('batch', 'cronjobs', { spec: { jobTemplate: { spec: { template: { spec: { containers: [] } } } } } }), { meta: {}, spec: { containers: [] } });
  assert.equal(podTemplateOf('', 'replicationcontrollers', { spec: {} }), undefined);
  assert.equal(podTemplateOf('', 'services', { spec: {} }), undefined);
  const pod = { spec: { containers: [{ name: 'c', image: 'a' }] } };
  assert.equal(isSignificantPodUpdate(pod, pod), false);
  assert.equal(isSignificantPodUpdate({ spec: { containers: [{ name: 'c', image: 'b' }] } }, pod), true);
  assert.equal(isSignificantPodUpdate({ spec: { ...pod.spec, ephemeralContainers: [{ name: 'd', image: 'x' }] } }, pod), true);
});
