// The kubelet's ServiceAccount token manager (upstream pkg/kubelet/token):
// tokens for projected `serviceAccountToken` volume sources, requested from
// the TokenRequest API bound to the pod, cached per pod, ServiceAccount,
// audience and lifetime, and renewed once 80% of their lifetime has passed.

import type { ApiClient } from '../client/types.js';

export interface ProjectedToken {
  token: string;
  /** When the volume should be rewritten with a fresh token (ms since the epoch). */
  refreshAt: number;
  /** Just requested (not from the cache). */
  fresh: boolean;
}

interface Entry extends ProjectedToken {
  expiresAt: number;
}

export class TokenManager {
  private cache = new Map<string, Entry>();

  constructor(
    private readonly client: ApiClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** A token for `source` (a serviceAccountToken projection) of `pod`, from the cache while fresh. */
  async tokenFor(pod: any, source: { audience?: string; expirationSeconds?: number }): Promise<ProjectedToken> {
    const ns: string = pod.metadata.namespace;
    const sa: string = pod.spec?.serviceAccountName || 'default';
    const seconds = source.expirationSeconds ?? 3600;
    const key = JSON.stringify([ns, sa, source.audience ?? '', seconds, pod.metadata.uid]);
    const hit = this.cache.get(key);
    if (hit && this.now() < hit.refreshAt) return { ...hit, fresh: false };
    if (this.cache.size > 256) this.prune();
    const res = await this.client.create(`/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(sa)}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        ...(source.audience ? { audiences: [source.audience] } : {}),
        expirationSeconds: seconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
      },
    });
    const issued = this.now();
    const expiresAt = Date.parse(res.status?.expirationTimestamp ?? '') || issued + seconds * 1000;
    const entry: Entry = { token: res.status.token, expiresAt, refreshAt: issued + 0.8 * (expiresAt - issued), fresh: true };
    this.cache.set(key, entry);
    return entry;
  }

  /** Forgets the tokens of a pod that is gone. */
  forgetPod(uid: string): void {
    for (const [k] of this.cache) if (JSON.parse(k)[4] === uid) this.cache.delete(k);
  }

  /** Drops expired entries (tokens of pods that went away unnoticed). */
  prune(): void {
    const t = this.now();
    for (const [k, v] of this.cache) if (v.expiresAt <= t) this.cache.delete(k);
  }
}
