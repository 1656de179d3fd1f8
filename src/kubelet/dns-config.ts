/**
 * A pod's resolv.conf (the sandbox's DNS config), by dnsPolicy as the
 * kubelet does: ClusterFirst uses the cluster DNS server with the search
 * path `<ns>.svc.<domain> svc.<domain> <domain>` and ndots:5 (host-network
 * pods fall back to the node's resolvers unless ClusterFirstWithHostNet),
 * Default uses the node's, None only the pod's dnsConfig, which every
 * policy then merges in.
 */
import { readFileSync } from 'node:fs';
import { parseResolvConf as nameServers } from '../dns/forwarder.js';

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface ClusterDns {
  /** The cluster DNS Service address(es); empty: pods use the node's resolvers. */
  servers: string[];
  domain: string;
}

export function podDnsConfig(pod: any, cluster: ClusterDns, host: DnsConfig): DnsConfig {
  const spec = pod.spec ?? {};
  let policy: string = spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && spec.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  if (policy === 'ClusterFirst' && cluster.servers.length === 0) policy = 'Default';
  let out: DnsConfig;
  if (policy === 'None') out = { servers: [], searches: [], options: [] };
  else if (policy === 'Default') out = { servers: [...host.servers], searches: [...host.searches], options: [...host.options] };
  else {
    const ns = pod.metadata?.namespace ?? 'default';
    const d = cluster.domain;
    out = { servers: [...cluster.servers], searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...host.searches], options: ['ndots:5'] };
  }
  const extra = spec.dnsConfig;
  if (extra) {
    out.servers = unique([...out.servers, ...(extra.nameservers ?? [])]);
    out.searches = unique([...out.searches, ...(extra.searches ?? [])]);
    out.options = mergeOptions(out.options, (extra.options ?? []).map((o: any) => (o.value !== undefined && o.value !== null ? `${o.name}:${o.value}` : o.name)));
  }
  // As upstream: at most 32 search domains.
  out.searches = unique(out.searches).slice(0, 32);
  return out;
}

/**
 * Parses resolv.conf text. Name servers follow the cluster DNS forwarder's
 * rules (valid IPs only, loopback dropped: a pod cannot reach the node's
 * loopback); search and options are the kubelet's to carry over.
 */
export function parseResolvConf(text: string): DnsConfig {
  const out: DnsConfig = { servers: nameServers(text).map((s) => s.host), searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'search' || key === 'domain') out.searches = rest;
    else if (key === 'options') out.options = mergeOptions(out.options, rest);
  }
  return out;
}

/** The node's resolvers: /etc/resolv.conf, or systemd-resolved's upstream list when that names only a local stub. */
export function hostResolvConf(): DnsConfig {
  const read = (p: string) => {
    try {
      return parseResolvConf(readFileSync(p, 'utf8'));
    } catch {
      return undefined;
    }
  };
  const etc = read('/etc/resolv.conf') ?? { servers: [], searches: [], options: [] };
  if (etc.servers.length) return etc;
  const resolved = read('/run/systemd/resolve/resolv.conf');
  return resolved?.servers.length ? { ...resolved, searches: etc.searches.length ? etc.searches : resolved.searches } : etc;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs.filter(Boolean))];
}

/** Options by name: a later one replaces an earlier one of the same name. */
function mergeOptions(base: string[], more: string[]): string[] {
  const byName = new Map<string, string>();
  for (const o of [...base, ...more]) byName.set(o.split(':')[0], o);
  return [...byName.values()];
}
