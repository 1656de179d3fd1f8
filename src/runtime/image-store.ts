/**
 * Importing image archives (OCI layout or `docker save` tarballs) into
 * containerd's `k8s.io` namespace, where the CRI plugin finds them. The
 * import itself is containerd's (through its `ctr` tool, which unpacks into
 * the overlayfs snapshotter); kts reports the references the archive carried.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inspectArchive } from './image/oci-archive.js';
import { buildPauseImage } from './image/pause-image.js';
import { buildBusyboxImage } from './image/busybox-image.js';

const run = promisify(execFile);

export const CRI_NAMESPACE = 'k8s.io';

export class ImageImportError extends Error {}

/** Imports one archive; returns the image references it named. */
export async function importImageArchive(socket: string, file: string): Promise<string[]> {
  if (!existsSync(file)) throw new ImageImportError(`${file}: no such file`);
  let refs: string[] = [];
  try {
    const info = await inspectArchive(file);
    refs = info.refs;
  } catch (e) {
    throw new ImageImportError(`${file}: not an OCI layout or docker save archive (${(e as Error).message})`);
  }
  try {
    await run('ctr', ['--address', socket, '--namespace', CRI_NAMESPACE, 'images', 'import', '--snapshotter', 'overlayfs', file], { maxBuffer: 16 * 1024 * 1024 });
  } catch (e: any) {
    throw new ImageImportError(`importing ${file}: ${String(e?.stderr || e?.message).trim()}`);
  }
  return refs;
}

/**
 * Imports every `*.tar` in `dir` that is new or changed since the last time
 * (remembered in `.imported.json` beside them). Returns what was imported.
 */
export async function importFolder(socket: string, dir: string, log: (msg: string) => void = () => {}): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const stateFile = join(dir, '.imported.json');
  let state: Record<string, string> = {};
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    state = {};
  }
  const imported: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.tar')) continue;
    const path = join(dir, f);
    const st = statSync(path);
    const stamp = `${st.size}:${st.mtimeMs}`;
    if (state[f] === stamp) continue;
    try {
      imported.push(...(await importImageArchive(socket, path)));
      state[f] = stamp;
    } catch (e) {
      log(`image import: ${(e as Error).message}`);
    }
  }
  writeFileSync(stateFile, JSON.stringify(state));
  return imported;
}

/** Builds the pause image into `cacheDir` (once) and imports it. */
export async function providePauseImage(socket: string, cacheDir: string, ref: string): Promise<void> {
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, 'pause.tar');
  if (!existsSync(file)) await buildPauseImage(file, ref);
  await importImageArchive(socket, file);
}

/**
 * Builds the bundled busybox image (Debian's busybox-static) into `cacheDir`
 * and imports it, so a new cluster can run pods without any registry.
 */
export async function provideBusyboxImage(socket: string, cacheDir: string, ref: string): Promise<void> {
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, 'busybox.tar');
  if (!existsSync(file)) await buildBusyboxImage(file, ref);
  await importImageArchive(socket, file);
}
