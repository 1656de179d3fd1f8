// The simulated container runtime of one pod and the PodStatus a kubelet
// would report for it. Pure: no I/O, time passed in, ids from a callback,
// so the state machine is tested without an API server.
//
// Containers run until told to exit through annotations:
//   sim.kts.io/exit-code: "<n>"     every regular container exits with n
//   sim.kts.io/run-seconds: "<s>"   ... s seconds after it started (default 0)
// After an exit the pod's restartPolicy decides, as the kubelet does:
// Always restarts, OnFailure restarts non-zero exits, Never leaves the
// container terminated. Restarts wait out a CrashLoopBackOff that doubles
// from `backoffBaseMs` up to `backoffMaxMs`.
//
// Status semantics follow the kubelet (pkg/kubelet/status and getPhase):
// condition types and reasons, `containers with unready status: [a b]`
// messages, readiness gates, terminal phases and their PodCompleted /
// PodFailed reasons.

import { createHash } from 'node:crypto';

export const EXIT_CODE_ANNOTATION = 'sim.kts.io/exit-code';
export const RUN_SECONDS_ANNOTATION = 'sim.kts.io/run-seconds';

export type SimContainerState = 'creating' | 'running' | 'waiting' | 'terminated';

export interface SimTermination {
  containerID: string;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
}

export interface SimContainer {
  name: string;
  image: string;
  /** A restartable init container (sidecar): runs alongside the regular containers. */
  sidecar: boolean;
  state: SimContainerState;
  restartCount: number;
  /** The current (or, when terminated, the last) instance. */
  containerID: string;
  startedAt: number;
  /** `terminated` */
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  /** `waiting` in back-off: when the next instance starts. */
  nextStartAt?: number;
  /** The previous instance (lastState.terminated). */
  last?: SimTermination;
  /** A real kubelet's waiting reason (ErrImagePull, ImagePullBackOff, CreateContainerConfigError, ...) overriding the default one. */
  waiting?: { reason: string; message?: string };
  /** Readiness as probes found it; default: ready while running. */
  ready?: boolean;
  /** Whether the startup probe passed; default: started while running. */
  started?: boolean;
  /** The image's real id (`sha256:...`) when a runtime reports one. */
  imageID?: string;
}

export interface SimPod {
  uid: string;
  /** status.startTime: when the kubelet first handled the pod (ms). */
  startTime: number;
  hostIP: string;
  /** Empty until the sandbox exists. */
  podIP: string;
  sandboxReady: boolean;
  init: SimContainer[];
  containers: SimContainer[];
  /** Set once the pod reached Succeeded or Failed; it never changes afterwards. */
  terminal?: 'Succeeded' | 'Failed';
}

export interface SimRuntimeOptions {
  /** First CrashLoopBackOff delay (the kubelet's is 10 s). */
  backoffBaseMs: number;
  /** Back-off cap (the kubelet's is 300 s). */
  backoffMaxMs: number;
  /** New container ids. */
  newContainerID: () => string;
}

export const MIN_BACKOFF_MS = 10;

