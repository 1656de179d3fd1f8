/**
 * The kubelet's own HTTPS API, which the API server proxies to: container
 * logs, exec/attach/port-forward streams, resource usage (/stats/summary)
 * and health. Only clients holding a
 * certificate from the cluster CA are served.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { streamLogs, type LogOptions } from './logs.js';

export interface KubeletBackend {
  pod(namespace: string, name: string): any | undefined;
  logPath(pod: any, container: string, previous: boolean): string | undefined;
  isRunning(pod: any, container: string): Promise<boolean>;
  /** The Summary API document (`/stats/summary`). */
  statsSummary?(): Promise<any>;
  /** Handles an upgrade (exec, attach, portForward); returns false when the path is not one. */
  upgrade?(kind: 'exec' | 'attach' | 'portForward', pod: any, container: string, query: URLSearchParams, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void>;
}

export interface KubeletServerOptions {
  tls: { certPem: string; keyPem: string; caPem: string };
  host?: string;
  port: number;
  backend: KubeletBackend;
}

class HttpError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export class KubeletServer {
  private readonly server: https.Server;
  private readonly sockets = new Set<Socket>();
  private readonly aborts = new Set<AbortController>();

  constructor(private readonly o: KubeletServerOptions) {
    this.server = https.createServer({ cert: o.tls.certPem, key: o.tls.keyPem, ca: o.tls.caPem, requestCert: true, rejectUnauthorized: true }, (req, res) => void this.onRequest(req, res));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => void this.onUpgrade(req, socket, head));
  }

  /** A renewed serving certificate: new connections use it. */
  updateServingCertificate(certPem: string, keyPem: string): void {
    this.server.setSecureContext({ cert: certPem, key: keyPem, ca: this.o.tls.caPem });
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port, this.o.host ?? '0.0.0.0', () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  async close(): Promise<void> {
    for (const a of this.aborts) a.abort();
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    try {
      if (url.pathname === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        return;
      }
      if (url.pathname.replace(/\/$/, '') === '/stats/summary' && req.method === 'GET' && this.o.backend.statsSummary) {
        const body = JSON.stringify(await this.o.backend.statsSummary());
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
        return;
      }
      if (parts[0] === 'containerLogs' && parts.length === 4 && req.method === 'GET') {
        await this.logs(parts[1], parts[2], parts[3], url.searchParams, req, res);
        return;
      }
      throw new HttpError(404, `404 page not found`);
    } catch (e) {
      const code = e instanceof HttpError ? e.code : 500;
      if (!res.headersSent) res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(e instanceof Error ? e.message : String(e));
    }
  }

  private async logs(namespace: string, name: string, container: string, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pod = this.o.backend.pod(namespace, name);
    if (!pod) throw new HttpError(404, `pod "${name}" not found`);
    const previous = q.get('previous') === 'true';
    const path = this.o.backend.logPath(pod, container, previous);
    if (!path) {
      if (previous) throw new HttpError(400, `previous terminated container "${container}" in pod "${name}" not found`);
      throw new HttpError(400, `container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
    }
    const opts: LogOptions = {
      follow: q.get('follow') === 'true' && !previous,
      timestamps: q.get('timestamps') === 'true',
    };
    if (q.has('tailLines')) opts.tailLines = Number(q.get('tailLines'));
    if (q.has('limitBytes')) opts.limitBytes = Number(q.get('limitBytes'));
    if (q.has('sinceSeconds')) opts.sinceMs = Date.now() - Number(q.get('sinceSeconds')) * 1000;
    if (q.has('sinceTime')) opts.sinceMs = Date.parse(q.get('sinceTime')!);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.flushHeaders();
    const ac = new AbortController();
    this.aborts.add(ac);
    req.on('close', () => ac.abort());
    res.on('close', () => ac.abort());
    try {
      await streamLogs(path, opts, res, () => this.o.backend.isRunning(pod, container), ac.signal);
    } finally {
      this.aborts.delete(ac);
      res.end();
    }
  }

  private async onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const fail = (code: number, msg: string) => {
      socket.end(`HTTP/1.1 ${code} ${code === 404 ? 'Not Found' : code === 400 ? 'Bad Request' : 'Internal Server Error'}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(msg)}\r\nConnection: close\r\n\r\n${msg}`);
    };
    try {
      const kind = parts[0];
      if (kind !== 'exec' && kind !== 'attach' && kind !== 'portForward') return fail(404, '404 page not found');
      const pod = this.o.backend.pod(parts[1], parts[2]);
      if (!pod) return fail(404, `pod "${parts[2]}" not found`);
      if (!this.o.backend.upgrade) return fail(400, 'streaming is not supported by this kubelet');
      await this.o.backend.upgrade(kind, pod, parts[3] ?? '', url.searchParams, req, socket, head);
    } catch (e) {
      if (socket.writable) fail(e instanceof HttpError ? e.code : 500, e instanceof Error ? e.message : String(e));
    }
  }
}

export { HttpError as KubeletHttpError };
