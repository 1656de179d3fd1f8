/**
 * Pod volumes on the node: each volume becomes a host directory (or file)
 * under the pod's folder that container mounts point at. configMap, secret,
 * downwardAPI and projected volumes are written atomically (a timestamped
 * folder behind a `..data` symlink, as upstream's atomic writer does) and
 * rewritten when their sources change; emptyDir with `medium: Memory` is a
 * tmpfs; hostPath checks its `type`; persistentVolumeClaim resolves to the
 * bound PersistentVolume's host path.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parseQuantity } from '../api/validation/quantity.js';
import type { Mount } from '../runtime/types.js';

const run = promisify(execFile);

export interface VolumeSources {
  configMap(namespace: string, name: string): any | undefined;
  secret(namespace: string, name: string): any | undefined;
  persistentVolumeClaim(namespace: string, name: string): Promise<any | undefined>;
  persistentVolume(name: string): Promise<any | undefined>;
  /** A value of the pod's downward API (`metadata.labels`, `limits.cpu`, ...). */
  field(pod: any, fieldPath: string): string | undefined;
  resource(pod: any, containerName: string, resource: string, divisor: string | undefined): string | undefined;
  /** A ServiceAccount token for a projected `serviceAccountToken` source (from the TokenRequest API). */
  serviceAccountToken?(pod: any, source: { audience?: string; expirationSeconds?: number; path: string }): Promise<string>;
}

