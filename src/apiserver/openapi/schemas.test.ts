// OpenAPI component schemas built from kubernetes-types: names, descriptions,
// formats, int-or-string and quantity, strategic-merge / list-type extensions,
// group-version-kind extensions, per-group-version closure, the swagger 2.0
// document and its protobuf encoding.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseDeclarations, cleanDoc } from './dts.js';
import { allSchemas, schemasForGroupVersion, openAPIName, schemaSourceInfo, typeKeyOfKind, type JsonSchema } from './schemas.js';
import { definitionsV2, swaggerDocument, OpenAPIv2 } from './v2.js';
import { wantsOpenAPIv2Protobuf } from './v2-proto.js';
import { ResourceRegistry, GROUP_VERSIONS } from '../../api/registry.js';

const REF = '#/components/schemas/';
const all = allSchemas();
const S = (name: string): JsonSchema => {
  const s = all[name];
  assert.ok(s, `schema ${name} exists`);
  return s;
};
const prop = (name: string, field: string): JsonSchema => {
  const p = (S(name).properties as Record<string, JsonSchema> | undefined)?.[field];
  assert.ok(p, `${name}.${field} exists`);
  return p;
};
const refOf = (s: JsonSchema): string | undefined => (s.$ref as string | undefined) ?? ((s.allOf as JsonSchema[] | undefined)?.[0]?.$ref as string | undefined);

function refsIn(v: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(v)) for (const x of v) refsIn(x, out);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') out.add(x);
      else refsIn(x, out);
    }
  }
  return out;
}

describe('dts parser', () => {
  test('reads interfaces, optional fields, arrays, maps, unions, literals, imports and docs', () => {
    const m = parseDeclarations(
      'x/v1',
      `import { ObjectMeta } from "../meta/v1";
/** Thing is a thing.
 *
 * Second paragraph. */
export interface Thing {
    /** API version. */
    apiVersion?: "x.example.com/v1";
    kind?: "Thing";
    metadata?: ObjectMeta;
    readonly status?: Sub;
    items: Array<Sub>;
    names?: string[];
    labels?: {
        [name: string]: string;
    };
    port?: number | string;
}
/** Sub. */
export interface Sub {
}
export type When = string;
`,
    );
    const t = m.get('x/v1.Thing')!;
    assert.equal(t.doc, 'Thing is a thing.\n\nSecond paragraph.');
    const f = Object.fromEntries(t.fields!.map((x) => [x.name, x]));
    assert.deepEqual(f.apiVersion!.type, { k: 'literal', value: 'x.example.com/v1' });
    assert.equal(f.apiVersion!.doc, 'API version.');
    assert.deepEqual(f.metadata!.type, { k: 'ref', module: 'meta/v1', name: 'ObjectMeta' });
    assert.equal(f.status!.optional, true);
    assert.equal(f.items!.optional, false);
    assert.deepEqual(f.items!.type, { k: 'array', of: { k: 'ref', module: 'x/v1', name: 'Sub' } });
    assert.deepEqual(f.names!.type, { k: 'array', of: { k: 'string' } });
    assert.deepEqual(f.labels!.type, { k: 'map', of: { k: 'string' } });
    assert.deepEqual(f.port!.type, { k: 'union', of: [{ k: 'number' }, { k: 'string' }] });
    assert.deepEqual(m.get('x/v1.When')!.alias, { k: 'string' });
    assert.throws(() => parseDeclarations('y/v1', 'export interface A { b?: Missing; }'), /unknown type name Missing/);
  });

  test('doc comments keep indentation inside paragraphs', () => {
    assert.equal(cleanDoc('\n     * Object is:\n     *  * one\n     *    two\n     '), 'Object is:\n * one\n   two');
  });
});

