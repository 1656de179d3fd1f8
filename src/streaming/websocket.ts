// RFC 6455 WebSocket over an upgraded HTTP/1.1 connection (or any Duplex):
// the server and client handshakes, framing with client masking, text and
// binary messages, fragmentation, ping/pong, the close handshake with status
// codes, and backpressure in both directions.
//
// Messages are delivered whole ('message' events). Receiving can be paused
// (pause()/resume() stop reading the socket); send() returns false when the
// socket's write buffer is full and 'drain' follows, like socket.write().
// Transport problems never throw or emit 'error': they end in 'close' with
// code 1006 (no close frame) or the protocol error's code, and the cause as
// the third argument, because a connection a peer drops is routine here.

import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isUtf8 } from 'node:buffer';
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

export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Close status codes (RFC 6455 section 7.4.1). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  NoStatus: 1005,
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  InternalError: 1011,
} as const;

export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

const DEFAULT_MAX_PAYLOAD = 64 * 1024 * 1024;
const DEFAULT_CLOSE_TIMEOUT_MS = 5000;

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

/** XORs data in place with the 4-byte masking key (masking and unmasking are the same). */
export function applyMask(data: Buffer, mask: Buffer): void {
  for (let i = 0; i < data.length; i++) data[i] ^= mask[i & 3];
}

/** One encoded frame. Clients pass mask=true (RFC 6455: client frames are masked). */
export function encodeFrame(opcode: number, payload: Buffer, opts: { fin?: boolean; mask?: boolean } = {}): Buffer {
  const fin = opts.fin ?? true;
  const len = payload.length;
  const extLen = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const maskLen = opts.mask ? 4 : 0;
  const frame = Buffer.allocUnsafe(2 + extLen + maskLen + len);
  frame[0] = (fin ? 0x80 : 0) | opcode;
  frame[1] = (opts.mask ? 0x80 : 0) | (extLen === 0 ? len : extLen === 2 ? 126 : 127);
  if (extLen === 2) frame.writeUInt16BE(len, 2);
  else if (extLen === 8) frame.writeBigUInt64BE(BigInt(len), 2);
  const start = 2 + extLen + maskLen;
  payload.copy(frame, start);
  if (opts.mask) {
    const key = randomBytes(4);
    key.copy(frame, 2 + extLen);
    applyMask(frame.subarray(start), key);
  }
  return frame;
}

/** A decoded frame header plus its (unmasked) payload. */
export interface Frame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/**
 * Reads one frame from the queue, or returns null if it is not complete yet.
 * `limit` bounds the payload length; a longer frame throws FrameTooLarge
 * before its payload is buffered.
 */
export function decodeFrame(q: ByteQueue, limit = DEFAULT_MAX_PAYLOAD): Frame | null {
  if (q.length < 2) return null;
  const h = q.peek(2);
  let len = h[1] & 0x7f;
  let headerLen = 2;
  if (len === 126) {
    if (q.length < 4) return null;
    len = q.peek(4).readUInt16BE(2);
    headerLen = 4;
  } else if (len === 127) {
    if (q.length < 10) return null;
    const big = q.peek(10).readBigUInt64BE(2);
    if (big > BigInt(limit)) throw new FrameTooLarge();
    len = Number(big);
    headerLen = 10;
  }
  if (len > limit) throw new FrameTooLarge();
  const masked = (h[1] & 0x80) !== 0;
  if (masked) headerLen += 4;
  if (q.length < headerLen + len) return null;
  const header = q.read(headerLen);
  const payload = Buffer.from(q.read(len)); // own copy: unmasking writes in place
  if (masked) applyMask(payload, header.subarray(headerLen - 4));
  return { fin: (h[0] & 0x80) !== 0, rsv: (h[0] >> 4) & 0x7, opcode: h[0] & 0x0f, masked, payload };
}

class FrameTooLarge extends Error {}

/** Status codes a peer may put in a close frame (RFC 6455 section 7.4). */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
  );
}

