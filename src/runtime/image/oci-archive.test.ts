// Image archives: structure and digests of what we build, and inspectArchive
// on our archives and on docker-save archives laid out the older way.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, MEDIA_TYPE, buildImageArchive, inspectArchive, ociPlatform } from './oci-archive.js';
import { createTar, readTarEntries, writeTarFile, type TarEntry } from './tar.js';
import { openImageArchive, sha256 } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-oci-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const base: TarEntry[] = [
  { type: 'directory', name: 'bin' },
  { type: 'file', name: 'bin/app', content: '#!/bin/sh\necho app\n', mode: 0o755 },
];
const top: TarEntry[] = [
  { type: 'directory', name: 'etc' },
  { type: 'file', name: 'etc/app.conf', content: 'x=1\n' },
];

for (const compression of ['none', 'gzip'] as const) {
  test(`archive structure and digests (layers: ${compression})`, async () => {
    const outFile = join(dir, `app-${compression}.tar`);
    const built = await buildImageArchive({
      outFile,
      ref: ['kts.local/app:1.0', 'app'],
      layers: [base, top],
      compression,
      config: { Entrypoint: ['/bin/app'], Cmd: ['--serve'], Env: ['A=1'], WorkingDir: '/srv', User: '65534', ExposedPorts: { '8080/tcp': {} }, Labels: { tier: 'web' } },
    });
    assert.deepEqual(built.refs, ['kts.local/app:1.0', 'docker.io/library/app:latest']);
    assert.deepEqual(built.platform, ociPlatform());
    assert.equal(built.size, readFileSync(outFile).length);

    const img = openImageArchive(outFile); // checks every blob digest, size and diff_id
    assert.deepEqual(JSON.parse(img.files.get('oci-layout')!.toString()), { imageLayoutVersion: '1.0.0' });

    assert.equal(img.index.mediaType, MEDIA_TYPE.index);
    assert.equal(img.index.manifests.length, 2);
    for (const [i, ref] of built.refs.entries()) {
      const m = img.index.manifests[i];
      assert.equal(m.digest, built.digest);
      assert.equal(m.mediaType, MEDIA_TYPE.manifest);
      assert.deepEqual(m.platform, ociPlatform());
      assert.equal(m.annotations[ANNOTATION_IMAGE_NAME], ref);
      assert.equal(m.annotations[ANNOTATION_REF_NAME], ['1.0', 'latest'][i]);
    }
    assert.equal(sha256(img.files.get(`blobs/${built.digest.replace(':', '/')}`)!), built.digest);

    assert.equal(img.manifest.config.digest, built.configDigest);
    assert.equal(img.manifest.config.mediaType, MEDIA_TYPE.config);
    const layerType = compression === 'gzip' ? MEDIA_TYPE.layerGzip : MEDIA_TYPE.layer;
    assert.deepEqual(
      img.manifest.layers,
      built.layers.map((l) => ({ mediaType: layerType, digest: l.digest, size: l.size })),
    );
    assert.deepEqual(img.config.rootfs.diff_ids, built.layers.map((l) => l.diffId));
    if (compression === 'none') for (const l of built.layers) assert.equal(l.digest, l.diffId);
    else for (const l of built.layers) assert.notEqual(l.digest, l.diffId);

    assert.equal(img.config.architecture, ociPlatform().architecture);
    assert.equal(img.config.os, 'linux');
    assert.equal(img.config.created, '1970-01-01T00:00:00Z');
    assert.deepEqual(img.config.config, {
      User: '65534',
      ExposedPorts: { '8080/tcp': {} },
      Env: ['A=1'],
      Entrypoint: ['/bin/app'],
      Cmd: ['--serve'],
      WorkingDir: '/srv',
      Labels: { tier: 'web' },
    });
    assert.equal(img.config.history.length, 2);
    assert.deepEqual(img.layers[0]!.map((e) => e.name), ['bin', 'bin/app']);
    assert.deepEqual(img.layers[1]!.map((e) => e.name), ['etc', 'etc/app.conf']);

    assert.deepEqual(img.dockerManifest, [
      {
        Config: `blobs/sha256/${built.configDigest.slice(7)}`,
        RepoTags: built.refs,
        Layers: built.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
      },
    ]);
  });
}

