// Image archives that `ctr images import` and `docker load` both accept, built
// without a registry or any container tool.
//
// One tar file is at once:
//
// - an OCI image layout: `oci-layout`, `index.json`, `blobs/sha256/<hex>`
//   (layers, config, manifest). containerd reads this when `oci-layout` is
//   present and names each image by its index descriptor's
//   `io.containerd.image.name` annotation (taken verbatim); it falls back to
//   `org.opencontainers.image.ref.name`, which `ctr import` treats as a tag
//   under an `import-<date>` base name unless it is a full reference;
// - a `docker save` archive: `manifest.json` lists Config, RepoTags and
//   Layers by their paths under `blobs/` (the shape Docker 25+ writes), which
//   is what `docker load` reads, and containerd too when there is no
//   `oci-layout`.
//
// Each index descriptor carries the platform, and the config the same
// architecture and OS, so a plain `ctr images import` (host platform only)
// keeps and unpacks the image. Everything is timestamped 0 by default, so the
// same inputs give the same manifest digest on every build.

import { createHash, randomBytes } from 'node:crypto';
import { endianness } from 'node:os';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, posix } from 'node:path';
import { gunzipSync, gzip as gzipCb } from 'node:zlib';
import { promisify } from 'node:util';
import { createTar, readTarEntries, scanTarFile, writeTarFile, type TarEntry, type TarReadEntry } from './tar.js';
import { normalizeImageReference, parseImageReference } from './reference.js';

const gzip = promisify(gzipCb);

export const MEDIA_TYPE = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

/** The index annotation containerd names an imported image by (the full reference). */
export const ANNOTATION_IMAGE_NAME = 'io.containerd.image.name';
/** The OCI annotation for the reference's name inside the layout (here: the tag). */
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';

/** The `config` object of an OCI image config (Docker's field names). */
export interface ImageConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

/** The OCI platform of this process: Node's `process.arch` in OCI's (Go's) names, OS linux. */
export function ociPlatform(arch: string = process.arch): Platform {
  const names: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ia32: '386',
    s390x: 's390x',
    riscv64: 'riscv64',
    ppc64: endianness() === 'LE' ? 'ppc64le' : 'ppc64',
  };
  const architecture = names[arch];
  if (architecture === undefined) throw new Error(`no OCI architecture name for Node's process.arch ${JSON.stringify(arch)}`);
  return { architecture, os: 'linux' };
}

export interface BuildImageOptions {
  /** Where to write the archive; written to a temporary name and renamed, so a reader never sees half a file. */
  outFile: string;
  /** The image reference(s) to name the image by, e.g. `kts.local/busybox:1.36` (normalized; `:latest` when untagged). */
  ref: string | readonly string[];
  /** Layers, bottom first, each the entries of one layer tar. */
  layers: readonly (readonly TarEntry[])[];
  config?: ImageConfig;
  /** Layer compression (default none: image archives stay on this machine, and uncompressed is faster to build and unpack). */
  compression?: 'none' | 'gzip';
  /** Default: the host's, from `ociPlatform()`. */
  platform?: Platform;
  /** Image creation time (default the epoch, for reproducible digests). */
  created?: Date;
}

export interface LayerDescriptor {
  mediaType: string;
  /** Digest of the blob as stored (compressed when compressed). */
  digest: string;
  size: number;
  /** Digest of the uncompressed layer tar, as listed in the config's rootfs.diff_ids. */
  diffId: string;
}

