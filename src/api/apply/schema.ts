// The structure server-side apply needs to know about an object: which
// objects are structs (named fields) and which are maps (arbitrary keys),
// which lists are atomic, sets or maps keyed by some fields, which structs
// and maps are atomic, and what Go's JSON encoding of a typed object always
// contains (the zero values upstream compares against).
//
// Upstream reads this from the OpenAPI schema (x-kubernetes-list-type,
// x-kubernetes-list-map-keys, x-kubernetes-map-type, defaults). kts derives it
// from three tables:
//  - ../protobuf/schema.ts: every built-in type's fields, their types, and
//    whether they are pointers / omitempty / inlined (the structure);
//  - ../patch/smp-schema.ts: the strategic-merge-patch strategy of each list
//    (merge with a key = associative list keyed by it, merge without a key =
//    set, anything else = atomic), which upstream's list types follow;
//  - the table below: the places where the apply list type differs from the
//    strategic merge strategy, and the atomic structs and maps
//    (`+structType=atomic`, `+mapType=atomic` in k8s.io/api 1.32).
// Custom resources have no type information here: their objects are treated
// as structs with every field declared, their lists as atomic; their
// `metadata` is ObjectMeta.

import { KINDS as SMP_KINDS, TYPES as SMP_TYPES, type FieldMeta } from '../patch/smp-schema.js';
import {
  CUSTOM_JSON,
  F_INLINE,
  F_OMITEMPTY,
  F_POINTER,
  F_REPEATED,
  KINDS as PB_KINDS,
  MESSAGES,
  type CustomJson,
} from '../protobuf/schema.js';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export type ListType = 'atomic' | 'set' | 'map';

/** The shape of one node of an object. */
export type Atom =
  /** A leaf value. */
  | { readonly kind: 'scalar' }
  /** No type information: objects are structs with every field declared, lists are atomic. */
  | { readonly kind: 'untyped' }
  /** An object with named fields; `type` names it in the type tables ('' for a custom resource root). */
  | { readonly kind: 'struct'; readonly type: string; readonly atomic: boolean }
  /** An object with arbitrary keys whose values share one shape. */
  | { readonly kind: 'map'; readonly elem: Atom; readonly atomic: boolean }
  /** A list. */
  | {
      readonly kind: 'list';
      readonly listType: ListType;
      readonly keys: readonly string[];
      readonly keyDefaults?: Readonly<Record<string, unknown>>;
      readonly elem: Atom;
    };

export const SCALAR: Atom = { kind: 'scalar' };
export const UNTYPED: Atom = { kind: 'untyped' };
const ATOMIC_LIST_OF_SCALARS: Atom = { kind: 'list', listType: 'atomic', keys: [], elem: SCALAR };

/** The synthetic type name of a custom resource's root object. */
const CUSTOM_ROOT = '';

// ---------------------------------------------------------------------------
// Differences between the apply schema and the strategic-merge metadata.

interface ListOverride {
  listType: ListType;
  keys?: string[];
  keyDefaults?: Record<string, unknown>;
}

const CONTAINER_PORTS: ListOverride = { listType: 'map', keys: ['containerPort', 'protocol'], keyDefaults: { protocol: 'TCP' } };

/** List fields whose apply semantics differ from their strategic-merge metadata. */
const LIST_OVERRIDES: Readonly<Record<string, Readonly<Record<string, ListOverride>>>> = {
  'admissionregistration/v1.ValidatingAdmissionPolicyBindingSpec': { validationActions: { listType: 'set' } },
  'admissionregistration/v1.ValidatingAdmissionPolicyStatus': { conditions: { listType: 'map', keys: ['type'] } },
  'batch/v1.JobStatus': { conditions: { listType: 'atomic' } },
  'batch/v1.PodFailurePolicyOnExitCodesRequirement': { values: { listType: 'set' } },
  'batch/v1.UncountedTerminatedPods': { succeeded: { listType: 'set' }, failed: { listType: 'set' } },
  'certificates/v1.CertificateSigningRequestStatus': { conditions: { listType: 'map', keys: ['type'] } },
  'core/v1.Container': { ports: CONTAINER_PORTS },
  'core/v1.EphemeralContainerCommon': { ports: CONTAINER_PORTS },
  'core/v1.ContainerStatus': {
    volumeMounts: { listType: 'map', keys: ['mountPath'] },
    allocatedResourcesStatus: { listType: 'map', keys: ['name'] },
  },
  'core/v1.PodSpec': { topologySpreadConstraints: { listType: 'map', keys: ['topologyKey', 'whenUnsatisfiable'] } },
  'core/v1.PodStatus': { hostIPs: { listType: 'atomic' } },
  'core/v1.ResourceRequirements': { claims: { listType: 'map', keys: ['name'] } },
  'core/v1.ResourceStatus': { resources: { listType: 'map', keys: ['resourceID'] } },
  'core/v1.ServiceSpec': { ports: { listType: 'map', keys: ['port', 'protocol'], keyDefaults: { protocol: 'TCP' } } },
  'discovery/v1.Endpoint': { addresses: { listType: 'set' } },
  'storage/v1.CSIDriverSpec': { volumeLifecycleModes: { listType: 'set' } },
};

