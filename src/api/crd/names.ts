// Names of custom resources: the ResourceInfo a served CRD version gets
// (what discovery and the REST handlers use) and the CRD status the naming
// and establishing controllers write once names are checked against the
// other CRDs of the group (apiextensions-apiserver 1.32).

import { goQuote } from '../validation/errors.js';
import { ALL_VERBS, type ResourceInfo, type SubresourceInfo, type Verb } from '../registry.js';
import { deepCopy, deepEqual, isObj, type JSONObject } from './go.js';
import { rfc3339, setCRDCondition, type CRDCondition } from './validate-crd.js';

const SUB_VERBS: Verb[] = ['get', 'patch', 'update'];

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The names a CRD is served under: status.acceptedNames once accepted, else spec.names. */
export function servedNames(crd: any): JSONObject {
  const accepted = crd?.status?.acceptedNames;
  if (isObj(accepted) && str(accepted.plural) !== '' && str(accepted.kind) !== '') return accepted;
  return isObj(crd?.spec?.names) ? crd.spec.names : {};
}

function versionOf(crd: any, version: string): JSONObject | undefined {
  const vs = Array.isArray(crd?.spec?.versions) ? crd.spec.versions : [];
  return vs.find((v: unknown) => isObj(v) && v.name === version);
}

/**
 * The ResourceInfo of one version of a CRD: plural/singular/kind/listKind
 * (accepted names), scope, short names, categories, all verbs, the
 * version's status and scale subresources (Scale is autoscaling/v1),
 * generation tracking and DNS-subdomain object names.
 */
export function resourceInfoForCRD(crd: any, version: string): ResourceInfo {
  const names = servedNames(crd);
  const kind = str(names.kind);
  const v = versionOf(crd, version) ?? {};
  const subs = isObj(v.subresources) ? v.subresources : {};
  const subresources: SubresourceInfo[] = [];
  if (isObj(subs.scale)) subresources.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: [...SUB_VERBS] });
  if (isObj(subs.status)) subresources.push({ name: 'status', kind, verbs: [...SUB_VERBS] });
  subresources.sort((a, b) => a.name.localeCompare(b.name));
  return {
    group: str(crd?.spec?.group),
    version,
    resource: str(names.plural),
    singular: str(names.singular) || kind.toLowerCase(),
    kind,
    listKind: str(names.listKind) || `${kind}List`,
    namespaced: crd?.spec?.scope === 'Namespaced',
    shortNames: strs(names.shortNames),
    categories: strs(names.categories),
    verbs: [...ALL_VERBS],
    subresources,
    generation: true,
    nameRule: 'subdomain',
    allowCreateOnUpdate: false,
  };
}

/** The versions of a CRD that are served, in spec order. */
export function servedVersions(crd: any): string[] {
  const vs = Array.isArray(crd?.spec?.versions) ? crd.spec.versions : [];
  return vs.filter((v: any) => isObj(v) && v.served === true).map((v: any) => str(v.name));
}

/** The storage version of a CRD (the one with `storage: true`). */
export function storageVersionOf(crd: any): string | undefined {
  const vs = Array.isArray(crd?.spec?.versions) ? crd.spec.versions : [];
  const v = vs.find((x: any) => isObj(x) && x.storage === true);
  return v ? str(v.name) : undefined;
}

/** Names already claimed in a group: plurals, singulars and short names; kinds and list kinds. */
export interface TakenNames {
  resources: Iterable<string>;
  kinds: Iterable<string>;
}

/**
 * The names the CRDs of `group` have been granted (their
 * status.acceptedNames), as upstream's naming controller collects them.
 * `exceptName` leaves one CRD (by metadata.name) out.
 */
export function takenNamesForGroup(crds: Iterable<any>, group: string, exceptName?: string): { resources: Set<string>; kinds: Set<string> } {
  const resources = new Set<string>();
  const kinds = new Set<string>();
  for (const c of crds) {
    if (str(c?.spec?.group) !== group) continue;
    if (exceptName !== undefined && str(c?.metadata?.name) === exceptName) continue;
    const a = isObj(c?.status?.acceptedNames) ? c.status.acceptedNames : {};
    resources.add(str(a.plural));
    resources.add(str(a.singular));
    for (const s of strs(a.shortNames)) resources.add(s);
    kinds.add(str(a.kind));
    kinds.add(str(a.listKind));
  }
  return { resources, kinds };
}

function conflict(requested: string, accepted: string, used: Set<string>): string | undefined {
  if (requested === accepted) return undefined;
  if (!used.has(requested)) return undefined;
  return `${goQuote(requested)} is already in use`;
}

function aggregate(msgs: string[]): string {
  const uniq = [...new Set(msgs)];
  return uniq.length === 1 ? uniq[0] : `[${uniq.join(', ')}]`;
}

function orderedNames(n: JSONObject): JSONObject {
  const out: JSONObject = { plural: str(n.plural) };
  if (str(n.singular)) out.singular = str(n.singular);
  if (strs(n.shortNames).length) out.shortNames = strs(n.shortNames);
  out.kind = str(n.kind);
  if (str(n.listKind)) out.listKind = str(n.listKind);
  if (strs(n.categories).length) out.categories = strs(n.categories);
  return out;
}

