// Port forwarding ("portforward.k8s.io").
//
// One SPDY session carries any number of forwarded connections. For each,
// the client opens two streams with the same `port` and `requestID`
// headers: `streamType: error` (which the client half-closes at once and
// then reads: any text there is a fatal error for kubectl) and
// `streamType: data` (the connection's bytes, both ways).
//
// The SPDY session arrives either by a plain SPDY/3.1 upgrade with
// X-Stream-Protocol-Version: portforward.k8s.io, or — kubectl 1.31+'s
// default (PortForwardWebsockets) — inside a WebSocket with subprotocol
// "SPDY/3.1+portforward.k8s.io", where the SPDY bytes travel as binary
// messages with no further handshake.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { HandshakeError, headerValues, writeHttpError, type UpgradeRequestOptions } from './http-upgrade.js';
import { acceptSpdy, connectSpdy, SpdySession, type SpdySessionOptions, type SpdyStream } from './spdy.js';
import { acceptWebSocket, connectWebSocket, isWebSocketRequest, webSocketStream } from './websocket.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const WEBSOCKET_SPDY_TUNNEL_PREFIX = 'SPDY/3.1+';
export const WEBSOCKET_TUNNEL_PROTOCOL = WEBSOCKET_SPDY_TUNNEL_PREFIX + PORT_FORWARD_PROTOCOL;

/** SPDY header names (sent lowercase on the wire). */
export const PortForwardHeader = { StreamType: 'streamtype', Port: 'port', RequestID: 'requestid' } as const;

const DEFAULT_STREAM_CREATION_TIMEOUT_MS = 30_000;

/** One forwarded connection, once both of its streams arrived. */
export interface PortForwardConnection {
  readonly port: number;
  readonly requestID: string;
  /** The connection's bytes; end() it when the pod side is done. */
  readonly data: Duplex;
  /**
   * Reports a failure to the client (kubectl treats it as fatal for the
   * whole port-forward) and closes this connection's streams.
   */
  reportError(message: string): void;
}

export interface AcceptPortForwardOptions extends Omit<SpdySessionOptions, 'role' | 'head'> {
  onConnection(conn: PortForwardConnection): void;
  /** How long the second stream of a pair may take (default 30 s, as the kubelet). */
  streamCreationTimeoutMs?: number;
}

export interface PortForwardServer {
  readonly transport: 'websocket' | 'spdy';
  readonly session: SpdySession;
  /** Settles when the client connection is gone. */
  readonly closed: Promise<void>;
  /** Closes gracefully (GOAWAY, then the connection once streams finished). */
  close(): void;
}

/**
 * Accepts a port-forward upgrade (WebSocket tunnel or SPDY) on a socket from
 * the HTTP server's 'upgrade' event. Throws HandshakeError after answering
 * the client if the upgrade cannot be done.
 */
export function acceptPortForward(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  opts: AcceptPortForwardOptions,
): PortForwardServer {
  let session: SpdySession;
  let transport: 'websocket' | 'spdy';
  if (isWebSocketRequest(req)) {
    // As the API server's tunneling handler: only SPDY/3.1+*.k8s.io protocols qualify.
    const tunnels = headerValues(req, 'sec-websocket-protocol').filter(
      (p) => p.startsWith(WEBSOCKET_SPDY_TUNNEL_PREFIX) && p.endsWith('.k8s.io'),
    );
    if (tunnels.length === 0) {
      const message = 'unable to upgrade: no tunneling spdy protocols provided';
      writeHttpError(socket, 400, message);
      throw new HandshakeError(400, message);
    }
    const ws = acceptWebSocket(req, socket, head, { protocols: [WEBSOCKET_TUNNEL_PROTOCOL] });
    session = new SpdySession(webSocketStream(ws), { ...opts, role: 'server' });
    transport = 'websocket';
  } else {
    session = acceptSpdy(req, socket, head, { ...opts, protocols: [PORT_FORWARD_PROTOCOL] }).session;
    transport = 'spdy';
  }
  servePortForward(session, opts);
  const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
  return { transport, session, closed, close: () => session.close() };
}

