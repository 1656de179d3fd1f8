import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  aggregateMessage,
  duplicate,
  fieldErrorMessage,
  fieldErrorString,
  forbidden,
  goIntOrString,
  goLabelSelector,
  goNumber,
  goQuote,
  goStringMap,
  goStringSlice,
  internalError,
  invalid,
  invalidMessage,
  notFound,
  notSupported,
  OMIT,
  qualifiedKind,
  required,
  tooLong,
  tooMany,
  typeInvalid,
} from './errors.js';

test('required / forbidden / tooLong / internal never show the value', () => {
  assert.equal(fieldErrorMessage(required('spec.containers')), 'Required value');
  assert.equal(fieldErrorMessage(required('metadata.name', 'name or generateName is required')), 'Required value: name or generateName is required');
  assert.equal(fieldErrorMessage(forbidden('spec', 'not allowed')), 'Forbidden: not allowed');
  assert.equal(fieldErrorMessage(tooLong('metadata.annotations', 262144)), 'Too long: may not be more than 262144 bytes');
  assert.equal(fieldErrorMessage(tooLong('x', -1)), 'Too long: value is too long');
  assert.equal(fieldErrorMessage(internalError('x', 'boom')), 'Internal error: boom');
});

test('invalid values are rendered as Go does: %q strings, %v numbers and bools', () => {
  assert.equal(fieldErrorMessage(invalid('a', 'Foo', 'bad')), 'Invalid value: "Foo": bad');
  assert.equal(fieldErrorMessage(invalid('a', -1, 'must be greater than or equal to 0')), 'Invalid value: -1: must be greater than or equal to 0');
  assert.equal(fieldErrorMessage(invalid('a', true, 'x')), 'Invalid value: true: x');
  assert.equal(fieldErrorMessage(invalid('a', null, 'x')), 'Invalid value: "null": x');
  assert.equal(fieldErrorMessage(invalid('a', '', 'x')), 'Invalid value: "": x');
  assert.equal(fieldErrorMessage(typeInvalid('a', 'x', 'must be an integer')), 'Invalid value: "x": must be an integer');
  assert.equal(fieldErrorMessage(duplicate('a', 'nginx')), 'Duplicate value: "nginx"');
  assert.equal(fieldErrorMessage(notFound('a', 'vol')), 'Not found: "vol"');
});

test('notSupported lists quoted values', () => {
  assert.equal(
    fieldErrorMessage(notSupported('spec.restartPolicy', 'x', ['Always', 'OnFailure', 'Never'])),
    'Unsupported value: "x": supported values: "Always", "OnFailure", "Never"',
  );
  assert.equal(fieldErrorMessage(notSupported('a', 'x', [])), 'Unsupported value: "x"');
});

test('tooMany shows the count or omits it', () => {
  assert.equal(fieldErrorMessage(tooMany('a', 5, 3)), 'Too many: 5: must have at most 3 items');
  assert.equal(fieldErrorMessage(tooMany('a', -1, 3)), 'Too many: must have at most 3 items');
  assert.equal(fieldErrorMessage({ type: 'FieldValueInvalid', field: 'a', value: OMIT, detail: 'd' }), 'Invalid value: d');
});

test('Go quoting escapes like strconv.Quote', () => {
  assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(goQuote('tab\there\nnl'), '"tab\\there\\nnl"');
  assert.equal(goQuote('\x01\x7f'), '"\\x01\\x7f"');
  assert.equal(goQuote('héllo 世界'), '"héllo 世界"');
  assert.equal(goQuote('\u00a0'), '"\\u00a0"');
});

test('Go numbers', () => {
  assert.equal(goNumber(65536), '65536');
  assert.equal(goNumber(0.5), '0.5');
  assert.equal(goNumber(1234567.5), '1.2345675e+06');
  assert.equal(goNumber(0.00001), '1e-05');
});

test('%#v renderings of maps, slices, selectors, intstr', () => {
  assert.equal(goStringMap({ tier: 'fe', app: 'nginx' }).repr, 'map[string]string{"app":"nginx", "tier":"fe"}');
  assert.equal(goStringMap(undefined).repr, 'map[string]string(nil)');
  assert.equal(goStringMap({}).repr, 'map[string]string{}');
  assert.equal(goStringSlice(['a', 'b']).repr, '[]string{"a", "b"}');
  assert.equal(goStringSlice(undefined).repr, '[]string(nil)');
  assert.equal(
    goLabelSelector({ matchLabels: { app: 'x' } }).repr,
    'v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}',
  );
  assert.equal(
    goLabelSelector({ matchExpressions: [{ key: 'k', operator: 'In', values: ['a'] }] }).repr,
    'v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"k", Operator:"In", Values:[]string{"a"}}}}',
  );
  assert.equal(goIntOrString('25%').repr, 'intstr.IntOrString{Type:1, IntVal:0, StrVal:"25%"}');
  assert.equal(goIntOrString(3).repr, 'intstr.IntOrString{Type:0, IntVal:3, StrVal:""}');
  assert.equal(
    fieldErrorMessage(invalid('spec.template.metadata.labels', goStringMap({ app: 'b' }), '`selector` does not match template `labels`')),
    'Invalid value: map[string]string{"app":"b"}: `selector` does not match template `labels`',
  );
});

test('fieldErrorString prefixes the field path', () => {
  assert.equal(fieldErrorString(required('spec.containers')), 'spec.containers: Required value');
});

test('invalidMessage: one error inline, several bracketed, duplicates dropped', () => {
  const e1 = invalid('metadata.name', 'x_y', 'bad');
  const e2 = required('spec.containers');
  assert.equal(invalidMessage('Pod', 'x_y', [e1]), 'Pod "x_y" is invalid: metadata.name: Invalid value: "x_y": bad');
  assert.equal(
    invalidMessage('Pod', 'x_y', [e1, e2]),
    'Pod "x_y" is invalid: [metadata.name: Invalid value: "x_y": bad, spec.containers: Required value]',
  );
  assert.equal(invalidMessage('Pod', 'a', [e2, e2]), 'Pod "a" is invalid: spec.containers: Required value');
  assert.equal(invalidMessage('Pod', 'a', []), 'Pod "a" is invalid');
  assert.equal(aggregateMessage([e1, e2, e1]), '[metadata.name: Invalid value: "x_y": bad, spec.containers: Required value]');
});

test('qualified kinds as upstream reports them in Status messages', () => {
  assert.equal(qualifiedKind({ group: '', kind: 'Pod' }), 'Pod');
  assert.equal(qualifiedKind({ group: 'apps', kind: 'Deployment' }), 'Deployment.apps');
  assert.equal(invalidMessage({ group: 'apps', kind: 'Deployment' }, 'd', [required('spec.selector')]), 'Deployment.apps "d" is invalid: spec.selector: Required value');
});
