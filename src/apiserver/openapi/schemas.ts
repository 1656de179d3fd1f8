// OpenAPI component schemas for the built-in kinds, named as upstream names them
// (io.k8s.api.core.v1.PodSpec, io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta, ...).
//
// Sources, all read at run time, once, on first use:
//  - the `kubernetes-types` package (node_modules): every type, field, required-ness
//    and description, read from its .d.ts files by ./dts.ts. That package is
//    generated from the upstream OpenAPI spec of Kubernetes 1.30, while kts serves
//    1.32, and it drops fields whose description contains the text that ends a
//    comment (for example admission rules' `resources` and `scope`, RBAC review
//    rules' `verbs`) as well as the `x-kubernetes-*` fields of JSONSchemaProps;
//  - the protobuf layout table of src/api/protobuf/schema.ts (generated from the
//    1.32 sources): integer and byte formats, and the fields and types that
//    kubernetes-types lacks (added in 1.31/1.32, or dropped as above); those get
//    the short descriptions of ADDED_DOCS below (written for kts). Fields that
//    1.32 removed (PodResourceClaim.source) are left out;
//  - the strategic-merge table of src/api/patch/smp-schema.ts: x-kubernetes-patch-strategy,
//    x-kubernetes-patch-merge-key, and x-kubernetes-list-type / list-map-keys;
//  - `apiVersion` / `kind` literal fields of kubernetes-types: x-kubernetes-group-version-kind.
//
// Schemas are in OpenAPI v3 form (`#/components/schemas/...` references, wrapped in
// `allOf` when a description sits beside them, as upstream's v3 documents do);
// ./v2.ts rewrites them for swagger 2.0. The returned objects are shared and
// must not be modified.

import { BUILTIN_RESOURCES, ResourceRegistry } from '../../api/registry.js';
import { TYPES as SMP_TYPES } from '../../api/patch/smp-schema.js';
import { CUSTOM_JSON, F_INLINE, F_OMITEMPTY, F_POINTER, F_REPEATED, MESSAGES, type FieldDef } from '../../api/protobuf/schema.js';
import { kubernetesTypesPackage, loadKubernetesTypes, type TsDecl, type TsField, type TsModel, type TsType } from './dts.js';

export type JsonSchema = { [key: string]: unknown };

export const REF_PREFIX_V3 = '#/components/schemas/';

/** Type key (module.Name) of the synthetic IntOrString type (kubernetes-types writes `number | string`). */
const INT_OR_STRING = 'intstr.IntOrString';
const QUANTITY = 'api/resource.Quantity';

/** kubernetes-types folder → upstream Go package prefix of the OpenAPI names. */
const PACKAGES: Record<string, string> = {
  'meta/v1': 'io.k8s.apimachinery.pkg.apis.meta.v1',
  'api/resource': 'io.k8s.apimachinery.pkg.api.resource',
  runtime: 'io.k8s.apimachinery.pkg.runtime',
  version: 'io.k8s.apimachinery.pkg.version',
  intstr: 'io.k8s.apimachinery.pkg.util.intstr',
  'apiextensions/v1': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1',
  'apiregistration/v1': 'io.k8s.kube-aggregator.pkg.apis.apiregistration.v1',
};

