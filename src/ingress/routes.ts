// The route table: every served Ingress merged into one lookup from
// (host, path) to a backend, and from an SNI name to a TLS Secret. Pure, no
// I/O, so the precedence rules are tested in milliseconds.
//
// Precedence (networking.k8s.io/v1 where it speaks, ingress-nginx where not):
// - hosts: an exact host before a wildcard (`*.example.com` matches exactly one
//   more label), before rules without a host (which apply to every host). A
//   request tries those groups in that order and takes the first path match,
//   so a host-less rule still serves a path a host rule does not have.
// - paths: the longest matching path wins; at equal length Exact before Prefix.
//   Prefix matches element-wise (`/foo` matches `/foo`, `/foo/` and `/foo/bar`,
//   not `/foobar`); ImplementationSpecific is treated as Prefix.
// - the same (host, path type, path) in several Ingresses: the oldest Ingress
//   (creationTimestamp, then namespace/name) wins, as ingress-nginx.
// - no rule matches: the host's Ingress defaultBackend (oldest Ingress naming
//   that host and having one), else the oldest Ingress defaultBackend, else 404.

import type { Ingress, IngressBackend } from 'kubernetes-types/networking/v1.js';

/** A Service backend as the proxy needs it. `port` is a number or a port name. */
export interface ServiceBackend {
  namespace: string;
  service: string;
  port: number | string;
}

/** What a request resolves to: a Service backend, or a backend kts does not serve (a `resource` backend, an empty one). */
export type Backend = { kind: 'service'; target: ServiceBackend; ingress: string } | { kind: 'unsupported'; reason: string; ingress: string };

export interface PathRoute {
  /** Normalized path (Prefix: no trailing slash except `/` itself). */
  path: string;
  exact: boolean;
  backend: Backend;
}

interface HostRoutes {
  paths: PathRoute[]; // sorted by precedence
  defaultBackend?: Backend;
}

export interface TlsRef {
  namespace: string;
  secretName: string;
}

export interface RouteMatch {
  backend: Backend | undefined;
  /** The host group the answer came from ('' for host-less rules or the default backend). */
  host: string;
  path?: string;
}

