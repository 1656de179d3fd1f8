import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorString, invalidMessage } from '../validation/errors.js';
import {
  defaultCRD,
  markCRDTerminating,
  prepareCRDForCreate,
  prepareCRDForStatusUpdate,
  prepareCRDForUpdate,
  validateCRD,
  validateCRDStatusUpdate,
  validateStoredVersions,
} from './validate-crd.js';
import { isStructural, validateStructural } from './structural.js';

const msgs = (errs: Parameters<typeof fieldErrorString>[0][]) => errs.map(fieldErrorString);

function baseCRD(): any {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget', shortNames: ['wd'], categories: ['all'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', properties: { replicas: { type: 'integer', default: 1 }, color: { type: 'string', enum: ['red', 'blue'] } } },
                status: { type: 'object', properties: { replicas: { type: 'integer' } } },
              },
            },
          },
          subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
          additionalPrinterColumns: [{ name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' }],
        },
      ],
    },
  };
}

function created(mutate: (c: any) => void = () => {}): any {
  const c = baseCRD();
  mutate(c);
  defaultCRD(c);
  prepareCRDForCreate(c);
  return c;
}

const schemaOf = (c: any) => c.spec.versions[0].schema.openAPIV3Schema;

test('v1 defaults: singular, listKind, conversion None, storedVersions', () => {
  const c = defaultCRD(baseCRD());
  assert.equal(c.spec.names.singular, 'widget');
  assert.equal(c.spec.names.listKind, 'WidgetList');
  assert.deepEqual(c.spec.conversion, { strategy: 'None' });
  assert.deepEqual(c.status.storedVersions, ['v1']);
  const w = baseCRD();
  w.spec.conversion = { strategy: 'Webhook', webhook: { clientConfig: { service: { name: 's', namespace: 'n' } }, conversionReviewVersions: ['v1'] } };
  defaultCRD(w);
  assert.equal(w.spec.conversion.webhook.clientConfig.service.port, 443);
});

test('prepare for create resets status and sets generation', () => {
  const c = created();
  assert.deepEqual(c.status, { acceptedNames: { plural: '', kind: '' }, storedVersions: ['v1'] });
  assert.equal(c.metadata.generation, 1);
});

test('a well-formed CRD is valid', () => {
  assert.deepEqual(msgs(validateCRD(created())), []);
});

test('metadata.name must be <plural>.<group>', () => {
  const c = created((x) => (x.metadata.name = 'gadgets.example.com'));
  assert.deepEqual(msgs(validateCRD(c)), ['metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group']);
  assert.equal(
    invalidMessage('CustomResourceDefinition.apiextensions.k8s.io', c.metadata.name, validateCRD(c)),
    'CustomResourceDefinition.apiextensions.k8s.io "gadgets.example.com" is invalid: metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group',
  );
});

test('group must be a DNS subdomain with a dot', () => {
  const c = created((x) => {
    x.spec.group = 'example';
    x.metadata.name = 'widgets.example';
  });
  assert.deepEqual(msgs(validateCRD(c)), ['spec.group: Invalid value: "example": should be a domain with at least one dot']);
  const d = created((x) => {
    x.spec.group = '';
    x.metadata.name = 'widgets.';
  });
  assert.ok(msgs(validateCRD(d)).includes('spec.group: Required value'));
});

test('scope must be Namespaced or Cluster', () => {
  assert.deepEqual(msgs(validateCRD(created((x) => (x.spec.scope = 'Global')))), ['spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"']);
  assert.deepEqual(msgs(validateCRD(created((x) => delete x.spec.scope))), ['spec.scope: Required value']);
});

