import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_RESOURCES, type ResourceInfo } from '../registry.js';
import { applyDefaults } from '../defaults/index.js';
import { fieldErrorString, invalidMessage, qualifiedKind, validate, hasKindValidation } from './index.js';

function info(group: string, kind: string, version?: string): ResourceInfo {
  const r = BUILTIN_RESOURCES.find((x) => x.group === group && x.kind === kind && (!version || x.version === version));
  if (!r) throw new Error(`no ${group}/${kind}`);
  return r;
}

/** Defaults then validates, returning `field: message` strings. */
function check(group: string, kind: string, obj: any, old?: any): string[] {
  const i = info(group, kind);
  applyDefaults(i, obj);
  if (old) applyDefaults(i, old);
  return validate(i, obj, old).map(fieldErrorString);
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

function pod(spec: any = {}, meta: any = {}) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', ...meta }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...spec } };
}

function deployment(spec: any = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } },
      ...spec,
    },
  };
}

function service(spec: any = {}) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }], ...spec } };
}

// ---------------------------------------------------------------------------
// Pods

test('a valid pod passes', () => {
  assert.deepEqual(check('', 'Pod', pod()), []);
});

test('pod: containers required', () => {
  assert.deepEqual(check('', 'Pod', pod({ containers: [] })), ['spec.containers: Required value']);
});

test('pod: container name, image, uniqueness', () => {
  const errs = check('', 'Pod', pod({ containers: [{ name: 'App', image: 'x' }, { name: 'b' }, { name: 'b', image: 'y' }] }));
  assert.deepEqual(errs, [
    "spec.containers[0].name: Invalid value: \"App\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    'spec.containers[1].image: Required value',
    'spec.containers[2].name: Duplicate value: "b"',
  ]);
});

test('pod: ports, protocol, restartPolicy, dnsPolicy', () => {
  const errs = check(
    '',
    'Pod',
    pod({
      restartPolicy: 'Sometimes',
      dnsPolicy: 'Whatever',
      containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 70000 }, { containerPort: 80, protocol: 'HTTP' }, { name: 'web', containerPort: 0 }] }],
    }),
  );
  assert.deepEqual(errs, [
    'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.containers[0].ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    'spec.containers[0].ports[2].containerPort: Required value',
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    'spec.dnsPolicy: Unsupported value: "Whatever": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
  ]);
});

test('pod: volumes unique, mounts must match a volume', () => {
  const errs = check(
    '',
    'Pod',
    pod({
      volumes: [{ name: 'data', emptyDir: {} }, { name: 'data', emptyDir: {} }, { name: 'two', emptyDir: {}, hostPath: { path: '/x' } }],
      containers: [{ name: 'a', image: 'x', volumeMounts: [{ name: 'nope', mountPath: '/n' }] }],
    }),
  );
  assert.deepEqual(errs, [
    'spec.volumes[1].name: Duplicate value: "data"',
    'spec.volumes[2].hostPath: Forbidden: may not specify more than 1 volume type',
    'spec.containers[0].volumeMounts[0].name: Not found: "nope"',
  ]);
});

test('pod: env names and valueFrom', () => {
  const errs = check(
    '',
    'Pod',
    pod({
      containers: [
        {
          name: 'a',
          image: 'x',
          env: [{ name: '' }, { name: 'A=B' }, { name: 'OK', valueFrom: {} }, { name: 'F', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }],
        },
      ],
    }),
  );
  assert.deepEqual(errs, [
    'spec.containers[0].env[0].name: Required value',
    "spec.containers[0].env[1].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
    'spec.containers[0].env[2].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
    'spec.containers[0].env[3].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.bogus": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
  ]);
});

test('pod: resources requests must not exceed limits', () => {
  const errs = check('', 'Pod', pod({ containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '1', memory: '1024Mi' } } }] }));
  assert.deepEqual(errs, ['spec.containers[0].resources.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m']);
  const neg = check('', 'Pod', pod({ containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '-1' } } }] }));
  assert.deepEqual(neg, ['spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0']);
  const bogus = check('', 'Pod', pod({ containers: [{ name: 'a', image: 'x', resources: { requests: { gpu: '1' } } }] }));
  assert.deepEqual(bogus, [
    'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
    'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
  ]);
  const ext = check('', 'Pod', pod({ containers: [{ name: 'a', image: 'x', resources: { requests: { 'example.com/gpu': '1' } } }] }));
  assert.deepEqual(ext, ['spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources']);
});

