// The Kubernetes exec/attach stream protocols ("remotecommand").
//
// Server side, acceptRemoteCommand() takes an upgrade request as kubectl (or
// the API server proxying it) sends it and returns one handle whatever the
// transport:
//   - WebSocket, subprotocols v5.channel.k8s.io (kubectl 1.29+ default, with
//     the CLOSE signal for stdin EOF), v4.channel.k8s.io,
//     v4.base64.channel.k8s.io, channel.k8s.io, base64.channel.k8s.io or
//     none (the kubelet's list);
//   - SPDY/3.1, X-Stream-Protocol-Version v5/v4/v3/v2.channel.k8s.io, one
//     SPDY stream per channel named by its `streamType` header.
// finish() writes the outcome on the error channel as upstream does (v4+: a
// metav1.Status; before v4: the message text, and only on failure) and
// closes the connection.
//
// Client side, connectRemoteCommand() talks to a streaming server the way
// client-go does (SPDY by default, as the kubelet talks to containerd's
// streaming server; WebSocket on request) and returns the mirror image of
// the handle plus the exit result read from the error stream.

import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { Channel, ChannelMux, JsonValueSplitter } from './channels.js';
import { HandshakeError, type UpgradeRequestOptions } from './http-upgrade.js';
import { acceptSpdy, connectSpdy, type SpdySession, type SpdyStream } from './spdy.js';
import { acceptWebSocket, CloseCode, connectWebSocket, isWebSocketRequest, type WebSocket } from './websocket.js';

export const StreamProtocolV1 = 'channel.k8s.io';
export const StreamProtocolV2 = 'v2.channel.k8s.io';
export const StreamProtocolV3 = 'v3.channel.k8s.io';
export const StreamProtocolV4 = 'v4.channel.k8s.io';
export const StreamProtocolV5 = 'v5.channel.k8s.io';

/** Values of the SPDY `streamType` header. */
export const StreamType = {
  Stdin: 'stdin',
  Stdout: 'stdout',
  Stderr: 'stderr',
  Error: 'error',
  Resize: 'resize',
} as const;

/** WebSocket subprotocols the server accepts, with their wire traits. */
const WEBSOCKET_PROTOCOLS: Record<string, { base64: boolean; version: number }> = {
  [StreamProtocolV5]: { base64: false, version: 5 },
  [StreamProtocolV4]: { base64: false, version: 4 },
  'v4.base64.channel.k8s.io': { base64: true, version: 4 },
  [StreamProtocolV1]: { base64: false, version: 1 },
  'base64.channel.k8s.io': { base64: true, version: 1 },
  '': { base64: false, version: 1 },
};

/** SPDY protocol versions the server accepts (v5 behaves as v4 over SPDY). */
export const SPDY_SERVER_PROTOCOLS = [StreamProtocolV5, StreamProtocolV4, StreamProtocolV3, StreamProtocolV2];
/** What the client offers over SPDY, as client-go does minus v1. */
export const SPDY_CLIENT_PROTOCOLS = [StreamProtocolV5, StreamProtocolV4, StreamProtocolV3, StreamProtocolV2];
export const WEBSOCKET_CLIENT_PROTOCOLS = [StreamProtocolV5, StreamProtocolV4];

const DEFAULT_STREAM_CREATION_TIMEOUT_MS = 30_000;
const FINISH_CLOSE_TIMEOUT_MS = 5_000;

/** Go's remotecommand.TerminalSize, as JSON on the resize channel. */
export interface TerminalSize {
  Width: number;
  Height: number;
}

/** metav1.Status, with upstream's JSON field order. */
export interface Status {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes?: Array<{ reason?: string; message?: string; field?: string }> };
  code?: number;
}

export const NonZeroExitCodeReason = 'NonZeroExitCode';
export const ExitCodeCauseType = 'ExitCode';

/** How a command ended, as finish() reports it. */
export type RemoteCommandResult =
  | { exitCode: number; message?: string }
  | { error: string }
  | { status: Status };

/** How a command ended, as the client reads it off the error stream. */
export type RemoteCommandExit = { exitCode: number } | { error: string; status?: Status };

export function successStatus(): Status {
  return { metadata: {}, status: 'Success' };
}

/**
 * The status for a non-zero exit. The message defaults to what the API
 * server's stream translator sends kubectl; a kubelet proxying containerd
 * would pass containerd's own text.
 */
export function exitCodeStatus(exitCode: number, message?: string): Status {
  return {
    metadata: {},
    status: 'Failure',
    message: message ?? `command terminated with non-zero exit code: command terminated with exit code ${exitCode}`,
    reason: NonZeroExitCodeReason,
    details: { causes: [{ reason: ExitCodeCauseType, message: String(exitCode) }] },
  };
}

