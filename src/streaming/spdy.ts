// A SPDY/3.1 session over an upgraded connection, usable as client or
// server, and the HTTP upgrade that starts one (`Upgrade: SPDY/3.1` with
// `X-Stream-Protocol-Version` negotiation, as k8s.io/apimachinery does it).
//
// Streams are Duplexes: writes become DATA frames, end() sends FIN, a
// received FIN ends the readable side, reset() sends RST_STREAM. A stream the
// peer opens is announced with 'stream' and answered with SYN_REPLY right
// after the listeners ran, unless one of them reset it (apimachinery's
// handler-then-reply order).
//
// Flow control. moby/spdystream, the Go peer of kubectl, the kubelet and
// containerd, implements none: it never sends SETTINGS or WINDOW_UPDATE and
// ignores them, sending as fast as TCP lets it. So windows are enforced on
// what we send only once the peer announced SETTINGS_INITIAL_WINDOW_SIZE
// (as this implementation does); until then the peer is taken to be such a
// Go peer and receiving is throttled instead by pausing the socket while a
// stream's reader is behind. Receiving never treats a window overrun as an
// error. See README.md in this folder.

import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { ByteQueue } from './bytes.js';
import {
  HandshakeError,
  headerHasToken,
  headerValues,
  requestUpgrade,
  UpgradeFailedError,
  writeHttpError,
  writeSwitchingProtocols,
  type UpgradeRequestOptions,
} from './http-upgrade.js';
import {
  DEFAULT_WINDOW,
  encodeData,
  encodeGoAway,
  encodeHeaders,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSynReply,
  encodeSynStream,
  encodeWindowUpdate,
  FLAG_FIN,
  FLAG_UNIDIRECTIONAL,
  GoAwayStatus,
  HeaderCompressor,
  HeaderDecompressor,
  parseControlFrame,
  readRawFrame,
  RstStatus,
  SettingsId,
  SpdyProtocolError,
  toHeaderBlock,
  type ControlFrame,
  type DataFrame,
  type HeaderBlock,
} from './spdy-frames.js';

export { RstStatus, GoAwayStatus, type HeaderBlock } from './spdy-frames.js';

export const SPDY_31 = 'SPDY/3.1';
export const HEADER_PROTOCOL_VERSION = 'X-Stream-Protocol-Version';
export const HEADER_ACCEPTED_PROTOCOL_VERSIONS = 'X-Accepted-Stream-Protocol-Versions';

export type HeadersInit = Record<string, string | number | string[]> | HeaderBlock;

export interface SpdySessionOptions {
  role: 'client' | 'server';
  /** Bytes read past the HTTP handshake, parsed before the socket's. */
  head?: Buffer;
  /**
   * Receive window per stream announced in SETTINGS; 0 announces nothing.
   * Only a peer that does flow control honours it (ours does, Go's not).
   */
  initialWindowSize?: number;
  /** Session receive window (SPDY/3.1), announced with WINDOW_UPDATE on stream 0. */
  sessionWindowSize?: number;
  /** Largest DATA payload per frame sent. */
  maxDataFrameSize?: number;
  /** Sends a PING this often (0: never). */
  pingIntervalMs?: number;
  /** How long openStream() waits for SYN_REPLY. */
  streamTimeoutMs?: number;
  /** How long close() waits for the peer to close the connection. */
  closeTimeoutMs?: number;
}

const DEFAULTS = {
  initialWindowSize: 256 * 1024,
  sessionWindowSize: 16 * 1024 * 1024,
  maxDataFrameSize: 32 * 1024,
  pingIntervalMs: 0,
  streamTimeoutMs: 30_000,
  closeTimeoutMs: 5_000,
};

/** Errors from streams whose peer reset them or whose connection ended. */
export class StreamClosedError extends Error {
  constructor(
    message: string,
    readonly rstStatus?: number,
  ) {
    super(message);
    this.name = 'StreamClosedError';
  }
}

