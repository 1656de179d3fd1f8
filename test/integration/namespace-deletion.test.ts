// Deleting a namespace with a hundred objects of ten kinds through kubectl:
// the namespace goes Terminating with upstream's status conditions, waits
// for content held by a finalizer, and once that is released disappears
// with nothing of it left.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKts, eventually, type KtsProcess } from './harness.js';

let kts: KtsProcess;

before(async () => {
  kts = await startKts({ storage: 'memory', extraArgs: ['--sim-nodes', '2'] });
});
after(async () => {
  await kts?.stop();
});

const NS = 'big';
const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`;

/** Ten of each of ten kinds; widget-0 carries a finalizer nobody serves. */
function objects(): any[] {
  const out: any[] = [];
  const meta = (name: string, extra: object = {}) => ({ name, namespace: NS, ...extra });
  const podSpec = (name: string) => ({ containers: [{ name: 'c', image: 'busybox:1.36' }], ...(name.startsWith('job') ? { restartPolicy: 'Never' } : {}) });
  for (let i = 0; i < 10; i++) {
    out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`cm-${i}`), data: { i: String(i) } });
    out.push({ apiVersion: 'v1', kind: 'Secret', metadata: meta(`secret-${i}`), stringData: { i: String(i) } });
    out.push({ apiVersion: 'v1', kind: 'Service', metadata: meta(`svc-${i}`), spec: { selector: { app: `deploy-${i}` }, ports: [{ port: 80 }] } });
    out.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(`deploy-${i}`),
      spec: { replicas: 1, selector: { matchLabels: { app: `deploy-${i}` } }, template: { metadata: { labels: { app: `deploy-${i}` } }, spec: podSpec('deploy') } },
    });
    out.push({ apiVersion: 'batch/v1', kind: 'Job', metadata: meta(`job-${i}`), spec: { template: { spec: podSpec('job') } } });
    out.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(`sa-${i}`) });
    out.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(`role-${i}`), rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] });
    out.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(`rb-${i}`),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `role-${i}` },
      subjects: [{ kind: 'ServiceAccount', name: `sa-${i}`, namespace: NS }],
    });
    out.push({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta(`pvc-${i}`), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    out.push({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: meta(`widget-${i}`, i === 0 ? { finalizers: ['example.com/hold'] } : {}), spec: { size: i } });
  }
  return out;
}

const KINDS = 'all,configmaps,secrets,serviceaccounts,roles,rolebindings,persistentvolumeclaims,widgets,endpoints,endpointslices,replicasets,jobs,pods';

test('a namespace with 100 objects of 10 kinds deletes cleanly', async () => {
  await kts.k(['apply', '-f', '-'], CRD);
  await kts.k(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=10s']);
  await kts.k(['create', 'namespace', NS]);
  const items = objects();
  assert.equal(items.length, 100);
  const created = await kts.k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  assert.equal(created.trim().split('\n').length, 100);
  // The controllers add their own: ReplicaSets and pods, Job pods, Endpoints.
  await eventually('20 pods', async () => {
    const pods = (await kts.k(['get', 'pods', '-n', NS, '-o', 'name'])).trim().split('\n').filter(Boolean);
    return pods.length === 20 ? pods : undefined;
  });

  assert.equal((await kts.k(['delete', 'namespace', NS, '--wait=false'])).trim(), `namespace "${NS}" deleted`);
  // Everything goes but the widget held by its finalizer; the namespace says so.
  const ns = await eventually('the namespace waiting on the finalizer', async () => {
    const n = JSON.parse(await kts.k(['get', 'namespace', NS, '-o', 'json']));
    const c = (n.status.conditions ?? []).find((x: any) => x.type === 'NamespaceFinalizersRemaining');
    return c?.status === 'True' && (n.status.conditions ?? []).find((x: any) => x.type === 'NamespaceContentRemaining')?.message === 'Some resources are remaining: widgets.example.com has 1 resource instances' ? n : undefined;
  });
  assert.equal(ns.status.phase, 'Terminating');
  assert.ok(ns.metadata.deletionTimestamp);
  assert.deepEqual(ns.spec.finalizers, ['kubernetes']);
  assert.deepEqual(
    ns.status.conditions.map((c: any) => [c.type, c.status, c.reason, c.message]),
    [
      ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered', 'All resources successfully discovered'],
      ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
      ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
      ['NamespaceContentRemaining', 'True', 'SomeResourcesRemain', 'Some resources are remaining: widgets.example.com has 1 resource instances'],
      ['NamespaceFinalizersRemaining', 'True', 'SomeFinalizersRemain', 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances'],
    ],
  );
  assert.match(await kts.k(['get', 'namespace', NS]), new RegExp(`\\n${NS}\\s+Terminating\\s+\\d+s\\n$`));
  // Creating in a terminating namespace is refused.
  const refused = await kts.kubectl(['create', 'configmap', 'late', '-n', NS]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, new RegExp(`configmaps "late" is forbidden: unable to create new content in namespace ${NS} because it is being terminated`));
  assert.equal((await kts.k(['get', KINDS, '-n', NS, '-o', 'name'])).trim(), 'widget.example.com/widget-0');

  // Releasing the finalizer lets the namespace go.
  await kts.k(['patch', 'widget', 'widget-0', '-n', NS, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  await eventually('the namespace gone', async () => {
    const r = await kts.kubectl(['get', 'namespace', NS]);
    return r.code !== 0 ? r : undefined;
  });
  const gone = await kts.kubectl(['get', 'namespace', NS]);
  assert.equal(gone.stderr.trim(), `Error from server (NotFound): namespaces "${NS}" not found`);
  const left = await kts.k(['get', `${KINDS},events`, '-A', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}{"\\n"}{end}']);
  assert.deepEqual(left.split('\n').filter((n) => n === NS), []);
});