describe('schemas from kubernetes-types', () => {
  test('built lazily, once, quickly, from kubernetes-types 1.30', () => {
    const info = schemaSourceInfo();
    assert.match(info.kubernetesTypesVersion, /^1\.\d+\./);
    assert.ok(info.types > 300, `${info.types} types`);
    assert.ok(info.parseMillis + info.buildMillis < 3000, `${info.parseMillis + info.buildMillis} ms`);
    assert.equal(allSchemas()['io.k8s.api.core.v1.Pod'], all['io.k8s.api.core.v1.Pod'], 'built once, shared');
  });

  test('names follow upstream packages', () => {
    assert.equal(openAPIName('core/v1.PodSpec'), 'io.k8s.api.core.v1.PodSpec');
    assert.equal(openAPIName('meta/v1.ObjectMeta'), 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    assert.equal(openAPIName('apiextensions/v1.JSONSchemaProps'), 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps');
    assert.equal(openAPIName('api/resource.Quantity'), 'io.k8s.apimachinery.pkg.api.resource.Quantity');
    for (const n of [
      'io.k8s.api.core.v1.Pod',
      'io.k8s.api.apps.v1.Deployment',
      'io.k8s.api.rbac.v1.ClusterRole',
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
      'io.k8s.apimachinery.pkg.runtime.RawExtension',
      'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
      'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
    ])
      S(n);
    const md = prop('io.k8s.api.apps.v1.Deployment', 'metadata');
    assert.deepEqual(md.allOf, [{ $ref: `${REF}io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta` }]);
    assert.match(md.description as string, /^Standard object's metadata/);
  });

  test('field and type descriptions', () => {
    assert.match(prop('io.k8s.api.core.v1.Container', 'image').description as string, /^Container image name\./);
    assert.equal(S('io.k8s.api.apps.v1.Deployment').description, 'Deployment enables declarative updates for Pods and ReplicaSets.');
    assert.match(prop('io.k8s.api.core.v1.ServicePort', 'port').description as string, /port that will be exposed/);
    assert.match(prop('io.k8s.api.core.v1.PodSpec', 'os').description as string, /\n\nIf the OS field is set to linux/);
  });

  test('types, formats and required fields', () => {
    assert.deepEqual(S('io.k8s.api.core.v1.Container').required, ['name']);
    assert.equal(prop('io.k8s.api.core.v1.Container', 'image').type, 'string');
    assert.deepEqual([prop('io.k8s.api.apps.v1.DeploymentSpec', 'replicas').type, prop('io.k8s.api.apps.v1.DeploymentSpec', 'replicas').format], ['integer', 'int32']);
    assert.equal(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'generation').format, 'int64');
    assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'terminationGracePeriodSeconds').format, 'int64');
    assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'hostNetwork').type, 'boolean');
    assert.deepEqual(prop('io.k8s.api.core.v1.Secret', 'data').additionalProperties, { type: 'string', format: 'byte' });
    assert.deepEqual(prop('io.k8s.api.core.v1.ConfigMap', 'data').additionalProperties, { type: 'string' });
    assert.equal(prop('io.k8s.api.certificates.v1.CertificateSigningRequestSpec', 'request').format, 'byte');
    assert.deepEqual(
      [prop('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps', 'maximum').type, prop('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps', 'maximum').format],
      ['number', 'double'],
    );
    assert.deepEqual(prop('io.k8s.api.core.v1.PodSecurityContext', 'supplementalGroups').items, { type: 'integer', format: 'int64' });
    const time = S('io.k8s.apimachinery.pkg.apis.meta.v1.Time');
    assert.deepEqual([time.type, time.format], ['string', 'date-time']);
    assert.equal(refOf(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'creationTimestamp')), `${REF}io.k8s.apimachinery.pkg.apis.meta.v1.Time`);
    assert.equal(S('io.k8s.apimachinery.pkg.runtime.RawExtension').type, 'object');
    assert.equal(S('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON').type, undefined, 'JSON is any value');
  });

  test('int-or-string', () => {
    const tp = prop('io.k8s.api.core.v1.ServicePort', 'targetPort');
    assert.deepEqual(tp.allOf, [{ $ref: `${REF}io.k8s.apimachinery.pkg.util.intstr.IntOrString` }]);
    assert.equal(refOf(prop('io.k8s.api.apps.v1.RollingUpdateDeployment', 'maxSurge')), `${REF}io.k8s.apimachinery.pkg.util.intstr.IntOrString`);
    const ios = S('io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    assert.equal(ios['x-kubernetes-int-or-string'], true);
    assert.equal(ios.format, 'int-or-string');
    assert.equal(definitionsV2()['io.k8s.apimachinery.pkg.util.intstr.IntOrString']!.type, 'string');
  });

  test('quantity', () => {
    const limits = prop('io.k8s.api.core.v1.ResourceRequirements', 'limits');
    assert.equal(limits.type, 'object');
    assert.deepEqual(limits.additionalProperties, { $ref: `${REF}io.k8s.apimachinery.pkg.api.resource.Quantity` });
    const q = S('io.k8s.apimachinery.pkg.api.resource.Quantity');
    assert.match(q.description as string, /fixed-point representation of a number/);
    assert.deepEqual(q.oneOf, [{ type: 'string' }, { type: 'number' }]);
    assert.equal(definitionsV2()['io.k8s.apimachinery.pkg.api.resource.Quantity']!.type, 'string');
  });

  test('strategic merge and list-type extensions', () => {
    const containers = prop('io.k8s.api.core.v1.PodSpec', 'containers');
    assert.equal(containers.type, 'array');
    assert.deepEqual(containers.items, { $ref: `${REF}io.k8s.api.core.v1.Container` });
    assert.equal(containers['x-kubernetes-list-type'], 'map');
    assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
    assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.deepEqual(prop('io.k8s.api.core.v1.Container', 'ports')['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
    assert.equal(prop('io.k8s.api.core.v1.Container', 'ports')['x-kubernetes-patch-merge-key'], 'containerPort');
    assert.deepEqual(prop('io.k8s.api.core.v1.ServiceSpec', 'ports')['x-kubernetes-list-map-keys'], ['port', 'protocol']);
    assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'volumes')['x-kubernetes-patch-strategy'], 'merge,retainKeys');
    const fin = prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'finalizers');
    assert.deepEqual([fin['x-kubernetes-list-type'], fin['x-kubernetes-patch-strategy'], fin['x-kubernetes-patch-merge-key']], ['set', 'merge', undefined]);
    assert.equal(prop('io.k8s.api.core.v1.Container', 'args')['x-kubernetes-list-type'], 'atomic');
    assert.equal(prop('io.k8s.api.core.v1.Container', 'args')['x-kubernetes-patch-strategy'], undefined);
    assert.equal(prop('io.k8s.api.apps.v1.DeploymentSpec', 'strategy')['x-kubernetes-patch-strategy'], 'retainKeys');
    assert.equal(prop('io.k8s.api.apps.v1.DeploymentStatus', 'conditions')['x-kubernetes-patch-merge-key'], 'type');
    assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'nodeSelector')['x-kubernetes-list-type'], undefined, 'maps carry no list type');
  });

  test('group-version-kind extensions on kinds', () => {
    assert.deepEqual(S('io.k8s.api.apps.v1.Deployment')['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    assert.deepEqual(S('io.k8s.api.apps.v1.DeploymentList')['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'DeploymentList', version: 'v1' }]);
    assert.deepEqual(S('io.k8s.api.core.v1.Pod')['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
    assert.deepEqual(S('io.k8s.api.events.v1.Event')['x-kubernetes-group-version-kind'], [{ group: 'events.k8s.io', kind: 'Event', version: 'v1' }]);
    assert.deepEqual(S('io.k8s.apimachinery.pkg.apis.meta.v1.Status')['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Status', version: 'v1' }]);
    const del = S('io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions')['x-kubernetes-group-version-kind'] as Array<{ group: string }>;
    assert.ok(del.some((g) => g.group === 'apps') && del.some((g) => g.group === ''));
    assert.equal(S('io.k8s.api.core.v1.PodSpec')['x-kubernetes-group-version-kind'], undefined);
    assert.equal(typeKeyOfKind('apps', 'v1', 'StatefulSet'), 'apps/v1.StatefulSet');
    assert.equal(typeKeyOfKind('autoscaling', 'v1', 'Scale'), 'autoscaling/v1.Scale');
  });

  test('fields newer than kubernetes-types 1.30, or missing from it, come from the 1.32 layout', () => {
    assert.equal(refOf(prop('io.k8s.api.core.v1.PodSpec', 'resources')), `${REF}io.k8s.api.core.v1.ResourceRequirements`);
    assert.equal(prop('io.k8s.api.core.v1.PodSecurityContext', 'supplementalGroupsPolicy').type, 'string');
    assert.equal(refOf(prop('io.k8s.api.core.v1.Volume', 'image')), `${REF}io.k8s.api.core.v1.ImageVolumeSource`);
    assert.deepEqual(S('io.k8s.api.core.v1.LinuxContainerUser').required, ['gid', 'uid']);
    assert.equal(prop('io.k8s.api.coordination.v1.LeaseSpec', 'strategy').type, 'string');
    assert.equal((S('io.k8s.api.core.v1.PodResourceClaim').properties as object as Record<string, unknown>).source, undefined, 'removed in 1.31');
    assert.deepEqual(prop('io.k8s.api.admissionregistration.v1.RuleWithOperations', 'resources').items, { type: 'string' });
    assert.equal(prop('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps', 'x-kubernetes-preserve-unknown-fields').type, 'boolean');
    assert.ok(prop('io.k8s.api.core.v1.PodSpec', 'resources').description);
  });

  test('every group version document carries its kinds and the transitive closure of their references', () => {
    const reg = new ResourceRegistry();
    for (const { group, versions } of GROUP_VERSIONS) {
      for (const version of versions) {
        const s = schemasForGroupVersion(group, version, reg);
        for (const r of reg.inGroupVersion(group, version)) {
          const key = typeKeyOfKind(group, version, r.kind);
          if (key) assert.ok(s[openAPIName(key)], `${group}/${version} ${r.kind}`);
          const gvks = Object.values(s).flatMap((x) => (x['x-kubernetes-group-version-kind'] as Array<{ group: string; version: string; kind: string }> | undefined) ?? []);
          if (key) assert.ok(gvks.some((g) => g.group === group && g.version === version && g.kind === r.kind), `GVK ${r.kind} in ${group}/${version}`);
        }
        for (const ref of refsIn(s, new Set())) assert.ok(s[ref.slice(REF.length)], `${group}/${version}: ${ref} resolves`);
      }
    }
    const apps = schemasForGroupVersion('apps', 'v1');
    assert.ok(apps['io.k8s.api.autoscaling.v1.Scale'], 'scale subresource kind');
    assert.ok(apps['io.k8s.api.core.v1.PodSpec'] && apps['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
    assert.ok(apps['io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions'] && apps['io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent']);
    assert.equal(apps['io.k8s.api.core.v1.Service'], undefined);
    assert.equal(apps['io.k8s.api.batch.v1.Job'], undefined);
    const core = schemasForGroupVersion('', 'v1');
    assert.ok(core['io.k8s.api.policy.v1.Eviction'] && core['io.k8s.api.authentication.v1.TokenRequest'] && core['io.k8s.api.core.v1.Binding']);
    assert.deepEqual(schemasForGroupVersion('nothing.example.com', 'v1'), {});
    assert.equal(schemasForGroupVersion('apps', 'v1'), apps, 'cached');
  });
});

