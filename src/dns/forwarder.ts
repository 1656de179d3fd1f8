// Forwarding of names outside the cluster zone to upstream resolvers, as
// CoreDNS's `forward . /etc/resolv.conf` with `cache 30`: UDP first, TCP
// when the reply is truncated, the next upstream on a timeout or transport
// error, SERVFAIL (a thrown error) when none answers. Replies are cached by
// question for their smallest TTL (at most 30 s; denials by their SOA
// minimum), and identical questions in flight share one upstream query.

import { readFileSync } from 'node:fs';
import net from 'node:net';
import { UdpDnsClient, tcpExchange, type ServerAddress } from './client.js';
import { RCode, RRType, canonicalName, emptyHeader, getEdns, optRecord, type Message, type Question, type SoaData } from './wire.js';

export interface ForwarderOptions {
  upstreams: ServerAddress[];
  /** Per attempt (default 2000 ms). */
  timeoutMs?: number;
  /** Cached questions (default 10,000; 0 disables the cache). */
  cacheSize?: number;
  /** Cap on cached TTLs, positive and negative (default 30 s). */
  maxCacheTtl?: number;
  now?: () => number;
}

interface CacheEntry {
  msg: Message;
  storedAt: number;
  expiresAt: number;
}

/** Nameservers of a resolv.conf text; loopback ones are left out (they may be us). */
export function parseResolvConf(text: string, opts: { keepLoopback?: boolean } = {}): ServerAddress[] {
  const out: ServerAddress[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const host = m[1].replace(/%.*$/, ''); // zone index of link-local IPv6
    if (!net.isIP(host)) continue;
    if (!opts.keepLoopback && isLoopback(host)) continue;
    out.push({ host, port: 53 });
  }
  return out;
}

export function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.');
}

/**
 * The host's upstream resolvers: /etc/resolv.conf without loopback
 * nameservers; when that leaves none (systemd-resolved's 127.0.0.53), the
 * real upstreams systemd-resolved lists.
 */
export function hostUpstreams(path = '/etc/resolv.conf'): ServerAddress[] {
  for (const p of [path, '/run/systemd/resolve/resolv.conf']) {
    try {
      const found = parseResolvConf(readFileSync(p, 'utf8'));
      if (found.length) return found;
    } catch {
      // missing file: try the next
    }
  }
  return [];
}

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address. */
export function parseServerAddress(s: string, defaultPort = 53): ServerAddress {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : defaultPort };
  if (net.isIPv6(s)) return { host: s, port: defaultPort };
  const i = s.lastIndexOf(':');
  if (i > 0) return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
  return { host: s, port: defaultPort };
}

export class Forwarder {
  private readonly clients: UdpDnsClient[];
  private readonly timeoutMs: number;
  private readonly cacheSize: number;
  private readonly maxTtl: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<Message>>();
  private next = 0;
  /** Per upstream: consecutive failures, and until when it is tried last. */
  private readonly health: Array<{ fails: number; downUntil: number }>;
  stats = { queries: 0, cacheHits: 0, upstreamErrors: 0 };

