// The cluster zone (`cluster.local` by default) answered from a ClusterView,
// following CoreDNS's `kubernetes` plugin, which implements the Kubernetes
// DNS-Based Service Discovery specification:
//
//   <svc>.<ns>.svc.<zone>              A/AAAA: ClusterIPs; headless: ready endpoint addresses;
//                                      ExternalName: CNAME to spec.externalName (chased)
//   <ep>.<svc>.<ns>.svc.<zone>         A/AAAA of the endpoint whose hostname (or dashed IP) is <ep>
//   _<port>._<proto>.<svc>.<ns>.svc.<zone>  SRV per matching named port; target the service
//                                      name, or each endpoint's name for headless services
//   <a-b-c-d>.<ns>.pod.<zone>          A of a pod IP (`pods insecure` checks only the namespace)
//   <reversed ip>.in-addr.arpa / ip6.arpa  PTR of ClusterIPs, then of endpoint addresses
//   dns-version.<zone>                 TXT "1.1.0"
//
// Names that do not exist get NXDOMAIN, names that exist without records
// of the asked type NOERROR with no answers (NODATA); both carry the zone's
// SOA in the authority section. A reverse name we have no record for is
// not ours: the caller forwards it (CoreDNS's `fallthrough in-addr.arpa`).

import { CLASS_IN, RCode, RRType, addressFromReverse, canonicalIP, canonicalName, isIPv4, isIPv6, type Question, type ResourceRecord } from './wire.js';
import { isReady, type ClusterView } from './view.js';

/** Which pod names resolve, as CoreDNS's `pods` option. */
export type PodMode = 'disabled' | 'insecure' | 'verified';

export interface ZoneOptions {
  /** Cluster domain, without trailing dot (default `cluster.local`). */
  domain?: string;
  /** Record TTL in seconds (default 5, CoreDNS's default). */
  ttl?: number;
  /** Default `insecure`, as the Corefile of kubeadm and k3s. */
  podMode?: PodMode;
  /** Name endpoints without a hostname after their pod (CoreDNS `endpoint_pod_names`) instead of their dashed IP. */
  endpointPodNames?: boolean;
}

export interface ZoneAnswer {
  rcode: number;
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
  /**
   * CNAMEs to names outside the zone (ExternalName services) whose target
   * the caller resolves (through the forwarder) for the question's type;
   * the CNAME and the records found are appended to the answer, and the
   * CNAME is left out when the lookup fails, as CoreDNS does.
   */
  chase?: Array<{ cname: ResourceRecord; target: string; type: number }>;
}

export const DNS_SCHEMA_VERSION = '1.1.0';

/** What CoreDNS calls a msg.Service: one candidate record. */
interface Entry {
  /** An address, or a name for ExternalName. */
  host: string;
  /** -1: no port (headless services without ports). */
  port: number;
  /** The name SRV points at for this entry. */
  target: string;
}

class NameError extends Error {}
const nameError = new NameError('no such name');

interface ParsedName {
  podOrSvc: '' | 'svc' | 'pod';
  namespace: string;
  service: string;
  endpoint: string;
  port: string;
  protocol: string;
}

export class ClusterZone {
  readonly domain: string;
  readonly ttl: number;
  readonly podMode: PodMode;
  private readonly endpointPodNames: boolean;
  private readonly suffix: string;

  constructor(
    private readonly view: ClusterView,
    opts: ZoneOptions = {},
  ) {
    this.domain = canonicalName(opts.domain ?? 'cluster.local');
    this.suffix = '.' + this.domain;
    this.ttl = opts.ttl ?? 5;
    this.podMode = opts.podMode ?? 'insecure';
    this.endpointPodNames = opts.endpointPodNames ?? false;
  }

  /** True for names this zone is authoritative for (the domain and below). */
  inZone(name: string): boolean {
    const n = canonicalName(name);
    return n === this.domain || n.endsWith(this.suffix);
  }

  soa(): ResourceRecord {
    return {
      name: this.domain,
      type: RRType.SOA,
      class: CLASS_IN,
      ttl: Math.min(this.ttl, 300),
      data: { mname: `ns.dns.${this.domain}`, rname: `hostmaster.${this.domain}`, serial: this.view.serial() >>> 0, refresh: 7200, retry: 1800, expire: 86400, minimum: this.ttl },
    };
  }

  /** The answer for one question, or undefined when the question is not ours (forward it). */
  answer(q: Question): ZoneAnswer | undefined {
    if (q.class !== CLASS_IN && q.class !== 255) return undefined;
    const name = canonicalName(q.name);
    if (!this.inZone(name)) {
      if (q.type === RRType.PTR) return this.reverse(q);
      return undefined;
    }
    try {
      const out = this.lookup(q, name);
      if (out.rcode === RCode.NOERROR && out.answers.length === 0 && !out.chase?.length) out.authorities.push(this.soa());
      return out;
    } catch (e) {
      if (!(e instanceof NameError)) throw e;
      // Until the caches are filled an absent name may just not be known yet.
      const rcode = this.view.synced() ? RCode.NXDOMAIN : RCode.SERVFAIL;
      return { rcode, answers: [], authorities: [this.soa()], additionals: [] };
    }
  }

