import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_RESOURCES, type ResourceInfo } from '../registry.js';
import { applyDefaults, prepareNamespaceForCreate } from './index.js';

function info(group: string, kind: string, version?: string): ResourceInfo {
  const r = BUILTIN_RESOURCES.find((x) => x.group === group && x.kind === kind && (!version || x.version === version));
  if (!r) throw new Error(`no ${group}/${kind}`);
  return r;
}

function defaulted(group: string, kind: string, obj: any): any {
  const i = info(group, kind);
  applyDefaults(i, obj);
  // idempotent
  const again = JSON.parse(JSON.stringify(obj));
  applyDefaults(i, again);
  assert.deepEqual(again, obj, 'applyDefaults must be idempotent');
  return obj;
}

const CONTAINER_DEFAULTS = {
  imagePullPolicy: 'IfNotPresent',
  resources: {},
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
};

const POD_SPEC_DEFAULTS = {
  dnsPolicy: 'ClusterFirst',
  restartPolicy: 'Always',
  schedulerName: 'default-scheduler',
  securityContext: {},
  terminationGracePeriodSeconds: 30,
};

test('pod snapshot', () => {
  const pod = defaulted('', 'Pod', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'nginx',
          ports: [{ containerPort: 80 }],
          env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          resources: { limits: { cpu: '0.5', memory: '1024Mi' } },
          livenessProbe: { httpGet: { port: 80 } },
          readinessProbe: { exec: { command: ['true'] }, periodSeconds: 5 },
        },
        { name: 'side', image: 'busybox:1.36' },
      ],
      volumes: [
        { name: 'cfg', configMap: { name: 'c' } },
        { name: 'sec', secret: { secretName: 's' } },
        { name: 'tmp' },
        { name: 'host', hostPath: { path: '/var/log' } },
      ],
    },
  });
  assert.deepEqual(pod, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      ...POD_SPEC_DEFAULTS,
      enableServiceLinks: true,
      containers: [
        {
          name: 'web',
          image: 'nginx',
          imagePullPolicy: 'Always',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          env: [{ name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
          resources: { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } },
          livenessProbe: { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
          readinessProbe: { exec: { command: ['true'] }, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
        },
        { name: 'side', image: 'busybox:1.36', ...CONTAINER_DEFAULTS },
      ],
      volumes: [
        { name: 'cfg', configMap: { name: 'c', defaultMode: 420 } },
        { name: 'sec', secret: { secretName: 's', defaultMode: 420 } },
        { name: 'tmp', emptyDir: {} },
        { name: 'host', hostPath: { path: '/var/log', type: '' } },
      ],
    },
  });
});

test('image pull policy follows the tag', () => {
  const pull = (image: string) => defaulted('', 'Pod', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image }] } }).spec.containers[0].imagePullPolicy;
  assert.equal(pull('nginx'), 'Always');
  assert.equal(pull('nginx:latest'), 'Always');
  assert.equal(pull('nginx:1.27'), 'IfNotPresent');
  assert.equal(pull('registry:5000/app'), 'Always');
  assert.equal(pull('registry:5000/app:v2'), 'IfNotPresent');
  assert.equal(pull('nginx@sha256:abcd'), 'IfNotPresent');
});

test('hostNetwork pods get hostPort = containerPort', () => {
  const p = defaulted('', 'Pod', { metadata: { name: 'p' }, spec: { hostNetwork: true, containers: [{ name: 'c', image: 'i:1', ports: [{ containerPort: 53 }] }] } });
  assert.deepEqual(p.spec.containers[0].ports, [{ containerPort: 53, hostPort: 53, protocol: 'TCP' }]);
});

test('deployment snapshot', () => {
  const d = defaulted('apps', 'Deployment', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    },
  });
  assert.deepEqual(d.spec, {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
    revisionHistoryLimit: 10,
    progressDeadlineSeconds: 600,
    template: {
      metadata: { creationTimestamp: null, labels: { app: 'web' } },
      spec: { ...POD_SPEC_DEFAULTS, containers: [{ name: 'web', image: 'nginx:1.27', ...CONTAINER_DEFAULTS }] },
    },
  });
  // templates do not get pod-only defaults
  assert.equal(d.spec.template.spec.enableServiceLinks, undefined);
  const recreate = defaulted('apps', 'Deployment', { metadata: { name: 'r' }, spec: { strategy: { type: 'Recreate' }, template: {} } });
  assert.deepEqual(recreate.spec.strategy, { type: 'Recreate' });
});

