// The HTTP/1.1 reverse proxy: one request (or Upgrade) to one endpoint.
// Bodies stream both ways, hop-by-hop headers are dropped, X-Forwarded-* and
// X-Real-IP are set from the client connection (incoming X-Forwarded-*
// headers are not trusted, as ingress-nginx's default). A backend that cannot
// be reached gives 502, one that does not answer in time 504.

import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Endpoint } from './backends.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings']);
const FORWARDED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip']);

export interface ProxyTimeouts {
  /** Connecting to the endpoint (default 5 s, as ingress-nginx's proxy-connect-timeout). */
  connectTimeoutMs: number;
  /** Idle time while waiting for or reading the response (default 60 s, as proxy-read-timeout). */
  readTimeoutMs: number;
}

/** Where a request goes, or the status to answer instead. */
export type Target = { endpoint: Endpoint } | { status: number; message: string; location?: string };

export interface ProxyContext {
  scheme: 'http' | 'https';
  agent: http.Agent;
  timeouts: ProxyTimeouts;
  /** Chooses the endpoint; called again when an idempotent request is retried. */
  target(req: http.IncomingMessage): Target;
  onError?: (what: string, err: unknown) => void;
  /** Client sockets of established tunnels, so stop() can close them. */
  tunnels?: Set<Duplex>;
}

function clientIP(req: http.IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

function connectionTokens(v: string | string[] | undefined): Set<string> {
  const s = new Set<string>();
  for (const part of (Array.isArray(v) ? v.join(',') : (v ?? '')).split(',')) {
    const t = part.trim().toLowerCase();
    if (t) s.add(t);
  }
  return s;
}

/** Request headers for the backend: end-to-end headers of the client plus the forwarding headers. */
export function forwardHeaders(req: http.IncomingMessage, scheme: string): http.OutgoingHttpHeaders {
  const drop = connectionTokens(req.headers.connection);
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || drop.has(k) || FORWARDED.has(k)) continue;
    out[k] = v;
  }
  const ip = clientIP(req);
  const host = req.headers.host ?? '';
  out['x-forwarded-for'] = ip;
  out['x-real-ip'] = ip;
  out['x-forwarded-proto'] = scheme;
  out['x-forwarded-host'] = host;
  out['x-forwarded-port'] = String(req.socket.localPort ?? '');
  return out;
}

/** Forwarded headers plus a Host for clients that sent none (HTTP/1.0), which an HTTP/1.1 backend requires. */
function backendHeaders(req: http.IncomingMessage, scheme: string, endpoint: Endpoint): http.OutgoingHttpHeaders {
  const h = forwardHeaders(req, scheme);
  if (h.host === undefined) h.host = endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
  return h;
}

/** Response headers for the client as a flat raw list (keeps case and repeated headers such as Set-Cookie). */
function responseHeaders(res: http.IncomingMessage): string[] {
  const drop = connectionTokens(res.headers.connection);
  const out: string[] = [];
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(k) || drop.has(k)) continue;
    out.push(raw[i], raw[i + 1]);
  }
  return out;
}