/** RFC 3339 with second precision, as metav1.Time serializes. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseTime(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** `nginx:1.25` → `docker.io/library/nginx:1.25`, as containerd reports image references. */
export function normalizeImage(image: string): string {
  let name = image;
  let suffix = '';
  const at = name.indexOf('@');
  if (at >= 0) {
    suffix = name.slice(at);
    name = name.slice(0, at);
  }
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) {
    suffix = name.slice(colon) + suffix;
    name = name.slice(0, colon);
  } else if (!suffix) suffix = ':latest';
  const first = name.split('/')[0];
  const hasDomain = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasDomain) name = name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`;
  return name + suffix;
}

/** A fake but stable image digest reference: `docker.io/library/nginx@sha256:<sha256 of the reference>`. */
export function imageIDFor(image: string): string {
  const ref = normalizeImage(image);
  const at = ref.indexOf('@');
  if (at >= 0) return ref;
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const repo = colon > slash ? ref.slice(0, colon) : ref;
  return `${repo}@sha256:${createHash('sha256').update(ref).digest('hex')}`;
}

export interface ExitSpec {
  exitCode: number;
  runMs: number;
}

/** The exit the pod's annotations ask for, if any. */
export function exitSpecOf(pod: any): ExitSpec | undefined {
  const ann = pod?.metadata?.annotations ?? {};
  const raw = ann[EXIT_CODE_ANNOTATION];
  if (raw === undefined || raw === null || String(raw).trim() === '') return undefined;
  const exitCode = Number(String(raw).trim());
  if (!Number.isInteger(exitCode)) return undefined;
  const secs = Number(ann[RUN_SECONDS_ANNOTATION] ?? 0);
  return { exitCode, runMs: Number.isFinite(secs) && secs > 0 ? secs * 1000 : 0 };
}

function restartPolicy(pod: any): string {
  return pod?.spec?.restartPolicy ?? 'Always';
}

/** A pod the kubelet has just seen: containers still being created. */
export function newSimPod(pod: any, now: number, hostIP: string): SimPod {
  const mk = (c: any, sidecar: boolean): SimContainer => ({ name: c.name, image: c.image ?? '', sidecar, state: 'creating', restartCount: 0, containerID: '', startedAt: now });
  return {
    uid: pod.metadata?.uid ?? '',
    startTime: now,
    hostIP,
    podIP: '',
    sandboxReady: false,
    init: (pod.spec?.initContainers ?? []).map((c: any) => mk(c, c.restartPolicy === 'Always')),
    containers: (pod.spec?.containers ?? []).map((c: any) => mk(c, false)),
  };
}

/** Sandbox up with `podIP`: init containers run to completion at once, sidecars and regular containers start. */
export function startSimPod(sim: SimPod, now: number, podIP: string, opts: SimRuntimeOptions): void {
  sim.podIP = podIP;
  sim.sandboxReady = true;
  for (const c of sim.init) {
    c.containerID = opts.newContainerID();
    c.startedAt = now;
    if (c.sidecar) c.state = 'running';
    else Object.assign(c, { state: 'terminated', finishedAt: now, exitCode: 0, reason: 'Completed' });
  }
  for (const c of sim.containers) {
    c.containerID = opts.newContainerID();
    c.startedAt = now;
    c.state = 'running';
  }
}

/**
 * Rebuilds the runtime view from a status written earlier (by a previous
 * simulator in this or another process), so a restarted simulator carries
 * on instead of restarting every container. Undefined when the pod was
 * never started.
 */
export function adoptSimPod(pod: any, hostIP: string, now: number, opts?: Pick<SimRuntimeOptions, 'backoffBaseMs' | 'backoffMaxMs'>): SimPod | undefined {
  const st = pod?.status ?? {};
  const statuses: any[] = st.containerStatuses ?? [];
  if (!st.podIP && !statuses.some((s) => s?.state?.running || s?.state?.terminated || s?.lastState?.terminated)) return undefined;
  const sim = newSimPod(pod, parseTime(st.startTime) ?? now, st.hostIP || hostIP);
  sim.podIP = st.podIP ?? '';
  sim.sandboxReady = !!st.podIP;
  const adopt = (c: SimContainer, s: any) => {
    if (!s) return;
    c.restartCount = s.restartCount ?? 0;
    c.containerID = s.containerID ?? '';
    const lt = s.lastState?.terminated;
    if (lt) c.last = { containerID: lt.containerID ?? '', startedAt: parseTime(lt.startedAt) ?? now, finishedAt: parseTime(lt.finishedAt) ?? now, exitCode: lt.exitCode ?? 0, reason: lt.reason ?? '' };
    if (s.state?.running) {
      c.state = 'running';
      c.startedAt = parseTime(s.state.running.startedAt) ?? now;
    } else if (s.state?.terminated) {
      const t = s.state.terminated;
      Object.assign(c, { state: 'terminated', startedAt: parseTime(t.startedAt) ?? now, finishedAt: parseTime(t.finishedAt) ?? now, exitCode: t.exitCode ?? 0, reason: t.reason ?? '' });
    } else if (s.state?.waiting && c.last) {
      // In back-off: it ends where the previous simulator would have ended it.
      c.state = 'waiting';
      c.nextStartAt = opts ? c.last.finishedAt + backoffMs(c.restartCount, opts) : now;
    }
  };
  const byName = (list: any[]) => new Map(list.map((s) => [s?.name, s]));
  const regular = byName(statuses);
  const init = byName(st.initContainerStatuses ?? []);
  for (const c of sim.containers) adopt(c, regular.get(c.name));
  for (const c of sim.init) adopt(c, init.get(c.name));
  if (st.phase === 'Succeeded' || st.phase === 'Failed') sim.terminal = st.phase;
  return sim;
}

function backoffMs(restartCount: number, opts: Pick<SimRuntimeOptions, 'backoffBaseMs' | 'backoffMaxMs'>): number {
  const base = Math.max(MIN_BACKOFF_MS, opts.backoffBaseMs);
  const d = base * 2 ** Math.max(0, restartCount - 1);
  return Math.max(MIN_BACKOFF_MS, Math.min(d, Math.max(base, opts.backoffMaxMs)));
}

const MAX_STEPS = 1000;

/**
 * Moves the containers forward to `now`: exits that are due, restarts after
 * back-off, and the terminal phase when nothing will run again. Returns when
 * the next transition is due (ms since the epoch), or undefined if none is
 * scheduled.
 */
export function advanceSimPod(sim: SimPod, pod: any, now: number, opts: SimRuntimeOptions): number | undefined {
  if (!sim.sandboxReady || sim.terminal) return undefined;
  const exit = exitSpecOf(pod);
  const policy = restartPolicy(pod);
  let next: number | undefined;
  const wake = (t: number) => {
    next = next === undefined ? t : Math.min(next, t);
  };
  for (const c of sim.containers) {
    for (let step = 0; step < MAX_STEPS; step++) {
      if (c.state === 'running') {
        if (!exit) break;
        const at = Math.max(c.startedAt, c.startedAt + exit.runMs);
        if (at > now) {
          wake(at);
          break;
        }
        Object.assign(c, { state: 'terminated', finishedAt: at, exitCode: exit.exitCode, reason: exit.exitCode === 0 ? 'Completed' : 'Error' });
        continue;
      }
      if (c.state === 'terminated') {
        const restart = policy === 'Always' || (policy === 'OnFailure' && c.exitCode !== 0);
        if (!restart) break;
        c.last = { containerID: c.containerID, startedAt: c.startedAt, finishedAt: c.finishedAt!, exitCode: c.exitCode!, reason: c.reason! };
        c.restartCount++;
        c.nextStartAt = c.finishedAt! + backoffMs(c.restartCount, opts);
        c.state = 'waiting';
        delete c.finishedAt;
        delete c.exitCode;
        delete c.reason;
        continue;
      }
      if (c.state === 'waiting') {
        const at = c.nextStartAt ?? now;
        if (at > now) {
          wake(at);
          break;
        }
        c.state = 'running';
        c.startedAt = at;
        c.containerID = opts.newContainerID();
        delete c.nextStartAt;
        continue;
      }
      break;
    }
  }
  const phase = phaseOf(sim, pod, false);
  if (phase === 'Succeeded' || phase === 'Failed') finishSimPod(sim, phase);
  return sim.terminal ? undefined : next;
}

/** Terminal: sidecars stop and the sandbox goes away. */
function finishSimPod(sim: SimPod, phase: 'Succeeded' | 'Failed'): void {
  sim.terminal = phase;
  sim.sandboxReady = false;
  for (const c of sim.init) {
    if (c.sidecar && c.state === 'running') Object.assign(c, { state: 'terminated', finishedAt: Math.max(c.startedAt, ...sim.containers.map((x) => x.finishedAt ?? 0)), exitCode: 0, reason: 'Completed' });
  }
}

/**
 * The pod is being deleted: every container that still runs (or waits to
 * restart) stops. Simulated processes honour SIGTERM and exit 0; a container
 * waiting in back-off keeps its last exit. The phase becomes terminal, as
 * the kubelet reports before the pod object is removed.
 */
export function killSimPod(sim: SimPod, pod: any, now: number): void {
  if (sim.terminal) return;
  const stop = (c: SimContainer) => {
    if (c.state === 'running') Object.assign(c, { state: 'terminated', finishedAt: now, exitCode: 0, reason: 'Completed' });
    else if (c.state === 'waiting' && c.last) {
      Object.assign(c, { state: 'terminated', containerID: c.last.containerID, startedAt: c.last.startedAt, finishedAt: c.last.finishedAt, exitCode: c.last.exitCode, reason: c.last.reason });
      delete c.nextStartAt;
    }
  };
  for (const c of sim.containers) stop(c);
  for (const c of sim.init) if (c.sidecar) stop(c);
  const phase = phaseOf(sim, pod, true);
  finishSimPod(sim, phase === 'Succeeded' ? 'Succeeded' : 'Failed');
}

/** The kubelet's getPhase over the simulated containers. */
export function phaseOf(sim: SimPod, pod: any, podIsTerminal: boolean): string {
  if (sim.terminal) return sim.terminal;
  if (!sim.sandboxReady) return 'Pending';
  const policy = restartPolicy(pod);
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of sim.containers) {
    if (c.state === 'running') running++;
    else if (c.state === 'terminated') {
      stopped++;
      if (c.exitCode === 0) succeeded++;
    } else if (c.state === 'waiting' && c.last) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function containerStatus(c: SimContainer, pod: any, init: boolean): any {
  const hasInit = (pod.spec?.initContainers ?? []).length > 0;
  const running = c.state === 'running';
  let state: any;
  let containerID = c.containerID;
  switch (c.state) {
    case 'creating':
      state = { waiting: c.waiting ? { ...c.waiting } : { reason: hasInit && !(init && c.sidecar) ? 'PodInitializing' : 'ContainerCreating' } };
      break;
    case 'running':
      state = { running: { startedAt: rfc3339(c.startedAt) } };
      break;
    case 'terminated':
      state = { terminated: { exitCode: c.exitCode ?? 0, reason: c.reason ?? '', startedAt: rfc3339(c.startedAt), finishedAt: rfc3339(c.finishedAt ?? c.startedAt), containerID: c.containerID } };
      break;
    case 'waiting': {
      const secs = Math.round(((c.nextStartAt ?? 0) - (c.last?.finishedAt ?? 0)) / 1000);
      const podRef = `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;
      state = { waiting: c.waiting ? { ...c.waiting } : { reason: 'CrashLoopBackOff', message: `back-off ${formatDuration(secs)} restarting failed container=${c.name} pod=${podRef}` } };
      containerID = c.last?.containerID ?? containerID;
      break;
    }
  }
  const last = c.last
    ? { terminated: { exitCode: c.last.exitCode, reason: c.last.reason, startedAt: rfc3339(c.last.startedAt), finishedAt: rfc3339(c.last.finishedAt), containerID: c.last.containerID } }
    : {};
  // A regular init container is ready once it completed successfully.
  const ready = init && !c.sidecar ? c.state === 'terminated' && c.exitCode === 0 : running && (c.ready ?? true);
  const s: any = {
    name: c.name,
    state,
    lastState: last,
    ready,
    restartCount: c.restartCount,
    image: c.image ? normalizeImage(c.image) : '',
    imageID: c.state === 'creating' ? '' : (c.imageID ?? imageIDFor(c.image)),
  };
  if (containerID) s.containerID = containerID;
  s.started = running && (c.started ?? true);
  return s;
}

