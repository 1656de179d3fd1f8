// The API server's authentication stage for bearer tokens and the APIs that
// go with it: TokenRequest (serviceaccounts/token), TokenReview, and the
// ServiceAccount admission of pods (plugin/pkg/admission/serviceaccount).
// Client certificates are checked by the HTTPS transport; everything else
// about tokens is here, over the watch caches.

import { generateKeyPairSync, randomInt, type KeyObject } from 'node:crypto';
import type { ResourceInfo, ResourceRegistry } from '../api/registry.js';
import { DEFAULT_EXPIRATION_SECONDS, DEFAULT_ISSUER, MIN_EXPIRATION_SECONDS, TokenAuthenticator, TokenIssuer, TokenRejected, type ObjectRef, type TokenLookup } from '../auth/tokens.js';
import type { UserInfo } from '../auth/rules.js';
import type { WatchCache } from './watch-cache.js';
import { objectKey } from './objects.js';
import { badRequest, conflict, forbidden, invalid, notFound, unauthorized } from './errors.js';

export interface AuthenticationOptions {
  /** The ServiceAccount token signing key (default: an ephemeral one, for tests). */
  serviceAccountKey?: { privateKey: KeyObject; publicKey: KeyObject };
  /** `iss` of bound tokens and the API server's audience (default https://kubernetes.default.svc.cluster.local). */
  issuer?: string;
  /** Users of the static token file (--token-auth-file). */
  staticTokens?: Map<string, UserInfo>;
  /** ServiceAccount admission of pods (what `kts server` runs). */
  serviceAccountAdmission?: boolean;
}

export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const VOLUME_PREFIX = 'kube-api-access-';
/** The kubelet's projected tokens live one hour plus 7 s: upstream's "warn only" marker value. */
const PROJECTED_TOKEN_SECONDS = 3607;
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
/** How long a pod create waits for the ServiceAccount controller to make `default` in a new namespace. */
const DEFAULT_SA_WAIT_MS = 5000;

/** Upstream's utilrand.String alphabet: no vowels, no confusable digits. */
function randomSuffix(n = 5): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

/** The projected volume every pod that automounts gets, as upstream's TokenVolumeSource. */
export function apiAccessVolume(name: string): object {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: PROJECTED_TOKEN_SECONDS, path: 'token' } },
        { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
        { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
      ],
    },
  };
}

export class ApiAuthentication {
  readonly tokens: TokenAuthenticator;
  readonly issuer: TokenIssuer;
  private readonly lookup: TokenLookup;
  private readonly admission: boolean;

  constructor(
    private readonly registry: ResourceRegistry,
    private readonly cacheFor: (i: ResourceInfo) => WatchCache,
    opts: AuthenticationOptions = {},
  ) {
    const key = opts.serviceAccountKey ?? generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const iss = opts.issuer ?? DEFAULT_ISSUER;
    this.issuer = new TokenIssuer(key.privateKey, iss);
    this.lookup = {
      serviceAccount: (ns, n) => this.object('serviceaccounts', ns, n),
      pod: (ns, n) => this.object('pods', ns, n),
      secret: (ns, n) => this.object('secrets', ns, n),
    };
    this.tokens = new TokenAuthenticator({ publicKeys: [key.publicKey], issuer: iss, lookup: this.lookup, staticTokens: opts.staticTokens });
    this.admission = opts.serviceAccountAdmission ?? false;
  }

  private object(resource: string, ns: string, name: string): any | undefined {
    const info = this.registry.get('', 'v1', resource)!;
    return this.cacheFor(info).get(objectKey(info, ns, name))?.obj;
  }