  constructor(readonly opts: ForwarderOptions) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.cacheSize = opts.cacheSize ?? 10_000;
    this.maxTtl = opts.maxCacheTtl ?? 30;
    this.now = opts.now ?? Date.now;
    this.clients = opts.upstreams.map((u) => new UdpDnsClient(u, this.timeoutMs));
    this.health = this.clients.map(() => ({ fails: 0, downUntil: 0 }));
  }

  get upstreams(): ServerAddress[] {
    return this.opts.upstreams;
  }

  /**
   * The upstream reply to one question (answer, authority and additional
   * records; no OPT). Rejects when no upstream answered.
   */
  async resolve(q: Question, flags: { rd?: boolean; cd?: boolean; do?: boolean } = {}): Promise<Message> {
    this.stats.queries++;
    const key = `${canonicalName(q.name)}|${q.type}|${q.class}|${flags.do ? 1 : 0}|${flags.cd ? 1 : 0}|${flags.rd === false ? 0 : 1}`;
    const hit = this.fromCache(key);
    if (hit) {
      this.stats.cacheHits++;
      return hit;
    }
    let p = this.inflight.get(key);
    if (!p) {
      p = this.query(q, flags).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
      p.then((m) => this.store(key, m)).catch(() => {});
    }
    return p;
  }

  private async query(q: Question, flags: { rd?: boolean; cd?: boolean; do?: boolean }): Promise<Message> {
    if (!this.clients.length) throw new Error('no upstream resolvers');
    const query: Message = {
      header: { ...emptyHeader(0), rd: flags.rd ?? true, cd: flags.cd ?? false },
      questions: [q],
      answers: [],
      authorities: [],
      additionals: [optRecord(1232, { do: flags.do })],
    };
    let lastErr: unknown;
    // Round robin over the healthy upstreams; one that failed twice in a row is tried last for a while
    // (CoreDNS's forward health checks, without the probes).
    const now = this.now();
    const start = this.next++;
    const order = this.clients.map((_, i) => (start + i) % this.clients.length);
    order.sort((a, b) => Number(this.health[a].downUntil > now) - Number(this.health[b].downUntil > now));
    for (const i of order) {
      const c = this.clients[i];
      const h = this.health[i];
      try {
        let sent = query;
        let m = await c.exchange(sent);
        if (m.header.rcode === RCode.FORMERR || m.header.rcode === RCode.NOTIMP) {
          // An old resolver that does not speak EDNS (RFC 6891 §7): ask again without OPT.
          sent = { ...query, additionals: [] };
          m = await c.exchange(sent);
        }
        if (m.header.tc) m = await tcpExchange(c.server, { ...sent, header: { ...sent.header, id: m.header.id } }, this.timeoutMs);
        h.fails = 0;
        h.downUntil = 0;
        return { ...m, additionals: m.additionals.filter((rr) => rr.type !== RRType.OPT) };
      } catch (e) {
        this.stats.upstreamErrors++;
        if (++h.fails >= 2) h.downUntil = this.now() + 5000;
        lastErr = e;
      }
    }
    throw lastErr instanceof Error ? lastErr : new Error(String(lastErr));
  }

  private ttlOf(m: Message): number | undefined {
    if (m.header.tc) return undefined;
    if (m.header.rcode === RCode.NXDOMAIN || (m.header.rcode === RCode.NOERROR && m.answers.length === 0)) {
      const soa = m.authorities.find((rr) => rr.type === RRType.SOA);
      if (!soa) return undefined;
      return Math.min(soa.ttl, (soa.data as SoaData).minimum, this.maxTtl);
    }
    if (m.header.rcode !== RCode.NOERROR) return undefined;
    const ttls = [...m.answers, ...m.authorities, ...m.additionals].map((rr) => rr.ttl);
    return Math.min(this.maxTtl, ...ttls);
  }

  private store(key: string, m: Message): void {
    if (this.cacheSize <= 0) return;
    const ttl = this.ttlOf(m);
    if (!ttl || ttl <= 0) return;
    if (this.cache.size >= this.cacheSize) {
      // Drop the oldest entry (Map keeps insertion order).
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    const now = this.now();
    this.cache.set(key, { msg: m, storedAt: now, expiresAt: now + ttl * 1000 });
  }

  private fromCache(key: string): Message | undefined {
    const e = this.cache.get(key);
    if (!e) return undefined;
    const now = this.now();
    if (now >= e.expiresAt) {
      this.cache.delete(key);
      return undefined;
    }
    const age = Math.floor((now - e.storedAt) / 1000);
    const left = Math.ceil((e.expiresAt - now) / 1000);
    // As CoreDNS's cache: no record outlives the entry.
    const dec = (rrs: Message['answers']) => rrs.map((rr) => ({ ...rr, ttl: Math.max(0, Math.min(rr.ttl - age, left)) }));
    return { ...e.msg, answers: dec(e.msg.answers), authorities: dec(e.msg.authorities), additionals: dec(e.msg.additionals) };
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}

/** The DO bit and the other flags a forwarded question carries. */
export function forwardFlags(query: Message): { rd: boolean; cd: boolean; do: boolean } {
  return { rd: query.header.rd, cd: query.header.cd, do: getEdns(query)?.do ?? false };
}
