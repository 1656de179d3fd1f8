// The API client for components on other machines (agents): HTTP/2 over
// TLS, authenticated with a client certificate or a bearer token, usually
// built from a kubeconfig. All requests share one HTTP/2 session, which is
// reopened on the next request after it closes. Watches are long-lived
// streams of newline-delimited JSON events; when one ends the caller
// (normally an Informer) decides how to resume.

import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import YAML from 'yaml';
import { ApiRequestError, PATCH_CONTENT_TYPES, type ApiClient, type PatchType, type WatchEvent, type WatchHandle } from './types.js';

export interface HttpClientOptions {
  /** `https://host:port`, optionally with a path prefix. */
  server: string;
  /** PEM of the CA that signed the server certificate (default: the system roots). */
  ca?: string | Buffer;
  /** Client certificate and key (PEM). */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Bearer token, or a file to read it from (re-read at most once a minute, for rotated tokens). */
  token?: string;
  tokenFile?: string;
  insecureSkipTLSVerify?: boolean;
  /** Name to verify the server certificate against, when it differs from the URL's host. */
  tlsServerName?: string;
  /** Deadline for non-watch requests (default 60 s; 0: none). */
  requestTimeoutMs?: number;
  userAgent?: string;
  /** The kubeconfig context's namespace, if any (informational). */
  namespace?: string;
}

const TOKEN_FILE_REFRESH_MS = 60_000;

export class HttpClient implements ApiClient {
  private session: http2.ClientHttp2Session | undefined;
  private readonly origin: string;
  private readonly prefix: string;
  private tokenCache: { value: string; readAt: number } | undefined;
  private closed = false;
  private readonly streams = new Set<http2.ClientHttp2Stream>();

  constructor(private readonly opts: HttpClientOptions) {
    const u = new URL(opts.server);
    if (u.protocol !== 'https:') throw new Error(`server must be an https URL, got ${opts.server}`);
    this.origin = u.origin;
    this.prefix = u.pathname.replace(/\/+$/, '');
  }

  /** Builds a client from a kubeconfig file (its current context unless `context` is given). */
  static fromKubeconfig(path: string, opts: { context?: string; requestTimeoutMs?: number } = {}): HttpClient {
    return new HttpClient({ ...kubeconfigToOptions(readFileSync(path, 'utf8'), dirname(path), opts.context), requestTimeoutMs: opts.requestTimeoutMs });
  }

  get namespace(): string | undefined {
    return this.opts.namespace;
  }

  /**
   * Uses a new client certificate (after rotation): new requests go over a
   * new connection; requests and watches on the old one finish there.
   */
  updateClientCertificate(cert: string, key: string): void {
    this.opts.cert = cert;
    this.opts.key = key;
    const old = this.session;
    this.session = undefined;
    old?.close();
  }

  /** Closes the connection and every open watch. */
  close(): void {
    this.closed = true;
    for (const s of this.streams) s.close(http2.constants.NGHTTP2_CANCEL);
    this.streams.clear();
    this.session?.close();
    this.session?.destroy();
    this.session = undefined;
  }

  private connect(): http2.ClientHttp2Session {
    if (this.closed) throw new Error('client is closed');
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const s = http2.connect(this.origin, {
      ca: this.opts.ca,
      cert: this.opts.cert,
      key: this.opts.key,
      rejectUnauthorized: !this.opts.insecureSkipTLSVerify,
      servername: this.opts.tlsServerName,
      ALPNProtocols: ['h2'],
    });
    // Without a listener a session error would crash the process; streams see their own errors.
    s.on('error', () => {
      if (this.session === s) this.session = undefined;
    });
    s.on('goaway', () => {
      if (this.session === s) this.session = undefined;
    });
    s.on('close', () => {
      if (this.session === s) this.session = undefined;
    });
    this.session = s;
    return s;
  }

  private token(): string | undefined {
    if (this.opts.token) return this.opts.token;
    if (!this.opts.tokenFile) return undefined;
    const now = Date.now();
    if (!this.tokenCache || now - this.tokenCache.readAt > TOKEN_FILE_REFRESH_MS) {
      this.tokenCache = { value: readFileSync(this.opts.tokenFile, 'utf8').trim(), readAt: now };
    }
    return this.tokenCache.value;
  }

  private open(method: string, path: string, contentType?: string): http2.ClientHttp2Stream {
    const headers: http2.OutgoingHttpHeaders = {
      ':method': method,
      ':path': this.prefix + path,
      accept: 'application/json',
      'user-agent': this.opts.userAgent ?? 'kts-client',
    };
    if (contentType) headers['content-type'] = contentType;
    const token = this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    const session = this.connect();
    const stream = session.request(headers);
    this.streams.add(stream);
    // An idle connection does not keep the process alive; an open request or watch does.
    session.ref();
    stream.on('close', () => {
      this.streams.delete(stream);
      if (this.streams.size === 0 && !session.destroyed) session.unref();
    });
    return stream;
  }