export function sendStatus(res: http.ServerResponse, status: number, message: string, location?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${status} ${message}\n`;
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) };
  if (location) headers.location = location;
  res.writeHead(status, headers);
  res.end(body);
}

function hasBody(req: http.IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/** Proxies one plain request. */
export function proxyRequest(req: http.IncomingMessage, res: http.ServerResponse, ctx: ProxyContext, attempt = 0): void {
  const t = ctx.target(req);
  if ('status' in t) {
    // Drain an unread body so the client connection stays usable.
    req.resume();
    sendStatus(res, t.status, t.message, t.location);
    return;
  }
  const { endpoint } = t;
  const proxyReq = http.request({
    host: endpoint.host,
    port: endpoint.port,
    method: req.method,
    path: req.url,
    headers: backendHeaders(req, ctx.scheme, endpoint),
    agent: ctx.agent,
    setHost: false,
  });
  let timedOut = false;
  let connectTimer: NodeJS.Timeout | undefined;
  proxyReq.on('socket', (sock) => {
    if ((sock as any).connecting) {
      connectTimer = setTimeout(() => {
        timedOut = true;
        proxyReq.destroy(new Error(`connect to ${endpoint.host}:${endpoint.port} timed out`));
      }, ctx.timeouts.connectTimeoutMs);
      sock.once('connect', () => clearTimeout(connectTimer));
    }
  });
  proxyReq.setTimeout(ctx.timeouts.readTimeoutMs, () => {
    timedOut = true;
    proxyReq.destroy(new Error(`${endpoint.host}:${endpoint.port} did not answer in time`));
  });
  proxyReq.on('response', (pres) => {
    clearTimeout(connectTimer);
    res.writeHead(pres.statusCode ?? 502, pres.statusMessage, responseHeaders(pres));
    pres.pipe(res);
    pres.on('error', () => res.destroy());
    pres.on('aborted', () => res.destroy());
  });
  proxyReq.on('error', (err: NodeJS.ErrnoException) => {
    clearTimeout(connectTimer);
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    // A kept-alive connection the backend closed meanwhile: retry a bodiless idempotent request once.
    if (!timedOut && attempt === 0 && (proxyReq as any).reusedSocket && err.code === 'ECONNRESET' && !hasBody(req) && ['GET', 'HEAD', 'OPTIONS'].includes(req.method ?? '')) {
      proxyRequest(req, res, ctx, 1);
      return;
    }
    ctx.onError?.(`proxy to ${endpoint.host}:${endpoint.port}`, err);
    if (timedOut) sendStatus(res, 504, 'Gateway Timeout');
    else sendStatus(res, 502, 'Bad Gateway');
  });
  res.on('close', () => {
    if (!res.writableFinished) proxyReq.destroy();
  });
  if (attempt === 0) req.pipe(proxyReq);
  else proxyReq.end();
}

function writeRawStatus(socket: Duplex, status: number, message: string): void {
  const body = `${status} ${message}\n`;
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? message}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function rawHead(status: number, statusMessage: string | undefined, rawHeaders: string[]): string {
  let s = `HTTP/1.1 ${status} ${statusMessage ?? http.STATUS_CODES[status] ?? ''}\r\n`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) s += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  return s + '\r\n';
}

/** Tunnels an Upgrade request (WebSocket and others) to the endpoint on a connection of its own. */
export function proxyUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, ctx: ProxyContext): void {
  socket.on('error', () => socket.destroy());
  const t = ctx.target(req);
  if ('status' in t) {
    writeRawStatus(socket, t.status, t.message);
    return;
  }
  const { endpoint } = t;
  const headers = backendHeaders(req, ctx.scheme, endpoint);
  headers.connection = 'Upgrade';
  headers.upgrade = req.headers.upgrade;
  const proxyReq = http.request({ host: endpoint.host, port: endpoint.port, method: req.method, path: req.url, headers, agent: false, setHost: false });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proxyReq.destroy(new Error('upgrade timed out'));
  }, ctx.timeouts.readTimeoutMs);
  const connectTimer = setTimeout(() => {
    timedOut = true;
    proxyReq.destroy(new Error('connect timed out'));
  }, ctx.timeouts.connectTimeoutMs);
  proxyReq.on('socket', (s) => s.once('connect', () => clearTimeout(connectTimer)));
  proxyReq.on('upgrade', (pres, psock, phead) => {
    clearTimeout(timer);
    clearTimeout(connectTimer);
    ctx.tunnels?.add(socket);
    const closeBoth = () => {
      psock.destroy();
      socket.destroy();
      ctx.tunnels?.delete(socket);
    };
    psock.on('error', closeBoth);
    socket.on('error', closeBoth);
    socket.on('close', closeBoth);
    psock.on('close', closeBoth);
    // A side that ends its writing ends the tunnel (as nginx): the other side is
    // ended once what is in flight is written, then both are closed.
    socket.on('end', () => psock.end(closeBoth));
    psock.on('end', () => socket.end(closeBoth));
    socket.write(rawHead(pres.statusCode ?? 101, pres.statusMessage, pres.rawHeaders));
    if (phead.length) socket.write(phead);
    if (head.length) psock.write(head);
    psock.pipe(socket, { end: false });
    socket.pipe(psock, { end: false });
  });
  proxyReq.on('response', (pres) => {
    // The backend declined the upgrade: relay its answer and close.
    clearTimeout(timer);
    clearTimeout(connectTimer);
    const hs = responseHeaders(pres).concat(['Connection', 'close']);
    socket.write(rawHead(pres.statusCode ?? 502, pres.statusMessage, hs));
    pres.pipe(socket);
  });
  proxyReq.on('error', (err) => {
    clearTimeout(timer);
    clearTimeout(connectTimer);
    ctx.onError?.(`upgrade to ${endpoint.host}:${endpoint.port}`, err);
    if (!socket.destroyed) writeRawStatus(socket, timedOut ? 504 : 502, timedOut ? 'Gateway Timeout' : 'Bad Gateway');
  });
  proxyReq.end();
}
