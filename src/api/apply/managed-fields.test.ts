import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  decodeManagedFields,
  encodeManagedFields,
  updateManagedFields,
  withManagedFields,
  defaultResetFields,
  managerIdentifier,
  type ManagedFieldsEntry,
} from './managed-fields.js';

const T0 = '2024-05-01T10:00:00Z';
const T1 = '2024-05-01T10:05:00Z';
const T2 = '2024-05-01T10:10:00Z';

function configMap(data: Record<string, string>, labels?: Record<string, string>): any {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cm', namespace: 'default', uid: 'uid-1', resourceVersion: '5', creationTimestamp: T0, ...(labels ? { labels } : {}) },
    data,
  };
}

/** Runs a write and stores the result's managedFields on it, as the API server would. */
function write(old: any, next: any, manager: string, time: string, extra: Partial<Parameters<typeof updateManagedFields>[2]> = {}): any {
  const mf = updateManagedFields(old, next, { manager, operation: 'Update', time, apiVersion: 'v1', ...extra });
  return withManagedFields(next, mf);
}

function deployment(): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
      },
    },
  };
}

test('create records everything the creator set, as upstream prints it', () => {
  const mf = updateManagedFields(undefined, deployment(), { manager: 'kubectl-create', operation: 'Update', time: T0, apiVersion: 'apps/v1' });
  assert.deepEqual(mf, [
    {
      manager: 'kubectl-create',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: T0,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
            'f:spec': {
              'f:containers': {
                'k:{"name":"web"}': {
                  '.': {},
                  'f:image': {},
                  'f:name': {},
                  'f:ports': {
                    '.': {},
                    'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} },
                  },
                  // Go's encoding of a container always has `resources: {}`: the creator owns it.
                  'f:resources': {},
                },
              },
            },
          },
        },
      },
    },
  ]);
  // The key order of an entry is the API's.
  assert.deepEqual(Object.keys(mf[0]!), ['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1']);
});

test('create, then label changes by two managers', () => {
  // kubectl create configmap cm --from-literal=a=1 (labels app=x)
  let cm = write(undefined, configMap({ a: '1' }, { app: 'x' }), 'kubectl-create', T0);
  assert.deepEqual(cm.metadata.managedFields, [
    {
      manager: 'kubectl-create',
      operation: 'Update',
      apiVersion: 'v1',
      time: T0,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
    },
  ]);

  // kubectl label cm env=prod
  const labelled = structuredClone(cm);
  labelled.metadata.labels.env = 'prod';
  cm = write(cm, labelled, 'kubectl-label', T1);
  assert.deepEqual(cm.metadata.managedFields, [
    {
      manager: 'kubectl-create',
      operation: 'Update',
      apiVersion: 'v1',
      time: T0,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
    },
    {
      manager: 'kubectl-label',
      operation: 'Update',
      apiVersion: 'v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': { 'f:env': {} } } },
    },
  ]);

  // kubectl label cm app=y --overwrite: ownership of app moves, the creator keeps the rest.
  const relabelled = structuredClone(cm);
  relabelled.metadata.labels.app = 'y';
  cm = write(cm, relabelled, 'kubectl-label', T2);
  assert.deepEqual(cm.metadata.managedFields, [
    {
      manager: 'kubectl-create',
      operation: 'Update',
      apiVersion: 'v1',
      time: T0,
      fieldsType: 'FieldsV1',
      // Still owns the labels map itself (a member with no children is written `{}`).
      fieldsV1: { 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': {} } },
    },
    {
      manager: 'kubectl-label',
      operation: 'Update',
      apiVersion: 'v1',
      time: T2,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {}, 'f:env': {} } } },
    },
  ]);

  // kubectl label cm env-: removing a field takes it from its owner; an owner left with nothing disappears.
  const unlabelled = structuredClone(cm);
  delete unlabelled.metadata.labels.env;
  delete unlabelled.metadata.labels.app;
  cm = write(cm, unlabelled, 'kubectl-label', T2);
  assert.deepEqual(
    cm.metadata.managedFields.map((e: ManagedFieldsEntry) => [e.manager, e.fieldsV1]),
    [['kubectl-create', { 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': {} } }]],
  );
});

test('a write that changes nothing adds no entry and keeps times', () => {
  const cm = write(undefined, configMap({ a: '1' }), 'kubectl-create', T0);
  const same = write(cm, structuredClone(cm), 'kubectl-edit', T1);
  assert.deepEqual(same.metadata.managedFields, cm.metadata.managedFields);
  // Server-set metadata (resourceVersion, generation, ...) is never owned.
  const bumped = structuredClone(cm);
  bumped.metadata.resourceVersion = '6';
  bumped.metadata.generation = 2;
  assert.deepEqual(write(cm, bumped, 'kubectl-edit', T1).metadata.managedFields, cm.metadata.managedFields);
});

test('entries are per manager, operation, apiVersion and subresource', () => {
  let cm = write(undefined, configMap({ a: '1' }), 'm', T0);
  const b = structuredClone(cm);
  b.data.b = '2';
  cm = write(cm, b, 'm', T1);
  assert.deepEqual(
    cm.metadata.managedFields.map((e: ManagedFieldsEntry) => [e.manager, e.time, e.fieldsV1]),
    [['m', T1, { 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} } }]],
  );
  const c = structuredClone(cm);
  c.data.c = '3';
  cm = write(cm, c, 'm', T2, { subresource: 'status' });
  assert.deepEqual(
    cm.metadata.managedFields.map((e: ManagedFieldsEntry) => [e.manager, e.subresource, e.fieldsV1]),
    [
      ['m', undefined, { 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} } }],
      ['m', 'status', { 'f:data': { 'f:c': {} } }],
    ],
  );
  assert.equal(cm.metadata.managedFields[1].apiVersion, 'v1');
});