/** Go's time.Duration formatting for whole seconds (`10s`, `5m0s`). */
export function formatDuration(secs: number): string {
  if (secs < 60) return `${secs}s`;
  const m = Math.floor(secs / 60);
  const s = secs % 60;
  if (m < 60) return `${m}m${s}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s}s`;
}

interface CondSpec {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

function list(names: string[]): string {
  return `[${names.join(' ')}]`;
}

function kubeletConditions(sim: SimPod, pod: any, phase: string, containerStatuses: any[], initStatuses: any[], existing: any[]): CondSpec[] {
  const terminalReason = phase === 'Succeeded' ? 'PodCompleted' : phase === 'Failed' ? 'PodFailed' : '';
  // ContainersReady: every regular container and sidecar ready.
  let containersReady: CondSpec;
  if (terminalReason) containersReady = { type: 'ContainersReady', status: 'False', reason: terminalReason };
  else {
    const unready = [
      ...sim.init.filter((c) => c.sidecar && !initStatuses.find((s) => s.name === c.name)?.ready).map((c) => c.name),
      ...containerStatuses.filter((s) => !s.ready).map((s) => s.name),
    ];
    containersReady = unready.length
      ? { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: ${list(unready)}` }
      : { type: 'ContainersReady', status: 'True' };
  }
  // Ready: ContainersReady and every readiness gate's condition True.
  let ready: CondSpec;
  if (terminalReason) ready = { type: 'Ready', status: 'False', reason: terminalReason };
  else if (containersReady.status !== 'True') ready = { ...containersReady, type: 'Ready' };
  else {
    const msgs: string[] = [];
    for (const g of pod.spec?.readinessGates ?? []) {
      const c = existing.find((x) => x?.type === g?.conditionType);
      if (!c) msgs.push(`corresponding condition of pod readiness gate "${g?.conditionType}" does not exist.`);
      else if (c.status !== 'True') msgs.push(`the status of pod readiness gate "${g?.conditionType}" is not "True", but ${c.status}`);
    }
    ready = msgs.length ? { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: msgs.join(', ') } : { type: 'Ready', status: 'True' };
  }
  // Initialized: all regular init containers completed (or a regular container started once).
  let initialized: CondSpec;
  if (phase === 'Succeeded') initialized = { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  else {
    const incomplete = sim.init.filter((c) => (c.sidecar ? c.state === 'creating' : !(c.state === 'terminated' && c.exitCode === 0))).map((c) => c.name);
    const anyStarted = sim.containers.some((c) => c.state !== 'creating');
    initialized =
      incomplete.length && !anyStarted
        ? { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: ${list(incomplete)}` }
        : { type: 'Initialized', status: 'True' };
  }
  return [
    { type: 'PodReadyToStartContainers', status: sim.sandboxReady ? 'True' : 'False' },
    initialized,
    ready,
    containersReady,
    { type: 'PodScheduled', status: 'True' },
  ];
}

/**
 * The status to write for `pod`: the kubelet-owned fields computed from the
 * simulated runtime, everything else (qosClass, nominatedNodeName, foreign
 * conditions) kept from the current status. A condition keeps its
 * lastTransitionTime while its status does not change.
 */
export function buildPodStatus(pod: any, sim: SimPod, now: number, podIsTerminal = false): any {
  const cur = pod.status ?? {};
  const phase = podIsTerminal && !sim.terminal ? phaseOf(sim, pod, true) : phaseOf(sim, pod, false);
  const containerStatuses = sim.containers.map((c) => containerStatus(c, pod, false));
  const initStatuses = sim.init.map((c) => containerStatus(c, pod, true));
  const existing: any[] = Array.isArray(cur.conditions) ? cur.conditions : [];
  const wanted = kubeletConditions(sim, pod, phase, containerStatuses, initStatuses, existing);
  const nowStr = rfc3339(now);
  const make = (w: CondSpec, old: any) => {
    const c: any = { type: w.type, status: w.status, lastProbeTime: null, lastTransitionTime: old && old.status === w.status && old.lastTransitionTime ? old.lastTransitionTime : nowStr };
    if (w.reason) c.reason = w.reason;
    if (w.message) c.message = w.message;
    return c;
  };
  // Update conditions in place (keeping their order and foreign ones), then append missing ones in the kubelet's order.
  const conditions: any[] = [];
  const done = new Set<string>();
  for (const old of existing) {
    const w = wanted.find((x) => x.type === old?.type);
    if (!w) conditions.push(old);
    else if (w.type === 'PodScheduled' && old.status === 'True') conditions.push(old);
    else conditions.push(make(w, old));
    if (w) done.add(w.type);
  }
  for (const w of wanted) if (!done.has(w.type)) conditions.push(make(w, undefined));

  const status: any = { ...cur, phase, conditions };
  for (const k of ['reason', 'message']) delete status[k];
  status.hostIP = sim.hostIP;
  status.hostIPs = [{ ip: sim.hostIP }];
  if (sim.podIP) {
    status.podIP = sim.podIP;
    status.podIPs = [{ ip: sim.podIP }];
  } else {
    delete status.podIP;
    delete status.podIPs;
  }
  status.startTime = cur.startTime ?? rfc3339(sim.startTime);
  if (initStatuses.length) status.initContainerStatuses = initStatuses;
  else delete status.initContainerStatuses;
  status.containerStatuses = containerStatuses;
  return status;
}

/** JSON equality where a missing field equals null or undefined (what a round trip through the API may turn one into). */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || a === undefined) return b === null || b === undefined;
  if (b === null || b === undefined) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!semanticEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k of Object.keys(ao)) if (!semanticEqual(ao[k], bo[k])) return false;
  for (const k of Object.keys(bo)) if (!(k in ao) && !semanticEqual(undefined, bo[k])) return false;
  return true;
}

/** Whether a's resourceVersion is later than b's (resourceVersions here are etcd-style integers). */
export function newerResourceVersion(a: any, b: any): boolean {
  const ra = String(a?.metadata?.resourceVersion ?? '');
  const rb = String(b?.metadata?.resourceVersion ?? '');
  if (!/^\d+$/.test(ra) || !/^\d+$/.test(rb)) return false;
  return ra.length !== rb.length ? ra.length > rb.length : ra > rb;
}