  /**
   * The user of a request's `Authorization` header. Undefined without a
   * bearer token; a 401 for a token that does not authenticate.
   */
  authenticate(authorization: string | undefined): UserInfo | undefined {
    if (!authorization) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) return undefined;
    const user = this.tokens.authenticate(m[1]!);
    if (!user) throw unauthorized();
    return user;
  }

  /** True for the create requests this module answers: serviceaccounts/token and tokenreviews. */
  serves(info: ResourceInfo, sub: string): boolean {
    return (info.group === '' && info.resource === 'serviceaccounts' && sub === 'token') || (info.group === 'authentication.k8s.io' && info.resource === 'tokenreviews' && !sub);
  }

  create(info: ResourceInfo, ns: string, name: string, body: any): object {
    return info.resource === 'tokenreviews' ? this.tokenReview(body) : this.tokenRequest(ns, name, body);
  }

  /** POST serviceaccounts/{name}/token: a bound, expiring token (upstream's TokenREST). */
  tokenRequest(ns: string, name: string, body: any): object {
    const spec = body.spec ?? {};
    const invalidSpec = (field: string, value: unknown, why: string) =>
      invalid('authentication.k8s.io', 'TokenRequest', name, `TokenRequest.authentication.k8s.io "${name}" is invalid: ${field}: Invalid value: ${value}: ${why}`, [{ reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${why}`, field }]);
    const expirationSeconds: number = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    if (!Number.isInteger(expirationSeconds)) throw invalidSpec('spec.expirationSeconds', expirationSeconds, 'must be an integer');
    if (expirationSeconds < MIN_EXPIRATION_SECONDS) throw invalidSpec('spec.expirationSeconds', expirationSeconds, 'may not specify a duration less than 10 minutes');
    if (expirationSeconds > 2 ** 32) throw invalidSpec('spec.expirationSeconds', expirationSeconds, 'may not specify a duration larger than 2^32 seconds');
    const sa = this.lookup.serviceAccount(ns, name);
    if (!sa) throw notFound('', 'serviceaccounts', name);
    const audiences: string[] = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences : this.tokens.audiences;
    let pod: ObjectRef | undefined;
    let secret: ObjectRef | undefined;
    let node: ObjectRef | undefined;
    const ref = spec.boundObjectRef;
    if (ref) {
      const kind = ref.kind ?? '';
      const resource = kind === 'Pod' ? 'pods' : kind === 'Secret' ? 'secrets' : kind === 'Node' ? 'nodes' : '';
      if (!resource || (ref.apiVersion && ref.apiVersion !== 'v1')) throw badRequest(`cannot bind token to object of type ${ref.apiVersion ? `${ref.apiVersion}, Kind=${kind}` : `/, Kind=${kind}`}`);
      const obj = this.object(resource, resource === 'nodes' ? '' : ns, ref.name ?? '');
      if (!obj) throw notFound('', resource, ref.name ?? '');
      const uid: string = obj.metadata?.uid ?? '';
      if (ref.uid && ref.uid !== uid) {
        throw conflict('', kind, ref.name, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
      }
      const r = { name: ref.name, uid };
      if (kind === 'Pod') {
        if ((obj.spec?.serviceAccountName || 'default') !== name) throw badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
        pod = r;
        // As 1.32: a scheduled pod's token also names its node.
        const n = obj.spec?.nodeName ? this.object('nodes', '', obj.spec.nodeName) : undefined;
        if (n) node = { name: n.metadata.name, uid: n.metadata.uid ?? '' };
      } else if (kind === 'Secret') secret = r;
      else node = r;
    }
    const now = Math.floor(Date.now() / 1000);
    const { token } = this.issuer.bound({ audiences, namespace: ns, serviceAccount: { name, uid: sa.metadata?.uid ?? '' }, pod, secret, node, now, expirationSeconds });
    return {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace: ns, creationTimestamp: null },
      spec: { audiences, expirationSeconds, boundObjectRef: ref ?? null },
      status: { token, expirationTimestamp: new Date((now + expirationSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
    };
  }

  /** POST tokenreviews: who a token authenticates, for which audiences. Never stored. */
  tokenReview(body: any): object {
    const spec = body.spec ?? {};
    if (!spec.token) throw badRequest('token is required for TokenReview in authentication');
    const audiences: string[] = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences : this.tokens.audiences;
    let status: object;
    try {
      const r = this.tokens.review(spec.token, audiences);
      const user: Record<string, unknown> = { username: r.user.name };
      if (r.user.uid) user.uid = r.user.uid;
      user.groups = r.user.groups;
      if (r.user.extra) user.extra = r.user.extra;
      status = { authenticated: true, user, audiences: r.audiences };
    } catch (e) {
      if (!(e instanceof TokenRejected)) throw e;
      status = { user: {}, error: `[invalid bearer token, ${e.message}]` };
    }
    return { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata: { ...(body.metadata ?? {}), creationTimestamp: null }, spec, status };
  }

  /**
   * Before a pod create: in a namespace the ServiceAccount controller has not
   * reached yet, wait briefly for its `default` ServiceAccount.
   */
  async beforePodCreate(ns: string): Promise<void> {
    if (!this.admission || this.lookup.serviceAccount(ns, 'default')) return;
    const nsInfo = this.registry.get('', 'v1', 'namespaces')!;
    const deadline = Date.now() + DEFAULT_SA_WAIT_MS;
    while (Date.now() < deadline && !this.lookup.serviceAccount(ns, 'default')) {
      const n = this.cacheFor(nsInfo).get(objectKey(nsInfo, '', ns))?.obj;
      if (!n || n.metadata?.deletionTimestamp) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** ServiceAccount admission of a pod being created (mutates it). */
  admitPod(pod: any): void {
    if (!this.admission) return;
    if (pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined) return;
    const spec = (pod.spec ??= {});
    const ns: string = pod.metadata?.namespace ?? '';
    const saName: string = spec.serviceAccountName || spec.serviceAccount || 'default';
    spec.serviceAccountName = saName;
    spec.serviceAccount = saName;
    const sa = this.lookup.serviceAccount(ns, saName);
    if (!sa) throw forbidden('', 'pods', pod.metadata?.name ?? '', `error looking up service account ${ns}/${saName}: serviceaccount "${saName}" not found`);
    const automount = spec.automountServiceAccountToken ?? sa.automountServiceAccountToken ?? true;
    if (!automount) return;
    const volumes: any[] = (spec.volumes ??= []);
    const existing = volumes.find((v) => typeof v.name === 'string' && v.name.startsWith(VOLUME_PREFIX));
    const volumeName: string = existing?.name ?? `${VOLUME_PREFIX}${randomSuffix()}`;
    let needed = false;
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      const mounts: any[] = (c.volumeMounts ??= []);
      if (mounts.some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH)) continue;
      mounts.push({ mountPath: SERVICE_ACCOUNT_MOUNT_PATH, name: volumeName, readOnly: true });
      needed = true;
    }
    if (!existing && needed) volumes.push(apiAccessVolume(volumeName));
    if (!volumes.length) delete spec.volumes;
  }
}
