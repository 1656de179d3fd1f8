// Service backends to endpoint addresses: the Ingress port (number or name)
// resolved through the Service's ports, then the ready endpoints of the
// Service's EndpointSlices for that port, chosen round robin. Results are
// cached until a Service or EndpointSlice changes.

import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ServiceBackend } from './routes.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface Endpoint {
  host: string;
  port: number;
}

/** What the resolver reads: the informers' caches. */
export interface BackendView {
  service(namespace: string, name: string): Service | undefined;
  endpointSlices(namespace: string, serviceName: string): EndpointSlice[];
}

export type Resolution = { ok: true; endpoints: Endpoint[] } | { ok: false; reason: string };

/** The ready endpoints of a Service backend (pure). */
export function resolveEndpoints(view: BackendView, b: ServiceBackend): Resolution {
  const svc = view.service(b.namespace, b.service);
  if (!svc) return { ok: false, reason: `service ${b.namespace}/${b.service} not found` };
  if (svc.spec?.type === 'ExternalName') {
    // As ingress-nginx: the external name itself, on the Ingress's port number (or the named Service port).
    const named = typeof b.port === 'string' ? svc.spec.ports?.find((p) => p.name === b.port)?.port : b.port;
    if (!svc.spec.externalName || named === undefined) return { ok: false, reason: `service ${b.namespace}/${b.service} has no external name or port ${b.port}` };
    return { ok: true, endpoints: [{ host: svc.spec.externalName, port: named }] };
  }
  const sp = (svc.spec?.ports ?? []).find((p) => (typeof b.port === 'number' ? p.port === b.port : p.name === b.port));
  if (!sp) return { ok: false, reason: `service ${b.namespace}/${b.service} has no port ${b.port}` };
  if ((sp.protocol ?? 'TCP') !== 'TCP') return { ok: false, reason: `service port ${b.port} is not TCP` };
  const portName = sp.name ?? '';
  const seen = new Set<string>();
  const endpoints: Endpoint[] = [];
  for (const slice of view.endpointSlices(b.namespace, b.service)) {
    if (slice.addressType === 'FQDN') continue;
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === 'TCP');
    if (port?.port === undefined || port.port === null) continue;
    for (const ep of slice.endpoints ?? []) {
      // ready unset means ready (EndpointSlice API); terminating endpoints are not.
      if (ep.conditions?.ready === false) continue;
      for (const addr of ep.addresses ?? []) {
        const key = `${addr}|${port.port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        endpoints.push({ host: addr, port: port.port });
      }
    }
  }
  endpoints.sort((a, b2) => (a.host === b2.host ? a.port - b2.port : a.host < b2.host ? -1 : 1));
  return { ok: true, endpoints };
}

/** Round-robin picker over cached resolutions; `invalidate()` on any Service or EndpointSlice event. */
export class EndpointPicker {
  private cache = new Map<string, Resolution>();
  private readonly next = new Map<string, number>();

  constructor(private readonly view: BackendView) {}

  invalidate(): void {
    this.cache = new Map();
  }

  resolve(b: ServiceBackend): Resolution {
    const key = `${b.namespace}/${b.service}:${b.port}`;
    let r = this.cache.get(key);
    if (!r) this.cache.set(key, (r = resolveEndpoints(this.view, b)));
    return r;
  }

  /** The next endpoint, or why there is none. */
  pick(b: ServiceBackend): Endpoint | { reason: string } {
    const r = this.resolve(b);
    if (!r.ok) return { reason: r.reason };
    if (r.endpoints.length === 0) return { reason: `service ${b.namespace}/${b.service} has no ready endpoints` };
    const key = `${b.namespace}/${b.service}:${b.port}`;
    const i = (this.next.get(key) ?? 0) % r.endpoints.length;
    this.next.set(key, i + 1);
    return r.endpoints[i];
  }
}