/** Structs that are owned as a whole (`+structType=atomic`). */
const ATOMIC_STRUCTS: ReadonlySet<string> = new Set([
  'admissionregistration/v1.MatchResources',
  'admissionregistration/v1.NamedRuleWithOperations',
  'admissionregistration/v1.ParamKind',
  'admissionregistration/v1.ParamRef',
  'admissionregistration/v1.Variable',
  'autoscaling/v1.CrossVersionObjectReference',
  'core/v1.ConfigMapKeySelector',
  'core/v1.EndpointAddress',
  'core/v1.EndpointPort',
  'core/v1.LocalObjectReference',
  'core/v1.NodeSelector',
  'core/v1.NodeSelectorTerm',
  'core/v1.ObjectFieldSelector',
  'core/v1.ObjectReference',
  'core/v1.ResourceFieldSelector',
  'core/v1.ScopeSelector',
  'core/v1.SecretKeySelector',
  'core/v1.SecretReference',
  'core/v1.TopologySelectorTerm',
  'core/v1.TypedLocalObjectReference',
  'discovery/v1.EndpointPort',
  'meta/v1.LabelSelector',
  'meta/v1.OwnerReference',
  'networking/v1.ServiceBackendPort',
  'rbac/v1.RoleRef',
  'rbac/v1.Subject',
]);

/** Map fields that are owned as a whole (`+mapType=atomic`), as '<type>.<field>'. */
const ATOMIC_MAPS: ReadonlySet<string> = new Set([
  'core/v1.PodSpec.nodeSelector',
  'core/v1.ReplicationControllerSpec.selector',
  'core/v1.ServiceSpec.selector',
  'node/v1.Scheduling.nodeSelector',
]);

// ---------------------------------------------------------------------------
// Field tables

interface FieldInfo {
  readonly name: string;
  /** The type that declares the field (differs from the struct for inlined fields). */
  readonly owner: string;
  readonly type: string;
  readonly flags: number;
  readonly smp?: FieldMeta;
}

interface StructInfo {
  readonly fields: ReadonlyMap<string, FieldInfo>;
  /** Whether the type is known from the protobuf tables (full structure) or only from the strategic-merge table. */
  readonly complete: boolean;
}

const structCache = new Map<string, StructInfo>();

function smpMeta(type: string, name: string): FieldMeta | undefined {
  const t = SMP_TYPES[type];
  return t !== undefined && Object.prototype.hasOwnProperty.call(t, name) ? t[name] : undefined;
}

function collectFields(type: string, outer: string, into: Map<string, FieldInfo>, depth: number): void {
  const defs = MESSAGES[type];
  if (defs === undefined || depth > 8) return;
  for (const [, name, ftype, flags] of defs) {
    if (flags & F_INLINE) {
      collectFields(ftype, outer, into, depth + 1);
      continue;
    }
    if (into.has(name)) continue;
    into.set(name, { name, owner: type, type: ftype, flags, smp: smpMeta(outer, name) ?? smpMeta(type, name) });
  }
}

function structInfo(type: string): StructInfo {
  let info = structCache.get(type);
  if (info !== undefined) return info;
  const fields = new Map<string, FieldInfo>();
  if (MESSAGES[type] !== undefined) {
    collectFields(type, type, fields, 0);
    info = { fields, complete: true };
  } else {
    const t = SMP_TYPES[type];
    if (t !== undefined) {
      for (const [name, meta] of Object.entries(t)) fields.set(name, { name, owner: type, type: meta.t ?? '', flags: 0, smp: meta });
    }
    info = { fields, complete: false };
  }
  structCache.set(type, info);
  return info;
}

const atomCache = new Map<string, Atom>();