export interface SpdyStream {
  on(event: 'headers', listener: (headers: HeaderBlock) => void): this;
  on(event: 'reset', listener: (status: number) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'headers', listener: (headers: HeaderBlock) => void): this;
  once(event: 'reset', listener: (status: number) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

/**
 * One SPDY stream. Once the peer reset it or the connection ended, the
 * stream is dead: data received before stays readable, later writes are
 * dropped (no 'error': a peer going away is routine, and an unhandled
 * 'error' would take the process down), and the stream closes as soon as
 * its readable side has been consumed. `resetStatus` and the 'reset' event
 * tell what happened.
 */
export class SpdyStream extends Duplex {
  readonly id: number;
  /** Who opened it: 'local' (we sent SYN_STREAM) or 'remote'. */
  readonly initiator: 'local' | 'remote';
  /** The SYN_STREAM headers. */
  readonly headers: HeaderBlock;
  /** The SYN_REPLY headers of a stream we opened. */
  replyHeaders: HeaderBlock = new Map();
  /** The RST_STREAM status, sent or received. */
  resetStatus: number | null = null;
  /** Why the stream can no longer send, once it cannot. */
  deadReason: StreamClosedError | null = null;

  /** @internal */ replied = false;
  /** @internal */ localFin = false;
  /** @internal */ remoteFin = false;
  /** @internal */ sendWindow: number;
  /** @internal */ credit = 0;
  /** @internal */ creditHeld = false;

  private readonly session: SpdySession;

  /** @internal */
  constructor(session: SpdySession, id: number, initiator: 'local' | 'remote', headers: HeaderBlock, sendWindow: number) {
    super({ allowHalfOpen: true, decodeStrings: true });
    this.session = session;
    this.id = id;
    this.initiator = initiator;
    this.headers = headers;
    this.sendWindow = sendWindow;
  }

  /** The first value of a SYN_STREAM header (name case-insensitive). */
  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  /** Answers a stream the peer opened (SYN_REPLY); done automatically otherwise. */
  reply(headers: HeadersInit = {}, fin = false): void {
    if (this.initiator !== 'remote' || this.replied || this.resetStatus !== null) return;
    this.replied = true;
    this.session.sendReply(this, toHeaderBlock(headers), fin);
    if (fin) this.markLocalFin();
  }

  /** Sends a HEADERS frame on the stream. */
  sendHeaders(headers: HeadersInit, fin = false): void {
    this.session.sendHeadersFrame(this, toHeaderBlock(headers), fin);
    if (fin) this.markLocalFin();
  }

  /** Aborts both directions with RST_STREAM (CANCEL by default). */
  reset(status: number = RstStatus.Cancel): void {
    if (this.resetStatus === null && !(this.localFin && this.remoteFin)) {
      this.session.sendReset(this.id, status);
    }
    this.onReset(status, false);
    this.destroy();
  }

  override _read(): void {
    this.session.onStreamRead(this);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.deadReason) return cb();
    this.session.writeData(this, chunk, false).then(
      () => cb(),
      (err: Error) => cb(err instanceof StreamClosedError ? null : err),
    );
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.localFin || this.deadReason) return cb();
    this.session.writeData(this, Buffer.alloc(0), true).then(
      () => cb(),
      (err: Error) => cb(err instanceof StreamClosedError ? null : err),
    );
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.resetStatus === null && !(this.localFin && this.remoteFin) && !this.session.closed) {
      this.session.sendReset(this.id, RstStatus.Cancel);
      this.onReset(RstStatus.Cancel, false);
    }
    cb(err);
  }

  /** @internal */
  markLocalFin(): void {
    this.localFin = true;
    this.session.maybeForget(this);
  }

  /** @internal */
  onRemoteFin(): void {
    if (this.remoteFin) return;
    this.remoteFin = true;
    this.push(null);
    this.session.maybeForget(this);
  }

  /** @internal */
  onReset(status: number, byPeer: boolean): void {
    if (this.resetStatus !== null) return;
    this.resetStatus = status;
    this.kill(new StreamClosedError(`stream ${this.id} was reset (status ${status})`, status));
    if (byPeer) this.emit('reset', status);
  }

  /** @internal No more sending; reading ends after what arrived; close once read. */
  kill(reason: StreamClosedError): void {
    if (this.deadReason) return;
    this.deadReason = reason;
    this.localFin = true;
    if (!this.remoteFin) {
      this.remoteFin = true;
      if (!this.readableEnded) this.push(null);
    }
    this.session.maybeForget(this);
    if (this.readableEnded) process.nextTick(() => this.destroy());
    else this.once('end', () => process.nextTick(() => this.destroy()));
  }
}

