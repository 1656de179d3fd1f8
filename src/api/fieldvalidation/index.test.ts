import test from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../patch/index.js';
import {
  FieldValidationParamError,
  checkApplyPatch,
  checkFields,
  checkPatchFields,
  fieldValidationDirective,
  fieldValidationFieldErrors,
  patchKindOf,
  pruneUnknownFields,
} from './index.js';

const q = (s: string): URLSearchParams => new URLSearchParams(s);

// Bodies from upstream's test/integration/apiserver/field_validation_test.go.
const invalidBodyJSON = `
	{
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {
			"name": "dupename",
			"name": "test-deployment",
			"labels": {"app": "nginx"},
			"unknownMeta": "metaVal"
		},
		"spec": {
			"unknown1": "val1",
			"unknownDupe": "valDupe",
			"unknownDupe": "valDupe2",
			"paused": true,
			"paused": false,
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
						"unknownNested": "val1",
						"imagePullPolicy": "Always",
						"imagePullPolicy": "Never"
					}]
				}
			}
		}
	}
		`;

const invalidBodyYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: dupename
  name: test-deployment
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

const validDeployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'test-deployment', labels: { app: 'nginx' }, annotations: { a1: 'foo', a2: 'bar' } },
  spec: {
    selector: { matchLabels: { app: 'nginx' } },
    template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:latest', imagePullPolicy: 'Always' }] } },
    replicas: 2,
  },
};

const JSON_PROBLEMS = [
  'duplicate field "metadata.name"',
  'unknown field "metadata.unknownMeta"',
  'unknown field "spec.unknown1"',
  'unknown field "spec.unknownDupe"',
  'duplicate field "spec.paused"',
  'unknown field "spec.template.spec.containers[0].unknownNested"',
  'duplicate field "spec.template.spec.containers[0].imagePullPolicy"',
];

const YAML_PROBLEMS = [
  'line 5: key "name" already set in map',
  'line 12: key "unknownDupe" already set in map',
  'line 14: key "paused" already set in map',
  'line 28: key "imagePullPolicy" already set in map',
  'unknown field "metadata.unknownMeta"',
  'unknown field "spec.template.spec.containers[0].unknownNested"',
  'unknown field "spec.unknown1"',
  'unknown field "spec.unknownDupe"',
];

// ---------------------------------------------------------------------------
// the directive

test('fieldValidation: absent or empty means Warn; the three values; the first value counts', () => {
  assert.equal(fieldValidationDirective(q('')), 'Warn');
  assert.equal(fieldValidationDirective(q('fieldValidation=')), 'Warn');
  assert.equal(fieldValidationDirective(q('fieldValidation=Strict')), 'Strict');
  assert.equal(fieldValidationDirective(q('fieldValidation=Warn')), 'Warn');
  assert.equal(fieldValidationDirective(q('fieldManager=kubectl-create&fieldValidation=Ignore')), 'Ignore');
  assert.equal(fieldValidationDirective(q('fieldValidation=Ignore&fieldValidation=bogus')), 'Ignore');
  assert.deepEqual(fieldValidationFieldErrors(q('fieldValidation=Strict')), []);
  assert.deepEqual(fieldValidationFieldErrors(q('')), []);
});

test('fieldValidation: any other value is a 422 on the request options', () => {
  assert.throws(
    () => fieldValidationDirective(q('fieldValidation=strict')),
    (e: unknown) => {
      assert.ok(e instanceof FieldValidationParamError);
      assert.equal(e.code, 422);
      assert.equal(e.reason, 'Invalid');
      assert.equal(e.group, 'meta.k8s.io');
      assert.equal(e.kind, 'CreateOptions');
      assert.equal(e.message, 'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"');
      assert.deepEqual(e.causes, [{ reason: 'FieldValueNotSupported', message: 'Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"', field: 'fieldValidation' }]);
      return true;
    },
  );
  assert.throws(() => fieldValidationDirective(q('fieldValidation=x'), 'PatchOptions'), {
    message: 'PatchOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "x": supported values: "", "Ignore", "Strict", "Warn"',
  });
  assert.throws(
    () => fieldValidationDirective(q('fieldValidation=true'), 'UpdateOptions'),
    (e: unknown) => (e as Error).message.startsWith('UpdateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "true"'),
  );
  const errs = fieldValidationFieldErrors(q('fieldValidation=Bogus'));
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.field, 'fieldValidation');
  assert.equal(errs[0]!.type, 'FieldValueNotSupported');
});

