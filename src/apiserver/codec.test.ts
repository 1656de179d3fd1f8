// Accept negotiation and request body decoding (upstream:
// staging/src/k8s.io/apiserver/pkg/endpoints/handlers/negotiation).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBody, negotiate, requireObject } from './codec.js';
import { ApiError } from './errors.js';

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return e;
  }
  assert.fail('expected an ApiError');
}

test('negotiate: no Accept, JSON, wildcards and YAML are plain objects', () => {
  assert.deepEqual(negotiate(undefined), { as: 'object', yaml: false });
  assert.deepEqual(negotiate(''), { as: 'object', yaml: false });
  assert.deepEqual(negotiate('application/json'), { as: 'object', yaml: false });
  assert.deepEqual(negotiate('*/*'), { as: 'object', yaml: false });
  assert.deepEqual(negotiate('application/*'), { as: 'object', yaml: false });
  assert.deepEqual(negotiate('application/json;charset=utf-8'), { as: 'object', yaml: false });
  assert.deepEqual(negotiate('application/yaml'), { as: 'object', yaml: true });
  assert.deepEqual(negotiate('Application/JSON'), { as: 'object', yaml: false });
});

test('negotiate: kubectl\'s Table Accept header picks Table v1', () => {
  const kubectl = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
  assert.deepEqual(negotiate(kubectl), { as: 'Table', version: 'v1' });
  assert.deepEqual(negotiate('application/json;as=Table;v=v1beta1;g=meta.k8s.io'), { as: 'Table', version: 'v1beta1' });
  // Parameter order and spaces do not matter.
  assert.deepEqual(negotiate('application/json; g=meta.k8s.io; v=v1; as=Table'), { as: 'Table', version: 'v1' });
});

test('negotiate: PartialObjectMetadata and PartialObjectMetadataList', () => {
  assert.deepEqual(negotiate('application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1'), { as: 'PartialObjectMetadata', version: 'v1', list: false });
  assert.deepEqual(negotiate('application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1'), { as: 'PartialObjectMetadata', version: 'v1', list: true });
  assert.deepEqual(
    negotiate('application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json'),
    { as: 'PartialObjectMetadata', version: 'v1', list: true },
  );
});

test('negotiate: transforms with a wrong group or version fall through to the next range', () => {
  assert.deepEqual(negotiate('application/json;as=Table;v=v1;g=example.com,application/json'), { as: 'object', yaml: false });
  assert.deepEqual(negotiate('application/json;as=Table;v=v2;g=meta.k8s.io,application/json'), { as: 'object', yaml: false });
});

test('negotiate: aggregated discovery only where asked for', () => {
  const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
  assert.deepEqual(negotiate(accept, { discovery: true }), { as: 'discovery' });
  assert.deepEqual(negotiate(accept), { as: 'object', yaml: false });
  assert.deepEqual(negotiate('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json', { discovery: true }), { as: 'object', yaml: false });
});

test('negotiate: nothing acceptable is 406 NotAcceptable', () => {
  for (const a of ['text/html', 'application/json;as=Table;v=v1;g=example.com', 'image/png,text/plain']) {
    const e = apiError(() => negotiate(a));
    assert.equal(e.code, 406, a);
    assert.equal(e.status.reason, 'NotAcceptable');
    assert.equal(e.status.message, 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf');
  }
});

test('decodeBody: JSON (default and explicit), YAML variants', () => {
  assert.deepEqual(decodeBody(Buffer.from('{"a":1}'), undefined), { a: 1 });
  assert.deepEqual(decodeBody(Buffer.from('{"a":1}'), 'application/json; charset=utf-8'), { a: 1 });
  for (const ct of ['application/yaml', 'application/x-yaml', 'text/yaml']) {
    assert.deepEqual(decodeBody(Buffer.from('a: 1\nb:\n  - x\n'), ct), { a: 1, b: ['x'] }, ct);
  }
  // YAML is a superset of JSON.
  assert.deepEqual(decodeBody(Buffer.from('{"a": [1, 2]}'), 'application/yaml'), { a: [1, 2] });
});

test('decodeBody: malformed bodies are 400, unknown content types 415', () => {
  const bad = apiError(() => decodeBody(Buffer.from('{"a":'), 'application/json'));
  assert.equal(bad.code, 400);
  assert.equal(bad.status.reason, 'BadRequest');
  // Duplicate YAML keys decode (the later wins); fieldValidation decides whether they are an error.
  assert.deepEqual(decodeBody(Buffer.from('a: 1\na: 2\n'), 'application/yaml'), { a: 2 });
  assert.equal(apiError(() => decodeBody(Buffer.from('a: [1\n'), 'application/yaml')).code, 400);
  const ct = apiError(() => decodeBody(Buffer.from('x'), 'text/plain'));
  assert.equal(ct.code, 415);
  assert.equal(ct.status.reason, 'UnsupportedMediaType');
  assert.match(ct.status.message!, /^the body of the request was in an unknown format - accepted media types include: application\/json, application\/yaml/);
});

test('requireObject accepts only JSON objects', () => {
  assert.deepEqual(requireObject({ a: 1 }), { a: 1 });
  for (const v of [null, 1, 'x', [1], true]) {
    const e = apiError(() => requireObject(v));
    assert.equal(e.code, 400);
  }
});