export interface SpdySession {
  on(event: 'stream', listener: (stream: SpdyStream) => void): this;
  on(event: 'goaway', listener: (lastGoodStreamId: number, status: number) => void): this;
  on(event: 'close', listener: (cause?: Error) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'stream', listener: (stream: SpdyStream) => void): this;
  once(event: 'goaway', listener: (lastGoodStreamId: number, status: number) => void): this;
  once(event: 'close', listener: (cause?: Error) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

interface PendingOpen {
  resolve: (s: SpdyStream) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A SPDY/3.1 connection. Never emits 'error': protocol and transport
 * failures end in 'close' with the cause.
 */
export class SpdySession extends EventEmitter {
  readonly role: 'client' | 'server';
  closed = false;
  /** We sent GOAWAY: no new streams either way. */
  goingAway = false;
  /** The peer sent GOAWAY. */
  peerGoneAway = false;

  private readonly socket: Duplex;
  private readonly opts: typeof DEFAULTS;
  private readonly queue = new ByteQueue();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly pendingOpens = new Map<number, PendingOpen>();
  private readonly pendingPings = new Map<number, { start: number; resolve: (ms: number) => void; reject: (e: Error) => void }>();
  private readonly windowWaiters = new Set<() => void>();
  private readonly pausedBy = new Set<SpdyStream>();
  private nextStreamId: number;
  private nextPingId: number;
  private lastPeerStreamId = 0;
  private pumping = false;
  private socketGone = false;
  private outChain: Promise<void> = Promise.resolve();
  /** Peer announced SETTINGS_INITIAL_WINDOW_SIZE, so it does flow control. */
  private peerFlowControl = false;
  private peerInitialWindow = DEFAULT_WINDOW;
  private sessionSendWindow = DEFAULT_WINDOW;
  private sessionCredit = 0;
  private pingTimer: NodeJS.Timeout | null = null;
  private closeTimer: NodeJS.Timeout | null = null;
  private closeCause: Error | undefined;

  constructor(socket: Duplex, options: SpdySessionOptions) {
    super();
    this.socket = socket;
    this.role = options.role;
    this.opts = { ...DEFAULTS, ...stripUndefined(options) };
    this.nextStreamId = this.role === 'client' ? 1 : 2;
    this.nextPingId = this.role === 'client' ? 1 : 2;
    const s = socket as Duplex & { setNoDelay?: (v: boolean) => void; setTimeout?: (ms: number) => void };
    s.setNoDelay?.(true);
    s.setTimeout?.(0);
    socket.on('data', (chunk: Buffer) => {
      this.queue.push(chunk);
      void this.pump();
    });
    socket.on('end', () => this.endTransport());
    socket.on('error', (err: Error) => this.onSocketGone(err));
    socket.on('close', () => this.onSocketGone());
    if (options.head?.length) this.queue.push(options.head);
    process.nextTick(() => void this.pump());

    if (this.opts.initialWindowSize > 0) {
      this.enqueue(() => encodeSettings([{ id: SettingsId.InitialWindowSize, value: this.opts.initialWindowSize }])).catch(
        () => {},
      );
      if (this.opts.sessionWindowSize > DEFAULT_WINDOW) {
        this.enqueue(() => encodeWindowUpdate(0, this.opts.sessionWindowSize - DEFAULT_WINDOW)).catch(() => {});
      }
    }
    if (this.opts.pingIntervalMs > 0) {
      this.pingTimer = setInterval(() => this.ping().catch(() => {}), this.opts.pingIntervalMs);
      this.pingTimer.unref?.();
    }
  }

  /** Streams not yet closed in both directions. */
  get activeStreams(): number {
    return this.streams.size;
  }

  /**
   * Opens a stream (SYN_STREAM) and resolves once the peer replied; rejects
   * if it reset the stream instead or did not answer in time.
   */
  openStream(headers: HeadersInit, opts: { fin?: boolean; priority?: number } = {}): Promise<SpdyStream> {
    if (this.closed || this.goingAway || this.peerGoneAway) {
      return Promise.reject(new StreamClosedError('the SPDY connection is closing'));
    }
    const id = this.nextStreamId;
    if (id > 0x7fffffff) return Promise.reject(new StreamClosedError('stream ids exhausted'));
    this.nextStreamId += 2;
    const block = toHeaderBlock(headers);
    const stream = new SpdyStream(this, id, 'local', block, this.peerInitialWindow);
    this.streams.set(id, stream);
    const flags = opts.fin ? FLAG_FIN : 0;
    this.enqueue(async () =>
      encodeSynStream({ streamId: id, priority: opts.priority ?? 0, flags }, await this.compressor.compress(block)),
    ).catch(() => {});
    if (opts.fin) {
      stream.markLocalFin();
      stream.end();
    }
    return new Promise<SpdyStream>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingOpens.delete(id);
        stream.reset();
        reject(new StreamClosedError(`timed out waiting for the reply to stream ${id}`));
      }, this.opts.streamTimeoutMs);
      timer.unref?.();
      this.pendingOpens.set(id, { resolve, reject, timer });
    });
  }

  /** Sends a PING and resolves with the round-trip time in milliseconds. */
  ping(timeoutMs = 30_000): Promise<number> {
    if (this.closed) return Promise.reject(new Error('the SPDY connection is closed'));
    const id = this.nextPingId;
    this.nextPingId = this.nextPingId + 2 > 0x7fffffff ? this.nextPingId - 0x7ffffffe : this.nextPingId + 2;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingPings.delete(id);
        reject(new Error('ping timed out'));
      }, timeoutMs);
      timer.unref?.();
      this.pendingPings.set(id, {
        start: performance.now(),
        resolve: (ms) => {
          clearTimeout(timer);
          resolve(ms);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.enqueue(() => encodePing(id)).catch(() => {});
    });
  }

  /**
   * Graceful close: sends GOAWAY, refuses new streams, and closes the
   * connection once every stream finished (or at once if none is open).
   */
  close(): void {
    if (this.closed) return;
    if (!this.goingAway) {
      this.goingAway = true;
      this.enqueue(() => encodeGoAway(this.lastPeerStreamId, GoAwayStatus.Ok)).catch(() => {});
    }
    if (this.streams.size === 0) this.endTransport();
  }

  /** Closes the connection at once; open streams end. */
  destroy(cause?: Error): void {
    this.closeCause ??= cause;
    this.socket.destroy();
    this.onTransportClosed(cause);
  }

  // ---- sending ----------------------------------------------------------

  /** Queues a frame; frames go out in call order (header blocks share one zlib stream). */
  private enqueue(build: () => Buffer | Promise<Buffer>): Promise<void> {
    const p = this.outChain.then(async () => {
      if (this.closed || !this.socket.writable) throw new StreamClosedError('the SPDY connection is closed');
      const frame = await build();
      if (this.closed || !this.socket.writable) throw new StreamClosedError('the SPDY connection is closed');
      if (!this.socket.write(frame)) await waitForDrain(this.socket);
    });
    this.outChain = p.catch(() => {});
    return p;
  }

  /** @internal */
  sendReply(stream: SpdyStream, headers: HeaderBlock, fin: boolean): void {
    this.enqueue(async () => encodeSynReply(stream.id, await this.compressor.compress(headers), fin ? FLAG_FIN : 0)).catch(
      () => {},
    );
  }

  /** @internal */
  sendHeadersFrame(stream: SpdyStream, headers: HeaderBlock, fin: boolean): void {
    this.enqueue(async () => encodeHeaders(stream.id, await this.compressor.compress(headers), fin ? FLAG_FIN : 0)).catch(
      () => {},
    );
  }

  /** @internal */
  sendReset(streamId: number, status: number): void {
    this.enqueue(() => encodeRstStream(streamId, status)).catch(() => {});
  }

  /** @internal Sends data (and FIN) on a stream, within the peer's windows when both sides announced windows. */
  async writeData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void> {
    if (stream.initiator === 'remote' && !stream.replied) stream.reply();
    let off = 0;
    do {
      this.checkWritable(stream);
      let n = Math.min(data.length - off, this.opts.maxDataFrameSize);
      if (n > 0 && this.peerHonoursWindows) {
        while (Math.min(stream.sendWindow, this.sessionSendWindow) <= 0) {
          await new Promise<void>((resolve) => this.windowWaiters.add(resolve));
          this.checkWritable(stream);
        }
        n = Math.min(n, stream.sendWindow, this.sessionSendWindow);
      }
      stream.sendWindow -= n;
      this.sessionSendWindow -= n;
      const last = off + n >= data.length;
      const frame = encodeData(stream.id, data.subarray(off, off + n), fin && last ? FLAG_FIN : 0);
      off += n;
      await this.enqueue(() => frame).catch((err: Error) => {
        throw new StreamClosedError(err.message);
      });
    } while (off < data.length);
    if (fin) stream.markLocalFin();
  }

  private checkWritable(stream: SpdyStream): void {
    if (stream.deadReason) throw stream.deadReason;
    if (this.closed) throw new StreamClosedError('the SPDY connection is closed');
    if (stream.localFin) throw new StreamClosedError(`write after FIN on stream ${stream.id}`);
  }

  private wakeWindowWaiters(): void {
    const waiters = [...this.windowWaiters];
    this.windowWaiters.clear();
    for (const w of waiters) w();
  }

  // ---- receiving --------------------------------------------------------

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed) {
        const raw = readRawFrame(this.queue);
        if (!raw) break;
        if (raw.type === 'DATA') {
          this.onDataFrame(raw);
        } else {
          const frame = await parseControlFrame(raw, this.decompressor);
          if (frame && !this.closed) this.onControlFrame(frame);
        }
      }
    } catch (err) {
      this.protocolError(err as Error);
    } finally {
      this.pumping = false;
      if (this.socketGone) this.onTransportClosed();
    }
  }

  /**
   * The socket closed. Frames it delivered are still processed (a header
   * block may be waiting for zlib) before the streams are ended.
   */
  private onSocketGone(err?: Error): void {
    this.socketGone = true;
    this.closeCause ??= err;
    if (!this.pumping) this.onTransportClosed();
  }

  private protocolError(err: Error): void {
    if (this.closed) return;
    this.closeCause = err;
    const goAway = encodeGoAway(this.lastPeerStreamId, GoAwayStatus.ProtocolError);
    this.outChain = this.outChain.then(() => {
      if (this.socket.writable) this.socket.write(goAway);
      this.destroy(err);
    });
  }

  private onDataFrame(f: DataFrame): void {
    // The session window is returned on receipt: per-stream windows already
    // bound what a slow reader buffers, and holding session credit would let
    // one stalled stream block the others.
    this.sessionCredit += f.data.length;
    if (this.peerHonoursWindows && this.sessionCredit >= this.opts.sessionWindowSize / 2) {
      const delta = this.sessionCredit;
      this.sessionCredit = 0;
      this.enqueue(() => encodeWindowUpdate(0, delta)).catch(() => {});
    }
    const stream = this.streams.get(f.streamId);
    // Like spdystream: data for a stream that is gone, or after its FIN, is dropped.
    if (!stream || stream.remoteFin || stream.destroyed) return;
    if (f.data.length > 0) {
      stream.credit += f.data.length;
      if (stream.push(f.data)) {
        this.maybeSendCredit(stream, false);
      } else {
        stream.creditHeld = true;
        if (!this.peerHonoursWindows) {
          this.pausedBy.add(stream);
          this.socket.pause();
        }
      }
    }
    if (f.flags & FLAG_FIN) stream.onRemoteFin();
  }

  /**
   * Whether the peer keeps to the windows we announce. One that announced
   * its own (our implementation) does; moby/spdystream announces nothing
   * and ignores ours, so for it reading is throttled instead.
   */
  private get peerHonoursWindows(): boolean {
    return this.peerFlowControl && this.opts.initialWindowSize > 0;
  }

  /**
   * Returns window for consumed data, to peers that keep to windows only.
   * Sending frames a peer ignores is not harmless: spdystream closes its
   * connection right after an exec's status, and a frame arriving after
   * that makes its kernel answer with a reset, which discards output we
   * have not read yet (a paused reader always has some).
   */
  private maybeSendCredit(stream: SpdyStream, force: boolean): void {
    if (!this.peerHonoursWindows || stream.credit === 0 || stream.remoteFin) return;
    if (!force && stream.credit < this.opts.initialWindowSize / 2) return;
    const delta = stream.credit;
    stream.credit = 0;
    this.enqueue(() => encodeWindowUpdate(stream.id, delta)).catch(() => {});
  }

  /** @internal The stream's reader wants more: return its window, resume reading. */
  onStreamRead(stream: SpdyStream): void {
    if (stream.creditHeld) {
      stream.creditHeld = false;
      this.maybeSendCredit(stream, true);
    }
    if (this.pausedBy.delete(stream) && this.pausedBy.size === 0 && !this.closed) this.socket.resume();
  }

  private onControlFrame(f: ControlFrame): void {
    switch (f.type) {
      case 'SYN_STREAM':
        return this.onSynStream(f);
      case 'SYN_REPLY': {
        const stream = this.streams.get(f.streamId);
        if (!stream || stream.initiator !== 'local' || stream.replied) return;
        stream.replied = true;
        stream.replyHeaders = f.headers;
        const pending = this.pendingOpens.get(f.streamId);
        if (pending) {
          this.pendingOpens.delete(f.streamId);
          clearTimeout(pending.timer);
          pending.resolve(stream);
        }
        if (f.flags & FLAG_FIN) stream.onRemoteFin();
        return;
      }
      case 'HEADERS': {
        const stream = this.streams.get(f.streamId);
        if (!stream) return;
        stream.emit('headers', f.headers);
        if (f.flags & FLAG_FIN) stream.onRemoteFin();
        return;
      }
      case 'RST_STREAM': {
        const stream = this.streams.get(f.streamId);
        if (!stream) return;
        const pending = this.pendingOpens.get(f.streamId);
        if (pending) {
          this.pendingOpens.delete(f.streamId);
          clearTimeout(pending.timer);
          pending.reject(new StreamClosedError(`stream ${f.streamId} was refused (status ${f.status})`, f.status));
        }
        stream.onReset(f.status, true);
        this.wakeWindowWaiters();
        return;
      }
      case 'SETTINGS':
        for (const s of f.settings) {
          if (s.id !== SettingsId.InitialWindowSize) continue;
          const delta = s.value - this.peerInitialWindow;
          this.peerInitialWindow = s.value;
          this.peerFlowControl = true;
          for (const stream of this.streams.values()) stream.sendWindow += delta;
        }
        this.wakeWindowWaiters();
        return;
      case 'PING': {
        if ((f.id & 1) === (this.nextPingId & 1)) {
          const pending = this.pendingPings.get(f.id);
          if (pending) {
            this.pendingPings.delete(f.id);
            pending.resolve(performance.now() - pending.start);
          }
        } else {
          this.enqueue(() => encodePing(f.id)).catch(() => {});
        }
        return;
      }
      case 'GOAWAY':
        return this.onGoAway(f.lastGoodStreamId, f.status);
      case 'WINDOW_UPDATE':
        if (f.streamId === 0) {
          this.sessionSendWindow += f.delta;
        } else {
          const stream = this.streams.get(f.streamId);
          if (stream) stream.sendWindow += f.delta;
        }
        this.wakeWindowWaiters();
        return;
    }
  }

  private onSynStream(f: Extract<ControlFrame, { type: 'SYN_STREAM' }>): void {
    const peerParity = this.role === 'server' ? 1 : 0;
    if (this.goingAway || this.peerGoneAway) {
      this.sendReset(f.streamId, RstStatus.RefusedStream);
      return;
    }
    if ((f.streamId & 1) !== peerParity || f.streamId <= this.lastPeerStreamId) {
      this.sendReset(f.streamId, RstStatus.ProtocolError);
      return;
    }
    this.lastPeerStreamId = f.streamId;
    const stream = new SpdyStream(this, f.streamId, 'remote', f.headers, this.peerInitialWindow);
    this.streams.set(f.streamId, stream);
    if (f.flags & FLAG_UNIDIRECTIONAL) {
      stream.replied = true;
      stream.markLocalFin();
      stream.end();
    }
    if (f.flags & FLAG_FIN) stream.onRemoteFin();
    this.emit('stream', stream);
    if (!stream.replied && stream.resetStatus === null && !stream.destroyed) stream.reply();
  }

  private onGoAway(lastGoodStreamId: number, status: number): void {
    if (this.peerGoneAway) return;
    this.peerGoneAway = true;
    // Streams we opened that the peer never processed will not be answered.
    for (const stream of [...this.streams.values()]) {
      if (stream.initiator === 'local' && stream.id > lastGoodStreamId) {
        const pending = this.pendingOpens.get(stream.id);
        if (pending) {
          this.pendingOpens.delete(stream.id);
          clearTimeout(pending.timer);
          pending.reject(new StreamClosedError(`stream ${stream.id} was not processed (GOAWAY)`, RstStatus.RefusedStream));
        }
        stream.onReset(RstStatus.RefusedStream, true);
      }
    }
    this.emit('goaway', lastGoodStreamId, status);
    if (this.streams.size === 0) this.endTransport();
  }

  /** @internal Drops a stream closed in both directions; ends a closing session when none remain. */
  maybeForget(stream: SpdyStream): void {
    if (!(stream.localFin && stream.remoteFin)) return;
    this.streams.delete(stream.id);
    this.pausedBy.delete(stream);
    if (this.pausedBy.size === 0 && !this.closed) this.socket.resume();
    if (this.streams.size === 0 && (this.goingAway || this.peerGoneAway)) this.endTransport();
  }

  // ---- teardown ---------------------------------------------------------

  /** Ends our side of the connection after the queued frames; the peer closes its side. */
  private endTransport(): void {
    if (this.closed) return;
    this.outChain = this.outChain.then(() => {
      if (this.socket.destroyed) return;
      if (!this.socket.writableEnded) {
        this.socket.end(() => {
          if (this.socket.readableEnded) this.socket.destroy();
        });
      } else if (this.socket.readableEnded) {
        this.socket.destroy();
      }
    });
    if (!this.closeTimer) {
      this.closeTimer = setTimeout(() => this.destroy(), this.opts.closeTimeoutMs);
      this.closeTimer.unref?.();
    }
  }

  private onTransportClosed(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.closeCause ??= err;
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.closeTimer) clearTimeout(this.closeTimer);
    if (!this.socket.destroyed) this.socket.destroy();
    const gone = new StreamClosedError('the SPDY connection closed');
    for (const p of this.pendingOpens.values()) {
      clearTimeout(p.timer);
      p.reject(gone);
    }
    this.pendingOpens.clear();
    for (const p of this.pendingPings.values()) p.reject(gone);
    this.pendingPings.clear();
    for (const stream of [...this.streams.values()]) stream.kill(gone);
    this.streams.clear();
    this.wakeWindowWaiters();
    this.compressor.close();
    this.decompressor.close();
    this.emit('close', this.closeCause);
  }
}

