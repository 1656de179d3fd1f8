// OpenAPI v2 (swagger 2.0): one document, served at /openapi/v2, with the REST
// operations of every served group version (converted from the v3 per-group-version
// documents of ./v3.ts) and `definitions` for every served kind and what it
// references (./schemas.ts), with `#/definitions/...` references.
// kubectl reads it on older paths (client-side validation of `kind: List`
// documents, explain --output=plaintext-openapiv2).

import { createHash } from 'node:crypto';
import type { ResourceRegistry } from '../../api/registry.js';
import { servedGroups } from '../discovery.js';
import { KUBERNETES_VERSION } from '../../version.js';
import { groupVersionDocument } from './v3.js';
import { allSchemas, openAPIName, REF_PREFIX_V3, typeKeyOfKind, type JsonSchema } from './schemas.js';
import { encodeSwaggerProtobuf, OPENAPI_V2_PROTOBUF, wantsOpenAPIv2Protobuf } from './v2-proto.js';

export { OPENAPI_V2_PROTOBUF, wantsOpenAPIv2Protobuf };

export const REF_PREFIX_V2 = '#/definitions/';

const V2_OVERRIDES: Record<string, (s: JsonSchema) => JsonSchema> = {
  // v3 describes these with oneOf, which swagger 2.0 does not have; upstream's v2 calls both strings
  'io.k8s.apimachinery.pkg.api.resource.Quantity': (s) => ({ ...(s.description ? { description: s.description } : {}), type: 'string' }),
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': (s) => ({ ...(s.description ? { description: s.description } : {}), type: 'string', format: 'int-or-string' }),
};

/** A v3 component schema in swagger 2.0 form: `#/definitions/` references, `allOf: [{$ref}]` unwrapped. */
export function toV2Schema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toV2Schema);
  if (!s || typeof s !== 'object') return s;
  const src = s as JsonSchema;
  const out: JsonSchema = {};
  const allOf = src.allOf as JsonSchema[] | undefined;
  if (Array.isArray(allOf) && allOf.length === 1 && typeof allOf[0]?.$ref === 'string' && Object.keys(allOf[0]).length === 1) {
    out.$ref = toV2Ref(allOf[0].$ref as string);
  }
  for (const [k, v] of Object.entries(src)) {
    if (k === 'allOf' && out.$ref !== undefined) continue;
    if (k === '$ref' && typeof v === 'string') out.$ref = toV2Ref(v);
    else if (k === 'x-kubernetes-group-version-kind' || k === 'x-kubernetes-list-map-keys' || k === 'required' || k === 'enum') out[k] = v;
    else if (k === 'properties' && v && typeof v === 'object') out[k] = Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, toV2Schema(pv)]));
    else out[k] = toV2Schema(v);
  }
  return out;
}

function toV2Ref(ref: string): string {
  return ref.startsWith(REF_PREFIX_V3) ? REF_PREFIX_V2 + ref.slice(REF_PREFIX_V3.length) : ref;
}

/** swagger 2.0 definitions of every served kind and what it references. */
export function definitionsV2(registry?: ResourceRegistry): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const [name, s] of Object.entries(allSchemas(registry))) {
    const v2 = toV2Schema(s) as JsonSchema;
    out[name] = V2_OVERRIDES[name]?.(v2) ?? v2;
  }
  return out;
}

const PRODUCES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

function v2Param(p: any): any {
  if (p.in === 'body') return p;
  const { schema, ...rest } = p;
  return { ...rest, ...(schema ?? {}) };
}

type Gvk = { group: string; version: string; kind: string };

function refTo(gvk: Gvk | undefined, kind: string | undefined, defs: Record<string, JsonSchema>, metaName?: string): object | undefined {
  if (metaName) return { $ref: `${REF_PREFIX_V2}io.k8s.apimachinery.pkg.apis.meta.v1.${metaName}` };
  if (!gvk || !kind) return undefined;
  const key = typeKeyOfKind(gvk.group, gvk.version, kind);
  if (!key) return undefined;
  const name = openAPIName(key);
  return defs[name] ? { $ref: REF_PREFIX_V2 + name } : undefined;
}