/** Ingresses ordered oldest first: creationTimestamp, then namespace/name. */
export function sortOldestFirst(ingresses: Ingress[]): Ingress[] {
  const key = (i: Ingress) => `${i.metadata?.namespace ?? ''}/${i.metadata?.name ?? ''}`;
  return [...ingresses].sort((a, b) => {
    const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
    if (ta !== tb) return ta - tb;
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

function toBackend(b: IngressBackend | undefined, namespace: string, ingress: string): Backend | undefined {
  if (!b) return undefined;
  if (b.service?.name) {
    const port = b.service.port?.number ?? b.service.port?.name;
    if (port === undefined || port === '') return { kind: 'unsupported', reason: 'service backend without a port', ingress };
    return { kind: 'service', target: { namespace, service: b.service.name, port }, ingress };
  }
  if (b.resource) return { kind: 'unsupported', reason: 'resource backends are not supported', ingress };
  return { kind: 'unsupported', reason: 'empty backend', ingress };
}

/** Prefix paths compare without a trailing slash; `/` stays `/`. */
export function normalizePrefix(path: string): string {
  let p = path.startsWith('/') ? path : `/${path}`;
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

/** Element-wise prefix match of a normalized rule path against a request path. */
export function prefixMatches(rule: string, requestPath: string): boolean {
  if (rule === '/') return true;
  if (!requestPath.startsWith(rule)) return false;
  return requestPath.length === rule.length || requestPath[rule.length] === '/';
}

/** A wildcard host `*.example.com` matches exactly one extra label: `a.example.com`, not `example.com` or `a.b.example.com`. */
export function wildcardMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1); // ".example.com"
  if (!host.endsWith(suffix)) return false;
  const label = host.slice(0, host.length - suffix.length);
  return label.length > 0 && !label.includes('.');
}

/** The request's host without port and trailing dot, lower-cased. */
export function normalizeHost(hostHeader: string | undefined): string {
  let h = (hostHeader ?? '').trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    h = end > 0 ? h.slice(0, end + 1) : h;
  } else {
    const colon = h.lastIndexOf(':');
    if (colon >= 0 && h.indexOf(':') === colon) h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

function comparePaths(a: PathRoute, b: PathRoute): number {
  if (a.path.length !== b.path.length) return b.path.length - a.path.length;
  if (a.exact !== b.exact) return a.exact ? -1 : 1;
  return 0;
}

export class RouteTable {
  private readonly exactHosts = new Map<string, HostRoutes>();
  private readonly wildcardHosts = new Map<string, HostRoutes>(); // key "*.example.com"
  private readonly anyHost: HostRoutes = { paths: [] };
  private defaultBackend: Backend | undefined;
  private readonly tlsExact = new Map<string, TlsRef>();
  private readonly tlsWildcard = new Map<string, TlsRef>();
  /** Hosts with a TLS section (for the optional HTTP to HTTPS redirect). */
  readonly tlsHosts = new Set<string>();
  /** Secrets named by served Ingresses, as `namespace/name`. */
  readonly secretKeys = new Set<string>();
  /** Rules shadowed by an older Ingress, for diagnostics: `host path (type) in ns/name`. */
  readonly conflicts: string[] = [];

  /** Builds the table from the served Ingresses (any order; sorted here). */
  static build(ingresses: Ingress[]): RouteTable {
    const t = new RouteTable();
    const seen = new Map<string, string>();
    for (const ing of sortOldestFirst(ingresses)) {
      const ns = ing.metadata?.namespace ?? 'default';
      const id = `${ns}/${ing.metadata?.name ?? ''}`;
      const spec = ing.spec ?? {};
      const def = toBackend(spec.defaultBackend, ns, id);
      if (def && !t.defaultBackend) t.defaultBackend = def;
      for (const rule of spec.rules ?? []) {
        const host = (rule.host ?? '').toLowerCase();
        const group = t.group(host);
        if (def && !group.defaultBackend && host) group.defaultBackend = def;
        for (const p of rule.http?.paths ?? []) {
          const exact = p.pathType === 'Exact';
          const path = exact ? p.path || '/' : normalizePrefix(p.path || '/');
          const key = `${host} ${exact ? 'Exact' : 'Prefix'} ${path}`;
          const owner = seen.get(key);
          if (owner !== undefined) {
            if (owner !== id) t.conflicts.push(`${host || '*'} ${path} (${exact ? 'Exact' : 'Prefix'}) in ${id} shadowed by ${owner}`);
            continue;
          }
          const backend = toBackend(p.backend, ns, id);
          if (!backend) continue;
          seen.set(key, id);
          group.paths.push({ path, exact, backend });
        }
      }
      for (const tls of spec.tls ?? []) {
        if (!tls.secretName) continue;
        const ref = { namespace: ns, secretName: tls.secretName };
        t.secretKeys.add(`${ns}/${tls.secretName}`);
        // No hosts: the certificate covers the Ingress's own rule hosts.
        const hosts = tls.hosts?.length ? tls.hosts : (spec.rules ?? []).map((r) => r.host ?? '').filter(Boolean);
        for (const h of hosts) {
          const host = h.toLowerCase();
          t.tlsHosts.add(host);
          const m = host.startsWith('*.') ? t.tlsWildcard : t.tlsExact;
          if (!m.has(host)) m.set(host, ref);
        }
      }
    }
    for (const g of [...t.exactHosts.values(), ...t.wildcardHosts.values(), t.anyHost]) g.paths.sort(comparePaths);
    return t;
  }

  private group(host: string): HostRoutes {
    if (!host) return this.anyHost;
    const m = host.startsWith('*.') ? this.wildcardHosts : this.exactHosts;
    let g = m.get(host);
    if (!g) m.set(host, (g = { paths: [] }));
    return g;
  }

  /** The host groups a request host falls into, most specific first. */
  private groupsFor(host: string): Array<[string, HostRoutes]> {
    const out: Array<[string, HostRoutes]> = [];
    const exact = this.exactHosts.get(host);
    if (exact) out.push([host, exact]);
    const dot = host.indexOf('.');
    if (dot > 0) {
      const w = `*${host.slice(dot)}`;
      const wild = this.wildcardHosts.get(w);
      if (wild) out.push([w, wild]);
    }
    out.push(['', this.anyHost]);
    return out;
  }

  /** Resolves a request. `path` may carry a query string. */
  match(hostHeader: string | undefined, rawPath: string): RouteMatch {
    const host = normalizeHost(hostHeader);
    let path = rawPath || '/';
    const q = path.indexOf('?');
    if (q >= 0) path = path.slice(0, q);
    if (!path.startsWith('/')) path = `/${path}`;
    const groups = this.groupsFor(host);
    for (const [name, g] of groups) {
      for (const r of g.paths) {
        if (r.exact ? r.path === path : prefixMatches(r.path, path)) return { backend: r.backend, host: name, path: r.path };
      }
    }
    for (const [name, g] of groups) if (g.defaultBackend) return { backend: g.defaultBackend, host: name };
    return { backend: this.defaultBackend, host: '' };
  }

  /** The TLS Secret for an SNI name: exact host, then a one-label wildcard. */
  tlsFor(serverName: string): TlsRef | undefined {
    const host = serverName.toLowerCase();
    const exact = this.tlsExact.get(host);
    if (exact) return exact;
    const dot = host.indexOf('.');
    return dot > 0 ? this.tlsWildcard.get(`*${host.slice(dot)}`) : undefined;
  }

  /** True when the host has a TLS section (exact or wildcard). */
  hasTls(hostHeader: string | undefined): boolean {
    return this.tlsFor(normalizeHost(hostHeader)) !== undefined;
  }
}