export class VolumeError extends Error {
  constructor(readonly volume: string, message: string) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${message}`);
  }
}

export interface PreparedVolume {
  hostPath: string;
  /** The volume itself is read-only (configMap, secret, downwardAPI, projected). */
  readOnly: boolean;
}

function decodeData(obj: any, binary: boolean): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(obj?.data ?? {})) out[k] = binary ? Buffer.from(String(v), 'base64') : Buffer.from(String(v));
  if (!binary) for (const [k, v] of Object.entries(obj?.binaryData ?? {})) out[k] = Buffer.from(String(v), 'base64');
  return out;
}

interface FileEntry {
  path: string;
  content: Buffer;
  mode: number;
}

function projectKeys(volumeName: string, kind: string, name: string, data: Record<string, Buffer>, items: any[] | undefined, defaultMode: number, optional: boolean): FileEntry[] {
  const files: FileEntry[] = [];
  if (items?.length) {
    for (const it of items) {
      if (!(it.key in data)) {
        if (optional) continue;
        throw new VolumeError(volumeName, `${kind} "${name}" has no key "${it.key}"`);
      }
      files.push({ path: it.path, content: data[it.key], mode: it.mode ?? defaultMode });
    }
  } else {
    for (const [k, v] of Object.entries(data)) files.push({ path: k, content: v, mode: defaultMode });
  }
  return files;
}

/**
 * Writes `files` into `dir` atomically: a new `..<stamp>` folder, then the
 * `..data` symlink swapped to it, then top-level entries as symlinks through
 * `..data`. Returns false when the content was already current.
 */
export function atomicWrite(dir: string, files: FileEntry[]): boolean {
  mkdirSync(dir, { recursive: true });
  const hash = createHash('sha256');
  for (const f of [...files].sort((a, b) => a.path.localeCompare(b.path))) hash.update(f.path).update('\0').update(String(f.mode)).update('\0').update(f.content);
  const digest = hash.digest('hex').slice(0, 16);
  const stampFile = join(dir, '..kts-digest');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === digest) return false;

  const stamp = `..${new Date().toISOString().replace(/[-:]/g, '_').replace('T', '_').replace('Z', '')}.${process.hrtime.bigint() % 1000000n}`;
  const tsDir = join(dir, stamp);
  mkdirSync(tsDir, { recursive: true });
  for (const f of files) {
    const p = join(tsDir, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content);
    chmodSync(p, f.mode & 0o777);
  }
  const oldTarget = existsSync(join(dir, '..data')) ? readlinkSafe(join(dir, '..data')) : undefined;
  const tmpLink = join(dir, '..data_tmp');
  rmSync(tmpLink, { force: true });
  symlinkSync(stamp, tmpLink);
  renameSync(tmpLink, join(dir, '..data'));
  const top = new Set(files.map((f) => f.path.split('/')[0]));
  for (const name of top) {
    const link = join(dir, name);
    if (!existsSync(link) && !isSymlink(link)) symlinkSync(join('..data', name), link);
  }
  // Entries no longer in the volume go away.
  for (const name of readdirSync(dir)) {
    if (name.startsWith('..')) continue;
    if (!top.has(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }
  if (oldTarget && oldTarget !== stamp) rmSync(join(dir, oldTarget), { recursive: true, force: true });
  writeFileSync(stampFile, digest);
  return true;
}

function readlinkSafe(p: string): string | undefined {
  try {
    return lstatSync(p).isSymbolicLink() ? readlinkSync(p) : undefined;
  } catch {
    return undefined;
  }
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function downwardFiles(pod: any, volumeName: string, items: any[], defaultMode: number, src: VolumeSources): FileEntry[] {
  const files: FileEntry[] = [];
  for (const it of items ?? []) {
    let value: string | undefined;
    if (it.fieldRef) value = src.field(pod, it.fieldRef.fieldPath);
    else if (it.resourceFieldRef) value = src.resource(pod, it.resourceFieldRef.containerName, it.resourceFieldRef.resource, it.resourceFieldRef.divisor);
    if (value === undefined) throw new VolumeError(volumeName, `unsupported downward API item ${JSON.stringify(it)}`);
    files.push({ path: it.path, content: Buffer.from(value), mode: it.mode ?? defaultMode });
  }
  return files;
}

/** The files a configMap, secret, downwardAPI or projected volume holds now. */
export function projectedFiles(pod: any, vol: any, src: VolumeSources, tokens: Map<object, string> = new Map()): FileEntry[] | undefined {
  const ns = pod.metadata.namespace;
  if (vol.configMap) {
    const name = vol.configMap.name;
    const cm = src.configMap(ns, name);
    if (!cm) {
      if (vol.configMap.optional) return [];
      throw new VolumeError(vol.name, `configmap "${name}" not found`);
    }
    return projectKeys(vol.name, 'configmap', name, decodeData(cm, false), vol.configMap.items, vol.configMap.defaultMode ?? 0o644, !!vol.configMap.optional);
  }
  if (vol.secret) {
    const name = vol.secret.secretName;
    const s = src.secret(ns, name);
    if (!s) {
      if (vol.secret.optional) return [];
      throw new VolumeError(vol.name, `secret "${name}" not found`);
    }
    return projectKeys(vol.name, 'secret', name, decodeData(s, true), vol.secret.items, vol.secret.defaultMode ?? 0o644, !!vol.secret.optional);
  }
  if (vol.downwardAPI) return downwardFiles(pod, vol.name, vol.downwardAPI.items, vol.downwardAPI.defaultMode ?? 0o644, src);
  if (vol.projected) {
    const mode = vol.projected.defaultMode ?? 0o644;
    const files: FileEntry[] = [];
    for (const source of vol.projected.sources ?? []) {
      if (source.configMap) {
        const cm = src.configMap(ns, source.configMap.name);
        if (!cm) {
          if (source.configMap.optional) continue;
          throw new VolumeError(vol.name, `configmap "${source.configMap.name}" not found`);
        }
        files.push(...projectKeys(vol.name, 'configmap', source.configMap.name, decodeData(cm, false), source.configMap.items, mode, !!source.configMap.optional));
      } else if (source.secret) {
        const s = src.secret(ns, source.secret.name);
        if (!s) {
          if (source.secret.optional) continue;
          throw new VolumeError(vol.name, `secret "${source.secret.name}" not found`);
        }
        files.push(...projectKeys(vol.name, 'secret', source.secret.name, decodeData(s, true), source.secret.items, mode, !!source.secret.optional));
      } else if (source.downwardAPI) {
        files.push(...downwardFiles(pod, vol.name, source.downwardAPI.items, mode, src));
      } else if (source.serviceAccountToken) {
        const token = tokens.get(source.serviceAccountToken);
        if (token === undefined) throw new VolumeError(vol.name, 'no ServiceAccount token source on this node');
        files.push({ path: source.serviceAccountToken.path, content: Buffer.from(token), mode });
      }
    }
    return files;
  }
  return undefined;
}

function sizeBytes(q: unknown): number | undefined {
  if (q === undefined || q === null) return undefined;
  const p = parseQuantity(String(q));
  if (!p) return undefined;
  return Number(p.num / p.den);
}

async function isMountPoint(dir: string): Promise<boolean> {
  try {
    const mounts = readFileSync('/proc/self/mounts', 'utf8');
    return mounts.split('\n').some((l) => l.split(' ')[1] === dir);
  } catch {
    return false;
  }
}

function checkHostPath(volumeName: string, path: string, type: string | undefined): void {
  const t = type ?? '';
  const exists = existsSync(path);
  switch (t) {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!exists) mkdirSync(path, { recursive: true, mode: 0o755 });
      else if (!statSync(path).isDirectory()) throw new VolumeError(volumeName, `hostPath type check failed: ${path} is not a directory`);
      return;
    case 'Directory':
      if (!exists || !statSync(path).isDirectory()) throw new VolumeError(volumeName, `hostPath type check failed: ${path} is not a directory`);
      return;
    case 'FileOrCreate':
      if (!exists) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, '', { mode: 0o644 });
      } else if (!statSync(path).isFile()) throw new VolumeError(volumeName, `hostPath type check failed: ${path} is not a file`);
      return;
    case 'File':
      if (!exists || !statSync(path).isFile()) throw new VolumeError(volumeName, `hostPath type check failed: ${path} is not a file`);
      return;
    case 'Socket':
      if (!exists || !statSync(path).isSocket()) throw new VolumeError(volumeName, `hostPath type check failed: ${path} is not a socket file`);
      return;
    case 'CharDevice':
      if (!exists || !statSync(path).isCharacterDevice()) throw new VolumeError(volumeName, `hostPath type check failed: ${path} is not a character device`);
      return;
    case 'BlockDevice':
      if (!exists || !statSync(path).isBlockDevice()) throw new VolumeError(volumeName, `hostPath type check failed: ${path} is not a block device`);
      return;
    default:
      throw new VolumeError(volumeName, `unknown hostPath type ${t}`);
  }
}

/** Sets up (or refreshes) every volume of the pod; returns where each lives on the host. */
export async function setUpVolumes(pod: any, podDir: string, src: VolumeSources): Promise<Map<string, PreparedVolume>> {
  const out = new Map<string, PreparedVolume>();
  for (const vol of pod.spec?.volumes ?? []) {
    const name: string = vol.name;
    if (vol.emptyDir) {
      const dir = join(podDir, 'volumes', 'kubernetes.io~empty-dir', name);
      mkdirSync(dir, { recursive: true, mode: 0o777 });
      chmodSync(dir, 0o777);
      if (vol.emptyDir.medium === 'Memory' && !(await isMountPoint(dir))) {
        const size = sizeBytes(vol.emptyDir.sizeLimit);
        const opts = size ? `size=${size}` : 'mode=0777';
        try {
          await run('mount', ['-t', 'tmpfs', '-o', size ? `${opts},mode=0777` : opts, 'tmpfs', dir]);
        } catch (e: any) {
          throw new VolumeError(name, `mount tmpfs: ${String(e?.stderr || e?.message).trim()}`);
        }
      }
      out.set(name, { hostPath: dir, readOnly: false });
    } else if (vol.hostPath) {
      checkHostPath(name, vol.hostPath.path, vol.hostPath.type);
      out.set(name, { hostPath: vol.hostPath.path, readOnly: false });
    } else if (vol.persistentVolumeClaim) {
      const claimName = vol.persistentVolumeClaim.claimName;
      const pvc = await src.persistentVolumeClaim(pod.metadata.namespace, claimName);
      if (!pvc) throw new VolumeError(name, `persistentvolumeclaim "${claimName}" not found`);
      const pvName = pvc.spec?.volumeName;
      if (!pvName || pvc.status?.phase !== 'Bound') throw new VolumeError(name, `persistentvolumeclaim "${claimName}" is not bound`);
      const pv = await src.persistentVolume(pvName);
      const path = pv?.spec?.hostPath?.path ?? pv?.spec?.local?.path;
      if (!path) throw new VolumeError(name, `persistentvolume "${pvName}" has no hostPath or local path this node can mount`);
      if (pv?.spec?.hostPath) checkHostPath(name, path, pv.spec.hostPath.type ?? 'DirectoryOrCreate');
      out.set(name, { hostPath: path, readOnly: !!vol.persistentVolumeClaim.readOnly });
    } else {
      // Tokens come from the API (asynchronously), before the files are assembled.
      const tokens = new Map<object, string>();
      for (const s of vol.projected?.sources ?? []) {
        if (!s.serviceAccountToken || !src.serviceAccountToken) continue;
        try {
          tokens.set(s.serviceAccountToken, await src.serviceAccountToken(pod, s.serviceAccountToken));
        } catch (e) {
          throw new VolumeError(name, `failed to fetch token: ${(e as Error).message}`);
        }
      }
      const files = projectedFiles(pod, vol, src, tokens);
      if (files === undefined) throw new VolumeError(name, `volume type ${Object.keys(vol).filter((k) => k !== 'name').join(',')} is not supported by this node`);
      const plugin = vol.configMap ? 'configmap' : vol.secret ? 'secret' : vol.downwardAPI ? 'downward-api' : 'projected';
      const dir = join(podDir, 'volumes', `kubernetes.io~${plugin}`, name);
      atomicWrite(dir, files);
      out.set(name, { hostPath: dir, readOnly: true });
    }
  }
  return out;
}

/** Container mounts for the container's volumeMounts (subPath, readOnly, propagation). */
export function containerMounts(container: any, volumes: Map<string, PreparedVolume>, expand: (s: string) => string = (s) => s): Mount[] {
  const mounts: Mount[] = [];
  for (const vm of container.volumeMounts ?? []) {
    const v = volumes.get(vm.name);
    if (!v) throw new VolumeError(vm.name, `volume "${vm.name}" is not prepared`);
    let hostPath = v.hostPath;
    const sub = vm.subPathExpr ? expand(vm.subPathExpr) : vm.subPath;
    if (sub) {
      hostPath = join(v.hostPath, sub);
      if (!existsSync(hostPath)) mkdirSync(hostPath, { recursive: true, mode: 0o755 });
    }
    const propagation = vm.mountPropagation === 'Bidirectional' ? 'PROPAGATION_BIDIRECTIONAL' : vm.mountPropagation === 'HostToContainer' ? 'PROPAGATION_HOST_TO_CONTAINER' : 'PROPAGATION_PRIVATE';
    mounts.push({ containerPath: vm.mountPath, hostPath, readonly: !!vm.readOnly || v.readOnly, propagation });
  }
  return mounts;
}

/** Unmounts what setUpVolumes mounted and removes the pod's folder. */
export async function tearDownVolumes(podDir: string): Promise<void> {
  const emptyDirs = join(podDir, 'volumes', 'kubernetes.io~empty-dir');
  if (existsSync(emptyDirs)) {
    for (const name of readdirSync(emptyDirs)) {
      const dir = join(emptyDirs, name);
      if (await isMountPoint(dir)) await run('umount', ['-l', dir]).catch(() => undefined);
    }
  }
  rmSync(podDir, { recursive: true, force: true });
}