test('an object stored without managedFields is not tracked by updates; [] clears them', () => {
  const untracked = configMap({ a: '1' });
  const next = structuredClone(untracked);
  next.data.a = '2';
  assert.deepEqual(updateManagedFields(untracked, next, { manager: 'x', time: T1, apiVersion: 'v1' }), []);

  const tracked = write(undefined, configMap({ a: '1' }), 'kubectl-create', T0);
  const cleared = structuredClone(tracked);
  cleared.metadata.managedFields = [];
  cleared.data.a = '9';
  assert.deepEqual(updateManagedFields(tracked, cleared, { manager: 'x', time: T1, apiVersion: 'v1' }), []);
  cleared.metadata.managedFields = [{}];
  assert.deepEqual(updateManagedFields(tracked, cleared, { manager: 'x', time: T1, apiVersion: 'v1' }), []);
});

test('managedFields sent with the object replace the stored ones (kubectl csaupgrade); invalid ones are ignored', () => {
  const cm = write(undefined, configMap({ a: '1' }), 'kubectl-client-side-apply', T0);
  const upgraded = structuredClone(cm);
  upgraded.metadata.managedFields = [
    { manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', time: T0, fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } },
  ];
  assert.deepEqual(updateManagedFields(cm, upgraded, { manager: 'kubectl', time: T1, apiVersion: 'v1' }), upgraded.metadata.managedFields);

  const bogus = structuredClone(cm);
  bogus.metadata.managedFields = [{ manager: 'x', operation: 'Bogus', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: {} }];
  assert.deepEqual(updateManagedFields(cm, bogus, { manager: 'x', time: T1, apiVersion: 'v1' }), cm.metadata.managedFields);

  // On a subresource the request's managedFields are ignored.
  const sub = structuredClone(upgraded);
  assert.deepEqual(updateManagedFields(cm, sub, { manager: 'x', time: T1, apiVersion: 'v1', subresource: 'status' }), cm.metadata.managedFields);
});

test('reset fields: status is never owned through the main resource', () => {
  const pod: any = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
    status: { phase: 'Pending' },
  };
  const mf = updateManagedFields(undefined, pod, {
    manager: 'kubectl-run',
    time: T0,
    apiVersion: 'v1',
    ignoredFields: defaultResetFields(undefined, true),
  });
  assert.deepEqual(mf[0]!.fieldsV1, {
    'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:resources': {} } } },
  });
  // The kubelet writing status through the subresource owns status only.
  const live = withManagedFields({ ...pod, metadata: { ...pod.metadata, uid: 'u' } }, mf);
  const next = structuredClone(live);
  next.status = { phase: 'Running', podIP: '10.0.0.5' };
  next.spec.containers[0].image = 'changed-by-mistake';
  const mf2 = updateManagedFields(live, next, {
    manager: 'kubelet',
    time: T1,
    apiVersion: 'v1',
    subresource: 'status',
    ignoredFields: defaultResetFields('status', true),
  });
  assert.deepEqual(
    mf2.map((e) => [e.manager, e.subresource, e.fieldsV1]),
    [
      ['kubectl-run', undefined, mf[0]!.fieldsV1],
      ['kubelet', 'status', { 'f:status': { 'f:phase': {}, 'f:podIP': {} } }],
    ],
  );
});