/** apierrors.NewInternalError(err). */
export function internalErrorStatus(message: string): Status {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  };
}

export function resultStatus(result: RemoteCommandResult): Status {
  if ('status' in result) return result.status;
  if ('error' in result) return internalErrorStatus(result.error);
  return result.exitCode === 0 ? successStatus() : exitCodeStatus(result.exitCode, result.message);
}

/**
 * Reads the error stream's content like client-go: nothing is success; v4+
 * carries a Status (NonZeroExitCode with an ExitCode cause gives the code);
 * earlier versions carry an error message.
 */
export function decodeErrorStream(message: Buffer, version: number): RemoteCommandExit {
  if (message.length === 0) return { exitCode: 0 };
  const text = message.toString('utf8');
  if (version < 4) return { error: `error executing remote command: ${text}` };
  let status: Status;
  try {
    status = JSON.parse(text) as Status;
  } catch (err) {
    return { error: `error stream protocol error: ${(err as Error).message} in ${JSON.stringify(text)}` };
  }
  if (status.status === 'Success') return { exitCode: 0 };
  if (status.status !== 'Failure') return { error: 'error stream protocol error: unknown error', status };
  if (status.reason === NonZeroExitCodeReason) {
    const cause = status.details?.causes?.find((c) => c.reason === ExitCodeCauseType);
    if (!status.details) return { error: 'error stream protocol error: details must be set', status };
    if (!cause) return { error: `error stream protocol error: no ${ExitCodeCauseType} cause given`, status };
    const code = Number(cause.message);
    if (!/^\d+$/.test(cause.message ?? '') || code > 255) {
      return { error: `error stream protocol error: invalid exit code value ${JSON.stringify(cause.message)}`, status };
    }
    return { exitCode: code };
  }
  return { error: status.message ?? '', status };
}

function protocolVersion(protocol: string): number {
  const m = /^v(\d+)\./.exec(protocol);
  return m ? Number(m[1]) : 1;
}

// ---- server -----------------------------------------------------------------

export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface AcceptRemoteCommandOptions extends RemoteCommandOptions {
  /** How long SPDY clients get to open their streams (default 30 s, as the kubelet). */
  streamCreationTimeoutMs?: number;
}

export interface RemoteCommandSession {
  readonly transport: 'websocket' | 'spdy';
  /** The negotiated subprotocol ('' for a WebSocket client that named none). */
  readonly protocol: string;
  readonly tty: boolean;
  /** The client's input; ends when the client closes stdin (or disconnects). */
  readonly stdin: Readable | null;
  readonly stdout: Writable | null;
  readonly stderr: Writable | null;
  /** Emits 'resize' with a TerminalSize for each terminal size the client sends. */
  readonly resize: EventEmitter;
  /** Settles when the client connection is gone. */
  readonly closed: Promise<void>;
  /** Reports the outcome on the error channel and closes the connection. */
  finish(result: RemoteCommandResult): Promise<void>;
  /** Drops the connection without a status. */
  abort(): void;
}

/**
 * Accepts an exec/attach upgrade request (WebSocket or SPDY) on a socket
 * from the HTTP server's 'upgrade' event. Rejects with HandshakeError
 * after answering the client when the upgrade cannot be done, or with an
 * Error when a SPDY client does not open its streams in time.
 */
export async function acceptRemoteCommand(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: AcceptRemoteCommandOptions,
): Promise<RemoteCommandSession> {
  // As the kubelet's NewOptions: a TTY merges stderr into stdout.
  const opts = { ...options, stderr: options.stderr && !options.tty };
  if (isWebSocketRequest(req)) return acceptWebSocketRemoteCommand(req, socket, head, opts);
  return acceptSpdyRemoteCommand(req, socket, head, opts);
}

function watchResize(source: Readable | null, resize: EventEmitter): void {
  if (!source) return;
  const decoder = new StringDecoder('utf8');
  const splitter = new JsonValueSplitter();
  source.on('data', (chunk: Buffer) => {
    let values: unknown[];
    try {
      values = splitter.push(decoder.write(chunk));
    } catch {
      source.removeAllListeners('data');
      source.resume();
      return; // like upstream: a decode error ends resize handling
    }
    for (const v of values) {
      const size = toTerminalSize(v);
      if (size) resize.emit('resize', size);
    }
  });
  source.on('error', () => {});
}

