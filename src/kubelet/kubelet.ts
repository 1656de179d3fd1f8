/**
 * The node agent: registers the Node, keeps its Lease fresh, watches the pods
 * bound to it and drives the container runtime through pod workers, relists
 * the runtime every second (the PLEG) so container exits are noticed, rotates
 * container logs, and serves its own API (logs, exec, attach, port-forward,
 * stats) for the API server to proxy to.
 */
import { join } from 'node:path';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { cpus, totalmem, uptime } from 'node:os';
import type { ApiClient } from '../client/types.js';
import { Informer } from '../client/informer.js';
import { WorkQueue, runWorkers } from '../client/workqueue.js';
import { metaNamespaceKey, splitMetaNamespaceKey, objectOf } from '../client/store.js';
import { ApiEventRecorder, type EventRecorder } from '../controllers/events.js';
import { CriClient } from '../runtime/cri/client.js';
import { ContainerdSupervisor, containerdPaths, PAUSE_IMAGE } from '../runtime/containerd.js';
import { ensurePodMasquerade, writeCniConfig } from '../runtime/cni.js';
import { importFolder, provideBusyboxImage, providePauseImage } from '../runtime/image-store.js';

/** Built from the host's busybox-static and imported at start, so pods run with no registry. */
export const BUSYBOX_IMAGE = 'kts.local/busybox:latest';
import type { ContainerRuntime } from '../runtime/types.js';
import { parseQuantity } from '../api/validation/quantity.js';
import { LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, podCgroupParent } from './runtime-config.js';
import { StatsProvider, type StatsPod } from './stats.js';
import { hostResolvConf, podDnsConfig } from './dns-config.js';
import { serviceEnvVars } from './service-env.js';
import { KubeletServer } from './server.js';
import { StreamHandler } from './streams.js';
import { ImageManager } from './images.js';
import { NodeAgent, detectNodeIP, defaultNodeName, filesystemBytes, type Readiness } from './node.js';
import { PodWorkers } from './pod-worker.js';
import { rotateIfNeeded } from './logs.js';
import type { EnvSources } from './env.js';
import type { VolumeSources } from './volumes.js';
import { TokenManager } from './tokens.js';
import { ReferencedObjects } from './referenced-objects.js';
import { podReferences, refKey } from '../auth/node-graph.js';
import { ProbeManager } from './probes.js';
import { mirrorHash, mirrorPodFor, readStaticPods, runnablePod, type StaticPod } from './static-pods.js';
import { isAlreadyExists, isConflict, isNotFound } from '../client/types.js';

export interface KubeletConfig {
  dataDir: string;
  nodeName?: string;
  nodeIP?: string;
  /** Pod CIDR to use when the control plane assigns none within 30 s (a control plane without controllers); unset: wait. */
  podCIDR?: string;
  /** Pod addresses of the whole cluster (default 10.42.0.0/16): not masqueraded. */
  clusterCIDR?: string;
  /** An existing CRI socket; when unset kts runs its own containerd. */
  runtimeEndpoint?: string;
  labels?: Record<string, string>;
  taints?: any[];
  /** Kubelet API port (default 10250; 0 picks a free one). */
  port?: number;
  /** Serving certificate of the kubelet API and the CA its clients' certificates must chain to. */
  tls: { certPem: string; keyPem: string; caPem: string };
  /** First CrashLoopBackOff delay (default 10 s). */
  backoffBaseMs?: number;
  /** Log rotation: size and files kept per container (default 10 MiB, 5). */
  containerLogMaxBytes?: number;
  containerLogMaxFiles?: number;
  /** Cluster DNS Service address(es) for pods' resolv.conf (none: pods use the node's resolvers). */
  clusterDNS?: string[];
  /** Cluster domain (default cluster.local). */
  clusterDomain?: string;
  /** Folder of static pod manifests (default <data-dir>/agent/pod-manifests). */
  staticPodPath?: string;
  /** Linux bridge for pods (default kts0). */
  bridge?: string;
  log?: (msg: string) => void;
}

