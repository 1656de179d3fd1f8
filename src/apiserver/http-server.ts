// The HTTPS transport: HTTP/2 (what kubectl speaks) and HTTP/1.1 on one
// port, client-certificate authentication, body limits, and streaming for
// watches. Everything else is ApiServer.handle().

import http from 'node:http';
import http2 from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { ApiResponse, ApiServer, UserInfo } from './api-server.js';
import { MAX_BODY_BYTES } from './codec.js';
import { tooLarge } from './errors.js';
import { impersonationFromHeaders } from '../auth/impersonation.js';

export interface HttpServerOptions {
  api: ApiServer;
  port: number;
  host: string;
  tls: { certPem: string; keyPem: string; caPem: string };
}

type Req = http2.Http2ServerRequest | IncomingMessage;
type Res = http2.Http2ServerResponse | ServerResponse;

// A connection's certificate does not change: authenticate it once, not per request.
const userBySocket = new WeakMap<object, UserInfo | null>();

function cachedUser(socket: TLSSocket | undefined): UserInfo | undefined {
  if (!socket) return undefined;
  // For HTTP/2 the request's socket is a proxy; key on the session's real socket.
  const key = ((socket as any).session?.socket ?? socket) as object;
  let u = userBySocket.get(key);
  if (u === undefined) {
    u = userFromCertificate(socket) ?? null;
    userBySocket.set(key, u);
  }
  return u ?? undefined;
}

/** The user named by a verified client certificate: CN is the name, O the groups. */
export function userFromCertificate(socket: TLSSocket | undefined): UserInfo | undefined {
  if (!socket || typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.subject) return undefined;
  const cn = cert.subject.CN;
  if (!cn) return undefined;
  const o = cert.subject.O;
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return { name: Array.isArray(cn) ? cn[0] : cn, groups: [...groups, 'system:authenticated'] };
}

/**
 * The request target's path and query. The path is taken as sent: WHATWG URL
 * parsing would resolve `.`, `..` and `%2e%2e` segments, turning
 * `DELETE .../secrets/..` into a delete of the namespace's collection; as in
 * upstream, such segments stay names (which then do not exist or are invalid).
 */
export function requestTarget(raw: string | undefined): { pathname: string; query: URLSearchParams } {
  const url = new URL(raw ?? '/', 'https://kts');
  if (!raw?.startsWith('/')) return { pathname: url.pathname, query: url.searchParams };
  const q = raw.indexOf('?');
  const h = raw.indexOf('#');
  const end = q >= 0 ? q : h >= 0 ? h : raw.length;
  return { pathname: raw.slice(0, end), query: url.searchParams };
}

export class HttpServer {
  private server: http2.Http2SecureServer;
  private sessions = new Set<http2.ServerHttp2Session>();
  private sockets = new Set<import('node:net').Socket>();
  private streams = new Set<() => void>();