/** The atom of a value of the named protobuf type (a message, a custom JSON type, a map or a scalar). */
function atomOfType(type: string): Atom {
  const cached = atomCache.get(type);
  if (cached !== undefined) return cached;
  let atom: Atom;
  const custom: CustomJson | undefined = CUSTOM_JSON[type];
  if (custom !== undefined) {
    switch (custom) {
      case 'json':
      case 'rawextension':
      case 'schemaorarray':
      case 'schemaorbool':
      case 'schemaorstringarray':
        atom = UNTYPED;
        break;
      case 'items':
        atom = ATOMIC_LIST_OF_SCALARS;
        break;
      default:
        atom = SCALAR;
    }
  } else if (type.startsWith('map<')) {
    const inner = type.slice(4, -1);
    const comma = inner.indexOf(',');
    atom = { kind: 'map', elem: atomOfType(inner.slice(comma + 1)), atomic: false };
  } else if (MESSAGES[type] !== undefined || SMP_TYPES[type] !== undefined) {
    atom = { kind: 'struct', type, atomic: ATOMIC_STRUCTS.has(type) };
  } else {
    atom = SCALAR;
  }
  atomCache.set(type, atom);
  return atom;
}

function listAtom(f: FieldInfo, elem: Atom): Atom {
  const o = LIST_OVERRIDES[f.owner]?.[f.name];
  if (o !== undefined) return { kind: 'list', listType: o.listType, keys: o.keys ?? [], keyDefaults: o.keyDefaults, elem };
  const strategy = f.smp?.l;
  if (strategy !== undefined && strategy.split(',').includes('merge')) {
    if (f.smp?.k) return { kind: 'list', listType: 'map', keys: [f.smp.k], elem };
    return { kind: 'list', listType: 'set', keys: [], elem };
  }
  return { kind: 'list', listType: 'atomic', keys: [], elem };
}

const fieldAtomCache = new Map<FieldInfo, Atom>();

function atomOfField(f: FieldInfo, complete: boolean): Atom {
  const cached = fieldAtomCache.get(f);
  if (cached !== undefined) return cached;
  let atom: Atom;
  if (complete) {
    if (f.flags & F_REPEATED) {
      atom = listAtom(f, atomOfType(f.type));
    } else if (f.type.startsWith('map<')) {
      const m = atomOfType(f.type) as { kind: 'map'; elem: Atom };
      atom = { kind: 'map', elem: m.elem, atomic: ATOMIC_MAPS.has(`${f.owner}.${f.name}`) };
    } else {
      atom = atomOfType(f.type);
    }
  } else {
    // Only strategic-merge metadata is known (a kind kts has no protobuf table for).
    const meta = f.smp!;
    if (meta.l !== undefined) atom = listAtom(f, meta.t ? atomOfType(meta.t) : meta.k ? UNTYPED : SCALAR);
    else if (meta.t !== undefined) atom = atomOfType(meta.t);
    else atom = UNTYPED;
  }
  fieldAtomCache.set(f, atom);
  return atom;
}

const OBJECT_META: Atom = { kind: 'struct', type: 'meta/v1.ObjectMeta', atomic: false };

/** The atom of field `name` of a struct atom (UNTYPED for a field the type does not declare). */
export function fieldAtom(struct: Atom, name: string): Atom {
  if (struct.kind === 'map') return struct.elem;
  if (struct.kind !== 'struct') return struct.kind === 'scalar' ? SCALAR : UNTYPED;
  if (struct.type === CUSTOM_ROOT) return name === 'metadata' ? OBJECT_META : UNTYPED;
  const info = structInfo(struct.type);
  const f = info.fields.get(name);
  if (f === undefined) return UNTYPED;
  return atomOfField(f, info.complete);
}

/** Whether `name` is a declared field of the node (true for structs and untyped objects, false for maps). */
export function isDeclaredField(atom: Atom, _name: string): boolean {
  return atom.kind === 'struct' || atom.kind === 'untyped';
}

/** The atom of the node reached from `atom` through a field or list item path element. */
export function childAtom(atom: Atom, pe: { field: string } | object): Atom {
  if (atom.kind === 'list') return atom.elem;
  if ('field' in pe) return fieldAtom(atom, (pe as { field: string }).field);
  return atom.kind === 'scalar' ? SCALAR : UNTYPED;
}

function apiVersionOf(gvk: GroupVersionKind): string {
  return gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
}

/** The atom of a whole object of a kind. */
export function rootAtom(gvk: GroupVersionKind): Atom {
  const pb = PB_KINDS[`${apiVersionOf(gvk)}/${gvk.kind}`];
  if (pb !== undefined) return { kind: 'struct', type: pb, atomic: false };
  const smp = SMP_KINDS[`${gvk.group}/${gvk.version}/${gvk.kind}`];
  if (smp) return { kind: 'struct', type: smp, atomic: false };
  return { kind: 'struct', type: CUSTOM_ROOT, atomic: false };
}

