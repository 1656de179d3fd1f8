// IPv4 arithmetic for simulated nodes: each node's pod CIDR (a /24 carved
// from a base range), its InternalIP, and a per-node pool that hands out
// unique pod IPs the way host-local IPAM does (next free address after the
// last one given, so a released address is not reused at once).

export function parseIPv4(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4) throw new Error(`invalid IPv4 address ${JSON.stringify(s)}`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`invalid IPv4 address ${JSON.stringify(s)}`);
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIPv4(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`IPv4 address out of range: ${n}`);
  return `${Math.floor(n / 2 ** 24) % 256}.${Math.floor(n / 2 ** 16) % 256}.${Math.floor(n / 2 ** 8) % 256}.${n % 256}`;
}

export interface CIDR {
  /** Network address (host bits cleared). */
  network: number;
  prefix: number;
}

export function parseCIDR(s: string): CIDR {
  const [addr, bits, extra] = s.split('/');
  const prefix = Number(bits);
  if (extra !== undefined || !/^\d{1,2}$/.test(bits ?? '') || prefix > 32) throw new Error(`invalid CIDR ${JSON.stringify(s)}`);
  const size = 2 ** (32 - prefix);
  return { network: Math.floor(parseIPv4(addr) / size) * size, prefix };
}

export function formatCIDR(c: CIDR): string {
  return `${formatIPv4(c.network)}/${c.prefix}`;
}

export function cidrContains(c: CIDR, ip: string): boolean {
  let n: number;
  try {
    n = parseIPv4(ip);
  } catch {
    return false;
  }
  return n >= c.network && n < c.network + 2 ** (32 - c.prefix);
}

/**
 * The i-th /24 counted from the base range's network address. Nodes beyond
 * the base range's own /24s continue into the following addresses (a /16
 * holds 256 nodes; node 256 of 10.244.0.0/16 gets 10.245.0.0/24).
 */
export function nodePodCIDR(base: CIDR, index: number): CIDR {
  if (base.prefix > 24) throw new Error(`pod CIDR base /${base.prefix} is smaller than one node's /24`);
  const network = base.network + index * 256;
  if (network + 255 > 0xffffffff) throw new Error(`no /24 left for node ${index} after ${formatCIDR(base)}`);
  return { network, prefix: 24 };
}

/** Unique addresses from one node's pod CIDR, excluding the network address, the gateway (.1) and broadcast. */
export class PodIPPool {
  private readonly first: number;
  private readonly last: number;
  private readonly owners = new Map<number, string>();
  private cursor: number;

  constructor(readonly cidr: CIDR) {
    const size = 2 ** (32 - cidr.prefix);
    if (size < 4) throw new Error(`pod CIDR ${formatCIDR(cidr)} is too small`);
    this.first = cidr.network + 2;
    this.last = cidr.network + size - 2;
    this.cursor = this.last; // the first allocation wraps to `first`
  }

  get capacity(): number {
    return this.last - this.first + 1;
  }

  get used(): number {
    return this.owners.size;
  }

  /** The next free address for `owner`, or undefined when the range is exhausted. */
  allocate(owner: string): string | undefined {
    const n = this.capacity;
    for (let i = 0; i < n; i++) {
      this.cursor = this.cursor >= this.last ? this.first : this.cursor + 1;
      if (!this.owners.has(this.cursor)) {
        this.owners.set(this.cursor, owner);
        return formatIPv4(this.cursor);
      }
    }
    return undefined;
  }

  /** Marks an address as taken (an existing pod's); false if it is outside the range or held by another owner. */
  reserve(ip: string, owner: string): boolean {
    if (!cidrContains(this.cidr, ip)) return false;
    const n = parseIPv4(ip);
    if (n < this.first || n > this.last) return false;
    const cur = this.owners.get(n);
    if (cur !== undefined && cur !== owner) return false;
    this.owners.set(n, owner);
    return true;
  }

  /** Frees an address; with `owner`, only if that owner holds it. */
  release(ip: string, owner?: string): void {
    let n: number;
    try {
      n = parseIPv4(ip);
    } catch {
      return;
    }
    if (owner !== undefined && this.owners.get(n) !== owner) return;
    this.owners.delete(n);
  }

  ownerOf(ip: string): string | undefined {
    try {
      return this.owners.get(parseIPv4(ip));
    } catch {
      return undefined;
    }
  }
}
