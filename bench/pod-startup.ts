// Pod start-up latency with real containers: starts `kts server` with its
// node agent (containerd), creates N busybox pods at once and prints, per
// pod, the time from the create request until the watch shows it Running and
// Ready (p50/p99), then the agent's idle RSS. Upstream's SLO is 5 s p99.
//
//   node dist/bench/pod-startup.js [--pods 50] [--probe]
//
// --probe gives every container an exec readiness probe (period 1 s), so
// Ready waits for a probe; each probe is a runc exec, which on a small
// machine competes with the start-ups. It also prints where the CPU went
// during the burst: kts itself, containerd with the CNI plugins it runs, and
// the shims with runc.
//
// Needs root, containerd, runc, CNI plugins and busybox-static.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { startAgentServer } from './agent-server.js';


function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** utime + stime + children's (waited-for) utime + stime, in clock ticks. */
function cpuTicks(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  } catch {
    return 0;
  }
}

function pids(pattern: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', pattern]).toString().trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function main(): Promise<void> {
  const n = arg('pods', 50);
  const probe = process.argv.includes('--probe');
  const server = await startAgentServer('kts-bench-pods-');
  const { dataDir, proc, client } = server;
  try {
    // Warm-up: one pod, so image unpack and the first sandbox are not measured.
    const podBody = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'app', image: 'kts.local/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1; done'], ...(probe ? { readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } } : {}) }],
      },
    });
    const created = new Map<string, number>();
    const running = new Map<string, number>();
    const ready = new Map<string, number>();
    const watch = await client.watch('/api/v1/namespaces/default/pods', (ev) => {
      const p = ev.object;
      const name = p?.metadata?.name;
      if (!name || !created.has(name)) return;
      const now = performance.now();
      if (p.status?.phase === 'Running' && !running.has(name)) running.set(name, now);
      if (p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') && !ready.has(name)) ready.set(name, now);
    });
    created.set('warmup', performance.now());
    await client.create('/api/v1/namespaces/default/pods', podBody('warmup'));
    while (!ready.has('warmup')) await new Promise((r) => setTimeout(r, 50));
    const warm = ready.get('warmup')! - created.get('warmup')!;

    const ctd = pids(`containerd --config ${dataDir}`)[0];
    const shimPattern = `containerd-shim-runc-v2 -namespace k8s.io`;
    const cpu0 = { kts: cpuTicks(proc.pid!), ctd: ctd ? cpuTicks(ctd) : 0, shims: pids(shimPattern).reduce((a, p) => a + cpuTicks(p), 0) };
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const name = `p${i}`;
        created.set(name, performance.now());
        await client.create('/api/v1/namespaces/default/pods', podBody(name));
      }),
    );
    const deadline = Date.now() + 120_000;
    while ((ready.size < n + 1 || running.size < n + 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const total = performance.now() - t0;
    const cpu1 = { kts: cpuTicks(proc.pid!), ctd: ctd ? cpuTicks(ctd) : 0, shims: pids(shimPattern).reduce((a, p) => a + cpuTicks(p), 0) };
    watch.stop();
    const lat = (m: Map<string, number>) => [...created].filter(([k]) => k !== 'warmup' && m.has(k)).map(([k, t]) => m.get(k)! - t).sort((a, b) => a - b);
    const r = lat(running);
    const y = lat(ready);
    console.log(`pod start-up, ${n} pods created at once on one node (real containers, containerd ${execFileSync('containerd', ['--version']).toString().split(' ')[2]}; ${probe ? 'exec readiness probe every 1 s' : 'no probes: Ready when the container started'})`);
    console.log(`  first pod (cold) to Ready:   ${warm.toFixed(0)} ms`);
    console.log(`  create -> Running: p50 ${pct(r, 50).toFixed(0)} ms, p99 ${pct(r, 99).toFixed(0)} ms (${r.length}/${n})`);
    console.log(`  create -> Ready:   p50 ${pct(y, 50).toFixed(0)} ms, p99 ${pct(y, 99).toFixed(0)} ms (${y.length}/${n})`);
    console.log(`  all ${n} Ready after ${total.toFixed(0)} ms; upstream SLO: 5,000 ms p99 (ratio ${(5000 / pct(y, 99)).toFixed(1)}x under)`);
    // Shims started during the burst count whole; the warm-up's shim only its share.
    const ms = (ticks: number) => (ticks * 10) / n;
    console.log(`  CPU per pod during the burst: kts ${ms(cpu1.kts - cpu0.kts).toFixed(0)} ms, containerd + CNI plugins ${ms(cpu1.ctd - cpu0.ctd).toFixed(0)} ms, shims + runc ${ms(cpu1.shims - cpu0.shims).toFixed(0)} ms (${os.cpus().length} CPUs)`);

    // Delete them all, let the agent settle, and measure the idle process.
    await client.request('DELETE', '/api/v1/namespaces/default/pods');
    for (;;) {
      const left = await client.get('/api/v1/namespaces/default/pods');
      if (!left.items.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 5000));
    const ctdPid = Number(execFileSync('pgrep', ['-f', `containerd --config ${dataDir}`]).toString().trim().split('\n')[0]);
    console.log(`  idle RSS: kts (API server + controllers + scheduler + kubelet) ${(rssKiB(proc.pid!) / 1024).toFixed(0)} MiB, containerd ${(rssKiB(ctdPid) / 1024).toFixed(0)} MiB`);
  } finally {
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
