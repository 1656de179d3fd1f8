/**
 * Pod workers: for one pod at a time (the work queue never hands a key to two
 * workers), compare the pod's spec with what the runtime runs and act — set
 * up volumes, run the sandbox, run init containers in order, then sidecars and
 * app containers, restart exited ones per restartPolicy with exponential
 * back-off (CrashLoopBackOff), stop everything on deletion honouring the grace
 * period — then write the pod's status. Level-triggered and idempotent: the
 * runtime's containers (found by their labels) are the truth, so a restarted
 * kubelet picks up where it left off.
 */
import { mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiClient } from '../client/types.js';
import { isConflict, isNotFound } from '../client/types.js';
import type { EventRecorder } from '../controllers/events.js';
import type { Container, ContainerRuntime, ContainerStatus, PodSandboxConfig } from '../runtime/types.js';
import { RuntimeError } from '../runtime/types.js';
import { removeCgroup } from '../runtime/cgroups.js';
import { buildPodStatus, formatDuration, newerResourceVersion, semanticEqual, type SimContainer, type SimPod } from '../sim/pod-status.js';
import { hookFailureMessage, runHook } from './lifecycle.js';
import { mirrorHash, runnablePod } from './static-pods.js';
import type { DnsConfig } from './dns-config.js';
import { buildEnv, EnvError, expandCommand, expandVars, type EnvSources } from './env.js';
import {
  ANNOTATION_RESTART_COUNT, LABEL_CONTAINER_NAME, LABEL_POD_UID, containerConfig, etcHosts, sandboxConfig,
} from './runtime-config.js';
import { containerMounts, setUpVolumes, tearDownVolumes, VolumeError, type PreparedVolume, type VolumeSources } from './volumes.js';
import type { ImageManager } from './images.js';

export interface PodWorkerOptions {
  client: ApiClient;
  runtime: ContainerRuntime;
  images: ImageManager;
  recorder: EventRecorder;
  nodeName: string;
  nodeHostname: string;
  /** The pod's resolv.conf contents (dnsPolicy, dnsConfig); the runtime's default when absent. */
  dnsFor?: (pod: any) => DnsConfig;
  nodeIP: string;
  /** Pods' folders (volumes, hosts files): `<root>/<uid>`. */
  podsDir: string;
  /** Container logs: `<root>/<ns>_<name>_<uid>/<container>/<attempt>.log`. */
  logsDir: string;
  envSources: (pod: any) => EnvSources;
  volumeSources: VolumeSources;
  /** First CrashLoopBackOff delay (default 10 s) and cap (default 300 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Ask for another sync of `key` after `ms`. */
  requeueAfter: (key: string, ms: number) => void;
  /** Probe results, keyed by container id. */
  probes?: ProbeState;
}

export interface ProbeState {
  ready(containerId: string): boolean | undefined;
  started(containerId: string): boolean | undefined;
  /** The liveness or startup probe asked for a restart of this instance. */
  mustRestart(containerId: string): string | undefined;
  /** Called when the pod's containers are known, so probes start and stop with them. */
  update(pod: any, running: Array<{ container: any; id: string; startedAt: number; podIP: string; init: boolean }>): void;
  forgetPod(uid: string): void;
}

interface ContainerRecord {
  backoffMs: number;
  /** The next instance may not start before this. */
  notBefore: number;
  waiting?: { reason: string; message?: string };
}

interface Observed {
  c: Container;
  s: ContainerStatus;
  prev?: { c: Container; s: ContainerStatus };
}

function restartCountOf(c: Container): number {
  return Number(c.annotations[ANNOTATION_RESTART_COUNT] ?? c.metadata.attempt ?? 0);
}

function termination(id: string, s: ContainerStatus): NonNullable<SimContainer['last']> {
  return {
    containerID: `containerd://${id}`,
    startedAt: nanosToMs(s.startedAt),
    finishedAt: nanosToMs(s.finishedAt),
    exitCode: s.exitCode,
    reason: s.reason || (s.exitCode === 0 ? 'Completed' : 'Error'),
  };
}

interface PodRecord {
  uid: string;
  startTime: number;
  sandboxId?: string;
  sandboxConfig?: PodSandboxConfig;
  sandboxAttempt: number;
  podIP: string;
  containers: Map<string, ContainerRecord>;
  /** Set once the pod reached Succeeded or Failed. */
  terminal?: 'Succeeded' | 'Failed';
  deleted?: boolean;
  latest?: any;
}

