// SPDY/3 framing (the framing SPDY/3.1 keeps; 3.1 only adds the session
// flow-control window): control and data frames, the name/value header
// block, and the zlib context per direction that compresses header blocks
// with the SPDY/3 dictionary and a sync flush after every block.
//
// Compatibility notes, from reading moby/spdystream (the Go peer of kubectl,
// the kubelet and containerd's streaming server):
// - header names go out lowercased, each name once, several values joined
//   by NUL; a peer rejects a block with an upper-case or repeated name;
// - the compressor is zlib (RFC 1950 header naming the dictionary) at level
//   9, one stream per direction for the whole connection;
// - unknown control frame types are skipped here (the spec says ignore).

import zlib from 'node:zlib';
import { ByteQueue } from './bytes.js';

export const SPDY_VERSION = 3;

export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
export const FLAG_SETTINGS_CLEAR = 0x01;

/** RST_STREAM status codes. */
export const RstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  UnsupportedVersion: 4,
  Cancel: 5,
  InternalError: 6,
  FlowControlError: 7,
  StreamInUse: 8,
  StreamAlreadyClosed: 9,
  InvalidCredentials: 10,
  FrameTooLarge: 11,
} as const;

/** GOAWAY status codes. */
export const GoAwayStatus = { Ok: 0, ProtocolError: 1, InternalError: 2 } as const;

export const SettingsId = {
  UploadBandwidth: 1,
  DownloadBandwidth: 2,
  RoundTripTime: 3,
  MaxConcurrentStreams: 4,
  CurrentCwnd: 5,
  DownloadRetransRate: 6,
  InitialWindowSize: 7,
  ClientCertificateVectorSize: 8,
} as const;

/** The largest DATA payload a frame's 24-bit length can carry. */
export const MAX_FRAME_LENGTH = 0xffffff;
/** The default stream (and, in 3.1, session) window. */
export const DEFAULT_WINDOW = 64 * 1024;

/** Header names (lowercase) to their values. */
export type HeaderBlock = Map<string, string[]>;

export type ControlFrame =
  | { type: 'SYN_STREAM'; flags: number; streamId: number; associatedId: number; priority: number; slot: number; headers: HeaderBlock }
  | { type: 'SYN_REPLY'; flags: number; streamId: number; headers: HeaderBlock }
  | { type: 'HEADERS'; flags: number; streamId: number; headers: HeaderBlock }
  | { type: 'RST_STREAM'; flags: number; streamId: number; status: number }
  | { type: 'SETTINGS'; flags: number; settings: Array<{ flags: number; id: number; value: number }> }
  | { type: 'PING'; flags: number; id: number }
  | { type: 'GOAWAY'; flags: number; lastGoodStreamId: number; status: number }
  | { type: 'WINDOW_UPDATE'; flags: number; streamId: number; delta: number };

export interface DataFrame {
  type: 'DATA';
  streamId: number;
  flags: number;
  data: Buffer;
}

export type Frame = ControlFrame | DataFrame;

/** A frame as read off the wire, before its header block is decompressed. */
export type RawFrame =
  | DataFrame
  | { type: 'CONTROL'; version: number; frameType: number; flags: number; payload: Buffer };

export class SpdyProtocolError extends Error {
  constructor(
    message: string,
    readonly streamId = 0,
  ) {
    super(message);
    this.name = 'SpdyProtocolError';
  }
}

/** Reads one frame (8-byte header plus payload) or returns null if incomplete. */
export function readRawFrame(q: ByteQueue, maxLength = MAX_FRAME_LENGTH): RawFrame | null {
  if (q.length < 8) return null;
  const h = q.peek(8);
  const length = h.readUInt32BE(4) & 0xffffff;
  if (length > maxLength) throw new SpdyProtocolError(`frame of ${length} bytes exceeds the limit`);
  if (q.length < 8 + length) return null;
  q.skip(8);
  const payload = q.read(length);
  const flags = h[4];
  if (h[0] & 0x80) {
    return { type: 'CONTROL', version: h.readUInt16BE(0) & 0x7fff, frameType: h.readUInt16BE(2), flags, payload };
  }
  const streamId = h.readUInt32BE(0) & 0x7fffffff;
  if (streamId === 0) throw new SpdyProtocolError('DATA frame on stream 0');
  return { type: 'DATA', streamId, flags, data: Buffer.from(payload) };
}