test('more than 10 Update managers: the oldest are merged into ancient-changes', () => {
  let cm = write(undefined, configMap({ k0: 'v' }), 'm0', '2024-01-01T00:00:00Z');
  for (let i = 1; i <= 11; i++) {
    const next = structuredClone(cm);
    next.data[`k${i}`] = 'v';
    cm = write(cm, next, `m${i}`, `2024-01-01T00:00:${String(i).padStart(2, '0')}Z`);
  }
  const entries: ManagedFieldsEntry[] = cm.metadata.managedFields;
  assert.equal(entries.length, 10);
  const ancient = entries.find((e) => e.manager === 'ancient-changes')!;
  assert.ok(ancient);
  // m0, m1 and m2 were the oldest: merged, with the time of the last one merged.
  assert.deepEqual(ancient.fieldsV1, { 'f:data': { '.': {}, 'f:k0': {}, 'f:k1': {}, 'f:k2': {} } });
  assert.equal(ancient.time, '2024-01-01T00:00:02Z');
  assert.deepEqual(
    entries.map((e) => e.manager),
    ['ancient-changes', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10', 'm11'],
  );
});

test('decode/encode: identifiers, validation, sort order', () => {
  assert.equal(managerIdentifier({ manager: 'm', operation: 'Update', apiVersion: 'apps/v1' }), '{"manager":"m","operation":"Update","apiVersion":"apps/v1"}');
  assert.equal(managerIdentifier({ manager: 'm', operation: 'Apply', apiVersion: 'apps/v1', subresource: 'status' }), '{"manager":"m","operation":"Apply","subresource":"status"}');
  const list = [
    { manager: 'b', operation: 'Update', apiVersion: 'v1', time: '2024-01-01T00:00:01.5Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } },
    { manager: 'a', operation: 'Update', apiVersion: 'v1', time: '2024-01-01T00:00:01Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:x': {} } },
    { manager: 'z', operation: 'Apply', apiVersion: 'v1', time: '2024-01-01T00:00:09Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:y': {} } },
  ];
  const out = encodeManagedFields(decodeManagedFields(list));
  assert.deepEqual(
    out.map((e) => [e.manager, e.time]),
    [
      ['z', '2024-01-01T00:00:09Z'],
      ['a', '2024-01-01T00:00:01Z'],
      ['b', '2024-01-01T00:00:01Z'],
    ],
  );
  assert.throws(() => decodeManagedFields([{ manager: 'a', operation: 'Patch', apiVersion: 'v1', fieldsType: 'FieldsV1' }]), /operation must be `Apply` or `Update`/);
  assert.throws(() => decodeManagedFields([{ manager: 'a', operation: 'Update', fieldsType: 'FieldsV1' }]), /apiVersion must not be empty/);
  assert.throws(() => decodeManagedFields([{ manager: 'a', operation: 'Update', apiVersion: 'v1' }]), /missing fieldsType in managed fields entry 0/);
  assert.throws(() => decodeManagedFields([{ manager: 'a', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV2' }]), /invalid fieldsType "FieldsV2"/);
});

test('objects that do not fit the schema keep their stored managedFields', () => {
  const dep = deployment();
  const live = withManagedFields({ ...dep, metadata: { ...dep.metadata, uid: 'u' } }, updateManagedFields(undefined, dep, { manager: 'c', time: T0, apiVersion: 'apps/v1' }));
  const broken = structuredClone(live);
  broken.spec.template.spec.containers.push(null);
  assert.deepEqual(updateManagedFields(live, broken, { manager: 'x', time: T1, apiVersion: 'apps/v1' }), live.metadata.managedFields);
});

test('list items: adding a container gives the writer the item, changing one field moves that field only', () => {
  const dep = deployment();
  let live = withManagedFields({ ...dep, metadata: { ...dep.metadata, uid: 'u' } }, updateManagedFields(undefined, dep, { manager: 'kubectl-create', time: T0, apiVersion: 'apps/v1' }));
  const next = structuredClone(live);
  next.spec.template.spec.containers[0].image = 'nginx:1.28';
  next.spec.template.spec.containers.push({ name: 'sidecar', image: 'busybox' });
  live = withManagedFields(next, updateManagedFields(live, next, { manager: 'kubectl-edit', time: T1, apiVersion: 'apps/v1' }));
  const edit = live.metadata.managedFields.find((e: ManagedFieldsEntry) => e.manager === 'kubectl-edit');
  assert.deepEqual(edit.fieldsV1, {
    'f:spec': {
      'f:template': {
        'f:spec': {
          'f:containers': {
            'k:{"name":"sidecar"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:resources': {} },
            'k:{"name":"web"}': { 'f:image': {} },
          },
        },
      },
    },
  });
  const create = live.metadata.managedFields.find((e: ManagedFieldsEntry) => e.manager === 'kubectl-create');
  const containers = create.fieldsV1['f:spec']['f:template']['f:spec']['f:containers'];
  assert.deepEqual(Object.keys(containers['k:{"name":"web"}']), ['.', 'f:name', 'f:ports', 'f:resources']);
});

test('kubectl create deployment, then the controller: the entries a real cluster shows', () => {
  // The object as kube-apiserver has it after decoding and defaulting `kubectl create deployment nginx --image=nginx`.
  const created: any = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', namespace: 'default', creationTimestamp: null, labels: { app: 'nginx' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'nginx' } },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'nginx' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx',
              resources: {},
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              imagePullPolicy: 'Always',
            },
          ],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          securityContext: {},
          schedulerName: 'default-scheduler',
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: {},
  };
  const reset = defaultResetFields(undefined, true);
  const mf = updateManagedFields(undefined, created, { manager: 'kubectl-create', time: T0, apiVersion: 'apps/v1', ignoredFields: reset });
  assert.deepEqual(mf[0]!.fieldsV1, {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': {
      'f:progressDeadlineSeconds': {},
      'f:replicas': {},
      'f:revisionHistoryLimit': {},
      'f:selector': {},
      'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} }, 'f:type': {} },
      'f:template': {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:containers': {
            'k:{"name":"nginx"}': {
              '.': {},
              'f:image': {},
              'f:imagePullPolicy': {},
              'f:name': {},
              'f:resources': {},
              'f:terminationMessagePath': {},
              'f:terminationMessagePolicy': {},
            },
          },
          'f:dnsPolicy': {},
          'f:restartPolicy': {},
          'f:schedulerName': {},
          'f:securityContext': {},
          'f:terminationGracePeriodSeconds': {},
        },
      },
    },
  });
  // The deployment controller annotates the object, then writes status through the subresource.
  let live = withManagedFields({ ...created, metadata: { ...created.metadata, uid: 'u', creationTimestamp: T0 } }, mf);
  const annotated = structuredClone(live);
  annotated.metadata.annotations = { 'deployment.kubernetes.io/revision': '1' };
  annotated.metadata.generation = 1;
  live = withManagedFields(annotated, updateManagedFields(live, annotated, { manager: 'kube-controller-manager', time: T1, apiVersion: 'apps/v1', ignoredFields: reset }));
  const withStatus = structuredClone(live);
  withStatus.status = {
    observedGeneration: 1,
    replicas: 1,
    conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }],
  };
  live = withManagedFields(
    withStatus,
    updateManagedFields(live, withStatus, {
      manager: 'kube-controller-manager',
      time: T2,
      apiVersion: 'apps/v1',
      subresource: 'status',
      ignoredFields: defaultResetFields('status', true),
    }),
  );
  assert.deepEqual(
    live.metadata.managedFields.map((e: ManagedFieldsEntry) => [e.manager, e.subresource, e.time, e.fieldsV1]),
    [
      ['kubectl-create', undefined, T0, mf[0]!.fieldsV1],
      ['kube-controller-manager', undefined, T1, { 'f:metadata': { 'f:annotations': { '.': {}, 'f:deployment.kubernetes.io/revision': {} } } }],
      [
        'kube-controller-manager',
        'status',
        T2,
        {
          'f:status': {
            // Go always writes a condition's times (null when unset), so the writer owns them.
            'f:conditions': {
              '.': {},
              'k:{"type":"Available"}': {
                '.': {},
                'f:lastTransitionTime': {},
                'f:lastUpdateTime': {},
                'f:reason': {},
                'f:status': {},
                'f:type': {},
              },
            },
            'f:observedGeneration': {},
            'f:replicas': {},
          },
        },
      ],
    ],
  );
});