const POD_PATH = (ns: string, name: string) => `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}`;
const FIELD_MANAGER = 'kubelet';
const MAX_WRITE_ATTEMPTS = 5;

function nanosToMs(ns: number): number {
  return Math.floor(ns / 1e6);
}

export class PodWorkers {
  private readonly records = new Map<string, PodRecord>();
  private readonly backoffBase: number;
  private readonly backoffMax: number;

  constructor(private readonly o: PodWorkerOptions) {
    this.backoffBase = o.backoffBaseMs ?? 10_000;
    this.backoffMax = o.backoffMaxMs ?? 300_000;
  }

  podDir(uid: string): string {
    return join(this.o.podsDir, uid);
  }

  podLogDir(pod: { metadata: { namespace: string; name: string; uid: string } }): string {
    return join(this.o.logsDir, `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`);
  }

  /** The sandbox id of a pod this node runs (for exec, attach, port-forward, stats). */
  sandboxOf(uid: string): string | undefined {
    for (const r of this.records.values()) if (r.uid === uid) return r.sandboxId;
    return undefined;
  }

  knownUIDs(): Set<string> {
    return new Set([...this.records.values()].map((r) => r.uid));
  }

  /**
   * One sync of the pod at `key`. `pod` is the informer's copy, or undefined
   * when the pod is gone from the API (then everything it ran is removed).
   */
  async sync(key: string, cached: any | undefined): Promise<void> {
    cached = runnablePod(cached);
    let rec = this.records.get(key);
    if (rec && (!cached || cached.metadata.uid !== rec.uid)) {
      await this.removePod(rec);
      this.records.delete(key);
      rec = undefined;
    }
    if (!cached) return;
    let pod = cached;
    if (rec?.latest) {
      if (newerResourceVersion(rec.latest, cached)) pod = runnablePod(rec.latest);
      else rec.latest = undefined;
    }
    if (!rec) {
      rec = await this.adopt(pod);
      this.records.set(key, rec);
    }
    if (rec.deleted) return;
    if (pod.metadata.deletionTimestamp) return this.terminate(key, pod, rec);
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      rec.terminal ??= phase;
      await this.stopSandbox(rec);
      return;
    }
    if (rec.terminal) return;
    await this.syncRunning(key, pod, rec);
  }

  /** Rebuilds a record from what the runtime already runs for this pod (kubelet restart). */
  private async adopt(pod: any): Promise<PodRecord> {
    const rec: PodRecord = { uid: pod.metadata.uid, startTime: pod.status?.startTime ? Date.parse(pod.status.startTime) : Date.now(), sandboxAttempt: 0, podIP: '', containers: new Map() };
    const sandboxes = await this.o.runtime.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: rec.uid } });
    sandboxes.sort((a, b) => b.createdAt - a.createdAt);
    const newest = sandboxes[0];
    if (newest) {
      rec.sandboxAttempt = newest.metadata.attempt;
      if (newest.state === 'SANDBOX_READY') {
        rec.sandboxId = newest.id;
        const st = await this.o.runtime.podSandboxStatus(newest.id);
        rec.podIP = pod.spec?.hostNetwork ? this.o.nodeIP : st.network?.ip ?? '';
        rec.sandboxConfig = this.sandboxConfigFor(pod, rec);
      }
    }
    return rec;
  }

  private sandboxConfigFor(pod: any, rec: PodRecord): PodSandboxConfig {
    return sandboxConfig(pod, { logDirectory: this.podLogDir(pod), attempt: rec.sandboxAttempt, nodeHostname: this.o.nodeHostname, dns: this.o.dnsFor?.(pod) });
  }

  private containerRecord(rec: PodRecord, name: string): ContainerRecord {
    let c = rec.containers.get(name);
    if (!c) {
      c = { backoffMs: 0, notBefore: 0 };
      rec.containers.set(name, c);
    }
    return c;
  }

  /**
   * Latest instance per container name in the pod's current sandbox, with
   * its status, and the instance before it (for lastState).
   */
  private async observe(rec: PodRecord): Promise<Map<string, Observed>> {
    const out = new Map<string, Observed>();
    if (!rec.sandboxId) return out;
    const list = await this.o.runtime.listContainers({ podSandboxId: rec.sandboxId });
    const byName = new Map<string, Container[]>();
    for (const c of list) {
      const name = c.labels[LABEL_CONTAINER_NAME] ?? c.metadata.name;
      const arr = byName.get(name) ?? [];
      arr.push(c);
      byName.set(name, arr);
    }
    const status = async (c: Container) => {
      try {
        return await this.o.runtime.containerStatus(c.id);
      } catch (e) {
        if (e instanceof RuntimeError && e.code === 5) return undefined;
        throw e;
      }
    };
    for (const [name, arr] of byName) {
      arr.sort((a, b) => restartCountOf(b) - restartCountOf(a) || b.createdAt - a.createdAt);
      const s = await status(arr[0]);
      if (!s) continue;
      const o: Observed = { c: arr[0], s };
      if (arr[1]) {
        const ps = await status(arr[1]);
        if (ps) o.prev = { c: arr[1], s: ps };
      }
      out.set(name, o);
    }
    return out;
  }

  private async syncRunning(key: string, pod: any, rec: PodRecord): Promise<void> {
    const now = Date.now();
    const podDir = this.podDir(rec.uid);
    let volumes: Map<string, PreparedVolume>;
    try {
      volumes = await setUpVolumes(pod, podDir, this.o.volumeSources);
    } catch (e) {
      if (!(e instanceof VolumeError)) throw e;
      this.o.recorder.event(pod, 'Warning', 'FailedMount', e.message);
      await this.writeStatus(key, pod, rec, await this.model(pod, rec, new Map()));
      this.o.requeueAfter(key, 2_000);
      return;
    }

    // The sandbox: created once, re-created if it died (containers restart in the new one).
    if (rec.sandboxId) {
      const st = await this.o.runtime.podSandboxStatus(rec.sandboxId).catch((e) => (e instanceof RuntimeError && e.code === 5 ? undefined : Promise.reject(e)));
      if (!st || st.state !== 'SANDBOX_READY') {
        if (st) this.o.recorder.event(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
        await this.removeSandbox(rec);
        rec.sandboxAttempt++;
      }
    }
    if (!rec.sandboxId) {
      const cfg = this.sandboxConfigFor(pod, rec);
      mkdirSync(cfg.logDirectory!, { recursive: true });
      try {
        await this.o.images.ensurePauseImage();
        rec.sandboxId = await this.o.runtime.runPodSandbox(cfg);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        this.o.recorder.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${msg}`);
        await this.writeStatus(key, pod, rec, await this.model(pod, rec, new Map()));
        throw e;
      }
      rec.sandboxConfig = cfg;
      const st = await this.o.runtime.podSandboxStatus(rec.sandboxId);
      rec.podIP = pod.spec?.hostNetwork ? this.o.nodeIP : st.network?.ip ?? '';
    }
    const hostsFile = join(podDir, 'etc-hosts');
    if (!pod.spec?.hostNetwork) {
      mkdirSync(podDir, { recursive: true });
      const hosts = etcHosts(pod, rec.podIP ? [rec.podIP] : []);
      if (!existsSync(hostsFile) || readFileSync(hostsFile, 'utf8') !== hosts) writeFileSync(hostsFile, hosts, { mode: 0o644 });
    }

    let observed = await this.observe(rec);
    let wake = Infinity;
    const policy: string = pod.spec?.restartPolicy ?? 'Always';
    const inits: any[] = pod.spec?.initContainers ?? [];
    const apps: any[] = pod.spec?.containers ?? [];

    // Init containers in order; sidecars (restartPolicy Always) keep running alongside.
    let initsDone = true;
    let failedInit = false;
    for (const c of inits) {
      const sidecar = c.restartPolicy === 'Always';
      const cur = observed.get(c.name);
      if (sidecar) {
        if (cur && cur.s.state === 'CONTAINER_RUNNING') {
          if (this.o.probes?.started(cur.c.id) === false) {
            initsDone = false;
            break;
          }
          continue;
        }
        const started = await this.startOrBackoff(pod, rec, c, cur, hostsFile, volumes, now, true);
        wake = Math.min(wake, started.wake);
        initsDone = false;
        break;
      }
      if (cur && cur.s.state === 'CONTAINER_EXITED' && cur.s.exitCode === 0) continue;
      if (cur && (cur.s.state === 'CONTAINER_RUNNING' || cur.s.state === 'CONTAINER_CREATED')) {
        initsDone = false;
        break;
      }
      if (cur && cur.s.state === 'CONTAINER_EXITED' && policy === 'Never') {
        failedInit = true;
        initsDone = false;
        break;
      }
      const started = await this.startOrBackoff(pod, rec, c, cur, hostsFile, volumes, now, true);
      wake = Math.min(wake, started.wake);
      initsDone = false;
      break;
    }

    if (initsDone) {
      for (const c of apps) {
        const cur = observed.get(c.name);
        if (cur && cur.s.state === 'CONTAINER_RUNNING') {
          const why = this.o.probes?.mustRestart(cur.c.id);
          if (why) {
            this.o.recorder.event(pod, 'Normal', 'Killing', `Container ${c.name} ${why}, will be restarted`);
            const probe = why.includes('startup') ? c.startupProbe : c.livenessProbe;
            await this.killContainer(pod, c, cur.c.id, probe?.terminationGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30, rec.podIP);
          }
          continue;
        }
        if (cur && cur.s.state === 'CONTAINER_EXITED') {
          const restart = policy === 'Always' || (policy === 'OnFailure' && cur.s.exitCode !== 0);
          if (!restart) continue;
        }
        if (cur && cur.s.state === 'CONTAINER_CREATED') continue;
        const started = await this.startOrBackoff(pod, rec, c, cur, hostsFile, volumes, now, false);
        wake = Math.min(wake, started.wake);
      }
    }

    observed = await this.observe(rec);
    const model = await this.model(pod, rec, observed);
    if (failedInit) model.terminal = 'Failed';
    // A pod whose containers all finished for good is done: stop its sandbox.
    if (!model.terminal) {
      const sim = { ...model };
      const phase = phaseFromModel(sim, pod);
      if (phase === 'Succeeded' || phase === 'Failed') model.terminal = phase;
    }
    this.o.probes?.update(
      pod,
      [...inits.map((c) => ({ c, init: true })), ...apps.map((c) => ({ c, init: false }))].flatMap(({ c, init }) => {
        const cur = observed.get(c.name);
        return cur && cur.s.state === 'CONTAINER_RUNNING' ? [{ container: c, id: cur.c.id, startedAt: nanosToMs(cur.s.startedAt), podIP: rec.podIP, init }] : [];
      }),
    );
    await this.writeStatus(key, pod, rec, model);
    if (model.terminal) {
      rec.terminal = model.terminal;
      await this.stopSandbox(rec);
      this.o.probes?.forgetPod(rec.uid);
      return;
    }
    if (wake !== Infinity) this.o.requeueAfter(key, Math.max(10, wake - Date.now()));
  }

  /**
   * Starts container `c` (a new instance) unless it is in back-off; records a
   * waiting reason on failure. Returns when to look again.
   */
  private async startOrBackoff(
    pod: any, rec: PodRecord, c: any, cur: Observed | undefined, hostsFile: string,
    volumes: Map<string, PreparedVolume>, now: number, init: boolean,
  ): Promise<{ wake: number }> {
    const cr = this.containerRecord(rec, c.name);
    const restartCount = cur ? Number(cur.c.annotations[ANNOTATION_RESTART_COUNT] ?? 0) + 1 : 0;
    if (cur) {
      // A restart: immediate the first time, then 10 s, 20 s, ... capped; reset after a long healthy run.
      const ranMs = nanosToMs(cur.s.finishedAt) - nanosToMs(cur.s.startedAt);
      if (ranMs > 2 * this.backoffMax) cr.backoffMs = 0;
      const finished = nanosToMs(cur.s.finishedAt) || now;
      if (cr.notBefore === 0 || cr.notBefore < finished) {
        cr.backoffMs = cr.backoffMs === 0 && restartCount <= 1 ? 0 : Math.min(this.backoffMax, cr.backoffMs ? cr.backoffMs * 2 : this.backoffBase);
        cr.notBefore = finished + cr.backoffMs;
      }
      if (now < cr.notBefore) {
        const secs = Math.round(cr.backoffMs / 1000);
        const podRef = `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
        cr.waiting = { reason: 'CrashLoopBackOff', message: `back-off ${formatDuration(secs)} restarting failed container=${c.name} pod=${podRef}` };
        this.o.recorder.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${podRef}`);
        return { wake: cr.notBefore };
      }
    }

    // Image.
    let imageRef: string;
    try {
      imageRef = await this.o.images.ensureImage(pod, c);
    } catch (e: any) {
      cr.waiting = { reason: e.reason ?? 'ErrImagePull', message: e.message };
      return { wake: now + (e.retryAfterMs ?? 5_000) };
    }

    // Environment, command, mounts.
    let env;
    try {
      env = buildEnv(c, this.o.envSources({ ...pod, status: { ...(pod.status ?? {}), podIP: rec.podIP, hostIP: this.o.nodeIP } }));
    } catch (e) {
      if (!(e instanceof EnvError)) throw e;
      cr.waiting = { reason: 'CreateContainerConfigError', message: e.message };
      this.o.recorder.event(pod, 'Warning', 'Failed', `Error: ${e.message}`);
      return { wake: now + 2_000 };
    }
    const vars = new Map(env.map((e) => [e.key, e.value]));
    const mounts = containerMounts(c, volumes, (s) => expandVars(s, vars));
    if (!pod.spec?.hostNetwork && !mounts.some((m) => m.containerPath === '/etc/hosts')) mounts.push({ containerPath: '/etc/hosts', hostPath: hostsFile, readonly: false });
    const termDir = join(this.podDir(rec.uid), 'containers', c.name);
    mkdirSync(termDir, { recursive: true });
    const termFile = join(termDir, `termination-log-${restartCount}`);
    writeFileSync(termFile, '');
    const termPath = c.terminationMessagePath ?? '/dev/termination-log';
    if (!mounts.some((m) => m.containerPath === termPath)) mounts.push({ containerPath: termPath, hostPath: termFile, readonly: false });

    const logDir = join(this.podLogDir(pod), c.name);
    mkdirSync(logDir, { recursive: true });
    const cfg = containerConfig(pod, c, {
      image: imageRef,
      attempt: restartCount,
      restartCount,
      env,
      command: expandCommand(c.command, env),
      args: expandCommand(c.args, env),
      mounts,
      logPath: join(c.name, `${restartCount}.log`),
    });
    rmSync(join(logDir, `${restartCount}.log`), { force: true });
    let id: string;
    try {
      id = await this.o.runtime.createContainer(rec.sandboxId!, cfg, rec.sandboxConfig!);
    } catch (e) {
      const msg = e instanceof RuntimeError ? e.details : String(e);
      cr.waiting = { reason: 'CreateContainerError', message: msg };
      this.o.recorder.event(pod, 'Warning', 'Failed', `Error: ${msg}`);
      return { wake: now + 5_000 };
    }
    this.o.recorder.event(pod, 'Normal', 'Created', `Created container: ${c.name}`);
    try {
      await this.o.runtime.startContainer(id);
    } catch (e) {
      const msg = e instanceof RuntimeError ? e.details : String(e);
      cr.waiting = { reason: 'RunContainerError', message: msg };
      this.o.recorder.event(pod, 'Warning', 'Failed', `Error: ${msg}`);
      await this.o.runtime.removeContainer(id).catch(() => undefined);
      return { wake: now + 1_000 };
    }
    cr.waiting = undefined;
    this.o.recorder.event(pod, 'Normal', 'Started', `Started container ${c.name}`);
    const postStart = c.lifecycle?.postStart;
    if (postStart) {
      const err = await runHook(this.o.runtime, c, id, rec.podIP, postStart, 0);
      if (err) {
        const msg = hookFailureMessage('PostStart', postStart, c, pod, err);
        this.o.recorder.event(pod, 'Warning', 'FailedPostStartHook', msg);
        this.o.recorder.event(pod, 'Normal', 'Killing', `FailedPostStartHook`);
        await this.o.runtime.stopContainer(id, pod.spec?.terminationGracePeriodSeconds ?? 30).catch(() => undefined);
        cr.waiting = { reason: 'PostStartHookError', message: msg };
      }
    }
    // Older dead instances go; the one before this stays for `kubectl logs --previous`.
    if (cur) await this.pruneInstances(rec, c.name, [id, cur.c.id]);
    return { wake: Infinity };
  }

  private async pruneInstances(rec: PodRecord, name: string, keep: string[]): Promise<void> {
    if (!rec.sandboxId) return;
    const list = await this.o.runtime.listContainers({ podSandboxId: rec.sandboxId, labelSelector: { [LABEL_CONTAINER_NAME]: name } });
    for (const c of list) if (!keep.includes(c.id) && c.state !== 'CONTAINER_RUNNING') await this.o.runtime.removeContainer(c.id).catch(() => undefined);
  }

  /** The status model (shared with simulated nodes) from what the runtime reports. */
  private async model(pod: any, rec: PodRecord, observed: Map<string, Observed>): Promise<SimPod> {
    const mk = (spec: any, init: boolean): SimContainer => {
      const sidecar = init && spec.restartPolicy === 'Always';
      const cr = rec.containers.get(spec.name);
      const cur = observed.get(spec.name);
      const base: SimContainer = { name: spec.name, image: spec.image ?? '', sidecar, state: 'creating', restartCount: 0, containerID: '', startedAt: Date.now() };
      if (!cur) {
        if (cr?.waiting) base.waiting = cr.waiting;
        return base;
      }
      const restartCount = Number(cur.c.annotations[ANNOTATION_RESTART_COUNT] ?? 0);
      base.restartCount = restartCount;
      base.containerID = `containerd://${cur.c.id}`;
      base.imageID = cur.s.imageRef || cur.c.imageRef;
      base.startedAt = nanosToMs(cur.s.startedAt || cur.s.createdAt);
      const previous = cur.prev && cur.prev.s.state === 'CONTAINER_EXITED' ? termination(cur.prev.c.id, cur.prev.s) : undefined;
      if (cur.s.state === 'CONTAINER_RUNNING') {
        base.state = 'running';
        // With a probe and no result yet: not ready (not started), as upstream.
        base.ready = this.o.probes?.ready(cur.c.id) ?? !spec.readinessProbe;
        base.started = this.o.probes?.started(cur.c.id) ?? !spec.startupProbe;
        if (previous) base.last = previous;
      } else if (cur.s.state === 'CONTAINER_EXITED') {
        const term = termination(cur.c.id, cur.s);
        if (cr?.waiting) {
          // Exited and waiting to restart (back-off, or the new instance failed to start).
          base.state = 'waiting';
          base.waiting = cr.waiting;
          base.last = term;
          base.nextStartAt = cr.notBefore;
        } else {
          base.state = 'terminated';
          base.finishedAt = term.finishedAt;
          base.exitCode = term.exitCode;
          base.reason = term.reason;
          if (previous) base.last = previous;
        }
      } else {
        base.state = 'creating';
        if (cr?.waiting) base.waiting = cr.waiting;
      }
      return base;
    };
    return {
      uid: rec.uid,
      startTime: rec.startTime,
      hostIP: this.o.nodeIP,
      podIP: rec.podIP,
      sandboxReady: !!rec.sandboxId,
      init: (pod.spec?.initContainers ?? []).map((c: any) => mk(c, true)),
      containers: (pod.spec?.containers ?? []).map((c: any) => mk(c, false)),
      terminal: rec.terminal,
    };
  }

  /** Graceful deletion: stop containers within the grace period, report, delete with grace 0, clean up. */
  private async terminate(key: string, pod: any, rec: PodRecord): Promise<void> {
    const grace = Math.max(0, pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
    const observed = await this.observe(rec);
    const running = [...observed.values()].filter((o) => o.s.state === 'CONTAINER_RUNNING' || o.s.state === 'CONTAINER_CREATED');
    for (const o of running) this.o.recorder.event(pod, 'Normal', 'Killing', `Stopping container ${o.c.labels[LABEL_CONTAINER_NAME] ?? o.c.metadata.name}`);
    this.o.probes?.forgetPod(rec.uid);
    const specs: any[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    await Promise.all(running.map((o) => this.killContainer(pod, specs.find((c) => c.name === o.c.labels[LABEL_CONTAINER_NAME]), o.c.id, grace, rec.podIP).catch(() => undefined)));
    const after = await this.observe(rec);
    const model = await this.model(pod, rec, after);
    if (!model.terminal && !rec.terminal) {
      const phase = phaseFromModel(model, pod, true);
      model.terminal = phase === 'Succeeded' ? 'Succeeded' : 'Failed';
    }
    await this.stopSandbox(rec);
    await this.writeStatus(key, pod, rec, model, true);
    try {
      await this.o.client.delete(POD_PATH(pod.metadata.namespace, pod.metadata.name), { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: rec.uid } });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
    rec.deleted = true;
  }

  /**
   * Stops a container: its preStop hook first, bounded by the grace period,
   * then TERM and KILL after what is left of it (at least 2 s, as upstream).
   */
  private async killContainer(pod: any, spec: any, id: string, grace: number, podIP: string): Promise<void> {
    let left = grace;
    const preStop = spec?.lifecycle?.preStop;
    if (preStop && grace > 0) {
      const t0 = Date.now();
      const err = await runHook(this.o.runtime, spec, id, podIP, preStop, grace);
      if (err) this.o.recorder.event(pod, 'Warning', 'FailedPreStopHook', hookFailureMessage('PreStop', preStop, spec, pod, err));
      left = Math.max(2, grace - Math.floor((Date.now() - t0) / 1000));
    }
    await this.o.runtime.stopContainer(id, left);
  }

  private async stopSandbox(rec: PodRecord): Promise<void> {
    if (!rec.sandboxId) return;
    await this.o.runtime.stopPodSandbox(rec.sandboxId).catch((e) => {
      if (!(e instanceof RuntimeError && e.code === 5)) throw e;
    });
  }

  private async removeSandbox(rec: PodRecord): Promise<void> {
    if (!rec.sandboxId) return;
    const id = rec.sandboxId;
    rec.sandboxId = undefined;
    await this.o.runtime.stopPodSandbox(id).catch(() => undefined);
    await this.o.runtime.removePodSandbox(id).catch((e) => {
      if (!(e instanceof RuntimeError && e.code === 5)) throw e;
    });
  }

  /** Removes every sandbox and container of the pod, its volumes and logs. */
  private async removePod(rec: PodRecord): Promise<void> {
    this.o.probes?.forgetPod(rec.uid);
    const sandboxes = await this.o.runtime.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: rec.uid } });
    for (const s of sandboxes) {
      await this.o.runtime.stopPodSandbox(s.id).catch(() => undefined);
      await this.o.runtime.removePodSandbox(s.id).catch(() => undefined);
    }
    rec.sandboxId = undefined;
    await tearDownVolumes(this.podDir(rec.uid));
    for (const qos of ['', 'burstable/', 'besteffort/']) removeCgroup(`/kubepods/${qos}pod${rec.uid}`);
  }

  /** Removes sandboxes of pods this kubelet no longer knows (deleted while it was down). */
  async removeOrphans(livePodUIDs: Set<string>, logDirFor: (uid: string) => string | undefined): Promise<void> {
    const sandboxes = await this.o.runtime.listPodSandbox({ labelSelector: { 'io.kts.managed': 'true' } });
    for (const s of sandboxes) {
      const uid = s.labels[LABEL_POD_UID];
      if (!uid || livePodUIDs.has(uid)) continue;
      await this.o.runtime.stopPodSandbox(s.id).catch(() => undefined);
      await this.o.runtime.removePodSandbox(s.id).catch(() => undefined);
      await tearDownVolumes(this.podDir(uid));
      const logs = logDirFor(uid);
      if (logs) rmSync(logs, { recursive: true, force: true });
    }
  }

  /** Drops the record of a pod removed from the API, cleaning up after it. */
  async forget(key: string): Promise<void> {
    const rec = this.records.get(key);
    if (!rec) return;
    this.records.delete(key);
    await this.removePod(rec);
  }

  private async writeStatus(key: string, pod: any, rec: PodRecord, model: SimPod, podIsTerminal = false): Promise<void> {
    let current = pod;
    for (let attempt = 0; ; attempt++) {
      const status = buildPodStatus(current, model, Date.now(), podIsTerminal);
      if (semanticEqual(status, current.status)) return;
      // A mirror pod runs under its static pod's identity; the API object keeps its own UID.
      const body = mirrorHash(current) ? { ...current, metadata: { ...current.metadata, uid: undefined }, status } : { ...current, status };
      try {
        rec.latest = await this.o.client.update(`${POD_PATH(current.metadata.namespace, current.metadata.name)}/status?fieldManager=${FIELD_MANAGER}`, body);
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e) || attempt + 1 >= MAX_WRITE_ATTEMPTS) throw e;
      }
      try {
        current = await this.o.client.get(POD_PATH(pod.metadata.namespace, pod.metadata.name));
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      if ((mirrorHash(current) ?? current.metadata?.uid) !== rec.uid) return;
      rec.latest = current;
      if (current.metadata.deletionTimestamp && !podIsTerminal) {
        this.o.requeueAfter(key, 0);
        return;
      }
    }
  }
}

/** The kubelet's getPhase (via the shared status builder). */
function phaseFromModel(model: SimPod, pod: any, podIsTerminal = false): string {
  return buildPodStatus(pod, model, Date.now(), podIsTerminal).phase;
}