export interface BuiltImage {
  file: string;
  /** The normalized references the archive names the image by. */
  refs: string[];
  /** The manifest digest: what containerd reports as the image's digest. */
  digest: string;
  /** The config digest: the image ID CRI reports. */
  configDigest: string;
  layers: LayerDescriptor[];
  platform: Platform;
  /** Size of the archive file in bytes. */
  size: number;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function blobPath(digest: string): string {
  return `blobs/${digest.replace(':', '/')}`;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Drops empty optional fields so the config carries only what was set. */
function cleanConfig(c: ImageConfig): ImageConfig {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) {
    if (v === undefined) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out as ImageConfig;
}

/** Builds the image from its layers and writes the archive to `opts.outFile`. */
export async function buildImageArchive(opts: BuildImageOptions): Promise<BuiltImage> {
  const refs = (typeof opts.ref === 'string' ? [opts.ref] : [...opts.ref]).map((r) => {
    if (parseImageReference(r).digest !== undefined) throw new Error(`image reference ${r}: an archive names images by tag, not by digest`);
    return normalizeImageReference(r);
  });
  if (refs.length === 0) throw new Error('buildImageArchive: at least one image reference is needed');
  if (opts.layers.length === 0) throw new Error('buildImageArchive: at least one layer is needed');
  const platform = opts.platform ?? ociPlatform();
  const created = (opts.created ?? new Date(0)).toISOString().replace(/\.000Z$/, 'Z');

  const blobs = new Map<string, Buffer>();
  const layers: LayerDescriptor[] = [];
  for (const entries of opts.layers) {
    const tar = await createTar(entries);
    const blob = opts.compression === 'gzip' ? await gzip(tar, { level: 6 }) : tar;
    const desc: LayerDescriptor = {
      mediaType: opts.compression === 'gzip' ? MEDIA_TYPE.layerGzip : MEDIA_TYPE.layer,
      digest: sha256(blob),
      size: blob.length,
      diffId: sha256(tar),
    };
    blobs.set(desc.digest, blob);
    layers.push(desc);
  }

  const config = json({
    created,
    architecture: platform.architecture,
    ...(platform.variant !== undefined ? { variant: platform.variant } : {}),
    os: platform.os,
    config: cleanConfig(opts.config ?? {}),
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created, created_by: 'kts image build' })),
  });
  const configDesc: Descriptor = { mediaType: MEDIA_TYPE.config, digest: sha256(config), size: config.length };
  blobs.set(configDesc.digest, config);

  const manifest = json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.manifest,
    config: configDesc,
    layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
  });
  const manifestDigest = sha256(manifest);
  blobs.set(manifestDigest, manifest);

  const index = json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.index,
    manifests: refs.map(
      (ref): Descriptor => ({
        mediaType: MEDIA_TYPE.manifest,
        digest: manifestDigest,
        size: manifest.length,
        platform,
        annotations: { [ANNOTATION_IMAGE_NAME]: ref, [ANNOTATION_REF_NAME]: parseImageReference(ref).tag! },
      }),
    ),
  });
  const dockerManifest = json([
    { Config: blobPath(configDesc.digest), RepoTags: refs, Layers: layers.map((l) => blobPath(l.digest)) },
  ]);

  const entries: TarEntry[] = [
    { type: 'file', name: 'oci-layout', content: json({ imageLayoutVersion: '1.0.0' }) },
    { type: 'file', name: 'index.json', content: index },
    { type: 'file', name: 'manifest.json', content: dockerManifest },
    { type: 'directory', name: 'blobs' },
    { type: 'directory', name: 'blobs/sha256' },
    ...[...blobs].map(([digest, content]): TarEntry => ({ type: 'file', name: blobPath(digest), content })),
  ];
  await mkdir(dirname(opts.outFile), { recursive: true });
  const tmp = `${opts.outFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeTarFile(tmp, entries);
    await rename(tmp, opts.outFile);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return {
    file: opts.outFile,
    refs,
    digest: manifestDigest,
    configDigest: configDesc.digest,
    layers,
    platform,
    size: (await stat(opts.outFile)).size,
  };
}

// ---- inspecting ----

export interface ArchiveImage {
  /**
   * The reference containerd names the image by: the `io.containerd.image.name`
   * annotation, else `org.opencontainers.image.ref.name` when that is a full
   * reference (OCI layout); a normalized RepoTag (docker save). Null when the
   * archive gives only a bare tag or no name.
   */
  ref: string | null;
  /** The raw `org.opencontainers.image.ref.name` annotation (OCI layout). */
  refName?: string;
  /** The digest of the index.json entry (OCI layout; docker save archives carry no manifest). */
  manifestDigest?: string;
  mediaType?: string;
  platform?: Platform;
  /** The config digest (image ID), when the archive holds the manifest or config. */
  configDigest?: string;
}

export interface ArchiveInfo {
  /** 'oci' when `oci-layout` is present (containerd then ignores manifest.json), else 'docker'. */
  format: 'oci' | 'docker';
  /** The named references, in archive order, without duplicates. */
  refs: string[];
  images: ArchiveImage[];
}

function cleanName(name: string): string {
  return posix.normalize(name).replace(/^(?:\.?\/)+/, '');
}

/** The images an archive carries and the names an import will give them. Accepts gzip-compressed archives too. */
export async function inspectArchive(file: string): Promise<ArchiveInfo> {
  const fh = await open(file, 'r');
  const magic = Buffer.alloc(2);
  try {
    await fh.read(magic, 0, 2, 0);
  } finally {
    await fh.close();
  }

  // A name -> entry table, and a way to read an entry's data.
  const files = new Map<string, TarReadEntry>();
  let readEntry: (e: TarReadEntry) => Promise<Buffer>;
  const metadata = new Set(['oci-layout', 'index.json', 'manifest.json']);
  if (magic[0] === 0x1f && magic[1] === 0x8b) {
    const tar = gunzipSync(await readFile(file));
    for (const e of readTarEntries(tar)) if (e.type === 'file') files.set(cleanName(e.name), e);
    readEntry = async (e) => e.content;
  } else {
    for (const e of scanTarFile(file, (name, type) => type === 'file' && metadata.has(cleanName(name)))) {
      if (e.type === 'file') files.set(cleanName(e.name), e);
    }
    readEntry = async (e) => {
      if (e.content.length === e.size) return e.content;
      const h = await open(file, 'r');
      try {
        const buf = Buffer.alloc(e.size);
        const { bytesRead } = await h.read(buf, 0, e.size, e.offset);
        if (bytesRead !== e.size) throw new Error(`${file}: truncated entry ${e.name}`);
        return buf;
      } finally {
        await h.close();
      }
    };
  }
  const readJson = async (name: string): Promise<any> => {
    const e = files.get(name);
    if (e === undefined) return undefined;
    try {
      return JSON.parse((await readEntry(e)).toString('utf8'));
    } catch (err) {
      throw new Error(`${file}: ${name} is not valid JSON: ${(err as Error).message}`);
    }
  };

  const images: ArchiveImage[] = [];
  let format: ArchiveInfo['format'];
  if (files.has('oci-layout')) {
    format = 'oci';
    const index = await readJson('index.json');
    if (!Array.isArray(index?.manifests)) throw new Error(`${file}: OCI layout without a valid index.json`);
    for (const m of index.manifests as Descriptor[]) {
      const annotations = m.annotations ?? {};
      const refName = annotations[ANNOTATION_REF_NAME];
      let ref = annotations[ANNOTATION_IMAGE_NAME] ?? null;
      if (ref === null && refName !== undefined && /[/:@]/.test(refName)) ref = refName;
      const image: ArchiveImage = { ref, manifestDigest: m.digest, mediaType: m.mediaType };
      if (refName !== undefined) image.refName = refName;
      if (m.platform !== undefined) image.platform = m.platform;
      if (m.mediaType === MEDIA_TYPE.manifest || m.mediaType === MEDIA_TYPE.dockerManifest) {
        const manifest = await readJson(blobPath(m.digest));
        if (typeof manifest?.config?.digest === 'string') image.configDigest = manifest.config.digest;
      }
      images.push(image);
    }
  } else if (files.has('manifest.json')) {
    format = 'docker';
    const manifests = await readJson('manifest.json');
    if (!Array.isArray(manifests)) throw new Error(`${file}: manifest.json is not a list`);
    for (const m of manifests as { Config?: string; RepoTags?: string[] | null }[]) {
      const configEntry = m.Config === undefined ? undefined : files.get(cleanName(m.Config));
      const configDigest = configEntry === undefined ? undefined : sha256(await readEntry(configEntry));
      const tags = m.RepoTags ?? [];
      for (const tag of tags.length > 0 ? tags : [null]) {
        const image: ArchiveImage = { ref: tag === null ? null : normalizeImageReference(tag) };
        if (configDigest !== undefined) image.configDigest = configDigest;
        images.push(image);
      }
    }
  } else {
    throw new Error(`${file}: not an image archive (neither oci-layout nor manifest.json found)`);
  }
  const refs = [...new Set(images.map((i) => i.ref).filter((r): r is string => r !== null))];
  return { format, refs, images };
}