/** Go's json decoding into TerminalSize matches field names case-insensitively. */
function toTerminalSize(v: unknown): TerminalSize | null {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  let width = 0;
  let height = 0;
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val !== 'number') continue;
    if (k.toLowerCase() === 'width') width = val;
    else if (k.toLowerCase() === 'height') height = val;
  }
  return { Width: width, Height: height };
}

/**
 * client-go's WebSocket executor starts reading before it has registered its
 * streams and drops (and logs) messages for streams it does not know yet.
 * Upstream's API server gives it time by connecting to the kubelet first;
 * this server waits this long before sending anything.
 */
const CLIENT_STREAM_SETUP_MS = 50;

async function acceptWebSocketRemoteCommand(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  opts: RemoteCommandOptions,
): Promise<RemoteCommandSession> {
  const ws = acceptWebSocket(req, socket, head, { protocols: Object.keys(WEBSOCKET_PROTOCOLS) });
  const traits = WEBSOCKET_PROTOCOLS[ws.protocol];
  const read = [Channel.Resize, ...(opts.stdin ? [Channel.Stdin] : [])];
  const write = [Channel.Error, ...(opts.stdout ? [Channel.Stdout] : []), ...(opts.stderr ? [Channel.Stderr] : [])];
  const mux = new ChannelMux(ws, { base64: traits.base64, closeSignal: traits.version >= 5, read, write });
  // Writing after finish() is a no-op, not a crash.
  for (const ch of write) mux.writer(ch)!.on('error', () => {});
  await new Promise((r) => setTimeout(r, CLIENT_STREAM_SETUP_MS));
  // An empty message on the lowest writable channel tells the client the
  // connection is established (kubelet and API server both do this).
  mux.send(opts.stdout ? Channel.Stdout : opts.stderr ? Channel.Stderr : Channel.Error, Buffer.alloc(0));
  const resize = new EventEmitter();
  watchResize(mux.reader(Channel.Resize), resize);
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  let finishing: Promise<void> | null = null;
  return {
    transport: 'websocket',
    protocol: ws.protocol,
    tty: opts.tty,
    stdin: mux.reader(Channel.Stdin),
    stdout: mux.writer(Channel.Stdout),
    stderr: mux.writer(Channel.Stderr),
    resize,
    closed,
    finish(result) {
      finishing ??= (async () => {
        // Output written so far goes out before the status.
        await Promise.all([endWriter(mux.writer(Channel.Stdout)), endWriter(mux.writer(Channel.Stderr))]);
        const status = resultStatus(result);
        const payload = statusPayload(status, traits.version);
        if (payload) await new Promise<void>((resolve) => mux.send(Channel.Error, payload, () => resolve()));
        ws.close(CloseCode.Normal);
        await closed;
      })();
      return finishing;
    },
    abort() {
      ws.terminate();
    },
  };
}

/** v4+: the Status as JSON; older: the failure message, nothing on success. */
function statusPayload(status: Status, version: number): Buffer | null {
  if (version >= 4) return Buffer.from(JSON.stringify(status));
  if (status.status === 'Success') return null;
  return Buffer.from(status.message ?? '');
}

/** Ends w and waits until everything written to it went out (or it is gone). */
function endWriter(w: Writable | null): Promise<void> {
  if (!w || w.writableFinished || w.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    w.once('finish', () => resolve());
    w.once('close', () => resolve());
    if (!w.writableEnded) w.end();
  });
}