  constructor(private readonly opts: HttpServerOptions) {
    this.server = http2.createSecureServer(
      {
        allowHTTP1: true,
        // The CA goes along with the serving certificate: a joining agent
        // checks it against the hash in its join token before trusting it.
        cert: opts.tls.certPem.includes(opts.tls.caPem.trim()) ? opts.tls.certPem : `${opts.tls.certPem.trimEnd()}\n${opts.tls.caPem}`,
        key: opts.tls.keyPem,
        ca: opts.tls.caPem,
        requestCert: true,
        rejectUnauthorized: false,
        settings: { maxConcurrentStreams: 1000 },
      },
      (req, res) => void this.onRequest(req, res),
    );
    this.server.on('session', (s) => {
      this.sessions.add(s);
      s.on('close', () => this.sessions.delete(s));
    });
    // exec, attach and portforward arrive as HTTP/1.1 upgrades (WebSocket or SPDY).
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.onUpgrade(req, socket, head));
    // HTTP/1.1 requests Node's parser refuses (unknown methods, malformed
    // headers) get a Status like every other error, not a bare 400.
    this.server.on('clientError' as any, (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (!socket.writable) return socket.destroy();
      const code = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const reason = code === 431 ? 'RequestHeaderFieldsTooLarge' : code === 408 ? 'Timeout' : 'BadRequest';
      const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `${http.STATUS_CODES[code]}: ${err.message}`, reason, code });
      socket.end(`HTTP/1.1 ${code} ${http.STATUS_CODES[code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
    this.server.on('secureConnection', (sock) => {
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
    });
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  async close(): Promise<void> {
    for (const stop of this.streams) stop();
    this.streams.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sessions) s.destroy();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const url = requestTarget(req.url);
    const user = cachedUser(req.socket as TLSSocket);
    let result: ApiResponse | undefined;
    try {
      result = await this.opts.api.podStream({ method: (req.method ?? 'GET').toUpperCase(), path: url.pathname, query: url.query, user, impersonate: impersonationFromHeaders(req.headers), authorization: header(req, 'authorization'), raw: req }, socket, head);
    } catch (e) {
      result = { status: 500, contentType: 'application/json', body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: String(e), reason: 'InternalError', code: 500 }) };
    }
    if (!result) return;
    const body = 'body' in result ? result.body : '';
    const reason = http.STATUS_CODES[result.status] ?? 'Error';
    socket.end(`HTTP/1.1 ${result.status} ${reason}\r\nContent-Type: ${result.contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }

  private async readBody(req: Req): Promise<Buffer | 'too-large'> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return 'too-large';
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  private async onRequest(req: Req, res: Res): Promise<void> {
    let warnings: string[] | undefined;
    let auditID: string | undefined;
    const headers = (contentType: string) => {
      const h: Record<string, string | string[]> = { 'content-type': contentType, 'cache-control': 'no-cache, private' };
      if (auditID) h['audit-id'] = auditID;
      // Header values must be latin1; warnings are UTF-8 text.
      if (warnings?.length) h.warning = warnings.map((w) => Buffer.from(w, 'utf8').toString('latin1'));
      return h;
    };
    const send = (status: number, contentType: string, body: string) => {
      res.writeHead(status, headers(contentType));
      res.end(body);
    };
    try {
      const url = requestTarget(req.url);
      const method = (req.method ?? 'GET').toUpperCase();
      let body: Buffer | undefined;
      if (method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE') {
        const b = await this.readBody(req);
        if (b === 'too-large') {
          const e = tooLarge(MAX_BODY_BYTES);
          if (req.httpVersionMajor === 1) {
            // The rest of the body is never read: the connection cannot carry another request.
            (res as http.ServerResponse).shouldKeepAlive = false;
            res.writeHead(413, { ...headers('application/json'), connection: 'close' });
            res.end(JSON.stringify(e.status));
          } else {
            send(413, 'application/json', JSON.stringify(e.status));
          }
          return;
        }
        body = b;
      }
      const user = cachedUser((req as any).stream?.session?.socket ?? (req.socket as TLSSocket));
      const result = await this.opts.api.handle({
        method,
        path: url.pathname,
        query: url.query,
        headers: {
          accept: header(req, 'accept'),
          contentType: header(req, 'content-type'),
          userAgent: header(req, 'user-agent'),
          impersonate: impersonationFromHeaders(req.headers),
          authorization: header(req, 'authorization'),
        },
        body,
        user,
        sourceIPs: sourceIPs(req),
      });
      warnings = result.warnings;
      auditID = result.auditID;
      if ('bytes' in result) {
        res.writeHead(result.status, headers(result.contentType));
        res.end(result.bytes);
        return;
      }
      if ('body' in result) {
        send(result.status, result.contentType, result.body);
        return;
      }
      res.writeHead(result.status, headers(result.contentType));
      // Send headers now: clients wait for them before reading events.
      (res as any).flushHeaders?.();
      let ended = false;
      const stop = result.stream({
        write: (chunk) => {
          if (!ended) (res as ServerResponse).write(chunk);
        },
        end: () => {
          if (ended) return;
          ended = true;
          this.streams.delete(cleanup);
          res.end();
        },
      });
      const cleanup = () => {
        stop();
        if (!ended) {
          ended = true;
          res.end();
        }
      };
      if (ended) {
        stop();
        return;
      }
      this.streams.add(cleanup);
      const onClose = () => {
        this.streams.delete(cleanup);
        if (!ended) {
          ended = true;
          stop();
        }
      };
      res.on('close', onClose);
      req.on('close', onClose);
    } catch (e) {
      if (!res.headersSent) {
        send(500, 'application/json', JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: String(e), reason: 'InternalError', code: 500 }));
      } else {
        res.end();
      }
    }
  }
}

/** X-Forwarded-For addresses, then the connection's peer (as upstream's audit `sourceIPs`). */
function sourceIPs(req: Req): string[] {
  const ips = (header(req, 'x-forwarded-for') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const peer = req.socket?.remoteAddress?.replace(/^::ffff:/, '');
  if (peer && !ips.includes(peer)) ips.push(peer);
  return ips;
}

function header(req: Req, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}
