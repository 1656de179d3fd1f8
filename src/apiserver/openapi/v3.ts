// OpenAPI v3: the discovery root (/openapi/v3) and one document per group
// version (/openapi/v3/apis/<group>/<version>). Each document describes the
// REST operations of every resource in the group version, tagged with
// x-kubernetes-action and x-kubernetes-group-version-kind, and their query
// parameters (kubectl reads `fieldValidation` on PATCH to decide that the
// server validates fields), and components.schemas with every type they use.

import { createHash } from 'node:crypto';
import type { ResourceInfo, ResourceRegistry } from '../../api/registry.js';
import { groupVersionString } from '../../api/registry.js';
import { servedGroups } from '../discovery.js';
import { KUBERNETES_VERSION } from '../../version.js';
import { schemasForGroupVersion } from './schemas.js';

type Param = { name: string; in: 'query' | 'path'; description: string; required?: boolean; schema: object; uniqueItems?: boolean };

const q = (name: string, description: string, type: 'string' | 'boolean' | 'integer' = 'string'): Param => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});

const P = {
  pretty: q('pretty', "If 'true', then the output is pretty printed."),
  dryRun: q('dryRun', 'When present, indicates that modifications should not be persisted. Valid value: All.'),
  fieldManager: q('fieldManager', 'A name associated with the actor or entity that is making these changes.'),
  fieldValidation: q('fieldValidation', 'How the server treats unknown or duplicate fields in the request: Ignore, Warn or Strict.'),
  force: q('force', 'Force is going to "force" Apply requests: re-acquire conflicting fields owned by other people.', 'boolean'),
  labelSelector: q('labelSelector', 'A selector to restrict the list of returned objects by their labels.'),
  fieldSelector: q('fieldSelector', 'A selector to restrict the list of returned objects by their fields.'),
  limit: q('limit', 'Maximum number of responses to return for a list call.', 'integer'),
  continue: q('continue', 'The continue option from a previous paginated list call.'),
  resourceVersion: q('resourceVersion', 'Constrains which resource versions a request may be served from.'),
  resourceVersionMatch: q('resourceVersionMatch', 'How resourceVersion is applied to list calls.'),
  timeoutSeconds: q('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
  watch: q('watch', 'Watch for changes to the described resources and return them as a stream.', 'boolean'),
  allowWatchBookmarks: q('allowWatchBookmarks', 'Requests watch events with type BOOKMARK.', 'boolean'),
  sendInitialEvents: q('sendInitialEvents', 'Begins a watch stream with synthetic events for the current state.', 'boolean'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'The duration in seconds before the object should be deleted.', 'integer'),
  propagationPolicy: q('propagationPolicy', 'Whether and how garbage collection will be performed: Orphan, Background or Foreground.'),
  orphanDependents: q('orphanDependents', 'Deprecated: use propagationPolicy.', 'boolean'),
};

const listParams = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch];
const writeParams = [P.dryRun, P.fieldManager, P.fieldValidation];
const deleteParams = [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];

const pathParam = (name: string, description: string): Param => ({ name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } });

const jsonBody = { content: { '*/*': { schema: { type: 'object' } } }, required: true };
const patchBody = {
  content: Object.fromEntries(
    ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'].map((ct) => [ct, { schema: { type: 'object' } }]),
  ),
  required: true,
};
const ok = (d = 'OK') => ({ description: d, content: { 'application/json': { schema: { type: 'object' } }, 'application/yaml': { schema: { type: 'object' } } } });

function opId(action: string, r: ResourceInfo, suffix = ''): string {
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  const gv = (r.group ? r.group.split('.')[0] : 'core') + cap(r.version);
  return `${action}${cap(gv)}${r.namespaced && action !== 'list' ? 'Namespaced' : ''}${r.kind}${suffix}`;
}