function controlHeader(frameType: number, flags: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  b.writeUInt16BE(frameType, 2);
  b.writeUInt32BE(((flags & 0xff) << 24) | length, 4);
  return b;
}

export function encodeData(streamId: number, data: Buffer, flags = 0): Buffer {
  if (data.length > MAX_FRAME_LENGTH) throw new RangeError('DATA payload too long');
  const b = Buffer.allocUnsafe(8 + data.length);
  b.writeUInt32BE(streamId & 0x7fffffff, 0);
  b.writeUInt32BE((((flags & 0xff) << 24) | data.length) >>> 0, 4);
  data.copy(b, 8);
  return b;
}

/** SYN_STREAM with an already compressed header block. */
export function encodeSynStream(
  f: { streamId: number; associatedId?: number; priority?: number; flags?: number },
  compressedHeaders: Buffer,
): Buffer {
  const body = Buffer.allocUnsafe(10);
  body.writeUInt32BE(f.streamId & 0x7fffffff, 0);
  body.writeUInt32BE((f.associatedId ?? 0) & 0x7fffffff, 4);
  body[8] = ((f.priority ?? 0) & 0x7) << 5;
  body[9] = 0; // credential slot
  return Buffer.concat([controlHeader(FrameType.SynStream, f.flags ?? 0, 10 + compressedHeaders.length), body, compressedHeaders]);
}

function encodeStreamHeaders(frameType: number, streamId: number, flags: number, compressedHeaders: Buffer): Buffer {
  const id = Buffer.allocUnsafe(4);
  id.writeUInt32BE(streamId & 0x7fffffff, 0);
  return Buffer.concat([controlHeader(frameType, flags, 4 + compressedHeaders.length), id, compressedHeaders]);
}

export function encodeSynReply(streamId: number, compressedHeaders: Buffer, flags = 0): Buffer {
  return encodeStreamHeaders(FrameType.SynReply, streamId, flags, compressedHeaders);
}

export function encodeHeaders(streamId: number, compressedHeaders: Buffer, flags = 0): Buffer {
  return encodeStreamHeaders(FrameType.Headers, streamId, flags, compressedHeaders);
}

export function encodeRstStream(streamId: number, status: number): Buffer {
  const b = controlHeader(FrameType.RstStream, 0, 8);
  const body = Buffer.allocUnsafe(8);
  body.writeUInt32BE(streamId & 0x7fffffff, 0);
  body.writeUInt32BE(status, 4);
  return Buffer.concat([b, body]);
}

export function encodeSettings(settings: Array<{ id: number; value: number; flags?: number }>, flags = 0): Buffer {
  const body = Buffer.allocUnsafe(4 + 8 * settings.length);
  body.writeUInt32BE(settings.length, 0);
  settings.forEach((s, i) => {
    body.writeUInt32BE((((s.flags ?? 0) << 24) | (s.id & 0xffffff)) >>> 0, 4 + 8 * i);
    body.writeUInt32BE(s.value >>> 0, 8 + 8 * i);
  });
  return Buffer.concat([controlHeader(FrameType.Settings, flags, body.length), body]);
}

export function encodePing(id: number): Buffer {
  const body = Buffer.allocUnsafe(4);
  body.writeUInt32BE(id >>> 0, 0);
  return Buffer.concat([controlHeader(FrameType.Ping, 0, 4), body]);
}

export function encodeGoAway(lastGoodStreamId: number, status: number = GoAwayStatus.Ok): Buffer {
  const body = Buffer.allocUnsafe(8);
  body.writeUInt32BE(lastGoodStreamId & 0x7fffffff, 0);
  body.writeUInt32BE(status, 4);
  return Buffer.concat([controlHeader(FrameType.GoAway, 0, 8), body]);
}

export function encodeWindowUpdate(streamId: number, delta: number): Buffer {
  const body = Buffer.allocUnsafe(8);
  body.writeUInt32BE(streamId & 0x7fffffff, 0);
  body.writeUInt32BE(delta & 0x7fffffff, 4);
  return Buffer.concat([controlHeader(FrameType.WindowUpdate, 0, 8), body]);
}

