// The service proxy's rule set, as a pure function: Services, EndpointSlices
// and this node's facts in, the `iptables-restore --noflush` input out. The
// semantics follow kube-proxy's iptables mode (pkg/proxy/iptables): a
// KTS-SERVICES dispatch chain, one KTS-SVC- chain per service port that picks
// an endpoint at random (1/n, 1/(n-1), ...), one KTS-SEP- chain per endpoint
// that DNATs, KTS-EXT- chains for traffic to NodePorts, external IPs and
// load-balancer IPs, KTS-SVL- chains holding only this node's endpoints for
// the Local traffic policies, and REJECT/DROP rules in the filter table for
// service ports without (local) endpoints. Only chains named KTS-* are
// written; the built-in chains get one jump each, inserted only when absent,
// so re-applying changes nothing and other software's rules stay untouched.
//
// IPv4 only.

import { createHash } from 'node:crypto';
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';

export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
/** The packet mark that asks KTS-POSTROUTING to masquerade (upstream uses bit 14 as well). */
export const MASQ_MARK = '0x4000';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const DEFAULT_AFFINITY_SECONDS = 10800;

export const CHAIN_SERVICES = 'KTS-SERVICES';
export const CHAIN_EXTERNAL_SERVICES = 'KTS-EXTERNAL-SERVICES';
export const CHAIN_NODEPORTS = 'KTS-NODEPORTS';
export const CHAIN_POSTROUTING = 'KTS-POSTROUTING';
export const CHAIN_MARK_MASQ = 'KTS-MARK-MASQ';
export const CHAIN_FORWARD = 'KTS-FORWARD';
export const CHAIN_FIREWALL = 'KTS-FIREWALL';
export const CHAIN_PREFIX = 'KTS-';
/** KTS- chains that other parts of kts own (the node's pod masquerade): never stale to the proxy. */
const FOREIGN_PREFIX = 'KTS-POD-';

export interface NodeInfo {
  /** This node's name; endpoints whose `nodeName` equals it are local. */
  nodeName: string;
  /**
   * The addresses NodePorts answer on. Empty or absent: every local address
   * of the node (`-m addrtype --dst-type LOCAL`), as upstream's default.
   */
  nodePortAddresses?: string[];
  /** Pod network; traffic to a ClusterIP from outside it is masqueraded (default 10.42.0.0/16). */
  clusterCIDR?: string;
  /**
   * Also answer NodePorts on 127.0.0.1 (upstream's localhostNodePorts). Needs
   * net.ipv4.conf.all.route_localnet=1, which the proxier sets when this is
   * on; a filter rule then drops martian packets to 127/8 from outside.
   * Default false.
   */
  localhostNodePorts?: boolean;
}

export type Table = 'nat' | 'filter';

/** A jump from a built-in chain into one of ours. */
export interface JumpRule {
  table: Table;
  /** The built-in chain (PREROUTING, OUTPUT, ...). */
  chain: string;
  /** Our chain it jumps to. */
  target: string;
  /** The matches before `-j target`. */
  matches: string;
}

export interface ProxyRules {
  /** Our chains per table, in declaration order. */
  chains: Record<Table, string[]>;
  /** `-A ...` lines per table. */
  rules: Record<Table, string[]>;
  jumps: JumpRule[];
  /** Number of `-A` lines over both tables (jumps excluded). */
  ruleCount: number;
}

export const JUMPS: JumpRule[] = [
  { table: 'nat', chain: 'PREROUTING', target: CHAIN_SERVICES, matches: '-m comment --comment "kts service portals"' },
  { table: 'nat', chain: 'OUTPUT', target: CHAIN_SERVICES, matches: '-m comment --comment "kts service portals"' },
  { table: 'nat', chain: 'POSTROUTING', target: CHAIN_POSTROUTING, matches: '-m comment --comment "kts postrouting rules"' },
  { table: 'filter', chain: 'INPUT', target: CHAIN_EXTERNAL_SERVICES, matches: '-m conntrack --ctstate NEW -m comment --comment "kts externally-visible service portals"' },
  { table: 'filter', chain: 'INPUT', target: CHAIN_FIREWALL, matches: '-m comment --comment "kts firewall"' },
  { table: 'filter', chain: 'FORWARD', target: CHAIN_SERVICES, matches: '-m conntrack --ctstate NEW -m comment --comment "kts service portals"' },
  { table: 'filter', chain: 'FORWARD', target: CHAIN_EXTERNAL_SERVICES, matches: '-m conntrack --ctstate NEW -m comment --comment "kts externally-visible service portals"' },
  { table: 'filter', chain: 'FORWARD', target: CHAIN_FORWARD, matches: '-m comment --comment "kts forwarding rules"' },
  { table: 'filter', chain: 'OUTPUT', target: CHAIN_SERVICES, matches: '-m conntrack --ctstate NEW -m comment --comment "kts service portals"' },
  { table: 'filter', chain: 'OUTPUT', target: CHAIN_EXTERNAL_SERVICES, matches: '-m conntrack --ctstate NEW -m comment --comment "kts externally-visible service portals"' },
];

