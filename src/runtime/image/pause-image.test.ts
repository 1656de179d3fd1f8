// The pause image: the compiled static program (signals, exit codes) and the
// busybox fallback.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_BUSYBOX_PATH } from './busybox-image.js';
import { readElfInfo } from './elf.js';
import { BUSYBOX_PAUSE_ENTRYPOINT, buildPauseImage } from './pause-image.js';
import { openImageArchive } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-pause-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const hasGcc = spawnSync('gcc', ['--version']).status === 0;
const hasBusybox = existsSync(DEFAULT_BUSYBOX_PATH);

let pauseBinary: string | undefined;

test('the static pause image: one static /pause, run as 65535', { skip: !hasGcc && 'no gcc' }, async () => {
  const started = Date.now();
  const built = await buildPauseImage(join(dir, 'pause.tar'));
  assert.ok(Date.now() - started < 5000, 'builds in well under a few seconds');
  assert.equal(built.variant, 'static', built.fallbackReason);
  assert.deepEqual(built.refs, ['kts.local/pause:3.10']);
  const img = openImageArchive(built.file);
  assert.deepEqual(img.config.config, { User: '65535:65535', Entrypoint: ['/pause'] });
  assert.deepEqual(img.layers[0]!.map((e) => [e.name, e.type, e.mode]), [['pause', 'file', 0o755]]);
  const bin = img.layers[0]![0]!.content;
  assert.equal(readElfInfo(bin).interpreter, null);
  pauseBinary = join(dir, 'pause');
  writeFileSync(pauseBinary, bin);
  chmodSync(pauseBinary, 0o755);

  const again = await buildPauseImage(join(dir, 'pause-again.tar'));
  assert.equal(again.digest, built.digest, 'reproducible');
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`pause keeps running, then exits 0 on ${signal}`, { skip: !hasGcc && 'no gcc' }, async () => {
    assert.ok(pauseBinary, 'built by the test above');
    const child = spawn(pauseBinary, [], { stdio: 'ignore' });
    const exited = once(child, 'exit');
    await sleep(200);
    assert.equal(child.exitCode, null, 'still running');
    child.kill(signal);
    const [code, sig] = await exited;
    assert.deepEqual([code, sig], [0, null]);
  });
}

test('without a working compiler the image falls back to busybox', { skip: !hasBusybox && 'no /bin/busybox' }, async () => {
  const built = await buildPauseImage(join(dir, 'fallback.tar'), 'kts.local/pause:fallback', { cc: join(dir, 'no-such-cc') });
  assert.equal(built.variant, 'busybox');
  assert.match(built.fallbackReason!, /not installed/);
  const img = openImageArchive(built.file);
  assert.deepEqual(img.config.config, { User: '65535:65535', Entrypoint: BUSYBOX_PAUSE_ENTRYPOINT });
  assert.deepEqual(
    img.layers[0]!.map((e) => [e.name, e.type, e.linkname]),
    [
      ['bin', 'directory', ''],
      ['bin/busybox', 'file', ''],
      ['bin/sh', 'symlink', 'busybox'],
      ['bin/sleep', 'symlink', 'busybox'],
    ],
  );
  assert.ok(img.layers[0]![1]!.content.equals(readFileSync(DEFAULT_BUSYBOX_PATH)));

  // The fallback's shell loop behaves like pause: runs until TERM, then exits 0.
  const [, , script] = BUSYBOX_PAUSE_ENTRYPOINT;
  const child = spawn(DEFAULT_BUSYBOX_PATH, ['sh', '-c', script!], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  await sleep(300);
  assert.equal(child.exitCode, null);
  child.kill('SIGTERM');
  assert.deepEqual(await exited, [0, null]);
});

test('a compile error falls back too, with the compiler output as the reason', { skip: !hasBusybox && 'no /bin/busybox' }, async () => {
  const fakeCc = join(dir, 'fake-cc');
  writeFileSync(fakeCc, '#!/bin/sh\necho "cannot find -lc" >&2\nexit 1\n');
  chmodSync(fakeCc, 0o755);
  const built = await buildPauseImage(join(dir, 'fallback2.tar'), undefined, { cc: fakeCc });
  assert.equal(built.variant, 'busybox');
  assert.match(built.fallbackReason!, /cannot find -lc/);
});
