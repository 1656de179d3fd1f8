/**
 * The Docker-links style environment a container gets for Services, as the
 * kubelet builds it: `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT` (and one
 * per named port), `<NAME>_PORT` and `<NAME>_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]`
 * for every Service of the pod's namespace with a cluster IP (unless
 * `enableServiceLinks: false`), and always for `default/kubernetes`, which is
 * how in-cluster clients find the API server.
 */

export function serviceEnvVars(services: any[], pod: any): Array<{ key: string; value: string }> {
  const ns = pod.metadata?.namespace ?? 'default';
  const links = pod.spec?.enableServiceLinks !== false;
  const chosen = new Map<string, any>();
  for (const svc of services) {
    const ip = svc.spec?.clusterIP;
    if (!ip || ip === 'None') continue;
    const name = svc.metadata?.name;
    if (svc.metadata?.namespace === 'default' && name === 'kubernetes') {
      if (!chosen.has(name)) chosen.set(name, svc);
    } else if (svc.metadata?.namespace === ns && links) {
      chosen.set(name, svc);
    }
  }
  const out: Array<{ key: string; value: string }> = [];
  for (const name of [...chosen.keys()].sort()) {
    const svc = chosen.get(name);
    const prefix = envName(name);
    const ip: string = svc.spec.clusterIP;
    const host = ip.includes(':') ? `[${ip}]` : ip;
    const ports: any[] = svc.spec.ports ?? [];
    out.push({ key: `${prefix}_SERVICE_HOST`, value: ip });
    if (ports.length) out.push({ key: `${prefix}_SERVICE_PORT`, value: String(ports[0].port) });
    for (const p of ports) if (p.name) out.push({ key: `${prefix}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
    ports.forEach((p, i) => {
      const proto = String(p.protocol ?? 'TCP');
      const url = `${proto.toLowerCase()}://${host}:${p.port}`;
      if (i === 0) out.push({ key: `${prefix}_PORT`, value: url });
      const base = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.push({ key: base, value: url }, { key: `${base}_PROTO`, value: proto.toLowerCase() }, { key: `${base}_PORT`, value: String(p.port) }, { key: `${base}_ADDR`, value: ip });
    });
  }
  return out;
}

function envName(s: string): string {
  return s.toUpperCase().replace(/-/g, '_');
}
