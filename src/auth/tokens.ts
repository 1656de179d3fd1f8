// Bearer token authentication, pure logic over lookups (upstream
// pkg/serviceaccount, plugin/pkg/auth/authenticator/token/bootstrap and the
// static token file): ServiceAccount JWTs (bound, from TokenRequest, and
// legacy, from token Secrets), bootstrap tokens and static tokens. Signature
// checks are cached briefly by token hash; expiry and the existence of the
// objects a token names are checked on every request (cheap cache reads),
// so deleting a ServiceAccount, pod or Secret revokes its tokens at once.

import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import { peekClaims, signJwt, verifyJwt } from './jwt.js';
import { serviceAccountGroups, type UserInfo } from './rules.js';

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** The issuer of legacy (Secret-based) ServiceAccount tokens. */
export const LEGACY_ISSUER = 'kubernetes/serviceaccount';
export const MIN_EXPIRATION_SECONDS = 600;
export const DEFAULT_EXPIRATION_SECONDS = 3600;

export const EXTRA_POD_NAME = 'authentication.kubernetes.io/pod-name';
export const EXTRA_POD_UID = 'authentication.kubernetes.io/pod-uid';
export const EXTRA_CREDENTIAL_ID = 'authentication.kubernetes.io/credential-id';

export interface ObjectRef {
  name: string;
  uid: string;
}

/** Reads of the objects tokens refer to (from the API server's watch caches). */
export interface TokenLookup {
  serviceAccount(namespace: string, name: string): any | undefined;
  pod(namespace: string, name: string): any | undefined;
  secret(namespace: string, name: string): any | undefined;
}

export interface BoundClaimsInput {
  issuer: string;
  audiences: string[];
  namespace: string;
  serviceAccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
  /** Seconds since the epoch. */
  now: number;
  expirationSeconds: number;
}

/** The claims of a bound token, as upstream's `Claims()` builds them. */
export function boundTokenClaims(i: BoundClaimsInput): Record<string, unknown> {
  const k8s: Record<string, unknown> = { namespace: i.namespace, serviceaccount: { name: i.serviceAccount.name, uid: i.serviceAccount.uid } };
  if (i.pod) k8s.pod = { name: i.pod.name, uid: i.pod.uid };
  if (i.secret) k8s.secret = { name: i.secret.name, uid: i.secret.uid };
  if (i.node) k8s.node = { name: i.node.name, uid: i.node.uid };
  return {
    aud: i.audiences,
    exp: i.now + i.expirationSeconds,
    iat: i.now,
    iss: i.issuer,
    jti: randomUUID(),
    'kubernetes.io': k8s,
    nbf: i.now,
    sub: `system:serviceaccount:${i.namespace}:${i.serviceAccount.name}`,
  };
}

/** The claims of a legacy token stored in a `kubernetes.io/service-account-token` Secret (no expiry). */
export function legacyTokenClaims(namespace: string, serviceAccount: ObjectRef, secretName: string): Record<string, unknown> {
  return {
    iss: LEGACY_ISSUER,
    'kubernetes.io/serviceaccount/namespace': namespace,
    'kubernetes.io/serviceaccount/secret.name': secretName,
    'kubernetes.io/serviceaccount/service-account.name': serviceAccount.name,
    'kubernetes.io/serviceaccount/service-account.uid': serviceAccount.uid,
    sub: `system:serviceaccount:${namespace}:${serviceAccount.name}`,
  };
}

export function serviceAccountUser(namespace: string, name: string, uid: string, extra?: Record<string, string[]>): UserInfo {
  return {
    name: `system:serviceaccount:${namespace}:${name}`,
    uid,
    groups: [...serviceAccountGroups(namespace), 'system:authenticated'],
    ...(extra && Object.keys(extra).length ? { extra } : {}),
  };
}

export interface Authenticated {
  user: UserInfo;
  /** The audiences the token is good for, among the ones asked for. */
  audiences: string[];
}

/** Why a token was refused (for TokenReview's status.error; requests get a plain 401). */
export class TokenRejected extends Error {}

function intersect(a: string[], b: string[]): string[] {
  return a.filter((x) => b.includes(x));
}

function uidOf(obj: any): string {
  return obj?.metadata?.uid ?? '';
}

