/**
 * Container probes: one worker per probe of each running container instance
 * (startup, readiness, liveness), honouring initialDelaySeconds,
 * periodSeconds, timeoutSeconds, successThreshold and failureThreshold.
 * Liveness and readiness wait until the startup probe succeeded. Results
 * feed the pod's status (ready, started) and restarts (liveness, startup).
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { EventRecorder } from '../controllers/events.js';
import type { ContainerRuntime } from '../runtime/types.js';
import type { ProbeState } from './pod-worker.js';

type Kind = 'startup' | 'readiness' | 'liveness';

export interface Result {
  ok: boolean;
  output: string;
}

export interface ProbeManagerOptions {
  runtime: ContainerRuntime;
  recorder: EventRecorder;
  /** A result changed for a container of `pod`: sync it. */
  onChange: (pod: any) => void;
}

interface Worker {
  kind: Kind;
  timer?: NodeJS.Timeout;
  successes: number;
  failures: number;
  stopped: boolean;
}

interface Instance {
  podUID: string;
  pod: any;
  container: any;
  id: string;
  podIP: string;
  ready?: boolean;
  started?: boolean;
  restart?: string;
  workers: Worker[];
}

const DEFAULTS = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };

export class ProbeManager implements ProbeState {
  private readonly instances = new Map<string, Instance>();

  constructor(private readonly o: ProbeManagerOptions) {}

  ready(id: string): boolean | undefined {
    return this.instances.get(id)?.ready;
  }

  started(id: string): boolean | undefined {
    return this.instances.get(id)?.started;
  }

  mustRestart(id: string): string | undefined {
    return this.instances.get(id)?.restart;
  }

  update(pod: any, running: Array<{ container: any; id: string; startedAt: number; podIP: string; init: boolean }>): void {
    const uid = pod.metadata.uid;
    const ids = new Set(running.map((r) => r.id));
    for (const [id, inst] of this.instances) if (inst.podUID === uid && !ids.has(id)) this.stopInstance(id);
    for (const r of running) {
      const existing = this.instances.get(r.id);
      if (existing) {
        existing.pod = pod;
        continue;
      }
      const c = r.container;
      // Regular init containers are not probed.
      if (r.init && c.restartPolicy !== 'Always') continue;
      if (!c.startupProbe && !c.readinessProbe && !c.livenessProbe) continue;
      const inst: Instance = {
        podUID: uid, pod, container: c, id: r.id, podIP: r.podIP, workers: [],
        started: c.startupProbe ? false : undefined,
        ready: c.readinessProbe ? false : undefined,
      };
      this.instances.set(r.id, inst);
      for (const kind of ['startup', 'readiness', 'liveness'] as Kind[]) {
        const probe = c[`${kind}Probe`];
        if (!probe) continue;
        const w: Worker = { kind, successes: 0, failures: 0, stopped: false };
        inst.workers.push(w);
        const p = { ...DEFAULTS, ...probe };
        const firstAt = r.startedAt + p.initialDelaySeconds * 1000;
        this.schedule(inst, w, Math.max(0, firstAt - Date.now()));
      }
    }
  }

  forgetPod(uid: string): void {
    for (const [id, inst] of this.instances) if (inst.podUID === uid) this.stopInstance(id);
  }

  stop(): void {
    for (const id of [...this.instances.keys()]) this.stopInstance(id);
  }

  private stopInstance(id: string): void {
    const inst = this.instances.get(id);
    if (!inst) return;
    for (const w of inst.workers) {
      w.stopped = true;
      clearTimeout(w.timer);
    }
    this.instances.delete(id);
  }

  private schedule(inst: Instance, w: Worker, ms: number): void {
    if (w.stopped) return;
    w.timer = setTimeout(() => void this.tick(inst, w), ms);
  }