/** 'core/v1.PodSpec' → 'io.k8s.api.core.v1.PodSpec'. */
export function openAPIName(key: string): string {
  const dot = key.lastIndexOf('.');
  const module = key.slice(0, dot);
  return `${PACKAGES[module] ?? `io.k8s.api.${module.replace(/\//g, '.')}`}.${key.slice(dot + 1)}`;
}

/** Protobuf-table type names that differ from kubernetes-types keys. */
function keyOfProtoType(t: string): string {
  if (t === 'resource.Quantity') return QUANTITY;
  return t;
}

/** List fields whose upstream list-map-keys are more than the strategic-merge key. */
const LIST_MAP_KEYS: Record<string, string[]> = {
  'core/v1.Container.ports': ['containerPort', 'protocol'],
  'core/v1.EphemeralContainer.ports': ['containerPort', 'protocol'],
  'core/v1.ServiceSpec.ports': ['port', 'protocol'],
  'core/v1.PodSpec.topologySpreadConstraints': ['topologyKey', 'whenUnsatisfiable'],
};

/**
 * Descriptions (written for kts) of the fields and types that kubernetes-types 1.30
 * does not have and that are filled in from the 1.32 protobuf layout.
 * Keys: '<type key>' for a type, '<type key>.<field>' for a field.
 */
const ADDED_DOCS: Record<string, string> = {
  'admissionregistration/v1.NamedRuleWithOperations.resources':
    "Resources the rule applies to, as plural resource names optionally followed by a subresource ('pods', 'pods/log'). '*' matches all resources, '*/scale' the scale subresource of all resources, 'pods/*' all subresources of pods. Required.",
  'admissionregistration/v1.NamedRuleWithOperations.scope':
    "Which resources the rule matches by scope: 'Cluster' (cluster-scoped only), 'Namespaced' (namespaced only) or '*' (both; the default).",
  'admissionregistration/v1.RuleWithOperations.resources':
    "Resources the rule applies to, as plural resource names optionally followed by a subresource ('pods', 'pods/log'). '*' matches all resources, '*/scale' the scale subresource of all resources, 'pods/*' all subresources of pods. Required.",
  'admissionregistration/v1.RuleWithOperations.scope':
    "Which resources the rule matches by scope: 'Cluster' (cluster-scoped only), 'Namespaced' (namespaced only) or '*' (both; the default).",
  'authorization/v1.ResourceRule.verbs': "Verbs allowed on the listed resources (get, list, watch, create, update, patch, delete, ...); '*' allows all verbs.",
  'authorization/v1.ResourceRule.resources': "Resources the rule applies to; '*' means all resources of the listed API groups, '*/name' the subresource 'name' of all of them.",
  'authorization/v1.ResourceAttributes.fieldSelector': 'The field selector of the list or watch request being checked, for authorizers that take selectors into account.',
  'authorization/v1.ResourceAttributes.labelSelector': 'The label selector of the list or watch request being checked, for authorizers that take selectors into account.',
  'authorization/v1.FieldSelectorAttributes': 'A field selector of a request, given either as the raw selector string or as parsed requirements, not both.',
  'authorization/v1.FieldSelectorAttributes.rawSelector': "The selector as written in the request's query string.",
  'authorization/v1.FieldSelectorAttributes.requirements': 'The selector parsed into requirements.',
  'authorization/v1.LabelSelectorAttributes': 'A label selector of a request, given either as the raw selector string or as parsed requirements, not both.',
  'authorization/v1.LabelSelectorAttributes.rawSelector': "The selector as written in the request's query string.",
  'authorization/v1.LabelSelectorAttributes.requirements': 'The selector parsed into requirements.',
  'meta/v1.FieldSelectorRequirement': 'One requirement of a field selector: a field, an operator and a list of values.',
  'meta/v1.FieldSelectorRequirement.key': 'The field the requirement applies to.',
  'meta/v1.FieldSelectorRequirement.operator': 'How the field relates to the values: In, NotIn, Exists or DoesNotExist.',
  'meta/v1.FieldSelectorRequirement.values': 'The values to compare with: not empty for In and NotIn, empty for Exists and DoesNotExist.',
  'meta/v1.DeleteOptions.ignoreStoreReadErrorWithClusterBreakingPotential':
    "Delete the object even though it cannot be read from storage (for example when it cannot be decrypted), without finalizers or admission checks. Dangerous: it can break workloads that depend on the object. Requires the 'unsafe-delete-ignore-read-errors' verb on the resource.",
  'apiextensions/v1.JSONSchemaProps.x-kubernetes-preserve-unknown-fields':
    'Keep fields the schema does not describe instead of pruning them, at this node and below it unless a nested schema says otherwise.',
  'apiextensions/v1.JSONSchemaProps.x-kubernetes-embedded-resource':
    'The value is an embedded Kubernetes object: apiVersion, kind and metadata are required and metadata is validated like an object\'s.',
  'apiextensions/v1.JSONSchemaProps.x-kubernetes-int-or-string': 'The value may be an integer or a string.',
  'apiextensions/v1.JSONSchemaProps.x-kubernetes-list-map-keys':
    "For a list with x-kubernetes-list-type 'map': the fields of the items that identify an item. They must be scalar fields that are required or have a default.",
  'apiextensions/v1.JSONSchemaProps.x-kubernetes-list-type':
    "How the list is treated by server-side apply and merges: 'atomic' (replaced as a whole; the default), 'set' (unique scalar items) or 'map' (items identified by x-kubernetes-list-map-keys).",
  'apiextensions/v1.JSONSchemaProps.x-kubernetes-map-type': "How the object is merged: 'granular' (field by field; the default) or 'atomic' (replaced as a whole).",
  'apiextensions/v1.JSONSchemaProps.x-kubernetes-validations': 'CEL rules that values at this node must satisfy.',
  'coordination/v1.LeaseSpec.strategy': 'How coordinated leader election picks the holder of this lease (for example OldestEmulationVersion).',
  'coordination/v1.LeaseSpec.preferredHolder': 'The identity coordinated leader election wants to hold the lease next; the current holder should give it up.',
  'core/v1.ContainerStatus.user': "The identity the container's first process runs with, as reported by the container runtime.",
  'core/v1.ContainerStatus.allocatedResourcesStatus': 'Health of the devices and other resources allocated to the container.',
  'core/v1.ContainerUser': 'The identity a container runs with, per operating system.',
  'core/v1.ContainerUser.linux': "The Linux identity of the container's first process.",
  'core/v1.LinuxContainerUser': "The Linux user and groups of a container's first process.",
  'core/v1.LinuxContainerUser.uid': 'User ID.',
  'core/v1.LinuxContainerUser.gid': 'Primary group ID.',
  'core/v1.LinuxContainerUser.supplementalGroups': 'Supplementary group IDs.',
  'core/v1.ResourceStatus': 'Health of one resource allocated to a container.',
  'core/v1.ResourceStatus.name': "The resource: a resource name of the container's resources, or 'claim:<claim>/<request>' for a resource claim.",
  'core/v1.ResourceStatus.resources': 'Health of each device that backs the resource.',
  'core/v1.ResourceHealth': 'Health of one device backing a resource.',
  'core/v1.ResourceHealth.resourceID': 'Identifier of the device, unique within the resource.',
  'core/v1.ResourceHealth.health': 'Healthy, Unhealthy or Unknown.',
  'core/v1.NodeStatus.features': "Optional features the node's kubelet and runtime support.",
  'core/v1.NodeFeatures': 'Optional features a node supports.',
  'core/v1.NodeFeatures.supplementalGroupsPolicy': "The node honours a pod's securityContext.supplementalGroupsPolicy.",
  'core/v1.NodeRuntimeHandlerFeatures.userNamespaces': 'The runtime handler supports user namespaces, volumes included.',
  'core/v1.PodResourceClaim.resourceClaimName': "Name of an existing ResourceClaim in the pod's namespace. Exactly one of resourceClaimName and resourceClaimTemplateName is set.",
  'core/v1.PodResourceClaim.resourceClaimTemplateName':
    "Name of a ResourceClaimTemplate in the pod's namespace; a ResourceClaim is created from it for this pod and deleted with the pod. Exactly one of resourceClaimName and resourceClaimTemplateName is set.",
  'core/v1.PodSecurityContext.supplementalGroupsPolicy':
    "How the supplementary groups of the first process are computed: 'Merge' (the default) adds the groups the image's /etc/group lists for the user; 'Strict' uses only fsGroup, supplementalGroups and runAsGroup.",
  'core/v1.PodSecurityContext.seLinuxChangePolicy':
    "How the pod's SELinux label is applied to its volumes: 'MountOption' (a mount option, where the volume supports it) or 'Recursive' (relabelling every file).",
  'core/v1.PodSpec.resources': 'Compute resources (cpu, memory) of the pod as a whole, shared by its containers. Only requests and limits can be set.',
  'core/v1.ResourceClaim.request': 'Name of one request of the claim to use; empty for the whole claim.',
  'core/v1.Volume.image': 'An OCI image or artifact whose content is mounted read-only.',
  'core/v1.ImageVolumeSource': 'A volume holding the content of an OCI image or artifact.',
  'core/v1.ImageVolumeSource.reference': 'The image or artifact reference, as for container images.',
  'core/v1.ImageVolumeSource.pullPolicy': 'Always, Never or IfNotPresent. Defaults to Always for the :latest tag and IfNotPresent otherwise.',
};

const INT_OR_STRING_DOC = 'A value that holds either a 32-bit integer or a string. In JSON and YAML it is written as whichever of the two it holds.';

// ---------------------------------------------------------------------------
// model: kubernetes-types declarations merged with the 1.32 protobuf layout

interface Model {
  packageVersion: string;
  decls: Map<string, TsDecl>;
  /** '<group>/<version>/<Kind>' (group '' for core) → type key. */
  gvkIndex: Map<string, string>;
}

function protoFields(key: string): FieldDef[] | undefined {
  const own = MESSAGES[key];
  if (!own) return undefined;
  const out: FieldDef[] = [];
  for (const f of own) {
    if (f[3] & F_INLINE) out.push(...(protoFields(f[2]) ?? []));
    else out.push(f);
  }
  return out;
}

const SCALARS: Record<string, TsType> = {
  string: { k: 'string' },
  bytes: { k: 'string', format: 'byte' },
  bool: { k: 'boolean' },
  int32: { k: 'number', format: 'int32' },
  uint32: { k: 'number', format: 'int32' },
  int64: { k: 'number', format: 'int64' },
  uint64: { k: 'number', format: 'int64' },
  double: { k: 'number', format: 'double' },
  float: { k: 'number', format: 'float' },
};

function splitKey(key: string): { module: string; name: string } {
  const dot = key.lastIndexOf('.');
  return { module: key.slice(0, dot), name: key.slice(dot + 1) };
}

/** A protobuf-table field type as a TsType. */
function typeFromProto(t: string, repeated: boolean): TsType {
  let base: TsType;
  const map = /^map<([^,]+),(.+)>$/.exec(t);
  if (map) base = { k: 'map', of: typeFromProto(map[2]!, false) };
  else if (SCALARS[t]) base = SCALARS[t]!;
  else if (t === 'intstr.IntOrString') base = { k: 'union', of: [{ k: 'number' }, { k: 'string' }] };
  else if (CUSTOM_JSON[t] === 'items') base = { k: 'array', of: { k: 'string' } };
  else base = { k: 'ref', ...splitKey(keyOfProtoType(t)) };
  return repeated ? { k: 'array', of: base } : base;
}

/** Copies formats (int32/int64/double/byte) from the protobuf layout onto a kubernetes-types field type. */
function withFormats(t: TsType, proto: TsType): TsType {
  if (t.k === 'number' && proto.k === 'number') return proto.format ? { k: 'number', format: proto.format } : t;
  if (t.k === 'string' && proto.k === 'string') return proto.format ? { k: 'string', format: proto.format } : t;
  if ((t.k === 'array' || t.k === 'map') && proto.k === t.k) return { k: t.k, of: withFormats(t.of, proto.of) };
  return t;
}

const fieldOrder = (a: TsField, b: TsField) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function protoRequired(flags: number): boolean {
  return (flags & (F_OMITEMPTY | F_POINTER)) === 0;
}

/** A declaration for a type that only the protobuf layout knows (added after 1.30). */
function declFromProto(key: string): TsDecl | undefined {
  const fields = protoFields(key);
  if (!fields || CUSTOM_JSON[key]) return undefined;
  const { module, name } = splitKey(key);
  const doc = ADDED_DOCS[key];
  return {
    module,
    name,
    ...(doc ? { doc } : {}),
    fields: fields
      .map(([, json, type, flags]) => {
        const d = ADDED_DOCS[`${key}.${json}`];
        return { name: json, optional: !protoRequired(flags), type: typeFromProto(type, (flags & F_REPEATED) !== 0), ...(d ? { doc: d } : {}) };
      })
      .sort(fieldOrder),
  };
}

function mergeWithProto(key: string, d: TsDecl): TsDecl {
  if (!d.fields || CUSTOM_JSON[key]) return d;
  const proto = protoFields(key);
  if (!proto || proto.length === 0) return d;
  const byName = new Map(proto.map((f) => [f[1], f]));
  const fields: TsField[] = [];
  for (const f of d.fields) {
    const p = byName.get(f.name);
    if (!p) {
      // apiVersion/kind come from the inlined TypeMeta, which the table leaves out
      if (f.name === 'apiVersion' || f.name === 'kind') fields.push(f);
      continue; // removed upstream after 1.30
    }
    fields.push({ ...f, type: withFormats(f.type, typeFromProto(p[2], (p[3] & F_REPEATED) !== 0)) });
  }
  const have = new Set(d.fields.map((f) => f.name));
  for (const [, json, type, flags] of proto) {
    if (have.has(json)) continue;
    const doc = ADDED_DOCS[`${key}.${json}`];
    fields.push({ name: json, optional: !protoRequired(flags), type: typeFromProto(type, (flags & F_REPEATED) !== 0), ...(doc ? { doc } : {}) });
  }
  fields.sort(fieldOrder);
  return { ...d, fields };
}

function gvOf(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

function literalOf(d: TsDecl, field: string): string | undefined {
  const f = d.fields?.find((x) => x.name === field);
  return f?.type.k === 'literal' ? f.type.value : undefined;
}

let model: Model | undefined;
let modelMillis = 0;

function getModel(): Model {
  if (model) return model;
  const t0 = performance.now();
  const pkg = kubernetesTypesPackage();
  const raw: TsModel = loadKubernetesTypes(pkg.dir);
  const decls = new Map<string, TsDecl>();
  for (const [k, d] of raw) decls.set(k, mergeWithProto(k, d));
  const gvkIndex = new Map<string, string>();
  for (const [k, d] of decls) {
    const av = literalOf(d, 'apiVersion');
    const kind = literalOf(d, 'kind');
    if (av && kind) {
      const { group, version } = gvOf(av);
      gvkIndex.set(`${group}/${version}/${kind}`, k);
    }
  }
  model = { packageVersion: pkg.version, decls, gvkIndex };
  modelMillis = performance.now() - t0;
  return model;
}

function declOf(key: string): TsDecl | undefined {
  const m = getModel();
  let d = m.decls.get(key);
  if (!d) {
    d = declFromProto(key);
    if (d) m.decls.set(key, d);
  }
  return d;
}

// ---------------------------------------------------------------------------
// schemas

/** Every group version the built-in kinds (and their subresources) are served in. */
function builtinGroupVersions(): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>();
  const add = (group: string, version: string) => seen.set(`${group}/${version}`, { group, version });
  for (const r of BUILTIN_RESOURCES) {
    add(r.group, r.version);
    for (const s of r.subresources) if (s.group !== undefined && s.version !== undefined) add(s.group, s.version);
  }
  return [...seen.values()];
}

/** Meta kinds every group version registers (upstream lists all group versions on them). */
const SHARED_KINDS = new Set(['meta/v1.DeleteOptions', 'meta/v1.WatchEvent']);

function gvkExtension(key: string, d: TsDecl): Array<{ group: string; kind: string; version: string }> | undefined {
  if (SHARED_KINDS.has(key)) {
    return builtinGroupVersions()
      .sort((a, b) => (a.group + '/' + a.version).localeCompare(b.group + '/' + b.version))
      .map(({ group, version }) => ({ group, kind: d.name, version }));
  }
  if (key === 'meta/v1.Status') return [{ group: '', kind: 'Status', version: 'v1' }];
  const av = literalOf(d, 'apiVersion');
  const kind = literalOf(d, 'kind');
  if (!av || !kind) return undefined;
  const { group, version } = gvOf(av);
  return [{ group, kind, version }];
}

interface Built {
  schema: JsonSchema;
  deps: Set<string>;
}

const built = new Map<string, Built>();
let buildMillis = 0;

function isIntOrString(t: TsType): boolean {
  return t.k === 'union' && t.of.length === 2 && t.of.some((x) => x.k === 'number') && t.of.some((x) => x.k === 'string');
}

function typeSchema(t: TsType, deps: Set<string>): JsonSchema {
  switch (t.k) {
    case 'string':
      return t.format ? { type: 'string', format: t.format } : { type: 'string' };
    case 'literal':
      return { type: 'string' };
    case 'number':
      if (t.format === 'double' || t.format === 'float') return { type: 'number', format: t.format };
      return { type: 'integer', format: t.format ?? 'int32' };
    case 'boolean':
      return { type: 'boolean' };
    case 'any':
      return {};
    case 'array':
      return { type: 'array', items: typeSchema(t.of, deps) };
    case 'map':
      return { type: 'object', additionalProperties: typeSchema(t.of, deps) };
    case 'object': {
      const s = objectSchema('', t.fields, deps);
      return s;
    }
    case 'union':
      if (isIntOrString(t)) {
        deps.add(INT_OR_STRING);
        return { $ref: REF_PREFIX_V3 + openAPIName(INT_OR_STRING) };
      }
      return {};
    case 'ref': {
      const key = `${t.module}.${t.name}`;
      deps.add(key);
      return { $ref: REF_PREFIX_V3 + openAPIName(key) };
    }
  }
}

function fieldSchema(typeKey: string, f: TsField, deps: Set<string>): JsonSchema {
  const inner = typeSchema(f.type, deps);
  let s: JsonSchema;
  if (inner.$ref !== undefined) s = f.doc ? { allOf: [inner], description: f.doc } : inner;
  else s = f.doc ? { description: f.doc, ...inner } : inner;
  const smp = typeKey ? SMP_TYPES[typeKey]?.[f.name] : undefined;
  if (f.type.k === 'array') {
    if (smp?.l) {
      if (smp.k) {
        s['x-kubernetes-list-map-keys'] = LIST_MAP_KEYS[`${typeKey}.${f.name}`] ?? [smp.k];
        s['x-kubernetes-list-type'] = 'map';
        s['x-kubernetes-patch-merge-key'] = smp.k;
      } else {
        s['x-kubernetes-list-type'] = 'set';
      }
      s['x-kubernetes-patch-strategy'] = smp.l;
    } else {
      s['x-kubernetes-list-type'] = 'atomic';
    }
  } else if (smp?.s) {
    s['x-kubernetes-patch-strategy'] = smp.s;
  }
  return s;
}

function objectSchema(typeKey: string, fields: TsField[], deps: Set<string>): JsonSchema {
  const s: JsonSchema = { type: 'object' };
  if (fields.length === 0) return s;
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const f of fields) {
    properties[f.name] = fieldSchema(typeKey, f, deps);
    if (!f.optional) required.push(f.name);
  }
  s.properties = properties;
  if (required.length) s.required = required;
  return s;
}

function buildSchema(key: string): Built | undefined {
  const deps = new Set<string>();
  let schema: JsonSchema;
  if (key === INT_OR_STRING) {
    schema = { description: INT_OR_STRING_DOC, format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true };
    return { schema, deps };
  }
  const d = declOf(key);
  if (!d) return undefined;
  const doc = d.doc ? { description: d.doc } : {};
  if (key === QUANTITY) {
    schema = { ...doc, oneOf: [{ type: 'string' }, { type: 'number' }] };
  } else if (key === 'meta/v1.Time' || key === 'meta/v1.MicroTime') {
    schema = { ...doc, type: 'string', format: 'date-time' };
  } else if (key === 'apiextensions/v1.JSON') {
    // any JSON value (CRD defaults, enum values, examples): no type
    schema = { ...doc };
  } else if (d.alias) {
    const a = d.alias;
    schema = a.k === 'union' ? { ...doc } : { ...doc, ...typeSchema(a, deps) };
  } else {
    schema = { ...doc, ...objectSchema(key, d.fields ?? [], deps) };
    const gvk = gvkExtension(key, d);
    if (gvk) schema['x-kubernetes-group-version-kind'] = gvk;
  }
  return { schema, deps };
}

function getBuilt(key: string): Built | undefined {
  let b = built.get(key);
  if (!b) {
    const t0 = performance.now();
    b = buildSchema(key);
    buildMillis += performance.now() - t0;
    if (b) built.set(key, b);
  }
  return b;
}

/** The schemas of `roots` and of every type they reference, by OpenAPI name. */
export function schemaClosure(roots: Iterable<string>): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const key = stack.pop()!;
    if (seen.has(key)) continue;
    seen.add(key);
    const b = getBuilt(key);
    if (!b) continue;
    out[openAPIName(key)] = b.schema;
    for (const d of b.deps) if (!seen.has(d)) stack.push(d);
  }
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]!]));
}