test('pod: probes and tolerations', () => {
  const errs = check(
    '',
    'Pod',
    pod({
      tolerations: [{ key: 'k', operator: 'Maybe' }, { operator: 'Equal', value: 'v' }],
      containers: [{ name: 'a', image: 'x', livenessProbe: { successThreshold: 2, tcpSocket: { port: 8080 } }, readinessProbe: {} }],
    }),
  );
  assert.deepEqual(errs, [
    'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
    'spec.containers[0].readinessProbe: Required value: must specify a handler type',
    'spec.tolerations[0].operator: Unsupported value: "Maybe": supported values: "Equal", "Exists"',
    'spec.tolerations[1].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
  ]);
});

test('pod update: only image, activeDeadlineSeconds and added tolerations may change', () => {
  const old = pod({ tolerations: [{ key: 'a', operator: 'Exists' }] });
  applyDefaults(info('', 'Pod'), old);
  const ok = clone(old);
  ok.spec.containers[0].image = 'nginx:1.28';
  ok.spec.activeDeadlineSeconds = 100;
  ok.spec.tolerations.push({ key: 'b', operator: 'Exists' });
  assert.deepEqual(check('', 'Pod', ok, clone(old)), []);

  const bad = clone(old);
  bad.spec.containers[0].ports = [{ containerPort: 8080 }];
  const errs = check('', 'Pod', bad, clone(old));
  assert.equal(errs.length, 1);
  assert.ok(
    errs[0].startsWith(
      'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n',
    ),
    errs[0],
  );
  assert.match(errs[0], /containers\[0\]\.ports/);

  const removed = clone(old);
  removed.spec.tolerations = [];
  assert.deepEqual(check('', 'Pod', removed, clone(old)), ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']);

  const more = clone(old);
  more.spec.containers.push({ name: 'b', image: 'x' });
  assert.deepEqual(check('', 'Pod', more, clone(old)), ['spec.containers: Forbidden: pod updates may not add or remove containers']);
});

test('pod: Status message for kubectl', () => {
  const p = pod({ containers: [] }, { name: 'Foo' });
  applyDefaults(info('', 'Pod'), p);
  const errs = validate(info('', 'Pod'), p);
  assert.equal(
    invalidMessage('Pod', 'Foo', errs),
    "Pod \"Foo\" is invalid: [metadata.name: Invalid value: \"Foo\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), spec.containers: Required value]",
  );
});

// ---------------------------------------------------------------------------
// Deployments and friends

test('a valid deployment passes', () => {
  assert.deepEqual(check('apps', 'Deployment', deployment()), []);
});

test('deployment: selector required and must match the template', () => {
  const d = deployment();
  delete (d.spec as any).selector;
  const errs = check('apps', 'Deployment', d);
  assert.deepEqual(errs, [
    'spec.selector: Required value',
    'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
  ]);
  assert.equal(
    invalidMessage(qualifiedKind(info('apps', 'Deployment')), 'web', validate(info('apps', 'Deployment'), d)),
    'Deployment.apps "web" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`]',
  );
  const mismatch = check('apps', 'Deployment', deployment({ selector: { matchLabels: { app: 'other' } } }));
  assert.deepEqual(mismatch, ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`']);
  const empty = check('apps', 'Deployment', deployment({ selector: {} }));
  assert.deepEqual(empty, [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
  ]);
});

test('deployment: replicas, template restartPolicy, strategy', () => {
  const d = deployment({ replicas: -1, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } });
  (d.spec.template.spec as any).restartPolicy = 'Never';
  const errs = check('apps', 'Deployment', d);
  assert.deepEqual(errs, [
    'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
  ]);
  const tmplErr = deployment();
  (tmplErr.spec.template.spec as any).containers = [];
  assert.deepEqual(check('apps', 'Deployment', tmplErr), ['spec.template.spec.containers: Required value']);
});

test('deployment update: selector is immutable', () => {
  const old = deployment();
  const next = deployment({ selector: { matchLabels: { app: 'web', tier: 'fe' } } });
  (next.spec.template.metadata.labels as any).tier = 'fe';
  assert.deepEqual(check('apps', 'Deployment', next, old), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"fe"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
  const scaled = deployment({ replicas: 5 });
  assert.deepEqual(check('apps', 'Deployment', scaled, deployment()), []);
});

test('replicaset, daemonset, statefulset basics', () => {
  const rs = { metadata: { name: 'rs', namespace: 'd' }, spec: { template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
  assert.deepEqual(check('apps', 'ReplicaSet', rs), [
    'spec.selector: Required value',
    'spec.template.metadata.labels: Invalid value: map[string]string{"a":"b"}: `selector` does not match template `labels`',
  ]);
  const ds = { metadata: { name: 'ds', namespace: 'd' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
  assert.deepEqual(check('apps', 'DaemonSet', ds), []);
  // rollingUpdate: exactly one of maxUnavailable and maxSurge non-zero, ints or percentages up to 100%.
  const dsRU = (ru: any) => ({ ...ds, spec: { ...ds.spec, updateStrategy: { type: 'RollingUpdate', rollingUpdate: ru } } });
  const fld = 'spec.updateStrategy.rollingUpdate';
  assert.deepEqual(check('apps', 'DaemonSet', dsRU({ maxUnavailable: 0, maxSurge: 1 })), []);
  assert.deepEqual(check('apps', 'DaemonSet', dsRU({ maxUnavailable: 0, maxSurge: '100%' })), []);
  assert.deepEqual(check('apps', 'DaemonSet', dsRU({ maxUnavailable: '10%', maxSurge: 0 })), []);
  assert.deepEqual(check('apps', 'DaemonSet', dsRU({ maxUnavailable: 0, maxSurge: '0%' })), [`${fld}.maxUnavailable: Required value: cannot be 0 when maxSurge is 0`]);
  assert.deepEqual(check('apps', 'DaemonSet', dsRU({ maxUnavailable: 1, maxSurge: '20%' })), [
    `${fld}.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"20%"}: may not be set when maxUnavailable is non-zero`,
  ]);
  assert.deepEqual(check('apps', 'DaemonSet', dsRU({ maxUnavailable: 0, maxSurge: '120%' })), [`${fld}.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%`]);
  assert.deepEqual(check('apps', 'DaemonSet', dsRU({ maxUnavailable: -1, maxSurge: 0 })), [`${fld}.maxUnavailable: Invalid value: -1: must be greater than or equal to 0`]);
  assert.deepEqual(check('apps', 'DaemonSet', dsRU({ maxUnavailable: 0, maxSurge: '1' })), [
    `${fld}.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"1"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
  ]);
  const sts = {
    metadata: { name: 'db', namespace: 'd' },
    spec: {
      serviceName: 'db',
      selector: { matchLabels: { a: 'b' } },
      template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i', volumeMounts: [{ name: 'data', mountPath: '/d' }] }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  };
  assert.deepEqual(check('apps', 'StatefulSet', sts), []);
  const sts2 = clone(sts);
  sts2.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '2Gi';
  assert.deepEqual(check('apps', 'StatefulSet', sts2, clone(sts)), [
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
  ]);
  const sts3 = clone(sts);
  (sts3.spec as any).replicas = 3;
  assert.deepEqual(check('apps', 'StatefulSet', sts3, clone(sts)), []);
});

// ---------------------------------------------------------------------------
// Jobs and CronJobs

function job(spec: any = {}, meta: any = {}) {
  return {
    metadata: { name: 'pi', namespace: 'default', ...meta },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl' }] } }, ...spec },
  };
}

test('job: restartPolicy must be OnFailure or Never', () => {
  const j = job();
  delete (j.spec.template.spec as any).restartPolicy;
  assert.deepEqual(check('batch', 'Job', j, undefined), ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
});

test('job: selector generated when the uid is known', () => {
  const j: any = job({}, { uid: 'abc-123' });
  assert.deepEqual(check('batch', 'Job', j), []);
  assert.deepEqual(j.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'abc-123' } });
  assert.deepEqual(j.spec.template.metadata.labels, {
    'job-name': 'pi',
    'batch.kubernetes.io/job-name': 'pi',
    'controller-uid': 'abc-123',
    'batch.kubernetes.io/controller-uid': 'abc-123',
  });
  // without a uid nothing is generated and nothing is demanded
  const j2: any = job();
  assert.deepEqual(check('batch', 'Job', j2), []);
  assert.equal(j2.spec.selector, undefined);
});

