// IPv4 addresses and CIDRs as numbers: the Service ClusterIP range, the
// cluster's pod CIDR and the per-node subnets cut from it.

export function ipv4ToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${ip}`);
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!/^\d{1,3}$/.test(p) || v > 255) throw new Error(`not an IPv4 address: ${ip}`);
    n = n * 256 + v;
  }
  return n;
}

export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** An IPv4 CIDR as its first address and prefix length; refuses host bits. */
export function parseCIDR(cidr: string): { base: number; prefix: number } {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  if (!m) throw new Error(`invalid CIDR "${cidr}"`);
  const prefix = Number(m[2]);
  if (prefix > 32) throw new Error(`invalid CIDR "${cidr}"`);
  const base = ipv4ToInt(m[1]!);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) throw new Error(`invalid CIDR "${cidr}": host bits set`);
  return { base, prefix };
}

/** The n-th address of a CIDR (0 is the network address). */
export function addressAt(cidr: string, n: number): string {
  const { base, prefix } = parseCIDR(cidr);
  if (n < 0 || n >= 2 ** (32 - prefix)) throw new Error(`${cidr} has no address number ${n}`);
  return intToIpv4(base + n);
}
