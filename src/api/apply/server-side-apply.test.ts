import { test } from 'node:test';
import assert from 'node:assert/strict';

import { PatchError } from '../patch/errors.js';
import { updateManagedFields, withManagedFields, defaultResetFields, type ManagedFieldsEntry } from './managed-fields.js';
import {
  ApplyError,
  LAST_APPLIED_ANNOTATION,
  conflictCauses,
  conflictMessage,
  conflictStatus,
  serverSideApply,
  type ApplyConflict,
  type ServerSideApplyOptions,
} from './server-side-apply.js';

const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };
const CONFIGMAP = { group: '', version: 'v1', kind: 'ConfigMap' };
const T0 = '2024-05-01T10:00:00Z';
const T1 = '2024-05-01T10:05:00Z';
const T2 = '2024-05-01T10:10:00Z';

function opts(manager: string, extra: Partial<ServerSideApplyOptions> = {}): ServerSideApplyOptions {
  return { manager, force: false, gvk: DEPLOYMENT, time: T1, apiVersion: 'apps/v1', ...extra };
}

interface Container {
  name: string;
  image: string;
  [k: string]: unknown;
}

function deployment(spec: { replicas?: number; containers?: Container[]; labels?: Record<string, string> } = {}): any {
  const d: any = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', ...(spec.labels ? { labels: spec.labels } : {}) },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: spec.containers ?? [{ name: 'web', image: 'nginx:1.27' }] },
      },
    },
  };
  if (spec.replicas !== undefined) d.spec.replicas = spec.replicas;
  return d;
}

/** Stores an apply result as the API server would (uid, resourceVersion). */
function store(result: ReturnType<typeof serverSideApply>): any {
  assert.ok(result.object, `expected an object, got conflicts ${JSON.stringify(result.conflicts)}`);
  const o = structuredClone(result.object);
  o.metadata.uid ??= 'uid-1';
  o.metadata.creationTimestamp ??= T0;
  return o;
}

function entries(obj: any): Array<[string | undefined, string | undefined, unknown]> {
  return (obj.metadata.managedFields as ManagedFieldsEntry[]).map((e) => [e.manager, e.operation, e.fieldsV1]);
}

test('apply creates the object, owned by the applier', () => {
  const r = serverSideApply(undefined, deployment({ replicas: 3, labels: { app: 'web' } }), opts('kubectl', { time: T0 }));
  const obj = store(r);
  assert.equal(obj.spec.replicas, 3);
  assert.deepEqual(obj.spec.template.spec.containers, [{ name: 'web', image: 'nginx:1.27' }]);
  assert.deepEqual(obj.metadata.managedFields, [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T0,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
          },
        },
      },
    },
  ]);
});

test('re-applying without a field removes it; re-applying the same configuration is a no-op', () => {
  const first = store(
    serverSideApply(
      undefined,
      deployment({ replicas: 3, labels: { app: 'web', tier: 'frontend' }, containers: [{ name: 'web', image: 'nginx', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }] }),
      opts('kubectl', { time: T0 }),
    ),
  );
  const second = store(
    serverSideApply(first, deployment({ labels: { app: 'web' }, containers: [{ name: 'web', image: 'nginx', env: [{ name: 'B', value: '2' }] }] }), opts('kubectl')),
  );
  assert.deepEqual(second.metadata.labels, { app: 'web' });
  assert.equal(second.spec.replicas, undefined);
  assert.deepEqual(second.spec.template.spec.containers[0].env, [{ name: 'B', value: '2' }]);
  assert.equal(second.metadata.managedFields[0].time, T1);

  // Same configuration again: nothing changes, not even the time.
  const third = serverSideApply(
    second,
    deployment({ labels: { app: 'web' }, containers: [{ name: 'web', image: 'nginx', env: [{ name: 'B', value: '2' }] }] }),
    opts('kubectl', { time: T2 }),
  );
  assert.deepEqual(third.object, second);
});

