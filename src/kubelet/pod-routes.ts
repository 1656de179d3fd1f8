// Routes between nodes' pod networks (what flannel's host-gw backend does
// in k3s): for every other Node with a pod CIDR inside the cluster CIDR and
// an InternalIP, a kernel route `<podCIDR> via <next hop>`. The next hop is
// the node's address when it is on a directly connected network, else the
// gateway this host uses to reach that address. Routes carry their own
// protocol number so the agent can find, replace and remove exactly its own
// (on stop, and `kts killall`), never anyone else's.

import { execFile } from 'node:child_process';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../client/types.js';
import { Informer } from '../client/informer.js';
import { parseCIDR } from '../api/cidr.js';

/** `proto 0xb4` in `ip route`: marks routes kts owns. */
export const ROUTE_PROTO = '180';

type Exec = (cmd: string, args: string[]) => Promise<string>;

const defaultExec: Exec = (cmd, args) =>
  new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8' }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(stdout)));
  });

function inside(cidr: string, cluster: { base: number; prefix: number }): boolean {
  try {
    const c = parseCIDR(cidr);
    const size = 2 ** (32 - cluster.prefix);
    return c.prefix >= cluster.prefix && c.base >= cluster.base && c.base < cluster.base + size;
  } catch {
    return false;
  }
}

/** The pod CIDR → node address pairs this node should route (pure). */
export function wantedRoutes(nodes: Node[], self: string, clusterCIDR: string): Map<string, string> {
  const cluster = parseCIDR(clusterCIDR);
  const out = new Map<string, string>();
  for (const n of nodes) {
    if (n.metadata?.name === self) continue;
    const cidr = n.spec?.podCIDR;
    const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP' && /^[\d.]+$/.test(a.address))?.address;
    if (cidr && ip && inside(cidr, cluster)) out.set(cidr, ip);
  }
  return out;
}

export interface PodRoutes {
  /** Reconciles now. */
  sync(): Promise<void>;
  /** Stops watching and removes every route it made. */
  stop(): Promise<void>;
}

/** Removes every kts route (also used by `kts killall`). */
export async function removePodRoutes(exec: Exec = defaultExec): Promise<number> {
  const routes = JSON.parse((await exec('ip', ['-j', 'route', 'show', 'proto', ROUTE_PROTO]).catch(() => '[]')) || '[]') as Array<{ dst: string }>;
  for (const r of routes) await exec('ip', ['route', 'del', r.dst, 'proto', ROUTE_PROTO]).catch(() => {});
  return routes.length;
}

export async function startPodRoutes(client: ApiClient, opts: { nodeName: string; clusterCIDR: string; exec?: Exec; onError?: (e: unknown) => void; resyncMs?: number }): Promise<PodRoutes> {
  const exec = opts.exec ?? defaultExec;
  const nodes = new Informer<Node>(client, '/api/v1/nodes');
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  /** Routes that failed (an unreachable next hop), reported once each. */
  const reported = new Set<string>();

  const nextHop = async (ip: string): Promise<string | undefined> => {
    const out = JSON.parse((await exec('ip', ['-j', 'route', 'get', ip])) || '[]') as Array<{ gateway?: string; dev?: string; prefsrc?: string }>;
    const r = out[0];
    if (!r || r.dev === 'lo') return undefined; // the address is this host's own: nothing to route
    return r.gateway ?? ip;
  };

  const reconcile = async () => {
    const want = wantedRoutes(nodes.list(), opts.nodeName, opts.clusterCIDR);
    const have = new Map<string, string>();
    const current = JSON.parse((await exec('ip', ['-j', 'route', 'show', 'proto', ROUTE_PROTO])) || '[]') as Array<{ dst: string; gateway?: string }>;
    for (const r of current) have.set(r.dst, r.gateway ?? '');
    for (const [cidr, ip] of want) {
      try {
        const via = await nextHop(ip);
        if (!via) continue;
        if (have.get(cidr) === via) continue;
        await exec('ip', ['route', 'replace', cidr, 'via', via, 'proto', ROUTE_PROTO]);
        reported.delete(cidr);
      } catch (e) {
        if (!reported.has(cidr)) opts.onError?.(e);
        reported.add(cidr);
      }
    }
    for (const cidr of have.keys()) if (!want.has(cidr)) await exec('ip', ['route', 'del', cidr, 'proto', ROUTE_PROTO]).catch((e) => opts.onError?.(e));
  };

  const sync = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await reconcile();
        } while (again && !stopped);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const kick = () => void sync().catch((e) => opts.onError?.(e));
  const reg = nodes.addEventHandler({ onAdd: kick, onUpdate: (o, n) => { if (o.spec?.podCIDR !== n.spec?.podCIDR || JSON.stringify(o.status?.addresses) !== JSON.stringify(n.status?.addresses)) kick(); }, onDelete: kick });
  nodes.start();
  await nodes.waitForSync();
  await sync().catch((e) => opts.onError?.(e));
  const timer = setInterval(kick, opts.resyncMs ?? 30_000);
  timer.unref();
  return {
    sync,
    async stop() {
      stopped = true;
      clearInterval(timer);
      reg.remove();
      nodes.stop();
      await running?.catch(() => {});
      await removePodRoutes(exec);
    },
  };
}