async function acceptSpdyRemoteCommand(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  opts: AcceptRemoteCommandOptions,
): Promise<RemoteCommandSession> {
  const { session, protocol } = acceptSpdy(req, socket, head, { protocols: SPDY_SERVER_PROTOCOLS });
  const version = protocolVersion(protocol);
  const expected = new Set<string>([StreamType.Error]);
  if (opts.stdin) expected.add(StreamType.Stdin);
  if (opts.stdout) expected.add(StreamType.Stdout);
  if (opts.stderr) expected.add(StreamType.Stderr);
  if (opts.tty && version >= 3) expected.add(StreamType.Resize);

  const streams = new Map<string, SpdyStream>();
  const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      session.destroy(new Error('timed out waiting for client to create streams'));
      reject(new Error('timed out waiting for client to create streams'));
    }, opts.streamCreationTimeoutMs ?? DEFAULT_STREAM_CREATION_TIMEOUT_MS);
    const onStream = (stream: SpdyStream) => {
      stream.on('error', () => {});
      const type = stream.header('streamType') ?? '';
      // Unexpected or repeated streams are still answered (as upstream), but not used.
      if (!expected.has(type) || streams.has(type)) return;
      streams.set(type, stream);
      if (streams.size === expected.size) {
        cleanup();
        resolve();
      }
    };
    const onClose = () => {
      cleanup();
      reject(new Error('the client closed the connection before creating its streams'));
    };
    const cleanup = () => {
      clearTimeout(timer);
      session.off('stream', onStream);
      session.off('close', onClose);
    };
    session.on('stream', onStream);
    session.on('close', onClose);
  });
  // Streams the client opens later are refused.
  session.on('stream', (s: SpdyStream) => {
    s.on('error', () => {});
    s.reset();
  });

  const resize = new EventEmitter();
  watchResize(streams.get(StreamType.Resize) ?? null, resize);
  // Nothing is read from the output streams; let their (empty) readable
  // sides flow so a FIN from the client is seen.
  for (const type of [StreamType.Stdout, StreamType.Stderr, StreamType.Error]) streams.get(type)?.resume();
  let finishing: Promise<void> | null = null;
  return {
    transport: 'spdy',
    protocol,
    tty: opts.tty,
    stdin: streams.get(StreamType.Stdin) ?? null,
    stdout: streams.get(StreamType.Stdout) ?? null,
    stderr: streams.get(StreamType.Stderr) ?? null,
    resize,
    closed,
    finish(result) {
      finishing ??= finishSpdy(session, streams, resultStatus(result), version, closed);
      return finishing;
    },
    abort() {
      session.destroy();
    },
  };
}

async function finishSpdy(
  session: SpdySession,
  streams: Map<string, SpdyStream>,
  status: Status,
  version: number,
  closed: Promise<void>,
): Promise<void> {
  const payload = statusPayload(status, version);
  const errorStream = streams.get(StreamType.Error)!;
  const ended = (s: SpdyStream | undefined) => endWriter(s ?? null);
  // Output first, then the status, each ended with FIN so the client reads
  // to end of stream; input streams are reset as the kubelet's conn.Close()
  // does; GOAWAY last.
  await Promise.all([ended(streams.get(StreamType.Stdout)), ended(streams.get(StreamType.Stderr))]);
  if (payload && !errorStream.destroyed && errorStream.writable) errorStream.write(payload);
  await ended(errorStream);
  for (const type of [StreamType.Stdin, StreamType.Resize]) {
    const s = streams.get(type);
    if (s && !s.destroyed) s.reset();
  }
  session.close();
  const timer = setTimeout(() => session.destroy(), FINISH_CLOSE_TIMEOUT_MS);
  timer.unref?.();
  await closed;
  clearTimeout(timer);
}

// ---- client -----------------------------------------------------------------

export interface RemoteCommandClientOptions extends RemoteCommandOptions, UpgradeRequestOptions {
  /** 'spdy' (default; what containerd's streaming server speaks) or 'websocket'. */
  transport?: 'spdy' | 'websocket';
  /** Protocols to offer, most preferred first. */
  protocols?: string[];
}

export interface RemoteCommandClient {
  readonly transport: 'websocket' | 'spdy';
  readonly protocol: string;
  /**
   * The command's input; end() closes it (SPDY FIN, or v5's CLOSE signal;
   * a WebSocket before v5 has no way to close stdin alone).
   */
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Sends a terminal size (only with tty, and v3+ over SPDY). */
  resize(size: TerminalSize): void;
  /**
   * The outcome, once the error stream ended. Read stdout and stderr
   * meanwhile: a reader that falls behind holds up the whole connection.
   */
  readonly result: Promise<RemoteCommandExit>;
  /** Drops the connection. */
  close(): void;
}

/**
 * Runs the client side of exec/attach against a streaming server URL (for
 * instance the one CRI Exec returns). Streams are opened in client-go's
 * order: error, stdin, stdout, stderr, resize.
 */
export async function connectRemoteCommand(
  url: string | URL,
  options: RemoteCommandClientOptions,
): Promise<RemoteCommandClient> {
  const opts = { ...options, stderr: options.stderr && !options.tty };
  if (opts.transport === 'websocket') return connectWebSocketRemoteCommand(url, opts);
  return connectSpdyRemoteCommand(url, opts);
}

