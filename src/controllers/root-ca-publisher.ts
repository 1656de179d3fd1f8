// The root CA publisher (upstream pkg/controller/certificates/rootcacertpublisher):
// every active namespace holds a `kube-root-ca.crt` ConfigMap with the
// cluster CA, which the kube-api-access volume of pods projects as ca.crt.
// Namespace additions and changes or deletions of that ConfigMap enqueue the
// namespace; the sync creates or corrects it.

import type { ConfigMap, Namespace } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../client/types.js';
import { isAlreadyExists, isNotFound } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { objectOf } from '../client/store.js';
import { QueueController, type ControllerOptions } from './base.js';
import { isNamespaceTerminating } from './util.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export class RootCAPublisher extends QueueController {
  private readonly nsInformer: Informer<Namespace>;
  private readonly cmInformer: Informer<ConfigMap>;

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    private readonly caPem: string,
    opts: ControllerOptions = {},
  ) {
    super('root-ca-cert-publisher', opts);
    this.nsInformer = factory.informerFor<Namespace>('/api/v1/namespaces');
    this.cmInformer = factory.informerFor<ConfigMap>('/api/v1/configmaps');
    const onConfigMap = (obj: unknown) => {
      const cm = objectOf(obj) as ConfigMap;
      if (cm.metadata?.name === ROOT_CA_CONFIGMAP && cm.metadata.namespace) this.enqueue(cm.metadata.namespace);
    };
    this.registrations.push(
      this.nsInformer.addEventHandler({
        onAdd: (ns) => this.enqueue(ns.metadata!.name!),
        onUpdate: (_old, cur) => this.enqueue(cur.metadata!.name!),
      }),
      this.cmInformer.addEventHandler({ onUpdate: (_o, cur) => onConfigMap(cur), onDelete: onConfigMap }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.nsInformer, this.cmInformer];
  }

  protected async sync(name: string): Promise<void> {
    const ns = this.nsInformer.getByName('', name);
    if (!ns || ns.metadata?.deletionTimestamp || (ns.status?.phase ?? 'Active') !== 'Active') return;
    const cm = this.cmInformer.getByName(name, ROOT_CA_CONFIGMAP);
    const path = `/api/v1/namespaces/${encodeURIComponent(name)}/configmaps`;
    try {
      if (!cm) {
        await this.client.create(path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, annotations: { 'kubernetes.io/description': DESCRIPTION } }, data: { 'ca.crt': this.caPem } });
        return;
      }
      if (cm.data?.['ca.crt'] === this.caPem && Object.keys(cm.data).length === 1 && cm.metadata?.annotations?.['kubernetes.io/description'] === DESCRIPTION) return;
      const next = structuredClone(cm);
      next.data = { 'ca.crt': this.caPem };
      delete next.binaryData;
      next.metadata!.annotations = { ...(next.metadata!.annotations ?? {}), 'kubernetes.io/description': DESCRIPTION };
      await this.client.update(`${path}/${ROOT_CA_CONFIGMAP}`, next);
    } catch (e) {
      if (isAlreadyExists(e) || isNotFound(e) || isNamespaceTerminating(e)) return;
      throw e;
    }
  }
}
