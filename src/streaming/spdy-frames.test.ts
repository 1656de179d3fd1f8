// SPDY/3 framing: the dictionary's exact bytes, every frame type's round
// trip, the header block format, and header compression with one zlib
// context per direction (what a Go peer expects across frames).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { ByteQueue } from './bytes.js';
import {
  decodeHeaderBlock,
  encodeData,
  encodeGoAway,
  encodeHeaderBlock,
  encodeHeaders,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSynReply,
  encodeSynStream,
  encodeWindowUpdate,
  FLAG_FIN,
  HEADER_DICTIONARY,
  HeaderCompressor,
  HeaderDecompressor,
  parseControlFrame,
  readRawFrame,
  RstStatus,
  SettingsId,
  SpdyProtocolError,
  toHeaderBlock,
  type ControlFrame,
  type RawFrame,
} from './spdy-frames.js';

function adler32(b: Buffer): number {
  let a = 1;
  let c = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    c = (c + a) % 65521;
  }
  return ((c << 16) | a) >>> 0;
}

function readOne(wire: Buffer): RawFrame {
  const q = new ByteQueue();
  q.push(wire);
  const f = readRawFrame(q);
  assert.ok(f);
  assert.equal(q.length, 0, 'the whole frame was consumed');
  return f;
}

async function parse(wire: Buffer, d = new HeaderDecompressor()): Promise<ControlFrame | null> {
  const raw = readOne(wire);
  assert.equal(raw.type, 'CONTROL');
  return parseControlFrame(raw as Extract<RawFrame, { type: 'CONTROL' }>, d);
}

test('the header dictionary is the SPDY/3 one, byte for byte (length and Adler-32 as zlib sees it)', () => {
  assert.equal(HEADER_DICTIONARY.length, 1423);
  assert.equal(adler32(HEADER_DICTIONARY), 0xe3c6a7c2);
});

test('header blocks: lowercase names, NUL-joined values, count first', () => {
  const block = toHeaderBlock({ streamType: 'stdout', Port: 8080, multi: ['a', 'b'], MULTI: 'c' });
  assert.deepEqual([...block.keys()], ['streamtype', 'port', 'multi']);
  assert.deepEqual(block.get('multi'), ['a', 'b', 'c']);
  const raw = encodeHeaderBlock(block);
  assert.equal(raw.readUInt32BE(0), 3);
  assert.equal(raw.readUInt32BE(4), 'streamtype'.length);
  assert.ok(raw.includes(Buffer.from('a\0b\0c')));
  assert.deepEqual(decodeHeaderBlock(raw), block);
  assert.throws(() => decodeHeaderBlock(raw.subarray(0, raw.length - 1)), SpdyProtocolError);
});