async function connectSpdyRemoteCommand(url: string | URL, opts: RemoteCommandClientOptions): Promise<RemoteCommandClient> {
  const { session, protocol } = await connectSpdy(url, { ...opts, protocols: opts.protocols ?? SPDY_CLIENT_PROTOCOLS });
  const version = protocolVersion(protocol);
  if (version < 2) {
    session.destroy();
    throw new Error(`unsupported stream protocol ${JSON.stringify(protocol)}`);
  }
  const open = async (type: string) => {
    const s = await session.openStream({ streamType: type });
    s.on('error', () => {});
    return s;
  };
  let errorStream: SpdyStream;
  const streams: Partial<Record<string, SpdyStream>> = {};
  try {
    errorStream = await open(StreamType.Error);
    if (opts.stdin) streams.stdin = await open(StreamType.Stdin);
    if (opts.stdout) streams.stdout = await open(StreamType.Stdout);
    if (opts.stderr) streams.stderr = await open(StreamType.Stderr);
    if (opts.tty && version >= 3) streams.resize = await open(StreamType.Resize);
  } catch (err) {
    session.destroy();
    throw err;
  }
  // We never read our input streams; let their readable sides flow.
  streams.stdin?.resume();
  streams.resize?.resume();
  const result = collect(errorStream).then((message) => {
    const exit = decodeErrorStream(message, version);
    // The server closes the connection after the status; make sure it goes.
    session.close();
    setTimeout(() => session.destroy(), FINISH_CLOSE_TIMEOUT_MS).unref?.();
    return exit;
  });
  return {
    transport: 'spdy',
    protocol,
    stdin: streams.stdin ?? null,
    stdout: streams.stdout ?? null,
    stderr: streams.stderr ?? null,
    resize(size) {
      const s = streams.resize;
      if (s && s.writable && !s.destroyed) s.write(JSON.stringify({ Width: size.Width, Height: size.Height }) + '\n');
    },
    result,
    close() {
      session.destroy();
    },
  };
}

async function connectWebSocketRemoteCommand(
  url: string | URL,
  opts: RemoteCommandClientOptions,
): Promise<RemoteCommandClient> {
  const ws: WebSocket = await connectWebSocket(url, { ...opts, protocols: opts.protocols ?? WEBSOCKET_CLIENT_PROTOCOLS });
  const traits = WEBSOCKET_PROTOCOLS[ws.protocol] ?? { base64: false, version: 1 };
  const mux = new ChannelMux(ws, {
    base64: traits.base64,
    closeSignal: traits.version >= 5,
    read: [Channel.Error, ...(opts.stdout ? [Channel.Stdout] : []), ...(opts.stderr ? [Channel.Stderr] : [])],
    write: [Channel.Stdin, Channel.Resize],
    closeOnEnd: [Channel.Stdin],
  });
  const result = collect(mux.reader(Channel.Error)!).then((message) => {
    ws.close(CloseCode.Normal);
    return decodeErrorStream(message, traits.version);
  });
  return {
    transport: 'websocket',
    protocol: ws.protocol,
    stdin: opts.stdin ? mux.writer(Channel.Stdin) : null,
    stdout: opts.stdout ? mux.reader(Channel.Stdout) : null,
    stderr: opts.stderr ? mux.reader(Channel.Stderr) : null,
    resize(size) {
      mux.send(Channel.Resize, Buffer.from(JSON.stringify({ Width: size.Width, Height: size.Height })));
    },
    result,
    close() {
      ws.terminate();
    },
  };
}

function collect(r: Readable): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => resolve(Buffer.concat(chunks)));
    r.on('close', () => resolve(Buffer.concat(chunks)));
    r.on('error', () => resolve(Buffer.concat(chunks)));
  });
}

// ---- proxying -----------------------------------------------------------------

/**
 * Connects a client-facing session to a runtime-facing client (what the
 * kubelet does between kubectl and the CRI streaming server): input and
 * terminal sizes go one way, output the other, and the runtime's outcome
 * is reported to the client once all output went out. If the client goes
 * away first, the runtime connection is dropped.
 */
export async function proxyRemoteCommand(session: RemoteCommandSession, client: RemoteCommandClient): Promise<void> {
  if (session.stdin && client.stdin) session.stdin.pipe(client.stdin);
  else session.stdin?.resume();
  const outputs: Promise<void>[] = [];
  for (const [from, to] of [
    [client.stdout, session.stdout],
    [client.stderr, session.stderr],
  ] as const) {
    if (!from) continue;
    outputs.push(
      new Promise<void>((resolve) => {
        if (to) from.pipe(to, { end: false });
        else from.resume();
        from.once('end', resolve);
        from.once('close', resolve);
      }),
    );
  }
  session.resize.on('resize', (size: TerminalSize) => client.resize(size));
  let clientGone = false;
  void session.closed.then(() => {
    clientGone = true;
    client.close();
  });
  const exit = await client.result;
  await Promise.all(outputs);
  if (clientGone) return;
  await session.finish('exitCode' in exit ? { exitCode: exit.exitCode } : exit.status ? { status: exit.status } : { error: exit.error });
}

export { HandshakeError };
