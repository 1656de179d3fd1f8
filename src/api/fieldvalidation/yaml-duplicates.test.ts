import test from 'node:test';
import assert from 'node:assert/strict';
import { findYamlDuplicateKeys, yamlUnmarshalErrorsText } from './yaml-duplicates.js';

// upstream's test/integration/apiserver/field_validation_test.go body
const invalidBodyYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: dupename
  name: test
  unknownMeta: metaVal
  labels:
    app: nginx
spec:
  unknown1: val1
  unknownDupe: valDupe
  unknownDupe: valDupe2
  paused: true
  paused: false
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:latest
        unknownNested: val1
        imagePullPolicy: Always
        imagePullPolicy: Never`;

test("upstream's YAML body: one line per repeated key", () => {
  const lines = findYamlDuplicateKeys(invalidBodyYAML);
  assert.deepEqual(lines, [
    'line 5: key "name" already set in map',
    'line 12: key "unknownDupe" already set in map',
    'line 14: key "paused" already set in map',
    'line 28: key "imagePullPolicy" already set in map',
  ]);
  assert.equal(
    yamlUnmarshalErrorsText(lines),
    'yaml: unmarshal errors:\n  line 5: key "name" already set in map\n  line 12: key "unknownDupe" already set in map\n  line 14: key "paused" already set in map\n  line 28: key "imagePullPolicy" already set in map',
  );
});

test('JSON text read as YAML (apply patches): the line of the repeated value', () => {
  const applyInvalidBody = `{
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {
			"name": "x",
			"labels": {"app": "nginx"}
		},
		"spec": {
			"paused": false,
			"paused": true,
			"selector": {
				"matchLabels": {
					"app": "nginx"
				}
			},
			"template": {
				"metadata": {
					"labels": {
						"app": "nginx"
					}
				},
				"spec": {
					"containers": [{
						"name":  "nginx",
						"image": "nginx:latest",
						"imagePullPolicy": "Never",
						"imagePullPolicy": "Always"
					}]
				}
			}
		}
	}`;
  assert.deepEqual(findYamlDuplicateKeys(applyInvalidBody), ['line 10: key "paused" already set in map', 'line 27: key "imagePullPolicy" already set in map']);
  assert.deepEqual(findYamlDuplicateKeys('{"a":1,"b":{"c":1,"c":2},"a":3}'), ['line 1: key "c" already set in map', 'line 1: key "a" already set in map']);
});

test("a value's own duplicates come before its key's; the line is where the value starts", () => {
  const y = `a:
  b: 1
  b: 2
a:
  c: 1
  c: 2
d: 1
d:
e: 1
e: |
  text
f: 1
f:
  - x
`;
  assert.deepEqual(findYamlDuplicateKeys(y), [
    'line 3: key "b" already set in map',
    'line 6: key "c" already set in map',
    'line 5: key "a" already set in map',
    'line 8: key "d" already set in map',
    'line 10: key "e" already set in map',
    'line 14: key "f" already set in map',
  ]);
});

test('no duplicates, other documents, parse errors', () => {
  assert.deepEqual(findYamlDuplicateKeys('a: 1\nb:\n  a: 1\nc: [{a: 1}, {a: 1}]\n'), []);
  assert.deepEqual(findYamlDuplicateKeys(''), []);
  assert.deepEqual(findYamlDuplicateKeys('a: [\n'), []);
});

test('keys are compared and shown as go-yaml decodes them', () => {
  assert.deepEqual(findYamlDuplicateKeys('1: a\n1: b\n'), ['line 2: key 1 already set in map']);
  assert.deepEqual(findYamlDuplicateKeys('"1": a\n1: b\n'), []);
  assert.deepEqual(findYamlDuplicateKeys('yes: a\ntrue: b\n'), ['line 2: key true already set in map']);
  assert.deepEqual(findYamlDuplicateKeys("'a\"b': 1\n'a\"b': 2\n"), ['line 2: key "a\\"b" already set in map']);
});

test('merge keys: a merged key the map repeats is reported, anchored values keep their lines', () => {
  const y = `base: &b
  x: 1
m:
  <<: *b
  x: 2
n:
  y: 1
  <<: *b
`;
  assert.deepEqual(findYamlDuplicateKeys(y), ['line 5: key "x" already set in map']);
  const z = `base: &b
  x: 1
n:
  x: 2
  <<: *b
`;
  assert.deepEqual(findYamlDuplicateKeys(z), ['line 2: key "x" already set in map']);
});
