// Cluster DNS on its own, against any cluster reachable with a kubeconfig:
// for tests and manual checks until `kts server` starts it itself.
//
//   KUBECONFIG=/path/admin.kubeconfig KTS_DNS_LISTEN=127.0.0.1:5353 node dist/src/dns/standalone.js
//
// Environment: KTS_DNS_LISTEN (host:port, comma-separated; default 127.0.0.1:5353),
// KTS_DNS_DOMAIN (default cluster.local), KTS_DNS_UPSTREAMS (host[:port], comma-separated;
// default the host's resolv.conf), KTS_DNS_POD_MODE (insecure | verified | disabled).

import { pathToFileURL } from 'node:url';
import { HttpClient } from '../client/http-client.js';
import { parseServerAddress } from './forwarder.js';
import { startClusterDns, type ClusterDns, type ClusterDnsOptions } from './index.js';
import type { PodMode } from './zone.js';

/** Starts cluster DNS with an HTTP client built from a kubeconfig; stop() also closes the client. */
export async function startClusterDnsFromKubeconfig(kubeconfig: string, opts: ClusterDnsOptions = {}): Promise<ClusterDns> {
  const client = HttpClient.fromKubeconfig(kubeconfig);
  let dns: ClusterDns;
  try {
    dns = await startClusterDns(client, opts);
  } catch (e) {
    client.close();
    throw e;
  }
  const stop = dns.stop;
  return {
    ...dns,
    async stop() {
      await stop();
      client.close();
    },
  };
}

function list(v: string | undefined): string[] | undefined {
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

async function main(): Promise<void> {
  const kubeconfig = process.env.KUBECONFIG;
  if (!kubeconfig) {
    console.error('KUBECONFIG must name a kubeconfig file');
    process.exit(2);
  }
  const env = process.env;
  const dns = await startClusterDnsFromKubeconfig(kubeconfig, {
    listen: (list(env.KTS_DNS_LISTEN) ?? ['127.0.0.1:5353']).map((s) => parseServerAddress(s)),
    domain: env.KTS_DNS_DOMAIN,
    upstreams: list(env.KTS_DNS_UPSTREAMS),
    podMode: env.KTS_DNS_POD_MODE as PodMode | undefined,
  });
  console.error(`cluster DNS serving ${dns.zone.domain} on ${dns.addresses.map((a) => `${a.host}:${a.port}`).join(', ')}; forwarding to ${dns.upstreams.map((u) => `${u.host}:${u.port}`).join(', ') || 'nothing'}`);
  const shutdown = () => void dns.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
}