test('two appliers on different fields coexist', () => {
  const base = store(serverSideApply(undefined, deployment({ replicas: 2 }), opts('app-team', { time: T0 })));
  const scaled = store(
    serverSideApply(base, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { owner: 'ops' } } }, opts('ops')),
  );
  assert.deepEqual(scaled.metadata.labels, { owner: 'ops' });
  assert.equal(scaled.spec.replicas, 2);
  assert.deepEqual(
    entries(scaled).map(([m, op]) => [m, op]),
    [
      ['app-team', 'Apply'],
      ['ops', 'Apply'],
    ],
  );
  assert.deepEqual(entries(scaled)[1]![2], { 'f:metadata': { 'f:labels': { 'f:owner': {} } } });

  // The first applier re-applies without knowing about the label: it stays.
  const again = store(serverSideApply(scaled, deployment({ replicas: 4 }), opts('app-team', { time: T2 })));
  assert.deepEqual(again.metadata.labels, { owner: 'ops' });
  assert.equal(again.spec.replicas, 4);
});

test('applying the value a field already has shares it; one owner stopping does not remove it', () => {
  const a = store(serverSideApply(undefined, deployment({ replicas: 2 }), opts('a', { time: T0 })));
  const shared = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } };
  const ab = store(serverSideApply(a, shared, opts('b')));
  // The object did not change, so (as upstream) b's entry gets no time, which sorts it first.
  assert.deepEqual(ab.metadata.managedFields[0], {
    manager: 'b',
    operation: 'Apply',
    apiVersion: 'apps/v1',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:spec': { 'f:replicas': {} } },
  });
  assert.equal(ab.metadata.managedFields[1].manager, 'a');
  const aWithout = store(serverSideApply(ab, deployment(), opts('a', { time: T2 })));
  assert.equal(aWithout.spec.replicas, 2);
  // Now b stops too: the field goes.
  const bWithout = store(serverSideApply(aWithout, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }, opts('b', { time: T2 })));
  assert.equal(bWithout.spec.replicas, undefined);
});

/** A Deployment created by `kubectl apply` (client-side): an Update entry of kubectl-client-side-apply and the annotation. */
function clientSideApplied(replicas: number): any {
  const cfg = deployment({ replicas });
  const annotated = structuredClone(cfg);
  annotated.metadata.annotations = { [LAST_APPLIED_ANNOTATION]: JSON.stringify(cfg) + '\n' };
  const mf = updateManagedFields(undefined, annotated, { manager: 'kubectl-client-side-apply', time: T0, apiVersion: 'apps/v1' });
  const stored = withManagedFields(annotated, mf);
  stored.metadata.uid = 'uid-1';
  return stored;
}

test('conflict on .spec.replicas with kubectl-client-side-apply: conflict list, message and Status', () => {
  const live = clientSideApplied(1);
  const r = serverSideApply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3 } }, opts('deployer'));
  assert.ok(r.conflicts);
  assert.deepEqual(
    r.conflicts.map(({ manager, operation, apiVersion, field }) => ({ manager, operation, apiVersion, field })),
    [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1', field: '.spec.replicas' }],
  );
  assert.equal(
    conflictMessage(r.conflicts, 'deployments', 'web'),
    'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
  );
  assert.deepEqual(conflictCauses(r.conflicts), [
    { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' },
  ]);
  assert.deepEqual(conflictStatus(r.conflicts), {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    reason: 'Conflict',
    details: {
      causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }],
    },
    code: 409,
  });
  // Applying the same value is not a conflict.
  assert.ok(serverSideApply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 1 } }, opts('deployer')).object);
});

test('several conflicts: one line per field, grouped by manager', () => {
  const live = clientSideApplied(1);
  const cfg = deployment({ replicas: 3, containers: [{ name: 'web', image: 'nginx:1.28' }] });
  const r = serverSideApply(live, cfg, opts('deployer'));
  assert.ok(r.conflicts);
  assert.equal(
    conflictMessage(r.conflicts),
    'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n' +
      '- .spec.replicas\n' +
      '- .spec.template.spec.containers[name="web"].image',
  );
  const mixed: ApplyConflict[] = [
    { manager: 'b', operation: 'Apply', field: '.data.x', path: [] },
    { manager: 'a', operation: 'Update', apiVersion: 'v1', subresource: 'status', field: '.data.y', path: [] },
  ];
  assert.equal(
    conflictMessage(mixed),
    'Apply failed with 2 conflicts: conflicts with "a" with subresource "status" using v1:\n- .data.y\nconflicts with "b":\n- .data.x',
  );
});

