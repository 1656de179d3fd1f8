// The "channel.k8s.io" family of WebSocket subprotocols: every message starts
// with its channel number (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize).
// In the base64 variants messages are text, the channel is an ASCII digit
// and the payload is base64. v5 adds the CLOSE signal: a message [255, n]
// half-closes channel n (the reader of channel n sees end of stream).
//
// Upstream behaviour kept (k8s.io/apimachinery wsstream, client-go):
// - messages for channels nobody reads are dropped;
// - a CLOSE signal that is not exactly two bytes, or names no channel,
//   ends the connection;
// - when the connection ends, every read channel ends.

import { Readable, Writable } from 'node:stream';
import { CloseCode, type WebSocket } from './websocket.js';

export const Channel = { Stdin: 0, Stdout: 1, Stderr: 2, Error: 3, Resize: 4 } as const;
/** v5's half-close signal, sent as the first byte of a two-byte message. */
export const CLOSE_SIGNAL = 255;
/** Channels 0-4 exist; higher numbers are protocol errors for the CLOSE signal. */
const CHANNEL_COUNT = 5;

export interface ChannelMuxOptions {
  /** Text messages with base64 payloads ("base64.channel.k8s.io", "v4.base64.channel.k8s.io"). */
  base64: boolean;
  /** The protocol has the CLOSE signal (v5). */
  closeSignal: boolean;
  /** Channels this side reads. */
  read: number[];
  /** Channels this side writes. */
  write: number[];
  /** Channels whose writer's end() sends the CLOSE signal (v5 only). */
  closeOnEnd?: number[];
}

/**
 * Channels multiplexed over one WebSocket. Writes on a channel become
 * messages; the callback waits for 'drain' when the socket is full.
 * Reading a channel that is behind pauses the whole socket (as a Go pipe
 * would block the shared read loop). After the connection closed, writes
 * are dropped silently: the peer is gone and a command's output has nowhere
 * to go, which is no reason to fail the producer.
 */
export class ChannelMux {
  readonly ws: WebSocket;
  private readonly opts: ChannelMuxOptions;
  private readonly readers = new Map<number, Readable>();
  private readonly writers = new Map<number, Writable>();
  private readonly pausedBy = new Set<number>();

  constructor(ws: WebSocket, opts: ChannelMuxOptions) {
    this.ws = ws;
    this.opts = opts;
    for (const ch of opts.read) {
      this.readers.set(
        ch,
        new Readable({
          read: () => {
            if (this.pausedBy.delete(ch) && this.pausedBy.size === 0) ws.resume();
          },
        }),
      );
    }
    for (const ch of opts.write) {
      const closeOnEnd = opts.closeSignal && (opts.closeOnEnd ?? []).includes(ch);
      this.writers.set(
        ch,
        new Writable({
          write: (chunk: Buffer, _enc, cb) => this.send(ch, chunk, cb),
          final: (cb) => {
            if (closeOnEnd && ws.readyState === 'open') ws.send(Buffer.from([CLOSE_SIGNAL, ch]));
            cb();
          },
        }),
      );
    }
    ws.on('message', (data) => this.onMessage(data));
    ws.on('close', () => {
      for (const r of this.readers.values()) if (!r.readableEnded) r.push(null);
    });
  }

  reader(ch: number): Readable | null {
    return this.readers.get(ch) ?? null;
  }

  writer(ch: number): Writable | null {
    return this.writers.get(ch) ?? null;
  }

  /** Sends one message on a channel (an empty payload is a valid message). */
  send(ch: number, data: Buffer, cb: (err?: Error | null) => void = () => {}): void {
    if (this.ws.readyState !== 'open') return cb();
    const msg = this.opts.base64
      ? String.fromCharCode(0x30 + ch) + data.toString('base64')
      : Buffer.concat([Buffer.from([ch]), data]);
    if (this.ws.send(msg)) return cb();
    const done = () => {
      this.ws.off('drain', done);
      this.ws.off('close', done);
      cb();
    };
    this.ws.on('drain', done);
    this.ws.on('close', done);
  }

  private onMessage(data: Buffer): void {
    if (data.length === 0) return;
    if (this.opts.closeSignal && data[0] === CLOSE_SIGNAL) {
      if (data.length !== 2 || data[1] >= CHANNEL_COUNT) {
        this.ws.close(CloseCode.ProtocolError, 'invalid close signal');
        return;
      }
      const r = this.readers.get(data[1]);
      if (r && !r.readableEnded) r.push(null);
      return;
    }
    let ch = data[0];
    let payload = data.subarray(1);
    if (this.opts.base64) {
      ch -= 0x30;
      payload = Buffer.from(payload.toString('latin1'), 'base64');
    }
    const r = this.readers.get(ch);
    if (!r || r.readableEnded || payload.length === 0) return;
    if (!r.push(payload)) {
      this.pausedBy.add(ch);
      this.ws.pause();
    }
  }
}

/**
 * Splits a byte stream into the JSON values it carries back to back (what
 * Go's json.Decoder reads off the resize stream).
 */
export class JsonValueSplitter {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private pos = 0;

  /** Feeds text; returns the complete values found, parsed. Throws on invalid JSON. */
  push(text: string): unknown[] {
    this.buf += text;
    const out: unknown[] = [];
    for (; this.pos < this.buf.length; this.pos++) {
      const c = this.buf[this.pos];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (this.start < 0) {
        if (/\s/.test(c)) continue;
        if (c !== '{' && c !== '[') throw new SyntaxError(`unexpected ${JSON.stringify(c)} in JSON stream`);
        this.start = this.pos;
      }
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') this.depth++;
      else if (c === '}' || c === ']') {
        this.depth--;
        if (this.depth === 0) {
          out.push(JSON.parse(this.buf.slice(this.start, this.pos + 1)));
          this.buf = this.buf.slice(this.pos + 1);
          this.pos = -1;
          this.start = -1;
        }
      }
    }
    return out;
  }
}
