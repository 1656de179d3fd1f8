import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  EVERYTHING_FIELDS,
  FieldSelector,
  SelectorError,
  convertFieldSelector,
  escapeFieldValue,
  fieldLabelError,
  fieldSelectorFromSet,
  fieldSelectorToString,
  fieldsOf,
  isEverything,
  matchesFields,
  parseFieldSelector,
  requirements,
  supportedFieldLabels,
  unescapeFieldValue,
} from './fields.js';
import { SelectorError as LabelsSelectorError, parseLabelSelector, isEverything as labelsIsEverything } from './labels.js';

function expectSelectorError(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SelectorError, `expected SelectorError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

describe('parseFieldSelector: valid input', () => {
  // [input, canonical string, [field, op, value][]]
  const cases: Array<[string, string, Array<[string, string, string]>]> = [
    ['', '', []],
    [',', '', []],
    [',,', '', []],
    ['a=b', 'a=b', [['a', '=', 'b']]],
    ['a==b', 'a=b', [['a', '=', 'b']]],
    ['a!=b', 'a!=b', [['a', '!=', 'b']]],
    ['a=', 'a=', [['a', '=', '']]],
    ['a!=', 'a!=', [['a', '!=', '']]],
    ['=b', '=b', [['', '=', 'b']]],
    ['a!=b,', 'a!=b', [['a', '!=', 'b']]],
    ['status.phase=Running,spec.nodeName=n1', 'spec.nodeName=n1,status.phase=Running', [
      ['spec.nodeName', '=', 'n1'],
      ['status.phase', '=', 'Running'],
    ]],
    ['b=1,a=2', 'a=2,b=1', [['a', '=', '2'], ['b', '=', '1']]],
    // Terms are sorted as strings, so "a!=" sorts before "a=".
    ['a=1,a!=2', 'a!=2,a=1', [['a', '!=', '2'], ['a', '=', '1']]],
    ['a = b', 'a = b', [['a ', '=', ' b']]],
    ['a=b\\,c', 'a=b\\,c', [['a', '=', 'b,c']]],
    ['a=b\\=c', 'a=b\\=c', [['a', '=', 'b=c']]],
    ['a=b\\\\c', 'a=b\\\\c', [['a', '=', 'b\\c']]],
    ['a=\\,\\=\\\\', 'a=\\,\\=\\\\', [['a', '=', ',=\\']]],
    ['a=x\\,y,b=z', 'a=x\\,y,b=z', [['a', '=', 'x,y'], ['b', '=', 'z']]],
    ['metadata.name=my-pod', 'metadata.name=my-pod', [['metadata.name', '=', 'my-pod']]],
    ['a!=b!c', 'a!=b!c', [['a', '!=', 'b!c']]],
    ['a=!b', 'a=!b', [['a', '=', '!b']]],
    ['a==', 'a=', [['a', '=', '']]],
    ['involvedObject.name=é x', 'involvedObject.name=é x', [['involvedObject.name', '=', 'é x']]],
  ];
  for (const [input, canonical, reqs] of cases) {
    it(JSON.stringify(input), () => {
      const sel = parseFieldSelector(input);
      assert.equal(sel.toString(), canonical);
      assert.equal(fieldSelectorToString(sel), canonical);
      assert.deepEqual(
        requirements(sel).map((r) => [r.field, r.operator, r.value]),
        reqs,
      );
      assert.equal(isEverything(sel), reqs.length === 0);
      // The canonical form parses back to the same requirements.
      assert.deepEqual(parseFieldSelector(canonical).requirements, sel.requirements);
    });
  }
});

describe('parseFieldSelector: invalid input (messages as kubectl 1.32 prints them)', () => {
  const cases: Array<[string, string]> = [
    ['a', "invalid selector: 'a'; can't understand 'a'"],
    ['a=b,c', "invalid selector: 'a=b,c'; can't understand 'c'"],
    ['a in (b)', "invalid selector: 'a in (b)'; can't understand 'a in (b)'"],
    ['!a', "invalid selector: '!a'; can't understand '!a'"],
    ['a=b=c', 'invalid field selector: unescaped character in value: 61'],
    ['a==b=c', 'invalid field selector: unescaped character in value: 61'],
    ['a=é=', 'invalid field selector: unescaped character in value: 61'],
    ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
    ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['a=\\n', 'invalid field selector: invalid escape sequence: \\n'],
    // No escaping on the left: the first '=' splits, the rest is the value.
    ['a\\=b=c', 'invalid field selector: unescaped character in value: 61'],
  ];
  for (const [input, message] of cases) {
    it(JSON.stringify(input), () => expectSelectorError(() => parseFieldSelector(input), message));
  }

  it('the error class is the one exported by labels.ts', () => {
    assert.equal(SelectorError, LabelsSelectorError);
  });
});

describe('escaping', () => {
  const cases: Array<[string, string]> = [
    ['', ''],
    ['plain', 'plain'],
    ['a,b', 'a\\,b'],
    ['a=b', 'a\\=b'],
    ['a\\b', 'a\\\\b'],
    ['\\,=', '\\\\\\,\\='],
  ];
  for (const [raw, escaped] of cases) {
    it(JSON.stringify(raw), () => {
      assert.equal(escapeFieldValue(raw), escaped);
      assert.equal(unescapeFieldValue(escaped), raw);
      const sel = fieldSelectorFromSet({ f: raw });
      assert.equal(parseFieldSelector(sel.toString()).requiresExactMatch('f'), raw);
    });
  }
});

describe('matchesFields', () => {
  const fields = { 'metadata.name': 'p1', 'metadata.namespace': 'default', 'spec.nodeName': '', 'status.phase': 'Running' };
  const cases: Array<[string, boolean]> = [
    ['', true],
    ['metadata.name=p1', true],
    ['metadata.name==p1', true],
    ['metadata.name=p2', false],
    ['metadata.name!=p2', true],
    ['metadata.name!=p1', false],
    ['spec.nodeName=', true],
    ['spec.nodeName!=', false],
    // Missing fields read as the empty string.
    ['status.podIPs=', true],
    ['status.podIPs!=', false],
    ['status.podIPs=10.0.0.1', false],
    ['status.podIPs!=10.0.0.1', true],
    ['metadata.namespace=default,status.phase!=Pending', true],
    ['metadata.namespace=default,status.phase=Pending', false],
    ['constructor=', true],
    ['toString!=', false],
  ];
  for (const [sel, want] of cases) {
    it(`${JSON.stringify(sel)} → ${want}`, () => {
      assert.equal(matchesFields(parseFieldSelector(sel), fields), want);
    });
  }

  it('EVERYTHING_FIELDS matches anything; isEverything accepts both selector kinds', () => {
    assert.equal(EVERYTHING_FIELDS.matches({}), true);
    assert.equal(isEverything(EVERYTHING_FIELDS), true);
    assert.equal(isEverything(parseLabelSelector('')), true);
    assert.equal(labelsIsEverything(parseFieldSelector('')), true);
    assert.equal(labelsIsEverything(parseFieldSelector('a=b')), false);
  });

  it('treats a hand-built "==" requirement like "="', () => {
    const sel = new FieldSelector([{ field: 'a', operator: '==', value: 'x' }]);
    assert.equal(sel.matches({ a: 'x' }), true);
    assert.equal(sel.matches({ a: 'y' }), false);
    assert.equal(sel.toString(), 'a=x');
    assert.equal(sel.requiresExactMatch('a'), 'x');
  });

  it('requiresExactMatch finds index values', () => {
    const sel = parseFieldSelector('spec.nodeName=n1,metadata.namespace!=kube-system');
    assert.equal(sel.requiresExactMatch('spec.nodeName'), 'n1');
    assert.equal(sel.requiresExactMatch('metadata.namespace'), undefined);
    assert.equal(sel.requiresExactMatch('status.phase'), undefined);
  });
});

describe('fieldsOf', () => {
  it('pods: every selectable field', () => {
    const pod = {
      metadata: { name: 'web-1', namespace: 'prod' },
      spec: {
        nodeName: 'node-a',
        restartPolicy: 'Always',
        schedulerName: 'default-scheduler',
        serviceAccountName: 'web',
        hostNetwork: true,
        containers: [],
      },
      status: { phase: 'Running', podIP: '10.1.2.3', podIPs: [{ ip: '10.1.2.3' }, { ip: 'fd00::3' }], nominatedNodeName: 'node-b' },
    };
    assert.deepEqual(fieldsOf('', 'pods', pod), {
      'metadata.name': 'web-1',
      'metadata.namespace': 'prod',
      'spec.nodeName': 'node-a',
      'spec.host': 'node-a',
      'spec.restartPolicy': 'Always',
      'spec.schedulerName': 'default-scheduler',
      'spec.serviceAccountName': 'web',
      'spec.hostNetwork': 'true',
      'status.phase': 'Running',
      'status.podIP': '10.1.2.3',
      'status.nominatedNodeName': 'node-b',
    });
  });

  it('pods: defaults for missing values', () => {
    assert.deepEqual(fieldsOf('', 'pods', { metadata: { name: 'p', namespace: 'ns' }, spec: {} }), {
      'metadata.name': 'p',
      'metadata.namespace': 'ns',
      'spec.nodeName': '',
      'spec.host': '',
      'spec.restartPolicy': '',
      'spec.schedulerName': '',
      'spec.serviceAccountName': '',
      'spec.hostNetwork': 'false',
      'status.phase': '',
      'status.podIP': '',
      'status.nominatedNodeName': '',
    });
    assert.equal(fieldsOf('', 'pods', {})['metadata.name'], '');
  });

  it('pods: podIPs[0] when podIP is unset, deprecated serviceAccount when serviceAccountName is unset', () => {
    const f = fieldsOf('', 'pods', {
      metadata: { name: 'p', namespace: 'ns' },
      spec: { serviceAccount: 'legacy', hostNetwork: false },
      status: { podIPs: [{ ip: 'fd00::1' }] },
    });
    assert.equal(f['status.podIP'], 'fd00::1');
    assert.equal(f['spec.serviceAccountName'], 'legacy');
    assert.equal(f['spec.hostNetwork'], 'false');
  });

  it('core events', () => {
    const ev = {
      metadata: { name: 'web-1.17a', namespace: 'prod' },
      involvedObject: { kind: 'Pod', namespace: 'prod', name: 'web-1', uid: 'u-1', apiVersion: 'v1', resourceVersion: '42', fieldPath: 'spec.containers{app}' },
      reason: 'Started',
      source: { component: 'kubelet', host: 'node-a' },
      reportingComponent: 'kubelet',
      type: 'Normal',
    };
    assert.deepEqual(fieldsOf('', 'events', ev), {
      'metadata.name': 'web-1.17a',
      'metadata.namespace': 'prod',
      'involvedObject.kind': 'Pod',
      'involvedObject.namespace': 'prod',
      'involvedObject.name': 'web-1',
      'involvedObject.uid': 'u-1',
      'involvedObject.apiVersion': 'v1',
      'involvedObject.resourceVersion': '42',
      'involvedObject.fieldPath': 'spec.containers{app}',
      reason: 'Started',
      reportingComponent: 'kubelet',
      source: 'kubelet',
      type: 'Normal',
    });
  });

  it('core events: source falls back to reportingComponent; missing values are empty', () => {
    const f = fieldsOf('', 'events', { metadata: { name: 'e', namespace: 'ns' }, reportingComponent: 'my-controller' });
    assert.equal(f.source, 'my-controller');
    assert.equal(f.reportingComponent, 'my-controller');
    assert.equal(f['involvedObject.kind'], '');
    assert.equal(f.type, '');
  });

  it('events.k8s.io events map onto the core selectable fields', () => {
    const ev = {
      metadata: { name: 'e1', namespace: 'prod' },
      regarding: { kind: 'Deployment', namespace: 'prod', name: 'web', uid: 'u-2', apiVersion: 'apps/v1', resourceVersion: '7', fieldPath: '' },
      reason: 'ScalingReplicaSet',
      reportingController: 'deployment-controller',
      reportingInstance: 'kcm-1',
      type: 'Normal',
      note: 'Scaled up',
    };
    const f = fieldsOf('events.k8s.io', 'events', ev);
    assert.equal(f['involvedObject.kind'], 'Deployment');
    assert.equal(f['involvedObject.name'], 'web');
    assert.equal(f['involvedObject.apiVersion'], 'apps/v1');
    assert.equal(f.reportingComponent, 'deployment-controller');
    assert.equal(f.source, 'deployment-controller');
    assert.equal(f.reason, 'ScalingReplicaSet');
    assert.equal(f['metadata.namespace'], 'prod');
    assert.equal(fieldsOf('events.k8s.io', 'events', { ...ev, deprecatedSource: { component: 'old' } }).source, 'old');
    // The events.k8s.io names carry the same values, so an unconverted selector matches too.
    assert.equal(f['regarding.name'], 'web');
    assert.equal(f['regarding.kind'], 'Deployment');
    assert.equal(f.reportingController, 'deployment-controller');
    assert.equal(parseFieldSelector('regarding.name=web,reportingController=deployment-controller').matches(f), true);
  });

  it('secrets, nodes, namespaces, services, replication controllers, jobs, CSRs', () => {
    assert.deepEqual(fieldsOf('', 'secrets', { metadata: { name: 's', namespace: 'ns' }, type: 'kubernetes.io/tls' }), {
      'metadata.name': 's',
      'metadata.namespace': 'ns',
      type: 'kubernetes.io/tls',
    });
    assert.equal(fieldsOf('', 'secrets', { metadata: { name: 's', namespace: 'ns' } }).type, '');
    assert.deepEqual(fieldsOf('', 'nodes', { metadata: { name: 'n1' }, spec: { unschedulable: true } }), {
      'metadata.name': 'n1',
      'spec.unschedulable': 'true',
    });
    assert.deepEqual(fieldsOf('', 'nodes', { metadata: { name: 'n1' }, spec: {} }), { 'metadata.name': 'n1', 'spec.unschedulable': 'false' });
    assert.deepEqual(fieldsOf('', 'namespaces', { metadata: { name: 'dev' }, status: { phase: 'Terminating' } }), {
      'metadata.name': 'dev',
      'status.phase': 'Terminating',
    });
    assert.deepEqual(fieldsOf('', 'services', { metadata: { name: 'svc', namespace: 'ns' }, spec: { clusterIP: 'None', type: 'ClusterIP' } }), {
      'metadata.name': 'svc',
      'metadata.namespace': 'ns',
      'spec.clusterIP': 'None',
      'spec.type': 'ClusterIP',
    });
    assert.equal(fieldsOf('', 'replicationcontrollers', { metadata: { name: 'rc', namespace: 'ns' }, status: { replicas: 3 } })['status.replicas'], '3');
    assert.equal(fieldsOf('', 'replicationcontrollers', { metadata: { name: 'rc', namespace: 'ns' } })['status.replicas'], '0');
    assert.equal(fieldsOf('batch', 'jobs', { metadata: { name: 'j', namespace: 'ns' }, status: { succeeded: 2 } })['status.successful'], '2');
    assert.equal(fieldsOf('batch', 'jobs', { metadata: { name: 'j', namespace: 'ns' }, status: {} })['status.successful'], '0');
    assert.deepEqual(fieldsOf('certificates.k8s.io', 'certificatesigningrequests', { metadata: { name: 'c' }, spec: { signerName: 'kubernetes.io/kubelet-serving' } }), {
      'metadata.name': 'c',
      'spec.signerName': 'kubernetes.io/kubelet-serving',
    });
  });

  it('everything else: metadata fields only, namespace only when namespaced', () => {
    assert.deepEqual(fieldsOf('', 'configmaps', { metadata: { name: 'cm', namespace: 'ns' }, data: { a: 'b' } }), {
      'metadata.name': 'cm',
      'metadata.namespace': 'ns',
    });
    assert.deepEqual(fieldsOf('', 'persistentvolumes', { metadata: { name: 'pv1' }, spec: { capacity: {} } }), { 'metadata.name': 'pv1' });
    assert.deepEqual(fieldsOf('', 'persistentvolumeclaims', { metadata: { name: 'c', namespace: 'ns' }, spec: { volumeName: 'pv1' } }), {
      'metadata.name': 'c',
      'metadata.namespace': 'ns',
    });
    assert.deepEqual(fieldsOf('apps', 'deployments', { metadata: { name: 'd', namespace: 'ns' } }), { 'metadata.name': 'd', 'metadata.namespace': 'ns' });
    assert.deepEqual(fieldsOf('rbac.authorization.k8s.io', 'clusterroles', { metadata: { name: 'admin' } }), { 'metadata.name': 'admin' });
  });

  it('custom resources: namespace from the object or the options, selectable fields from jsonPaths', () => {
    assert.deepEqual(fieldsOf('example.com', 'widgets', { metadata: { name: 'w', namespace: 'ns' } }), { 'metadata.name': 'w', 'metadata.namespace': 'ns' });
    assert.deepEqual(fieldsOf('example.com', 'clusterwidgets', { metadata: { name: 'w' } }), { 'metadata.name': 'w' });
    assert.deepEqual(fieldsOf('example.com', 'widgets', { metadata: { name: 'w' } }, { namespaced: true }), { 'metadata.name': 'w', 'metadata.namespace': '' });
    const w = { metadata: { name: 'w', namespace: 'ns' }, spec: { color: 'red', size: 3, shiny: false, tags: ['a'] } };
    assert.deepEqual(fieldsOf('example.com', 'widgets', w, { selectableFields: ['.spec.color', '.spec.size', '.spec.shiny', '.spec.tags', '.spec.missing'] }), {
      'metadata.name': 'w',
      'metadata.namespace': 'ns',
      'spec.color': 'red',
      'spec.size': '3',
      'spec.shiny': 'false',
    });
  });
});

describe('supportedFieldLabels and convertFieldSelector', () => {
  it('lists the labels upstream accepts per resource', () => {
    assert.deepEqual(supportedFieldLabels('', 'pods').sort(), [
      'metadata.name',
      'metadata.namespace',
      'spec.host',
      'spec.hostNetwork',
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'status.nominatedNodeName',
      'status.phase',
      'status.podIP',
      'status.podIPs',
    ]);
    assert.deepEqual(supportedFieldLabels('', 'nodes').sort(), ['metadata.name', 'spec.unschedulable']);
    assert.deepEqual(supportedFieldLabels('', 'namespaces').sort(), ['metadata.name', 'status.phase']);
    assert.deepEqual(supportedFieldLabels('', 'secrets').sort(), ['metadata.name', 'metadata.namespace', 'type']);
    assert.deepEqual(supportedFieldLabels('', 'services').sort(), ['metadata.name', 'metadata.namespace', 'spec.clusterIP', 'spec.type']);
    assert.deepEqual(supportedFieldLabels('', 'replicationcontrollers').sort(), ['metadata.name', 'metadata.namespace', 'status.replicas']);
    assert.deepEqual(supportedFieldLabels('', 'events').sort(), [
      'involvedObject.apiVersion',
      'involvedObject.fieldPath',
      'involvedObject.kind',
      'involvedObject.name',
      'involvedObject.namespace',
      'involvedObject.resourceVersion',
      'involvedObject.uid',
      'metadata.name',
      'metadata.namespace',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ]);
    assert.deepEqual(supportedFieldLabels('events.k8s.io', 'events').sort(), [
      'metadata.name',
      'metadata.namespace',
      'reason',
      'regarding.apiVersion',
      'regarding.fieldPath',
      'regarding.kind',
      'regarding.name',
      'regarding.namespace',
      'regarding.resourceVersion',
      'regarding.uid',
      'reportingController',
      'source',
      'type',
    ]);
    assert.deepEqual(supportedFieldLabels('batch', 'jobs').sort(), ['metadata.name', 'metadata.namespace', 'status.successful']);
    assert.deepEqual(supportedFieldLabels('certificates.k8s.io', 'certificatesigningrequests').sort(), ['metadata.name', 'spec.signerName']);
    for (const [g, r] of [['', 'configmaps'], ['', 'persistentvolumes'], ['', 'persistentvolumeclaims'], ['apps', 'replicasets'], ['apps', 'deployments'], ['batch', 'cronjobs']]) {
      assert.deepEqual(supportedFieldLabels(g, r).sort(), ['metadata.name', 'metadata.namespace'], `${g}/${r}`);
    }
    assert.deepEqual(supportedFieldLabels('example.com', 'widgets').sort(), ['metadata.name', 'metadata.namespace']);
    assert.deepEqual(supportedFieldLabels('example.com', 'widgets', { namespaced: false }), ['metadata.name']);
    assert.deepEqual(supportedFieldLabels('example.com', 'widgets', { selectableFields: ['.spec.color'] }).sort(), ['metadata.name', 'metadata.namespace', 'spec.color']);
  });

  const rejections: Array<[string, string, string, string]> = [
    ['', 'pods', 'spec.foo=x', 'field label not supported: spec.foo'],
    ['', 'pods', 'metadata.uid=x', 'field label not supported: metadata.uid'],
    ['', 'nodes', 'metadata.namespace=x', 'field label not supported: metadata.namespace'],
    ['', 'namespaces', 'metadata.namespace=', 'field label not supported: metadata.namespace'],
    ['', 'secrets', 'data.x=1', 'field label not supported: data.x'],
    ['', 'events', 'regarding.name=x', 'field label not supported: regarding.name'],
    ['events.k8s.io', 'events', 'involvedObject.name=x', 'field label not supported: involvedObject.name'],
    ['', 'configmaps', 'data.x=1', '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"'],
    ['apps', 'replicasets', 'status.replicas=0', '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"'],
    ['networking.k8s.io', 'ingresses', 'foo.bar=baz', '"foo.bar" is not a known field selector: only "metadata.name", "metadata.namespace"'],
    ['batch', 'jobs', 'status.active=1', 'field label "status.active" not supported for batchv1.Job'],
    ['certificates.k8s.io', 'certificatesigningrequests', 'spec.username=x', 'field label not supported: spec.username'],
    ['example.com', 'widgets', 'spec.color=red', 'field label not supported: spec.color'],
    // Terms are checked in sorted order: the first unsupported one is reported.
    ['', 'pods', 'z.bad=1,a.bad=2', 'field label not supported: a.bad'],
  ];
  for (const [g, r, sel, message] of rejections) {
    it(`rejects ${JSON.stringify(sel)} on ${g || 'core'}/${r}`, () => {
      expectSelectorError(() => convertFieldSelector(g, r, parseFieldSelector(sel)), message);
    });
  }

  it('rejects metadata.namespace on cluster-scoped custom resources', () => {
    expectSelectorError(
      () => convertFieldSelector('example.com', 'clusterwidgets', parseFieldSelector('metadata.namespace=x'), { namespaced: false }),
      'field label not supported: metadata.namespace',
    );
    assert.equal(fieldLabelError('example.com', 'clusterwidgets', 'x'), 'field label not supported: x');
    assert.equal(fieldLabelError('', 'configmaps', 'x'), '"x" is not a known field selector: only "metadata.name", "metadata.namespace"');
  });

  it('accepts supported labels unchanged (same object when nothing maps)', () => {
    const sel = parseFieldSelector('spec.nodeName=n1,status.phase!=Succeeded');
    assert.equal(convertFieldSelector('', 'pods', sel), sel);
    assert.equal(convertFieldSelector('', 'pods', EVERYTHING_FIELDS), EVERYTHING_FIELDS);
    // Cluster-scoped built-ins with the default conversion accept metadata.namespace (it then compares against "").
    const pvSel = convertFieldSelector('', 'persistentvolumes', parseFieldSelector('metadata.namespace='));
    assert.equal(pvSel.matches(fieldsOf('', 'persistentvolumes', { metadata: { name: 'pv' } })), true);
  });

  it('maps spec.host to spec.nodeName for pods', () => {
    const sel = convertFieldSelector('', 'pods', parseFieldSelector('spec.host=node-a'));
    assert.equal(sel.toString(), 'spec.nodeName=node-a');
    assert.equal(sel.matches(fieldsOf('', 'pods', { metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'node-a' } })), true);
  });

  it('maps events.k8s.io names onto the selectable fields and matches', () => {
    const sel = convertFieldSelector('events.k8s.io', 'events', parseFieldSelector('regarding.kind=Pod,regarding.name=web-1,reportingController=kubelet,type!=Warning'));
    assert.deepEqual(
      sel.requirements.map((r) => [r.field, r.operator, r.value]),
      [
        ['involvedObject.kind', '=', 'Pod'],
        ['involvedObject.name', '=', 'web-1'],
        ['reportingComponent', '=', 'kubelet'],
        ['type', '!=', 'Warning'],
      ],
    );
    const ev = { metadata: { name: 'e', namespace: 'ns' }, regarding: { kind: 'Pod', name: 'web-1' }, reportingController: 'kubelet', type: 'Normal' };
    assert.equal(sel.matches(fieldsOf('events.k8s.io', 'events', ev)), true);
    assert.equal(sel.matches(fieldsOf('events.k8s.io', 'events', { ...ev, type: 'Warning' })), false);
  });

  it('custom resource selectable fields are accepted and matched', () => {
    const opts = { selectableFields: ['.spec.color'] };
    const sel = convertFieldSelector('example.com', 'widgets', parseFieldSelector('spec.color=red'), opts);
    assert.equal(sel.matches(fieldsOf('example.com', 'widgets', { metadata: { name: 'a', namespace: 'n' }, spec: { color: 'red' } }, opts)), true);
    assert.equal(sel.matches(fieldsOf('example.com', 'widgets', { metadata: { name: 'b', namespace: 'n' }, spec: { color: 'blue' } }, opts)), false);
  });
});

describe('end to end: what kubectl sends', () => {
  const pods = [
    { metadata: { name: 'a', namespace: 'default' }, spec: { nodeName: 'n1', restartPolicy: 'Always' }, status: { phase: 'Running' } },
    { metadata: { name: 'b', namespace: 'default' }, spec: { nodeName: 'n2', restartPolicy: 'Never' }, status: { phase: 'Succeeded' } },
    { metadata: { name: 'c', namespace: 'kube-system' }, spec: { nodeName: 'n1', restartPolicy: 'Always', hostNetwork: true }, status: { phase: 'Running' } },
    { metadata: { name: 'd', namespace: 'default' }, spec: {}, status: { phase: 'Pending' } },
  ];
  const cases: Array<[string, string[]]> = [
    ['status.phase=Running', ['a', 'c']],
    ['status.phase!=Running,spec.restartPolicy=Always', []],
    ['status.phase!=Succeeded,status.phase!=Failed', ['a', 'c', 'd']],
    ['spec.nodeName=', ['d']],
    ['spec.nodeName=n1,metadata.namespace!=kube-system', ['a']],
    ['spec.hostNetwork=true', ['c']],
    ['spec.hostNetwork=false', ['a', 'b', 'd']],
    ['metadata.name=b', ['b']],
  ];
  for (const [selector, want] of cases) {
    it(selector, () => {
      const sel = convertFieldSelector('', 'pods', parseFieldSelector(selector));
      assert.deepEqual(
        pods.filter((p) => sel.matches(fieldsOf('', 'pods', p))).map((p) => p.metadata.name),
        want,
      );
    });
  }
});
