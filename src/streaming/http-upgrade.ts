// The HTTP/1.1 parts shared by the WebSocket and SPDY upgrades: reading
// request headers, answering on a raw upgraded socket (the server no longer
// owns a ServerResponse once Node hands out the socket), and the client side
// of an upgrade request.

import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';

/**
 * Every value of a header, splitting comma-separated lists and repeated
 * header lines alike (a client may send `X-Stream-Protocol-Version` once per
 * version or once with a list).
 */
export function headerValues(req: IncomingMessage, name: string): string[] {
  const raw = req.headersDistinct?.[name.toLowerCase()] ?? toArray(req.headers[name.toLowerCase()]);
  const out: string[] = [];
  for (const line of raw) {
    for (const part of line.split(',')) {
      const v = part.trim();
      if (v) out.push(v);
    }
  }
  return out;
}

function toArray(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Whether a header's comma-separated list holds the token (case-insensitive). */
export function headerHasToken(value: string | string[] | undefined, token: string): boolean {
  const t = token.toLowerCase();
  return toArray(value).some((line) => line.toLowerCase().split(',').some((p) => p.trim() === t));
}

/** Whether the request asks for a connection upgrade (any protocol). */
export function isUpgradeRequest(req: IncomingMessage): boolean {
  return toArray(req.headers.connection).some((v) => v.toLowerCase().includes('upgrade'));
}

const STATUS_TEXT: Record<number, string> = {
  101: 'Switching Protocols',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  426: 'Upgrade Required',
  500: 'Internal Server Error',
};

/** Writes `HTTP/1.1 101 Switching Protocols` with the given headers. */
export function writeSwitchingProtocols(socket: Duplex, headers: Array<[string, string]>): void {
  const lines = ['HTTP/1.1 101 Switching Protocols', ...headers.map(([k, v]) => `${k}: ${v}`)];
  socket.write(lines.join('\r\n') + '\r\n\r\n');
}

/**
 * Answers an upgrade request with an error the way Go's http.Error does
 * (plain text, the message and a newline), then closes the socket.
 */
export function writeHttpError(
  socket: Duplex,
  statusCode: number,
  message: string,
  headers: Array<[string, string]> = [],
): void {
  if (socket.destroyed || !socket.writable) return;
  const body = Buffer.from(message + '\n');
  const lines = [
    `HTTP/1.1 ${statusCode} ${STATUS_TEXT[statusCode] ?? http.STATUS_CODES[statusCode] ?? ''}`,
    'Content-Type: text/plain; charset=utf-8',
    'X-Content-Type-Options: nosniff',
    ...headers.map(([k, v]) => `${k}: ${v}`),
    `Content-Length: ${body.length}`,
    'Connection: close',
  ];
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), body]));
}

/** A handshake the server refused; the HTTP error was already written. */
export class HandshakeError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HandshakeError';
  }
}

/** An upgrade request that was answered with something other than 101. */
export class UpgradeFailedError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: string,
    message: string,
  ) {
    super(message);
    this.name = 'UpgradeFailedError';
  }
}

export interface UpgradeRequestOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  /** TLS settings for https: URLs (CA, client certificate, servername...). */
  tls?: ConnectionOptions;
  /** Supplies the connection instead of dialing the URL's host (any Duplex). */
  createConnection?: () => Duplex;
  /** Gives up when no response arrived in time (default 30 s). */
  timeoutMs?: number;
}

export interface UpgradedConnection {
  response: IncomingMessage;
  socket: Duplex;
  /** Bytes the server sent after its response headers. */
  head: Buffer;
}

/**
 * Sends an HTTP/1.1 upgrade request and resolves with the upgraded socket.
 * A non-101 answer rejects with UpgradeFailedError carrying the body; a
 * Kubernetes Status body contributes its message.
 */
export function requestUpgrade(url: string | URL, opts: UpgradeRequestOptions = {}): Promise<UpgradedConnection> {
  const u = typeof url === 'string' ? new URL(url) : url;
  const secure = u.protocol === 'https:' || u.protocol === 'wss:';
  const mod = secure ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request({
      protocol: secure ? 'https:' : 'http:',
      hostname: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port || (secure ? 443 : 80),
      path: u.pathname + u.search,
      method: opts.method ?? 'GET',
      headers: opts.headers,
      agent: false,
      ...(opts.createConnection ? { createConnection: opts.createConnection as never } : {}),
      ...(secure ? { ALPNProtocols: ['http/1.1'], ...opts.tls } : {}),
    });
    const timer = setTimeout(() => req.destroy(new Error(`upgrade request to ${u.host} timed out`)), opts.timeoutMs ?? 30_000);
    req.on('upgrade', (response, socket, head) => {
      clearTimeout(timer);
      resolve({ response, socket, head });
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8').trim();
        reject(new UpgradeFailedError(res.statusCode ?? 0, body, upgradeFailureMessage(res.statusCode ?? 0, body)));
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}

function upgradeFailureMessage(statusCode: number, body: string): string {
  try {
    const status = JSON.parse(body) as { kind?: string; message?: string };
    if (status && status.kind === 'Status' && typeof status.message === 'string') return status.message;
  } catch {
    // not a Status
  }
  return `unable to upgrade connection: ${body || `HTTP ${statusCode}`}`;
}