// a minimal protobuf reader for checking the /openapi/v2 encoding
function fields(buf: Uint8Array): Array<[number, number | Uint8Array]> {
  const out: Array<[number, number | Uint8Array]> = [];
  let i = 0;
  const varint = () => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  while (i < buf.length) {
    const tag = varint();
    const wt = tag & 7;
    if (wt === 0) out.push([tag >>> 3, varint()]);
    else if (wt === 2) {
      const n = varint();
      out.push([tag >>> 3, buf.subarray(i, i + n)]);
      i += n;
    } else throw new Error(`wire type ${wt}`);
  }
  return out;
}
const str = (b: number | Uint8Array) => Buffer.from(b as Uint8Array).toString('utf8');
const one = (buf: Uint8Array, num: number) => fields(buf).find(([n]) => n === num)?.[1] as Uint8Array;

describe('swagger 2.0 (/openapi/v2)', () => {
  const reg = new ResourceRegistry();
  const doc = swaggerDocument(reg) as any;

  test('JSON document: definitions with #/definitions refs, paths with GVK', () => {
    assert.equal(doc.swagger, '2.0');
    assert.equal(doc.info.title, 'Kubernetes');
    const refs = refsIn(doc.definitions, new Set());
    for (const r of refs) {
      assert.ok(r.startsWith('#/definitions/'), r);
      assert.ok(doc.definitions[r.slice('#/definitions/'.length)], `${r} resolves`);
    }
    const md = doc.definitions['io.k8s.api.apps.v1.Deployment'].properties.metadata;
    assert.equal(md.$ref, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    assert.equal(md.allOf, undefined);
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.ok(patch.parameters.some((p: any) => p.name === 'fieldValidation' && p.in === 'query' && p.type === 'string'));
    assert.equal(patch.responses['200'].schema.$ref, '#/definitions/io.k8s.api.apps.v1.Deployment');
    const list = doc.paths['/api/v1/namespaces/{namespace}/pods'].get;
    assert.equal(list.responses['200'].schema.$ref, '#/definitions/io.k8s.api.core.v1.PodList');
  });

  test('protobuf encoding (openapi.v2.Document) holds the same definitions', () => {
    const v2 = new OpenAPIv2(reg);
    assert.ok(wantsOpenAPIv2Protobuf('application/com.github.proto-openapi.spec.v2@v1.0+protobuf'));
    assert.ok(!wantsOpenAPIv2Protobuf('application/json'));
    const r = v2.forAccept('application/com.github.proto-openapi.spec.v2@v1.0+protobuf');
    assert.equal(r.contentType, 'application/octet-stream');
    assert.equal(v2.forAccept(undefined).contentType, 'application/json');
    const buf = r.body as Buffer;
    assert.equal(str(one(buf, 1)), '2.0');
    assert.equal(str(one(one(buf, 2), 1)), 'Kubernetes');
    const defs = fields(one(buf, 9)).map(([, b]) => b as Uint8Array);
    assert.equal(defs.length, Object.keys(doc.definitions).length);
    const dep = defs.find((d) => str(one(d, 1)) === 'io.k8s.api.apps.v1.Deployment')!;
    const schema = one(dep, 2);
    assert.equal(str(one(schema, 4)), 'Deployment enables declarative updates for Pods and ReplicaSets.');
    const ext = fields(schema).filter(([n]) => n === 31).map(([, b]) => b as Uint8Array);
    const gvk = ext.find((e) => str(one(e, 1)) === 'x-kubernetes-group-version-kind')!;
    assert.deepEqual(JSON.parse(str(one(one(gvk, 2), 2))), [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    const props = fields(one(schema, 25)).map(([, b]) => str(one(b as Uint8Array, 1)));
    assert.deepEqual(props, ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    const paths = fields(one(buf, 8)).filter(([n]) => n === 2);
    assert.equal(paths.length, Object.keys(doc.paths).length);
  });
});
