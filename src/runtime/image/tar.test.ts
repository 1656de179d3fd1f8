// The tar writer and reader: round trips, PAX for long names, and agreement
// with the system's GNU tar in both directions.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTar, readTarEntries, scanTarFile, writeTarFile, type TarEntry } from './tar.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-tar-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const hasTar = spawnSync('tar', ['--version']).status === 0;
const longDir = 'deep/' + 'd'.repeat(120);
const longName = `${longDir}/${'f'.repeat(150)}.txt`;

function sample(): TarEntry[] {
  writeFileSync(join(dir, 'source.bin'), Buffer.alloc(1500, 7));
  return [
    { type: 'directory', name: '/bin' },
    { type: 'file', name: 'bin/tool', content: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o4755 },
    { type: 'symlink', name: 'bin/sh', linkname: 'tool' },
    { type: 'directory', name: './tmp', mode: 0o1777 },
    { type: 'file', name: 'etc/empty', content: '' },
    { type: 'file', name: 'etc/block', content: Buffer.alloc(512, 1), uid: 1000, gid: 1001, mtime: 1700000000 },
    { type: 'file', name: 'data/source.bin', sourcePath: join(dir, 'source.bin') },
    { type: 'directory', name: 'deep' },
    { type: 'directory', name: longDir },
    { type: 'file', name: longName, content: 'long\n' },
    { type: 'symlink', name: 'link-to-long', linkname: `/${longName}` },
    { type: 'file', name: 'ünïcödé/ファイル', content: 'utf8\n' },
    { type: 'file', name: 'big-ids', content: 'x', uid: 5_000_000, gid: 4_000_000 },
  ];
}

test('round trip: names (long ones through PAX), types, modes, ids, times, content', async () => {
  const tar = await createTar(sample());
  assert.equal(tar.length % 512, 0);
  assert.ok(tar.subarray(tar.length - 1024).equals(Buffer.alloc(1024)), 'ends with two zero blocks');
  const got = [...readTarEntries(tar)];
  assert.deepEqual(
    got.map((e) => [e.name, e.type]),
    [
      ['bin', 'directory'],
      ['bin/tool', 'file'],
      ['bin/sh', 'symlink'],
      ['tmp', 'directory'],
      ['etc/empty', 'file'],
      ['etc/block', 'file'],
      ['data/source.bin', 'file'],
      ['deep', 'directory'],
      [longDir, 'directory'],
      [longName, 'file'],
      ['link-to-long', 'symlink'],
      ['ünïcödé/ファイル', 'file'],
      ['big-ids', 'file'],
    ],
  );
  const byName = new Map(got.map((e) => [e.name, e]));
  assert.equal(byName.get('bin')!.mode, 0o755);
  assert.equal(byName.get('bin/tool')!.mode, 0o4755);
  assert.equal(byName.get('bin/tool')!.content.toString(), '#!/bin/sh\necho hi\n');
  assert.equal(byName.get('bin/sh')!.linkname, 'tool');
  assert.equal(byName.get('bin/sh')!.mode, 0o777);
  assert.equal(byName.get('tmp')!.mode, 0o1777);
  assert.equal(byName.get('etc/empty')!.size, 0);
  assert.equal(byName.get('etc/empty')!.mode, 0o644);
  const block = byName.get('etc/block')!;
  assert.deepEqual([block.uid, block.gid, block.mtime, block.size], [1000, 1001, 1700000000, 512]);
  assert.ok(block.content.equals(Buffer.alloc(512, 1)));
  assert.ok(byName.get('data/source.bin')!.content.equals(Buffer.alloc(1500, 7)));
  assert.equal(byName.get(longName)!.content.toString(), 'long\n');
  assert.equal(byName.get('link-to-long')!.linkname, `/${longName}`);
  assert.equal(byName.get('ünïcödé/ファイル')!.content.toString(), 'utf8\n');
  assert.deepEqual([byName.get('big-ids')!.uid, byName.get('big-ids')!.gid], [5_000_000, 4_000_000]);
  assert.equal(byName.get('bin')!.mtime, 0, 'mtime defaults to 0');
});