/** The type key ('apps/v1.Deployment') of a kind, if kubernetes-types has it. */
export function typeKeyOfKind(group: string, version: string, kind: string): string | undefined {
  return getModel().gvkIndex.get(`${group}/${version}/${kind}`);
}

/** Meta types every group version document carries (list/watch/delete/patch/discovery bodies). */
const META_ROOTS = ['meta/v1.APIResourceList', 'meta/v1.DeleteOptions', 'meta/v1.Patch', 'meta/v1.Status', 'meta/v1.WatchEvent'];

function rootsOf(registry: ResourceRegistry, group: string, version: string): string[] {
  const rs = registry.inGroupVersion(group, version);
  if (!rs.length) return [];
  const roots = new Set<string>(META_ROOTS);
  const add = (g: string, v: string, kind: string) => {
    const k = typeKeyOfKind(g, v, kind);
    if (k) roots.add(k);
  };
  for (const r of rs) {
    add(group, version, r.kind);
    add(group, version, r.listKind);
    for (const s of r.subresources) add(s.group ?? group, s.version ?? version, s.kind);
  }
  return [...roots].sort();
}

const defaultRegistry = new ResourceRegistry();
const perGV = new Map<string, Record<string, JsonSchema>>();

/**
 * `components.schemas` of the OpenAPI v3 document of one group version: its kinds,
 * their lists, the kinds of their subresources (Scale, Eviction, TokenRequest, ...),
 * the meta kinds of every group version, and everything those reference. Empty when
 * the group version serves nothing. Cached; the result must not be modified.
 */
