// `kts image import|ls|rm|build`: images in the node's containerd (the CRI
// namespace), offline. `build` makes the bundled images (busybox, pause)
// from host binaries, for tests and for clusters without a registry.

import { defaultDataDir } from '../cluster/config.js';
import { containerdPaths } from '../runtime/containerd.js';
import { CriClient } from '../runtime/cri/client.js';
import { ImageImportError, importImageArchive } from '../runtime/image-store.js';
import { buildBusyboxImage } from '../runtime/image/busybox-image.js';
import { buildPauseImage } from '../runtime/image/pause-image.js';
import { normalizeImage } from '../sim/pod-status.js';
import { flagHelp, parseFlags, UsageError, type FlagSpec } from './flags.js';

const FLAGS: FlagSpec[] = [
  { name: 'data-dir', type: 'string', help: 'the node\'s data dir (finds its containerd)', default: '/var/lib/kts as root, ~/.kts otherwise' },
  { name: 'container-runtime-endpoint', type: 'string', help: 'CRI socket to use instead of the data dir\'s containerd' },
  { name: 'ref', type: 'string', help: 'build: the image reference to give the image' },
];

export function imageHelp(): string {
  return `Usage: kts image <import FILE...|ls|rm REF...|build busybox|pause OUT.tar> [flags]

Manage the node's images without a registry.
  import FILE...        import OCI layout or 'docker save' archives (.tar, .tar.gz)
  ls                    list images the node has
  rm REF...             remove images
  build KIND OUT.tar    write an image archive built from host binaries:
                        busybox (Debian's busybox-static) or pause

Flags:
${flagHelp(FLAGS)}
  -h, --help`;
}

function socketFrom(values: Record<string, unknown>): string {
  const ep = values['container-runtime-endpoint'] as string | undefined;
  if (ep) return ep.replace(/^unix:\/\//, '');
  return containerdPaths((values['data-dir'] as string | undefined) ?? defaultDataDir()).socket;
}

function humanSize(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)}MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)}KiB`;
  return `${n}B`;
}

export async function runImage(args: string[]): Promise<number> {
  const { values, positional } = parseFlags(args, FLAGS);
  const [sub, ...rest] = positional;
  switch (sub) {
    case 'build': {
      const [kind, out] = rest;
      if (!kind || !out) throw new UsageError('usage: kts image build busybox|pause OUT.tar');
      const ref = values.ref as string | undefined;
      if (kind === 'busybox') {
        const b = await buildBusyboxImage(out, ref ?? 'kts.local/busybox:latest');
        console.log(`${b.refs.join(', ')} -> ${out} (${humanSize(b.size)})`);
      } else if (kind === 'pause') {
        const b = await buildPauseImage(out, ref ?? 'kts.local/pause:3.10');
        console.log(`${b.refs.join(', ')} -> ${out} (${humanSize(b.size)}, ${b.variant})`);
      } else throw new UsageError(`unknown image kind "${kind}" (want busybox or pause)`);
      return 0;
    }
    case 'import': {
      if (!rest.length) throw new UsageError('usage: kts image import FILE...');
      const socket = socketFrom(values);
      let failed = 0;
      for (const f of rest) {
        try {
          const refs = await importImageArchive(socket, f);
          console.log(`imported ${refs.length ? refs.join(', ') : '(unnamed image)'} from ${f}`);
        } catch (e) {
          if (!(e instanceof ImageImportError)) throw e;
          process.stderr.write(`kts: ${e.message}\n`);
          failed++;
        }
      }
      return failed ? 1 : 0;
    }
    case 'ls':
    case 'list': {
      const c = new CriClient(socketFrom(values), 10_000);
      try {
        const images = await c.listImages();
        const rows = [['IMAGE', 'IMAGE ID', 'SIZE']];
        for (const i of images) for (const t of i.repoTags.length ? i.repoTags : ['<none>']) rows.push([t, i.id.replace(/^sha256:/, '').slice(0, 13), humanSize(i.size)]);
        const w = rows[0].map((_, k) => Math.max(...rows.map((r) => r[k].length)));
        for (const r of rows) console.log(r.map((v, k) => v.padEnd(w[k])).join('   ').trimEnd());
      } finally {
        c.close();
      }
      return 0;
    }
    case 'rm':
    case 'remove': {
      if (!rest.length) throw new UsageError('usage: kts image rm REF...');
      const c = new CriClient(socketFrom(values), 10_000);
      let failed = 0;
      try {
        for (const ref of rest) {
          const full = ref.startsWith('sha256:') ? ref : normalizeImage(ref);
          if (!(await c.imageStatus(full))) {
            process.stderr.write(`kts: no such image: ${ref}\n`);
            failed++;
            continue;
          }
          await c.removeImage(full);
          console.log(`removed ${full}`);
        }
      } finally {
        c.close();
      }
      return failed ? 1 : 0;
    }
    default:
      throw new UsageError(sub ? `unknown image command "${sub}"; run 'kts image --help'` : "missing image command; run 'kts image --help'");
  }
}
