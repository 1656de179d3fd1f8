// A small tar writer and reader, enough for image layers and image archives.
//
// Writing produces POSIX ustar. A name or link target longer than the 100
// bytes a ustar header holds, and a size or id too large for its octal field,
// goes into a PAX extended header ('x') placed before the entry; the ustar
// header then carries a truncated name for readers that ignore PAX. mtime
// defaults to 0 and nothing depends on the host (no uname lookups), so the
// same entries always give the same bytes and therefore the same digests.
//
// Reading understands ustar, PAX ('x' per entry; 'g' global records are
// skipped) and GNU long names ('L', 'K'), which covers what `tar`, Go's
// archive/tar and Docker write.

import { closeSync, createWriteStream, openSync, readSync, fstatSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const BLOCK = 512;
const ZERO_BLOCK = Buffer.alloc(BLOCK);

interface EntryBase {
  /** Path inside the archive; a leading `/` or `./` is dropped. */
  name: string;
  /** Permission bits including setuid/setgid/sticky (default 0755 directories, 0644 files, 0777 symlinks). */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch (default 0). */
  mtime?: number;
  uname?: string;
  gname?: string;
}

export interface DirectoryEntry extends EntryBase {
  type: 'directory';
}

/** A regular file: exactly one of `content` (strings are UTF-8) or `sourcePath` (read when written). */
export interface FileEntry extends EntryBase {
  type: 'file';
  content?: Buffer | string;
  sourcePath?: string;
}

export interface SymlinkEntry extends EntryBase {
  type: 'symlink';
  linkname: string;
}

export type TarEntry = DirectoryEntry | FileEntry | SymlinkEntry;

const DEFAULT_MODE: Record<TarEntry['type'], number> = { directory: 0o755, file: 0o644, symlink: 0o777 };

// ustar header layout: [offset, length] of each field.
const F = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  chksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
} as const;

/** Drops leading `/` and `./`; directories end in `/`. */
function archiveName(name: string, isDirectory: boolean): string {
  let n = name.replace(/^(?:\.?\/)+/, '');
  if (n === '' || n === '.') throw new Error(`tar: invalid entry name ${JSON.stringify(name)}`);
  if (n.includes('\0')) throw new Error(`tar: entry name contains NUL: ${JSON.stringify(name)}`);
  if (isDirectory && !n.endsWith('/')) n += '/';
  return n;
}

/** Writes `value` as zero-padded octal with a NUL terminator; false if it does not fit. */
function putOctal(header: Buffer, [offset, width]: readonly [number, number], value: number): boolean {
  const digits = Math.trunc(value).toString(8);
  if (value < 0 || digits.length > width - 1) {
    header.write('0'.repeat(width - 1), offset, 'ascii');
    return false;
  }
  header.write(digits.padStart(width - 1, '0'), offset, 'ascii');
  return true;
}

/** Copies at most the field's width of bytes; false if `value` was truncated. */
function putString(header: Buffer, [offset, width]: readonly [number, number], value: string): boolean {
  const bytes = Buffer.from(value, 'utf8');
  bytes.copy(header, offset, 0, Math.min(width, bytes.length));
  return bytes.length <= width;
}

/** One PAX record: "<len> <key>=<value>\n", where len counts the whole record including itself. */
function paxRecord(key: string, value: string): Buffer {
  const rest = Buffer.byteLength(` ${key}=${value}\n`);
  let len = rest + 1;
  while (String(len).length + rest !== len) len = String(len).length + rest;
  return Buffer.from(`${len} ${key}=${value}\n`, 'utf8');
}

function padding(size: number): Buffer {
  const rem = size % BLOCK;
  return rem === 0 ? Buffer.alloc(0) : ZERO_BLOCK.subarray(0, BLOCK - rem);
}

interface HeaderFields {
  name: string;
  typeflag: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname: string;
  uname: string;
  gname: string;
}

/** The ustar header block, and the PAX records needed for what it cannot hold. */
function encodeHeader(h: HeaderFields): { header: Buffer; pax: Buffer[] } {
  const header = Buffer.alloc(BLOCK);
  const pax: Buffer[] = [];
  if (!putString(header, F.name, h.name)) pax.push(paxRecord('path', h.name));
  putOctal(header, F.mode, h.mode & 0o7777);
  if (!putOctal(header, F.uid, h.uid)) pax.push(paxRecord('uid', String(h.uid)));
  if (!putOctal(header, F.gid, h.gid)) pax.push(paxRecord('gid', String(h.gid)));
  if (!putOctal(header, F.size, h.size)) pax.push(paxRecord('size', String(h.size)));
  putOctal(header, F.mtime, Math.max(0, h.mtime));
  header.write(h.typeflag, F.typeflag[0], 'ascii');
  if (!putString(header, F.linkname, h.linkname)) pax.push(paxRecord('linkpath', h.linkname));
  header.write('ustar\0', F.magic[0], 'ascii');
  header.write('00', F.version[0], 'ascii');
  if (!putString(header, F.uname, h.uname)) pax.push(paxRecord('uname', h.uname));
  if (!putString(header, F.gname, h.gname)) pax.push(paxRecord('gname', h.gname));
  putOctal(header, F.devmajor, 0);
  putOctal(header, F.devminor, 0);
  setChecksum(header);
  return { header, pax };
}

