// NodeRestriction admission (upstream plugin/pkg/admission/noderestriction):
// a node identity may only change itself and what runs on it. Its own Node
// (not another's, not its taints, only kubelet labels), mirror pods bound to
// itself and owned by its Node, the status of its own pods, deletes and
// evictions of its own pods, tokens for its own pods, its own Lease.
// Messages are upstream's.

import { nodeNameOf } from '../../auth/node-authorizer.js';
import { semanticEqual } from '../../api/validation/util.js';
import { forbidden, notFound } from '../errors.js';
import type { AdmissionUser } from '../rest.js';

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** Labels a kubelet may set on its Node under kubernetes.io / k8s.io (upstream's kubelet label set). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname', 'kubernetes.io/arch', 'kubernetes.io/os', 'beta.kubernetes.io/arch', 'beta.kubernetes.io/os',
  'beta.kubernetes.io/instance-type', 'node.kubernetes.io/instance-type', 'topology.kubernetes.io/region', 'topology.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/zone',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

export interface NodeRestrictionRequest {
  user: AdmissionUser;
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  group: string;
  resource: string;
  subresource: string;
  namespace: string;
  /** The name from the request (for deletes and subresources). */
  name: string;
  obj?: any;
  old?: any;
}

export interface NodeRestrictionLookups {
  pod(namespace: string, name: string): any | undefined;
  node(name: string): any | undefined;
}

function labelNamespace(key: string): string {
  const i = key.indexOf('/');
  return i < 0 ? '' : key.slice(0, i);
}

function forbiddenLabels(labels: Record<string, string> | undefined, oldLabels: Record<string, string> | undefined): string[] {
  const a = labels ?? {};
  const b = oldLabels ?? {};
  const modified = new Set<string>();
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (a[k] !== b[k]) modified.add(k);
  const out: string[] = [];
  for (const k of modified) {
    const ns = labelNamespace(k);
    const restricted = ns === 'node-restriction.kubernetes.io' || ns.endsWith('.node-restriction.kubernetes.io');
    const kube = ns === 'kubernetes.io' || ns.endsWith('.kubernetes.io') || ns === 'k8s.io' || ns.endsWith('.k8s.io');
    const kubelet = KUBELET_LABELS.has(k) || KUBELET_LABEL_NAMESPACES.some((n) => ns === n || ns.endsWith(`.${n}`));
    if (restricted || (kube && !kubelet)) out.push(k);
  }
  return out.sort();
}

/** Throws upstream's Forbidden when a node's write is outside what NodeRestriction allows. */
export function admitNodeRestriction(r: NodeRestrictionRequest, lookups: NodeRestrictionLookups): void {
  const node = nodeNameOf(r.user);
  if (!node) return;
  // As admission.NewForbidden: the resource without its subresource.
  const deny = (why: string) => forbidden(r.group, r.resource, r.name || r.obj?.metadata?.name || '', why);
  if (r.group === '' && r.resource === 'pods') {
    if (r.subresource === 'status') {
      if (r.operation !== 'UPDATE') throw deny(`unexpected operation ${JSON.stringify(r.operation)}`);
      if (r.old?.spec?.nodeName !== node) throw deny(`node ${JSON.stringify(node)} can only update pod status for pods with spec.nodeName set to itself`);
      if (!semanticEqual(r.old?.metadata?.labels, r.obj?.metadata?.labels)) throw deny(`node ${JSON.stringify(node)} cannot update labels through pod status`);
      return;
    }
    if (r.subresource === 'eviction') {
      const pod = lookups.pod(r.namespace, r.name || r.obj?.metadata?.name || '');
      if (!pod) throw notFound('', 'pods', r.name);
      if (pod.spec?.nodeName !== node) throw deny(`node ${node} can only evict pods with spec.nodeName set to itself`);
      return;
    }
    if (r.subresource) return;
    if (r.operation === 'DELETE') {
      const pod = lookups.pod(r.namespace, r.name);
      if (!pod) return;
      if (pod.spec?.nodeName !== node) throw deny(`node ${JSON.stringify(node)} can only delete pods with spec.nodeName set to itself`);
      return;
    }
    if (r.operation !== 'CREATE') throw deny(`unexpected operation ${JSON.stringify(r.operation)}, node ${JSON.stringify(node)} can only create and delete mirror pods`);
    admitMirrorPod(node, r.obj, lookups, deny);
    return;
  }
  if (r.group === '' && r.resource === 'nodes') {
    const requested = r.name || r.obj?.metadata?.name || '';
    if (requested !== node) throw deny(`node ${JSON.stringify(node)} is not allowed to modify node ${JSON.stringify(requested)}`);
    if (r.operation === 'CREATE') {
      if (r.obj?.spec?.configSource) throw deny(`node ${JSON.stringify(node)} is not allowed to create pods with a non-nil configSource`);
      const bad = forbiddenLabels(r.obj?.metadata?.labels, undefined);
      if (bad.length) throw deny(`node ${JSON.stringify(node)} is not allowed to set the following labels: ${bad.join(', ')}`);
    }
    if (r.operation === 'UPDATE') {
      if (r.obj?.spec?.configSource && !semanticEqual(r.obj.spec.configSource, r.old?.spec?.configSource)) throw deny(`node ${JSON.stringify(node)} is not allowed to update configSource to a new non-nil configSource`);
      if (!semanticEqual(r.obj?.spec?.taints, r.old?.spec?.taints)) throw deny(`node ${JSON.stringify(node)} is not allowed to modify taints`);
      const bad = forbiddenLabels(r.obj?.metadata?.labels, r.old?.metadata?.labels);
      if (bad.length) throw deny(`is not allowed to modify labels: ${bad.join(', ')}`);
    }
    return;
  }
  if (r.group === '' && r.resource === 'serviceaccounts' && r.subresource === 'token' && r.operation === 'CREATE') {
    const ref = r.obj?.spec?.boundObjectRef;
    if (!ref || ref.apiVersion !== 'v1' || ref.kind !== 'Pod' || !ref.name) throw deny('node requested token not bound to a pod');
    if (!ref.uid) throw deny('node requested token with a pod binding without a uid');
    const pod = lookups.pod(r.namespace, ref.name);
    if (!pod) throw notFound('', 'pods', ref.name);
    if (ref.uid !== pod.metadata?.uid) throw deny(`the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    if (pod.spec?.nodeName !== node) throw deny('node requested token bound to a pod scheduled on a different node');
    return;
  }
  if (r.group === 'coordination.k8s.io' && r.resource === 'leases') {
    if (r.namespace !== 'kube-node-lease') throw deny(`can only access leases in the kube-node-lease system namespace`);
    const name = r.name || r.obj?.metadata?.name || '';
    if (name !== node) throw deny('can only access node lease with the same name as the requesting node');
  }
}

function admitMirrorPod(node: string, pod: any, lookups: NodeRestrictionLookups, deny: (why: string) => Error): void {
  const q = JSON.stringify(node);
  if (!pod?.metadata?.annotations || !(MIRROR_ANNOTATION in pod.metadata.annotations)) throw deny(`pod does not have ${JSON.stringify(MIRROR_ANNOTATION)} annotation, node ${q} can only create mirror pods`);
  if (pod.spec?.nodeName !== node) throw deny(`node ${q} can only create pods with spec.nodeName set to itself`);
  const owners: any[] = pod.metadata.ownerReferences ?? [];
  if (owners.length > 1) throw deny(`node ${q} can only create pods with a single owner reference set to itself`);
  if (owners.length === 0) throw deny(`node ${q} can only create pods with an owner reference set to itself`);
  const o = owners[0];
  if (o.apiVersion !== 'v1' || o.kind !== 'Node' || o.name !== node) throw deny(`node ${q} can only create pods with an owner reference set to itself`);
  if (!o.controller) throw deny(`node ${q} can only create pods with a controller owner reference set to itself`);
  if (o.blockOwnerDeletion) throw deny(`node ${q} must not set blockOwnerDeletion on an owner reference`);
  const n = lookups.node(node);
  if (!n) throw notFound('', 'nodes', node);
  if (o.uid !== n.metadata?.uid) throw deny(`node ${node} UID mismatch: expected ${o.uid} got ${n.metadata?.uid}`);
  const spec = pod.spec ?? {};
  if (spec.serviceAccountName) throw deny(`node ${q} can not create pods that reference a service account`);
  const refs = podReferencesOf(pod);
  if (refs.secrets) throw deny(`node ${q} can not create pods that reference secrets`);
  if (refs.configMaps) throw deny(`node ${q} can not create pods that reference configmaps`);
  for (const v of spec.volumes ?? []) {
    if ((v?.projected?.sources ?? []).some((s: any) => s?.clusterTrustBundle)) throw deny(`node ${q} can not create pods that reference clustertrustbundles`);
  }
  if ((spec.volumes ?? []).some((v: any) => v?.persistentVolumeClaim)) throw deny(`node ${q} can not create pods that reference persistentvolumeclaims`);
}

function podReferencesOf(pod: any): { secrets: boolean; configMaps: boolean } {
  const spec = pod.spec ?? {};
  let secrets = (spec.imagePullSecrets ?? []).length > 0;
  let configMaps = false;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const e of c?.envFrom ?? []) {
      if (e?.secretRef) secrets = true;
      if (e?.configMapRef) configMaps = true;
    }
    for (const e of c?.env ?? []) {
      if (e?.valueFrom?.secretKeyRef) secrets = true;
      if (e?.valueFrom?.configMapKeyRef) configMaps = true;
    }
  }
  for (const v of spec.volumes ?? []) {
    if (v?.secret) secrets = true;
    if (v?.configMap) configMaps = true;
    for (const p of v?.projected?.sources ?? []) {
      if (p?.secret) secrets = true;
      if (p?.configMap) configMaps = true;
    }
  }
  return { secrets, configMaps };
}