test('force takes the conflicting fields over', () => {
  const live = clientSideApplied(1);
  const r = serverSideApply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3 } }, opts('deployer', { force: true }));
  const obj = store(r);
  assert.equal(obj.spec.replicas, 3);
  const [deployer, csa] = obj.metadata.managedFields as ManagedFieldsEntry[];
  assert.deepEqual([deployer!.manager, deployer!.operation, deployer!.fieldsV1], ['deployer', 'Apply', { 'f:spec': { 'f:replicas': {} } }]);
  assert.equal(csa!.manager, 'kubectl-client-side-apply');
  assert.equal((csa!.fieldsV1 as any)['f:spec']['f:replicas'], undefined);
  assert.ok((csa!.fieldsV1 as any)['f:spec']['f:selector']);
  // The previous owner of a forced field now conflicts in turn with the new owner.
  const back = serverSideApply(obj, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 5 } }, opts('other'));
  assert.deepEqual(back.conflicts?.map((c) => [c.manager, c.operation, c.field]), [['deployer', 'Apply', '.spec.replicas']]);
});

test('upgrade from client-side apply: kubectl takes over fields that still match last-applied, and rewrites the annotation', () => {
  const live = clientSideApplied(1);
  const cfg = deployment({ replicas: 3 });
  const r = serverSideApply(live, cfg, opts('kubectl'));
  const obj = store(r);
  assert.equal(obj.spec.replicas, 3);
  const kubectl = (obj.metadata.managedFields as ManagedFieldsEntry[]).find((e) => e.manager === 'kubectl')!;
  assert.equal(kubectl.operation, 'Apply');
  assert.deepEqual((kubectl.fieldsV1 as any)['f:spec']['f:replicas'], {});
  const csa = (obj.metadata.managedFields as ManagedFieldsEntry[]).find((e) => e.manager === 'kubectl-client-side-apply')!;
  assert.equal((csa.fieldsV1 as any)['f:spec']['f:replicas'], undefined);
  assert.equal(
    obj.metadata.annotations[LAST_APPLIED_ANNOTATION],
    '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1.27","name":"web"}]}}}}\n',
  );

  // When the live value no longer matches the annotation (someone else changed it), it is a conflict.
  const drifted = structuredClone(live);
  drifted.spec.replicas = 7;
  const d = serverSideApply(drifted, cfg, opts('kubectl'));
  assert.deepEqual(d.conflicts?.map((c) => [c.manager, c.field]), [['kubectl-client-side-apply', '.spec.replicas']]);
  // Other field managers get no such allowance.
  assert.ok(serverSideApply(live, cfg, opts('helm')).conflicts);
});

test('keyed list merge: containers by name, each owned by whoever applied it', () => {
  const a = store(serverSideApply(undefined, deployment({ containers: [{ name: 'web', image: 'nginx:1.27' }] }), opts('app', { time: T0 })));
  const sidecar = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { template: { spec: { containers: [{ name: 'proxy', image: 'envoy:1', ports: [{ containerPort: 9901 }] }] } } },
  };
  const ab = store(serverSideApply(a, sidecar, opts('mesh')));
  assert.deepEqual(
    ab.spec.template.spec.containers.map((c: Container) => c.name),
    ['web', 'proxy'],
  );
  assert.deepEqual(entries(ab)[1], [
    'mesh',
    'Apply',
    {
      'f:spec': {
        'f:template': {
          'f:spec': {
            'f:containers': {
              'k:{"name":"proxy"}': {
                '.': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":9901,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    },
  ]);

  // The app team updates its own container: the sidecar stays, in place.
  const updated = store(
    serverSideApply(ab, deployment({ containers: [{ name: 'web', image: 'nginx:1.28', args: ['-g', 'daemon off;'] }] }), opts('app', { time: T2 })),
  );
  assert.deepEqual(updated.spec.template.spec.containers, [
    { name: 'web', image: 'nginx:1.28', args: ['-g', 'daemon off;'] },
    { name: 'proxy', image: 'envoy:1', ports: [{ containerPort: 9901 }] },
  ]);
  // Changing the other team's container is a conflict on that container's field only.
  const grab = serverSideApply(updated, deployment({ containers: [{ name: 'web', image: 'nginx:1.28' }, { name: 'proxy', image: 'envoy:2' }] }), opts('app'));
  assert.deepEqual(grab.conflicts?.map((c) => [c.manager, c.field]), [['mesh', '.spec.template.spec.containers[name="proxy"].image']]);
  // The mesh removes its sidecar: it goes, the app container stays.
  const removed = store(serverSideApply(updated, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }, opts('mesh', { time: T2 })));
  assert.deepEqual(removed.spec.template.spec.containers.map((c: Container) => c.name), ['web']);
  assert.deepEqual(entries(removed).map(([m]) => m), ['app']);
});

test('list merge order follows the configuration, live-only items keep their place', () => {
  const live = store(
    serverSideApply(
      undefined,
      deployment({ containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }, { name: 'c', image: 'x' }] }),
      opts('one', { time: T0 }),
    ),
  );
  const other = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }, { name: 'd', image: 'y' }, { name: 'a', image: 'x' }] } } },
  };
  const merged = store(serverSideApply(live, other, opts('two')));
  assert.deepEqual(merged.spec.template.spec.containers.map((c: Container) => c.name), ['b', 'c', 'd', 'a']);
});

