import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorString, invalidMessage, qualifiedKind } from '../validation/errors.js';
import {
  applyScaleToCustomResource,
  customResourceContext,
  prepareCustomResourceForCreate,
  prepareCustomResourceForStatusUpdate,
  prepareCustomResourceForUpdate,
  scaleFromCustomResource,
  typeMetaOf,
  validateCustomResourceObject,
  validateCustomResourceStatusUpdate,
} from './custom-resource.js';
import { applyDefaults, pruneUnknown } from './schema.js';
import { crdStatusForAccepted } from './names.js';
import { defaultCRD, prepareCRDForCreate } from './validate-crd.js';

const msgs = (errs: Parameters<typeof fieldErrorString>[0][]) => errs.map(fieldErrorString);

function crd(): any {
  const c: any = {
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: {
                    replicas: { type: 'integer', minimum: 0, default: 1 },
                    size: { type: 'integer', maximum: 10 },
                    selector: { type: 'string' },
                  },
                },
                status: { type: 'object', properties: { replicas: { type: 'integer' }, selector: { type: 'string' } } },
              },
            },
          },
          subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
        },
      ],
    },
  };
  defaultCRD(c);
  prepareCRDForCreate(c);
  c.status = crdStatusForAccepted(c, new Date('2024-05-01T10:00:00Z'));
  return c;
}

function widget(spec: unknown): any {
  return { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1', namespace: 'default' }, spec };
}

test('create: decode (prune, default), prepare, validate', () => {
  const ctx = customResourceContext(crd(), 'v1');
  const obj = widget({ size: 20, junk: true });
  obj.status = { replicas: 5 };
  assert.deepEqual(pruneUnknown(ctx.schema, obj), ['spec.junk']);
  applyDefaults(ctx.schema, obj);
  prepareCustomResourceForCreate(ctx, obj);
  assert.deepEqual(obj, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1', namespace: 'default', generation: 1 }, spec: { size: 20, replicas: 1 } });
  const errs = validateCustomResourceObject(ctx, obj);
  assert.deepEqual(msgs(errs), ['spec.size: Invalid value: 20: spec.size in body should be less than or equal to 10']);
  assert.equal(
    invalidMessage(qualifiedKind(ctx.info), 'w1', errs),
    'Widget.example.com "w1" is invalid: spec.size: Invalid value: 20: spec.size in body should be less than or equal to 10',
  );
});

test('kind and apiVersion must match the served version', () => {
  const ctx = customResourceContext(crd(), 'v1');
  const obj = { ...widget({}), kind: 'Gadget', apiVersion: 'example.com/v2' };
  assert.deepEqual(msgs(validateCustomResourceObject(ctx, obj)), [
    'kind: Invalid value: "Gadget": must be Widget',
    'apiVersion: Invalid value: "example.com/v2": must be example.com/v1',
  ]);
  assert.deepEqual(typeMetaOf(crd(), 'v1'), { apiVersion: 'example.com/v1', kind: 'Widget' });
});

test('metadata is validated with the namespace rule of the scope', () => {
  const ctx = customResourceContext(crd(), 'v1');
  const obj = widget({});
  delete obj.metadata.namespace;
  assert.deepEqual(msgs(validateCustomResourceObject(ctx, obj)), ['metadata.namespace: Required value']);
});

test('scale replicas must be non-negative int32', () => {
  const ctx = customResourceContext(crd(), 'v1');
  assert.deepEqual(msgs(validateCustomResourceObject(ctx, widget({ replicas: 3000000000 }))), [
    '.spec.replicas: Invalid value: 3000000000: should be less than or equal to 2147483647',
  ]);
  assert.deepEqual(msgs(validateCustomResourceObject(ctx, widget({ replicas: 'x' }))), [
    'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    '.spec.replicas: Invalid value: 0: .spec.replicas accessor error: x is of the type string, expected int64',
  ]);
});

test('update: status kept from the stored object, generation bumped on spec changes, ratcheting', () => {
  const ctx = customResourceContext(crd(), 'v1');
  const old = { ...widget({ replicas: 1, size: 20 }), status: { replicas: 1 } };
  old.metadata.generation = 1;
  old.metadata.uid = 'u1';
  const next = widget({ replicas: 2, size: 20 });
  next.metadata.uid = 'u1';
  next.status = { replicas: 9 };
  prepareCustomResourceForUpdate(ctx, next, old);
  assert.deepEqual(next.status, { replicas: 1 });
  assert.equal(next.metadata.generation, 2);
  assert.deepEqual(validateCustomResourceObject(ctx, next, old), []);
  const same = structuredClone(old);
  same.metadata.labels = { a: 'b' };
  prepareCustomResourceForUpdate(ctx, same, old);
  assert.equal(same.metadata.generation, 1);
});

test('status update: only status changes, validated at status.*', () => {
  const ctx = customResourceContext(crd(), 'v1');
  const old = { ...widget({ replicas: 1 }), status: { replicas: 1 } };
  const req = { ...widget({ replicas: 5 }), status: { replicas: 'x' } };
  const next = prepareCustomResourceForStatusUpdate(req, old);
  assert.deepEqual(next.spec, { replicas: 1 });
  assert.deepEqual(msgs(validateCustomResourceStatusUpdate(ctx, next, old)), [
    'status.replicas: Invalid value: "string": replicas in body must be of type integer: "string"',
    '.status.replicas: Invalid value: 0: .status.replicas accessor error: x is of the type string, expected int64',
  ]);
});

test('scale subresource: read and write', () => {
  const ctx = customResourceContext(crd(), 'v1');
  const cr = { ...widget({ replicas: 3 }), status: { replicas: 2, selector: 'app=web' } };
  cr.metadata.uid = 'u1';
  cr.metadata.resourceVersion = '7';
  const scale = scaleFromCustomResource(cr, ctx.scale!);
  assert.deepEqual(scale, {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: 'w1', namespace: 'default', uid: 'u1', resourceVersion: '7' },
    spec: { replicas: 3 },
    status: { replicas: 2, selector: 'app=web' },
  });
  const updated = applyScaleToCustomResource(cr, ctx.scale!, { spec: { replicas: 5 }, metadata: { resourceVersion: '7' } });
  assert.equal(updated.spec.replicas, 5);
  assert.equal(cr.spec.replicas, 3);
  const empty = scaleFromCustomResource(widget({}), ctx.scale!);
  assert.deepEqual(empty.spec, {});
  assert.deepEqual(empty.status, { replicas: 0 });
  assert.throws(() => scaleFromCustomResource(widget({ replicas: 'x' }), ctx.scale!), /\.spec\.replicas accessor error: x is of the type string, expected int64/);
});
