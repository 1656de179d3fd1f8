import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { caCertHash, generateCA, issueServingCertificate } from '../apiserver/pki/index.js';
import { fetchTrustedCA, formatJoinToken, parseJoinToken } from './join-token.js';

test('join tokens: K10<CA hash>::<bootstrap token>, anything else refused with a reason', () => {
  const hash = 'ab'.repeat(32);
  const t = formatJoinToken(hash, 'abcdef.0123456789abcdef');
  assert.equal(t, `K10${hash}::abcdef.0123456789abcdef`);
  assert.deepEqual(parseJoinToken(t), { caHash: hash, bootstrapToken: 'abcdef.0123456789abcdef' });
  assert.throws(() => parseJoinToken('abcdef.0123456789abcdef'), /want K10<CA hash>::<id>\.<secret>/);
  assert.throws(() => parseJoinToken(`K10${hash}::nope`), /not a bootstrap token/);
  assert.throws(() => parseJoinToken(`K10${hash.slice(2)}::abcdef.0123456789abcdef`), /want K10/);
});

async function serve(chain: string, keyPem: string): Promise<{ url: string; close(): void }> {
  const srv = createServer({ cert: chain, key: keyPem }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `https://127.0.0.1:${(srv.address() as AddressInfo).port}`, close: () => srv.close() };
}

test('fetchTrustedCA accepts the CA matching the hash that signed the server certificate, and nothing else', async () => {
  const ca = await generateCA('join-test-ca');
  const other = await generateCA('other-ca');
  const leaf = await issueServingCertificate(ca, { commonName: 'srv', sans: ['127.0.0.1'] });
  const good = await serve(leaf.certPem + ca.certPem, leaf.keyPem);
  try {
    const got = await fetchTrustedCA(good.url, caCertHash(ca.certPem));
    assert.equal(caCertHash(got), caCertHash(ca.certPem));
    await assert.rejects(fetchTrustedCA(good.url, caCertHash(other.certPem)), /does not match the hash in the join token/);
  } finally {
    good.close();
  }
  // A server presenting the right CA next to a certificate it did not sign:
  // the CA is not part of the server certificate's chain, so nothing matches.
  const forged = await issueServingCertificate(other, { commonName: 'srv', sans: ['127.0.0.1'] });
  const bad = await serve(forged.certPem + ca.certPem, forged.keyPem);
  try {
    await assert.rejects(fetchTrustedCA(bad.url, caCertHash(ca.certPem)), /does not match the hash in the join token|not signed by the cluster CA/);
  } finally {
    bad.close();
  }
  await assert.rejects(fetchTrustedCA('https://127.0.0.1:1', caCertHash(ca.certPem)), /cannot reach/);
});