// ---- chain names -------------------------------------------------------

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** `prefix` + the first 16 base32 characters of sha256(parts joined by NUL); at most 28 characters as iptables allows. */
export function hashedChain(prefix: string, ...parts: string[]): string {
  return prefix + base32(createHash('sha256').update(parts.join('\0')).digest()).slice(0, 16);
}

// ---- endpoints ---------------------------------------------------------

/** One endpoint of one service port, with upstream's condition defaults applied. */
export interface ProxyEndpoint {
  ip: string;
  port: number;
  /** ready: nil counts as true. */
  ready: boolean;
  /** serving: nil means the same as ready. */
  serving: boolean;
  /** terminating: nil counts as false. */
  terminating: boolean;
  nodeName?: string;
}

/** A service port as the proxy sees it. */
export interface ServicePortInfo {
  namespace: string;
  name: string;
  port: ServicePort;
  protocol: string;
  /** `namespace/name:portName` (`namespace/name` when the port is unnamed), as upstream's ServicePortName. */
  id: string;
  svc: Service;
}

function endpointsBySlicePort(slices: EndpointSlice[]): Map<string, ProxyEndpoint[]> {
  // key: namespace/service \0 portName \0 protocol
  const out = new Map<string, Map<string, ProxyEndpoint>>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    const svcName = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svcName) continue;
    const ns = slice.metadata?.namespace ?? '';
    for (const p of slice.ports ?? []) {
      if (p.port === undefined || p.port === null) continue;
      const key = `${ns}/${svcName}\0${p.name ?? ''}\0${p.protocol ?? 'TCP'}`;
      let m = out.get(key);
      if (!m) out.set(key, (m = new Map()));
      for (const ep of slice.endpoints ?? []) {
        const ip = ep.addresses?.[0];
        if (!ip) continue;
        const ready = ep.conditions?.ready ?? true;
        const e: ProxyEndpoint = {
          ip,
          port: p.port,
          ready,
          serving: ep.conditions?.serving ?? ready,
          terminating: ep.conditions?.terminating ?? false,
          nodeName: ep.nodeName ?? undefined,
        };
        // The same endpoint in two slices (during a slice update): keep the first, as upstream.
        const k = `${ip}:${p.port}`;
        if (!m.has(k)) m.set(k, e);
      }
    }
  }
  const sorted = new Map<string, ProxyEndpoint[]>();
  for (const [k, m] of out) sorted.set(k, [...m.values()].sort(compareEndpoints));
  return sorted;
}

function compareEndpoints(a: ProxyEndpoint, b: ProxyEndpoint): number {
  return ipKey(a.ip) - ipKey(b.ip) || a.port - b.port;
}

function ipKey(ip: string): number {
  const p = ip.split('.');
  return p.length === 4 ? ((+p[0] * 256 + +p[1]) * 256 + +p[2]) * 256 + +p[3] : 0;
}

/**
 * Upstream's endpoint choice: the ready endpoints; when none is ready, the
 * ones still serving while terminating (so connections drain during a
 * rollout instead of failing).
 */
export function usableEndpoints(eps: ProxyEndpoint[]): ProxyEndpoint[] {
  const ready = eps.filter((e) => e.ready);
  return ready.length > 0 ? ready : eps.filter((e) => e.serving && e.terminating);
}

function isIPv4(s: string | undefined): s is string {
  return !!s && /^\d{1,3}(\.\d{1,3}){3}$/.test(s);
}