  private async tick(inst: Instance, w: Worker): Promise<void> {
    if (w.stopped) return;
    const probe = { ...DEFAULTS, ...inst.container[`${w.kind}Probe`] };
    // Liveness and readiness start only after the startup probe succeeded.
    if (w.kind !== 'startup' && inst.started === false) {
      this.schedule(inst, w, probe.periodSeconds * 1000);
      return;
    }
    const res = await this.run(inst, probe).catch((e) => ({ ok: false, output: String(e?.message ?? e) }));
    if (w.stopped) return;
    if (res.ok) {
      w.successes++;
      w.failures = 0;
    } else {
      w.failures++;
      w.successes = 0;
      const label = w.kind[0].toUpperCase() + w.kind.slice(1);
      this.o.recorder.event(inst.pod, 'Warning', 'Unhealthy', `${label} probe failed: ${res.output.trim()}`);
    }
    let changed = false;
    const threshold = w.kind === 'readiness' ? probe.successThreshold : 1;
    if (w.kind === 'startup') {
      if (res.ok && !inst.started) {
        inst.started = true;
        changed = true;
      } else if (!res.ok && w.failures >= probe.failureThreshold) {
        inst.restart = 'failed startup probe';
        changed = true;
      }
    } else if (w.kind === 'readiness') {
      if (res.ok && w.successes >= threshold && inst.ready !== true) {
        inst.ready = true;
        changed = true;
      } else if (!res.ok && w.failures >= probe.failureThreshold && inst.ready !== false) {
        inst.ready = false;
        changed = true;
      }
    } else if (!res.ok && w.failures >= probe.failureThreshold && !inst.restart) {
      inst.restart = 'failed liveness probe';
      changed = true;
    }
    if (changed) this.o.onChange(inst.pod);
    if (inst.restart) return; // this instance is being replaced
    if (w.kind === 'startup' && inst.started) return; // startup probes stop once they succeed
    this.schedule(inst, w, probe.periodSeconds * 1000);
  }

  private async run(inst: Instance, probe: any): Promise<Result> {
    const timeoutMs = Math.max(1, probe.timeoutSeconds) * 1000;
    if (probe.exec) {
      const r = await this.o.runtime.execSync(inst.id, probe.exec.command ?? [], probe.timeoutSeconds);
      const output = Buffer.concat([r.stdout, r.stderr]).toString();
      return { ok: r.exitCode === 0, output: r.exitCode === 0 ? output : output || `command ${JSON.stringify(probe.exec.command)} exited with ${r.exitCode}` };
    }
    if (probe.httpGet) return httpGetAction(inst.container, inst.podIP, probe.httpGet, timeoutMs);
    if (probe.tcpSocket) return tcpProbe(inst, probe.tcpSocket, timeoutMs);
    return { ok: false, output: 'probe type not supported by this node' };
  }
}

export function resolvePort(container: any, port: number | string): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = (container.ports ?? []).find((x: any) => x.name === port);
  if (!p) throw new Error(`couldn't find port: ${port} in ${container.name}`);
  return p.containerPort;
}

/** An httpGet action (probe or lifecycle hook): 2xx and 3xx succeed. */
export function httpGetAction(container: any, podIP: string, g: any, timeoutMs: number): Promise<Result> {
  let port: number;
  try {
    port = resolvePort(container, g.port);
  } catch (e) {
    return Promise.resolve({ ok: false, output: (e as Error).message });
  }
  const host = g.host || podIP;
  const scheme = String(g.scheme ?? 'HTTP').toLowerCase();
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
  for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${g.path ?? '/'}`;
  return new Promise((resolve) => {
    const mod = scheme === 'https' ? https : http;
    const req = mod.get(url, { headers, timeout: timeoutMs, rejectUnauthorized: false } as any, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 10_240) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        const ok = code >= 200 && code < 400;
        resolve({ ok, output: ok ? '' : `HTTP probe failed with statuscode: ${code}` });
      });
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ ok: false, output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    });
    req.on('error', (e) => resolve({ ok: false, output: `Get "${url}": ${e.message}` }));
  });
}

function tcpProbe(inst: Instance, t: any, timeoutMs: number): Promise<Result> {
  const port = resolvePort(inst.container, t.port);
  const host = t.host || inst.podIP;
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ ok: false, output: `dial tcp ${host}:${port}: i/o timeout` });
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ ok: true, output: '' });
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, output: `dial tcp ${host}:${port}: ${e.message}` });
    });
  });
}
