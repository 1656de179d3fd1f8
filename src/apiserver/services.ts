// Service-specific storage behaviour: ClusterIP and NodePort allocation on
// create and update, release on delete, and the `kubernetes` Service in the
// default namespace that points clients at the API server.

import { invalid } from './errors.js';
import { fieldErrorMessage, goStringSlice, invalid as fieldInvalid, invalidMessage } from '../api/validation/errors.js';
import { PortAllocator, ServiceIPAllocator } from './allocators.js';
import type { ResourceHooks } from './rest.js';

export interface ServiceAllocation {
  ips: ServiceIPAllocator;
  ports: PortAllocator;
}

export function newServiceAllocation(serviceCIDR = '10.43.0.0/16', nodePortRange: [number, number] = [30000, 32767]): ServiceAllocation {
  return { ips: new ServiceIPAllocator(serviceCIDR), ports: new PortAllocator(nodePortRange[0], nodePortRange[1]) };
}

function usesNodePorts(svc: any): boolean {
  return svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer';
}

function fail(name: string, field: string, value: unknown, detail: string): never {
  const fe = fieldInvalid(field, Array.isArray(value) ? goStringSlice(value) : value, detail);
  throw invalid('', 'Service', name, invalidMessage('Service', name, [fe]), [{ reason: fe.type, message: fieldErrorMessage(fe), field }]);
}

/** Records what existing Services hold (at start, from the store). */
export function seedServiceAllocation(a: ServiceAllocation, services: any[]): void {
  for (const s of services) {
    for (const ip of s.spec?.clusterIPs ?? [s.spec?.clusterIP]) if (ip && ip !== 'None') a.ips.reserve(ip);
    for (const p of s.spec?.ports ?? []) if (p.nodePort) a.ports.reserve(p.nodePort);
  }
}

function allocate(a: ServiceAllocation, svc: any, old: any | undefined, undo: Array<() => void>): void {
  const spec = svc.spec ?? (svc.spec = {});
  const name = svc.metadata?.name ?? '';
  if (spec.type !== 'ExternalName' && (!old || !old.spec?.clusterIP || old.spec.clusterIP === 'None' ? true : false)) {
    const explicit = spec.clusterIP;
    if (!explicit) {
      const ip = a.ips.allocate();
      undo.push(() => a.ips.release(ip));
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
    } else if (explicit !== 'None' && explicit !== old?.spec?.clusterIP) {
      if (!a.ips.contains(explicit)) fail(name, 'spec.clusterIPs', [explicit], 'failed to allocate IP ' + explicit + ': the provided IP (' + explicit + ') is not in the valid range. The range of valid IPs is ' + a.ips.cidr);
      if (!a.ips.reserve(explicit)) fail(name, 'spec.clusterIPs', [explicit], `failed to allocate IP ${explicit}: provided IP is already allocated`);
      undo.push(() => a.ips.release(explicit));
      spec.clusterIPs ??= [explicit];
    }
  }
  if (spec.type === 'ExternalName') return;
  const oldPorts = new Set<number>((old?.spec?.ports ?? []).map((p: any) => p.nodePort).filter(Boolean));
  if (usesNodePorts(svc)) {
    (spec.ports ?? []).forEach((p: any, i: number) => {
      if (p.nodePort) {
        if (oldPorts.has(p.nodePort)) return;
        if (!a.ports.contains(p.nodePort)) fail(name, `spec.ports[${i}].nodePort`, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${a.ports.min}-${a.ports.max}`);
        if (!a.ports.reserve(p.nodePort)) fail(name, `spec.ports[${i}].nodePort`, p.nodePort, 'provided port is already allocated');
        const n = p.nodePort;
        undo.push(() => a.ports.release(n));
      } else {
        const n = a.ports.allocate();
        undo.push(() => a.ports.release(n));
        p.nodePort = n;
      }
    });
  }
}

function release(a: ServiceAllocation, svc: any, keep?: any): void {
  const keepIPs = new Set<string>(keep?.spec?.clusterIPs ?? []);
  const keepPorts = new Set<number>((keep?.spec?.ports ?? []).map((p: any) => p.nodePort).filter(Boolean));
  for (const ip of svc.spec?.clusterIPs ?? []) if (ip !== 'None' && !keepIPs.has(ip)) a.ips.release(ip);
  for (const p of svc.spec?.ports ?? []) if (p.nodePort && !keepPorts.has(p.nodePort)) a.ports.release(p.nodePort);
}

export function serviceHooks(a: ServiceAllocation): ResourceHooks {
  return {
    beforeCreate(obj, undo) {
      allocate(a, obj, undefined, undo);
    },
    beforeUpdate(next, old, undo) {
      // A type change away from NodePort/LoadBalancer drops node ports; ExternalName drops the IP.
      allocate(a, next, old, undo);
    },
    afterUpdate(next, old) {
      release(a, old, next);
    },
    afterDelete(obj) {
      release(a, obj);
    },
  };
}