export interface RunningKubelet {
  nodeName: string;
  /** Serves the kubelet API with a renewed certificate from now on. */
  updateServingCertificate(certPem: string, keyPem: string): void;
  nodeIP: string;
  /** The kubelet API's port. */
  port: number;
  runtime: ContainerRuntime;
  runtimeEndpoint: string;
  workers: PodWorkers;
  logPathFor(pod: any, container: string, previous: boolean): string | undefined;
  stop(): Promise<void>;
}

const PODS = '/api/v1/pods';

export async function startKubelet(client: ApiClient, cfg: KubeletConfig): Promise<RunningKubelet> {
  const log = cfg.log ?? ((m: string) => console.error(`kubelet: ${m}`));
  const nodeName = cfg.nodeName ?? defaultNodeName();
  const nodeIP = cfg.nodeIP ?? detectNodeIP();
  const agentDir = join(cfg.dataDir, 'agent');
  const podsDir = join(agentDir, 'pods');
  const logsDir = join(agentDir, 'logs', 'pods');
  for (const d of [podsDir, logsDir]) mkdirSync(d, { recursive: true });

  // The runtime: our own containerd unless an endpoint was named.
  let supervisor: ContainerdSupervisor | undefined;
  let endpoint = cfg.runtimeEndpoint;
  if (!endpoint) {
    const paths = containerdPaths(cfg.dataDir);
    supervisor = new ContainerdSupervisor(paths, { log });
    supervisor.start();
    endpoint = paths.socket;
  }
  const runtime = new CriClient(endpoint);
  try {
    await runtime.waitReady(20_000);
  } catch (e) {
    await supervisor?.stop();
    runtime.close();
    throw new Error(`container runtime at ${endpoint} did not answer: ${(e as Error).message}${supervisor ? ` (see ${supervisor.paths.log})` : ''}`);
  }
  const version = await runtime.version();
  const socket = endpoint.replace(/^unix:\/\//, '');

  const imagesDir = join(agentDir, 'images');
  mkdirSync(imagesDir, { recursive: true });
  const imported = await importFolder(socket, imagesDir, log);
  if (imported.length) log(`imported ${imported.join(', ')}`);
  if (existsSync('/bin/busybox') && !(await runtime.imageStatus(BUSYBOX_IMAGE))) {
    await provideBusyboxImage(socket, join(agentDir, 'cache'), BUSYBOX_IMAGE).catch((e) => log(`bundled busybox image: ${(e as Error).message}`));
  }

  const recorder: EventRecorder = new ApiEventRecorder(client, 'kubelet', { host: nodeName });
  const images = new ImageManager({ runtime, recorder, pauseImage: PAUSE_IMAGE, providePauseImage: () => providePauseImage(socket, join(agentDir, 'cache'), PAUSE_IMAGE) });

  const readiness = async (): Promise<Readiness> => {
    try {
      const conds = await runtime.status();
      const bad = conds.filter((c) => (c.type === 'RuntimeReady' || c.type === 'NetworkReady') && !c.status);
      if (!bad.length) return { ready: true, message: 'kubelet is posting ready status' };
      return { ready: false, message: `container runtime ${bad.map((c) => `${c.type === 'NetworkReady' ? 'network' : 'status'} not ready: ${c.type}=false reason:${c.reason} message:${c.message}`).join(', ')}` };
    } catch (e) {
      return { ready: false, message: `container runtime is down: ${(e as Error).message}` };
    }
  };
  /** The running instance of a pod's container, if any. */
  const runningContainerId = async (pod: any, container: string): Promise<string | undefined> => {
    const list = await runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: pod.metadata.uid, [LABEL_CONTAINER_NAME]: container }, state: 'CONTAINER_RUNNING' });
    return list[0]?.id;
  };
  // The kubelet API (logs, exec, ...) listens before the Node is registered, so the Node names its real port.
  const server = new KubeletServer({
    tls: cfg.tls,
    port: cfg.port ?? 10250,
    backend: {
      pod: (ns, name) => runnablePod(podsRef.current?.getByName(ns, name)),
      logPath: (pod, container, previous) => logPathFor(pod, container, previous),
      isRunning: async (pod, container) => (await runningContainerId(pod, container)) !== undefined,
      upgrade: (kind, pod, container, query, req, socket, head) => streams.handle(kind, pod, container, query, req, socket, head),
      statsSummary: () => statsSummary(),
    },
  });
  let kubeletPort: number;
  try {
    kubeletPort = (await server.listen()).port;
  } catch (e) {
    runtime.close();
    await supervisor?.stop();
    throw new Error(`kubelet API cannot listen on port ${cfg.port ?? 10250}: ${(e as Error).message}`);
  }
  const podsRef: { current?: Informer } = {};
  const streams = new StreamHandler(runtime, (pod: any) => workers.sandboxOf(pod.metadata.uid), runningContainerId);

  const node = new NodeAgent(client, {
    name: nodeName,
    nodeIP,
    labels: cfg.labels ?? {},
    taints: cfg.taints ?? [],
    kubeletPort,
    runtimeVersion: `${version.runtimeName}://${version.runtimeVersion}`,
    ephemeralStorage: filesystemBytes(cfg.dataDir),
  }, readiness);
  await node.register();
  // The pod network: the subnet the control plane gave this node. containerd
  // reads the CNI folder when it changes, and reports NetworkReady once the
  // configuration is there, which makes the node Ready.
  const podCIDR = await node.waitForPodCIDR(30_000, cfg.podCIDR);
  if (supervisor) {
    writeCniConfig(supervisor.paths.cniConfDir, { podCIDR, bridge: cfg.bridge ?? 'kts0', ipamDataDir: join(agentDir, 'cni', 'ipam') });
    await ensurePodMasquerade(podCIDR, cfg.clusterCIDR ?? '10.42.0.0/16').catch((e) => log(`pod masquerade rule: ${(e as Error).message}`));
    // containerd notices the new configuration within a moment; the first heartbeat then reports Ready.
    for (let i = 0; i < 100 && !(await readiness()).ready; i++) await new Promise((r) => setTimeout(r, 100));
  }

  // Objects pods refer to: each ConfigMap and Secret watched on its own
  // (all a node may read); a change refreshes the volumes and env of the pods using it.
  const refs = new ReferencedObjects(client, (kind, ns, name) => {
    const key = refKey(kind, ns, name);
    for (const p of pods.list()) if (p.metadata.namespace === ns && podReferences(p).includes(key)) queue.add(metaNamespaceKey(p));
  });
  const services = new Informer(client, '/api/v1/services');
  const pods = new Informer(client, PODS, { fieldSelector: `spec.nodeName=${nodeName}` });
  podsRef.current = pods;
  const queue = new WorkQueue<string>({ name: 'kubelet-pods' } as any);

  const podField = (pod: any, path: string): string | undefined => {
    const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
    if (m) return pod.metadata?.[m[1]]?.[m[2]] ?? '';
    switch (path) {
      case 'metadata.name': return pod.metadata.name;
      case 'metadata.namespace': return pod.metadata.namespace;
      case 'metadata.uid': return pod.metadata.uid;
      case 'metadata.labels': return formatMap(pod.metadata.labels);
      case 'metadata.annotations': return formatMap(pod.metadata.annotations);
      case 'spec.nodeName': return pod.spec?.nodeName ?? nodeName;
      case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
      case 'status.hostIP': return nodeIP;
      case 'status.hostIPs': return nodeIP;
      case 'status.podIP': return pod.status?.podIP ?? '';
      case 'status.podIPs': return (pod.status?.podIPs ?? []).map((p: any) => p.ip).join(',') || (pod.status?.podIP ?? '');
      default: return undefined;
    }
  };
  const podResource = (pod: any, containerName: string | undefined, resource: string, divisor: string | undefined): string | undefined => {
    const c = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x: any) => x.name === containerName) ?? pod.spec?.containers?.[0];
    const [kind, res] = resource.split('.', 2) as [string, string];
    if ((kind !== 'limits' && kind !== 'requests') || !res) return undefined;
    let q = c?.resources?.[kind]?.[res];
    if (q === undefined && kind === 'limits') q = res === 'cpu' ? String(cpus().length) : res === 'memory' ? String(totalmem()) : undefined;
    if (q === undefined) q = '0';
    return divideQuantity(String(q), divisor ?? '1');
  };
  const envSources = (pod: any): EnvSources => ({
    configMap: (name) => dataOf(refs.get('configmap', pod.metadata.namespace, name), false),
    secret: (name) => dataOf(refs.get('secret', pod.metadata.namespace, name), true),
    field: (path) => podField(pod, path),
    resource: (cn, r, d) => podResource(pod, cn, r, d),
    services: () => serviceEnvVars(services.list(), pod),
  });
  const tokens = new TokenManager(client);
  const volumeSources: VolumeSources = {
    serviceAccountToken: async (pod, source) => {
      const t = await tokens.tokenFor(pod, source);
      // Rewrite the volume with a fresh token once this one is 80% through its life.
      if (t.fresh) setTimeout(() => queue.add(metaNamespaceKey(pod)), Math.max(1000, t.refreshAt - Date.now())).unref();
      return t.token;
    },
    configMap: (ns, name) => refs.get('configmap', ns, name),
    secret: (ns, name) => refs.get('secret', ns, name),
    persistentVolumeClaim: (ns, name) => client.get(`/api/v1/namespaces/${ns}/persistentvolumeclaims/${name}`).catch(() => undefined),
    persistentVolume: (name) => client.get(`/api/v1/persistentvolumes/${name}`).catch(() => undefined),
    field: podField,
    resource: podResource,
  };

  const hostDns = hostResolvConf();
  const probes = new ProbeManager({ runtime, recorder, onChange: (pod) => queue.add(metaNamespaceKey(pod)) });
  const workers = new PodWorkers({
    client, runtime, images, recorder, nodeName, nodeHostname: nodeName, nodeIP, podsDir, logsDir, envSources, volumeSources,
    backoffBaseMs: cfg.backoffBaseMs,
    dnsFor: (pod) => podDnsConfig(pod, { servers: cfg.clusterDNS ?? [], domain: cfg.clusterDomain ?? 'cluster.local' }, hostDns),
    requeueAfter: (key, ms) => queue.addAfter(key, ms),
    probes,
  });

  // A pod is synced once the objects it refers to are watched (or after 5 s
  // if they cannot be: the worker then reports what is missing and retries).
  const trackThenSync = (p: any) => {
    const key = metaNamespaceKey(p);
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((r) => (timer = setTimeout(r, 5000)));
    void Promise.race([refs.track(p), limit]).catch(() => undefined).finally(() => {
      clearTimeout(timer);
      queue.add(key);
    });
  };
  pods.addEventHandler({
    onAdd: (p) => trackThenSync(p),
    onUpdate: (_o, p) => trackThenSync(p),
    onDelete: (p) => {
      const o = objectOf(p);
      refs.release(o.metadata.uid);
      queue.add(metaNamespaceKey(o));
    },
  });
  services.start();
  pods.start();
  await Promise.all([services.waitForSync(), pods.waitForSync()]);

  // Static pods: manifests on disk, read again every 2 s; their mirror pods in the API.
  const staticDir = cfg.staticPodPath ?? join(agentDir, 'pod-manifests');
  mkdirSync(staticDir, { recursive: true });
  const warned = new Set<string>();
  const warnOnce = (m: string) => {
    if (!warned.has(m)) log(m);
    warned.add(m);
  };
  let statics = readStaticPods(staticDir, nodeName, warnOnce);
  const deletePodNow = async (p: any) => {
    try {
      await client.delete(`/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid } });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  };
  /** Makes the API hold an up-to-date mirror of `sp`; returns it once it does. */
  const ensureMirrorPod = async (sp: StaticPod, apiPod: any | undefined): Promise<any | undefined> => {
    if (apiPod && mirrorHash(apiPod) === sp.hash && !apiPod.metadata.deletionTimestamp) return apiPod;
    if (apiPod && !mirrorHash(apiPod)) {
      warnOnce(`static pod ${sp.key}: a pod of that name already exists in the API; not mirroring`);
      return undefined;
    }
    if (apiPod) await deletePodNow(apiPod);
    try {
      return await client.create(`/api/v1/namespaces/${sp.pod.metadata.namespace}/pods?fieldManager=kubelet`, mirrorPodFor(sp, { name: nodeName, uid: node.uid }));
    } catch (e) {
      if (isAlreadyExists(e)) queue.addAfter(sp.key, 200);
      else log(`creating mirror pod ${sp.key}: ${(e as Error).message}`);
      return undefined;
    }
  };
  const rescanStatics = () => {
    const next = readStaticPods(staticDir, nodeName, warnOnce);
    for (const [key, sp] of next) if (statics.get(key)?.hash !== sp.hash) queue.add(key);
    for (const key of statics.keys()) if (!next.has(key)) queue.add(key);
    statics = next;
  };
  const staticScan = setInterval(rescanStatics, 2_000);
  for (const key of statics.keys()) queue.add(key);

  // Containers and sandboxes of pods deleted while the kubelet was away.
  const live = new Set([...pods.list().map((p) => mirrorHash(p) ?? p.metadata.uid), ...[...statics.values()].map((sp) => sp.hash)]);
  const logDirFor = (uid: string) => {
    const d = readdirSync(logsDir).find((f) => f.endsWith(`_${uid}`));
    return d ? join(logsDir, d) : undefined;
  };
  await workers.removeOrphans(live, logDirFor).catch((e) => log(`removing orphaned pods: ${(e as Error).message}`));

  // Pod syncs mostly wait on the runtime, so several run at once (one per pod at a time).
  const done = runWorkers(queue, 16, async (key) => {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const apiPod = pods.getByName(namespace, name);
    const sp = statics.get(key);
    if (sp) {
      const mirror = await ensureMirrorPod(sp, apiPod);
      await workers.sync(key, mirror ?? sp.pod);
      return;
    }
    if (apiPod && mirrorHash(apiPod)) {
      // The mirror of a static pod whose manifest is gone.
      await deletePodNow(apiPod);
      await workers.sync(key, undefined);
      return;
    }
    await workers.sync(key, apiPod);
  }, { onError: (key, err) => log(`syncing pod ${key}: ${(err as Error).message}`) });

  // PLEG: a relist every second turns runtime state changes into pod syncs.
  let lastStates = new Map<string, string>();
  let relisting = false;
  const pleg = setInterval(async () => {
    if (relisting) return;
    relisting = true;
    try {
      const list = await runtime.listContainers({ labelSelector: { 'io.kts.managed': 'true' } });
      const next = new Map<string, string>();
      for (const c of list) {
        next.set(c.id, c.state);
        if (lastStates.get(c.id) !== c.state) {
          const ns = c.labels[LABEL_POD_NAMESPACE];
          const name = c.labels[LABEL_POD_NAME];
          if (ns && name) queue.add(`${ns}/${name}`);
        }
      }
      lastStates = next;
    } catch (e) {
      log(`relist: ${(e as Error).message}`);
    } finally {
      relisting = false;
    }
  }, 1_000);

  const heartbeat = setInterval(() => {
    node.heartbeat().catch((e) => log(`heartbeat: ${(e as Error).message}`));
  }, 10_000);
  await node.heartbeat().catch((e) => log(`heartbeat: ${(e as Error).message}`));

  const maxBytes = cfg.containerLogMaxBytes ?? 10 * 1024 * 1024;
  const maxFiles = cfg.containerLogMaxFiles ?? 5;
  const rotation = setInterval(async () => {
    try {
      const list = await runtime.listContainers({ labelSelector: { 'io.kts.managed': 'true' }, state: 'CONTAINER_RUNNING' });
      for (const c of list) {
        const st = await runtime.containerStatus(c.id).catch(() => undefined);
        if (st?.logPath && rotateIfNeeded(st.logPath, maxBytes, maxFiles)) await runtime.reopenContainerLog(c.id).catch(() => undefined);
      }
    } catch (e) {
      log(`log rotation: ${(e as Error).message}`);
    }
  }, 10_000);

  // Resource usage from cgroups; read every 10 s as well, so CPU rates are ready when asked for.
  const stats = new StatsProvider(nodeName, new Date(Date.now() - uptime() * 1000).toISOString());
  const statsSummary = async () => {
    const running = await runtime.listContainers({ labelSelector: { 'io.kts.managed': 'true' }, state: 'CONTAINER_RUNNING' });
    const byPod = new Map<string, StatsPod>();
    for (const c of running) {
      const pod = runnablePod(pods.getByName(c.labels[LABEL_POD_NAMESPACE] ?? '', c.labels[LABEL_POD_NAME] ?? '')) ?? statics.get(`${c.labels[LABEL_POD_NAMESPACE]}/${c.labels[LABEL_POD_NAME]}`)?.pod;
      if (!pod || pod.metadata.uid !== c.labels[LABEL_POD_UID]) continue;
      let entry = byPod.get(pod.metadata.uid);
      if (!entry) {
        const cgroup = podCgroupParent(pod);
        entry = { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid, startTime: pod.status?.startTime ?? new Date().toISOString(), cgroup, containers: [] };
        byPod.set(pod.metadata.uid, entry);
      }
      entry.containers.push({ name: c.labels[LABEL_CONTAINER_NAME] ?? c.metadata.name, cgroup: `${entry.cgroup}/${c.id}`, startTime: new Date(Math.floor(c.createdAt / 1e6)).toISOString() });
    }
    return stats.summary([...byPod.values()]);
  };
  const statsTimer = setInterval(() => void statsSummary().catch(() => undefined), 10_000);

  const logPathFor = (pod: any, container: string, previous: boolean): string | undefined => {
    const dir = join(workers.podLogDir(pod), container);
    if (!existsSync(dir)) return undefined;
    const attempts = readdirSync(dir).map((f) => /^(\d+)\.log$/.exec(f)).filter((m): m is RegExpExecArray => !!m).map((m) => Number(m[1])).sort((a, b) => a - b);
    const pick = previous ? attempts[attempts.length - 2] : attempts[attempts.length - 1];
    return pick === undefined ? undefined : join(dir, `${pick}.log`);
  };

  return {
    nodeName,
    updateServingCertificate: (cert, key) => server.updateServingCertificate(cert, key),
    nodeIP,
    port: kubeletPort,
    runtime,
    runtimeEndpoint: endpoint,
    workers,
    logPathFor,
    async stop() {
      clearInterval(pleg);
      clearInterval(staticScan);
      clearInterval(statsTimer);
      clearInterval(heartbeat);
      clearInterval(rotation);
      await server.close();
      probes.stop();
      pods.stop();
      refs.stop();
      services.stop();
      queue.shutDown();
      await done.catch(() => undefined);
      runtime.close();
      // Containers keep running (their shims outlive containerd); a restarted kubelet re-adopts them.
      await supervisor?.stop();
    },
  };
}

function dataOf(obj: any, base64: boolean): Record<string, string> | undefined {
  if (!obj) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj.data ?? {})) out[k] = base64 ? Buffer.from(String(v), 'base64').toString() : String(v);
  return out;
}

function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {}).sort().map((k) => `${k}=${JSON.stringify(m![k])}`).join('\n');
}

/** ceil(q / divisor) as the downward API reports resources. */
export function divideQuantity(q: string, divisor: string): string {
  const a = parseQuantity(q);
  const b = parseQuantity(divisor);
  if (!a || !b) return '0';
  const num = a.num * b.den;
  const den = a.den * b.num;
  if (den === 0n) return '0';
  const v = num / den;
  return String(v * den === num ? v : v + 1n);
}