// ---------------------------------------------------------------------------
// create / update

test('create/update JSON, Strict: 400 with every problem in document order', () => {
  const r = checkFields({ directive: 'Strict', apiVersion: 'apps/v1', kind: 'Deployment', bodyText: invalidBodyJSON, contentType: 'application/json' });
  assert.equal(r.error, `Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: ${JSON_PROBLEMS.join(', ')}`);
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(r.problems, JSON_PROBLEMS);
});

test('create/update JSON, Warn: one warning per problem, no error', () => {
  const r = checkFields({ directive: 'Warn', apiVersion: 'apps/v1', kind: 'Deployment', bodyText: invalidBodyJSON });
  assert.equal(r.error, undefined);
  assert.deepEqual(r.warnings, JSON_PROBLEMS);
});

test('create/update, Ignore: nothing is checked', () => {
  const r = checkFields({ directive: 'Ignore', apiVersion: 'apps/v1', kind: 'Deployment', bodyText: invalidBodyJSON });
  assert.deepEqual(r, { warnings: [], problems: [] });
});

test('a valid body has no problems in any mode', () => {
  const body = JSON.stringify(validDeployment);
  for (const directive of ['Strict', 'Warn', 'Ignore'] as const) {
    assert.deepEqual(checkFields({ directive, apiVersion: 'apps/v1', kind: 'Deployment', bodyText: body, obj: validDeployment }), { warnings: [], problems: [] });
  }
});

test('create/update YAML, Strict: the go-yaml error first, then unknown fields in sorted order', () => {
  const obj = YAML.parse(invalidBodyYAML, { uniqueKeys: false });
  const r = checkFields({ directive: 'Strict', apiVersion: 'apps/v1', kind: 'Deployment', bodyText: invalidBodyYAML, contentType: 'application/yaml', obj });
  assert.equal(
    r.error,
    'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: yaml: unmarshal errors:\n' +
      '  line 5: key "name" already set in map\n' +
      '  line 12: key "unknownDupe" already set in map\n' +
      '  line 14: key "paused" already set in map\n' +
      '  line 28: key "imagePullPolicy" already set in map, unknown field "metadata.unknownMeta", unknown field "spec.template.spec.containers[0].unknownNested", unknown field "spec.unknown1", unknown field "spec.unknownDupe"',
  );
});

test('create/update YAML, Warn: the go-yaml error split by line', () => {
  const obj = YAML.parse(invalidBodyYAML, { uniqueKeys: false });
  const r = checkFields({ directive: 'Warn', apiVersion: 'apps/v1', kind: 'Deployment', bodyText: invalidBodyYAML, contentType: 'application/yaml; charset=utf-8', obj });
  assert.deepEqual(r.warnings, YAML_PROBLEMS);
});

test('a core kind: the version is "v1"; targetKind names the stored kind', () => {
  const body = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i","imagePullPolice":"Always"}]}}';
  const r = checkFields({ directive: 'Strict', apiVersion: 'v1', kind: 'Pod', bodyText: body });
  assert.equal(r.error, 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagePullPolice"');
  const scale = '{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"d"},"spec":{"replicas":2,"replica":3}}';
  const s = checkFields({ directive: 'Strict', apiVersion: 'autoscaling/v1', kind: 'Scale', targetKind: 'Scale', bodyText: scale });
  assert.equal(s.error, 'Scale in version "v1" cannot be handled as a Scale: strict decoding error: unknown field "spec.replica"');
});

test('labels, annotations and data keys are never flagged; Quantity and IntOrString values are leaves', () => {
  const body = JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', labels: { spec: 'x', 'a.b/c': 'd' }, annotations: { whatever: 'y' } },
    data: { foo: 'bar', replicas: '2' },
  });
  assert.deepEqual(checkFields({ directive: 'Strict', apiVersion: 'v1', kind: 'ConfigMap', bodyText: body }), { warnings: [], problems: [] });
  const pod = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: '1', 'example.com/gpu': 1 } }, readinessProbe: { tcpSocket: { port: 'http' } } }] },
  });
  assert.deepEqual(checkFields({ directive: 'Strict', apiVersion: 'v1', kind: 'Pod', bodyText: pod }).problems, []);
});