/** Whether the kind is a built-in one (typed, normalized like upstream's Go objects). */
export function isBuiltinKind(gvk: GroupVersionKind): boolean {
  return (
    PB_KINDS[`${apiVersionOf(gvk)}/${gvk.kind}`] !== undefined || SMP_KINDS[`${gvk.group}/${gvk.version}/${gvk.kind}`] !== undefined
  );
}

/** Parses an object's apiVersion and kind into a GVK. */
export function gvkOf(obj: unknown): GroupVersionKind {
  const o = (obj ?? {}) as { apiVersion?: unknown; kind?: unknown };
  const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  const kind = typeof o.kind === 'string' ? o.kind : '';
  const slash = apiVersion.lastIndexOf('/');
  if (slash < 0) return { group: '', version: apiVersion, kind };
  return { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind };
}

// ---------------------------------------------------------------------------
// Zero values: what Go's encoding/json writes for a typed object even when a
// field was never set. Upstream compares typed Go objects, so on create an
// object is compared against the empty typed object (with `spec: {}`,
// `status: {}`, `containers: null`, ...), never against nothing. Filling the
// same zero values into both sides reproduces its comparison results.

type Zero = { readonly name: string; readonly value: unknown };

const zeroCache = new Map<string, readonly Zero[]>();

function customZero(c: CustomJson): unknown {
  switch (c) {
    case 'duration':
      return '0s';
    case 'quantity':
      return '0';
    case 'intorstring':
      return 0;
    case 'schemaorbool':
      return false;
    default:
      return null;
  }
}

function scalarZero(type: string): unknown {
  switch (type) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'bytes':
      return null;
    default:
      return 0;
  }
}

/** The fields of a struct type that Go always writes, with the value it writes when unset. */
function zeroFields(type: string): readonly Zero[] {
  const cached = zeroCache.get(type);
  if (cached !== undefined) return cached;
  const out: Zero[] = [];
  const info = structInfo(type);
  if (info.complete) {
    for (const f of info.fields.values()) {
      if (f.flags & F_POINTER) continue;
      const omitempty = (f.flags & F_OMITEMPTY) !== 0;
      if (f.flags & F_REPEATED || f.type.startsWith('map<')) {
        if (!omitempty) out.push({ name: f.name, value: null });
        continue;
      }
      const custom = CUSTOM_JSON[f.type];
      if (custom !== undefined) {
        if (custom === 'items') {
          if (!omitempty) out.push({ name: f.name, value: null });
        } else out.push({ name: f.name, value: customZero(custom) });
      } else if (MESSAGES[f.type] !== undefined) {
        out.push({ name: f.name, value: {} });
      } else if (!omitempty) {
        out.push({ name: f.name, value: scalarZero(f.type) });
      }
    }
  }
  zeroCache.set(type, out);
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * A value of a built-in type with the zero values Go's JSON encoding would
 * add (recursively). Parts that need no zero value are shared with the input
 * (which is never modified); values of unknown shape are returned as they are.
 */
export function normalizeTyped(value: unknown, atom: Atom): unknown {
  switch (atom.kind) {
    case 'struct': {
      if (!isObject(value) || atom.type === CUSTOM_ROOT) return value;
      let out: Record<string, unknown> | undefined;
      for (const k of Object.keys(value)) {
        const v = value[k];
        const n = normalizeTyped(v, fieldAtom(atom, k));
        if (n !== v) {
          out ??= { ...value };
          out[k] = n;
        }
      }
      for (const z of zeroFields(atom.type)) {
        if (Object.prototype.hasOwnProperty.call(value, z.name)) continue;
        out ??= { ...value };
        out[z.name] = isObject(z.value) ? normalizeTyped({}, fieldAtom(atom, z.name)) : z.value;
      }
      return out ?? value;
    }
    case 'map': {
      if (!isObject(value) || !needsNormalizing(atom.elem)) return value;
      let out: Record<string, unknown> | undefined;
      for (const k of Object.keys(value)) {
        const v = value[k];
        const n = normalizeTyped(v, atom.elem);
        if (n !== v) {
          out ??= { ...value };
          out[k] = n;
        }
      }
      return out ?? value;
    }
    case 'list': {
      if (!Array.isArray(value) || !needsNormalizing(atom.elem)) return value;
      let out: unknown[] | undefined;
      value.forEach((v, i) => {
        const n = normalizeTyped(v, atom.elem);
        if (n !== v) {
          out ??= [...value];
          out[i] = n;
        }
      });
      return out ?? value;
    }
    default:
      return value;
  }
}

function needsNormalizing(atom: Atom): boolean {
  return atom.kind === 'struct' || ((atom.kind === 'map' || atom.kind === 'list') && needsNormalizing(atom.elem));
}
