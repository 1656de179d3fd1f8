// Requests per second through a Service's ClusterIP (the service proxy's
// iptables DNAT) against straight to the pod IP, from the node, with real
// containers: starts `kts server` with its node agent, runs one busybox
// httpd pod behind a ClusterIP Service, and drives each address with C
// concurrent clients for D seconds (a new connection per request, as
// busybox httpd closes after each).
//
//   node dist/bench/service-throughput.js [--seconds 5] [--concurrency 16]
//
// Needs root, containerd, runc, CNI plugins, iptables and busybox-static.

import http from 'node:http';
import { startAgentServer } from './agent-server.js';


function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function get(host: string, port: number): Promise<number> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const req = http.get({ host, port, path: '/', agent: false }, (r) => {
      r.resume();
      r.on('end', () => (r.statusCode === 200 ? res(performance.now() - t0) : rej(new Error(`HTTP ${r.statusCode}`))));
    });
    req.on('error', rej);
  });
}

async function drive(host: string, port: number, seconds: number, concurrency: number): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const lat: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        try {
          lat.push(await get(host, port));
        } catch {
          errors++;
        }
      }
    }),
  );
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)] ?? NaN;
  return { rps: lat.length / seconds, p50: pct(50), p99: pct(99), errors };
}

async function main(): Promise<void> {
  const seconds = arg('seconds', 5);
  const concurrency = arg('concurrency', 16);
  const server = await startAgentServer('kts-bench-svc-', ['--disable', 'ingress']);
  const { client } = server;
  try {
    await client.create('/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'kts.local/busybox:latest', command: ['sh', '-c', 'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www'] }] },
    });
    const svc = await client.create('/api/v1/namespaces/default/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    let podIP = '';
    for (let i = 0; i < 600 && !podIP; i++) {
      const p = await client.get('/api/v1/namespaces/default/pods/web');
      if (p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')) podIP = p.status.podIP;
      else await new Promise((r) => setTimeout(r, 100));
    }
    if (!podIP) throw new Error('pod did not become Ready');
    const clusterIP: string = svc.spec.clusterIP;
    for (let i = 0; i < 100; i++) {
      try {
        await get(clusterIP, 80);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const direct = await drive(podIP, 8080, seconds, concurrency);
    const viaService = await drive(clusterIP, 80, seconds, concurrency);
    const row = (name: string, r: typeof direct) => `  ${name.padEnd(22)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  errors ${r.errors}`;
    console.log(`HTTP through a ClusterIP vs straight to the pod, from the node (${concurrency} concurrent, ${seconds} s each, a connection per request)`);
    console.log(row(`pod ${podIP}:8080`, direct));
    console.log(row(`ClusterIP ${clusterIP}:80`, viaService));
    console.log(`  ClusterIP / direct: ${(viaService.rps / direct.rps).toFixed(2)}x`);
  } finally {
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