function setChecksum(header: Buffer): void {
  header.fill(0x20, F.chksum[0], F.chksum[0] + F.chksum[1]);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', F.chksum[0], 'ascii');
}

/** The header blocks (PAX header first when needed) for an entry of `size` bytes. */
function headerBlocks(h: HeaderFields): Buffer[] {
  const { header, pax } = encodeHeader(h);
  if (pax.length === 0) return [header];
  const body = Buffer.concat(pax);
  const base = h.name.replace(/\/$/, '').split('/').pop()!.replace(/[^\x21-\x7e]/g, '_').slice(0, 80);
  const paxHeader = encodeHeader({
    name: `PaxHeaders/${base}`,
    typeflag: 'x',
    size: body.length,
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: h.mtime,
    linkname: '',
    uname: '',
    gname: '',
  }).header;
  return body.length % BLOCK === 0 ? [paxHeader, body, header] : [paxHeader, body, padding(body.length), header];
}

/**
 * The archive as a stream of chunks: each entry's header blocks and content,
 * then the two zero blocks that end an archive. Source files are streamed, not
 * read whole; a file whose size changes while it is read is an error.
 */
export async function* tarChunks(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): AsyncGenerator<Buffer> {
  for await (const e of entries) {
    const common = {
      mode: e.mode ?? DEFAULT_MODE[e.type],
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? 0,
      uname: e.uname ?? '',
      gname: e.gname ?? '',
    };
    if (e.type === 'directory') {
      yield* headerBlocks({ ...common, name: archiveName(e.name, true), typeflag: '5', size: 0, linkname: '' });
    } else if (e.type === 'symlink') {
      if (e.linkname === '') throw new Error(`tar: symlink ${e.name} has an empty target`);
      yield* headerBlocks({ ...common, name: archiveName(e.name, false), typeflag: '2', size: 0, linkname: e.linkname });
    } else if (e.type === 'file') {
      const name = archiveName(e.name, false);
      if ((e.content === undefined) === (e.sourcePath === undefined)) {
        throw new Error(`tar: file ${e.name} needs exactly one of content or sourcePath`);
      }
      if (e.content !== undefined) {
        const content = typeof e.content === 'string' ? Buffer.from(e.content, 'utf8') : e.content;
        yield* headerBlocks({ ...common, name, typeflag: '0', size: content.length, linkname: '' });
        if (content.length > 0) yield content;
        if (content.length % BLOCK !== 0) yield padding(content.length);
      } else {
        const size = (await stat(e.sourcePath!)).size;
        yield* headerBlocks({ ...common, name, typeflag: '0', size, linkname: '' });
        yield* fileChunks(e.sourcePath!, size);
        if (size % BLOCK !== 0) yield padding(size);
      }
    } else {
      throw new Error(`tar: unknown entry type ${JSON.stringify((e as { type: unknown }).type)}`);
    }
  }
  yield ZERO_BLOCK;
  yield ZERO_BLOCK;
}

async function* fileChunks(path: string, size: number): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    let done = 0;
    while (done < size) {
      const buf = Buffer.alloc(Math.min(1 << 20, size - done));
      const { bytesRead } = await fh.read(buf, 0, buf.length, done);
      if (bytesRead === 0) break;
      done += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
    const extra = await fh.read(Buffer.alloc(1), 0, 1, done);
    if (done !== size || extra.bytesRead !== 0) throw new Error(`tar: ${path} changed size while being archived`);
  } finally {
    await fh.close();
  }
}

/** The whole archive in memory. */
export async function createTar(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of tarChunks(entries)) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Writes the archive to `out` (which is ended afterwards). */
export async function writeTar(out: Writable, entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): Promise<void> {
  await pipeline(Readable.from(tarChunks(entries), { objectMode: false }), out);
}

/** Writes the archive to a file (created or truncated). */
export async function writeTarFile(file: string, entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): Promise<void> {
  await writeTar(createWriteStream(file), entries);
}

// ---- reading ----

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarReadEntry {
  /** As stored, except that a directory's trailing `/` is removed. */
  name: string;
  type: TarEntryType;
  /** The raw ustar type flag ('0', '5', '2', '1', ...). */
  typeflag: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname: string;
  /** The entry's data (empty for entries without data, or when not requested). */
  content: Buffer;
  /** Where the data starts in the archive. */
  offset: number;
}