test('replicaset, daemonset, statefulset, replicationcontroller', () => {
  const rs = defaulted('apps', 'ReplicaSet', { metadata: { name: 'r' }, spec: { template: { spec: { containers: [] } } } });
  assert.equal(rs.spec.replicas, 1);
  const ds = defaulted('apps', 'DaemonSet', { metadata: { name: 'd' }, spec: { template: { spec: {} } } });
  assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(ds.spec.revisionHistoryLimit, 10);
  const sts = defaulted('apps', 'StatefulSet', {
    metadata: { name: 's' },
    spec: { template: { spec: {} }, volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1024Mi' } } } }] },
  });
  assert.deepEqual(
    { ...sts.spec, template: undefined },
    {
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      replicas: 1,
      revisionHistoryLimit: 10,
      template: undefined,
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'data', creationTimestamp: null },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' },
          status: { phase: 'Pending' },
        },
      ],
    },
  );
  const rc = defaulted('', 'ReplicationController', { metadata: { name: 'rc' }, spec: { template: { metadata: { labels: { a: 'b' } }, spec: {} } } });
  assert.deepEqual(rc.spec.selector, { a: 'b' });
  assert.deepEqual(rc.metadata.labels, { a: 'b' });
  assert.equal(rc.spec.replicas, 1);
});

test('service snapshot', () => {
  const s = defaulted('', 'Service', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }, { name: 'x', port: 81, targetPort: 'http' }] } });
  assert.deepEqual(s.spec, {
    selector: { app: 'web' },
    ports: [
      { port: 80, protocol: 'TCP', targetPort: 80 },
      { name: 'x', port: 81, targetPort: 'http', protocol: 'TCP' },
    ],
    sessionAffinity: 'None',
    type: 'ClusterIP',
    internalTrafficPolicy: 'Cluster',
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv4'],
  });
  const lb = defaulted('', 'Service', { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }], clusterIP: '10.0.0.5' } });
  assert.equal(lb.spec.externalTrafficPolicy, 'Cluster');
  assert.equal(lb.spec.allocateLoadBalancerNodePorts, true);
  assert.deepEqual(lb.spec.clusterIPs, ['10.0.0.5']);
  const en = defaulted('', 'Service', { metadata: { name: 'en' }, spec: { type: 'ExternalName', externalName: 'x.example.com' } });
  assert.deepEqual(en.spec, { type: 'ExternalName', externalName: 'x.example.com', sessionAffinity: 'None' });
  const headless = defaulted('', 'Service', { metadata: { name: 'h' }, spec: { clusterIP: 'None' } });
  assert.equal(headless.spec.ipFamilyPolicy, 'RequireDualStack');
  assert.deepEqual(headless.spec.ipFamilies, ['IPv4', 'IPv6']);
  const sticky = defaulted('', 'Service', { metadata: { name: 's' }, spec: { sessionAffinity: 'ClientIP', ports: [{ port: 1 }] } });
  assert.deepEqual(sticky.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
});