test('output is reproducible, and writeTarFile writes the same bytes as createTar', async () => {
  const a = await createTar(sample());
  const b = await createTar(sample());
  assert.ok(a.equals(b));
  const file = join(dir, 'out.tar');
  await writeTarFile(file, sample());
  assert.ok(readFileSync(file).equals(a));
});

test('scanTarFile reads headers, and only the data asked for', async () => {
  const file = join(dir, 'scan.tar');
  await writeTarFile(file, sample());
  const entries = [...scanTarFile(file, (name) => name === 'bin/tool')];
  assert.equal(entries.length, 13);
  assert.equal(entries.find((e) => e.name === 'bin/tool')!.content.toString(), '#!/bin/sh\necho hi\n');
  const src = entries.find((e) => e.name === 'data/source.bin')!;
  assert.equal(src.content.length, 0);
  assert.ok(readFileSync(file).subarray(src.offset, src.offset + src.size).equals(Buffer.alloc(1500, 7)));
});

test('GNU tar lists and extracts what we write', { skip: !hasTar && 'no tar on this machine' }, async () => {
  const file = join(dir, 'gnu-check.tar');
  await writeTarFile(file, sample());
  const list = spawnSync('tar', ['-tf', file], { encoding: 'utf8' });
  assert.equal(list.status, 0, list.stderr);
  assert.ok(list.stdout.split('\n').includes(longName));
  const out = join(dir, 'extract');
  mkdirSync(out);
  const x = spawnSync('tar', ['-xf', file, '-C', out], { encoding: 'utf8' });
  assert.equal(x.status, 0, x.stderr);
  assert.equal(readlinkSync(join(out, 'link-to-long')), `/${longName}`);
  assert.equal(readFileSync(join(out, longName), 'utf8'), 'long\n');
  assert.equal(readFileSync(join(out, 'bin/sh'), 'utf8'), '#!/bin/sh\necho hi\n');
});

for (const format of ['gnu', 'pax', 'ustar']) {
  // ustar: a 155-byte path split over the prefix and name fields; gnu and pax: a 180-byte file name.
  test(`reads archives GNU tar writes (--format=${format})`, { skip: !hasTar && 'no tar on this machine' }, () => {
    const root = join(dir, `src-${format}`);
    const sub = `sub/${'p'.repeat(60)}`;
    const name = `${sub}/${format === 'ustar' ? 'u'.repeat(90) : 'n'.repeat(180)}`;
    mkdirSync(join(root, sub), { recursive: true });
    writeFileSync(join(root, name), 'hello');
    const file = join(dir, `${format}.tar`);
    const c = spawnSync('tar', [`--format=${format}`, '-cf', file, '-C', root, 'sub'], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
    const got = [...readTarEntries(readFileSync(file))];
    assert.deepEqual(
      got.map((e) => [e.name, e.type]),
      [
        ['sub', 'directory'],
        [sub, 'directory'],
        [name, 'file'],
      ],
    );
    assert.equal(got[2]!.content.toString(), 'hello');
  });
}

test('a corrupted header is reported, not misread', async () => {
  const tar = await createTar([{ type: 'file', name: 'a', content: 'x' }]);
  tar[0] = 'b'.charCodeAt(0);
  assert.throws(() => [...readTarEntries(tar)], /bad header checksum/);
});

test('invalid entries are rejected', async () => {
  await assert.rejects(createTar([{ type: 'file', name: 'a' }]), /exactly one of content or sourcePath/);
  await assert.rejects(createTar([{ type: 'file', name: 'a', content: 'x', sourcePath: '/etc/hostname' }]), /exactly one/);
  await assert.rejects(createTar([{ type: 'directory', name: '/' }]), /invalid entry name/);
  await assert.rejects(createTar([{ type: 'symlink', name: 'l', linkname: '' }]), /empty target/);
  await assert.rejects(createTar([{ type: 'file', name: 'a', sourcePath: join(dir, 'missing') }]), /ENOENT/);
});