export interface WebSocketOptions {
  role: 'client' | 'server';
  /** The negotiated subprotocol ('' for none). */
  protocol?: string;
  /** Bytes read past the HTTP handshake, to be parsed before the socket's. */
  head?: Buffer;
  /** Largest message accepted; bigger ones close the connection with 1009. */
  maxPayload?: number;
  /** Splits outgoing messages into fragments of at most this many bytes. */
  maxFrameSize?: number;
  /** How long to wait for the peer's part of the close handshake. */
  closeTimeoutMs?: number;
}

export type ReadyState = 'open' | 'closing' | 'closed';

export interface WebSocket {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'ping' | 'pong', listener: (data: Buffer) => void): this;
  on(event: 'close', listener: (code: number, reason: string, cause?: Error) => void): this;
  on(event: 'drain', listener: () => void): this;
  once(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  once(event: 'ping' | 'pong', listener: (data: Buffer) => void): this;
  once(event: 'close', listener: (code: number, reason: string, cause?: Error) => void): this;
  once(event: 'drain', listener: () => void): this;
}

export class WebSocket extends EventEmitter {
  readonly role: 'client' | 'server';
  readonly protocol: string;
  readyState: ReadyState = 'open';
  /** The code and reason of the peer's close frame, once received. */
  remoteClose: { code: number; reason: string } | null = null;

  private readonly socket: Duplex;
  private readonly queue = new ByteQueue();
  private readonly maxPayload: number;
  private readonly maxFrameSize: number;
  private readonly closeTimeoutMs: number;
  private fragments: Buffer[] = [];
  private fragmentsLength = 0;
  private fragmentOpcode: number | null = null;
  private closeSent = false;
  private closeTimer: NodeJS.Timeout | null = null;
  private paused = false;
  private failure: { code: number; reason: string; cause?: Error } | null = null;
  private closedEmitted = false;