test('job snapshot', () => {
  const j = defaulted('batch', 'Job', {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default' },
    spec: { template: { metadata: { labels: { app: 'pi' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34' }] } } },
  });
  assert.deepEqual(j, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', labels: { app: 'pi' } },
    spec: {
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      manualSelector: false,
      template: {
        metadata: { labels: { app: 'pi' }, creationTimestamp: null },
        spec: { ...POD_SPEC_DEFAULTS, restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34', ...CONTAINER_DEFAULTS }] },
      },
    },
  });
  const par = defaulted('batch', 'Job', { metadata: { name: 'p' }, spec: { parallelism: 3, template: {} } });
  assert.equal(par.spec.completions, undefined);
  assert.equal(par.spec.parallelism, 3);
});

test('cronjob defaults', () => {
  const cj = defaulted('batch', 'CronJob', {
    metadata: { name: 'c' },
    spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } } },
  });
  assert.equal(cj.spec.concurrencyPolicy, 'Allow');
  assert.equal(cj.spec.suspend, false);
  assert.equal(cj.spec.successfulJobsHistoryLimit, 3);
  assert.equal(cj.spec.failedJobsHistoryLimit, 1);
  assert.deepEqual(cj.spec.jobTemplate.metadata, { creationTimestamp: null });
  assert.equal(cj.spec.jobTemplate.spec.template.spec.dnsPolicy, 'ClusterFirst');
  assert.equal(cj.spec.jobTemplate.spec.template.spec.containers[0].imagePullPolicy, 'Always');
  // JobSpec-level defaults are not applied to templates
  assert.equal(cj.spec.jobTemplate.spec.backoffLimit, undefined);
});

test('namespace, secret, pvc, pv, storage class, role binding', () => {
  const ns = defaulted('', 'Namespace', { metadata: { name: 'team-a' } });
  assert.deepEqual(ns.metadata.labels, { 'kubernetes.io/metadata.name': 'team-a' });
  // the `kubernetes` finalizer is a create-time step, not a default, so a removed one is not re-added
  assert.equal(ns.spec?.finalizers, undefined);
  const created = { metadata: { name: 'x' } } as any;
  prepareNamespaceForCreate(created);
  assert.deepEqual(created.spec.finalizers, ['kubernetes']);

  const sec = defaulted('', 'Secret', { metadata: { name: 's' }, stringData: { password: 'hunter2' }, data: { user: 'YWRtaW4=' } });
  assert.deepEqual(sec, { metadata: { name: 's' }, type: 'Opaque', data: { user: 'YWRtaW4=', password: 'aHVudGVyMg==' } });

  const pvc = defaulted('', 'PersistentVolumeClaim', { metadata: { name: 'c' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1000Mi' } } } });
  assert.equal(pvc.spec.volumeMode, 'Filesystem');
  assert.equal(pvc.spec.resources.requests.storage, '1000Mi');

  const pv = defaulted('', 'PersistentVolume', { metadata: { name: 'v' }, spec: { capacity: { storage: '1Gi' }, hostPath: { path: '/d' } } });
  assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Retain');
  assert.equal(pv.spec.volumeMode, 'Filesystem');

  const sc = defaulted('storage.k8s.io', 'StorageClass', { metadata: { name: 'local' }, provisioner: 'example.com/p' });
  assert.equal(sc.reclaimPolicy, 'Delete');
  assert.equal(sc.volumeBindingMode, 'Immediate');

  const rb = defaulted('rbac.authorization.k8s.io', 'RoleBinding', {
    metadata: { name: 'rb' },
    roleRef: { kind: 'Role', name: 'r' },
    subjects: [{ kind: 'User', name: 'a' }, { kind: 'ServiceAccount', name: 'sa' }],
  });
  assert.equal(rb.roleRef.apiGroup, 'rbac.authorization.k8s.io');
  assert.deepEqual(rb.subjects, [{ kind: 'User', name: 'a', apiGroup: 'rbac.authorization.k8s.io' }, { kind: 'ServiceAccount', name: 'sa' }]);
});

test('kinds without defaults and custom resources are untouched', () => {
  const cm = { metadata: { name: 'c' }, data: { a: 'b' } };
  applyDefaults(info('', 'ConfigMap'), cm);
  assert.deepEqual(cm, { metadata: { name: 'c' }, data: { a: 'b' } });
  const lease = { metadata: { name: 'l' }, spec: { holderIdentity: 'x' } };
  applyDefaults(info('coordination.k8s.io', 'Lease'), lease);
  assert.deepEqual(lease, { metadata: { name: 'l' }, spec: { holderIdentity: 'x' } });
  const cr = { spec: { x: 1 } };
  applyDefaults({ ...info('', 'Pod'), group: 'example.com', kind: 'Widget' }, cr);
  assert.deepEqual(cr, { spec: { x: 1 } });
});
