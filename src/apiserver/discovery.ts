// Discovery documents: /api, /apis, per-group and per-group-version lists,
// and the aggregated form (apidiscovery.k8s.io/v2) kubectl asks for first.

import type { ResourceInfo, ResourceRegistry } from '../api/registry.js';
import { GROUP_VERSIONS, groupVersionString } from '../api/registry.js';

export interface GroupVersions {
  group: string;
  versions: string[];
}

/** Groups and versions currently served, in priority order (built-ins first, then custom groups). */
export function servedGroups(registry: ResourceRegistry): GroupVersions[] {
  const known = new Map<string, Set<string>>();
  for (const r of registry.all()) {
    if (!known.has(r.group)) known.set(r.group, new Set());
    known.get(r.group)!.add(r.version);
  }
  const out: GroupVersions[] = [];
  for (const gv of GROUP_VERSIONS) {
    const have = known.get(gv.group);
    if (!have) continue;
    const versions = gv.versions.filter((v) => have.has(v));
    for (const v of have) if (!versions.includes(v)) versions.push(v);
    out.push({ group: gv.group, versions });
    known.delete(gv.group);
  }
  for (const [group, versions] of [...known].sort((a, b) => a[0].localeCompare(b[0]))) {
    out.push({ group, versions: [...versions].sort(compareVersions) });
  }
  return out;
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0, v] as const;
    const level = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [1, level, Number(m[1]), Number(m[3] ?? 0)] as const;
  };
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < 4; i++) {
    if (pa[i] !== pb[i]) return (pa[i] as number) > (pb[i] as number) ? -1 : 1;
  }
  return a.localeCompare(b);
}

export function apiVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupDoc(g: GroupVersions): object {
  const versions = g.versions.map((v) => ({ groupVersion: groupVersionString(g.group, v), version: v }));
  return { name: g.group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(registry: ResourceRegistry): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: servedGroups(registry)
      .filter((g) => g.group !== '')
      .map(groupDoc),
  };
}

export function apiGroup(registry: ResourceRegistry, group: string): object | undefined {
  const g = servedGroups(registry).find((x) => x.group === group && group !== '');
  if (!g) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g) };
}

export function apiResourceList(registry: ResourceRegistry, group: string, version: string): object | undefined {
  const rs = registry.inGroupVersion(group, version).sort((a, b) => a.resource.localeCompare(b.resource));
  if (rs.length === 0) return undefined;
  const resources: object[] = [];
  for (const r of rs) {
    const main: Record<string, unknown> = {
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
    };
    if (r.shortNames.length) main.shortNames = r.shortNames;
    if (r.categories.length) main.categories = r.categories;
    resources.push(main);
    for (const s of r.subresources) {
      const sub: Record<string, unknown> = { name: `${r.resource}/${s.name}`, singularName: '', namespaced: r.namespaced, kind: s.kind, verbs: s.verbs };
      if (s.group !== undefined) {
        sub.group = s.group;
        sub.version = s.version;
      }
      resources.push(sub);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersionString(group, version), resources };
}

function discoveryResource(r: ResourceInfo): object {
  const d: Record<string, unknown> = {
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
  };
  if (r.shortNames.length) d.shortNames = r.shortNames;
  if (r.categories.length) d.categories = r.categories;
  if (r.subresources.length) {
    d.subresources = r.subresources.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind },
      verbs: s.verbs,
    }));
  }
  return d;
}

/** apidiscovery.k8s.io/v2 APIGroupDiscoveryList for /api (core only) or /apis (everything else). */
export function aggregatedDiscovery(registry: ResourceRegistry, core: boolean): object {
  const items = servedGroups(registry)
    .filter((g) => (g.group === '') === core)
    .map((g) => ({
      metadata: g.group ? { name: g.group, creationTimestamp: null } : { creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        resources: registry
          .inGroupVersion(g.group, v)
          .sort((a, b) => a.resource.localeCompare(b.resource))
          .map(discoveryResource),
        freshness: 'Current',
      })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
