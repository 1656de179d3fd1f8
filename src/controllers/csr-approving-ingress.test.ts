import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateCertificateRequest } from '../apiserver/pki/index.js';
import { parsedRequestOf } from '../api/validation/certificates.js';
import { isNodeIngressRequest } from './csr-approving.js';

async function csrFor(subject: { commonName: string; organizations?: string[]; sans?: string[] }, username: string, groups: string[]): Promise<any> {
  const { csrPem } = await generateCertificateRequest(subject);
  return { spec: { request: Buffer.from(csrPem).toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client', username, groups, usages: ['digital signature', 'client auth'] } };
}

test('a node may get the ingress controller client certificate, and nothing else through that rule', async () => {
  const node = ['system:nodes', 'system:authenticated'];
  const ok = await csrFor({ commonName: 'system:kts:ingress' }, 'system:node:n2', node);
  assert.equal(isNodeIngressRequest(ok, parsedRequestOf(ok)!, ok.spec.usages), true);
  const cases: Array<[string, any]> = [
    ['another user name', await csrFor({ commonName: 'system:kts:dns' }, 'system:node:n2', node)],
    ['an organization', await csrFor({ commonName: 'system:kts:ingress', organizations: ['system:masters'] }, 'system:node:n2', node)],
    ['SANs', await csrFor({ commonName: 'system:kts:ingress', sans: ['10.0.0.1'] }, 'system:node:n2', node)],
    ['not a node', await csrFor({ commonName: 'system:kts:ingress' }, 'alice', ['system:authenticated'])],
  ];
  for (const [why, csr] of cases) assert.equal(isNodeIngressRequest(csr, parsedRequestOf(csr)!, csr.spec.usages), false, why);
  assert.equal(isNodeIngressRequest(ok, parsedRequestOf(ok)!, ['digital signature', 'server auth']), false, 'server auth');
});