/** Service ports the proxy programs, sorted by namespace, name, port name, protocol. */
export function servicePorts(services: Service[]): ServicePortInfo[] {
  const out: ServicePortInfo[] = [];
  for (const svc of services) {
    const spec = svc.spec;
    if (!spec || spec.type === 'ExternalName') continue;
    if (!isIPv4(spec.clusterIP)) continue; // headless ("None"), unallocated or IPv6
    const namespace = svc.metadata?.namespace ?? '';
    const name = svc.metadata?.name ?? '';
    for (const port of spec.ports ?? []) {
      const protocol = port.protocol ?? 'TCP';
      const id = port.name ? `${namespace}/${name}:${port.name}` : `${namespace}/${name}`;
      out.push({ namespace, name, port, protocol, id, svc });
    }
  }
  const key = (p: ServicePortInfo) => `${p.namespace}\0${p.name}\0${p.port.name ?? ''}\0${p.protocol}`;
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

// ---- rules -------------------------------------------------------------

/** Builds the whole rule set. Deterministic: the same inputs give the same text in the same order. */
export function generateRules(services: Service[], slices: EndpointSlice[], node: NodeInfo): ProxyRules {
  const clusterCIDR = node.clusterCIDR ?? DEFAULT_CLUSTER_CIDR;
  const endpointsByPort = endpointsBySlicePort(slices);

  const natChains = [CHAIN_SERVICES, CHAIN_NODEPORTS, CHAIN_POSTROUTING, CHAIN_MARK_MASQ];
  const filterChains = [CHAIN_SERVICES, CHAIN_EXTERNAL_SERVICES, CHAIN_FORWARD, CHAIN_FIREWALL];
  // Per-table rule buckets, concatenated in this order so the fixed chains come first.
  const natServices: string[] = [];
  const natNodePorts: string[] = [];
  const natPerService: string[] = [];
  const filterServices: string[] = [];
  const filterExternal: string[] = [];

  const masq = `-j ${CHAIN_MARK_MASQ}`;

  for (const sp of servicePorts(services)) {
    const { svc, port, protocol, id } = sp;
    const spec = svc.spec!;
    const proto = protocol.toLowerCase();
    const p = `-p ${proto} -m ${proto}`;
    const clusterIP = spec.clusterIP!;
    const all = endpointsByPort.get(`${sp.namespace}/${sp.name}\0${port.name ?? ''}\0${protocol}`) ?? [];

    const clusterEps = usableEndpoints(all);
    const localEps = usableEndpoints(all.filter((e) => e.nodeName === node.nodeName));
    const internalLocal = spec.internalTrafficPolicy === 'Local';
    const externalLocal = spec.externalTrafficPolicy === 'Local';
    const internalEps = internalLocal ? localEps : clusterEps;
    const externalEps = externalLocal ? localEps : clusterEps;
    const hasEndpoints = clusterEps.length > 0 || localEps.length > 0;

    const svcChain = hashedChain('KTS-SVC-', id, protocol);
    const svlChain = hashedChain('KTS-SVL-', id, protocol);
    const extChain = hashedChain('KTS-EXT-', id, protocol);
    const internalChain = internalLocal ? svlChain : svcChain;
    const externalChain = externalLocal ? svlChain : svcChain;

    const externalIPs = (spec.externalIPs ?? []).filter(isIPv4);
    const lbIPs =
      spec.type === 'LoadBalancer'
        ? (svc.status?.loadBalancer?.ingress ?? []).filter((i) => isIPv4(i.ip) && i.ipMode !== 'Proxy').map((i) => i.ip!)
        : [];
    const nodePort = (spec.type === 'NodePort' || spec.type === 'LoadBalancer') && port.nodePort ? port.nodePort : 0;
    const hasExternal = externalIPs.length > 0 || lbIPs.length > 0 || nodePort > 0;
    const usesExtChain = hasEndpoints && hasExternal;
    // Externally reachable ports need the cluster chain even with both policies
    // Local: pods and the node short-circuit to it (as upstream).
    const usesClusterChain = clusterEps.length > 0 && (!internalLocal || hasExternal);
    const usesLocalChain = localEps.length > 0 && (internalLocal || (externalLocal && hasExternal));

    const c = (what: string) => `-m comment --comment "${id}${what}"`;
    const dst = (ip: string) => `-d ${ip}/32 ${p} --dport ${port.port}`;

    // ClusterIP.
    if (internalEps.length > 0) {
      natServices.push(`-A ${CHAIN_SERVICES} ${c(' cluster IP')} ${dst(clusterIP)} -j ${internalChain}`);
    } else if (!hasEndpoints) {
      filterServices.push(`-A ${CHAIN_SERVICES} ${c(' has no endpoints')} ${dst(clusterIP)} -j REJECT --reject-with icmp-port-unreachable`);
    } else {
      filterServices.push(`-A ${CHAIN_SERVICES} ${c(' has no local endpoints')} ${dst(clusterIP)} -j DROP`);
    }

    // External IPs and load-balancer IPs, then the NodePort.
    for (const [ips, what] of [
      [externalIPs, ' external IP'],
      [lbIPs, ' loadbalancer IP'],
    ] as const) {
      for (const ip of ips) {
        if (usesExtChain) natServices.push(`-A ${CHAIN_SERVICES} ${c(what)} ${dst(ip)} -j ${extChain}`);
        if (!hasEndpoints) {
          filterExternal.push(`-A ${CHAIN_EXTERNAL_SERVICES} ${c(' has no endpoints')} ${dst(ip)} -j REJECT --reject-with icmp-port-unreachable`);
        } else if (externalEps.length === 0) {
          filterExternal.push(`-A ${CHAIN_EXTERNAL_SERVICES} ${c(' has no local endpoints')} ${dst(ip)} -j DROP`);
        }
      }
    }
    if (nodePort) {
      if (usesExtChain) natNodePorts.push(`-A ${CHAIN_NODEPORTS} ${c(' node port')} ${p} --dport ${nodePort} -j ${extChain}`);
      const local = '-m addrtype --dst-type LOCAL';
      if (!hasEndpoints) {
        filterExternal.push(`-A ${CHAIN_EXTERNAL_SERVICES} ${c(' has no endpoints')} ${local} ${p} --dport ${nodePort} -j REJECT --reject-with icmp-port-unreachable`);
      } else if (externalEps.length === 0) {
        filterExternal.push(`-A ${CHAIN_EXTERNAL_SERVICES} ${c(' has no local endpoints')} ${local} ${p} --dport ${nodePort} -j DROP`);
      }
    }

    // KTS-EXT-: traffic from outside the service's cluster IP.
    if (usesExtChain) {
      natChains.push(extChain);
      if (!externalLocal) {
        // The reply must come back through this node: masquerade.
        natPerService.push(`-A ${extChain} ${c(' masquerade traffic for external destinations')} ${masq}`);
      } else {
        // Local policy keeps the client's address (no SNAT). Pods and the
        // node itself still reach every endpoint, as through the cluster IP.
        natPerService.push(`-A ${extChain} ${c(' pod traffic for external destinations')} -s ${clusterCIDR} -j ${svcChain}`);
        natPerService.push(`-A ${extChain} ${c(' masquerade LOCAL traffic for external destinations')} -m addrtype --src-type LOCAL ${masq}`);
        natPerService.push(`-A ${extChain} ${c(' route LOCAL traffic for external destinations')} -m addrtype --src-type LOCAL -j ${svcChain}`);
      }
      if (externalEps.length > 0) natPerService.push(`-A ${extChain} -j ${externalChain}`);
    }

    // KTS-SVC- / KTS-SVL-: pick an endpoint.
    const affinitySeconds =
      spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : 0;
    const written = new Set<string>();
    const policyChain = (chain: string, eps: ProxyEndpoint[], isInternal: boolean) => {
      natChains.push(chain);
      if (isInternal) {
        natPerService.push(`-A ${chain} ${c(' cluster IP')} ! -s ${clusterCIDR} ${dst(clusterIP)} ${masq}`);
      }
      const sepChains = eps.map((e) => hashedChain('KTS-SEP-', id, protocol, `${e.ip}:${e.port}`));
      if (affinitySeconds > 0) {
        eps.forEach((e, i) => {
          natPerService.push(
            `-A ${chain} ${c(` -> ${e.ip}:${e.port}`)} -m recent --name ${sepChains[i]} --rcheck --seconds ${affinitySeconds} --reap -j ${sepChains[i]}`,
          );
        });
      }
      eps.forEach((e, i) => {
        const n = eps.length - i;
        const stat = n > 1 ? ` -m statistic --mode random --probability ${(1 / n).toFixed(10)}` : '';
        natPerService.push(`-A ${chain} ${c(` -> ${e.ip}:${e.port}`)}${stat} -j ${sepChains[i]}`);
      });
      eps.forEach((e, i) => {
        const sep = sepChains[i];
        if (written.has(sep)) return;
        written.add(sep);
        natChains.push(sep);
        // Hairpin: a pod reaching itself through the service must see the node as the source.
        natPerService.push(`-A ${sep} ${c('')} -s ${e.ip}/32 ${masq}`);
        const recent = affinitySeconds > 0 ? ` -m recent --set --name ${sep} --mask 255.255.255.255 --rsource` : '';
        natPerService.push(`-A ${sep} ${c('')} ${p}${recent} -j DNAT --to-destination ${e.ip}:${e.port}`);
      });
    };
    if (usesClusterChain) policyChain(svcChain, clusterEps, !internalLocal);
    if (usesLocalChain) policyChain(svlChain, localEps, internalLocal);
  }

  // NodePorts last in KTS-SERVICES: only packets for a node address go there.
  if (node.nodePortAddresses && node.nodePortAddresses.length > 0) {
    for (const ip of [...node.nodePortAddresses].filter(isIPv4).sort((a, b) => ipKey(a) - ipKey(b))) {
      natServices.push(`-A ${CHAIN_SERVICES} -d ${ip}/32 -m comment --comment "kts service nodeports" -j ${CHAIN_NODEPORTS}`);
    }
  } else {
    const notLocalhost = node.localhostNodePorts ? '' : ' ! -d 127.0.0.0/8';
    natServices.push(`-A ${CHAIN_SERVICES}${notLocalhost} -m comment --comment "kts service nodeports" -m addrtype --dst-type LOCAL -j ${CHAIN_NODEPORTS}`);
  }

  const nat = [
    ...natServices,
    ...natNodePorts,
    `-A ${CHAIN_POSTROUTING} -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
    // Clear the mark so a packet re-entering the stack (tunnels) is not masqueraded twice.
    `-A ${CHAIN_POSTROUTING} -j MARK --xor-mark ${MASQ_MARK}`,
    `-A ${CHAIN_POSTROUTING} -m comment --comment "kts service traffic requiring SNAT" -j MASQUERADE --random-fully`,
    `-A ${CHAIN_MARK_MASQ} -j MARK --or-mark ${MASQ_MARK}`,
    ...natPerService,
  ];
  const filter = [
    ...filterServices,
    ...filterExternal,
    `-A ${CHAIN_FORWARD} -m conntrack --ctstate INVALID -j DROP`,
    `-A ${CHAIN_FORWARD} -m comment --comment "kts forwarding rules" -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`,
    `-A ${CHAIN_FORWARD} -m comment --comment "kts forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  ];
  if (node.localhostNodePorts) {
    filter.push(
      `-A ${CHAIN_FIREWALL} -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
    );
  }
  return {
    chains: { nat: natChains, filter: filterChains },
    rules: { nat, filter },
    jumps: JUMPS,
    ruleCount: nat.length + filter.length,
  };
}

// ---- iptables-save parsing and restore input -------------------------------

/** What `iptables-save` shows of one table: chain names and `-A` lines. */
export interface SavedTable {
  chains: string[];
  rules: string[];
}

export function parseIptablesSave(text: string): Record<string, SavedTable> {
  const out: Record<string, SavedTable> = {};
  let cur: SavedTable | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) out[line.slice(1).trim()] = cur = { chains: [], rules: [] };
    else if (!cur) continue;
    else if (line.startsWith(':')) cur.chains.push(line.slice(1).split(' ')[0]);
    else if (line.startsWith('-A ')) cur.rules.push(line);
  }
  return out;
}

/** The jump lines in `saved` that lead from a built-in chain into one of ours. */
export function savedJumps(saved: SavedTable | undefined): string[] {
  if (!saved) return [];
  return saved.rules.filter((r) => {
    const chain = r.split(' ')[1];
    return !chain.startsWith(CHAIN_PREFIX) && / -j KTS-[A-Z0-9-]+( |$)/.test(r);
  });
}

function jumpPresent(saved: SavedTable | undefined, j: JumpRule): boolean {
  return savedJumps(saved).some((r) => r.startsWith(`-A ${j.chain} `) && (r.endsWith(` -j ${j.target}`) || r.includes(` -j ${j.target} `)));
}

export interface RenderOptions {
  /**
   * Full sync: the current `iptables-save` of the tables (parsed). Every
   * chain is written, missing jumps are inserted, and KTS- chains found here
   * but no longer used are deleted.
   */
  saved?: Record<string, SavedTable>;
  /**
   * What the previous sync wrote (`chainContents` of its rules). Without
   * `saved` this is a partial sync: only chains whose rules changed are
   * written (declaring a chain flushes it; the others stay as they are), the
   * jumps are assumed present, and chains written last time but unused now
   * are deleted. With `saved`, only its chain list is used, for deletions.
   */
  previous?: Map<string, string>;
}

/** Each chain's rules as one string, keyed `table chain` (for partial syncs). */
export function chainContents(rules: ProxyRules): Map<string, string> {
  const out = new Map<string, string>();
  for (const table of ['filter', 'nat'] as const) {
    const byChain = new Map<string, string[]>(rules.chains[table].map((c) => [c, []]));
    for (const r of rules.rules[table]) byChain.get(r.slice(3, r.indexOf(' ', 3)))?.push(r);
    for (const [c, lines] of byChain) out.set(`${table} ${c}`, lines.join('\n'));
  }
  return out;
}

/**
 * The `iptables-restore --noflush` input: our chains declared (which, with
 * --noflush, creates or flushes just them), the jumps that are missing
 * inserted at the top of the built-in chains, our rules, and chains that
 * are ours but no longer used flushed and deleted. Without options: every
 * chain and every jump.
 */
export function renderRestore(rules: ProxyRules, opts: RenderOptions = {}): string {
  const partial = !opts.saved && !!opts.previous;
  const contents = partial ? chainContents(rules) : undefined;
  const lines: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const current = new Set(rules.chains[table]);
    const stale = new Set<string>();
    const known = [...(opts.saved?.[table]?.chains ?? [])];
    for (const k of opts.previous?.keys() ?? []) if (k.startsWith(`${table} `)) known.push(k.slice(table.length + 1));
    for (const ch of known) if (ch.startsWith(CHAIN_PREFIX) && !ch.startsWith(FOREIGN_PREFIX) && !current.has(ch)) stale.add(ch);
    const write = partial
      ? new Set(rules.chains[table].filter((c) => opts.previous!.get(`${table} ${c}`) !== contents!.get(`${table} ${c}`)))
      : current;
    if (write.size === 0 && stale.size === 0 && partial) continue;
    lines.push(`*${table}`);
    for (const ch of rules.chains[table]) if (write.has(ch)) lines.push(`:${ch} - [0:0]`);
    for (const ch of stale) lines.push(`:${ch} - [0:0]`);
    if (!partial) {
      for (const j of rules.jumps) {
        if (j.table !== table) continue;
        if (opts.saved && jumpPresent(opts.saved[table], j)) continue;
        lines.push(`-I ${j.chain} 1 ${j.matches} -j ${j.target}`);
      }
    }
    if (partial) {
      for (const r of rules.rules[table]) if (write.has(r.slice(3, r.indexOf(' ', 3)))) lines.push(r);
    } else {
      lines.push(...rules.rules[table]);
    }
    for (const ch of stale) lines.push(`-X ${ch}`);
    lines.push('COMMIT');
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

/**
 * The input that removes everything of ours found in `saved`: the jumps from
 * built-in chains deleted, our chains flushed, then deleted.
 */
export function renderCleanup(saved: Record<string, SavedTable>): string {
  const lines: string[] = [];
  for (const [table, t] of Object.entries(saved)) {
    const ours = t.chains.filter((c) => c.startsWith(CHAIN_PREFIX));
    const jumps = savedJumps(t);
    if (ours.length === 0 && jumps.length === 0) continue;
    lines.push(`*${table}`);
    for (const ch of ours) lines.push(`:${ch} - [0:0]`);
    for (const r of jumps) lines.push('-D' + r.slice(2));
    for (const ch of ours) lines.push(`-X ${ch}`);
    lines.push('COMMIT');
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}
