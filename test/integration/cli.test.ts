// The kts command from a user's seat: help, bad input, config file, `up`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { MAIN, run, KUBECTL, startKts, eventually } from './harness.js';

const kts = (args: string[]) => run(process.execPath, [MAIN, ...args], { timeoutMs: 20_000 });

test('kts --help lists the commands, and each command has --help', async () => {
  const r = await kts(['--help']);
  assert.equal(r.code, 0);
  for (const c of ['up', 'server', 'version']) assert.match(r.stdout, new RegExp(`\\n  ${c}\\s`));
  for (const c of ['up', 'server']) {
    const h = await kts([c, '--help']);
    assert.equal(h.code, 0);
    for (const f of ['--data-dir', '--port', '--bind-address', '--write-kubeconfig', '--config']) assert.ok(h.stdout.includes(f), `${c} --help lacks ${f}`);
  }
  const v = await kts(['version']);
  assert.match(v.stdout, /Kubernetes v1\.32\.\d+\+kts/);
});

test('bad input: one line on stderr and a non-zero exit', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['frobnicate'], /^kts: unknown command "frobnicate"; run 'kts --help'\n$/],
    [['server', '--port', 'abc'], /^kts: invalid value for --port: abc \(want a non-negative integer\)\n$/],
    [['server', '--port', '70000'], /^kts: invalid value for --port: 70000 \(want 0-65535\)\n$/],
    [['server', '--no-such-flag'], /^kts: unknown flag: --no-such-flag\n$/],
    [['server', '--storage', 'floppy'], /^kts: invalid value for --storage: floppy \(want sqlite or memory\)\n$/],
    [['server', '--config', '/nonexistent/kts.yaml'], /^kts: config file not found: \/nonexistent\/kts\.yaml\n$/],
    [['server', '--service-cidr', '10.43.0.1/16'], /^kts: invalid value for --service-cidr: 10\.43\.0\.1\/16 \(want an IPv4 CIDR from \/8 to \/28, such as 10\.43\.0\.0\/16\)\n$/],
    [['server', '--cluster-cidr', '10.42.0.0/25'], /^kts: invalid value for --cluster-cidr: 10\.42\.0\.0\/25 \(want an IPv4 CIDR of at least a \/24, such as 10\.42\.0\.0\/16\)\n$/],
    [['agent'], /^kts: missing --server https:\/\/HOST:6443\n$/],
    [['agent', '--server', 'https://127.0.0.1:1', '--token', 'abcdef.0123456789abcdef', '--data-dir', '/nonexistent/kts-agent'], /^kts: invalid join token: want K10<CA hash>::<id>\.<secret>, as printed by `kts token create` on the server\n$/],
  ];
  for (const [args, re] of cases) {
    const r = await kts(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, re);
  }
  const dir = mkdtempSync(join(tmpdir(), 'kts-cli-'));
  try {
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, 'prot: 1\n');
    const r = await kts(['server', '--config', cfg]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^kts: config file .*bad\.yaml: unknown key "prot"\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kts up with a config file: progress, kubeconfig, and a working kubectl', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-up-'));
  const cfg = join(dir, 'config.yaml');
  const extra = join(dir, 'out', 'kubeconfig');
  writeFileSync(cfg, YAML.stringify({ 'data-dir': join(dir, 'data'), port: 0, 'bind-address': '127.0.0.1', 'write-kubeconfig': extra, storage: 'memory' }));
  const proc = spawn(process.execPath, [MAIN, 'up', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (err += d));
  try {
    const end = Date.now() + 20_000;
    while (!/Press Ctrl-C to stop/.test(out)) {
      if (Date.now() > end) throw new Error(`kts up did not become ready: ${err}${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(err, /kts: storage: memory/);
    assert.match(err, /kts: API server listening on 127\.0\.0\.1:\d+/);
    assert.match(out, /kts is ready in \d+ ms: Kubernetes API at https:\/\/127\.0\.0\.1:\d+/);
    assert.ok(out.includes(`export KUBECONFIG=${extra}`));
    assert.ok(existsSync(join(dir, 'data', 'admin.kubeconfig')));
    assert.ok(existsSync(extra));
    const kc = YAML.parse(readFileSync(extra, 'utf8'));
    assert.match(kc.clusters[0].cluster.server, /^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await run(KUBECTL, ['get', 'ns', 'default', '-o', 'name'], { env: { ...process.env, KUBECONFIG: extra } });
    assert.equal(r.stdout.trim(), 'namespace/default');
  } finally {
    proc.kill('SIGINT');
    await new Promise((r) => proc.once('exit', r));
    assert.match(err, /SIGINT: stopping/);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--service-cidr and --cluster-cidr: the kubernetes Service, new ClusterIPs and nodes\' pod CIDRs come from them', async () => {
  const k = await startKts({ extraArgs: ['--service-cidr', '10.96.0.0/12', '--cluster-cidr', '10.244.0.0/16'] });
  try {
    assert.equal((await k.k(['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}'])).trim(), '10.96.0.1');
    await k.k(['create', 'service', 'clusterip', 'web', '--tcp=80:8080']);
    const ip = (await k.k(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    assert.match(ip, /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/, ip);
    const bad = await k.kubectl(['create', 'service', 'clusterip', 'outside', '--tcp=80:8080', '--clusterip', '10.43.0.50']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec\.clusterIPs: Invalid value: \[\]string\{"10\.43\.0\.50"\}: failed to allocate IP 10\.43\.0\.50: the provided IP \(10\.43\.0\.50\) is not in the valid range\. The range of valid IPs is 10\.96\.0\.0\/12/);
    await k.k(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }));
    const cidr = await eventually('a pod CIDR for n1', async () => (await k.k(['get', 'node', 'n1', '-o', 'jsonpath={.spec.podCIDR}'])).trim() || undefined);
    assert.equal(cidr, '10.244.0.0/24');
  } finally {
    await k.stop();
  }
});