  constructor(socket: Duplex, opts: WebSocketOptions) {
    super();
    this.socket = socket;
    this.role = opts.role;
    this.protocol = opts.protocol ?? '';
    this.maxPayload = opts.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.maxFrameSize = opts.maxFrameSize ?? Infinity;
    this.closeTimeoutMs = opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    const s = socket as Duplex & { setNoDelay?: (v: boolean) => void; setTimeout?: (ms: number) => void };
    s.setNoDelay?.(true);
    s.setTimeout?.(0);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onSocketEnd());
    socket.on('error', (err: Error) => this.onSocketGone(err));
    socket.on('close', () => this.onSocketGone());
    socket.on('drain', () => this.emit('drain'));
    if (opts.head?.length) this.queue.push(opts.head);
    // Parse the head (and anything a client sends in the same packet) once
    // the caller had a chance to attach listeners.
    process.nextTick(() => this.parse());
  }

  /** Bytes waiting in the socket's write buffer. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /**
   * Sends a message: a string as a text message, a Buffer as binary. Returns
   * false if the socket's buffer is full (wait for 'drain') or the
   * connection is closing; the callback runs when the data is flushed or
   * with an error if it could not be sent.
   */
  send(data: Buffer | string, cb?: (err?: Error | null) => void): boolean {
    const isText = typeof data === 'string';
    if (this.readyState !== 'open' || this.closeSent || !this.socket.writable) {
      if (cb) process.nextTick(cb, new Error('WebSocket is not open'));
      return false;
    }
    const payload = isText ? Buffer.from(data, 'utf8') : data;
    const mask = this.role === 'client';
    if (payload.length <= this.maxFrameSize) {
      return this.socket.write(encodeFrame(isText ? Opcode.Text : Opcode.Binary, payload, { mask }), cb);
    }
    let ok = true;
    for (let off = 0; off < payload.length; off += this.maxFrameSize) {
      const end = Math.min(off + this.maxFrameSize, payload.length);
      const opcode = off === 0 ? (isText ? Opcode.Text : Opcode.Binary) : Opcode.Continuation;
      const last = end === payload.length;
      ok = this.socket.write(encodeFrame(opcode, payload.subarray(off, end), { fin: last, mask }), last ? cb : undefined);
    }
    return ok;
  }

  ping(data: Buffer = Buffer.alloc(0)): void {
    this.sendControl(Opcode.Ping, data);
  }

  pong(data: Buffer = Buffer.alloc(0)): void {
    this.sendControl(Opcode.Pong, data);
  }

  /**
   * Starts (or completes) the close handshake. The socket is closed once
   * the peer answered, or after the close timeout.
   */
  close(code: number = CloseCode.Normal, reason = ''): void {
    if (this.readyState === 'closed') return;
    this.sendClose(code, reason);
    this.readyState = 'closing';
    this.maybeFinishClose();
  }

  /** Closes the socket at once, without a close handshake. */
  terminate(): void {
    this.socket.destroy();
  }

  /** Stops reading: no 'message' events until resume(). */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.parse();
    if (!this.paused) this.socket.resume();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  private sendControl(opcode: number, data: Buffer): void {
    if (this.closeSent || !this.socket.writable) return;
    if (data.length > 125) throw new RangeError('control frame payload must be at most 125 bytes');
    this.socket.write(encodeFrame(opcode, data, { mask: this.role === 'client' }));
  }

  private sendClose(code: number | null, reason: string): void {
    if (this.closeSent) return;
    this.closeSent = true;
    if (!this.socket.writable) return;
    let payload = Buffer.alloc(0);
    if (code !== null && code !== CloseCode.NoStatus) {
      const r = Buffer.from(reason, 'utf8').subarray(0, 123);
      payload = Buffer.allocUnsafe(2 + r.length);
      payload.writeUInt16BE(code, 0);
      r.copy(payload, 2);
    }
    this.socket.write(encodeFrame(Opcode.Close, payload, { mask: this.role === 'client' }));
  }

  /** After both close frames: the server closes TCP first (RFC 6455 7.1.1). */
  private maybeFinishClose(): void {
    if (!this.closeTimer) {
      this.closeTimer = setTimeout(() => this.socket.destroy(), this.closeTimeoutMs);
      this.closeTimer.unref?.();
    }
    if (this.closeSent && this.remoteClose && this.role === 'server') this.endSocket();
  }

  private endSocket(): void {
    if (this.socket.writableEnded || this.socket.destroyed) return;
    this.socket.end(() => {
      // Keep reading until the peer closes too, or the close timer fires,
      // so unread bytes do not turn our FIN into a reset.
      if (this.socket.readableEnded) this.socket.destroy();
    });
  }

  private fail(code: number, reason: string, cause?: Error): void {
    if (this.failure || this.readyState === 'closed') return;
    this.failure = { code, reason, cause };
    this.sendClose(code, reason);
    this.readyState = 'closing';
    this.queue.skip(this.queue.length);
    this.endSocket();
    this.maybeFinishClose();
  }

  private onData(chunk: Buffer): void {
    if (this.remoteClose || this.failure) return; // nothing may follow a close frame
    this.queue.push(chunk);
    this.parse();
  }

  private parse(): void {
    while (!this.paused && !this.remoteClose && !this.failure) {
      let frame: Frame | null;
      try {
        frame = decodeFrame(this.queue, this.maxPayload);
      } catch (err) {
        if (err instanceof FrameTooLarge) return this.fail(CloseCode.MessageTooBig, 'message too big');
        throw err;
      }
      if (!frame) return;
      this.handleFrame(frame);
    }
  }

  private handleFrame(f: Frame): void {
    if (f.rsv !== 0) return this.fail(CloseCode.ProtocolError, 'reserved bits set');
    if (this.role === 'server' && !f.masked) return this.fail(CloseCode.ProtocolError, 'client frame not masked');
    if (this.role === 'client' && f.masked) return this.fail(CloseCode.ProtocolError, 'server frame masked');
    if (f.opcode >= 0x8) {
      if (!f.fin) return this.fail(CloseCode.ProtocolError, 'fragmented control frame');
      if (f.payload.length > 125) return this.fail(CloseCode.ProtocolError, 'control frame too long');
    }
    switch (f.opcode) {
      case Opcode.Text:
      case Opcode.Binary:
        if (this.fragmentOpcode !== null) return this.fail(CloseCode.ProtocolError, 'expected a continuation frame');
        if (f.fin) return this.deliver(f.opcode, f.payload);
        this.fragmentOpcode = f.opcode;
        this.fragments = [f.payload];
        this.fragmentsLength = f.payload.length;
        return;
      case Opcode.Continuation: {
        if (this.fragmentOpcode === null) return this.fail(CloseCode.ProtocolError, 'unexpected continuation frame');
        this.fragmentsLength += f.payload.length;
        if (this.fragmentsLength > this.maxPayload) return this.fail(CloseCode.MessageTooBig, 'message too big');
        this.fragments.push(f.payload);
        if (!f.fin) return;
        const data = Buffer.concat(this.fragments, this.fragmentsLength);
        const opcode = this.fragmentOpcode;
        this.fragmentOpcode = null;
        this.fragments = [];
        this.fragmentsLength = 0;
        return this.deliver(opcode, data);
      }
      case Opcode.Close:
        return this.onCloseFrame(f.payload);
      case Opcode.Ping:
        this.sendControl(Opcode.Pong, f.payload);
        this.emit('ping', f.payload);
        return;
      case Opcode.Pong:
        this.emit('pong', f.payload);
        return;
      default:
        return this.fail(CloseCode.ProtocolError, `unknown opcode ${f.opcode}`);
    }
  }

  private deliver(opcode: number, data: Buffer): void {
    if (opcode === Opcode.Text && !isUtf8(data)) return this.fail(CloseCode.InvalidPayload, 'invalid UTF-8 in text message');
    this.emit('message', data, opcode === Opcode.Binary);
  }

  private onCloseFrame(payload: Buffer): void {
    let code: number = CloseCode.NoStatus;
    let reason = '';
    if (payload.length === 1) return this.fail(CloseCode.ProtocolError, 'invalid close frame');
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      if (!isValidCloseCode(code)) return this.fail(CloseCode.ProtocolError, `invalid close code ${code}`);
      const r = payload.subarray(2);
      if (!isUtf8(r)) return this.fail(CloseCode.InvalidPayload, 'invalid UTF-8 in close reason');
      reason = r.toString('utf8');
    }
    this.remoteClose = { code, reason };
    // Echo the status code, as RFC 6455 5.5.1 suggests.
    this.sendClose(code === CloseCode.NoStatus ? null : code, '');
    this.readyState = 'closing';
    this.maybeFinishClose();
  }

  private onSocketEnd(): void {
    // The peer closed its side; no close frame may follow. Finish ours.
    if (!this.socket.writableEnded && !this.socket.destroyed) this.socket.end(() => this.socket.destroy());
    else this.socket.destroy();
  }

  private onSocketGone(err?: Error): void {
    if (err && !this.failure && !this.remoteClose) {
      this.failure = { code: CloseCode.Abnormal, reason: '', cause: err };
    }
    if (!this.socket.destroyed) this.socket.destroy();
    if (this.closedEmitted) return;
    this.closedEmitted = true;
    this.readyState = 'closed';
    if (this.closeTimer) clearTimeout(this.closeTimer);
    const r = this.remoteClose ?? this.failure ?? { code: CloseCode.Abnormal, reason: '' };
    this.emit('close', r.code, r.reason, this.failure?.cause);
  }
}