test('job: manual selector must match; template immutable on update', () => {
  const j: any = job({ manualSelector: true, selector: { matchLabels: { x: 'y' } } });
  assert.deepEqual(check('batch', 'Job', j), ['spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`']);
  const old: any = job({}, { uid: 'u' });
  applyDefaults(info('batch', 'Job'), old);
  validate(info('batch', 'Job'), old);
  const next = clone(old);
  next.spec.template.spec.containers[0].image = 'perl:2';
  const errs = check('batch', 'Job', next, clone(old));
  assert.equal(errs.length, 1);
  assert.match(errs[0], /^spec\.template: Invalid value: core\.PodTemplateSpec\{.*\}: field is immutable$/);
  const more = clone(old);
  more.spec.completions = 3;
  assert.deepEqual(check('batch', 'Job', more, clone(old)), ['spec.completions: Invalid value: 3: field is immutable']);
});

test('cronjob: schedule required and parseable', () => {
  const cj = (schedule?: string): any => ({
    metadata: { name: 'c', namespace: 'd' },
    spec: { schedule, jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'i' }] } } } } },
  });
  assert.deepEqual(check('batch', 'CronJob', cj('*/5 * * * *')), []);
  assert.deepEqual(check('batch', 'CronJob', cj('@hourly')), []);
  assert.deepEqual(check('batch', 'CronJob', cj(undefined)), ['spec.schedule: Required value']);
  assert.deepEqual(check('batch', 'CronJob', cj('* * *')), ['spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]']);
  assert.deepEqual(check('batch', 'CronJob', cj('61 * * * *')), ['spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61']);
  assert.deepEqual(check('batch', 'CronJob', cj('@often')), ['spec.schedule: Invalid value: "@often": unrecognized descriptor: @often']);
  const bad = cj('* * * * *');
  bad.spec.jobTemplate.spec.template.spec.restartPolicy = 'Always';
  assert.deepEqual(check('batch', 'CronJob', bad), ['spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
});

