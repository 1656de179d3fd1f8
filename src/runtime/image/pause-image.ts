// The pod sandbox ("pause") image: the first process of every pod, which
// holds the pod's namespaces, reaps orphans when the pod shares one PID
// namespace, and exits cleanly when the sandbox is stopped.
//
// Normally a tiny static C program (PAUSE_C_SOURCE) compiled here with
// `gcc -static`; it runs as 65535:65535 like upstream's pause image.
//
// Fallback, when gcc or static libc is missing or the compile fails: the
// host's static busybox running a shell loop. The shell exits 0 on TERM/INT
// (the trap runs as soon as `wait` is interrupted) and reaps its own children
// on `wait`; it reaps re-parented orphans only between sleeps, which is
// acceptable for a sandbox that rarely has any. It is about 1 MB larger.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadStaticBusybox } from './busybox-image.js';
import { readElfInfo } from './elf.js';
import { buildImageArchive, ociPlatform, type BuiltImage } from './oci-archive.js';

const execFileP = promisify(execFile);

export const PAUSE_C_SOURCE = `/* kts pause: sleeps until stopped; exits 0 on SIGINT/SIGTERM; reaps children. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  int saved = errno;
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved;
}

static int handle(int sig, void (*fn)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = fn;
  sa.sa_flags = flags;
  return sigaction(sig, &sa, NULL);
}

int main(void) {
  if (handle(SIGINT, on_stop, 0) != 0 || handle(SIGTERM, on_stop, 0) != 0 ||
      handle(SIGCHLD, on_child, SA_NOCLDSTOP | SA_RESTART) != 0) {
    static const char msg[] = "pause: cannot install signal handlers\\n";
    (void)!write(2, msg, sizeof msg - 1);
    return 1;
  }
  for (;;) pause();
}
`;

export const BUSYBOX_PAUSE_ENTRYPOINT = ['/bin/sh', '-c', "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"];

/** Compiles PAUSE_C_SOURCE into a static executable for the host; throws with the compiler's output on failure. */
export async function compilePause(cc = 'gcc'): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'kts-pause-'));
  try {
    const src = join(dir, 'pause.c');
    const out = join(dir, 'pause');
    await writeFile(src, PAUSE_C_SOURCE);
    try {
      await execFileP(cc, ['-static', '-Os', '-s', '-Wall', '-o', out, src], { timeout: 60_000 });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      throw new Error(`${cc} failed: ${e.code === 'ENOENT' ? 'not installed' : (e.stderr || e.message).trim()}`);
    }
    const bin = await readFile(out);
    const elf = readElfInfo(bin);
    if (elf.interpreter !== null) throw new Error(`${cc} -static produced a dynamically linked binary (${elf.interpreter})`);
    if (elf.architecture !== ociPlatform().architecture) throw new Error(`${cc} produced a binary for ${elf.architecture}`);
    return bin;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface BuildPauseImageOptions {
  /** The C compiler (default gcc). */
  cc?: string;
  /** The static busybox for the fallback (default /bin/busybox). */
  busyboxPath?: string;
}

export interface BuiltPauseImage extends BuiltImage {
  variant: 'static' | 'busybox';
  /** Why the busybox fallback was used. */
  fallbackReason?: string;
}

/** Builds the pause image archive at `outFile`. */
export async function buildPauseImage(
  outFile: string,
  ref = 'kts.local/pause:3.10',
  opts: BuildPauseImageOptions = {},
): Promise<BuiltPauseImage> {
  let pause: Buffer;
  try {
    pause = await compilePause(opts.cc);
  } catch (err) {
    const fallbackReason = (err as Error).message;
    const bb = await loadStaticBusybox(opts.busyboxPath);
    const built = await buildImageArchive({
      outFile,
      ref,
      layers: [
        [
          { type: 'directory', name: 'bin' },
          { type: 'file', name: 'bin/busybox', content: bb.content, mode: 0o755 },
          { type: 'symlink', name: 'bin/sh', linkname: 'busybox' },
          { type: 'symlink', name: 'bin/sleep', linkname: 'busybox' },
        ],
      ],
      config: { Entrypoint: BUSYBOX_PAUSE_ENTRYPOINT, User: '65535:65535' },
    });
    return { ...built, variant: 'busybox', fallbackReason };
  }
  const built = await buildImageArchive({
    outFile,
    ref,
    layers: [[{ type: 'file', name: 'pause', content: pause, mode: 0o755 }]],
    config: { Entrypoint: ['/pause'], User: '65535:65535' },
  });
  return { ...built, variant: 'static' };
}