/** Checks a bound token's claims (signature already verified) against the clock and the cluster's objects. */
export function checkBoundClaims(c: Record<string, any>, audiences: string[], now: number, lookup: TokenLookup): Authenticated {
  if (typeof c.exp !== 'number' || now > c.exp) throw new TokenRejected('service account token has expired');
  if (typeof c.nbf === 'number' && now < c.nbf - 60) throw new TokenRejected('service account token is not valid yet');
  const aud: string[] = Array.isArray(c.aud) ? c.aud : typeof c.aud === 'string' ? [c.aud] : [];
  const ok = intersect(audiences, aud);
  if (!ok.length) throw new TokenRejected('token audiences is invalid for the target audiences');
  const k = c['kubernetes.io'];
  const ns = k?.namespace;
  const saRef = k?.serviceaccount;
  if (typeof ns !== 'string' || typeof saRef?.name !== 'string') throw new TokenRejected('service account token claims are incomplete');
  const sa = lookup.serviceAccount(ns, saRef.name);
  if (!sa) throw new TokenRejected(`service account ${ns}/${saRef.name} has been deleted`);
  if (saRef.uid && uidOf(sa) !== saRef.uid) throw new TokenRejected(`service account UID (${saRef.uid}) does not match claim (${uidOf(sa)})`);
  const extra: Record<string, string[]> = {};
  if (k.pod) {
    const pod = lookup.pod(ns, k.pod.name);
    if (!pod || pod.metadata?.deletionTimestamp) throw new TokenRejected(`pod ${ns}/${k.pod.name} has been deleted`);
    if (uidOf(pod) !== k.pod.uid) throw new TokenRejected(`pod UID (${uidOf(pod)}) does not match claim (${k.pod.uid})`);
    extra[EXTRA_POD_NAME] = [k.pod.name];
    extra[EXTRA_POD_UID] = [k.pod.uid];
  }
  if (k.secret) {
    const secret = lookup.secret(ns, k.secret.name);
    if (!secret || secret.metadata?.deletionTimestamp) throw new TokenRejected(`secret ${ns}/${k.secret.name} has been deleted`);
    if (uidOf(secret) !== k.secret.uid) throw new TokenRejected(`secret UID (${uidOf(secret)}) does not match claim (${k.secret.uid})`);
  }
  if (typeof c.jti === 'string' && c.jti) extra[EXTRA_CREDENTIAL_ID] = [`JTI=${c.jti}`];
  return { user: serviceAccountUser(ns, saRef.name, uidOf(sa), extra), audiences: ok };
}

/** Checks a legacy token's claims: its Secret still exists and holds this very token, its ServiceAccount still exists. */
export function checkLegacyClaims(c: Record<string, any>, token: string, audiences: string[], lookup: TokenLookup): Authenticated {
  const ns = c['kubernetes.io/serviceaccount/namespace'];
  const secretName = c['kubernetes.io/serviceaccount/secret.name'];
  const saName = c['kubernetes.io/serviceaccount/service-account.name'];
  const saUid = c['kubernetes.io/serviceaccount/service-account.uid'];
  if (typeof ns !== 'string' || typeof secretName !== 'string' || typeof saName !== 'string') throw new TokenRejected('service account token claims are incomplete');
  const secret = lookup.secret(ns, secretName);
  if (!secret || secret.metadata?.deletionTimestamp) throw new TokenRejected(`secret ${ns}/${secretName} has been deleted`);
  const stored = secret.data?.token ? Buffer.from(secret.data.token, 'base64').toString('utf8') : '';
  if (stored !== token) throw new TokenRejected(`token does not match the one in secret ${ns}/${secretName}`);
  const sa = lookup.serviceAccount(ns, saName);
  if (!sa) throw new TokenRejected(`service account ${ns}/${saName} has been deleted`);
  if (saUid && uidOf(sa) !== saUid) throw new TokenRejected(`service account UID (${saUid}) does not match claim (${uidOf(sa)})`);
  // Legacy tokens are good for whatever the caller asks: they carry no audience.
  return { user: serviceAccountUser(ns, saName, uidOf(sa)), audiences };
}

// ---------------------------------------------------------------------------
// Bootstrap tokens (Secrets `bootstrap-token-<id>` in kube-system)

export const BOOTSTRAP_TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
export const BOOTSTRAP_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_GROUP = 'system:bootstrappers';
const BOOTSTRAP_GROUP_RE = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

function secretString(secret: any, key: string): string | undefined {
  const v = secret?.data?.[key];
  if (typeof v === 'string') return Buffer.from(v, 'base64').toString('utf8');
  const s = secret?.stringData?.[key];
  return typeof s === 'string' ? s : undefined;
}

export function checkBootstrapToken(token: string, audiences: string[], now: number, lookup: TokenLookup): Authenticated {
  const m = BOOTSTRAP_TOKEN_RE.exec(token);
  if (!m) throw new TokenRejected('not a bootstrap token');
  const [, id, secretPart] = m as unknown as [string, string, string];
  const secret = lookup.secret('kube-system', `bootstrap-token-${id}`);
  if (!secret || secret.metadata?.deletionTimestamp || secret.type !== BOOTSTRAP_SECRET_TYPE) throw new TokenRejected(`no bootstrap token with id ${id}`);
  if (secretString(secret, 'token-id') !== id || secretString(secret, 'token-secret') !== secretPart) throw new TokenRejected('bootstrap token does not match');
  const exp = secretString(secret, 'expiration');
  if (exp) {
    const t = Date.parse(exp);
    if (Number.isNaN(t) || t / 1000 <= now) throw new TokenRejected(`bootstrap token ${id} has expired`);
  }
  if (secretString(secret, 'usage-bootstrap-authentication') !== 'true') throw new TokenRejected(`bootstrap token ${id} is not usable for authentication`);
  const groups = [BOOTSTRAP_GROUP];
  for (const g of (secretString(secret, 'auth-extra-groups') ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!BOOTSTRAP_GROUP_RE.test(g)) throw new TokenRejected(`bootstrap token ${id} has an invalid extra group ${g}`);
    if (!groups.includes(g)) groups.push(g);
  }
  return { user: { name: `system:bootstrap:${id}`, groups: [...groups, 'system:authenticated'] }, audiences };
}

