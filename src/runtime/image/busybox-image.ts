// A busybox image built from the host's statically linked busybox (Debian's
// `busybox-static`), for test workloads and examples when no registry is
// reachable. One layer: /bin/busybox, a symlink in /bin for every applet the
// binary reports, a root and a nobody user, and the usual empty directories.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { readElfInfo } from './elf.js';
import { buildImageArchive, ociPlatform, type BuiltImage } from './oci-archive.js';
import type { TarEntry } from './tar.js';

const execFileP = promisify(execFile);

export const DEFAULT_BUSYBOX_PATH = '/bin/busybox';
export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n';
const GROUP = 'root:x:0:\nnobody:x:65534:\n';

export interface BusyboxBinary {
  content: Buffer;
  applets: string[];
}

/**
 * Reads a busybox binary and its applet list, checking that it can run alone
 * in an image: statically linked, for the host's architecture.
 */
export async function loadStaticBusybox(path: string = DEFAULT_BUSYBOX_PATH): Promise<BusyboxBinary> {
  const hint = 'install the Debian package busybox-static (apt-get install busybox-static)';
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (err) {
    throw new Error(`busybox not found at ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ${hint}`);
  }
  let elf;
  try {
    elf = readElfInfo(content);
  } catch (err) {
    throw new Error(`${path} is not a busybox executable (${(err as Error).message}); ${hint}`);
  }
  if (elf.interpreter !== null) {
    throw new Error(`${path} is dynamically linked (interpreter ${elf.interpreter}) and cannot run alone in an image; ${hint}`);
  }
  const host = ociPlatform().architecture;
  if (elf.architecture !== host) throw new Error(`${path} is built for ${elf.architecture}, this host is ${host}; ${hint}`);

  const { stdout } = await execFileP(path, ['--list'], { timeout: 10_000 });
  const applets = [...new Set(stdout.split('\n').map((l) => l.trim()))]
    .filter((a) => a !== '' && a !== '.' && a !== '..' && a !== 'busybox' && !a.includes('/'))
    .sort();
  if (applets.length === 0) throw new Error(`${path} --list printed no applets; ${hint}`);
  return { content, applets };
}

/** The root filesystem entries, parents before children. */
export function busyboxRootfs(bb: BusyboxBinary): TarEntry[] {
  return [
    { type: 'directory', name: 'bin' },
    { type: 'file', name: 'bin/busybox', content: bb.content, mode: 0o755 },
    ...bb.applets.map((a): TarEntry => ({ type: 'symlink', name: `bin/${a}`, linkname: 'busybox' })),
    { type: 'directory', name: 'etc' },
    { type: 'file', name: 'etc/group', content: GROUP },
    { type: 'file', name: 'etc/passwd', content: PASSWD },
    { type: 'directory', name: 'home' },
    { type: 'directory', name: 'root', mode: 0o700 },
    { type: 'directory', name: 'tmp', mode: 0o1777 },
    { type: 'directory', name: 'var' },
    { type: 'directory', name: 'var/www' },
  ];
}

export interface BuildBusyboxImageOptions {
  /** The busybox binary to copy (default /bin/busybox). */
  busyboxPath?: string;
}

/** Builds the busybox image archive at `outFile`; default command `sh`. */
export async function buildBusyboxImage(
  outFile: string,
  ref = 'kts.local/busybox:latest',
  opts: BuildBusyboxImageOptions = {},
): Promise<BuiltImage & { applets: string[] }> {
  const bb = await loadStaticBusybox(opts.busyboxPath);
  const built = await buildImageArchive({
    outFile,
    ref,
    layers: [busyboxRootfs(bb)],
    config: { Env: [DEFAULT_PATH_ENV], Cmd: ['sh'] },
  });
  return { ...built, applets: bb.applets };
}