function waitForDrain(socket: Duplex): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ---- the HTTP upgrade ---------------------------------------------------

/** Whether the request asks to upgrade to SPDY/3.1. */
export function isSpdyUpgradeRequest(req: IncomingMessage): boolean {
  return headerHasToken(req.headers.connection, 'upgrade') && (req.headers.upgrade ?? '').toLowerCase().includes('spdy/3.1');
}

/**
 * Chooses the stream protocol like apimachinery's httpstream.Handshake: the
 * first version the client lists that the server supports.
 */
export function negotiateStreamProtocol(
  clientProtocols: readonly string[],
  serverProtocols: readonly string[],
): string | null {
  return clientProtocols.find((p) => serverProtocols.includes(p)) ?? null;
}

export interface AcceptSpdyOptions extends Omit<SpdySessionOptions, 'role' | 'head'> {
  /** X-Stream-Protocol-Version values the server speaks, preferred first. */
  protocols: readonly string[];
}

/**
 * Server side of the SPDY upgrade on a socket from the HTTP server's
 * 'upgrade' event: negotiates X-Stream-Protocol-Version, answers 101 and
 * returns the session. On failure writes the same HTTP errors as the
 * kubelet (400 no version header, 403 no common version, with
 * X-Accepted-Stream-Protocol-Versions) and throws HandshakeError.
 */