// ---------------------------------------------------------------------------
// Static token file: CSV `token,user,uid[,"group1,group2"]`

/** Parses a token file; throws with the line number on a malformed line. */
export function parseTokenFile(text: string): Map<string, UserInfo> {
  const out = new Map<string, UserInfo>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.trim().startsWith('#')) return;
    const fields = parseCsvLine(line);
    if (fields.length < 3) throw new Error(`token file: line ${i + 1}: want at least 3 columns (token,user,uid), got ${fields.length}`);
    const [token, name, uid, groups] = fields as [string, string, string, string | undefined];
    if (!token) throw new Error(`token file: line ${i + 1}: empty token`);
    const gs = (groups ?? '').split(',').map((g) => g.trim()).filter(Boolean);
    out.set(token, { name, uid, groups: [...gs, 'system:authenticated'] });
  });
  return out;
}

function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((f) => f.trim());
}

// ---------------------------------------------------------------------------
// The authenticator

export interface TokenAuthenticatorOptions {
  /** Keys that verify ServiceAccount tokens. */
  publicKeys: KeyObject[];
  /** The issuer of bound tokens (also the API server's audience). */
  issuer: string;
  /** The audiences the API server accepts (default: [issuer]). */
  audiences?: string[];
  lookup: TokenLookup;
  staticTokens?: Map<string, UserInfo>;
  /** Seconds since the epoch (tests). */
  now?: () => number;
  /** How long a verified signature is remembered (default 10 s). */
  cacheTtlMs?: number;
}

const CACHE_MAX = 4096;

/** Signs bound and legacy ServiceAccount tokens. */
export class TokenIssuer {
  constructor(
    private readonly privateKey: KeyObject,
    readonly issuer: string = DEFAULT_ISSUER,
  ) {}

  bound(i: Omit<BoundClaimsInput, 'issuer'>): { token: string; claims: Record<string, unknown> } {
    const claims = boundTokenClaims({ ...i, issuer: this.issuer });
    return { token: signJwt(claims, this.privateKey), claims };
  }

  legacy(namespace: string, serviceAccount: ObjectRef, secretName: string): string {
    return signJwt(legacyTokenClaims(namespace, serviceAccount, secretName), this.privateKey);
  }
}

export class TokenAuthenticator {
  readonly audiences: string[];
  private readonly verified = new Map<string, { claims: Record<string, any> | null; until: number }>();
  private readonly now: () => number;
  private readonly ttl: number;

  constructor(private readonly opts: TokenAuthenticatorOptions) {
    this.audiences = opts.audiences ?? [opts.issuer];
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.ttl = opts.cacheTtlMs ?? 10_000;
  }

  /** The user `token` authenticates, or undefined. */
  authenticate(token: string): UserInfo | undefined {
    try {
      return this.review(token).user;
    } catch (e) {
      if (e instanceof TokenRejected) return undefined;
      throw e;
    }
  }

  /** Authenticates `token` for `audiences` (default: the API server's); throws TokenRejected. */
  review(token: string, audiences: string[] = this.audiences): Authenticated {
    const fixed = this.opts.staticTokens?.get(token);
    if (fixed) return { user: fixed, audiences };
    if (BOOTSTRAP_TOKEN_RE.test(token)) return checkBootstrapToken(token, audiences, this.now(), this.opts.lookup);
    const peek = peekClaims(token);
    if (!peek) throw new TokenRejected('invalid bearer token');
    if (peek.iss !== this.opts.issuer && peek.iss !== LEGACY_ISSUER) throw new TokenRejected('invalid bearer token');
    const claims = this.verify(token);
    if (!claims) throw new TokenRejected('invalid bearer token, square/go-jose: error in cryptographic primitive');
    if (claims.iss === LEGACY_ISSUER) return checkLegacyClaims(claims, token, audiences, this.opts.lookup);
    return checkBoundClaims(claims, audiences, this.now(), this.opts.lookup);
  }

  /** The token's signature-verified claims, remembered briefly by the token's hash. */
  private verify(token: string): Record<string, any> | undefined {
    const key = createHash('sha256').update(token).digest('base64');
    const t = Date.now();
    const hit = this.verified.get(key);
    if (hit && hit.until > t) {
      // Most recently used last: the oldest entries are evicted first.
      this.verified.delete(key);
      this.verified.set(key, hit);
      return hit.claims ?? undefined;
    }
    const claims = verifyJwt(token, this.opts.publicKeys) ?? null;
    this.verified.set(key, { claims, until: t + this.ttl });
    if (this.verified.size > CACHE_MAX) this.verified.delete(this.verified.keys().next().value!);
    return claims ?? undefined;
  }
}