/** Whether the request is a WebSocket upgrade (Upgrade: websocket and Connection: upgrade). */
export function isWebSocketRequest(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket' && headerHasToken(req.headers.connection, 'upgrade');
}

/**
 * Picks the subprotocol: the first one the client offered that the server
 * speaks (client order, as golang.org/x/net/websocket and gorilla do). A
 * client that offered none gets '' if the server lists ''. Returns null when
 * nothing matches.
 */
export function selectSubprotocol(offered: readonly string[], supported: readonly string[]): string | null {
  const wanted = offered.length ? offered : [''];
  return wanted.find((p) => supported.includes(p)) ?? null;
}

export interface AcceptWebSocketOptions extends Omit<WebSocketOptions, 'role' | 'protocol' | 'head'> {
  /** Subprotocols the server speaks; include '' to accept clients that offer none. */
  protocols: readonly string[];
}

/**
 * Server side of the opening handshake on a socket from the HTTP server's
 * 'upgrade' event. On success writes 101 and returns the WebSocket; on
 * failure writes the HTTP error, closes the socket and throws HandshakeError.
 */
export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  opts: AcceptWebSocketOptions,
): WebSocket {
  const refuse = (status: number, message: string, headers: Array<[string, string]> = []): never => {
    writeHttpError(socket, status, message, headers);
    throw new HandshakeError(status, message);
  };
  if (req.method !== 'GET') refuse(405, 'websocket: the method must be GET');
  if (!isWebSocketRequest(req)) refuse(400, 'websocket: missing Upgrade: websocket and Connection: upgrade');
  if (req.headers['sec-websocket-version'] !== '13') {
    refuse(400, 'websocket: unsupported version', [['Sec-WebSocket-Version', '13']]);
  }
  const key = (req.headers['sec-websocket-key'] ?? '').trim();
  if (Buffer.from(key, 'base64').length !== 16) refuse(400, 'websocket: invalid Sec-WebSocket-Key');
  const offered = headerValues(req, 'sec-websocket-protocol');
  const protocol = selectSubprotocol(offered, opts.protocols);
  if (protocol === null) {
    refuse(
      403,
      `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${opts.protocols.join(' ')}]`,
    );
  }
  const headers: Array<[string, string]> = [
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Accept', acceptKey(key)],
  ];
  if (protocol) headers.push(['Sec-WebSocket-Protocol', protocol]);
  writeSwitchingProtocols(socket, headers);
  return new WebSocket(socket, { ...opts, role: 'server', protocol: protocol ?? '', head });
}