test('the same inputs give the same digests and bytes', async () => {
  const a = await buildImageArchive({ outFile: join(dir, 'r1.tar'), ref: 'kts.local/r:1', layers: [base] });
  const b = await buildImageArchive({ outFile: join(dir, 'r2.tar'), ref: 'kts.local/r:1', layers: [base] });
  assert.equal(a.digest, b.digest);
  assert.ok(readFileSync(a.file).equals(readFileSync(b.file)));
  const c = await buildImageArchive({ outFile: join(dir, 'r3.tar'), ref: 'kts.local/r:1', layers: [base], created: new Date('2024-01-02T03:04:05Z') });
  assert.notEqual(c.digest, a.digest);
  assert.equal(openImageArchive(c.file).config.created, '2024-01-02T03:04:05Z');
});

test('a platform other than the host can be given; an unknown Node arch is an error', async () => {
  const built = await buildImageArchive({ outFile: join(dir, 'arm.tar'), ref: 'kts.local/a:1', layers: [base], platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } });
  const img = openImageArchive(built.file);
  assert.deepEqual(img.index.manifests[0].platform, { architecture: 'arm64', os: 'linux', variant: 'v8' });
  assert.equal(img.config.variant, 'v8');
  assert.deepEqual(ociPlatform('x64'), { architecture: 'amd64', os: 'linux' });
  assert.deepEqual(ociPlatform('arm64'), { architecture: 'arm64', os: 'linux' });
  assert.throws(() => ociPlatform('mips'), /no OCI architecture name/);
});

test('bad inputs are rejected and leave no file behind', async () => {
  const outFile = join(dir, 'bad.tar');
  await assert.rejects(buildImageArchive({ outFile, ref: `kts.local/x@sha256:${'a'.repeat(64)}`, layers: [base] }), /by tag, not by digest/);
  await assert.rejects(buildImageArchive({ outFile, ref: 'Bad', layers: [base] }), /lowercase/);
  await assert.rejects(buildImageArchive({ outFile, ref: [], layers: [base] }), /at least one image reference/);
  await assert.rejects(buildImageArchive({ outFile, ref: 'x', layers: [] }), /at least one layer/);
  await assert.rejects(buildImageArchive({ outFile, ref: 'x', layers: [[{ type: 'file', name: 'a', sourcePath: join(dir, 'nope') }]] }), /ENOENT/);
  assert.deepEqual(
    (await import('node:fs')).readdirSync(dir).filter((f) => f.startsWith('bad.tar')),
    [],
  );
});

test('inspectArchive: our archives, plain and gzip-compressed', async () => {
  const built = await buildImageArchive({ outFile: join(dir, 'inspect.tar'), ref: ['kts.local/busybox:1.36', 'kts.local/busybox:latest'], layers: [base] });
  const info = await inspectArchive(built.file);
  assert.equal(info.format, 'oci');
  assert.deepEqual(info.refs, ['kts.local/busybox:1.36', 'kts.local/busybox:latest']);
  assert.deepEqual(info.images[0], {
    ref: 'kts.local/busybox:1.36',
    refName: '1.36',
    manifestDigest: built.digest,
    mediaType: MEDIA_TYPE.manifest,
    platform: ociPlatform(),
    configDigest: built.configDigest,
  });
  const gz = join(dir, 'inspect.tar.gz');
  writeFileSync(gz, gzipSync(readFileSync(built.file)));
  assert.deepEqual(await inspectArchive(gz), info);
});

/** Rewrites an archive, changing or dropping entries. */
async function rewrite(src: string, out: string, change: (name: string, content: Buffer) => Buffer | null): Promise<void> {
  const entries: TarEntry[] = [];
  for (const e of readTarEntries(readFileSync(src))) {
    if (e.type === 'directory') entries.push({ type: 'directory', name: e.name });
    else {
      const content = change(e.name, e.content);
      if (content !== null) entries.push({ type: 'file', name: e.name, content });
    }
  }
  await writeTarFile(out, entries);
}

