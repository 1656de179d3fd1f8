// Calls an admission webhook: one HTTPS POST of an AdmissionReview, the
// server's certificate checked against clientConfig.caBundle (the system's
// roots without one) and the name the configuration gives (the URL's host, or
// `<service>.<namespace>.svc` for a Service reference). Upstream's API server
// dials a Service by its DNS name from inside the cluster network; kts's runs
// on the host, so a Service is resolved here, through the watch caches, to a
// ready endpoint (or its ClusterIP when it has none), while the certificate is
// still verified for the Service's DNS name.

import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

/** Where to send a review, and how to verify the server. */
export interface WebhookTarget {
  /** The URL upstream shows in its errors (`https://svc.ns.svc:443/path` for Services). */
  url: string;
  /** Address and port actually dialled. */
  host: string;
  port: number;
  path: string;
  /** The name the certificate must be valid for. */
  serverName: string;
  ca?: string;
}

export class WebhookCallError extends Error {}

/** A Service reference resolved to something reachable from the API server. */
export interface ServiceResolver {
  resolve(namespace: string, name: string, port: number): { host: string; port: number } | string;
}

/** The target of a webhook's clientConfig; a string is why it cannot be reached. */
export function webhookTarget(cc: any, resolver: ServiceResolver): WebhookTarget | string {
  const ca = cc?.caBundle ? Buffer.from(String(cc.caBundle), 'base64').toString('utf8') : undefined;
  if (cc?.url) {
    const u = new URL(String(cc.url));
    const host = u.hostname.replace(/^\[|\]$/g, '');
    return { url: String(cc.url), host, port: u.port ? Number(u.port) : 443, path: `${u.pathname}${u.search}`, serverName: host, ca };
  }
  const svc = cc?.service ?? {};
  const port = typeof svc.port === 'number' ? svc.port : 443;
  const dnsName = `${svc.name}.${svc.namespace}.svc`;
  const path = svc.path ? String(svc.path) : '/';
  const url = `https://${dnsName}:${port}${path}`;
  const r = resolver.resolve(String(svc.namespace), String(svc.name), port);
  if (typeof r === 'string') return r;
  return { url, host: r.host, port: r.port, path, serverName: dnsName, ca };
}

/**
 * POSTs the review and returns the parsed response body. Errors are
 * phrased as Go's HTTP client phrases them (upstream shows those texts).
 */
export function callWebhook(t: WebhookTarget, review: unknown, timeoutSeconds: number): Promise<any> {
  const url = `${t.url}${t.url.includes('?') ? '&' : '?'}timeout=${timeoutSeconds}s`;
  const body = Buffer.from(JSON.stringify(review));
  const pathWithTimeout = `${t.path}${t.path.includes('?') ? '&' : '?'}timeout=${timeoutSeconds}s`;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new WebhookCallError(`Post ${JSON.stringify(url)}: ${why}`));
    };
    const req = https.request(
      {
        host: t.host,
        port: t.port,
        path: pathWithTimeout,
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': body.length },
        ca: t.ca,
        servername: net.isIP(t.serverName) ? undefined : t.serverName,
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(t.serverName, cert),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => fail(e.message));
        res.on('end', () => {
          if (settled) return;
          const text = Buffer.concat(chunks).toString('utf8');
          const code = res.statusCode ?? 0;
          if (code < 200 || code >= 300) return fail(`${code} ${res.statusMessage ?? ''}`.trim() + (text ? `: ${text.trim().slice(0, 256)}` : ''));
          let parsed: any;
          try {
            parsed = JSON.parse(text);
          } catch (e) {
            return fail(`invalid response body: ${(e as Error).message}`);
          }
          settled = true;
          clearTimeout(timer);
          resolve(parsed);
        });
      },
    );
    const timer = setTimeout(() => {
      fail('context deadline exceeded');
      req.destroy();
    }, timeoutSeconds * 1000);
    req.on('error', (e: NodeJS.ErrnoException) => fail(goNetError(e, t)));
    req.end(body);
  });
}

/** Node's connection and TLS errors in the words of Go's net/http and crypto/tls. */
function goNetError(e: NodeJS.ErrnoException, t: WebhookTarget): string {
  const addr = `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${addr}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${addr}: connect: network is unreachable`;
    case 'ECONNRESET':
      return 'EOF';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'CERT_HAS_EXPIRED':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: certificate is not valid for ${t.serverName}`;
    default:
      return e.message;
  }
}
