// The PersistentVolume controller (upstream pkg/controller/volume/persistentvolume)
// with an in-process dynamic provisioner for the `local-path` class (as
// k3s's local-path-provisioner). Claims and volumes are synced by key
// (`claim:<ns>/<name>`, `volume:<name>`):
//
// - a Pending claim binds to the smallest Available volume that matches
//   (class, access modes, capacity, volume mode, selector, claimRef
//   pre-binding): the volume gets `spec.claimRef` and phase Bound, the
//   claim `spec.volumeName`, phase Bound, capacity and access modes, with
//   upstream's bind-completed / bound-by-controller annotations;
// - without a match, a class whose provisioner is ours provisions a hostPath
//   volume under `<data-dir>/storage` (after the first consumer is scheduled
//   for WaitForFirstConsumer classes: the claim gets
//   `volume.kubernetes.io/selected-node` from the pod's spec.nodeName);
// - a bound volume whose claim is gone becomes Released, then is deleted
//   (reclaim policy Delete; a provisioned directory is removed) or kept
//   (Retain).

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { ApiClient } from '../client/types.js';
import { isAlreadyExists, isNotFound } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { objectOf } from '../client/store.js';
import { matches, selectorFromLabelSelectorObject } from '../api/labels.js';
import { compareQuantity, parseQuantity } from '../api/validation/quantity.js';
import { QueueController, type ControllerOptions } from './base.js';
import type { EventRecorder } from './events.js';

export const LOCAL_PATH_CLASS = 'local-path';
export const LOCAL_PATH_PROVISIONER = 'rancher.io/local-path';
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
export const ANN_DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';

/** The default StorageClass kts ensures at server start. */
export function localPathStorageClass(): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: LOCAL_PATH_CLASS, annotations: { [ANN_DEFAULT_CLASS]: 'true' } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

/** Creates the `local-path` StorageClass unless it exists. */
export async function ensureLocalPathStorageClass(client: ApiClient): Promise<void> {
  try {
    await client.create('/apis/storage.k8s.io/v1/storageclasses', localPathStorageClass());
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
}

// ---------------------------------------------------------------------------
// Matching (pure)

const classOf = (o: { spec?: { storageClassName?: string } } | undefined): string => o?.spec?.storageClassName ?? '';

/** True when `pv` is pre-bound to `pvc` by its claimRef (name, namespace, and uid when set). */
export function preBoundTo(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref) return false;
  return ref.name === pvc.metadata?.name && ref.namespace === pvc.metadata?.namespace && (!ref.uid || ref.uid === pvc.metadata?.uid);
}

/** Why `pv` cannot satisfy `pvc` (ignoring phase and claimRef), or '' when it can. */
export function mismatch(pvc: PersistentVolumeClaim, pv: PersistentVolume): string {
  if (classOf(pv) !== classOf(pvc)) return 'storage class';
  const modes = pv.spec?.accessModes ?? [];
  if (!(pvc.spec?.accessModes ?? []).every((m) => modes.includes(m))) return 'access modes';
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (pvc.spec?.volumeMode ?? 'Filesystem')) return 'volume mode';
  const want = parseQuantity(pvc.spec?.resources?.requests?.storage ?? '0');
  const have = parseQuantity(pv.spec?.capacity?.storage ?? '0');
  if (!want || !have || compareQuantity(have, want) < 0) return 'capacity';
  if (pvc.spec?.selector && !matches(selectorFromLabelSelectorObject(pvc.spec.selector as any), pv.metadata?.labels ?? {})) return 'selector';
  return '';
}

/**
 * The volume `pvc` should bind to: one pre-bound to it if it matches,
 * else the smallest matching volume that is not claimed and not being
 * deleted (ties by name, for determinism).
 */
export function findBestMatch(pvc: PersistentVolumeClaim, pvs: PersistentVolume[]): PersistentVolume | undefined {
  let best: PersistentVolume | undefined;
  for (const pv of pvs) {
    if (pv.metadata?.deletionTimestamp) continue;
    if (pv.spec?.claimRef) {
      if (preBoundTo(pv, pvc) && !mismatchIgnoringClassForPreBound(pvc, pv)) return pv;
      continue;
    }
    const phase = pv.status?.phase ?? 'Pending';
    if (phase !== 'Available' && phase !== 'Pending') continue;
    if (mismatch(pvc, pv)) continue;
    if (!best || compareQuantity(parseQuantity(pv.spec!.capacity!.storage)!, parseQuantity(best.spec!.capacity!.storage)!) < 0 || (sameSize(pv, best) && pv.metadata!.name! < best.metadata!.name!)) best = pv;
  }
  return best;
}