test('sets (finalizers) merge by value; maps merge by key', () => {
  const cm = (meta: Record<string, unknown>, data?: Record<string, string>): any => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', ...meta },
    ...(data ? { data } : {}),
  });
  const o = (m: string, extra: Partial<ServerSideApplyOptions> = {}): ServerSideApplyOptions => ({ ...opts(m), gvk: CONFIGMAP, apiVersion: 'v1', ...extra });
  const a = store(serverSideApply(undefined, cm({ finalizers: ['example.com/a'] }, { x: '1' }), o('a', { time: T0 })));
  const ab = store(serverSideApply(a, cm({ finalizers: ['example.com/b'] }, { y: '2' }), o('b')));
  assert.deepEqual(ab.metadata.finalizers, ['example.com/a', 'example.com/b']);
  assert.deepEqual(ab.data, { x: '1', y: '2' });
  assert.deepEqual(entries(ab)[1], ['b', 'Apply', { 'f:data': { 'f:y': {} }, 'f:metadata': { 'f:finalizers': { 'v:"example.com/b"': {} } } }]);
  const aGone = store(serverSideApply(ab, cm({}), o('a', { time: T2 })));
  assert.deepEqual(aGone.metadata.finalizers, ['example.com/b']);
  assert.deepEqual(aGone.data, { y: '2' });
});

test('an object without managedFields: its fields go to before-first-apply', () => {
  const untracked = deployment({ replicas: 1 });
  untracked.metadata.uid = 'uid-1';
  const r = serverSideApply(untracked, deployment({ replicas: 4 }), opts('deployer'));
  assert.deepEqual(r.conflicts?.map((c) => [c.manager, c.operation, c.field]), [['before-first-apply', 'Update', '.spec.replicas']]);
  const forced = store(serverSideApply(untracked, deployment({ replicas: 4 }), opts('deployer', { force: true })));
  assert.deepEqual(
    (forced.metadata.managedFields as ManagedFieldsEntry[]).map((e) => [e.manager, e.operation]),
    [
      ['deployer', 'Apply'],
      ['before-first-apply', 'Update'],
    ],
  );
});

test('the applier owns nothing of status through the main resource', () => {
  const applied = deployment({ replicas: 1 });
  applied.status = { replicas: 9 };
  const r = store(serverSideApply(undefined, applied, opts('kubectl', { ignoredFields: defaultResetFields(undefined, true) })));
  assert.equal((r.metadata.managedFields[0].fieldsV1 as any)['f:status'], undefined);
});

test('custom resources: lists are atomic, objects granular', () => {
  const gvk = { group: 'example.com', version: 'v1', kind: 'Widget' };
  const o = (m: string): ServerSideApplyOptions => ({ manager: m, force: false, gvk, time: T1, apiVersion: 'example.com/v1' });
  const w = (spec: Record<string, unknown>): any => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec });
  const a = store(serverSideApply(undefined, w({ tags: ['a'], size: { cpu: 1 } }), o('a')));
  assert.deepEqual(entries(a)[0]![2], { 'f:spec': { 'f:size': { 'f:cpu': {} }, 'f:tags': {} } });
  const b = serverSideApply(a, w({ tags: ['b'], size: { mem: 2 } }), o('b'));
  assert.deepEqual(b.conflicts?.map((c) => c.field), ['.spec.tags']);
  const b2 = store(serverSideApply(a, w({ size: { mem: 2 } }), o('b')));
  assert.deepEqual(b2.spec, { tags: ['a'], size: { cpu: 1, mem: 2 } });
});

