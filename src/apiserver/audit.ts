// The audit stage of the request pipeline: one AuditContext per request,
// filled as the request passes authentication, impersonation and
// authorization, and turned into audit.k8s.io/v1 Events at the stages the
// policy keeps. The policy itself is src/audit/policy.ts, the writer
// src/audit/log-backend.ts.

import { randomUUID } from 'node:crypto';
import { evaluatePolicy, type Level, type Policy, type PolicyDecision, type Stage } from '../audit/policy.js';
import type { RequestInfo } from './request-info.js';
import { decodeBody } from './codec.js';
import type { ApiRequest, ApiResponse, UserInfo } from './api-server.js';

export interface AuditSink {
  write(event: object): void;
}

/** What the pipeline learns about one request, in order. */
export class AuditContext {
  readonly auditID = randomUUID();
  readonly received = new Date();
  /** The authenticated user (before impersonation). */
  user?: UserInfo;
  impersonatedUser?: UserInfo;
  info?: RequestInfo;
  decision?: { allowed: boolean; reason: string };
  /** Set once the policy has been evaluated. */
  policy?: PolicyDecision;
  readonly memo: { requestObject?: unknown } = {};
  constructor(readonly req: ApiRequest) {}
}

const LEVEL_ORDER: Record<Level, number> = { None: 0, Metadata: 1, Request: 2, RequestResponse: 3 };
const atLeast = (l: Level, min: Level) => LEVEL_ORDER[l] >= LEVEL_ORDER[min];

const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

export class Auditor {
  constructor(
    private readonly policy: Policy,
    private readonly sink: AuditSink,
  ) {}

  /** After authentication: evaluates the policy and records RequestReceived. */
  requestReceived(ctx: AuditContext): void {
    if (ctx.policy) return;
    const u = ctx.user ?? ANONYMOUS;
    const ri = ctx.info;
    ctx.policy =
      ri?.type === 'resource'
        ? evaluatePolicy(this.policy, { user: u.name, groups: u.groups, verb: ri.verb, resourceRequest: true, group: ri.group, resource: ri.resource, subresource: ri.subresource, namespace: ri.namespace, name: ri.name })
        : evaluatePolicy(this.policy, { user: u.name, groups: u.groups, verb: nonResourceVerb(ctx.req.method), resourceRequest: false, path: ctx.req.path });
    this.emit(ctx, 'RequestReceived');
  }

  /** The response is known: ResponseComplete, or ResponseStarted now and ResponseComplete when a stream ends. */
  responded(ctx: AuditContext, res: ApiResponse, panic: boolean): ApiResponse {
    this.requestReceived(ctx);
    if (ctx.policy!.level === 'None') return res;
    if (panic) {
      this.emit(ctx, 'Panic', res);
      return res;
    }
    if (!('stream' in res)) {
      this.emit(ctx, 'ResponseComplete', res);
      return res;
    }
    this.emit(ctx, 'ResponseStarted', res);
    const inner = res.stream;
    let done = false;
    const complete = () => {
      if (done) return;
      done = true;
      this.emit(ctx, 'ResponseComplete', res);
    };
    return {
      ...res,
      stream: (out) => {
        const stop = inner({ write: (c) => out.write(c), end: () => (complete(), out.end()) });
        return () => {
          stop();
          complete();
        };
      },
    };
  }

  private emit(ctx: AuditContext, stage: Stage, res?: ApiResponse): void {
    const p = ctx.policy!;
    if (p.level === 'None' || p.omitStages.includes(stage)) return;
    this.sink.write(buildEvent(ctx, stage, p.level, res));
  }
}

function nonResourceVerb(method: string): string {
  const m = method.toLowerCase();
  return m === 'head' ? 'get' : m;
}