export interface ConnectWebSocketOptions extends UpgradeRequestOptions, Omit<WebSocketOptions, 'role' | 'protocol' | 'head'> {
  /** Subprotocols to offer, most preferred first. */
  protocols?: string[];
}

/**
 * Client side: opens ws:, wss:, http: or https: URLs, verifies the
 * server's answer (accept key, a subprotocol we offered) and resolves with
 * the connected WebSocket.
 */
export async function connectWebSocket(url: string | URL, opts: ConnectWebSocketOptions = {}): Promise<WebSocket> {
  const key = randomBytes(16).toString('base64');
  const protocols = opts.protocols ?? [];
  const headers: Record<string, string | string[] | number> = {
    ...(opts.headers as Record<string, string | string[] | number>),
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': key,
  };
  if (protocols.length) headers['Sec-WebSocket-Protocol'] = protocols.join(', ');
  const { response, socket, head } = await requestUpgrade(url, { ...opts, method: opts.method ?? 'GET', headers });
  const fail = (message: string): never => {
    socket.destroy();
    throw new UpgradeFailedError(response.statusCode ?? 0, '', message);
  };
  if ((response.headers.upgrade ?? '').toLowerCase() !== 'websocket') fail('websocket: bad handshake (Upgrade)');
  if (!headerHasToken(response.headers.connection, 'upgrade')) fail('websocket: bad handshake (Connection)');
  if (response.headers['sec-websocket-accept'] !== acceptKey(key)) fail('websocket: bad handshake (Sec-WebSocket-Accept)');
  const protocol = (response.headers['sec-websocket-protocol'] ?? '').trim();
  if (protocols.length && !protocols.includes(protocol)) {
    fail(`invalid protocol, expected one of ${JSON.stringify(protocols)}, got "${protocol}"`);
  }
  return new WebSocket(socket, { ...opts, role: 'client', protocol, head });
}

/**
 * A byte stream over a WebSocket's binary messages: each write is one
 * message; received messages are concatenated (their boundaries carry no
 * meaning). end() sends a normal close. This is how kubectl tunnels SPDY
 * through a WebSocket for port forwarding.
 */
export function webSocketStream(ws: WebSocket): Duplex {
  const stream = new Duplex({
    read() {
      ws.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (ws.send(chunk)) return cb();
      if (ws.readyState !== 'open') return cb(new Error('WebSocket is closed'));
      const done = () => {
        ws.off('drain', done);
        ws.off('close', done);
        cb();
      };
      ws.on('drain', done);
      ws.on('close', done);
    },
    final(cb) {
      ws.close(CloseCode.Normal);
      cb();
    },
    destroy(err, cb) {
      if (ws.readyState === 'open') ws.close(err ? CloseCode.InternalError : CloseCode.Normal);
      cb(err);
    },
  });
  ws.on('message', (data) => {
    if (!stream.push(data)) ws.pause();
  });
  ws.on('close', (code, _reason, cause) => {
    stream.push(null);
    if (code !== CloseCode.Normal && code !== CloseCode.NoStatus && cause) stream.destroy(cause);
  });
  return stream;
}