// ---------------------------------------------------------------------------
// Services

test('a valid service passes; headless and ExternalName need no ports', () => {
  assert.deepEqual(check('', 'Service', service()), []);
  assert.deepEqual(check('', 'Service', service({ ports: [], clusterIP: 'None' })), []);
  assert.deepEqual(check('', 'Service', service({ ports: [], type: 'ExternalName', externalName: 'db.example.com' })), []);
});

test('service: ports required, port range, unique names, type', () => {
  assert.deepEqual(check('', 'Service', service({ ports: [] })), ['spec.ports: Required value']);
  const errs = check('', 'Service', service({ type: 'Fancy', ports: [{ name: 'a', port: 0 }, { name: 'a', port: 81 }, { port: 82 }] }));
  assert.deepEqual(errs, [
    'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.ports[1].name: Duplicate value: "a"',
    'spec.ports[2].name: Required value',
    'spec.type: Unsupported value: "Fancy": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
  ]);
  assert.deepEqual(check('', 'Service', service({ type: 'ExternalName', ports: [] })), ['spec.externalName: Required value']);
  const dup = check('', 'Service', service({ ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] }));
  assert.deepEqual(dup, [
    'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
  ]);
});

test('service update: clusterIP is immutable', () => {
  const old = service({ clusterIP: '10.96.0.10' });
  const next = service({ clusterIP: '10.96.0.11' });
  assert.deepEqual(check('', 'Service', next, old), ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set']);
  assert.deepEqual(check('', 'Service', service({ clusterIP: '10.96.0.10' }), service({ clusterIP: '10.96.0.10' })), []);
  // an update that leaves the allocated IP out keeps it
  const keep: any = service();
  assert.deepEqual(check('', 'Service', keep, service({ clusterIP: '10.96.0.10' })), []);
  assert.equal(keep.spec.clusterIP, '10.96.0.10');
  assert.deepEqual(keep.spec.clusterIPs, ['10.96.0.10']);
  // NodePort -> ClusterIP drops the allocated node ports instead of failing
  const np = service({ type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30080 }] });
  applyDefaults(info('', 'Service'), np);
  const back: any = clone(np);
  back.spec.type = 'ClusterIP';
  assert.equal(back.spec.externalTrafficPolicy, 'Cluster');
  const res = check('', 'Service', back, np);
  assert.deepEqual(res, []);
  assert.equal(back.spec.ports[0].nodePort, undefined);
  assert.equal(back.spec.externalTrafficPolicy, undefined);
});

