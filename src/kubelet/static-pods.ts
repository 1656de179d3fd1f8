/**
 * Static pods: pod manifests in a folder on the node, run by the kubelet
 * without the API server, and mirrored into the API so kubectl sees them.
 * Each file holds one Pod (YAML or JSON). The pod is named
 * `<name>-<node name>`; its identity (the UID its containers carry) is a hash
 * of the manifest, so a mirror pod deleted through the API is created again
 * without restarting anything, and an edited manifest replaces the pod.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';

export const ANNOTATION_CONFIG_SOURCE = 'kubernetes.io/config.source';
export const ANNOTATION_CONFIG_HASH = 'kubernetes.io/config.hash';
export const ANNOTATION_CONFIG_MIRROR = 'kubernetes.io/config.mirror';
export const ANNOTATION_CONFIG_SEEN = 'kubernetes.io/config.seen';

export interface StaticPod {
  /** namespace/name */
  key: string;
  file: string;
  hash: string;
  /** The pod as the kubelet runs it (metadata.uid is the hash). */
  pod: any;
}

/** Reads every manifest of `dir`; files that cannot be used are reported through `warn` and skipped. */
export function readStaticPods(dir: string, nodeName: string, warn: (msg: string) => void): Map<string, StaticPod> {
  const out = new Map<string, StaticPod>();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir).sort()) {
    if (f.startsWith('.')) continue;
    const file = join(dir, f);
    try {
      if (!statSync(file).isFile()) continue;
    } catch {
      continue;
    }
    let sp: StaticPod;
    try {
      sp = staticPodFrom(readFileSync(file, 'utf8'), file, nodeName);
    } catch (e) {
      warn(`static pod manifest ${file}: ${(e as Error).message}`);
      continue;
    }
    if (out.has(sp.key)) {
      warn(`static pod manifest ${file}: pod ${sp.key} is already defined in ${out.get(sp.key)!.file}`);
      continue;
    }
    out.set(sp.key, sp);
  }
  return out;
}

export function staticPodFrom(text: string, file: string, nodeName: string): StaticPod {
  const obj = YAML.parse(text);
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('not a Pod object');
  if (obj.kind !== 'Pod' || (obj.apiVersion ?? 'v1') !== 'v1') throw new Error(`kind ${obj.kind ?? '(none)'} ${obj.apiVersion ?? ''} is not a v1 Pod`);
  const name = obj.metadata?.name;
  if (typeof name !== 'string' || !name) throw new Error('metadata.name is required');
  if (!Array.isArray(obj.spec?.containers) || obj.spec.containers.length === 0) throw new Error('spec.containers is required');
  const namespace = obj.metadata.namespace || 'default';
  const podName = `${name}-${nodeName}`;
  const hash = createHash('sha256').update(nodeName).update('\0').update(file).update('\0').update(text).digest('hex').slice(0, 32);
  const pod = structuredClone(obj);
  pod.apiVersion = 'v1';
  pod.kind = 'Pod';
  pod.metadata = {
    ...pod.metadata,
    name: podName,
    namespace,
    uid: hash,
    annotations: { ...(pod.metadata.annotations ?? {}), [ANNOTATION_CONFIG_SOURCE]: 'file', [ANNOTATION_CONFIG_HASH]: hash, [ANNOTATION_CONFIG_SEEN]: new Date().toISOString() },
  };
  delete pod.metadata.resourceVersion;
  delete pod.metadata.creationTimestamp;
  pod.spec = { ...pod.spec, nodeName };
  // As upstream: static pods tolerate every NoExecute taint.
  const tolerations = [...(pod.spec.tolerations ?? [])];
  if (!tolerations.some((t: any) => t.operator === 'Exists' && !t.key && t.effect === 'NoExecute')) tolerations.push({ operator: 'Exists', effect: 'NoExecute' });
  pod.spec.tolerations = tolerations;
  pod.status = {};
  return { key: `${namespace}/${podName}`, file, hash, pod };
}

/** The mirror pod created in the API for a static pod. */
export function mirrorPodFor(sp: StaticPod, node: { name: string; uid?: string }): any {
  const m = structuredClone(sp.pod);
  delete m.metadata.uid;
  m.metadata.annotations = { ...m.metadata.annotations, [ANNOTATION_CONFIG_MIRROR]: sp.hash };
  if (node.uid) m.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid, controller: true }];
  delete m.status;
  return m;
}

/** The hash a mirror pod was made from, if it is one. */
export function mirrorHash(pod: any): string | undefined {
  return pod?.metadata?.annotations?.[ANNOTATION_CONFIG_MIRROR];
}

/**
 * A mirror pod stands for a static pod: it runs under the static pod's
 * identity (the manifest hash), and its deletion through the API is the
 * kubelet's to answer (by creating it again), not a reason to stop.
 */
export function runnablePod(pod: any | undefined): any | undefined {
  const hash = mirrorHash(pod);
  if (!hash) return pod;
  const metadata = { ...pod.metadata, uid: hash };
  delete metadata.deletionTimestamp;
  delete metadata.deletionGracePeriodSeconds;
  return { ...pod, metadata };
}
