// The busybox image, from the host's static busybox (Debian busybox-static).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_BUSYBOX_PATH, buildBusyboxImage, loadStaticBusybox } from './busybox-image.js';
import { readElfInfo } from './elf.js';
import { inspectArchive } from './oci-archive.js';
import { openImageArchive } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-busybox-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const hostBusybox = existsSync(DEFAULT_BUSYBOX_PATH) && readElfInfo(readFileSync(DEFAULT_BUSYBOX_PATH)).interpreter === null;
const skip = !hostBusybox && 'no static /bin/busybox (Debian package busybox-static)';

test('the image holds busybox, a /bin symlink per applet, users and directories', { skip }, async () => {
  const outFile = join(dir, 'busybox.tar');
  const started = Date.now();
  const built = await buildBusyboxImage(outFile);
  assert.ok(Date.now() - started < 5000, 'builds in well under a few seconds');
  assert.deepEqual(built.refs, ['kts.local/busybox:latest']);

  const img = openImageArchive(outFile);
  assert.equal(img.layers.length, 1);
  const entries = new Map(img.layers[0]!.map((e) => [e.name, e]));

  const bin = entries.get('bin/busybox')!;
  assert.equal(bin.type, 'file');
  assert.equal(bin.mode, 0o755);
  assert.ok(bin.content.equals(readFileSync(DEFAULT_BUSYBOX_PATH)));

  const listed = execFileSync(DEFAULT_BUSYBOX_PATH, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a !== '' && a !== 'busybox');
  assert.ok(listed.length > 100);
  assert.deepEqual(built.applets, [...listed].sort());
  for (const applet of [...listed, 'sh', 'sleep', 'httpd', 'wget', 'nc', 'nslookup', 'tar', 'cat', 'hostname']) {
    const link = entries.get(`bin/${applet}`);
    assert.ok(link, `bin/${applet}`);
    assert.equal(link.type, 'symlink');
    assert.equal(link.linkname, 'busybox');
  }

  assert.match(entries.get('etc/passwd')!.content.toString(), /^root:x:0:0:root:\/root:\/bin\/sh$/m);
  assert.match(entries.get('etc/passwd')!.content.toString(), /^nobody:x:65534:65534:/m);
  assert.match(entries.get('etc/group')!.content.toString(), /^root:x:0:$/m);
  assert.match(entries.get('etc/group')!.content.toString(), /^nobody:x:65534:$/m);
  const modes = Object.fromEntries(['tmp', 'root', 'home', 'var', 'var/www'].map((d) => [d, entries.get(d)?.type === 'directory' ? entries.get(d)!.mode : -1]));
  assert.deepEqual(modes, { tmp: 0o1777, root: 0o700, home: 0o755, var: 0o755, 'var/www': 0o755 });

  assert.deepEqual(img.config.config, { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] });
  assert.deepEqual((await inspectArchive(outFile)).refs, ['kts.local/busybox:latest']);
});

test('a custom reference is normalized', { skip }, async () => {
  const built = await buildBusyboxImage(join(dir, 'hub.tar'), 'busybox:1.36');
  assert.deepEqual(built.refs, ['docker.io/library/busybox:1.36']);
});

test('a missing or dynamically linked busybox is refused, naming busybox-static', async () => {
  await assert.rejects(loadStaticBusybox(join(dir, 'no-such-busybox')), /not found at .*busybox-static/);
  const notElf = join(dir, 'script');
  writeFileSync(notElf, '#!/bin/sh\n');
  await assert.rejects(loadStaticBusybox(notElf), /not a busybox executable .*busybox-static/);
  if (readElfInfo(readFileSync(process.execPath)).interpreter !== null) {
    await assert.rejects(buildBusyboxImage(join(dir, 'x.tar'), undefined, { busyboxPath: process.execPath }), /dynamically linked .*busybox-static/);
  }
  assert.equal(existsSync(join(dir, 'x.tar')), false);
});
