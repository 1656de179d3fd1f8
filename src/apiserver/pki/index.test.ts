import 'reflect-metadata'; // must be evaluated before @peculiar/x509
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate, webcrypto } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';
import YAML from 'yaml';
import {
  PKI_FILES,
  canonicalIP,
  caCertHash,
  certificateFingerprint,
  classifySANs,
  ensureClusterPKI,
  issueClientCertificate,
  issueServingCertificate,
  kubeconfigYAML,
  servingSANs,
  writeKubeconfig,
  type CertKeyPair,
  type ClusterPKI,
} from './index.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const execFileP = promisify(execFile);
const KUBECTL = '/usr/bin/kubectl';
const DAY = 24 * 60 * 60 * 1000;

const tmpDirs: string[] = [];
async function tmpDir(): Promise<string> {
  const d = await fsp.mkdtemp(path.join(os.tmpdir(), 'kts-pki-test-'));
  tmpDirs.push(d);
  return d;
}
after(async () => {
  await Promise.all(tmpDirs.map((d) => fsp.rm(d, { recursive: true, force: true })));
});

async function mtimes(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const f of Object.values(PKI_FILES)) out[f] = (await fsp.stat(path.join(dir, f))).mtimeMs;
  return out;
}

function sanList(certPem: string): { dns: string[]; ips: string[] } {
  const c = new x509.X509Certificate(certPem);
  const ext = c.getExtension(x509.SubjectAlternativeNameExtension);
  const dns: string[] = [];
  const ips: string[] = [];
  for (const n of ext?.names.items ?? []) {
    if (n.type === 'dns') dns.push(n.value);
    else if (n.type === 'ip') ips.push(canonicalIP(n.value)!);
  }
  return { dns, ips };
}

function days(cert: X509Certificate): number {
  return (Date.parse(cert.validTo) - Date.now()) / DAY;
}