test('names: lower-case DNS-1035 plural/singular, mixed-case kind, kind != listKind', () => {
  const c = created((x) => {
    x.spec.names.kind = 'Wid_get';
    x.spec.names.listKind = 'Wid_get';
    x.spec.names.singular = 'Widget';
    x.spec.names.shortNames = ['w1', '1w'];
  });
  const dns1035 =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
  assert.deepEqual(msgs(validateCRD(c)), [
    `spec.names.singular: Invalid value: "Widget": ${dns1035}`,
    `spec.names.kind: Invalid value: "Wid_get": may have mixed case, but should otherwise match: ${dns1035}`,
    `spec.names.listKind: Invalid value: "Wid_get": may have mixed case, but should otherwise match: ${dns1035}`,
    `spec.names.shortNames[1]: Invalid value: "1w": ${dns1035}`,
    'spec.names.listKind: Invalid value: "Wid_get": kind and listKind may not be the same',
  ]);
  const k = created((x) => delete x.spec.names.kind);
  assert.deepEqual(msgs(validateCRD(k)), ['spec.names.singular: Required value', 'spec.names.kind: Required value', 'spec.names.listKind: Required value']);
});

test('versions: exactly one storage version, unique names, DNS-1035 names', () => {
  const none = created((x) => (x.spec.versions[0].storage = false));
  assert.deepEqual(msgs(validateCRD(none)), [
    'spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{apiextensions.CustomResourceDefinitionVersion{Name:"v1", Served:true, Storage:false, Deprecated:false, DeprecationWarning:(*string)(nil), Schema:(*apiextensions.CustomResourceValidation)(nil), Subresources:(*apiextensions.CustomResourceSubresources)(nil), AdditionalPrinterColumns:[]apiextensions.CustomResourceColumnDefinition(nil), SelectableFields:[]apiextensions.SelectableField(nil)}}: must have exactly one version marked as storage version',
    'status.storedVersions: Invalid value: []string(nil): must have at least one stored version',
  ]);
  const dup = created((x) => x.spec.versions.push({ ...x.spec.versions[0], storage: false }));
  assert.ok(msgs(validateCRD(dup)).some((m) => m.startsWith('spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{') && m.endsWith(': must contain unique version names')));
  const two = created((x) => x.spec.versions.push({ ...x.spec.versions[0], name: 'v2' }));
  assert.ok(msgs(validateCRD(two)).some((m) => m.endsWith('must have exactly one version marked as storage version')));
  const bad = created((x) => (x.spec.versions[0].name = 'V1'));
  const m = msgs(validateCRD(bad));
  assert.ok(m[0].startsWith('spec.versions[0].name: Invalid value: "V1": a DNS-1035 label'));
  assert.ok(m.some((x) => x.startsWith('spec.version: Invalid value: "V1": a DNS-1035 label')));
});

test('every version needs a schema', () => {
  const c = created((x) => delete x.spec.versions[0].schema);
  assert.deepEqual(msgs(validateCRD(c)), ['spec.versions[0].schema.openAPIV3Schema: Required value']);
  const two = created((x) => x.spec.versions.push({ name: 'v2', served: true, storage: false }));
  assert.deepEqual(msgs(validateCRD(two)), ['spec.versions[1].schema.openAPIV3Schema: Required value']);
});

test('non-structural schemas: missing types, nested metadata, forbidden keywords in value validations', () => {
  const c = created((x) => {
    const s = schemaOf(x);
    s.properties.spec.properties.foo = {};
    s.properties.spec.properties.list = { type: 'array' };
    s.properties.spec.properties.nested = { type: 'object', properties: { metadata: { type: 'object' } } };
    s.properties.spec.properties.either = { type: 'string', anyOf: [{ type: 'string', description: 'x' }] };
  });
  assert.deepEqual(msgs(validateCRD(c)), [
    'spec.validation.openAPIV3Schema.properties[spec].properties[either].anyOf[0].description: Forbidden: must be empty to be structural',
    'spec.validation.openAPIV3Schema.properties[spec].properties[either].anyOf[0].type: Forbidden: must be empty to be structural',
    'spec.validation.openAPIV3Schema.properties[spec].properties[foo].type: Required value: must not be empty for specified object fields',
    'spec.validation.openAPIV3Schema.properties[spec].properties[list].items: Required value: must be specified',
  ]);
});

