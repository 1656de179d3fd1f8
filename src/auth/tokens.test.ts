import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { signJwt, verifyJwt, keyId } from './jwt.js';
import { DEFAULT_ISSUER, TokenAuthenticator, TokenIssuer, TokenRejected, parseTokenFile, type TokenLookup } from './tokens.js';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

test('ES256 and RS256 tokens verify with their key only', () => {
  for (const k of [ec, rsa]) {
    const t = signJwt({ sub: 'x' }, k.privateKey);
    assert.deepEqual(verifyJwt(t, [k.publicKey]), { sub: 'x' });
    assert.equal(verifyJwt(t, [other.publicKey]), undefined);
    const header = JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString());
    assert.equal(header.alg, k === ec ? 'ES256' : 'RS256');
    assert.equal(header.kid, keyId(createPublicKey(k.privateKey)));
  }
});

test('tampered payloads, alg none and garbage are refused', () => {
  const t = signJwt({ sub: 'a' }, ec.privateKey);
  const [h, , s] = t.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'b' })).toString('base64url')}.${s}`;
  assert.equal(verifyJwt(forged, [ec.publicKey]), undefined);
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"a"}').toString('base64url')}.`;
  assert.equal(verifyJwt(none, [ec.publicKey]), undefined);
  assert.equal(verifyJwt('a.b.c', [ec.publicKey]), undefined);
  assert.equal(verifyJwt('nope', [ec.publicKey]), undefined);
});

function world() {
  const objs = new Map<string, any>();
  const put = (kind: string, ns: string, name: string, o: any = {}) => objs.set(`${kind}/${ns}/${name}`, { metadata: { name, namespace: ns, uid: `${name}-uid` }, ...o });
  const lookup: TokenLookup = {
    serviceAccount: (ns, n) => objs.get(`sa/${ns}/${n}`),
    pod: (ns, n) => objs.get(`pod/${ns}/${n}`),
    secret: (ns, n) => objs.get(`secret/${ns}/${n}`),
  };
  return { objs, put, lookup };
}

test('bound tokens: claims, user, groups, extra, expiry, audience, revocation', () => {
  const w = world();
  w.put('sa', 'ns1', 'robot');
  w.put('pod', 'ns1', 'p');
  let now = 1_000_000;
  const issuer = new TokenIssuer(ec.privateKey);
  const authn = new TokenAuthenticator({ publicKeys: [ec.publicKey], issuer: DEFAULT_ISSUER, lookup: w.lookup, now: () => now });
  const { token, claims } = issuer.bound({ audiences: [DEFAULT_ISSUER], namespace: 'ns1', serviceAccount: { name: 'robot', uid: 'robot-uid' }, pod: { name: 'p', uid: 'p-uid' }, now, expirationSeconds: 600 });
  assert.equal(claims.sub, 'system:serviceaccount:ns1:robot');
  assert.equal(claims.exp, now + 600);
  assert.deepEqual((claims as any)['kubernetes.io'].pod, { name: 'p', uid: 'p-uid' });
  const u = authn.authenticate(token)!;
  assert.equal(u.name, 'system:serviceaccount:ns1:robot');
  assert.equal(u.uid, 'robot-uid');
  assert.deepEqual(u.groups, ['system:serviceaccounts', 'system:serviceaccounts:ns1', 'system:authenticated']);
  assert.deepEqual(u.extra?.['authentication.kubernetes.io/pod-name'], ['p']);
  assert.deepEqual(u.extra?.['authentication.kubernetes.io/pod-uid'], ['p-uid']);
  // Wrong audience.
  assert.throws(() => authn.review(token, ['vault']), TokenRejected);
  const vault = issuer.bound({ audiences: ['vault'], namespace: 'ns1', serviceAccount: { name: 'robot', uid: 'robot-uid' }, now, expirationSeconds: 600 }).token;
  assert.equal(authn.authenticate(vault), undefined);
  assert.deepEqual(authn.review(vault, ['vault']).audiences, ['vault']);
  // Expired.
  now += 601;
  assert.equal(authn.authenticate(token), undefined);
  now -= 601;
  // The pod goes: the token stops working (despite the signature cache).
  w.objs.delete('pod/ns1/p');
  assert.equal(authn.authenticate(token), undefined);
  // A recreated ServiceAccount has another UID.
  const plain = issuer.bound({ audiences: [DEFAULT_ISSUER], namespace: 'ns1', serviceAccount: { name: 'robot', uid: 'robot-uid' }, now, expirationSeconds: 600 }).token;
  assert.ok(authn.authenticate(plain));
  w.put('sa', 'ns1', 'robot', { metadata: { name: 'robot', uid: 'new' } });
  assert.equal(authn.authenticate(plain), undefined);
  // Signed by another key.
  const foreign = new TokenIssuer(other.privateKey).bound({ audiences: [DEFAULT_ISSUER], namespace: 'ns1', serviceAccount: { name: 'robot', uid: 'new' }, now, expirationSeconds: 600 }).token;
  assert.equal(authn.authenticate(foreign), undefined);
});