function getString(block: Buffer, [offset, width]: readonly [number, number]): string {
  const field = block.subarray(offset, offset + width);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? width : end).toString('utf8');
}

/** Octal, or GNU base-256 when the high bit of the first byte is set. */
function getNumber(block: Buffer, [offset, width]: readonly [number, number]): number {
  const field = block.subarray(offset, offset + width);
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < width; i++) n = n * 256 + field[i]!;
    return n;
  }
  const s = field.toString('ascii').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new Error(`tar: invalid number field ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

function verifyChecksum(block: Buffer, at: number): void {
  const stored = getNumber(block, F.chksum);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= F.chksum[0] && i < F.chksum[0] + F.chksum[1] ? 0x20 : block[i]!;
  if (sum !== stored) throw new Error(`tar: bad header checksum at offset ${at}`);
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = parseInt(data.subarray(pos, space).toString('ascii'), 10);
    if (!(len > 0) || pos + len > data.length) throw new Error('tar: malformed PAX header');
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

function entryType(flag: string): TarEntryType {
  switch (flag) {
    case '0':
    case '\0':
    case '7':
      return 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    default:
      return 'other';
  }
}

/**
 * Walks an archive through `read(offset, length)`, which returns fewer bytes
 * only at the end. Entry data is read only when `wantContent` says so.
 */
function* walkTar(
  read: (offset: number, length: number) => Buffer,
  wantContent: (name: string, type: TarEntryType) => boolean,
): Generator<TarReadEntry> {
  let pos = 0;
  let pax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const block = read(pos, BLOCK);
    if (block.length < BLOCK || block.equals(ZERO_BLOCK)) return; // end of archive (or a missing trailer)
    verifyChecksum(block, pos);
    const typeflag = String.fromCharCode(block[F.typeflag[0]]!);
    const size = pax.has('size') ? Number(pax.get('size')) : getNumber(block, F.size);
    const dataAt = pos + BLOCK;
    pos = dataAt + Math.ceil(size / BLOCK) * BLOCK;
    const data = (): Buffer => {
      const d = read(dataAt, size);
      if (d.length < size) throw new Error(`tar: archive ends inside the data of an entry at offset ${dataAt}`);
      return d;
    };

    if (typeflag === 'x') {
      pax = parsePax(data());
      continue;
    }
    if (typeflag === 'g') continue; // global PAX records: nothing we use
    if (typeflag === 'L' || typeflag === 'K') {
      const value = data().toString('utf8').replace(/\0+$/, '');
      if (typeflag === 'L') longName = value;
      else longLink = value;
      continue;
    }

    let name = pax.get('path') ?? longName;
    if (name === undefined) {
      const prefix = getString(block, F.prefix);
      const magic = getString(block, F.magic);
      name = getString(block, F.name);
      if (magic.startsWith('ustar') && prefix !== '') name = `${prefix}/${name}`;
    }
    const type = entryType(typeflag);
    if (type === 'directory') name = name.replace(/\/+$/, '');
    const entry: TarReadEntry = {
      name,
      type,
      typeflag,
      size,
      mode: getNumber(block, F.mode),
      uid: pax.has('uid') ? Number(pax.get('uid')) : getNumber(block, F.uid),
      gid: pax.has('gid') ? Number(pax.get('gid')) : getNumber(block, F.gid),
      mtime: pax.has('mtime') ? Number(pax.get('mtime')) : getNumber(block, F.mtime),
      linkname: pax.get('linkpath') ?? longLink ?? getString(block, F.linkname),
      content: Buffer.alloc(0),
      offset: dataAt,
    };
    pax = new Map();
    longName = longLink = undefined;
    if (size > 0 && wantContent(name, type)) entry.content = data();
    yield entry;
  }
}

/** Every entry of an in-memory archive, with its data. */
export function* readTarEntries(tar: Buffer): Generator<TarReadEntry> {
  yield* walkTar(
    (offset, length) => tar.subarray(offset, offset + length),
    () => true,
  );
}

/**
 * The entries of an archive file, reading only the headers and the data of the
 * entries `wantContent` selects (by default none), so a large archive costs a
 * few small reads.
 */
export function* scanTarFile(
  file: string,
  wantContent: (name: string, type: TarEntryType) => boolean = () => false,
): Generator<TarReadEntry> {
  const fd = openSync(file, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    yield* walkTar((offset, length) => {
      const buf = Buffer.alloc(Math.max(0, Math.min(length, fileSize - offset)));
      let done = 0;
      while (done < buf.length) {
        const n = readSync(fd, buf, done, buf.length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return buf.subarray(0, done);
    }, wantContent);
  } finally {
    closeSync(fd);
  }
}