/** The uncompressed name/value block: count, then length-prefixed names and NUL-joined values. */
export function encodeHeaderBlock(headers: HeaderBlock): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.allocUnsafe(4);
  count.writeUInt32BE(headers.size, 0);
  parts.push(count);
  for (const [name, values] of headers) {
    for (const s of [name, values.join('\0')]) {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.allocUnsafe(4);
      len.writeUInt32BE(b.length, 0);
      parts.push(len, b);
    }
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer, streamId = 0): HeaderBlock {
  const out: HeaderBlock = new Map();
  const need = (off: number, n: number) => {
    if (off + n > block.length) throw new SpdyProtocolError('truncated header block', streamId);
  };
  need(0, 4);
  const count = block.readUInt32BE(0);
  let off = 4;
  for (let i = 0; i < count; i++) {
    need(off, 4);
    const nl = block.readUInt32BE(off);
    off += 4;
    need(off, nl);
    const name = block.toString('utf8', off, off + nl).toLowerCase();
    off += nl;
    need(off, 4);
    const vl = block.readUInt32BE(off);
    off += 4;
    need(off, vl);
    const values = block.toString('utf8', off, off + vl).split('\0');
    off += vl;
    out.set(name, [...(out.get(name) ?? []), ...values]);
  }
  return out;
}

/**
 * Builds a header block from name → value(s), lowercasing names and
 * merging names that differ only in case.
 */
export function toHeaderBlock(headers: Record<string, string | number | string[]> | HeaderBlock): HeaderBlock {
  const out: HeaderBlock = new Map();
  const entries = headers instanceof Map ? headers.entries() : Object.entries(headers);
  for (const [k, v] of entries) {
    const name = k.toLowerCase();
    const values = Array.isArray(v) ? v.map(String) : [String(v)];
    out.set(name, [...(out.get(name) ?? []), ...values]);
  }
  return out;
}

// The SPDY/3 header compression dictionary (draft 3, section 2.6.10.1): a
// run of length-prefixed tokens followed by free text. Built from its parts
// so it stays readable; the checksum test pins the exact bytes.
const DICTIONARY_TOKENS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding',
  'accept-language', 'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection',
  'content-base', 'content-encoding', 'content-language', 'content-length', 'content-location',
  'content-md5', 'content-range', 'content-type', 'date', 'etag', 'expect', 'expires', 'from', 'host',
  'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified',
  'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via',
  'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url',
  'public', 'set-cookie', 'keep-alive', 'origin',
];
const DICTIONARY_TEXT = [
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505',
  '203 Non-Authoritative Information', '204 No Content', '301 Moved Permanently', '400 Bad Request',
  '401 Unauthorized', '403 Forbidden', '404 Not Found', '500 Internal Server Error', '501 Not Implemented',
  '503 Service Unavailable',
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT',
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,',
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.',
].join('');

export const HEADER_DICTIONARY: Buffer = Buffer.concat([
  ...DICTIONARY_TOKENS.map((t) => {
    const b = Buffer.alloc(4 + t.length);
    b.writeUInt32BE(t.length, 0);
    b.write(t, 4, 'latin1');
    return b;
  }),
  Buffer.from(DICTIONARY_TEXT, 'latin1'),
]);

/**
 * One direction's zlib stream. Calls are serialized; each call's output is
 * everything the input produced, ending at a sync-flush boundary.
 */
class ZlibContext {
  private readonly z: zlib.Deflate | zlib.Inflate;
  private readonly out: Buffer[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private failed: Error | null = null;
  private pending: ((err: Error) => void) | null = null;

  constructor(kind: 'deflate' | 'inflate') {
    const common = {
      dictionary: HEADER_DICTIONARY,
      flush: zlib.constants.Z_SYNC_FLUSH,
      // Collect all output before the write callback runs.
      readableHighWaterMark: 1 << 24,
    };
    this.z = kind === 'deflate' ? zlib.createDeflate({ ...common, level: 9 }) : zlib.createInflate(common);
    this.z.on('data', (c: Buffer) => this.out.push(c));
    // A corrupt stream destroys the zlib object without calling the write
    // callback; fail the pending call (and every later one) instead.
    const fail = (err: Error) => {
      this.failed ??= err;
      this.pending?.(this.failed);
    };
    this.z.on('error', fail);
    this.z.on('close', () => fail(new Error('zlib stream closed')));
  }

  run(input: Buffer): Promise<Buffer> {
    const p = this.chain.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          if (this.failed) return reject(this.failed);
          this.pending = reject;
          this.z.write(input, (err) => {
            this.pending = null;
            if (err) return reject(err);
            const result = Buffer.concat(this.out);
            this.out.length = 0;
            resolve(result);
          });
        }),
    );
    this.chain = p.catch(() => {});
    return p;
  }

  close(): void {
    this.z.destroy();
  }
}