test('legacy tokens work while their Secret holds them', () => {
  const w = world();
  w.put('sa', 'ns1', 'robot');
  const issuer = new TokenIssuer(rsa.privateKey);
  const token = issuer.legacy('ns1', { name: 'robot', uid: 'robot-uid' }, 'robot-token');
  w.put('secret', 'ns1', 'robot-token', { data: { token: Buffer.from(token).toString('base64') } });
  const authn = new TokenAuthenticator({ publicKeys: [rsa.publicKey], issuer: DEFAULT_ISSUER, lookup: w.lookup });
  assert.equal(authn.authenticate(token)?.name, 'system:serviceaccount:ns1:robot');
  w.objs.delete('secret/ns1/robot-token');
  assert.equal(authn.authenticate(token), undefined);
});

test('bootstrap tokens: groups, usage, expiration', () => {
  const w = world();
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  let now = 1_000_000;
  const data = (exp: string) => ({ 'token-id': b64('abcdef'), 'token-secret': b64('0123456789abcdef'), 'usage-bootstrap-authentication': b64('true'), 'auth-extra-groups': b64('system:bootstrappers:kts:default-node-token'), expiration: b64(exp) });
  w.put('secret', 'kube-system', 'bootstrap-token-abcdef', { type: 'bootstrap.kubernetes.io/token', data: data(new Date((now + 60) * 1000).toISOString()) });
  const authn = new TokenAuthenticator({ publicKeys: [], issuer: DEFAULT_ISSUER, lookup: w.lookup, now: () => now });
  const u = authn.authenticate('abcdef.0123456789abcdef')!;
  assert.equal(u.name, 'system:bootstrap:abcdef');
  assert.deepEqual(u.groups, ['system:bootstrappers', 'system:bootstrappers:kts:default-node-token', 'system:authenticated']);
  assert.equal(authn.authenticate('abcdef.0123456789abcdee'), undefined);
  now += 61;
  assert.equal(authn.authenticate('abcdef.0123456789abcdef'), undefined);
});

test('static token file', () => {
  const m = parseTokenFile('# comment\nt1,alice,1001,"dev,ops"\nt2,bob,1002\n');
  assert.deepEqual(m.get('t1'), { name: 'alice', uid: '1001', groups: ['dev', 'ops', 'system:authenticated'] });
  assert.deepEqual(m.get('t2')?.groups, ['system:authenticated']);
  assert.throws(() => parseTokenFile('only,two'), /line 1/);
  const authn = new TokenAuthenticator({ publicKeys: [], issuer: DEFAULT_ISSUER, lookup: world().lookup, staticTokens: m });
  assert.equal(authn.authenticate('t1')?.name, 'alice');
  assert.equal(authn.authenticate('t3'), undefined);
});