test('header compression: one context per direction across many blocks, sync-flushed each time', async () => {
  const c = new HeaderCompressor();
  const d = new HeaderDecompressor();
  const blocks = [
    toHeaderBlock({ streamtype: 'error' }),
    toHeaderBlock({ streamtype: 'stdin' }),
    toHeaderBlock({ streamtype: 'stdout', port: '80', requestid: '0' }),
    toHeaderBlock({}),
  ];
  const wire: Buffer[] = [];
  for (const b of blocks) {
    const z = await c.compress(b);
    // Each block ends at a sync-flush marker, so a reader can stop there.
    assert.deepEqual(z.subarray(-4), Buffer.from([0, 0, 0xff, 0xff]));
    wire.push(z);
  }
  // The first block names the dictionary (FDICT) and later ones reuse the
  // stream: a fresh inflater cannot read the second block on its own.
  assert.equal(wire[0][1] & 0x20, 0x20);
  assert.ok(wire[1].length < wire[0].length);
  for (let i = 0; i < blocks.length; i++) assert.deepEqual(await d.decompress(wire[i]), blocks[i]);
  await assert.rejects(new HeaderDecompressor().decompress(wire[1]), SpdyProtocolError);
  // Any zlib with the dictionary reads the stream (Go uses its own deflate).
  const inflated = zlib.inflateSync(Buffer.concat(wire), { dictionary: HEADER_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  assert.deepEqual(inflated, Buffer.concat(blocks.map(encodeHeaderBlock)));
  c.close();
  d.close();
});

test('a header block compressed by another zlib (level 9, dictionary, sync flush) is read', async () => {
  const block = toHeaderBlock({ streamtype: 'data', port: '8080', requestid: '7' });
  const deflate = zlib.createDeflate({ level: 9, dictionary: HEADER_DICTIONARY });
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  deflate.write(encodeHeaderBlock(block));
  await new Promise<void>((r) => deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
  const d = new HeaderDecompressor();
  assert.deepEqual(await d.decompress(Buffer.concat(out)), block);
});

test('every control frame type round-trips', async () => {
  const c = new HeaderCompressor();
  const d = new HeaderDecompressor();
  const headers = toHeaderBlock({ streamtype: 'error' });
  assert.deepEqual(await parse(encodeSynStream({ streamId: 5, associatedId: 3, priority: 7, flags: FLAG_FIN }, await c.compress(headers)), d), {
    type: 'SYN_STREAM',
    flags: FLAG_FIN,
    streamId: 5,
    associatedId: 3,
    priority: 7,
    slot: 0,
    headers,
  });
  assert.deepEqual(await parse(encodeSynReply(5, await c.compress(new Map())), d), {
    type: 'SYN_REPLY',
    flags: 0,
    streamId: 5,
    headers: new Map(),
  });
  assert.deepEqual(await parse(encodeHeaders(6, await c.compress(headers), FLAG_FIN), d), {
    type: 'HEADERS',
    flags: FLAG_FIN,
    streamId: 6,
    headers,
  });
  assert.deepEqual(await parse(encodeRstStream(9, RstStatus.Cancel)), { type: 'RST_STREAM', flags: 0, streamId: 9, status: 5 });
  assert.deepEqual(await parse(encodeSettings([{ id: SettingsId.InitialWindowSize, value: 1 << 20, flags: 1 }])), {
    type: 'SETTINGS',
    flags: 0,
    settings: [{ flags: 1, id: 7, value: 1 << 20 }],
  });
  assert.deepEqual(await parse(encodePing(0x7fffffff)), { type: 'PING', flags: 0, id: 0x7fffffff });
  assert.deepEqual(await parse(encodeGoAway(11, 2)), { type: 'GOAWAY', flags: 0, lastGoodStreamId: 11, status: 2 });
  assert.deepEqual(await parse(encodeWindowUpdate(0, 1 << 30)), { type: 'WINDOW_UPDATE', flags: 0, streamId: 0, delta: 1 << 30 });
  c.close();
  d.close();
});

test('control frame headers carry the version, type, flags and 24-bit length', () => {
  const wire = encodeRstStream(1, RstStatus.ProtocolError);
  assert.deepEqual(wire.subarray(0, 8), Buffer.from([0x80, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x08]));
});

test('data frames: stream id, FIN flag, payload; nothing is read before the frame is whole', () => {
  const wire = encodeData(0x7ffffffd, Buffer.from('hello'), FLAG_FIN);
  assert.deepEqual(wire.subarray(0, 8), Buffer.from([0x7f, 0xff, 0xff, 0xfd, 0x01, 0x00, 0x00, 0x05]));
  const q = new ByteQueue();
  q.push(wire.subarray(0, 10));
  assert.equal(readRawFrame(q), null);
  q.push(wire.subarray(10));
  assert.deepEqual(readRawFrame(q), { type: 'DATA', streamId: 0x7ffffffd, flags: FLAG_FIN, data: Buffer.from('hello') });
  const zero = new ByteQueue();
  zero.push(encodeData(0, Buffer.alloc(0)));
  assert.throws(() => readRawFrame(zero), SpdyProtocolError);
});

test('frames of another SPDY version and unknown types', async () => {
  const v2 = encodePing(1);
  v2.writeUInt16BE(0x8002, 0);
  await assert.rejects(parse(v2), SpdyProtocolError);
  const unknown = encodePing(1);
  unknown.writeUInt16BE(10, 2); // CREDENTIAL: ignored
  assert.equal(await parse(unknown), null);
});
