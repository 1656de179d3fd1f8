// Allocation of Service ClusterIPs (from the Service CIDR) and NodePorts
// (30000-32767). The allocated set is rebuilt from the stored Services at
// start, so it is repaired across restarts; allocation is synchronous, so
// concurrent creates in this process never pick the same value.

import { badRequest, invalid } from './errors.js';

import { intToIpv4 as intToIp, ipv4ToInt } from '../api/cidr.js';

/** An address as a number; NaN for anything that is not an IPv4 address (never in range). */
function ipToInt(ip: string): number {
  try {
    return ipv4ToInt(ip);
  } catch {
    return NaN;
  }
}

export class ServiceIPAllocator {
  readonly base: number;
  readonly size: number;
  private used = new Set<number>();
  private next = 0;

  constructor(readonly cidr: string) {
    const [addr, bits] = cidr.split('/');
    const prefix = Number(bits);
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(addr) || !(prefix >= 8 && prefix <= 30)) throw badRequest(`invalid service CIDR ${cidr}`);
    this.size = 2 ** (32 - prefix);
    this.base = ipToInt(addr) - (ipToInt(addr) % this.size);
  }

  /** The first usable address: the `kubernetes` Service's ClusterIP. */
  first(): string {
    return intToIp(this.base + 1);
  }

  contains(ip: string): boolean {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return false;
    const n = ipToInt(ip);
    return n > this.base && n < this.base + this.size - 1;
  }

  /** Marks an address used (existing Services at start, or an explicit clusterIP). Returns false when taken. */
  reserve(ip: string): boolean {
    if (!this.contains(ip)) return true; // outside the range: not ours to track
    const n = ipToInt(ip) - this.base;
    if (this.used.has(n)) return false;
    this.used.add(n);
    return true;
  }

  allocate(): string {
    // Skip the network address, the first address (kubernetes Service) unless free, and broadcast.
    for (let i = 0; i < this.size - 2; i++) {
      const n = 2 + ((this.next + i) % (this.size - 3));
      if (!this.used.has(n)) {
        this.used.add(n);
        this.next = n - 1;
        return intToIp(this.base + n);
      }
    }
    throw invalid('', 'Service', '', `Internal error occurred: range is full`, []);
  }

  release(ip: string): void {
    if (this.contains(ip)) this.used.delete(ipToInt(ip) - this.base);
  }
}

export class PortAllocator {
  private used = new Set<number>();
  private next: number;

  constructor(
    readonly min = 30000,
    readonly max = 32767,
  ) {
    this.next = min;
  }

  contains(p: number): boolean {
    return Number.isInteger(p) && p >= this.min && p <= this.max;
  }

  reserve(p: number): boolean {
    if (!this.contains(p)) return true;
    if (this.used.has(p)) return false;
    this.used.add(p);
    return true;
  }

  allocate(): number {
    const span = this.max - this.min + 1;
    // Start from a pseudo-random point as upstream does, so ports are not predictable.
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const p = this.min + ((start + i) % span);
      if (!this.used.has(p)) {
        this.used.add(p);
        return p;
      }
    }
    throw invalid('', 'Service', '', 'Internal error occurred: range is full', []);
  }

  release(p: number): void {
    this.used.delete(p);
  }
}
