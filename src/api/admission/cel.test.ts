// CEL over Kubernetes objects: ints stay ints, the macros and string
// functions policies use, compile and evaluation errors, lazy variables.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { celCompileError, compileCel, evalCelBool, evalCelString, lazyVariables, toCel } from './cel.js';

const object = toCel({ metadata: { name: 'web', labels: { app: 'web' } }, spec: { replicas: 6, containers: [{ name: 'c', image: 'registry.local/nginx:1' }] } });

test('integral JSON numbers are CEL ints', () => {
  assert.equal(evalCelBool(compileCel('object.spec.replicas <= 5'), { object }), false);
  assert.equal(evalCelBool(compileCel('object.spec.replicas == 6'), { object }), true);
  assert.equal(evalCelString(compileCel('"replicas: " + string(object.spec.replicas)'), { object }), 'replicas: 6');
});

test('macros and string functions of Kubernetes policies', () => {
  for (const e of [
    'has(object.metadata.labels) && object.metadata.labels.app == "web"',
    '!has(object.spec.paused)',
    'object.spec.containers.all(c, c.image.startsWith("registry.local/"))',
    'object.spec.containers.exists(c, c.name == "c")',
    'size(object.spec.containers) == 1',
    'object.metadata.name.matches("^w.b$") && object.metadata.name.endsWith("b") && object.metadata.name.contains("e")',
    'object.spec.containers.map(c, c.name) == ["c"]',
  ]) {
    assert.equal(evalCelBool(compileCel(e), { object }), true, e);
  }
});

test('errors: compile errors are reported, non-bool results and missing keys are evaluation errors', () => {
  assert.match(celCompileError('object.spec.replicas <=') ?? '', /^compilation failed: ERROR: <input>: /);
  assert.equal(celCompileError('object.spec.replicas <= 5'), undefined);
  assert.throws(() => evalCelBool(compileCel('object.spec.replicas'), { object }), /expected bool/);
  assert.throws(() => evalCelBool(compileCel('object.spec.missing.x == 1'), { object }), /missing/);
});

test('variables are evaluated lazily, once', () => {
  const vars = lazyVariables([{ name: 'n', expression: 'object.spec.replicas * 2' }, { name: 'broken', expression: 'object.nope.x' }], { object });
  assert.equal(evalCelBool(compileCel('variables.n == 12'), vars), true);
});