function operations(r: ResourceInfo, base: string, sub?: { name: string; kind: string; verbs: string[]; group?: string; version?: string }) {
  const gvk = sub ? { group: sub.group ?? r.group, version: sub.version ?? r.version, kind: sub.kind } : { group: r.group, version: r.version, kind: r.kind };
  const ext = (action: string) => ({ 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk });
  const tags = [r.group ? `${r.group.split('.')[0]}_${r.version}` : `core_${r.version}`];
  const suffix = sub ? sub.name.charAt(0).toUpperCase() + sub.name.slice(1) : '';
  const verbs = sub ? sub.verbs : r.verbs;
  const paths: Record<string, any> = {};
  const nsParams = r.namespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : [];
  const collection = `${base}/${r.resource}`;
  const item = `${collection}/{name}${sub ? `/${sub.name}` : ''}`;

  const itemOps: any = { parameters: [pathParam('name', `name of the ${gvk.kind}`), ...nsParams, P.pretty] };
  if (verbs.includes('get')) itemOps.get = { tags, operationId: opId('read', r, suffix), responses: { 200: ok() }, ...ext('get') };
  if (verbs.includes('update')) itemOps.put = { tags, operationId: opId('replace', r, suffix), parameters: writeParams, requestBody: jsonBody, responses: { 200: ok(), 201: ok('Created') }, ...ext('put') };
  if (verbs.includes('patch'))
    itemOps.patch = { tags, operationId: opId('patch', r, suffix), parameters: [...writeParams, P.force], requestBody: patchBody, responses: { 200: ok(), 201: ok('Created') }, ...ext('patch') };
  if (!sub && verbs.includes('delete'))
    itemOps.delete = { tags, operationId: opId('delete', r), parameters: deleteParams, requestBody: { content: { '*/*': { schema: { type: 'object' } } } }, responses: { 200: ok(), 202: ok('Accepted') }, ...ext('delete') };
  if (Object.keys(itemOps).length > 1) paths[item] = itemOps;
  if (sub) return paths;

  const collOps: any = { parameters: [...nsParams, P.pretty] };
  if (verbs.includes('list')) collOps.get = { tags, operationId: opId('list', r), parameters: listParams, responses: { 200: ok() }, ...ext('list') };
  if (verbs.includes('create')) collOps.post = { tags, operationId: opId('create', r), parameters: writeParams, requestBody: jsonBody, responses: { 200: ok(), 201: ok('Created'), 202: ok('Accepted') }, ...ext('post') };
  if (verbs.includes('deletecollection'))
    collOps.delete = { tags, operationId: opId('deleteCollection', r), parameters: [...deleteParams, ...listParams.filter((p) => p.name !== 'watch')], responses: { 200: ok() }, ...ext('deletecollection') };
  if (Object.keys(collOps).length > 1) paths[collection] = collOps;
  return paths;
}

/** The OpenAPI v3 document for one group version. */
export function groupVersionDocument(registry: ResourceRegistry, group: string, version: string): object | undefined {
  const rs = registry.inGroupVersion(group, version).sort((a, b) => a.resource.localeCompare(b.resource));
  if (!rs.length) return undefined;
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const paths: Record<string, any> = {};
  for (const r of rs) {
    const base = r.namespaced ? `${prefix}/namespaces/{namespace}` : prefix;
    Object.assign(paths, operations(r, base));
    for (const s of r.subresources) {
      if (['status', 'scale', 'finalize', 'approval', 'ephemeralcontainers'].includes(s.name)) Object.assign(paths, operations(r, base, s));
    }
    if (r.namespaced && r.verbs.includes('list')) {
      paths[`${prefix}/${r.resource}`] = {
        parameters: [P.pretty, ...listParams],
        get: { tags: [`${group || 'core'}_${version}`], operationId: opId('list', r, 'ForAllNamespaces'), responses: { 200: ok() }, 'x-kubernetes-action': 'list', 'x-kubernetes-group-version-kind': { group, version, kind: r.kind } },
      };
    }
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: KUBERNETES_VERSION.gitVersion },
    paths,
    components: { schemas: schemasForGroupVersion(group, version, registry) },
  };
}

export interface OpenAPIv3Cache {
  root(): object;
  document(path: string): { body: string; hash: string } | undefined;
}

/** Builds and caches the documents; `invalidate()` when served resources change. */
export class OpenAPIv3 implements OpenAPIv3Cache {
  private docs = new Map<string, { body: string; hash: string }>();
  private built = false;

  constructor(private readonly registry: ResourceRegistry) {}

  invalidate(): void {
    this.docs.clear();
    this.built = false;
  }

  private build(): void {
    if (this.built) return;
    for (const g of servedGroups(this.registry)) {
      for (const v of g.versions) {
        const doc = groupVersionDocument(this.registry, g.group, v);
        if (!doc) continue;
        const body = JSON.stringify(doc);
        const hash = createHash('sha512').update(body).digest('hex').toUpperCase().slice(0, 128);
        this.docs.set(g.group ? `apis/${g.group}/${v}` : `api/${v}`, { body, hash });
      }
    }
    this.built = true;
  }

  root(): object {
    this.build();
    const paths: Record<string, object> = {};
    for (const [p, d] of this.docs) paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${d.hash}` };
    return { paths };
  }

  document(path: string): { body: string; hash: string } | undefined {
    this.build();
    return this.docs.get(path);
  }
}

export { groupVersionString };
