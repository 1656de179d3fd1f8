import { test } from 'node:test';
import assert from 'node:assert/strict';
import { objectMetaTypeError } from './object-meta-types.js';

test('well-typed metadata passes, null fields decode to zero values', () => {
  assert.equal(objectMetaTypeError({ metadata: { name: 'a', labels: { x: 'y' }, finalizers: ['f'], generation: 2, uid: null } }, 'Service'), undefined);
  assert.equal(objectMetaTypeError({}, 'Service'), undefined);
});

test('a field of the wrong JSON type gets Go json decoder message', () => {
  assert.equal(objectMetaTypeError({ metadata: { name: { d: 1 } } }, 'Service'), 'json: cannot unmarshal object into Go struct field ObjectMeta.metadata.name of type string');
  assert.equal(objectMetaTypeError({ metadata: 'x' }, 'Pod'), 'json: cannot unmarshal string into Go struct field Pod.metadata of type v1.ObjectMeta');
  assert.equal(objectMetaTypeError({ metadata: { labels: { a: 1 } } }, 'Pod'), 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string');
  assert.equal(objectMetaTypeError({ metadata: { annotations: [] } }, 'Pod'), 'json: cannot unmarshal array into Go struct field ObjectMeta.metadata.annotations of type map[string]string');
  assert.equal(objectMetaTypeError({ metadata: { finalizers: [true] } }, 'Pod'), 'json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.finalizers of type string');
  assert.equal(objectMetaTypeError({ metadata: { generation: 1.5 } }, 'Pod'), 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.generation of type int64');
});