/** Compresses outgoing header blocks (one context for the connection). */
export class HeaderCompressor {
  private readonly ctx = new ZlibContext('deflate');

  compress(headers: HeaderBlock): Promise<Buffer> {
    return this.ctx.run(encodeHeaderBlock(headers));
  }

  close(): void {
    this.ctx.close();
  }
}

/** Decompresses incoming header blocks (one context for the connection). */
export class HeaderDecompressor {
  private readonly ctx = new ZlibContext('inflate');

  async decompress(compressed: Buffer, streamId = 0): Promise<HeaderBlock> {
    let block: Buffer;
    try {
      block = await this.ctx.run(compressed);
    } catch (err) {
      throw new SpdyProtocolError(`header decompression failed: ${(err as Error).message}`, streamId);
    }
    return decodeHeaderBlock(block, streamId);
  }

  close(): void {
    this.ctx.close();
  }
}

/**
 * Turns a raw control frame into a parsed one, decompressing its header
 * block if it has one. Returns null for frame types this version ignores.
 */
export async function parseControlFrame(
  raw: Extract<RawFrame, { type: 'CONTROL' }>,
  decompressor: HeaderDecompressor,
): Promise<ControlFrame | null> {
  const { frameType, flags, payload: p } = raw;
  if (raw.version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${raw.version}`);
  const need = (n: number) => {
    if (p.length < n) throw new SpdyProtocolError(`control frame type ${frameType} too short`);
  };
  const nonZero = (id: number) => {
    if (id === 0) throw new SpdyProtocolError(`control frame type ${frameType} on stream 0`);
    return id;
  };
  switch (frameType) {
    case FrameType.SynStream: {
      need(10);
      const streamId = nonZero(p.readUInt32BE(0) & 0x7fffffff);
      const headers = await decompressor.decompress(p.subarray(10), streamId);
      return {
        type: 'SYN_STREAM',
        flags,
        streamId,
        associatedId: p.readUInt32BE(4) & 0x7fffffff,
        priority: p[8] >> 5,
        slot: p[9],
        headers,
      };
    }
    case FrameType.SynReply:
    case FrameType.Headers: {
      need(4);
      const streamId = nonZero(p.readUInt32BE(0) & 0x7fffffff);
      const headers = await decompressor.decompress(p.subarray(4), streamId);
      return { type: frameType === FrameType.SynReply ? 'SYN_REPLY' : 'HEADERS', flags, streamId, headers };
    }
    case FrameType.RstStream:
      need(8);
      return { type: 'RST_STREAM', flags, streamId: nonZero(p.readUInt32BE(0) & 0x7fffffff), status: p.readUInt32BE(4) };
    case FrameType.Settings: {
      need(4);
      const n = p.readUInt32BE(0);
      need(4 + 8 * n);
      const settings = [];
      for (let i = 0; i < n; i++) {
        const w = p.readUInt32BE(4 + 8 * i);
        settings.push({ flags: w >>> 24, id: w & 0xffffff, value: p.readUInt32BE(8 + 8 * i) });
      }
      return { type: 'SETTINGS', flags, settings };
    }
    case FrameType.Ping:
      need(4);
      return { type: 'PING', flags, id: p.readUInt32BE(0) };
    case FrameType.GoAway:
      need(4);
      return {
        type: 'GOAWAY',
        flags,
        lastGoodStreamId: p.readUInt32BE(0) & 0x7fffffff,
        status: p.length >= 8 ? p.readUInt32BE(4) : GoAwayStatus.Ok,
      };
    case FrameType.WindowUpdate:
      need(8);
      return { type: 'WINDOW_UPDATE', flags, streamId: p.readUInt32BE(0) & 0x7fffffff, delta: p.readUInt32BE(4) & 0x7fffffff };
    default:
      return null;
  }
}