test('value validations at the root must refer to specified fields (completeness)', () => {
  const c = created((x) => {
    delete x.spec.versions[0].subresources;
    schemaOf(x).anyOf = [{ properties: { spec: { properties: { missing: { minimum: 1 } } } } }];
  });
  assert.deepEqual(msgs(validateCRD(c)), [
    'spec.validation.openAPIV3Schema.properties[spec].properties[missing]: Required value: because it is defined in spec.validation.openAPIV3Schema.anyOf[0].properties[spec].properties[missing]',
  ]);
});

test('root schema: type object, no additionalProperties, metadata only name/generateName', () => {
  const c = created((x) => {
    schemaOf(x).properties.metadata = { type: 'object', properties: { labels: { type: 'object' } } };
  });
  assert.deepEqual(msgs(validateCRD(c)), [
    'spec.validation.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified',
  ]);
  const ok = created((x) => {
    schemaOf(x).properties.metadata = { type: 'object', properties: { name: { type: 'string', maxLength: 20 } } };
  });
  assert.deepEqual(msgs(validateCRD(ok)), []);
  const t = created((x) => {
    x.spec.versions[0].schema.openAPIV3Schema = { type: 'string' };
  });
  assert.deepEqual(msgs(validateCRD(t)), [
    'spec.validation.openAPIV3Schema.type: Invalid value: "string": only "object" is allowed as the type at the root of the schema if the status subresource is enabled',
    'spec.validation.openAPIV3Schema.type: Invalid value: "string": must be object at the root',
  ]);
});

test('status subresource restricts the root schema', () => {
  const c = created((x) => {
    schemaOf(x).nullable = true;
  });
  const m = msgs(validateCRD(c));
  assert.ok(m[0].startsWith('spec.validation.openAPIV3Schema: Invalid value: apiextensions.JSONSchemaProps'));
  assert.ok(
    m[0].endsWith(
      ': only [Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations] fields are allowed at the root of the schema if the status subresource is enabled',
    ),
  );
  assert.equal(m[1], 'spec.validation.openAPIV3Schema.nullable: Forbidden: nullable cannot be true at the root');
});

test('defaults must validate against their schema and be pruned', () => {
  const c = created((x) => {
    schemaOf(x).properties.spec.properties.replicas.default = 'x';
    schemaOf(x).properties.spec.properties.obj = { type: 'object', properties: { a: { type: 'string' } }, default: { a: 'x', b: 'y' } };
  });
  assert.deepEqual(msgs(validateCRD(c)), [
    'spec.validation.openAPIV3Schema.properties[spec].properties[obj].default: Invalid value: map[string]interface {}{"a":"x", "b":"y"}: must not have unknown fields',
    'spec.validation.openAPIV3Schema.properties[spec].properties[replicas].default: Invalid value: "string":  in body must be of type integer: "string"',
  ]);
  const meta = created((x) => {
    schemaOf(x).properties.metadata = { type: 'object', default: {} };
  });
  assert.deepEqual(msgs(validateCRD(meta)), ['spec.validation.openAPIV3Schema.properties[metadata].default: Forbidden: must not be set in top-level metadata']);
});

test('uniqueItems, $ref and friends are rejected', () => {
  const c = created((x) => {
    const p = schemaOf(x).properties.spec.properties;
    p.u = { type: 'array', items: { type: 'string' }, uniqueItems: true };
    p.n = { type: 'null' };
  });
  assert.deepEqual(msgs(validateCRD(c)), [
    'spec.validation.openAPIV3Schema.properties[spec].properties[n].type: Unsupported value: "null": supported values: "array", "boolean", "integer", "number", "object", "string"',
    'spec.validation.openAPIV3Schema.properties[spec].properties[n].type: Forbidden: type cannot be set to null, use nullable as an alternative',
    'spec.validation.openAPIV3Schema.properties[spec].properties[u].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
  ]);
  const t = created((x) => (schemaOf(x).properties.spec.properties.t = { type: 'float' }));
  assert.deepEqual(msgs(validateCRD(t)), [
    'spec.validation.openAPIV3Schema.properties[spec].properties[t].type: Unsupported value: "float": supported values: "array", "boolean", "integer", "number", "object", "string"',
  ]);
});

