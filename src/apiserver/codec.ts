// Request body decoding and response media-type negotiation.

import YAML from 'yaml';
import { badRequest, notAcceptable, unsupportedMediaType } from './errors.js';
import { decodeKubernetesProtobuf, ProtobufDecodeError, KUBERNETES_PROTOBUF_CONTENT_TYPE } from '../api/protobuf/decode.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** What the client asked the response to be. */
export type ResponseShape =
  | { as: 'object'; yaml: boolean }
  | { as: 'Table'; version: 'v1' | 'v1beta1' }
  | { as: 'PartialObjectMetadata'; version: 'v1' | 'v1beta1'; list: boolean }
  | { as: 'discovery' };

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseAccept(accept: string): MediaRange[] {
  return accept
    .split(',')
    .map((part) => {
      const [type, ...params] = part.split(';').map((s) => s.trim());
      const p: Record<string, string> = {};
      for (const kv of params) {
        const i = kv.indexOf('=');
        if (i > 0) p[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
      }
      return { type: type.toLowerCase(), params: p };
    })
    .filter((m) => m.type !== '');
}

/**
 * Picks the response shape from the Accept header. `listable` tells whether
 * Table and PartialObjectMetadata transforms make sense for this endpoint.
 */
export function negotiate(accept: string | undefined, opts: { discovery?: boolean } = {}): ResponseShape {
  if (!accept) return { as: 'object', yaml: false };
  for (const m of parseAccept(accept)) {
    const jsonish = m.type === 'application/json' || m.type === '*/*' || m.type === 'application/*';
    if (m.params.as) {
      if (m.type !== 'application/json') continue;
      const g = m.params.g;
      const v = m.params.v;
      if (m.params.as === 'Table' && g === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1')) return { as: 'Table', version: v };
      if ((m.params.as === 'PartialObjectMetadata' || m.params.as === 'PartialObjectMetadataList') && g === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1'))
        return { as: 'PartialObjectMetadata', version: v, list: m.params.as.endsWith('List') };
      if (opts.discovery && m.params.as === 'APIGroupDiscoveryList' && g === 'apidiscovery.k8s.io' && v === 'v2') return { as: 'discovery' };
      continue;
    }
    if (jsonish) return { as: 'object', yaml: false };
    if (m.type === 'application/yaml') return { as: 'object', yaml: true };
  }
  throw notAcceptable();
}

/** Decodes a request body (JSON or YAML) into a plain object. */
export function decodeBody(body: Buffer, contentType: string | undefined): any {
  const ct = (contentType ?? 'application/json').split(';')[0].trim().toLowerCase();
  const text = body.toString('utf8');
  if (ct === 'application/json' || ct === '' || ct === '*/*') {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw badRequest(`error decoding request body: ${(e as Error).message}`);
    }
  }
  if (ct === 'application/yaml' || ct === 'application/x-yaml' || ct === 'text/yaml') {
    try {
      // Later duplicate keys win, as in upstream's YAML decoding; fieldValidation reports them.
      return YAML.parse(text, { uniqueKeys: false });
    } catch (e) {
      throw badRequest(`error converting YAML to JSON: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (ct === KUBERNETES_PROTOBUF_CONTENT_TYPE) {
    try {
      return decodeKubernetesProtobuf(body);
    } catch (e) {
      if (e instanceof ProtobufDecodeError) throw badRequest(e.message);
      throw e;
    }
  }
  throw unsupportedMediaType(ct);
}

export function requireObject(v: unknown): Record<string, any> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw badRequest('the body of the request must be a JSON object');
  }
  return v as Record<string, any>;
}