function listen(server: tls.Server | http2.Http2SecureServer | https.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

function close(server: tls.Server | http2.Http2SecureServer | https.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('SAN helpers', () => {
  test('canonicalIP normalises IPv4/IPv6 and rejects names', () => {
    assert.equal(canonicalIP('10.43.0.1'), '10.43.0.1');
    assert.equal(canonicalIP('::1'), '0:0:0:0:0:0:0:1');
    assert.equal(canonicalIP('[::1]'), '0:0:0:0:0:0:0:1');
    assert.equal(canonicalIP('FD00::0002'), 'fd00:0:0:0:0:0:0:2');
    assert.equal(canonicalIP('fe80::1%eth0'), 'fe80:0:0:0:0:0:0:1');
    assert.equal(canonicalIP('::ffff:10.0.0.1'), '0:0:0:0:0:ffff:a00:1');
    assert.equal(canonicalIP('kubernetes'), null);
    assert.equal(canonicalIP('1.2.3'), null);
  });

  test('classifySANs splits, lower-cases, dedupes and drops unspecified addresses', () => {
    const s = classifySANs(['Example.COM.', '10.0.0.1', '::1', '0:0::1', 'example.com', '0.0.0.0', '::', '', ' *.apps.local ']);
    assert.deepEqual(s.dns, ['example.com', '*.apps.local']);
    assert.deepEqual(s.ips, ['10.0.0.1', '0:0:0:0:0:0:0:1']);
  });

  test('servingSANs covers service names, host name, loopback, host addresses and extras', () => {
    const s = servingSANs(['10.43.0.1', 'api.example.com']);
    for (const d of [
      'localhost',
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
      os.hostname().toLowerCase(),
      'api.example.com',
    ]) {
      assert.ok(s.dns.includes(d), d);
    }
    for (const ip of ['127.0.0.1', '0:0:0:0:0:0:0:1', '10.43.0.1']) assert.ok(s.ips.includes(ip), ip);
    for (const addrs of Object.values(os.networkInterfaces())) {
      for (const a of addrs ?? []) {
        if (a.internal || /^fe[89ab]/i.test(a.address)) continue;
        assert.ok(s.ips.includes(canonicalIP(a.address)!), a.address);
      }
    }
  });
});

describe('ensureClusterPKI', () => {
  let dataDir: string;
  let pki: ClusterPKI;
  let firstMs: number;

  before(async () => {
    dataDir = await tmpDir();
    const t0 = performance.now();
    pki = await ensureClusterPKI(dataDir, { extraSANs: ['10.43.0.1', '192.0.2.10', 'api.example.com'] });
    firstMs = performance.now() - t0;
  });

  test('first call generates everything under <dataDir>/tls', async (t) => {
    t.diagnostic(`first ensureClusterPKI in this process (includes loading the x509 bundle): ${firstMs.toFixed(1)} ms`);
    assert.equal(pki.dir, path.join(dataDir, 'tls'));
    assert.deepEqual(pki.issued, { ca: true, serving: true, admin: true });
    for (const f of Object.values(PKI_FILES)) assert.ok(existsSync(path.join(pki.dir, f)), f);
    for (const f of [PKI_FILES.caKey, PKI_FILES.servingKey, PKI_FILES.adminKey]) {
      assert.equal((await fsp.stat(path.join(pki.dir, f))).mode & 0o777, 0o600, f);
    }
    assert.equal((await fsp.stat(pki.dir)).mode & 0o077, 0, 'tls dir not group/world accessible');
    assert.equal(await fsp.readFile(path.join(pki.dir, PKI_FILES.caCert), 'utf8'), pki.ca.certPem);
    assert.equal(await fsp.readFile(path.join(pki.dir, PKI_FILES.servingKey), 'utf8'), pki.serving.keyPem);
    // No temp files left behind.
    assert.deepEqual((await fsp.readdir(pki.dir)).sort(), Object.values(PKI_FILES).sort());
  });

  test('keys are PKCS#8 ECDSA P-256 PEM accepted by Node', () => {
    for (const pair of [pki.ca, pki.serving, pki.admin]) {
      assert.match(pair.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.match(pair.certPem, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
      const k = createPrivateKey(pair.keyPem);
      assert.equal(k.asymmetricKeyType, 'ec');
      assert.equal(k.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      assert.ok(new X509Certificate(pair.certPem).checkPrivateKey(k));
      tls.createSecureContext({ key: pair.keyPem, cert: pair.certPem });
    }
  });

  test('CA: self-signed, CN kts-ca@<unix-seconds>, ~10 years, CA constraints and key usages', async () => {
    const ca = new X509Certificate(pki.ca.certPem);
    const m = /^CN=kts-ca@(\d+)$/.exec(ca.subject);
    assert.ok(m, ca.subject);
    assert.ok(Math.abs(Number(m[1]) - Date.now() / 1000) < 600);
    assert.equal(ca.issuer, ca.subject);
    assert.ok(ca.ca);
    assert.ok(ca.verify(ca.publicKey));
    assert.ok(days(ca) > 3640 && days(ca) <= 3650, String(days(ca)));
    const pc = new x509.X509Certificate(pki.ca.certPem);
    assert.ok(await pc.isSelfSigned());
    const bc = pc.getExtension(x509.BasicConstraintsExtension);
    assert.ok(bc?.ca && bc.critical);
    const ku = pc.getExtension(x509.KeyUsagesExtension);
    assert.equal(
      ku?.usages,
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
    );
    assert.ok(pc.getExtension(x509.SubjectKeyIdentifierExtension));
  });

  test('serving certificate: CN kube-apiserver, all SANs, serverAuth, chains to the CA', async () => {
    const s = new X509Certificate(pki.serving.certPem);
    const ca = new X509Certificate(pki.ca.certPem);
    assert.equal(s.subject, 'CN=kube-apiserver');
    assert.ok(!s.ca);
    assert.ok(s.checkIssued(ca));
    assert.ok(s.verify(ca.publicKey));
    assert.deepEqual(s.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.ok(days(s) > 360 && days(s) <= 365);
    const ps = new x509.X509Certificate(pki.serving.certPem);
    assert.ok(await ps.verify({ publicKey: new x509.X509Certificate(pki.ca.certPem) }));
    // Issuer bytes identical to CA subject bytes (Go builds chains on raw names).
    assert.deepEqual(
      Buffer.from(ps.issuerName.toArrayBuffer()),
      Buffer.from(new x509.X509Certificate(pki.ca.certPem).subjectName.toArrayBuffer()),
    );
    const sans = sanList(pki.serving.certPem);
    const want = servingSANs(['10.43.0.1', '192.0.2.10', 'api.example.com']);
    assert.deepEqual(sans.dns.sort(), [...want.dns].sort());
    assert.deepEqual(sans.ips.sort(), [...want.ips].sort());
    for (const ip of ['127.0.0.1', '::1', '10.43.0.1', '192.0.2.10']) assert.equal(s.checkIP(ip), ip);
    for (const h of ['localhost', 'kubernetes.default.svc.cluster.local', 'api.example.com', os.hostname()]) {
      assert.ok(s.checkHost(h, { subject: 'never' }), h);
    }
  });

  test('admin certificate: CN system:admin, O system:masters, clientAuth, 1 year', () => {
    const a = new X509Certificate(pki.admin.certPem);
    const ca = new X509Certificate(pki.ca.certPem);
    assert.equal(a.subject, 'O=system:masters\nCN=system:admin');
    assert.deepEqual(a.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.ok(a.checkIssued(ca) && a.verify(ca.publicKey));
    assert.ok(days(a) > 360 && days(a) <= 365);
  });

  test('second call reuses everything without rewriting', async () => {
    const before = await mtimes(pki.dir);
    const fp = certificateFingerprint(pki.ca.certPem);
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    const again = await ensureClusterPKI(dataDir, { extraSANs: ['10.43.0.1', '192.0.2.10', 'api.example.com'] });
    const ms = performance.now() - t0;
    assert.deepEqual(again.issued, { ca: false, serving: false, admin: false });
    assert.equal(certificateFingerprint(again.ca.certPem), fp);
    assert.deepEqual(again.ca, pki.ca);
    assert.deepEqual(again.serving, pki.serving);
    assert.deepEqual(again.admin, pki.admin);
    assert.deepEqual(await mtimes(pki.dir), before);
    // A subset of the SANs (extra dropped) is still covered.
    const subset = await ensureClusterPKI(dataDir);
    assert.deepEqual(subset.issued, { ca: false, serving: false, admin: false });
    assert.deepEqual(await mtimes(pki.dir), before);
    assert.equal(caCertHash(pki.ca.certPem).length, 64);
    // reuse timing is informative only
    assert.ok(ms < 5000);
  });

  test('a new SAN re-issues only the serving certificate', async () => {
    const dir = await tmpDir();
    const p1 = await ensureClusterPKI(dir, { extraSANs: ['10.43.0.1'] });
    const m1 = await mtimes(p1.dir);
    await new Promise((r) => setTimeout(r, 20));
    const p2 = await ensureClusterPKI(dir, { extraSANs: ['10.43.0.1', '198.51.100.7', '[2001:db8::5]', 'kts.example.org'] });
    assert.deepEqual(p2.issued, { ca: false, serving: true, admin: false });
    assert.equal(certificateFingerprint(p2.ca.certPem), certificateFingerprint(p1.ca.certPem));
    assert.deepEqual(p2.admin, p1.admin);
    assert.notEqual(p2.serving.certPem, p1.serving.certPem);
    assert.notEqual(p2.serving.keyPem, p1.serving.keyPem);
    const s = new X509Certificate(p2.serving.certPem);
    assert.equal(s.checkIP('198.51.100.7'), '198.51.100.7');
    assert.ok(s.checkIP('2001:db8::5'));
    assert.ok(s.checkHost('kts.example.org', { subject: 'never' }));
    assert.ok(s.verify(new X509Certificate(p1.ca.certPem).publicKey));
    const m2 = await mtimes(p2.dir);
    assert.equal(m2[PKI_FILES.caCert], m1[PKI_FILES.caCert]);
    assert.equal(m2[PKI_FILES.caKey], m1[PKI_FILES.caKey]);
    assert.equal(m2[PKI_FILES.adminCert], m1[PKI_FILES.adminCert]);
    assert.notEqual(m2[PKI_FILES.servingCert], m1[PKI_FILES.servingCert]);
    // and it is stable afterwards
    const p3 = await ensureClusterPKI(dir, { extraSANs: ['198.51.100.7', '2001:db8:0::5', 'KTS.example.org'] });
    assert.deepEqual(p3.issued, { ca: false, serving: false, admin: false });
  });

  test('re-issues leaf certificates expiring within 90 days or signed by another CA', async () => {
    const dir = await tmpDir();
    const p1 = await ensureClusterPKI(dir);
    const tlsDir = p1.dir;
    // serving cert valid for only 30 more days
    const short = await issueServingCertificate(p1.ca, { commonName: 'kube-apiserver', sans: servingSANs(), days: 30 });
    await fsp.writeFile(path.join(tlsDir, PKI_FILES.servingCert), short.certPem);
    await fsp.writeFile(path.join(tlsDir, PKI_FILES.servingKey), short.keyPem);
    // admin cert from a foreign CA
    const other = await ensureClusterPKI(await tmpDir());
    await fsp.writeFile(path.join(tlsDir, PKI_FILES.adminCert), other.admin.certPem);
    await fsp.writeFile(path.join(tlsDir, PKI_FILES.adminKey), other.admin.keyPem);
    const p2 = await ensureClusterPKI(dir);
    assert.deepEqual(p2.issued, { ca: false, serving: true, admin: true });
    assert.ok(days(new X509Certificate(p2.serving.certPem)) > 360);
    assert.ok(new X509Certificate(p2.admin.certPem).checkIssued(new X509Certificate(p1.ca.certPem)));
    // mismatched key for a leaf -> re-issued
    await fsp.writeFile(path.join(tlsDir, PKI_FILES.servingKey), other.serving.keyPem);
    const p3 = await ensureClusterPKI(dir);
    assert.deepEqual(p3.issued, { ca: false, serving: true, admin: false });
    assert.ok(new X509Certificate(p3.serving.certPem).checkPrivateKey(createPrivateKey(p3.serving.keyPem)));
  });

  test('a CA certificate without its key (or with the wrong key) is an error, never replaced', async () => {
    const dir = await tmpDir();
    const p1 = await ensureClusterPKI(dir);
    const other = await ensureClusterPKI(await tmpDir());
    await fsp.writeFile(path.join(p1.dir, PKI_FILES.caKey), other.ca.keyPem);
    await assert.rejects(ensureClusterPKI(dir), /does not match/);
    await fsp.rm(path.join(p1.dir, PKI_FILES.caKey));
    await assert.rejects(ensureClusterPKI(dir), /missing/);
    assert.equal(await fsp.readFile(path.join(p1.dir, PKI_FILES.caCert), 'utf8'), p1.ca.certPem);
  });

  test('a CA key left without its certificate (interrupted first start) is regenerated', async () => {
    const dir = await tmpDir();
    const p1 = await ensureClusterPKI(dir);
    await fsp.rm(path.join(p1.dir, PKI_FILES.caCert));
    const p2 = await ensureClusterPKI(dir);
    assert.deepEqual(p2.issued, { ca: true, serving: true, admin: true });
    assert.notEqual(p2.ca.keyPem, p1.ca.keyPem);
  });
});

describe('issueClientCertificate', () => {
  let pki: ClusterPKI;
  before(async () => {
    pki = await ensureClusterPKI(await tmpDir());
  });

  test('CN, several O, days, clientAuth, chained to the CA', async () => {
    const c = await issueClientCertificate(pki.ca, {
      commonName: 'system:node:worker-1',
      organizations: ['system:nodes', 'kts:agents'],
      days: 30,
    });
    const x = new X509Certificate(c.certPem);
    assert.equal(x.subject, 'O=system:nodes\nO=kts:agents\nCN=system:node:worker-1');
    assert.deepEqual(x.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    const ca = new X509Certificate(pki.ca.certPem);
    assert.ok(x.checkIssued(ca) && x.verify(ca.publicKey));
    assert.ok(days(x) > 29 && days(x) <= 30);
    assert.ok(x.checkPrivateKey(createPrivateKey(c.keyPem)));
    const px = new x509.X509Certificate(c.certPem);
    assert.ok(await px.verify({ publicKey: new x509.X509Certificate(pki.ca.certPem) }));
    assert.equal(px.getExtension(x509.BasicConstraintsExtension)?.ca, false);
    assert.equal(
      px.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId,
      new x509.X509Certificate(pki.ca.certPem).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
    );
  });

  test('defaults to one year and never outlives the CA', async () => {
    const c = await issueClientCertificate(pki.ca, { commonName: 'kts-controller-manager' });
    assert.ok(days(new X509Certificate(c.certPem)) > 364);
    const long = await issueClientCertificate(pki.ca, { commonName: 'x', days: 100000 });
    assert.ok(Date.parse(new X509Certificate(long.certPem).validTo) <= Date.parse(new X509Certificate(pki.ca.certPem).validTo));
  });

  test('serial numbers are unique and positive', async () => {
    const a = new X509Certificate((await issueClientCertificate(pki.ca, { commonName: 'a' })).certPem);
    const b = new X509Certificate((await issueClientCertificate(pki.ca, { commonName: 'a' })).certPem);
    assert.notEqual(a.serialNumber, b.serialNumber);
    assert.ok(parseInt(a.serialNumber.slice(0, 2), 16) < 0x80);
  });

  test('rejects an empty common name', async () => {
    await assert.rejects(issueClientCertificate(pki.ca, { commonName: '' }), /commonName/);
  });
});

describe('TLS over loopback', () => {
  let pki: ClusterPKI;
  before(async () => {
    pki = await ensureClusterPKI(await tmpDir());
  });

  function handshake(port: number, client: CertKeyPair): Promise<tls.TLSSocket> {
    return new Promise((resolve, reject) => {
      const sock = tls.connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, cert: client.certPem, key: client.keyPem });
      sock.once('secureConnect', () => resolve(sock));
      sock.once('error', reject);
    });
  }

  test('mutual TLS: client certificate subject seen by server, server cert verified by client', async () => {
    const seen: tls.PeerCertificate[] = [];
    const server = tls.createServer(
      { key: pki.serving.keyPem, cert: pki.serving.certPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true },
      (s) => {
        seen.push(s.getPeerCertificate());
        s.end('hello\n');
      },
    );
    const port = await listen(server);
    try {
      const sock = await handshake(port, pki.admin);
      assert.ok(sock.authorized, String(sock.authorizationError));
      const serverCert = sock.getPeerCertificate();
      assert.equal(serverCert.subject.CN, 'kube-apiserver');
      assert.equal(tls.checkServerIdentity('localhost', serverCert), undefined);
      assert.equal(tls.checkServerIdentity('kubernetes.default.svc', serverCert), undefined);
      assert.ok(tls.checkServerIdentity('example.com', serverCert) instanceof Error);
      let data = '';
      sock.setEncoding('utf8');
      for await (const chunk of sock) data += chunk;
      assert.equal(data, 'hello\n');
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.subject.CN, 'system:admin');
      assert.equal(seen[0]!.subject.O, 'system:masters');

      // a client certificate from another CA is refused
      const foreign = await ensureClusterPKI(await tmpDir());
      await assert.rejects(async () => {
        const s2 = await handshake(port, foreign.admin);
        // TLS 1.3: the server's rejection arrives after the client's handshake completes
        await new Promise<void>((resolve, reject) => {
          s2.once('error', reject);
          s2.once('end', () => reject(new Error('closed')));
          s2.once('close', () => reject(new Error('closed')));
          s2.resume();
        });
      });
      assert.equal(seen.length, 1);
    } finally {
      await close(server);
    }
  });

  test('http2 secure server accepts the keys and sees the client certificate', async () => {
    const server = http2.createSecureServer(
      { key: pki.serving.keyPem, cert: pki.serving.certPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const peer = (req.socket as tls.TLSSocket).getPeerCertificate();
        res.end(JSON.stringify({ user: peer.subject.CN, group: peer.subject.O }));
      },
    );
    const port = await listen(server);
    try {
      const session = http2.connect(`https://127.0.0.1:${port}`, {
        ca: pki.ca.certPem,
        cert: pki.admin.certPem,
        key: pki.admin.keyPem,
      });
      const body = await new Promise<string>((resolve, reject) => {
        const req = session.request({ ':path': '/whoami' });
        let b = '';
        req.setEncoding('utf8');
        req.on('data', (c: string) => (b += c));
        req.on('end', () => resolve(b));
        req.on('error', reject);
        req.end();
      });
      session.close();
      assert.deepEqual(JSON.parse(body), { user: 'system:admin', group: 'system:masters' });
    } finally {
      await close(server);
    }
  });
});

describe('kubeconfig', () => {
  let pki: ClusterPKI;
  let dir: string;
  before(async () => {
    dir = await tmpDir();
    pki = await ensureClusterPKI(path.join(dir, 'data'));
  });

  test('kubeconfigYAML has the k3s shape with base64 data fields', () => {
    const text = kubeconfigYAML({ server: 'https://127.0.0.1:6443', caPem: pki.ca.certPem, client: pki.admin });
    const doc = YAML.parse(text);
    assert.equal(doc.apiVersion, 'v1');
    assert.equal(doc.kind, 'Config');
    assert.equal(doc['current-context'], 'default');
    assert.deepEqual(doc.contexts, [{ context: { cluster: 'default', user: 'default' }, name: 'default' }]);
    assert.equal(doc.clusters.length, 1);
    assert.equal(doc.clusters[0].name, 'default');
    assert.equal(doc.clusters[0].cluster.server, 'https://127.0.0.1:6443');
    const b = (s: string) => Buffer.from(s, 'base64').toString('utf8');
    assert.equal(b(doc.clusters[0].cluster['certificate-authority-data']), pki.ca.certPem);
    assert.equal(doc.users[0].name, 'default');
    assert.equal(b(doc.users[0].user['client-certificate-data']), pki.admin.certPem);
    assert.equal(b(doc.users[0].user['client-key-data']), pki.admin.keyPem);
    // no folded base64 lines
    assert.match(text, /^ {6}client-key-data: [A-Za-z0-9+/=]+$/m);
  });

  test('custom names', () => {
    const doc = YAML.parse(
      kubeconfigYAML({
        server: 'https://10.0.0.1:6443',
        caPem: pki.ca.certPem,
        client: pki.admin,
        clusterName: 'kts',
        userName: 'admin',
        contextName: 'kts-admin',
      }),
    );
    assert.equal(doc['current-context'], 'kts-admin');
    assert.deepEqual(doc.contexts[0], { context: { cluster: 'kts', user: 'admin' }, name: 'kts-admin' });
    assert.equal(doc.clusters[0].name, 'kts');
    assert.equal(doc.users[0].name, 'admin');
  });

  test('writeKubeconfig creates parents, mode 0600, atomically replaces', async () => {
    const file = path.join(dir, 'a', 'b', 'kubeconfig.yaml');
    await writeKubeconfig(file, 'first\n');
    assert.equal(await fsp.readFile(file, 'utf8'), 'first\n');
    assert.equal((await fsp.stat(file)).mode & 0o777, 0o600);
    await fsp.chmod(file, 0o644);
    await writeKubeconfig(file, 'second\n');
    assert.equal(await fsp.readFile(file, 'utf8'), 'second\n');
    assert.equal((await fsp.stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await fsp.readdir(path.dirname(file)), ['kubeconfig.yaml']);
  });

  test('kubectl parses the kubeconfig and talks mutual TLS to a server with the serving cert', {
    skip: existsSync(KUBECTL) ? false : `${KUBECTL} not installed`,
  }, async () => {
    const home = await tmpDir();
    const env = { ...process.env, HOME: home, KUBECONFIG: '' };
    const server = https.createServer(
      { key: pki.serving.keyPem, cert: pki.serving.certPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const peer = (req.socket as tls.TLSSocket).getPeerCertificate();
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ path: req.url, user: peer.subject.CN, group: peer.subject.O }));
      },
    );
    const port = await listen(server);
    try {
      const file = path.join(dir, 'kube', 'config');
      await writeKubeconfig(
        file,
        kubeconfigYAML({ server: `https://127.0.0.1:${port}`, caPem: pki.ca.certPem, client: pki.admin }),
      );
      const view = await execFileP(
        KUBECTL,
        ['--kubeconfig', file, 'config', 'view', '--raw', '-o', 'jsonpath={.users[0].user.client-certificate-data}'],
        { env },
      );
      assert.equal(Buffer.from(view.stdout.trim(), 'base64').toString('utf8'), pki.admin.certPem);
      // Go's TLS stack: parses the PKCS#8 EC client key, verifies the serving chain and IP SAN.
      const raw = await execFileP(KUBECTL, ['--kubeconfig', file, 'get', '--raw', '/version', '--request-timeout=10s'], {
        env,
      });
      assert.deepEqual(JSON.parse(raw.stdout), { path: '/version?timeout=10s', user: 'system:admin', group: 'system:masters' });
    } finally {
      server.closeAllConnections();
      await close(server);
    }
  });
});