// ---------------------------------------------------------------------------
// ConfigMaps and Secrets

test('configmap: keys and size', () => {
  assert.deepEqual(check('', 'ConfigMap', { metadata: { name: 'c', namespace: 'd' }, data: { 'good.key': 'v' } }), []);
  assert.deepEqual(check('', 'ConfigMap', { metadata: { name: 'c', namespace: 'd' }, data: { 'bad key': 'v' } }), [
    "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
  ]);
  assert.deepEqual(check('', 'ConfigMap', { metadata: { name: 'c', namespace: 'd' }, data: { a: 'x'.repeat(1024 * 1024 + 1) } }), [
    ': Too long: may not be more than 1048576 bytes',
  ]);
});

test('configmap / secret immutability', () => {
  const old = { metadata: { name: 'c', namespace: 'd' }, immutable: true, data: { a: '1' } };
  assert.deepEqual(check('', 'ConfigMap', { ...clone(old), data: { a: '2' } }, clone(old)), ['data: Forbidden: field is immutable when `immutable` is set']);
  const s = { metadata: { name: 's', namespace: 'd' }, type: 'Opaque', data: { a: 'MQ==' } };
  assert.deepEqual(check('', 'Secret', { ...clone(s), type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==', 'tls.key': 'eA==' } }, clone(s)), [
    'type: Invalid value: "kubernetes.io/tls": field is immutable',
  ]);
  assert.deepEqual(check('', 'Secret', { metadata: { name: 's', namespace: 'd' }, type: 'kubernetes.io/tls', data: {} }), [
    'data[tls.crt]: Required value',
    'data[tls.key]: Required value',
  ]);
});

// ---------------------------------------------------------------------------
// Other kinds

test('namespace spec.finalizers', () => {
  assert.deepEqual(check('', 'Namespace', { metadata: { name: 'ns' } }), []);
  assert.deepEqual(check('', 'Namespace', { metadata: { name: 'ns' }, spec: { finalizers: ['foo'] } }), [
    'spec.finalizers: Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified',
  ]);
});

test('pvc: access modes and storage request required', () => {
  assert.deepEqual(check('', 'PersistentVolumeClaim', { metadata: { name: 'c', namespace: 'd' }, spec: {} }), [
    'spec.accessModes: Required value: at least 1 access mode is required',
    'spec.resources[storage]: Required value',
  ]);
  const ok = { metadata: { name: 'c', namespace: 'd' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
  assert.deepEqual(check('', 'PersistentVolumeClaim', clone(ok)), []);
  const changed: any = clone(ok);
  changed.spec.accessModes = ['ReadWriteMany'];
  const errs = check('', 'PersistentVolumeClaim', changed, clone(ok));
  assert.equal(errs.length, 1);
  assert.match(errs[0], /^spec: Forbidden: spec is immutable after creation except resources\.requests and volumeAttributesClassName for bound claims\n/);
});

test('rbac: roleRef required and immutable, subject kinds', () => {
  const rb = {
    metadata: { name: 'rb', namespace: 'd' },
    roleRef: { kind: 'Role', name: 'r' },
    subjects: [{ kind: 'User', name: 'alice' }, { kind: 'Robot', name: 'x' }, { kind: 'ServiceAccount', name: 'sa', namespace: 'd' }],
  };
  assert.deepEqual(check('rbac.authorization.k8s.io', 'RoleBinding', clone(rb)), [
    'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
  ]);
  const noRef = check('rbac.authorization.k8s.io', 'RoleBinding', { metadata: { name: 'rb', namespace: 'd' } });
  assert.deepEqual(noRef, [
    'roleRef.kind: Unsupported value: "": supported values: "Role", "ClusterRole"',
    'roleRef.name: Required value',
  ]);
  const old = { ...clone(rb), subjects: [] };
  const next = { ...clone(old), roleRef: { kind: 'Role', name: 'other' } };
  assert.deepEqual(check('rbac.authorization.k8s.io', 'RoleBinding', next, old), [
    'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"other"}: cannot change roleRef',
  ]);
  assert.deepEqual(check('rbac.authorization.k8s.io', 'ClusterRoleBinding', { metadata: { name: 'c' }, roleRef: { kind: 'Role', name: 'r' } }), [
    'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
  ]);
  assert.deepEqual(check('rbac.authorization.k8s.io', 'Role', { metadata: { name: 'r', namespace: 'd' }, rules: [{ verbs: ['get'] }] }), [
    'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
    'rules[0].resources: Required value: resource rules must supply at least one resource',
  ]);
});

test('priority class value limits', () => {
  assert.deepEqual(check('scheduling.k8s.io', 'PriorityClass', { metadata: { name: 'high' }, value: 1000000 }), []);
  assert.deepEqual(check('scheduling.k8s.io', 'PriorityClass', { metadata: { name: 'huge' }, value: 1000000001 }), [
    'value: Forbidden: maximum allowed value of a user defined priority is 1000000000',
  ]);
  assert.deepEqual(check('scheduling.k8s.io', 'PriorityClass', { metadata: { name: 'system-node-critical' }, value: 2000001000 }), []);
  assert.deepEqual(check('scheduling.k8s.io', 'PriorityClass', { metadata: { name: 'system-foo' }, value: 1 }), [
    "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-foo is not a known system priority class",
  ]);
});

test('ingress rules and backends', () => {
  const ing = (spec: any) => ({ metadata: { name: 'i', namespace: 'd' }, spec });
  assert.deepEqual(
    check('networking.k8s.io', 'Ingress', ing({ rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] })),
    [],
  );
  assert.deepEqual(check('networking.k8s.io', 'Ingress', ing({})), ['spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified']);
  assert.deepEqual(
    check('networking.k8s.io', 'Ingress', ing({ rules: [{ host: '10.0.0.1', http: { paths: [{ path: 'x', pathType: 'Prefix', backend: { service: { name: 'web' } } }, { path: '/' }] } }] })),
    [
      'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
      'spec.rules[0].http.paths[0].path: Invalid value: "x": must be an absolute path',
      'spec.rules[0].http.paths[0].backend: Required value: port name or number is required',
      'spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified',
    ],
  );
});

test('lease and pdb', () => {
  assert.deepEqual(check('coordination.k8s.io', 'Lease', { metadata: { name: 'l', namespace: 'd' }, spec: { leaseDurationSeconds: 0 } }), [
    'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
  ]);
  assert.deepEqual(check('policy', 'PodDisruptionBudget', { metadata: { name: 'p', namespace: 'd' }, spec: { minAvailable: '150%' } }), [
    'spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
  ]);
});

test('other kinds get object meta only', () => {
  assert.equal(hasKindValidation(info('', 'Pod')), true);
  assert.equal(hasKindValidation(info('', 'Event')), false);
  assert.deepEqual(check('', 'Event', { metadata: { name: 'e.1', namespace: 'd' } }), []);
  assert.deepEqual(check('', 'ServiceAccount', { metadata: { name: 'Bad', namespace: 'd' } }).length, 1);
});