interface StreamPair {
  requestID: string;
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

/**
 * Pairs a session's incoming streams into forwarded connections, as the
 * kubelet's httpStreamHandler does. Exported for sessions set up elsewhere.
 */
export function servePortForward(session: SpdySession, opts: AcceptPortForwardOptions): void {
  const pairs = new Map<string, StreamPair>();
  const timeoutMs = opts.streamCreationTimeoutMs ?? DEFAULT_STREAM_CREATION_TIMEOUT_MS;

  session.on('stream', (stream: SpdyStream) => {
    stream.on('error', () => {});
    const problem = validateStream(stream);
    if (problem) {
      stream.reset();
      return;
    }
    const type = stream.header(PortForwardHeader.StreamType)!;
    const requestID = streamRequestID(stream, type);
    let pair = pairs.get(requestID);
    if (!pair) {
      const p: StreamPair = {
        requestID,
        timer: setTimeout(() => {
          pairs.delete(requestID);
          writeError(p.error, `(request=${requestID}) timed out waiting for streams`);
          p.data?.reset();
        }, timeoutMs),
      };
      p.timer.unref?.();
      pairs.set(requestID, p);
      pair = p;
    }
    if (pair[type as 'data' | 'error']) {
      writeError(pair.error, `error processing stream for request ${requestID}: ${type} stream already assigned`, false);
      return;
    }
    pair[type as 'data' | 'error'] = stream;
    if (!pair.data || !pair.error) return;
    clearTimeout(pair.timer);
    pairs.delete(requestID);
    startConnection(pair.data, pair.error, requestID, opts);
  });
  session.on('close', () => {
    for (const p of pairs.values()) clearTimeout(p.timer);
    pairs.clear();
  });
}

function validateStream(stream: SpdyStream): string | null {
  const port = stream.header(PortForwardHeader.Port);
  if (!port) return `"port" header is required`;
  if (!/^\d+$/.test(port) || Number(port) > 65535) return `unable to parse "${port}" as a port`;
  if (Number(port) < 1) return `port "${port}" must be > 0`;
  const type = stream.header(PortForwardHeader.StreamType);
  if (!type) return `"streamType" header is required`;
  if (type !== 'error' && type !== 'data') return `invalid stream type "${type}"`;
  return null;
}

/**
 * The pair key. Clients too old to send requestID get the kubelet's guess:
 * an error stream's id, or a data stream's id minus 2.
 */
function streamRequestID(stream: SpdyStream, type: string): string {
  const id = stream.header(PortForwardHeader.RequestID);
  if (id) return id;
  return String(type === 'error' ? stream.id : stream.id - 2);
}

function writeError(stream: SpdyStream | undefined, message: string, end = true): void {
  if (!stream || stream.destroyed || !stream.writable) return;
  stream.write(message);
  if (end) stream.end();
}

function startConnection(data: SpdyStream, error: SpdyStream, requestID: string, opts: AcceptPortForwardOptions): void {
  // The client never writes on the error stream; let its FIN through.
  error.resume();
  // When our side of the data stream is done, so is the error stream: the
  // client waits for its end of stream before finishing the connection.
  const endError = () => {
    if (!error.writableEnded && !error.destroyed) error.end();
  };
  data.once('finish', endError);
  data.once('close', endError);
  let reported = false;
  opts.onConnection({
    port: Number(data.header(PortForwardHeader.Port)),
    requestID,
    data,
    reportError(message: string) {
      if (reported) return;
      reported = true;
      writeError(error, message);
      if (!data.writableEnded && !data.destroyed) data.end();
    },
  });
}

// ---- client -----------------------------------------------------------------

export class PortForwardError extends Error {
  constructor(
    readonly port: number,
    message: string,
  ) {
    super(message);
    this.name = 'PortForwardError';
  }
}

export interface PortForwardClientOptions extends UpgradeRequestOptions, Omit<SpdySessionOptions, 'role' | 'head'> {
  /** 'spdy' (default; containerd's streaming server) or 'websocket' (the SPDY-in-WebSocket tunnel). */
  transport?: 'spdy' | 'websocket';
}

export interface PortForwardClient {
  readonly transport: 'websocket' | 'spdy';
  readonly session: SpdySession;
  /**
   * Opens a forwarded connection to a port: resolves with its data stream.
   * If the server reports an error for it, the stream is destroyed with a
   * PortForwardError; `remoteError` settles once the server's error stream
   * ended, with its message (undefined when there was none), whichever of
   * the two streams finished first.
   */
  open(port: number): Promise<Duplex & { remoteError: Promise<string | undefined> }>;
  /** Settles when the connection is gone. */
  readonly closed: Promise<void>;
  close(): void;
}

/** Connects to a port-forward endpoint the way client-go does. */
export async function connectPortForward(url: string | URL, opts: PortForwardClientOptions = {}): Promise<PortForwardClient> {
  let session: SpdySession;
  const transport = opts.transport ?? 'spdy';
  if (transport === 'websocket') {
    const ws = await connectWebSocket(url, { ...opts, protocols: [WEBSOCKET_TUNNEL_PROTOCOL] });
    session = new SpdySession(webSocketStream(ws), { ...opts, role: 'client' });
  } else {
    const r = await connectSpdy(url, { ...opts, protocols: [PORT_FORWARD_PROTOCOL] });
    if (r.protocol !== PORT_FORWARD_PROTOCOL) {
      r.session.destroy();
      throw new Error(
        `unable to negotiate protocol: client supports "${PORT_FORWARD_PROTOCOL}", server returned "${r.protocol}"`,
      );
    }
    session = r.session;
  }
  let nextRequestID = 0;
  const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
  return {
    transport,
    session,
    closed,
    close: () => session.close(),
    async open(port: number): Promise<Duplex & { remoteError: Promise<string | undefined> }> {
      const requestID = String(nextRequestID++);
      const headers = { [PortForwardHeader.StreamType]: 'error', [PortForwardHeader.Port]: String(port), [PortForwardHeader.RequestID]: requestID };
      const errorStream = await session.openStream(headers);
      errorStream.on('error', () => {});
      errorStream.end(); // we never write on it
      const chunks: Buffer[] = [];
      let failure: PortForwardError | null = null;
      let data: SpdyStream | null = null;
      let settle: (m: string | undefined) => void = () => {};
      const remoteError = new Promise<string | undefined>((r) => (settle = r));
      errorStream.on('data', (c: Buffer) => chunks.push(c));
      errorStream.once('close', () => settle(Buffer.concat(chunks).toString('utf8') || undefined));
      errorStream.once('end', () => {
        const message = Buffer.concat(chunks).toString('utf8');
        settle(message || undefined);
        if (!message) return;
        failure = new PortForwardError(port, `an error occurred forwarding ${port}: ${message}`);
        if (data && !data.destroyed) data.destroy(failure);
      });
      try {
        data = await session.openStream({ ...headers, [PortForwardHeader.StreamType]: 'data' });
      } catch (err) {
        errorStream.destroy();
        throw err;
      }
      if (failure) data.destroy(failure);
      return Object.assign(data, { remoteError });
    },
  };
}