test('list-type and map-type rules', () => {
  const c = created((x) => {
    const p = schemaOf(x).properties.spec.properties;
    p.a = { type: 'object', 'x-kubernetes-list-type': 'set' };
    p.b = { type: 'array', items: { type: 'object', properties: { k: { type: 'string' } } }, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['k'] };
    p.c = { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'bag' };
  });
  assert.deepEqual(msgs(validateCRD(c)), [
    'spec.validation.openAPIV3Schema.properties[spec].properties[a].type: Invalid value: "object": must be array if x-kubernetes-list-type is specified',
    'spec.validation.openAPIV3Schema.properties[spec].properties[b].items.properties[k].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property',
    'spec.validation.openAPIV3Schema.properties[spec].properties[c].x-kubernetes-list-type: Unsupported value: "bag": supported values: "atomic", "set", "map"',
  ]);
});

test('additionalPrinterColumns: name, type, jsonPath', () => {
  const c = created((x) => {
    x.spec.versions[0].additionalPrinterColumns = [{ name: '', type: 'foo', jsonPath: 'spec' }, { name: 'A', type: 'string', format: 'weird' }];
  });
  assert.deepEqual(msgs(validateCRD(c)), [
    'spec.additionalPrinterColumns[0].name: Required value',
    'spec.additionalPrinterColumns[0].type: Invalid value: "foo": must be one of boolean,date,integer,number,string',
    'spec.additionalPrinterColumns[0].JSONPath: Invalid value: "spec": must be a simple json path starting with .',
    'spec.additionalPrinterColumns[1].format: Invalid value: "weird": must be one of byte,date,date-time,double,float,int32,int64,password',
    'spec.additionalPrinterColumns[1].JSONPath: Required value',
  ]);
  const t = created((x) => (x.spec.versions[0].additionalPrinterColumns = [{ name: 'A', jsonPath: '.a' }]));
  assert.deepEqual(msgs(validateCRD(t)), ['spec.additionalPrinterColumns[0].type: Required value: must be one of boolean,date,integer,number,string']);
});

test('per-version differences keep per-version paths', () => {
  const c = created((x) => {
    x.spec.versions.push({ ...structuredClone(x.spec.versions[0]), name: 'v2', storage: false, additionalPrinterColumns: [{ name: 'X', type: 'nope', jsonPath: '.x' }] });
  });
  assert.deepEqual(msgs(validateCRD(c)), ['spec.versions[1].additionalPrinterColumns[0].type: Invalid value: "nope": must be one of boolean,date,integer,number,string']);
  const s = created((x) => {
    const v2 = structuredClone(x.spec.versions[0]);
    v2.name = 'v2';
    v2.storage = false;
    v2.schema.openAPIV3Schema.properties.spec.properties.bad = {};
    x.spec.versions.push(v2);
  });
  assert.deepEqual(msgs(validateCRD(s)), [
    'spec.versions[1].schema.openAPIV3Schema.properties[spec].properties[bad].type: Required value: must not be empty for specified object fields',
  ]);
});