  private ok(answers: ResourceRecord[] = [], additionals: ResourceRecord[] = []): ZoneAnswer {
    return { rcode: RCode.NOERROR, answers, authorities: [], additionals };
  }

  private lookup(q: Question, name: string): ZoneAnswer {
    switch (q.type) {
      case RRType.A:
      case RRType.AAAA: {
        const out = this.ok();
        this.addresses(q.name, name, q.type, out, 0);
        return out;
      }
      case RRType.SRV:
        return this.srv(q.name, name);
      case RRType.CNAME: {
        const entries = this.records(name);
        const ext = entries.find((e) => !isIPv4(e.host) && !isIPv6(e.host));
        return this.ok(ext ? [this.rr(q.name, RRType.CNAME, ext.host)] : []);
      }
      case RRType.TXT: {
        if (name === `dns-version.${this.domain}`) return this.ok([{ name: q.name, type: RRType.TXT, class: CLASS_IN, ttl: 28800, data: [DNS_SCHEMA_VERSION] }]);
        this.records(name); // NXDOMAIN or NODATA
        return this.ok();
      }
      case RRType.SOA:
        return this.ok(name === this.domain ? [{ ...this.soa(), name: q.name }] : []);
      case RRType.NS:
        if (name === this.domain) return this.ok([this.rr(q.name, RRType.NS, `ns.dns.${this.domain}`)]);
        this.records(name);
        return this.ok();
      case RRType.AXFR:
      case RRType.IXFR:
        return { rcode: RCode.REFUSED, answers: [], authorities: [], additionals: [] };
      default:
        // Tells NODATA from NXDOMAIN, as CoreDNS's fake A lookup.
        this.records(name);
        return this.ok();
    }
  }

  private rr(name: string, type: number, data: ResourceRecord['data']): ResourceRecord {
    return { name, type, class: CLASS_IN, ttl: this.ttl, data };
  }

  /** A or AAAA answers for `name` (with in-zone CNAMEs followed, at most 8 deep). */
  private addresses(owner: string, name: string, type: number, out: ZoneAnswer, depth: number): void {
    const seen = new Set<string>();
    for (const e of this.records(name)) {
      const v4 = isIPv4(e.host);
      const v6 = !v4 && isIPv6(e.host);
      if (v4 || v6) {
        if ((type === RRType.A) !== v4 || seen.has(e.host)) continue;
        seen.add(e.host);
        out.answers.push(this.rr(owner, type, e.host));
        continue;
      }
      const target = canonicalName(e.host);
      if (target === name || depth >= 8) continue;
      const cname = this.rr(owner, RRType.CNAME, e.host.replace(/\.$/, ''));
      if (this.inZone(target)) {
        const inner = this.ok();
        try {
          this.addresses(cname.data as string, target, type, inner, depth + 1);
        } catch (err) {
          if (!(err instanceof NameError)) throw err;
        }
        if (inner.answers.length) out.answers.push(cname, ...inner.answers);
        continue;
      }
      (out.chase ??= []).push({ cname, target: cname.data as string, type });
    }
  }

  private srv(owner: string, name: string): ZoneAnswer {
    // ExternalName services have no SRV records.
    const entries = this.records(name).filter((e) => (isIPv4(e.host) || isIPv6(e.host)) && e.port !== -1);
    const out = this.ok();
    if (!entries.length) return out;
    const weight = Math.max(1, Math.floor(100 / entries.length));
    const seenSrv = new Set<string>();
    const seenAddr = new Set<string>();
    for (const e of entries) {
      const k = `${e.target}|${e.port}`;
      if (!seenSrv.has(k)) {
        seenSrv.add(k);
        out.answers.push(this.rr(owner, RRType.SRV, { priority: 0, weight, port: e.port, target: e.target }));
      }
      const a = `${e.target}|${e.host}`;
      if (!seenAddr.has(a)) {
        seenAddr.add(a);
        out.additionals.push(this.rr(e.target, isIPv4(e.host) ? RRType.A : RRType.AAAA, e.host));
      }
    }
    return out;
  }

  private parse(name: string): ParsedName {
    const r: ParsedName = { podOrSvc: '', namespace: '', service: '', endpoint: '', port: '', protocol: '' };
    const base = name === this.domain ? '' : name.slice(0, -this.suffix.length);
    if (base === '' || base === 'svc' || base === 'pod') return r;
    const segs = base.split('.');
    let last = segs.length - 1;
    const kind = segs[last];
    if (kind !== 'svc' && kind !== 'pod') throw nameError;
    r.podOrSvc = kind;
    if (--last < 0) return r;
    r.namespace = segs[last];
    if (--last < 0) return r;
    r.service = segs[last];
    if (--last < 0) return r;
    if (last === 0) r.endpoint = segs[0];
    else if (last === 1) {
      r.protocol = segs[1].replace(/^_/, '');
      r.port = segs[0].replace(/^_/, '');
    } else throw nameError;
    return r;
  }