function sameSize(a: PersistentVolume, b: PersistentVolume): boolean {
  return compareQuantity(parseQuantity(a.spec!.capacity!.storage)!, parseQuantity(b.spec!.capacity!.storage)!) === 0;
}

// Upstream checks pre-bound volumes on everything but the selector.
function mismatchIgnoringClassForPreBound(pvc: PersistentVolumeClaim, pv: PersistentVolume): string {
  const why = mismatch(pvc, pv);
  return why === 'selector' ? '' : why;
}

// ---------------------------------------------------------------------------
// The controller

export interface PVBinderOptions extends ControllerOptions {
  recorder?: EventRecorder;
  /** Where the local-path provisioner creates volume directories (`<data-dir>/storage`); without it, nothing is provisioned. */
  storageDir?: string;
}

const CLAIM = 'claim:';
const VOLUME = 'volume:';

export class PersistentVolumeBinder extends QueueController {
  private readonly pvcInformer: Informer<PersistentVolumeClaim>;
  private readonly pvInformer: Informer<PersistentVolume>;
  private readonly scInformer: Informer<StorageClass>;
  private readonly podInformer: Informer<Pod>;

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    private readonly options: PVBinderOptions = {},
  ) {
    super('persistentvolume-binder', options);
    this.pvcInformer = factory.informerFor<PersistentVolumeClaim>('/api/v1/persistentvolumeclaims');
    this.pvInformer = factory.informerFor<PersistentVolume>('/api/v1/persistentvolumes');
    this.scInformer = factory.informerFor<StorageClass>('/apis/storage.k8s.io/v1/storageclasses');
    this.podInformer = factory.informerFor<Pod>('/api/v1/pods');
    const claimKey = (c: PersistentVolumeClaim) => `${CLAIM}${c.metadata!.namespace}/${c.metadata!.name}`;
    const onVolume = (obj: unknown) => {
      const pv = objectOf(obj) as PersistentVolume;
      this.enqueue(`${VOLUME}${pv.metadata!.name}`);
      const ref = pv.spec?.claimRef;
      if (ref?.name) this.enqueue(`${CLAIM}${ref.namespace}/${ref.name}`);
      this.enqueuePendingClaims();
    };
    const onPod = (obj: unknown) => {
      const pod = objectOf(obj) as Pod;
      if (!pod.spec?.nodeName) return;
      for (const v of pod.spec.volumes ?? []) if (v.persistentVolumeClaim?.claimName) this.enqueue(`${CLAIM}${pod.metadata!.namespace}/${v.persistentVolumeClaim.claimName}`);
    };
    this.registrations.push(
      this.pvcInformer.addEventHandler({
        onAdd: (c) => this.enqueue(claimKey(c)),
        onUpdate: (_o, c) => this.enqueue(claimKey(c)),
        onDelete: (obj) => {
          const c = objectOf(obj) as PersistentVolumeClaim;
          if (c.spec?.volumeName) this.enqueue(`${VOLUME}${c.spec.volumeName}`);
          for (const pv of this.pvInformer.list()) if (pv.spec?.claimRef?.uid && pv.spec.claimRef.uid === c.metadata?.uid) this.enqueue(`${VOLUME}${pv.metadata!.name}`);
        },
      }),
      this.pvInformer.addEventHandler({ onAdd: onVolume, onUpdate: (_o, cur) => onVolume(cur), onDelete: onVolume }),
      this.scInformer.addEventHandler({ onAdd: () => this.enqueuePendingClaims(), onUpdate: () => this.enqueuePendingClaims() }),
      this.podInformer.addEventHandler({ onAdd: onPod, onUpdate: (_o, cur) => onPod(cur) }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.pvcInformer, this.pvInformer, this.scInformer, this.podInformer];
  }

  private enqueuePendingClaims(): void {
    for (const c of this.pvcInformer.list()) if (!c.spec?.volumeName) this.enqueue(`${CLAIM}${c.metadata!.namespace}/${c.metadata!.name}`);
  }

  private get recorder(): EventRecorder | undefined {
    return this.options.recorder;
  }

  protected async sync(key: string): Promise<void> {
    try {
      if (key.startsWith(CLAIM)) {
        const [ns, name] = key.slice(CLAIM.length).split('/');
        await this.syncClaim(ns, name);
      } else if (key.startsWith(VOLUME)) {
        await this.syncVolume(key.slice(VOLUME.length));
      }
    } catch (e) {
      // A stale cache: the next event requeues; a conflict retries with back-off.
      if (isNotFound(e)) return;
      throw e;
    }
  }

  // ---- claims

  private async syncClaim(ns: string, name: string): Promise<void> {
    const cached = this.pvcInformer.getByName(ns, name);
    if (!cached || cached.metadata?.deletionTimestamp) return;
    const pvc = structuredClone(cached);
    if (pvc.spec?.volumeName) {
      const pv = this.pvInformer.getByName('', pvc.spec.volumeName);
      if (!pv) {
        if (pvc.status?.phase === 'Bound') {
          await this.updateClaimStatus(pvc, { ...pvc.status, phase: 'Lost' });
          this.recorder?.event(pvc, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
        }
        return;
      }
      if (pv.spec?.claimRef && !preBoundTo(pv, pvc)) {
        this.recorder?.event(pvc, 'Warning', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
        return;
      }
      await this.bind(pvc, structuredClone(pv));
      return;
    }
    const className = classOf(pvc);
    const sc = className ? this.scInformer.getByName('', className) : undefined;
    const delayed = sc?.volumeBindingMode === 'WaitForFirstConsumer';
    let selectedNode = pvc.metadata?.annotations?.[ANN_SELECTED_NODE];
    if (delayed && !selectedNode) {
      selectedNode = this.scheduledConsumerNode(pvc);
      if (selectedNode) {
        await this.client.patch(`/api/v1/namespaces/${ns}/persistentvolumeclaims/${name}`, { metadata: { annotations: { [ANN_SELECTED_NODE]: selectedNode } } }, 'merge');
        return; // the update requeues the claim
      }
    }
    const match = findBestMatch(pvc, this.pvInformer.list());
    if (match && (!delayed || selectedNode || preBoundTo(match, pvc))) {
      await this.bind(pvc, structuredClone(match));
      return;
    }
    if (!className) {
      this.recorder?.event(pvc, 'Warning', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      return;
    }
    if (!sc) {
      this.recorder?.event(pvc, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
      return;
    }
    if (delayed && !selectedNode) {
      this.recorder?.event(pvc, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      return;
    }
    if (sc.provisioner !== LOCAL_PATH_PROVISIONER || !this.options.storageDir) {
      if (sc.provisioner === 'kubernetes.io/no-provisioner') {
        this.recorder?.event(pvc, 'Warning', 'ProvisioningFailed', 'no volume plugin matched name: kubernetes.io/no-provisioner');
      } else {
        this.recorder?.event(pvc, 'Normal', 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${sc.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
      }
      return;
    }
    await this.provision(pvc, sc, selectedNode);
  }

  /** The node of a scheduled, non-terminated pod that uses the claim. */
  private scheduledConsumerNode(pvc: PersistentVolumeClaim): string | undefined {
    for (const pod of this.podInformer.list()) {
      if (pod.metadata?.namespace !== pvc.metadata?.namespace || !pod.spec?.nodeName) continue;
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      if ((pod.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === pvc.metadata?.name)) return pod.spec.nodeName;
    }
    return undefined;
  }

  private async provision(pvc: PersistentVolumeClaim, sc: StorageClass, node: string | undefined): Promise<void> {
    const m = pvc.metadata!;
    const pvName = `pvc-${m.uid}`;
    const path = join(this.options.storageDir!, `${pvName}_${m.namespace}_${m.name}`);
    if (pvc.metadata?.annotations?.[ANN_STORAGE_PROVISIONER] !== sc.provisioner) {
      await this.client.patch(`/api/v1/namespaces/${m.namespace}/persistentvolumeclaims/${m.name}`, { metadata: { annotations: { [ANN_STORAGE_PROVISIONER]: sc.provisioner, [ANN_BETA_STORAGE_PROVISIONER]: sc.provisioner } } }, 'merge');
      return; // the update requeues the claim
    }
    this.recorder?.event(pvc, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${m.namespace}/${m.name}"`);
    mkdirSync(path, { recursive: true, mode: 0o777 });
    const pv: PersistentVolume = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: pvName, annotations: { [ANN_PROVISIONED_BY]: sc.provisioner!, ...(node ? { 'local.path.provisioner/selected-node': node } : {}) } },
      spec: {
        capacity: { storage: pvc.spec?.resources?.requests?.storage ?? '0' },
        accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
        storageClassName: sc.metadata!.name,
        volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
        hostPath: { path, type: 'DirectoryOrCreate' },
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion },
        ...(node ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } } } : {}),
        ...(sc.mountOptions ? { mountOptions: sc.mountOptions } : {}),
      },
    };
    let created: PersistentVolume;
    try {
      created = await this.client.create('/api/v1/persistentvolumes', pv);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      created = await this.client.get(`/api/v1/persistentvolumes/${pvName}`);
    }
    this.recorder?.event(pvc, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pvName}`);
    await this.bind(pvc, created);
  }

  /** Binds (idempotently) in upstream's order: volume, volume status, claim, claim status. */
  private async bind(pvc: PersistentVolumeClaim, pv: PersistentVolume): Promise<void> {
    const m = pvc.metadata!;
    const ref = pv.spec?.claimRef;
    if (!ref || ref.uid !== m.uid || ref.name !== m.name || ref.namespace !== m.namespace) {
      pv.spec = { ...pv.spec, claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion } };
      if (!ref) pv.metadata!.annotations = { ...(pv.metadata!.annotations ?? {}), [ANN_BOUND_BY_CONTROLLER]: 'yes' };
      pv = await this.client.update(`/api/v1/persistentvolumes/${pv.metadata!.name}`, pv);
    }
    if (pv.status?.phase !== 'Bound') {
      pv = await this.client.update(`/api/v1/persistentvolumes/${pv.metadata!.name}/status`, { ...pv, status: { ...(pv.status ?? {}), phase: 'Bound' } });
    }
    const anns = m.annotations ?? {};
    if (pvc.spec?.volumeName !== pv.metadata!.name || anns[ANN_BIND_COMPLETED] !== 'yes') {
      const next = { ...pvc, spec: { ...pvc.spec, volumeName: pv.metadata!.name } };
      next.metadata = { ...m, annotations: { ...anns, [ANN_BIND_COMPLETED]: 'yes', ...(pvc.spec?.volumeName ? {} : { [ANN_BOUND_BY_CONTROLLER]: 'yes' }) } };
      pvc = await this.client.update(`/api/v1/namespaces/${m.namespace}/persistentvolumeclaims/${m.name}`, next);
    }
    const status = { ...(pvc.status ?? {}), phase: 'Bound', accessModes: pv.spec?.accessModes, capacity: pv.spec?.capacity };
    if (JSON.stringify(status) !== JSON.stringify(pvc.status)) {
      await this.updateClaimStatus(pvc, status);
    }
  }

  private async updateClaimStatus(pvc: PersistentVolumeClaim, status: any): Promise<void> {
    const m = pvc.metadata!;
    await this.client.update(`/api/v1/namespaces/${m.namespace}/persistentvolumeclaims/${m.name}/status`, { ...pvc, status });
  }

  // ---- volumes

  private async syncVolume(name: string): Promise<void> {
    const cached = this.pvInformer.getByName('', name);
    if (!cached || cached.metadata?.deletionTimestamp) return;
    const pv = structuredClone(cached);
    const ref = pv.spec?.claimRef;
    if (!ref) {
      if (pv.status?.phase !== 'Available') await this.setVolumePhase(pv, 'Available');
      return;
    }
    let claim: PersistentVolumeClaim | undefined = this.pvcInformer.getByName(ref.namespace ?? '', ref.name ?? '');
    if (!claim && ref.uid) {
      // The cache may lag a new claim: ask the API before releasing.
      try {
        claim = await this.client.get(`/api/v1/namespaces/${ref.namespace}/persistentvolumeclaims/${ref.name}`);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    const claimGone = ref.uid ? !claim || claim.metadata?.uid !== ref.uid : false;
    if (!claimGone) {
      if (!ref.uid) {
        if (pv.status?.phase !== 'Available') await this.setVolumePhase(pv, 'Available');
      } else if (claim?.spec?.volumeName === name && pv.status?.phase !== 'Bound') {
        await this.setVolumePhase(pv, 'Bound');
      }
      return;
    }
    // The claim is gone: release, then reclaim.
    let cur = pv;
    if (pv.status?.phase !== 'Released' && pv.status?.phase !== 'Failed') cur = await this.setVolumePhase(pv, 'Released');
    if ((pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain') !== 'Delete') return;
    const provisionedBy = pv.metadata?.annotations?.[ANN_PROVISIONED_BY];
    if (provisionedBy === LOCAL_PATH_PROVISIONER) {
      const path = pv.spec?.hostPath?.path;
      if (path && this.options.storageDir && path.startsWith(`${this.options.storageDir}/`)) rmSync(path, { recursive: true, force: true });
    } else if (!provisionedBy) {
      // Upstream has no deleter for a volume nobody provisioned.
      if (cur.status?.phase !== 'Failed') {
        await this.client.update(`/api/v1/persistentvolumes/${name}/status`, { ...cur, status: { ...(cur.status ?? {}), phase: 'Failed', message: 'error getting deleter volume plugin for volume "' + name + '": no deletable volume plugin matched' } });
        this.recorder?.event(cur, 'Warning', 'VolumeFailedDelete', `error getting deleter volume plugin for volume "${name}": no deletable volume plugin matched`);
      }
      return;
    }
    try {
      await this.client.delete(`/api/v1/persistentvolumes/${name}`);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  private async setVolumePhase(pv: PersistentVolume, phase: string): Promise<PersistentVolume> {
    return this.client.update(`/api/v1/persistentvolumes/${pv.metadata!.name}/status`, { ...pv, status: { ...(pv.status ?? {}), phase } });
  }
}