test('inspectArchive: OCI layouts named only by org.opencontainers.image.ref.name', async () => {
  const built = await buildImageArchive({ outFile: join(dir, 'refname.tar'), ref: 'kts.local/x:1', layers: [base] });
  const withAnnotations = async (annotations: Record<string, string> | undefined) => {
    const out = join(dir, 'refname-variant.tar');
    await rewrite(built.file, out, (name, content) => {
      if (name !== 'index.json') return content;
      const index = JSON.parse(content.toString());
      index.manifests[0].annotations = annotations;
      return Buffer.from(JSON.stringify(index));
    });
    return inspectArchive(out);
  };
  // A full reference is used as the name (ctr import does the same); a bare tag names nothing by itself.
  assert.deepEqual((await withAnnotations({ [ANNOTATION_REF_NAME]: 'kts.local/y:2' })).refs, ['kts.local/y:2']);
  const tagOnly = await withAnnotations({ [ANNOTATION_REF_NAME]: 'v2' });
  assert.deepEqual(tagOnly.refs, []);
  assert.equal(tagOnly.images[0]!.ref, null);
  assert.equal(tagOnly.images[0]!.refName, 'v2');
  assert.deepEqual((await withAnnotations(undefined)).images[0]!.ref, null);
  // oci-layout present: manifest.json is ignored, as containerd ignores it.
  const out = join(dir, 'refname-docker.tar');
  await rewrite(built.file, out, (name, content) => (name === 'manifest.json' ? Buffer.from(JSON.stringify([{ Config: 'x', RepoTags: ['other:1'], Layers: [] }])) : content));
  assert.deepEqual((await inspectArchive(out)).refs, ['kts.local/x:1']);
});

test('inspectArchive: our archive without the OCI layout reads as docker save', async () => {
  const built = await buildImageArchive({ outFile: join(dir, 'both.tar'), ref: 'kts.local/d:1', layers: [base] });
  const out = join(dir, 'docker-only.tar');
  await rewrite(built.file, out, (name, content) => (name === 'oci-layout' || name === 'index.json' ? null : content));
  const info = await inspectArchive(out);
  assert.deepEqual(info, { format: 'docker', refs: ['kts.local/d:1'], images: [{ ref: 'kts.local/d:1', configDigest: built.configDigest }] });
});

test('inspectArchive: a legacy docker save archive (<id>/layer.tar, <hex>.json)', async () => {
  const layer = await createTar(base);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  const configHex = sha256(config).slice(7);
  const id = 'f'.repeat(64);
  const file = join(dir, 'legacy.tar');
  await writeTarFile(file, [
    { type: 'directory', name: id },
    { type: 'file', name: `${id}/VERSION`, content: '1.0' },
    { type: 'file', name: `${id}/layer.tar`, content: layer },
    { type: 'file', name: `${configHex}.json`, content: config },
    {
      type: 'file',
      name: 'manifest.json',
      content: JSON.stringify([
        { Config: `${configHex}.json`, RepoTags: ['busybox:1.36', 'kts.local/tools'], Layers: [`${id}/layer.tar`] },
        { Config: `${configHex}.json`, RepoTags: null, Layers: [`${id}/layer.tar`] },
      ]),
    },
    { type: 'file', name: 'repositories', content: JSON.stringify({ busybox: { '1.36': id } }) },
  ]);
  const info = await inspectArchive(file);
  assert.equal(info.format, 'docker');
  assert.deepEqual(info.refs, ['docker.io/library/busybox:1.36', 'kts.local/tools:latest']);
  assert.deepEqual(info.images, [
    { ref: 'docker.io/library/busybox:1.36', configDigest: `sha256:${configHex}` },
    { ref: 'kts.local/tools:latest', configDigest: `sha256:${configHex}` },
    { ref: null, configDigest: `sha256:${configHex}` },
  ]);
});

test('inspectArchive: anything else is an error', async () => {
  const file = join(dir, 'not-an-image.tar');
  await writeTarFile(file, [{ type: 'file', name: 'hello.txt', content: 'hi' }]);
  await assert.rejects(inspectArchive(file), /not an image archive/);
  await assert.rejects(inspectArchive(join(dir, 'missing.tar')), /ENOENT/);
});
