// The node authorizer's graph (upstream plugin/pkg/auth/authorizer/node/graph.go,
// in a simpler shape): which Secrets, ConfigMaps, PersistentVolumeClaims and
// ServiceAccounts each node's pods reference. Pods are added, replaced and
// removed as the API server's pod cache changes, so a check is two map
// lookups. PersistentVolumes are reached through the claims (a claim bound
// to a volume names it in spec.volumeName).

export type RefKind = 'secret' | 'configmap' | 'pvc' | 'serviceaccount';

export function refKey(kind: RefKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

function names(v: unknown): string[] {
  return typeof v === 'string' && v ? [v] : [];
}

/** The objects a pod's spec references, as ref keys (upstream's VisitPodSecretNames and friends). */
export function podReferences(pod: any): string[] {
  const ns: string = pod?.metadata?.namespace ?? '';
  const spec = pod?.spec ?? {};
  const out = new Set<string>();
  const add = (kind: RefKind, n: string[]) => n.forEach((x) => out.add(refKey(kind, ns, x)));
  for (const s of spec.imagePullSecrets ?? []) add('secret', names(s?.name));
  add('serviceaccount', names(spec.serviceAccountName));
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
  for (const c of containers) {
    for (const e of c?.envFrom ?? []) {
      add('secret', names(e?.secretRef?.name));
      add('configmap', names(e?.configMapRef?.name));
    }
    for (const e of c?.env ?? []) {
      add('secret', names(e?.valueFrom?.secretKeyRef?.name));
      add('configmap', names(e?.valueFrom?.configMapKeyRef?.name));
    }
  }
  for (const v of spec.volumes ?? []) {
    add('secret', names(v?.secret?.secretName));
    add('configmap', names(v?.configMap?.name));
    add('pvc', names(v?.persistentVolumeClaim?.claimName));
    // A generic ephemeral volume's claim is named <pod>-<volume>.
    if (v?.ephemeral && pod?.metadata?.name && v?.name) add('pvc', [`${pod.metadata.name}-${v.name}`]);
    for (const p of v?.projected?.sources ?? []) {
      add('secret', names(p?.secret?.name));
      add('configmap', names(p?.configMap?.name));
    }
    // Volume plugins with secret references.
    for (const src of [v?.azureFile && { secretRef: { name: v.azureFile.secretName } }, v?.cephfs, v?.cinder, v?.flexVolume, v?.iscsi, v?.rbd, v?.scaleIO, v?.storageos, v?.csi && { secretRef: v.csi.nodePublishSecretRef }]) {
      if (src) add('secret', names(src.secretRef?.name));
    }
  }
  return [...out];
}

export class NodeGraph {
  /** pod key (ns/name) → its node and references. */
  private pods = new Map<string, { node: string; refs: string[] }>();
  /** node → ref key → number of its pods referencing it. */
  private byNode = new Map<string, Map<string, number>>();

  /** Adds or replaces a pod; pods not bound to a node, or finished, reference nothing. */
  setPod(pod: any): void {
    const key = `${pod?.metadata?.namespace ?? ''}/${pod?.metadata?.name ?? ''}`;
    this.deletePod(key);
    const node: string = pod?.spec?.nodeName ?? '';
    if (!node) return;
    const refs = podReferences(pod);
    this.pods.set(key, { node, refs });
    let m = this.byNode.get(node);
    if (!m) this.byNode.set(node, (m = new Map()));
    for (const r of refs) m.set(r, (m.get(r) ?? 0) + 1);
  }

  deletePod(key: string): void {
    const cur = this.pods.get(key);
    if (!cur) return;
    this.pods.delete(key);
    const m = this.byNode.get(cur.node)!;
    for (const r of cur.refs) {
      const n = (m.get(r) ?? 1) - 1;
      if (n <= 0) m.delete(r);
      else m.set(r, n);
    }
    if (m.size === 0) this.byNode.delete(cur.node);
  }

  /** Whether a pod on `node` references the object. */
  has(node: string, kind: RefKind, namespace: string, name: string): boolean {
    return this.byNode.get(node)?.has(refKey(kind, namespace, name)) ?? false;
  }

  /** The claims (namespace, name) the node's pods use. */
  claimsOf(node: string): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const r of this.byNode.get(node)?.keys() ?? []) {
      if (!r.startsWith('pvc/')) continue;
      const [, ns, name] = r.split('/');
      out.push([ns, name]);
    }
    return out;
  }

  /** Whether a pod bound to `node` is named so (namespace/name) and has `uid` when given. */
  podOn(node: string, namespace: string, name: string): boolean {
    return this.pods.get(`${namespace}/${name}`)?.node === node;
  }
}