test('kinds unknown to the table (custom resources): duplicates only, then the given unknown fields', () => {
  const body = '{"apiVersion":"example.com/v1","kind":"Foo","metadata":{"name":"a","name":"b"},"spec":{"x":1,"anything":2,"x":3}}';
  const r = checkFields({ directive: 'Strict', apiVersion: 'example.com/v1', kind: 'Foo', bodyText: body });
  assert.equal(r.error, 'Foo in version "v1" cannot be handled as a Foo: strict decoding error: duplicate field "metadata.name", duplicate field "spec.x"');
  const r2 = checkFields({ directive: 'Warn', apiVersion: 'example.com/v1', kind: 'Foo', bodyText: body, unknownFields: ['spec.anything'] });
  assert.deepEqual(r2.warnings, ['duplicate field "metadata.name"', 'duplicate field "spec.x"', 'unknown field "spec.anything"']);
  assert.deepEqual(checkFields({ directive: 'Strict', apiVersion: 'example.com/v1', kind: 'Foo', bodyText: '{"spec":{"anything":1}}' }).problems, []);
});

test('protobuf and CBOR bodies are not checked', () => {
  for (const contentType of ['application/vnd.kubernetes.protobuf', 'application/cbor']) {
    const r = checkFields({ directive: 'Strict', apiVersion: 'apps/v1', kind: 'Deployment', contentType, obj: { spec: { foo: 1 } } });
    assert.deepEqual(r, { warnings: [], problems: [] });
  }
});