export function acceptSpdy(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  opts: AcceptSpdyOptions,
): { session: SpdySession; protocol: string } {
  const refuse = (status: number, message: string, headers: Array<[string, string]> = []): never => {
    writeHttpError(socket, status, message, headers);
    throw new HandshakeError(status, message);
  };
  const clientProtocols = headerValues(req, HEADER_PROTOCOL_VERSION);
  if (clientProtocols.length === 0) refuse(400, `unable to upgrade: ${HEADER_PROTOCOL_VERSION} is required`);
  const protocol = negotiateStreamProtocol(clientProtocols, opts.protocols);
  if (protocol === null) {
    refuse(
      403,
      `unable to upgrade: unable to negotiate protocol: client supports [${clientProtocols.join(' ')}], server accepts [${opts.protocols.join(' ')}]`,
      opts.protocols.map((p): [string, string] => [HEADER_ACCEPTED_PROTOCOL_VERSIONS, p]),
    );
  }
  if (!isSpdyUpgradeRequest(req)) refuse(400, 'unable to upgrade: missing upgrade headers in request');
  writeSwitchingProtocols(socket, [
    ['Connection', 'Upgrade'],
    ['Upgrade', SPDY_31],
    [HEADER_PROTOCOL_VERSION, protocol!],
  ]);
  return { session: new SpdySession(socket, { ...opts, role: 'server', head }), protocol: protocol! };
}

