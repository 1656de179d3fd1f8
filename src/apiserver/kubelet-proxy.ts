/**
 * The API server's side of the node subresources: finds the kubelet that runs
 * a pod (the Node's InternalIP and kubelet port), checks the request as
 * upstream does (container names, scheduling), and opens the request to the
 * kubelet API with the API server's kubelet-client certificate. Log streams
 * are piped through; exec, attach and port-forward upgrades are relayed as
 * raw bytes once the kubelet accepts them.
 */
import https from 'node:https';
import tls from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest, internalError } from './errors.js';

export interface KubeletClientTLS {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface KubeletLocation {
  host: string;
  port: number;
}

export function kubeletLocation(node: any): KubeletLocation {
  const addrs: any[] = node?.status?.addresses ?? [];
  const addr = addrs.find((a) => a.type === 'InternalIP') ?? addrs.find((a) => a.type === 'ExternalIP') ?? addrs.find((a) => a.type === 'Hostname');
  const port = node?.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!addr?.address || !port) throw badRequest(`node "${node?.metadata?.name}" has no kubelet address`);
  return { host: addr.address, port };
}

/** The container a pod subresource addresses, validated as upstream does. */
export function resolveContainer(pod: any, requested: string | null, allowInit = true): string {
  const name = pod.metadata.name;
  const containers: string[] = (pod.spec?.containers ?? []).map((c: any) => c.name);
  const inits: string[] = (pod.spec?.initContainers ?? []).map((c: any) => c.name);
  const ephemeral: string[] = (pod.spec?.ephemeralContainers ?? []).map((c: any) => c.name);
  if (!requested) {
    if (containers.length === 1) return containers[0];
    let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
    if (inits.length) msg += ` or one of the init containers: [${inits.join(' ')}]`;
    if (ephemeral.length) msg += ` or one of the ephemeral containers: [${ephemeral.join(' ')}]`;
    throw badRequest(msg);
  }
  if (containers.includes(requested) || ephemeral.includes(requested) || (allowInit && inits.includes(requested))) return requested;
  throw badRequest(`container ${requested} is not valid for pod ${name}`);
}

export function requireHost(pod: any): string {
  const node = pod.spec?.nodeName;
  if (!node) throw badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  return node;
}

/** GET to the kubelet; resolves with the response once its headers arrived (a non-200 becomes a Status error). */
export function kubeletGet(loc: KubeletLocation, tlsOpts: KubeletClientTLS, path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: loc.host, port: loc.port, path, method: 'GET', ca: tlsOpts.caPem, cert: tlsOpts.certPem, key: tlsOpts.keyPem, servername: undefined, checkServerIdentity: () => undefined }, (res) => {
      if (res.statusCode === 200) return resolve(res);
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString().trim();
        reject(res.statusCode === 404 || res.statusCode === 400 ? badRequest(text) : internalError(text || `kubelet answered ${res.statusCode}`));
      });
    });
    req.on('error', (e) => reject(internalError(`error dialing backend: ${e.message}`)));
    req.end();
  });
}

/**
 * Relays an upgrade request to the kubelet: writes the request (path
 * rewritten) on a TLS connection, then pipes bytes both ways, the kubelet's
 * 101 (or error) response included.
 */
export function relayUpgrade(loc: KubeletLocation, tlsOpts: KubeletClientTLS, path: string, req: IncomingMessage, client: Duplex, head: Buffer): void {
  const upstream = tls.connect({ host: loc.host, port: loc.port, ca: tlsOpts.caPem, cert: tlsOpts.certPem, key: tlsOpts.keyPem, checkServerIdentity: () => undefined, ALPNProtocols: ['http/1.1'] });
  const lines = [`${req.method} ${path} HTTP/1.1`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const k = req.rawHeaders[i];
    if (/^(host|authorization|impersonate-.*)$/i.test(k)) continue;
    lines.push(`${k}: ${req.rawHeaders[i + 1]}`);
  }
  lines.push(`Host: ${loc.host}:${loc.port}`);
  upstream.once('secureConnect', () => {
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  const close = () => {
    upstream.destroy();
    client.destroy();
  };
  upstream.on('error', (e) => {
    if (client.writable && !upstream.bytesRead) {
      const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `error dialing backend: ${e.message}`, reason: 'InternalError', code: 500 });
      client.end(`HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    } else close();
  });
  upstream.on('close', () => client.end());
  client.on('error', close);
  client.on('close', () => upstream.destroy());
}