  request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<any> {
    return new Promise((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.open(method, path, body === undefined ? undefined : contentType);
      } catch (e) {
        reject(e);
        return;
      }
      let status = 0;
      let resContentType = '';
      let text = '';
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        reject(e);
      };
      stream.setEncoding('utf8');
      const timeout = this.opts.requestTimeoutMs ?? 60_000;
      if (timeout > 0) {
        stream.setTimeout(timeout, () => {
          fail(new Error(`${method} ${path}: timed out after ${timeout} ms`));
          stream.close(http2.constants.NGHTTP2_CANCEL);
        });
      }
      stream.on('response', (h) => {
        status = Number(h[':status']);
        resContentType = String(h['content-type'] ?? '');
      });
      stream.on('data', (chunk: string) => {
        text += chunk;
      });
      stream.on('end', () => {
        if (settled) return;
        settled = true;
        const parsed = parseBody(resContentType, text);
        if (status >= 400 || status === 0) reject(new ApiRequestError(status, asStatus(status, parsed)));
        else resolve(parsed);
      });
      stream.on('error', fail);
      stream.on('close', () => fail(new Error(`${method} ${path}: stream closed before a response`)));
      stream.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
    });
  }

  get(path: string): Promise<any> {
    return this.request('GET', path);
  }
  create(path: string, obj: unknown): Promise<any> {
    return this.request('POST', path, obj);
  }
  update(path: string, obj: unknown): Promise<any> {
    return this.request('PUT', path, obj);
  }
  patch(path: string, patch: unknown, type: PatchType = 'merge'): Promise<any> {
    return this.request('PATCH', path, patch, PATCH_CONTENT_TYPES[type]);
  }
  delete(path: string, options?: unknown): Promise<any> {
    return this.request('DELETE', path, options);
  }

  watch(path: string, onEvent: (ev: WatchEvent) => void, onEnd?: (err?: Error) => void): Promise<WatchHandle> {
    const url = new URL(path, 'https://x');
    url.searchParams.set('watch', 'true');
    return new Promise((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.open('GET', url.pathname + url.search);
      } catch (e) {
        reject(e);
        return;
      }
      stream.setEncoding('utf8');
      let status = 0;
      let resContentType = '';
      let accepted = false;
      let finished = false;
      let stopped = false;
      let buffer = '';
      let errorBody = '';
      const handle: WatchHandle = {
        stop: () => {
          if (stopped) return;
          stopped = true;
          stream.close(http2.constants.NGHTTP2_CANCEL);
        },
      };
      const finish = (err?: Error) => {
        if (finished) return;
        finished = true;
        if (!accepted) {
          reject(err ?? new ApiRequestError(status, asStatus(status, parseBody(resContentType, errorBody))));
          return;
        }
        if (stopped) return;
        if (buffer.trim()) deliver(buffer);
        buffer = '';
        onEnd?.(err);
      };
      const deliver = (line: string) => {
        if (stopped || !line.trim()) return;
        let ev: WatchEvent;
        try {
          ev = JSON.parse(line);
        } catch {
          return;
        }
        try {
          onEvent(ev);
        } catch {
          // A handler's failure is the handler's problem, not the stream's.
        }
      };
      stream.on('response', (h) => {
        status = Number(h[':status']);
        resContentType = String(h['content-type'] ?? '');
        if (status === 200) {
          accepted = true;
          resolve(handle);
        }
      });
      stream.on('data', (chunk: string) => {
        if (!accepted) {
          errorBody += chunk;
          return;
        }
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          deliver(line);
        }
      });
      stream.on('end', () => finish());
      stream.on('error', (e) => finish(e));
      stream.on('close', () => finish(accepted || status ? undefined : new Error(`watch ${path}: stream closed before a response`)));
      stream.end();
    });
  }
}

function parseBody(contentType: string, text: string): any {
  if (!contentType.startsWith('application/json') && !text.startsWith('{')) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The response as a metav1.Status: the server's own when it sent one. */
function asStatus(code: number, body: any): any {
  if (body && typeof body === 'object' && body.kind === 'Status') return body;
  const message = typeof body === 'string' && body ? body.trim() : `the server responded with status ${code}`;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: reasonForCode(code), code };
}

function reasonForCode(code: number): string {
  switch (code) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 405:
      return 'MethodNotAllowed';
    case 409:
      return 'Conflict';
    case 410:
      return 'Expired';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    case 504:
      return 'Timeout';
    default:
      return code >= 500 ? 'InternalError' : 'Unknown';
  }
}

/** Reads the connection settings of a kubeconfig context. Relative file paths are relative to `baseDir`. */
export function kubeconfigToOptions(yamlText: string, baseDir = '.', contextName?: string): HttpClientOptions {
  const doc: any = YAML.parse(yamlText) ?? {};
  const name = contextName ?? doc['current-context'];
  const ctx = (doc.contexts ?? []).find((c: any) => c?.name === name)?.context;
  if (!ctx) throw new Error(name ? `kubeconfig has no context ${JSON.stringify(name)}` : 'kubeconfig has no current-context');
  const cluster = (doc.clusters ?? []).find((c: any) => c?.name === ctx.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`kubeconfig has no cluster ${JSON.stringify(ctx.cluster)} with a server`);
  const user = (doc.users ?? []).find((u: any) => u?.name === ctx.user)?.user ?? {};
  const file = (p: string) => readFileSync(isAbsolute(p) ? p : join(baseDir, p));
  const dataOrFile = (data: unknown, path: unknown): Buffer | undefined => {
    if (typeof data === 'string' && data) return Buffer.from(data, 'base64');
    if (typeof path === 'string' && path) return file(path);
    return undefined;
  };
  const tokenFile = typeof user.tokenFile === 'string' && user.tokenFile ? (isAbsolute(user.tokenFile) ? user.tokenFile : join(baseDir, user.tokenFile)) : undefined;
  return {
    server: cluster.server,
    ca: dataOrFile(cluster['certificate-authority-data'], cluster['certificate-authority']),
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: cluster['tls-server-name'] || undefined,
    cert: dataOrFile(user['client-certificate-data'], user['client-certificate']),
    key: dataOrFile(user['client-key-data'], user['client-key']),
    token: typeof user.token === 'string' && user.token ? user.token : undefined,
    tokenFile,
    namespace: typeof ctx.namespace === 'string' ? ctx.namespace : undefined,
  };
}