function v2Operation(method: string, op: any, defs: Record<string, JsonSchema>): any {
  const gvk: Gvk | undefined = op['x-kubernetes-group-version-kind'];
  const action: string = op['x-kubernetes-action'] ?? '';
  const params = (op.parameters ?? []).map(v2Param);
  const kindRef = refTo(gvk, gvk?.kind, defs);
  if (op.requestBody) {
    const schema = method === 'patch' ? refTo(undefined, undefined, defs, 'Patch') : method === 'delete' ? refTo(undefined, undefined, defs, 'DeleteOptions') : kindRef;
    params.unshift({ name: 'body', in: 'body', required: method !== 'delete', schema: schema ?? { type: 'object' } });
  }
  let respSchema: object | undefined;
  if (action === 'list') respSchema = refTo(gvk, gvk ? `${gvk.kind}List` : undefined, defs);
  else if (action === 'deletecollection' || (action === 'delete' && !kindRef)) respSchema = refTo(undefined, undefined, defs, 'Status');
  else respSchema = kindRef;
  const responses: Record<string, object> = {};
  for (const [code, r] of Object.entries<any>(op.responses ?? {})) {
    responses[code] = { description: r.description ?? 'OK', ...(respSchema ? { schema: respSchema } : {}) };
  }
  responses['401'] = { description: 'Unauthorized' };
  const out: any = {
    description: op.description ?? `${method} ${gvk?.kind ?? ''}`.trim(),
    consumes: method === 'patch' ? PATCH_TYPES : ['*/*'],
    produces: action === 'list' ? [...PRODUCES, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'] : PRODUCES,
    schemes: ['https'],
    tags: op.tags,
    operationId: op.operationId,
    ...(params.length ? { parameters: params } : {}),
    responses,
  };
  for (const [k, v] of Object.entries(op)) if (k.startsWith('x-kubernetes-')) out[k] = v;
  return out;
}

/** The swagger 2.0 document for everything `registry` serves. */
export function swaggerDocument(registry: ResourceRegistry): object {
  const definitions = definitionsV2(registry);
  const paths: Record<string, any> = {};
  for (const g of servedGroups(registry)) {
    for (const v of g.versions) {
      const doc = groupVersionDocument(registry, g.group, v) as { paths?: Record<string, any> } | undefined;
      for (const [p, item] of Object.entries(doc?.paths ?? {})) {
        const out: any = {};
        for (const [k, val] of Object.entries<any>(item)) {
          if (k === 'parameters') out.parameters = val.map(v2Param);
          else if (['get', 'put', 'post', 'patch', 'delete'].includes(k)) out[k] = v2Operation(k, val, definitions);
        }
        paths[p] = out;
      }
    }
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: KUBERNETES_VERSION.gitVersion },
    paths: Object.fromEntries(Object.keys(paths).sort().map((k) => [k, paths[k]])),
    definitions,
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  };
}

/** Builds /openapi/v2 on first use and keeps it; `invalidate()` when served resources change. */
export class OpenAPIv2 {
  private doc: object | undefined;
  private json: { body: string; etag: string } | undefined;
  private proto: { body: Buffer; etag: string } | undefined;

  constructor(private readonly registry: ResourceRegistry) {}

  invalidate(): void {
    this.doc = this.json = this.proto = undefined;
  }

  private swagger(): object {
    return (this.doc ??= swaggerDocument(this.registry));
  }

  /** The JSON body and its ETag (quoted, as upstream sends it). */
  document(): { body: string; etag: string } {
    if (!this.json) {
      const body = JSON.stringify(this.swagger());
      this.json = { body, etag: etagOf(body) };
    }
    return this.json;
  }

  /** The protobuf body (`openapi.v2.Document`), sent as application/octet-stream. */
  protobuf(): { body: Buffer; etag: string } {
    if (!this.proto) {
      const body = encodeSwaggerProtobuf(this.swagger() as Record<string, unknown>);
      this.proto = { body, etag: etagOf(body) };
    }
    return this.proto;
  }

  /** The body for a request's Accept header: protobuf when asked for, JSON otherwise. */
  forAccept(accept: string | undefined): { contentType: string; body: string | Buffer; etag: string } {
    // the Accept value is not a valid media type (it has an '@'), so the answer is labelled
    // application/octet-stream, as upstream does; client-go fails on anything it cannot parse
    if (wantsOpenAPIv2Protobuf(accept)) return { contentType: 'application/octet-stream', ...this.protobuf() };
    return { contentType: 'application/json', ...this.document() };
  }
}

function etagOf(body: string | Buffer): string {
  return `"${createHash('sha512').update(body).digest('hex').toUpperCase().slice(0, 128)}"`;
}