test('without the body text, unknown fields come from the decoded object', () => {
  const r = checkFields({ directive: 'Strict', apiVersion: 'apps/v1', kind: 'Deployment', obj: { ...validDeployment, spec: { ...validDeployment.spec, foo: 1 } } });
  assert.equal(r.error, 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"');
});

test('Warn then prune: what is stored has no unknown fields', () => {
  const obj = JSON.parse(invalidBodyJSON);
  const r = checkFields({ directive: 'Warn', apiVersion: 'apps/v1', kind: 'Deployment', bodyText: invalidBodyJSON, obj });
  assert.equal(r.warnings.length, 7);
  assert.equal(pruneUnknownFields('apps/v1', 'Deployment', obj), 4);
  assert.equal(obj.spec.unknown1, undefined);
  assert.equal(obj.spec.template.spec.containers[0].unknownNested, undefined);
  assert.equal(obj.spec.template.spec.containers[0].imagePullPolicy, 'Never');
});

// ---------------------------------------------------------------------------
// patches

const mergePatchBody = `
{
	"spec": {
		"unknown1": "val1",
		"unknownDupe": "valDupe",
		"unknownDupe": "valDupe2",
		"paused": true,
		"paused": false,
		"template": {
			"spec": {
				"containers": [{
					"name": "nginx",
					"image": "nginx:latest",
					"unknownNested": "val1",
					"imagePullPolicy": "Always",
					"imagePullPolicy": "Never"
				}]
			}
		}
	}
}
	`;

const PATCH_PROBLEMS = [
  'duplicate field "spec.unknownDupe"',
  'duplicate field "spec.paused"',
  'duplicate field "spec.template.spec.containers[0].imagePullPolicy"',
  'unknown field "spec.template.spec.containers[0].unknownNested"',
  'unknown field "spec.unknown1"',
  'unknown field "spec.unknownDupe"',
];

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

test('patch kinds from content types', () => {
  assert.equal(patchKindOf('application/json-patch+json'), 'json');
  assert.equal(patchKindOf('application/merge-patch+json; charset=utf-8'), 'merge');
  assert.equal(patchKindOf('application/strategic-merge-patch+json'), 'strategic');
  assert.equal(patchKindOf('application/apply-patch+yaml'), undefined);
});

test('merge patch: duplicates of the patch, then unknown fields of the result (sorted)', () => {
  const patched = applyMergePatch(clone(validDeployment), JSON.parse(mergePatchBody));
  const base = { patchKind: 'merge' as const, apiVersion: 'apps/v1', kind: 'Deployment', patchText: mergePatchBody, patched };
  const warn = checkPatchFields({ directive: 'Warn', ...base });
  assert.deepEqual(warn.warnings, PATCH_PROBLEMS);
  assert.equal(warn.error, undefined);
  const strict = checkPatchFields({ directive: 'Strict', ...base });
  assert.equal(strict.error?.code, 422);
  assert.equal(strict.error?.reason, 'Invalid');
  assert.ok(strict.error!.message.startsWith(' "" is invalid: patch: Invalid value: "{\\"apiVersion\\":\\"apps/v1\\",\\"kind\\":\\"Deployment\\",'), strict.error!.message);
  assert.ok(strict.error!.message.endsWith(`": strict decoding error: ${PATCH_PROBLEMS.join(', ')}`), strict.error!.message);
  assert.equal(strict.error!.causes.length, 1);
  assert.equal(strict.error!.causes[0]!.field, 'patch');
  assert.equal(strict.error!.causes[0]!.reason, 'FieldValueInvalid');
  assert.ok(strict.error!.causes[0]!.message.startsWith('Invalid value: "{'));
  assert.deepEqual(checkPatchFields({ directive: 'Ignore', ...base }), { warnings: [], problems: [] });
});

test('merge patch without unknown fields: only the duplicates', () => {
  const body = `{"spec": {"paused": true, "paused": false, "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:latest", "imagePullPolicy": "Always", "imagePullPolicy": "Never"}]}}}}`;
  const patched = applyMergePatch(clone(validDeployment), JSON.parse(body));
  const r = checkPatchFields({ directive: 'Strict', patchKind: 'merge', apiVersion: 'apps/v1', kind: 'Deployment', patchText: body, patched });
  assert.ok(r.error!.message.endsWith('": strict decoding error: duplicate field "spec.paused", duplicate field "spec.template.spec.containers[0].imagePullPolicy"'));
});

test('json patch: problems in the operations, then unknown fields of the result', () => {
  const jsonPatchBody = `
			[
				{"op": "add", "path": "/spec/unknown1", "value": "val1", "foo":"bar"},
				{"op": "add", "path": "/spec/unknown2", "path": "/spec/unknown3", "value": "val1"},
				{"op": "add", "path": "/spec/unknownDupe", "value": "valDupe"},
				{"op": "add", "path": "/spec/unknownDupe", "value": "valDupe2"},
				{"op": "add", "path": "/spec/paused", "value": true},
				{"op": "add", "path": "/spec/paused", "value": false},
				{"op": "add", "path": "/spec/template/spec/containers/0/unknownNested", "value": "val1"},
				{"op": "add", "path": "/spec/template/spec/containers/0/imagePullPolicy", "value": "Always"},
				{"op": "add", "path": "/spec/template/spec/containers/0/imagePullPolicy", "value": "Never"}
			]
			`;
  const patched = applyJsonPatch(clone(validDeployment), JSON.parse(jsonPatchBody));
  const problems = [
    'json patch unknown field "[0].foo"',
    'json patch duplicate field "[1].path"',
    'unknown field "spec.template.spec.containers[0].unknownNested"',
    'unknown field "spec.unknown1"',
    'unknown field "spec.unknown3"',
    'unknown field "spec.unknownDupe"',
  ];
  const base = { patchKind: 'json' as const, apiVersion: 'apps/v1', kind: 'Deployment', patchText: jsonPatchBody, patched };
  assert.deepEqual(checkPatchFields({ directive: 'Warn', ...base }).warnings, problems);
  const strict = checkPatchFields({ directive: 'Strict', ...base });
  assert.ok(strict.error!.message.endsWith(`": strict decoding error: ${problems.join(', ')}`));
  // duplicates inside an operation's value are reported with the value's path
  const dupValue = '[{"op":"add","path":"/metadata/labels","value":{"a":"1","a":"2"}}]';
  const r = checkPatchFields({ directive: 'Warn', patchKind: 'json', apiVersion: 'apps/v1', kind: 'Deployment', patchText: dupValue, patched: clone(validDeployment) });
  assert.deepEqual(r.warnings, ['json patch duplicate field "[0].value.a"']);
});

test('strategic merge patch: the 422 shows the patch as Go prints a map', () => {
  const smpBody = `
	{
		"spec": {
			"unknown1": "val1",
			"unknownDupe": "valDupe",
			"unknownDupe": "valDupe2",
			"paused": true,
			"paused": false,
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
						"name": "nginx",
						"unknownNested": "val1",
						"imagePullPolicy": "Always",
						"imagePullPolicy": "Never"
					}]
				}
			}
		}
	}
	`;
  const patch = JSON.parse(smpBody);
  const patched = applyStrategicMergePatch(clone(validDeployment), patch, { group: 'apps', version: 'v1', kind: 'Deployment' });
  const base = { patchKind: 'strategic' as const, apiVersion: 'apps/v1', kind: 'Deployment', patchText: smpBody, patched };
  assert.deepEqual(checkPatchFields({ directive: 'Warn', ...base }).warnings, PATCH_PROBLEMS);
  const strict = checkPatchFields({ directive: 'Strict', ...base, patch });
  const shown =
    'map[spec:map[paused:false selector:map[matchLabels:map[app:nginx]] template:map[metadata:map[labels:map[app:nginx]] ' +
    'spec:map[containers:[map[imagePullPolicy:Never name:nginx unknownNested:val1]]]] unknown1:val1 unknownDupe:valDupe2]]';
  assert.equal(strict.error!.message, ` "" is invalid: patch: Invalid value: "${shown}": strict decoding error: ${PATCH_PROBLEMS.join(', ')}`);
  assert.deepEqual(strict.error!.causes, [{ reason: 'FieldValueInvalid', message: `Invalid value: "${shown}": strict decoding error: ${PATCH_PROBLEMS.join(', ')}`, field: 'patch' }]);
  // without the parsed patch it is parsed from the text
  assert.equal(checkPatchFields({ directive: 'Strict', ...base }).error!.message, strict.error!.message);
});

test('strategic merge patch: numbers and lists in the Go rendering', () => {
  const body = '{"spec":{"replicas":3,"foo":[1,2.5,"x",null,true]}}';
  const patch = JSON.parse(body);
  const patched = applyStrategicMergePatch(clone(validDeployment), patch, { group: 'apps', version: 'v1', kind: 'Deployment' });
  const r = checkPatchFields({ directive: 'Strict', patchKind: 'strategic', apiVersion: 'apps/v1', kind: 'Deployment', patchText: body, patch, patched });
  assert.equal(r.error!.message, ' "" is invalid: patch: Invalid value: "map[spec:map[foo:[1 2.5 x <nil> true] replicas:3]]": strict decoding error: unknown field "spec.foo"');
});

test('patches of kinds unknown to the table: duplicates in the patch only', () => {
  const body = '{"spec":{"a":1,"a":2,"b":3}}';
  const r = checkPatchFields({ directive: 'Warn', patchKind: 'merge', apiVersion: 'example.com/v1', kind: 'Foo', patchText: body, patched: { spec: { a: 2, b: 3 } } });
  assert.deepEqual(r.warnings, ['duplicate field "spec.a"']);
});

// ---------------------------------------------------------------------------
// apply

test('apply patch: go-yaml duplicates only; Strict is a 400, Warn one warning per line', () => {
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
  const strict = checkApplyPatch({ directive: 'Strict', patchText: applyInvalidBody });
  assert.equal(
    strict.error,
    'error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  line 10: key "paused" already set in map\n  line 27: key "imagePullPolicy" already set in map',
  );
  const warn = checkApplyPatch({ directive: 'Warn', patchText: applyInvalidBody });
  assert.deepEqual(warn.warnings, ['line 10: key "paused" already set in map', 'line 27: key "imagePullPolicy" already set in map']);
  assert.deepEqual(checkApplyPatch({ directive: 'Ignore', patchText: applyInvalidBody }), { warnings: [], problems: [] });
  assert.deepEqual(checkApplyPatch({ directive: 'Strict', patchText: JSON.stringify(validDeployment) }), { warnings: [], problems: [] });
});
