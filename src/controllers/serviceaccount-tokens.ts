// The token controller (upstream pkg/controller/serviceaccount/tokens_controller.go):
// a Secret of type `kubernetes.io/service-account-token` annotated with
// `kubernetes.io/service-account.name` gets a legacy (non-expiring) token of
// that ServiceAccount in data.token, with ca.crt and namespace beside it.
// Secrets naming a ServiceAccount that does not exist are deleted, as are a
// deleted ServiceAccount's token Secrets.

import type { Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../client/types.js';
import { isConflict, isNotFound } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { objectOf } from '../client/store.js';
import { QueueController, type ControllerOptions } from './base.js';

export const SA_TOKEN_SECRET_TYPE = 'kubernetes.io/service-account-token';
export const SA_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const SA_UID_ANNOTATION = 'kubernetes.io/service-account.uid';

/** Signs a legacy token for a ServiceAccount and a Secret name. */
export type LegacyTokenSigner = (namespace: string, serviceAccount: { name: string; uid: string }, secretName: string) => string;

export class TokensController extends QueueController {
  private readonly secretInformer: Informer<Secret>;
  private readonly saInformer: Informer<ServiceAccount>;

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    private readonly sign: LegacyTokenSigner,
    private readonly caPem: string,
    opts: ControllerOptions = {},
  ) {
    super('serviceaccount-tokens', opts);
    this.secretInformer = factory.informerFor<Secret>('/api/v1/secrets');
    this.saInformer = factory.informerFor<ServiceAccount>('/api/v1/serviceaccounts');
    const onSecret = (s: Secret) => {
      if (s.type === SA_TOKEN_SECRET_TYPE) this.enqueue(`${s.metadata!.namespace}/${s.metadata!.name}`);
    };
    this.registrations.push(
      this.secretInformer.addEventHandler({ onAdd: onSecret, onUpdate: (_o, cur) => onSecret(cur) }),
      this.saInformer.addEventHandler({
        onDelete: (obj) => {
          const sa = objectOf(obj) as ServiceAccount;
          for (const s of this.secretInformer.list()) {
            if (s.type === SA_TOKEN_SECRET_TYPE && s.metadata?.namespace === sa.metadata?.namespace && s.metadata?.annotations?.[SA_NAME_ANNOTATION] === sa.metadata?.name) onSecret(s);
          }
        },
      }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.secretInformer, this.saInformer];
  }

  protected async sync(key: string): Promise<void> {
    const [ns, name] = key.split('/') as [string, string];
    const secret = this.secretInformer.getByName(ns, name);
    if (!secret || secret.type !== SA_TOKEN_SECRET_TYPE || secret.metadata?.deletionTimestamp) return;
    const saName = secret.metadata?.annotations?.[SA_NAME_ANNOTATION] ?? '';
    const wantUid = secret.metadata?.annotations?.[SA_UID_ANNOTATION];
    const path = `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(name)}`;
    // The cache may lag a ServiceAccount created just before its Secret: ask the API before deleting.
    let sa: ServiceAccount | undefined = this.saInformer.getByName(ns, saName);
    if (!sa && saName) sa = await this.client.get(`/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(saName)}`).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    if (!sa || (wantUid && sa.metadata?.uid !== wantUid)) {
      await this.client.delete(path).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      return;
    }
    const uid = sa.metadata?.uid ?? '';
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const data = secret.data ?? {};
    if (data.token && data['ca.crt'] && data.namespace && wantUid) return;
    const next = structuredClone(secret);
    next.metadata!.annotations = { ...(next.metadata!.annotations ?? {}), [SA_UID_ANNOTATION]: uid };
    next.data = { ...data };
    next.data.token ??= b64(this.sign(ns, { name: saName, uid }, name));
    next.data['ca.crt'] ??= b64(this.caPem);
    next.data.namespace ??= b64(ns);
    try {
      await this.client.update(path, next);
    } catch (e) {
      // A newer version arrives through the informer and is synced again.
      if (isConflict(e) || isNotFound(e)) return;
      throw e;
    }
  }
}