export function schemasForGroupVersion(group: string, version: string, registry: ResourceRegistry = defaultRegistry): Record<string, JsonSchema> {
  const roots = rootsOf(registry, group, version);
  const cacheKey = `${group}/${version}:${roots.join(',')}`;
  let s = perGV.get(cacheKey);
  if (!s) {
    s = roots.length ? schemaClosure(roots) : {};
    perGV.set(cacheKey, s);
  }
  return s;
}

/** The schemas of every kind served by `registry` and everything they reference (what /openapi/v2 carries). */
export function allSchemas(registry: ResourceRegistry = defaultRegistry): Record<string, JsonSchema> {
  const roots = new Set<string>();
  const gvs = new Set(registry.all().map((r) => `${r.group}/${r.version}`));
  for (const gv of gvs) {
    const i = gv.indexOf('/');
    for (const k of rootsOf(registry, gv.slice(0, i), gv.slice(i + 1))) roots.add(k);
  }
  return schemaClosure([...roots].sort());
}

/** The kubernetes-types version the descriptions come from, and time spent so far (ms). */
export function schemaSourceInfo(): { kubernetesTypesVersion: string; parseMillis: number; buildMillis: number; types: number } {
  const m = getModel();
  return { kubernetesTypesVersion: m.packageVersion, parseMillis: modelMillis, buildMillis, types: built.size };
}
