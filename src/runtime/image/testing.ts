// Test helpers: open an image archive the way an importer would and check
// every digest on the way.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { readTarEntries, type TarReadEntry } from './tar.js';

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface OpenedImage {
  files: Map<string, Buffer>;
  index: any;
  dockerManifest: any;
  manifest: any;
  config: any;
  /** Each layer's entries, bottom first. */
  layers: TarReadEntry[][];
}

/**
 * Reads an archive written by buildImageArchive, asserting that every blob is
 * stored under its own digest, that descriptors give the right sizes, and that
 * the config's diff_ids are the digests of the uncompressed layers.
 */
export function openImageArchive(file: string): OpenedImage {
  const files = new Map<string, Buffer>();
  for (const e of readTarEntries(readFileSync(file))) if (e.type === 'file') files.set(e.name, e.content);
  for (const [name, content] of files) {
    if (name.startsWith('blobs/sha256/')) assert.equal(sha256(content), `sha256:${name.slice('blobs/sha256/'.length)}`, `${name} content matches its name`);
  }
  const blob = (d: { digest: string; size: number }): Buffer => {
    const b = files.get(`blobs/${d.digest.replace(':', '/')}`);
    assert.ok(b, `blob ${d.digest} present`);
    assert.equal(b.length, d.size, `blob ${d.digest} size`);
    return b;
  };
  const index = JSON.parse(files.get('index.json')!.toString());
  const manifest = JSON.parse(blob(index.manifests[0]).toString());
  const config = JSON.parse(blob(manifest.config).toString());
  const layers = (manifest.layers as { digest: string; size: number; mediaType: string }[]).map((l, i) => {
    let tar = blob(l);
    if (l.mediaType.endsWith('+gzip')) tar = gunzipSync(tar);
    assert.equal(config.rootfs.diff_ids[i], sha256(tar), `diff_id of layer ${i}`);
    return [...readTarEntries(tar)];
  });
  assert.equal(config.rootfs.diff_ids.length, layers.length);
  const dockerManifest = JSON.parse(files.get('manifest.json')!.toString());
  return { files, index, dockerManifest, manifest, config, layers };
}