test('a null in the configuration removes a scalar', () => {
  const a = store(serverSideApply(undefined, deployment({ replicas: 2 }), opts('a', { time: T0 })));
  const cfg = deployment();
  cfg.spec.replicas = null;
  const r = store(serverSideApply(a, cfg, opts('a')));
  assert.equal('replicas' in r.spec, false);
});

test('requests upstream refuses', () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } };
  assert.throws(
    () => serverSideApply(undefined, pod, opts('a')),
    (e: unknown) => e instanceof PatchError && e.code === 400 && e.message === 'invalid object type: /v1, Kind=Pod',
  );
  const withMf = deployment();
  withMf.metadata.managedFields = [];
  assert.throws(
    () => serverSideApply(undefined, withMf, opts('a')),
    (e: unknown) => e instanceof PatchError && e.code === 400 && e.message === 'metadata.managedFields must be nil',
  );
  const dup = deployment({ containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }] });
  assert.throws(
    () => serverSideApply(undefined, dup, opts('a')),
    (e: unknown) =>
      e instanceof ApplyError &&
      e.code === 500 &&
      e.message ===
        'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="a"]',
  );
  const nokey = deployment({ containers: [{ image: 'x' } as Container] });
  assert.throws(() => serverSideApply(undefined, nokey, opts('a')), /element 0: associative list with keys has an element that omits all key fields \["name"\]/);
});

test('applying null to a field another manager owns is a conflict; forced, the field goes', () => {
  const live = clientSideApplied(2);
  const cfg = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: null } };
  const r = serverSideApply(live, cfg, opts('deployer'));
  assert.deepEqual(r.conflicts?.map((c) => c.field), ['.spec.replicas']);
  const forced = store(serverSideApply(live, cfg, opts('deployer', { force: true })));
  assert.equal('replicas' in forced.spec, false);
  assert.deepEqual(entries(forced)[0], ['deployer', 'Apply', { 'f:spec': { 'f:replicas': {} } }]);
});

test('a configuration that only spells out zero values changes nothing (the time stays)', () => {
  const a = store(serverSideApply(undefined, deployment({ replicas: 1 }), opts('a', { time: T0 })));
  const cfg = deployment({ replicas: 1, containers: [{ name: 'web', image: 'nginx:1.27', resources: {} }] });
  const r = serverSideApply(a, cfg, opts('a', { time: T2 }));
  assert.equal(r.object.metadata.managedFields[0].time, T0);
  assert.deepEqual(
    (r.object.metadata.managedFields[0].fieldsV1 as any)['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"web"}'],
    { '.': {}, 'f:image': {}, 'f:name': {}, 'f:resources': {} },
  );
});

test('pruning: what only the applier owned goes; a map it still owns but emptied disappears from the object', () => {
  const gvk = { group: '', version: 'v1', kind: 'ConfigMap' };
  const o = (m: string): ServerSideApplyOptions => ({ manager: m, force: false, gvk, time: T1, apiVersion: 'v1' });
  const cm = (metadata: Record<string, unknown>): any => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', ...metadata } });
  const a = store(serverSideApply(undefined, cm({ labels: { x: '1' }, annotations: { y: '2' } }), o('a')));
  const b = store(serverSideApply(a, cm({ labels: {} }), o('a')));
  assert.deepEqual(b.metadata.labels, undefined);
  assert.deepEqual(b.metadata.annotations, undefined);
  assert.deepEqual(entries(b), [['a', 'Apply', { 'f:metadata': { 'f:labels': {} } }]]);
  // Applying nothing but the name: nothing is owned any more, the object has no managedFields.
  const c = store(serverSideApply(b, cm({}), o('a')));
  assert.deepEqual(c.metadata, { name: 'c', uid: 'uid-1', creationTimestamp: T0 });
});