export interface NamingResult {
  acceptedNames: JSONObject;
  namesAccepted: CRDCondition;
  established: CRDCondition;
}

/** Upstream's calculateNamesAndConditions: which requested names can be granted, and the conditions. */
export function calculateNamesAndConditions(crd: any, taken: TakenNames = { resources: [], kinds: [] }): NamingResult {
  const resources = new Set(taken.resources);
  const kinds = new Set(taken.kinds);
  const requested: JSONObject = isObj(crd?.spec?.names) ? crd.spec.names : {};
  const accepted: JSONObject = isObj(crd?.status?.acceptedNames) ? crd.status.acceptedNames : {};
  const next: JSONObject = deepCopy(accepted);
  const cond: CRDCondition = { type: 'NamesAccepted', status: 'Unknown' };
  const fail = (reason: string, message: string) => {
    cond.status = 'False';
    cond.reason = reason;
    cond.message = message;
  };

  let e = conflict(str(requested.plural), str(accepted.plural), resources);
  if (e) fail('PluralConflict', e);
  else next.plural = str(requested.plural);
  e = conflict(str(requested.singular), str(accepted.singular), resources);
  if (e) fail('SingularConflict', e);
  else next.singular = str(requested.singular);
  if (!deepEqual(strs(requested.shortNames), strs(accepted.shortNames))) {
    const have = new Set(strs(accepted.shortNames));
    const errs: string[] = [];
    for (const s of strs(requested.shortNames)) {
      if (have.has(s)) continue;
      const m = conflict(s, '', resources);
      if (m) errs.push(m);
    }
    if (errs.length) fail('ShortNamesConflict', aggregate(errs));
    else next.shortNames = strs(requested.shortNames);
  }
  e = conflict(str(requested.kind), str(accepted.kind), kinds);
  if (e) fail('KindConflict', e);
  else next.kind = str(requested.kind);
  e = conflict(str(requested.listKind), str(accepted.listKind), kinds);
  if (e) fail('ListKindConflict', e);
  else next.listKind = str(requested.listKind);
  next.categories = strs(requested.categories);

  if (cond.status === 'Unknown') {
    cond.status = 'True';
    cond.reason = 'NoConflicts';
    cond.message = 'no conflicts found';
  }
  const old = Array.isArray(crd?.status?.conditions) ? crd.status.conditions.find((c: any) => isObj(c) && c.type === 'Established') : undefined;
  let established: CRDCondition = old
    ? { type: 'Established', status: str(old.status), reason: old.reason, message: old.message }
    : { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' };
  if (established.status !== 'True' && cond.status === 'True') {
    established = { type: 'Established', status: 'False', reason: 'Installing', message: 'the initial names have been accepted' };
  }
  return { acceptedNames: orderedNames(next), namesAccepted: cond, established };
}

/**
 * The CRD status once the naming controller and the establishing
 * controller have run: `status.acceptedNames` (the requested names that
 * are free), `NamesAccepted` True/`NoConflicts` or False with
 * `PluralConflict` / `SingularConflict` / `ShortNamesConflict` /
 * `KindConflict` / `ListKindConflict` and a message like
 * `"widgets" is already in use`, `Established` True/`InitialNamesAccepted`
 * when names are accepted (else False/`NotAccepted`, or the previous
 * Established condition), and `status.storedVersions` including the
 * storage version. `taken` holds the names other CRDs of the group have
 * been granted (see takenNamesForGroup). Transition times move only when a
 * condition's status changes. Returns a new status object.
 */
export function crdStatusForAccepted(crd: any, now: Date | string, taken?: TakenNames): JSONObject {
  const ts = typeof now === 'string' ? now : rfc3339(now);
  const { acceptedNames, namesAccepted, established } = calculateNamesAndConditions(crd, taken);
  const work: any = { status: deepCopy(isObj(crd?.status) ? crd.status : {}) };
  work.status.acceptedNames = acceptedNames;
  setCRDCondition(work, namesAccepted, ts);
  setCRDCondition(work, established, ts);
  if (namesAccepted.status === 'True' && established.status !== 'True') {
    setCRDCondition(work, { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }, ts);
  }
  const sv = storageVersionOf(crd);
  const stored = strs(work.status.storedVersions);
  if (sv !== undefined && !stored.includes(sv)) stored.push(sv);
  const status: JSONObject = { conditions: work.status.conditions, acceptedNames: work.status.acceptedNames, storedVersions: stored };
  for (const k of Object.keys(work.status)) if (!(k in status)) status[k] = work.status[k];
  return status;
}

/** Whether the CRD is established (its resources may be served). */
export function isEstablished(crd: any): boolean {
  return Array.isArray(crd?.status?.conditions) && crd.status.conditions.some((c: any) => isObj(c) && c.type === 'Established' && c.status === 'True');
}