  /** CoreDNS's Records: the candidate entries for a name, [] for NODATA, NameError for NXDOMAIN. */
  private records(name: string): Entry[] {
    const r = this.parse(name);
    if (r.podOrSvc === '') return [];
    if (!this.view.namespaceExists(r.namespace)) throw nameError;
    return r.podOrSvc === 'pod' ? this.pods(r) : this.services(r);
  }

  private pods(r: ParsedName): Entry[] {
    if (this.podMode === 'disabled') throw nameError;
    if (r.service === '') return [];
    if (r.endpoint || r.port) throw nameError;
    const label = r.service;
    const ip = (label.split('-').length === 4 && !label.includes('--') ? label.replaceAll('-', '.') : label.replaceAll('-', ':'));
    if (!isIPv4(ip) && !isIPv6(ip)) throw nameError;
    const canon = canonicalIP(ip);
    if (this.podMode === 'verified' && !this.view.podsByIP(canon).some((p) => p.metadata?.namespace === r.namespace)) throw nameError;
    return [{ host: canon, port: -1, target: `${label}.${r.namespace}.pod.${this.domain}` }];
  }

  private endpointName(ep: any, address: string): string {
    if (ep.hostname) return ep.hostname;
    if (this.endpointPodNames && ep.targetRef?.name) return ep.targetRef.name;
    return address.replaceAll('.', '-').replaceAll(':', '-');
  }

  private services(r: ParsedName): Entry[] {
    if (r.service === '') return [];
    const svc = this.view.service(r.namespace, r.service);
    if (!svc) throw nameError;
    const spec = svc.spec ?? {};
    const svcName = `${r.service}.${r.namespace}.svc.${this.domain}`;
    const matches = (name: string | undefined, protocol: string | undefined) =>
      (r.port === '' || r.port === (name ?? '').toLowerCase()) && (r.protocol === '' || r.protocol === (protocol ?? 'TCP').toLowerCase());
    const out: Entry[] = [];
    if (spec.type === 'ExternalName') {
      const ext = String(spec.externalName ?? '');
      if (r.endpoint || !ext || isIPv4(ext) || isIPv6(ext)) throw nameError;
      return [{ host: ext, port: -1, target: svcName }];
    }
    const headless = spec.clusterIP === 'None';
    if (headless || r.endpoint) {
      let found = false;
      for (const slice of this.view.endpointSlices(r.namespace, r.service)) {
        if (slice.addressType === 'FQDN') continue;
        const ports: any[] = slice.ports?.length ? slice.ports : [{ port: -1 }];
        for (const ep of slice.endpoints ?? []) {
          if (!isReady(ep)) continue;
          for (const addr of ep.addresses ?? []) {
            const host = canonicalIP(addr);
            const epName = this.endpointName(ep, host);
            if (r.endpoint && r.endpoint !== epName.toLowerCase()) continue;
            for (const p of ports) {
              if (!matches(p.name, p.protocol)) continue;
              found = true;
              out.push({ host, port: p.port ?? -1, target: `${epName}.${svcName}` });
            }
          }
        }
      }
      if (!found) throw nameError;
      return out;
    }
    let found = false;
    const ips: string[] = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
    for (const p of spec.ports ?? []) {
      if (!matches(p.name, p.protocol)) continue;
      found = true;
      for (const ip of ips) out.push({ host: canonicalIP(ip), port: p.port, target: svcName });
    }
    if (!found) throw nameError;
    return out;
  }

  /** PTR for ClusterIPs and endpoint addresses; undefined (forward) when we have none. */
  private reverse(q: Question): ZoneAnswer | undefined {
    const ip = addressFromReverse(q.name);
    if (!ip) return undefined;
    const svc = this.view.servicesByIP(ip)[0];
    if (svc) return this.ok([this.rr(q.name, RRType.PTR, `${svc.metadata.name}.${svc.metadata.namespace}.svc.${this.domain}`)]);
    const names = new Set<string>();
    for (const slice of this.view.endpointSlicesByIP(ip)) {
      const svcName = slice.metadata?.labels?.['kubernetes.io/service-name'];
      for (const ep of slice.endpoints ?? []) {
        if (!isReady(ep)) continue;
        for (const a of ep.addresses ?? []) if (canonicalIP(a) === ip) names.add(`${this.endpointName(ep, ip)}.${svcName}.${slice.metadata.namespace}.svc.${this.domain}`);
      }
    }
    if (!names.size) return undefined;
    return this.ok([...names].map((n) => this.rr(q.name, RRType.PTR, n)));
  }
}