export interface ConnectSpdyOptions extends UpgradeRequestOptions, Omit<SpdySessionOptions, 'role' | 'head'> {
  /** X-Stream-Protocol-Version values offered, most preferred first. */
  protocols: string[];
}

/**
 * Client side: sends the upgrade request (POST by default, as client-go
 * does), checks the 101 answer and resolves with the session and the
 * protocol the server chose ('' if it named none).
 */
export async function connectSpdy(
  url: string | URL,
  opts: ConnectSpdyOptions,
): Promise<{ session: SpdySession; protocol: string }> {
  const headers = {
    ...opts.headers,
    Connection: 'Upgrade',
    Upgrade: SPDY_31,
    [HEADER_PROTOCOL_VERSION]: opts.protocols,
  };
  const { response, socket, head } = await requestUpgrade(url, { ...opts, method: opts.method ?? 'POST', headers });
  if (!headerHasToken(response.headers.connection, 'upgrade') || !(response.headers.upgrade ?? '').toLowerCase().includes('spdy/3.1')) {
    socket.destroy();
    throw new UpgradeFailedError(response.statusCode ?? 0, '', 'unable to upgrade connection: missing upgrade headers in response');
  }
  const chosen = response.headers[HEADER_PROTOCOL_VERSION.toLowerCase()];
  const protocol = (Array.isArray(chosen) ? chosen[0] : chosen ?? '').trim();
  return { session: new SpdySession(socket, { ...opts, role: 'client', head }), protocol };
}
