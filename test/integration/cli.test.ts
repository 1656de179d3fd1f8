// The kts command from a user's seat: help, bad input, config file, `up`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { MAIN, run, KUBECTL } from './harness.js';

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