function userJSON(u: UserInfo): Record<string, unknown> {
  const o: Record<string, unknown> = { username: u.name };
  if (u.uid) o.uid = u.uid;
  if (u.groups.length) o.groups = u.groups;
  if (u.extra && Object.keys(u.extra).length) o.extra = u.extra;
  return o;
}

/** The request body as an object (JSON, YAML, protobuf; patches as their JSON); undefined if it is none of these. */
function requestBody(body: Buffer | undefined, contentType: string | undefined): unknown {
  if (!body?.length) return undefined;
  try {
    return decodeBody(body, contentType);
  } catch {
    try {
      return contentType?.includes('json') ? JSON.parse(body.toString('utf8')) : undefined;
    } catch {
      return undefined;
    }
  }
}

function responseBody(res: ApiResponse): unknown {
  if (!('body' in res) || !res.contentType.includes('json')) return undefined;
  try {
    return JSON.parse(res.body);
  } catch {
    return undefined;
  }
}

/** One audit.k8s.io/v1 Event. */
export function buildEvent(ctx: AuditContext, stage: Stage, level: Level, res?: ApiResponse): Record<string, unknown> {
  const req = ctx.req;
  const query = req.query.toString();
  const ev: Record<string, unknown> = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level,
    auditID: ctx.auditID,
    stage,
    requestURI: query ? `${req.path}?${query}` : req.path,
    verb: ctx.info?.type === 'resource' ? ctx.info.verb : nonResourceVerb(req.method),
    user: userJSON(ctx.user ?? ANONYMOUS),
  };
  if (ctx.impersonatedUser) ev.impersonatedUser = userJSON(ctx.impersonatedUser);
  ev.sourceIPs = req.sourceIPs ?? [];
  if (req.headers.userAgent) ev.userAgent = req.headers.userAgent;
  const ri = ctx.info;
  // Decoded once per request, and only when the level logs it or a create needs its name.
  const wanted = ri?.type === 'resource' && (atLeast(level, 'Request') || (ri.verb === 'create' && !ri.name));
  if (wanted && !('requestObject' in ctx.memo)) ctx.memo.requestObject = requestBody(req.body, req.headers.contentType);
  const requestObject = ctx.memo.requestObject;
  if (ri?.type === 'resource') {
    const ref: Record<string, string> = { resource: ri.resource };
    if (ri.namespace) ref.namespace = ri.namespace;
    let name = ri.name;
    // As upstream: a create names its object from the request body.
    if (!name && ri.verb === 'create' && !ri.subresource) name = (requestObject as any)?.metadata?.name ?? '';
    if (name) ref.name = name;
    if (ri.group) ref.apiGroup = ri.group;
    if (ri.version) ref.apiVersion = ri.version;
    if (ri.subresource) ref.subresource = ri.subresource;
    ev.objectRef = ref;
  }
  if (res) {
    const status: Record<string, unknown> = { metadata: {}, code: res.status };
    const body = responseBody(res) as any;
    if (body?.kind === 'Status' && res.status >= 300) {
      if (body.status) status.status = body.status;
      if (body.message) status.message = body.message;
      if (body.reason) status.reason = body.reason;
      if (body.details) status.details = body.details;
    }
    ev.responseStatus = status;
    if (atLeast(level, 'RequestResponse') && stage === 'ResponseComplete' && body !== undefined && ri?.type === 'resource') ev.responseObject = body;
  }
  if (atLeast(level, 'Request') && requestObject !== undefined) ev.requestObject = requestObject;
  ev.requestReceivedTimestamp = ctx.received.toISOString().replace(/Z$/, '000Z');
  ev.stageTimestamp = new Date().toISOString().replace(/Z$/, '000Z');
  if (ctx.decision) {
    const a: Record<string, string> = { 'authorization.k8s.io/decision': ctx.decision.allowed ? 'allow' : 'forbid' };
    if (ctx.decision.reason) a['authorization.k8s.io/reason'] = ctx.decision.reason;
    ev.annotations = a;
  }
  return ev;
}