test('scale subresource paths', () => {
  const c = created((x) => {
    x.spec.versions[0].subresources.scale = { specReplicasPath: '.status.x', statusReplicasPath: '', labelSelectorPath: '.metadata.labels' };
  });
  assert.deepEqual(msgs(validateCRD(c)), [
    'spec.subresources.scale.specReplicasPath: Invalid value: ".status.x": should be a json path under .spec',
    'spec.subresources.scale.statusReplicasPath: Required value',
    'spec.subresources.scale.labelSelectorPath: Invalid value: ".metadata.labels": should be a json path under either .spec or .status',
  ]);
  const d = created((x) => (x.spec.versions[0].subresources.scale = { specReplicasPath: 'spec.r', statusReplicasPath: '.status.r' }));
  assert.deepEqual(msgs(validateCRD(d)), ['spec.subresources.scale.specReplicasPath: Invalid value: "spec.r": must be a simple json path starting with .']);
});

test('conversion webhook settings', () => {
  const c = created((x) => (x.spec.conversion = { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v2'] } }));
  assert.deepEqual(msgs(validateCRD(c)), [
    'spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook',
    'spec.conversion.conversionReviewVersions: Invalid value: []string{"v2"}: must include at least one of v1, v1beta1',
  ]);
  const u = created((x) => (x.spec.conversion = { strategy: 'Webhook', webhook: { clientConfig: { url: 'http://h/p?q=1' }, conversionReviewVersions: ['v1'] } }));
  assert.deepEqual(msgs(validateCRD(u)), [
    'spec.conversion.webhookClientConfig.url: Invalid value: "http": \'https\' is the only allowed URL scheme; desired format: https://host[/path]',
    'spec.conversion.webhookClientConfig.url: Invalid value: "q=1": query parameters are not permitted in the URL',
  ]);
  const n = created((x) => (x.spec.conversion = { strategy: 'None', webhook: { clientConfig: { url: 'https://h' } } }));
  assert.deepEqual(msgs(validateCRD(n)), ['spec.conversion.webhookClientConfig: Forbidden: should not be set when strategy is not set to Webhook']);
  const s = created((x) => (x.spec.conversion = { strategy: 'Other' }));
  assert.deepEqual(msgs(validateCRD(s)), ['spec.conversion.strategy: Unsupported value: "Other": supported values: "None", "Webhook"']);
});

test('protected groups need the API approval annotation', () => {
  const c = created((x) => {
    x.spec.group = 'widgets.k8s.io';
    x.metadata.name = 'widgets.widgets.k8s.io';
  });
  assert.deepEqual(msgs(validateCRD(c)), [
    'metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111',
  ]);
  c.metadata.annotations = { 'api-approved.kubernetes.io': 'https://github.com/kubernetes/kubernetes/pull/78458' };
  assert.deepEqual(msgs(validateCRD(c)), []);
  c.metadata.annotations = { 'api-approved.kubernetes.io': 'unapproved, experimental' };
  assert.deepEqual(msgs(validateCRD(c)), []);
});

test('preserveUnknownFields true is rejected for v1', () => {
  const c = created((x) => (x.spec.preserveUnknownFields = true));
  assert.ok(msgs(validateCRD(c)).includes('spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead'));
  assert.ok(msgs(validateCRD(c)).includes('spec.preserveUnknownFields: Invalid value: true: must be false in order to use defaults in the schema'));
});

// --- update ------------------------------------------------------------------------

function established(c: any): any {
  c.status.conditions = [{ type: 'Established', status: 'True', reason: 'InitialNamesAccepted' }];
  return c;
}

test('update: group and plural immutable; scope and kind immutable once established', () => {
  const old = established(created());
  const next = structuredClone(old);
  next.spec.scope = 'Cluster';
  next.spec.names.kind = 'Gadget';
  next.spec.names.listKind = 'GadgetList';
  next.spec.group = 'other.com';
  prepareCRDForUpdate(next, old);
  assert.deepEqual(msgs(validateCRD(next, old)), [
    'spec.scope: Invalid value: "Cluster": field is immutable',
    'spec.names.kind: Invalid value: "Gadget": field is immutable',
    'spec.group: Invalid value: "other.com": field is immutable',
  ]);
  const notYet = created();
  const n2 = structuredClone(notYet);
  n2.spec.scope = 'Cluster';
  prepareCRDForUpdate(n2, notYet);
  assert.deepEqual(msgs(validateCRD(n2, notYet)), []);
});

test('update: a stored version cannot be removed from spec.versions', () => {
  const old = created((x) => x.spec.versions.push({ ...structuredClone(x.spec.versions[0]), name: 'v1beta1', storage: false }));
  old.status.storedVersions = ['v1beta1', 'v1'];
  const next = structuredClone(old);
  next.spec.versions = next.spec.versions.filter((v: any) => v.name === 'v1');
  prepareCRDForUpdate(next, old);
  assert.deepEqual(msgs(validateCRD(next, old)), [
    'status.storedVersions[0]: Invalid value: "v1beta1": missing from spec.versions; v1beta1 was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in v1beta1 and removes v1beta1 from status.storedVersions',
  ]);
});

test('update: generation bumps on spec changes, storage version appended to storedVersions', () => {
  const old = created((x) => x.spec.versions.push({ ...structuredClone(x.spec.versions[0]), name: 'v2', storage: false }));
  const same = structuredClone(old);
  same.metadata.labels = { a: 'b' };
  prepareCRDForUpdate(same, old);
  assert.equal(same.metadata.generation, 1);
  const next = structuredClone(old);
  next.spec.versions[0].storage = false;
  next.spec.versions[1].storage = true;
  prepareCRDForUpdate(next, old);
  assert.equal(next.metadata.generation, 2);
  assert.deepEqual(next.status.storedVersions, ['v1', 'v2']);
  assert.deepEqual(msgs(validateCRD(next, old)), []);
});

test('status update keeps the spec and validates accepted names', () => {
  const old = created();
  const next = structuredClone(old);
  next.spec.group = 'changed.com';
  next.status.acceptedNames = { plural: 'Bad', kind: 'Widget' };
  prepareCRDForStatusUpdate(next, old);
  assert.equal(next.spec.group, 'example.com');
  assert.equal(
    msgs(validateCRDStatusUpdate(next, old))[0],
    "status.acceptedNames.plural: Invalid value: \"Bad\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  );
});

test('stored versions must include the storage version', () => {
  assert.deepEqual(msgs(validateStoredVersions(['v1'], [{ name: 'v1', storage: false }, { name: 'v2', storage: true }])), [
    'status.storedVersions: Invalid value: []string{"v1"}: must have the storage version v2',
  ]);
});

test('deleting marks the CRD terminating with the cleanup finalizer', () => {
  const c = markCRDTerminating(created(), new Date('2024-05-01T10:00:00Z'));
  assert.deepEqual(c.metadata.finalizers, ['customresourcecleanup.apiextensions.k8s.io']);
  assert.equal(c.metadata.deletionTimestamp, '2024-05-01T10:00:00Z');
  assert.deepEqual(c.status.conditions, [
    {
      type: 'Terminating',
      status: 'True',
      lastTransitionTime: '2024-05-01T10:00:00Z',
      reason: 'InstanceDeletionPending',
      message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon',
    },
  ]);
});

test('structural helpers', () => {
  assert.equal(isStructural({ type: 'object', properties: { a: { type: 'string' } } }), true);
  assert.equal(isStructural({ type: 'object', properties: { a: {} } }), false);
  assert.deepEqual(msgs(validateStructural({ type: 'object', additionalProperties: { type: 'string' } }, 'x')), [
    'x.additionalProperties: Forbidden: must not be used at the root',
  ]);
  assert.deepEqual(
    msgs(validateStructural({ type: 'object', properties: { e: { type: 'string', 'x-kubernetes-embedded-resource': true } } }, 'x')),
    [
      'x.properties[e].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields',
      'x.properties[e].type: Invalid value: "string": must be object if x-kubernetes-embedded-resource is true',
    ],
  );
  assert.deepEqual(msgs(validateStructural({ type: 'object', properties: { p: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } } }, 'x')), []);
});
