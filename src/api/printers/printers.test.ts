import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_RESOURCES } from '../registry.js';
import { buildTable, columnsFor, defaultColumns, hasSpecificPrinter, rowCells } from './index.js';

const NOW = new Date('2024-06-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();
const meta = (name: string, extra: any = {}) => ({ name, namespace: 'default', creationTimestamp: ago(5 * 3600), ...extra });

const names = (group: string, resource: string) => columnsFor(group, resource).map((c) => c.name);
const wide = (group: string, resource: string) =>
  columnsFor(group, resource)
    .filter((c) => c.priority > 0)
    .map((c) => c.name);

// ------------------------------------------------------------------ every resource

test('every built-in resource has columns, Name first, and rows of matching length', () => {
  for (const r of BUILTIN_RESOURCES) {
    const cols = columnsFor(r.group, r.resource);
    assert.ok(cols.length >= 2, `${r.group}/${r.resource}`);
    for (const c of cols) {
      assert.equal(typeof c.description, 'string');
      assert.ok(c.description.length > 0, `${r.resource} ${c.name} has a description`);
      assert.ok(c.priority === 0 || c.priority === 1);
    }
    if (r.resource !== 'events') {
      assert.deepEqual([cols[0].name, cols[0].format, cols[0].priority], ['Name', 'name', 0], `${r.group}/${r.resource}`);
    }
    for (const obj of [{}, { metadata: { name: 'x', creationTimestamp: ago(10) } }]) {
      const cells = rowCells(r.group, r.resource, obj, NOW);
      assert.equal(cells.length, cols.length, `${r.group}/${r.resource} cells`);
    }
  }
});

test('resources without an upstream printer get Name / Created At', () => {
  for (const [g, r] of [
    ['rbac.authorization.k8s.io', 'roles'],
    ['rbac.authorization.k8s.io', 'clusterroles'],
    ['', 'limitranges'],
    ['', 'bindings'],
    ['apiextensions.k8s.io', 'customresourcedefinitions'],
    ['example.com', 'widgets'],
    ['', 'constructor'],
  ]) {
    assert.equal(hasSpecificPrinter(g, r), false, r);
    assert.deepEqual(
      columnsFor(g, r).map((c) => [c.name, c.type, c.format]),
      [
        ['Name', 'string', 'name'],
        ['Created At', 'date', ''],
      ],
    );
  }
  const obj = { metadata: { name: 'admin', creationTimestamp: '2024-05-01T10:20:30.123Z' } };
  assert.deepEqual(rowCells('rbac.authorization.k8s.io', 'clusterroles', obj, NOW), ['admin', '2024-05-01T10:20:30Z']);
  assert.deepEqual(rowCells('example.com', 'widgets', { metadata: { name: 'w' } }, NOW), ['w', '0001-01-01T00:00:00Z']);
  assert.deepEqual(defaultColumns(), columnsFor('example.com', 'widgets'));
});

test('columnsFor returns copies', () => {
  columnsFor('', 'pods')[0].name = 'changed';
  assert.equal(columnsFor('', 'pods')[0].name, 'Name');
});

// ------------------------------------------------------------------ services

test('service columns', () => {
  assert.deepEqual(names('', 'services'), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
  assert.deepEqual(wide('', 'services'), ['Selector']);
});

const svcCases: Array<{ name: string; spec: any; status?: any; want: unknown[] }> = [
  {
    name: 'ClusterIP',
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.43.0.10',
      clusterIPs: ['10.43.0.10'],
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      ],
      selector: { 'k8s-app': 'kube-dns' },
    },
    want: ['svc', 'ClusterIP', '10.43.0.10', '<none>', '53/UDP,53/TCP', '5h', 'k8s-app=kube-dns'],
  },
  {
    name: 'ClusterIP with external IPs',
    spec: { type: 'ClusterIP', clusterIPs: ['10.43.0.11'], externalIPs: ['192.0.2.1', '192.0.2.2'], ports: [{ port: 80 }] },
    want: ['svc', 'ClusterIP', '10.43.0.11', '192.0.2.1,192.0.2.2', '80/TCP', '5h', '<none>'],
  },
  {
    name: 'NodePort',
    spec: {
      type: 'NodePort',
      clusterIPs: ['10.43.12.34'],
      ports: [{ port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' }],
      selector: { app: 'web', tier: 'front' },
    },
    want: ['svc', 'NodePort', '10.43.12.34', '<none>', '80:30080/TCP', '5h', 'app=web,tier=front'],
  },
  {
    name: 'LoadBalancer pending',
    spec: { type: 'LoadBalancer', clusterIPs: ['10.43.1.1'], ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] },
    status: { loadBalancer: {} },
    want: ['svc', 'LoadBalancer', '10.43.1.1', '<pending>', '443:31443/TCP', '5h', '<none>'],
  },
  {
    name: 'LoadBalancer with ingress',
    spec: { type: 'LoadBalancer', clusterIPs: ['10.43.1.1'], ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] },
    status: { loadBalancer: { ingress: [{ ip: '203.0.113.9' }, { hostname: 'lb.example.com' }, { ip: '203.0.113.10' }] } },
    want: ['svc', 'LoadBalancer', '10.43.1.1', '203.0.113.10,203.0.113.9,lb.example.com', '443:31443/TCP', '5h', '<none>'],
  },
  {
    name: 'LoadBalancer with ingress and external IPs',
    spec: { type: 'LoadBalancer', clusterIPs: ['10.43.1.1'], externalIPs: ['192.0.2.5'], ports: [{ port: 80, nodePort: 30001 }] },
    status: { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } },
    want: ['svc', 'LoadBalancer', '10.43.1.1', '203.0.113.9,192.0.2.5', '80:30001/TCP', '5h', '<none>'],
  },
  {
    name: 'ExternalName',
    spec: { type: 'ExternalName', externalName: 'db.example.com' },
    want: ['svc', 'ExternalName', '<none>', 'db.example.com', '<none>', '5h', '<none>'],
  },
  {
    name: 'headless',
    spec: { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 5432, protocol: 'TCP' }], selector: { app: 'pg' } },
    want: ['svc', 'ClusterIP', 'None', '<none>', '5432/TCP', '5h', 'app=pg'],
  },
  {
    name: 'dual-stack shows the primary family',
    spec: { type: 'ClusterIP', clusterIP: 'fd00::1', clusterIPs: ['fd00::1', '10.43.0.5'], ports: [{ port: 80, protocol: 'SCTP' }] },
    want: ['svc', 'ClusterIP', 'fd00::1', '<none>', '80/SCTP', '5h', '<none>'],
  },
];

for (const c of svcCases) {
  test(`service: ${c.name}`, () => {
    const svc = { metadata: meta('svc'), spec: c.spec, status: c.status ?? {} };
    assert.deepEqual(rowCells('', 'services', svc, NOW), c.want);
  });
}

// ------------------------------------------------------------------ workloads

const template = (containers: Array<[string, string]>, labels: Record<string, string> = { app: 'web' }) => ({
  metadata: { labels },
  spec: { containers: containers.map(([name, image]) => ({ name, image })) },
});

test('deployment', () => {
  assert.deepEqual(names('apps', 'deployments'), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
  assert.deepEqual(wide('apps', 'deployments'), ['Containers', 'Images', 'Selector']);
  const d = {
    metadata: meta('web'),
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'edge'] }] },
      template: template([
        ['nginx', 'nginx:1.25'],
        ['log', 'busybox'],
      ]),
    },
    status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  };
  assert.deepEqual(rowCells('apps', 'deployments', d, NOW), [
    'web',
    '2/3',
    3,
    2,
    '5h',
    'nginx,log',
    'nginx:1.25,busybox',
    'app=web,tier in (edge,front)',
  ]);
  const fresh = { metadata: meta('new'), spec: { selector: { matchLabels: { app: 'new' } }, template: template([['c', 'i']]) } };
  assert.deepEqual(rowCells('apps', 'deployments', fresh, NOW).slice(1, 4), ['0/1', 0, 0]);
});

test('replicaset, statefulset, daemonset', () => {
  const rs = {
    metadata: meta('web-5d4f'),
    spec: { replicas: 2, selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d4f' } }, template: template([['nginx', 'nginx']]) },
    status: { replicas: 2, readyReplicas: 1 },
  };
  assert.deepEqual(names('apps', 'replicasets'), ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector']);
  assert.deepEqual(rowCells('apps', 'replicasets', rs, NOW), ['web-5d4f', 2, 2, 1, '5h', 'nginx', 'nginx', 'app=web,pod-template-hash=5d4f']);

  const sts = { metadata: meta('db'), spec: { replicas: 3, template: template([['pg', 'postgres:16']]) }, status: { readyReplicas: 1 } };
  assert.deepEqual(names('apps', 'statefulsets'), ['Name', 'Ready', 'Age', 'Containers', 'Images']);
  assert.deepEqual(rowCells('apps', 'statefulsets', sts, NOW), ['db', '1/3', '5h', 'pg', 'postgres:16']);

  const ds = {
    metadata: meta('agent'),
    spec: { selector: { matchLabels: { app: 'agent' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'a', image: 'agent:1' }] } } },
    status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
  };
  assert.deepEqual(names('apps', 'daemonsets'), [
    'Name',
    'Desired',
    'Current',
    'Ready',
    'Up-to-date',
    'Available',
    'Node Selector',
    'Age',
    'Containers',
    'Images',
    'Selector',
  ]);
  assert.deepEqual(rowCells('apps', 'daemonsets', ds, NOW), ['agent', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '5h', 'a', 'agent:1', 'app=agent']);
});

test('controller revision names its owner', () => {
  const cr = {
    metadata: meta('web-7b9c', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true }] }),
    revision: 4,
  };
  assert.deepEqual(rowCells('apps', 'controllerrevisions', cr, NOW), ['web-7b9c', 'statefulset.apps/web', 4, '5h']);
  assert.deepEqual(rowCells('apps', 'controllerrevisions', { metadata: meta('x'), revision: 1 }, NOW)[1], '<none>');
});

const job = (spec: any, status: any, extraMeta: any = {}) => ({
  metadata: meta('backup', extraMeta),
  spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'abc' } }, template: template([['b', 'backup:1']]), ...spec },
  status,
});

test('job columns', () => {
  assert.deepEqual(names('batch', 'jobs'), ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers', 'Images', 'Selector']);
});

const jobCases: Array<{ name: string; job: any; want: unknown[] }> = [
  {
    name: 'complete',
    job: job(
      { completions: 1, parallelism: 1 },
      { succeeded: 1, startTime: ago(3600), completionTime: ago(3570), conditions: [{ type: 'Complete', status: 'True' }] },
    ),
    want: ['Complete', '1/1', '30s'],
  },
  {
    name: 'running with completions',
    job: job({ completions: 5, parallelism: 2 }, { succeeded: 2, active: 2, startTime: ago(330) }),
    want: ['Running', '2/5', '5m30s'],
  },
  {
    name: 'work queue with parallelism',
    job: job({ parallelism: 3 }, { active: 3, startTime: ago(60) }),
    want: ['Running', '0/1 of 3', '60s'],
  },
  {
    name: 'not started',
    job: job({ completions: 1 }, {}),
    want: ['Running', '0/1', ''],
  },
  {
    name: 'failed',
    job: job(
      { completions: 1 },
      {
        failed: 6,
        startTime: ago(7200),
        conditions: [
          { type: 'FailureTarget', status: 'True' },
          { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' },
        ],
      },
    ),
    want: ['Failed', '0/1', '120m'],
  },
  {
    name: 'failure target only',
    job: job({ completions: 1 }, { startTime: ago(10), conditions: [{ type: 'FailureTarget', status: 'True' }] }),
    want: ['FailureTarget', '0/1', '10s'],
  },
  {
    name: 'suspended',
    job: job({ completions: 1, suspend: true }, { conditions: [{ type: 'Suspended', status: 'True' }] }),
    want: ['Suspended', '0/1', ''],
  },
  {
    name: 'terminating',
    job: job({ completions: 1 }, { startTime: ago(20) }, { deletionTimestamp: ago(1) }),
    want: ['Terminating', '0/1', '20s'],
  },
];

for (const c of jobCases) {
  test(`job: ${c.name}`, () => {
    const cells = rowCells('batch', 'jobs', c.job, NOW);
    assert.deepEqual(cells.slice(1, 4), c.want);
    assert.deepEqual(cells.slice(4), ['5h', 'b', 'backup:1', 'batch.kubernetes.io/controller-uid=abc']);
  });
}

test('cronjob', () => {
  assert.deepEqual(names('batch', 'cronjobs'), [
    'Name',
    'Schedule',
    'Timezone',
    'Suspend',
    'Active',
    'Last Schedule',
    'Age',
    'Containers',
    'Images',
    'Selector',
  ]);
  const cj = {
    metadata: meta('nightly'),
    spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: template([['b', 'backup:1']]) } } },
    status: { active: [{ name: 'nightly-1' }], lastScheduleTime: ago(540) },
  };
  assert.deepEqual(rowCells('batch', 'cronjobs', cj, NOW), ['nightly', '0 3 * * *', '<none>', 'False', 1, '9m', '5h', 'b', 'backup:1', '<none>']);
  const tz = { ...cj, spec: { ...cj.spec, timeZone: 'Etc/UTC', suspend: true }, status: {} };
  assert.deepEqual(rowCells('batch', 'cronjobs', tz, NOW).slice(2, 6), ['Etc/UTC', 'True', 0, '<none>']);
});

test('horizontal pod autoscaler (v2 and v1 shapes)', () => {
  assert.deepEqual(names('autoscaling', 'horizontalpodautoscalers'), ['Name', 'Reference', 'Targets', 'MinPods', 'MaxPods', 'Replicas', 'Age']);
  const v2 = {
    metadata: meta('web'),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
        { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
      ],
    },
    status: {
      currentReplicas: 3,
      currentMetrics: [
        { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 23, averageValue: '115m' } } },
        { type: 'Resource', resource: { name: 'memory', current: { averageValue: '210Mi' } } },
      ],
    },
  };
  assert.deepEqual(rowCells('autoscaling', 'horizontalpodautoscalers', v2, NOW), [
    'web',
    'Deployment/web',
    'cpu: 23%/50%, memory: 210Mi/500Mi + 1 more...',
    '2',
    10,
    3,
    '5h',
  ]);
  const v1 = {
    metadata: meta('api'),
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'api' }, maxReplicas: 4, targetCPUUtilizationPercentage: 70 },
    status: { currentReplicas: 1 },
  };
  assert.deepEqual(rowCells('autoscaling', 'horizontalpodautoscalers', v1, NOW), ['api', 'Deployment/api', 'cpu: <unknown>/70%', '1', 4, 1, '5h']);
});

// ------------------------------------------------------------------ namespaces, nodes, config

test('namespace', () => {
  assert.deepEqual(names('', 'namespaces'), ['Name', 'Status', 'Age']);
  assert.deepEqual(rowCells('', 'namespaces', { metadata: meta('prod'), status: { phase: 'Active' } }, NOW), ['prod', 'Active', '5h']);
  assert.deepEqual(rowCells('', 'namespaces', { metadata: meta('old', { deletionTimestamp: ago(3) }), status: { phase: 'Terminating' } }, NOW), [
    'old',
    'Terminating',
    '5h',
  ]);
});

test('node', () => {
  assert.deepEqual(names('', 'nodes'), [
    'Name',
    'Status',
    'Roles',
    'Age',
    'Version',
    'Internal-IP',
    'External-IP',
    'OS-Image',
    'Kernel-Version',
    'Container-Runtime',
  ]);
  const node = {
    metadata: {
      name: 'cp-1',
      creationTimestamp: ago(3 * 86400 + 4 * 3600),
      labels: {
        'node-role.kubernetes.io/control-plane': '',
        'node-role.kubernetes.io/etcd': 'true',
        'node-role.kubernetes.io/': '',
        'kubernetes.io/role': 'lb',
        'kubernetes.io/hostname': 'cp-1',
      },
    },
    spec: {},
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'Ready', status: 'True' },
      ],
      addresses: [
        { type: 'Hostname', address: 'cp-1' },
        { type: 'InternalIP', address: '192.168.1.10' },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.0+kts',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.1.0-18-amd64',
        containerRuntimeVersion: 'containerd://1.7.24',
      },
    },
  };
  assert.deepEqual(rowCells('', 'nodes', node, NOW), [
    'cp-1',
    'Ready',
    'control-plane,etcd,lb',
    '3d4h',
    'v1.32.0+kts',
    '192.168.1.10',
    '<none>',
    'Debian GNU/Linux 12 (bookworm)',
    '6.1.0-18-amd64',
    'containerd://1.7.24',
  ]);
  const cordoned = { ...node, spec: { unschedulable: true }, status: { ...node.status, conditions: [{ type: 'Ready', status: 'Unknown' }] } };
  assert.deepEqual(rowCells('', 'nodes', cordoned, NOW).slice(1, 2), ['NotReady,SchedulingDisabled']);
  const bare = { metadata: { name: 'w', creationTimestamp: ago(30), labels: { 'node-role.kubernetes.io/worker': 'true' } } };
  assert.deepEqual(rowCells('', 'nodes', bare, NOW), ['w', 'Unknown', 'worker', '30s', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  const noRoles = { metadata: { name: 'n', creationTimestamp: ago(30) }, status: { conditions: [{ type: 'Ready', status: 'False' }] } };
  assert.deepEqual(rowCells('', 'nodes', noRoles, NOW).slice(1, 3), ['NotReady', '<none>']);
});

test('secret, configmap, serviceaccount', () => {
  assert.deepEqual(names('', 'secrets'), ['Name', 'Type', 'Data', 'Age']);
  const tls = { metadata: meta('tls'), type: 'kubernetes.io/tls', data: { 'tls.crt': 'Y3J0', 'tls.key': 'a2V5' } };
  assert.deepEqual(rowCells('', 'secrets', tls, NOW), ['tls', 'kubernetes.io/tls', 2, '5h']);
  assert.deepEqual(rowCells('', 'secrets', { metadata: meta('empty'), type: 'Opaque' }, NOW), ['empty', 'Opaque', 0, '5h']);

  assert.deepEqual(names('', 'configmaps'), ['Name', 'Data', 'Age']);
  const cm = { metadata: meta('cfg'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } };
  assert.deepEqual(rowCells('', 'configmaps', cm, NOW), ['cfg', 3, '5h']);

  assert.deepEqual(names('', 'serviceaccounts'), ['Name', 'Secrets', 'Age']);
  assert.deepEqual(rowCells('', 'serviceaccounts', { metadata: meta('default') }, NOW), ['default', 0, '5h']);
});

test('endpoints and endpoint slices', () => {
  const ep = {
    metadata: meta('web'),
    subsets: [
      {
        addresses: [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }],
        ports: [
          { name: 'http', port: 80 },
          { name: 'https', port: 443 },
        ],
      },
    ],
  };
  assert.deepEqual(rowCells('', 'endpoints', ep, NOW), ['web', '10.42.0.5:80,10.42.0.6:80,10.42.0.5:443 + 1 more...', '5h']);
  assert.deepEqual(rowCells('', 'endpoints', { metadata: meta('none') }, NOW), ['none', '<none>', '5h']);
  const headless = { metadata: meta('h'), subsets: [{ addresses: [{ ip: 'fd00::1' }] }] };
  assert.deepEqual(rowCells('', 'endpoints', headless, NOW)[1], 'fd00::1');
  const v6 = { metadata: meta('h'), subsets: [{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 80 }] }] };
  assert.deepEqual(rowCells('', 'endpoints', v6, NOW)[1], '[fd00::1]:80');

  assert.deepEqual(names('discovery.k8s.io', 'endpointslices'), ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
  const slice = {
    metadata: meta('web-abc12'),
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    endpoints: [{ addresses: ['10.42.0.5'] }, { addresses: ['10.42.0.6'] }, { addresses: ['10.42.0.7'] }, { addresses: ['10.42.0.8'] }],
  };
  assert.deepEqual(rowCells('discovery.k8s.io', 'endpointslices', slice, NOW), [
    'web-abc12',
    'IPv4',
    '80',
    '10.42.0.5,10.42.0.6,10.42.0.7 + 1 more...',
    '5h',
  ]);
  assert.deepEqual(rowCells('discovery.k8s.io', 'endpointslices', { metadata: meta('e'), addressType: 'IPv4' }, NOW).slice(2, 4), [
    '<unset>',
    '<unset>',
  ]);
});

// ------------------------------------------------------------------ events

test('event columns', () => {
  const cols = columnsFor('', 'events');
  assert.deepEqual(
    cols.map((c) => [c.name, c.priority]),
    [
      ['Last Seen', 0],
      ['Type', 0],
      ['Reason', 0],
      ['Object', 0],
      ['Subobject', 1],
      ['Source', 1],
      ['Message', 0],
      ['First Seen', 1],
      ['Count', 1],
      ['Name', 1],
    ],
  );
  assert.equal(cols[9].format, 'name');
  assert.deepEqual(columnsFor('events.k8s.io', 'events'), cols);
});

test('core event', () => {
  const ev = {
    metadata: meta('web-0.17d'),
    involvedObject: { kind: 'Pod', name: 'web-0', namespace: 'default', fieldPath: 'spec.containers{app}' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container\n',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: ago(600),
    lastTimestamp: ago(20),
    count: 7,
    type: 'Warning',
  };
  assert.deepEqual(rowCells('', 'events', ev, NOW), [
    '20s',
    'Warning',
    'BackOff',
    'pod/web-0',
    'spec.containers{app}',
    'kubelet, node-1',
    'Back-off restarting failed container',
    '10m',
    7,
    'web-0.17d',
  ]);
});

test('event written through the new API (eventTime, series, reporting controller)', () => {
  const ev = {
    metadata: meta('x.1'),
    involvedObject: { kind: 'Node' },
    reason: 'Starting',
    message: 'Starting kubelet.',
    eventTime: '2024-06-01T11:58:00.000000Z',
    reportingComponent: 'kubelet',
    reportingInstance: 'node-1',
    type: 'Normal',
  };
  assert.deepEqual(rowCells('', 'events', ev, NOW), ['2m', 'Normal', 'Starting', 'node', '', 'kubelet, node-1', 'Starting kubelet.', '2m', 1, 'x.1']);
  const series = { ...ev, series: { count: 12, lastObservedTime: '2024-06-01T11:59:30.000000Z' } };
  const cells = rowCells('', 'events', series, NOW);
  assert.equal(cells[0], '30s');
  assert.equal(cells[8], 12);
  assert.equal(rowCells('', 'events', { metadata: meta('y') }, NOW)[0], '<unknown>');
});

test('events.k8s.io event maps regarding/note/deprecated fields', () => {
  const ev = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: meta('web.2'),
    regarding: { kind: 'Deployment', name: 'web', namespace: 'default' },
    reason: 'ScalingReplicaSet',
    note: 'Scaled up replica set web-5d4f to 3',
    type: 'Normal',
    eventTime: null,
    reportingController: 'deployment-controller',
    deprecatedSource: { component: 'deployment-controller' },
    deprecatedFirstTimestamp: ago(3600),
    deprecatedLastTimestamp: ago(90),
    deprecatedCount: 2,
  };
  assert.deepEqual(rowCells('events.k8s.io', 'events', ev, NOW), [
    '90s',
    'Normal',
    'ScalingReplicaSet',
    'deployment/web',
    '',
    'deployment-controller',
    'Scaled up replica set web-5d4f to 3',
    '60m',
    2,
    'web.2',
  ]);
});

// ------------------------------------------------------------------ storage, rbac, misc

test('persistent volumes and claims', () => {
  const pv = {
    metadata: meta('pv-1', { namespace: undefined }),
    spec: {
      capacity: { storage: '10Gi' },
      accessModes: ['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'local-path',
      claimRef: { namespace: 'default', name: 'data' },
      volumeMode: 'Filesystem',
    },
    status: { phase: 'Bound' },
  };
  assert.deepEqual(rowCells('', 'persistentvolumes', pv, NOW), [
    'pv-1',
    '10Gi',
    'RWO,RWX',
    'Delete',
    'Bound',
    'default/data',
    'local-path',
    '<unset>',
    '',
    '5h',
    'Filesystem',
  ]);
  const pvc = {
    metadata: meta('data'),
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } }, storageClassName: 'local-path', volumeName: 'pv-1' },
    status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '10Gi' } },
  };
  assert.deepEqual(names('', 'persistentvolumeclaims'), [
    'Name',
    'Status',
    'Volume',
    'Capacity',
    'Access Modes',
    'StorageClass',
    'VolumeAttributesClass',
    'Age',
    'VolumeMode',
  ]);
  assert.deepEqual(rowCells('', 'persistentvolumeclaims', pvc, NOW), ['data', 'Bound', 'pv-1', '10Gi', 'RWO', 'local-path', '<unset>', '5h', 'Filesystem']);
  const pending = { metadata: meta('p', { deletionTimestamp: ago(1) }), spec: { resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Pending' } };
  assert.deepEqual(rowCells('', 'persistentvolumeclaims', pending, NOW), ['p', 'Terminating', '', '', '', '', '<unset>', '5h', 'Filesystem']);
});

test('storage class marks the default', () => {
  const sc = {
    metadata: { name: 'local-path', creationTimestamp: ago(60), annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'rancher.io/local-path',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
  assert.deepEqual(rowCells('storage.k8s.io', 'storageclasses', sc, NOW), ['local-path (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', false, '60s']);
});

test('role bindings list subjects in wide columns', () => {
  assert.deepEqual(names('rbac.authorization.k8s.io', 'rolebindings'), ['Name', 'Role', 'Age', 'Users', 'Groups', 'ServiceAccounts']);
  const rb = {
    metadata: meta('edit'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [
      { kind: 'User', name: 'alice' },
      { kind: 'User', name: 'bob' },
      { kind: 'Group', name: 'devs' },
      { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' },
    ],
  };
  assert.deepEqual(rowCells('rbac.authorization.k8s.io', 'clusterrolebindings', rb, NOW), ['edit', 'ClusterRole/edit', '5h', 'alice, bob', 'devs', 'tools/ci']);
});

test('ingress, ingress class, network policy', () => {
  const ing = {
    metadata: meta('web'),
    spec: {
      ingressClassName: 'kts',
      rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }, {}, { host: 'c.example.com' }, { host: 'd.example.com' }],
      tls: [{ hosts: ['a.example.com'] }],
    },
    status: { loadBalancer: { ingress: [{ ip: '192.168.1.10' }] } },
  };
  assert.deepEqual(names('networking.k8s.io', 'ingresses'), ['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age']);
  assert.deepEqual(rowCells('networking.k8s.io', 'ingresses', ing, NOW), [
    'web',
    'kts',
    'a.example.com,b.example.com,c.example.com + 2 more...',
    '192.168.1.10',
    '80, 443',
    '5h',
  ]);
  assert.deepEqual(rowCells('networking.k8s.io', 'ingresses', { metadata: meta('x'), spec: { rules: [{}] } }, NOW), ['x', '<none>', '*', '', '80', '5h']);
  const ic = { metadata: meta('kts'), spec: { controller: 'kts.dev/ingress', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' } } };
  assert.deepEqual(rowCells('networking.k8s.io', 'ingressclasses', ic, NOW), ['kts', 'kts.dev/ingress', 'IngressParameters.k8s.example.com/p', '5h']);
  assert.deepEqual(rowCells('networking.k8s.io', 'networkpolicies', { metadata: meta('deny'), spec: { podSelector: {} } }, NOW), ['deny', '<none>', '5h']);
  const np = { metadata: meta('np'), spec: { podSelector: { matchExpressions: [{ key: 'role', operator: 'Exists' }, { key: 'canary', operator: 'DoesNotExist' }] } } };
  assert.deepEqual(rowCells('networking.k8s.io', 'networkpolicies', np, NOW)[1], '!canary,role');
});

test('misc printers', () => {
  const pdb = { metadata: meta('web'), spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } };
  assert.deepEqual(rowCells('policy', 'poddisruptionbudgets', pdb, NOW), ['web', '50%', 'N/A', 1, '5h']);
  assert.deepEqual(rowCells('policy', 'poddisruptionbudgets', { metadata: meta('m'), spec: { maxUnavailable: 1 } }, NOW), ['m', 'N/A', '1', 0, '5h']);

  const lease = { metadata: meta('kube-scheduler'), spec: { holderIdentity: 'cp-1_abc' } };
  assert.deepEqual(rowCells('coordination.k8s.io', 'leases', lease, NOW), ['kube-scheduler', 'cp-1_abc', '5h']);

  const pc = { metadata: meta('high'), value: 1000000, globalDefault: false };
  assert.deepEqual(names('scheduling.k8s.io', 'priorityclasses'), ['Name', 'Value', 'Global-Default', 'Age', 'PreemptionPolicy']);
  assert.deepEqual(rowCells('scheduling.k8s.io', 'priorityclasses', pc, NOW), ['high', 1000000, false, '5h', 'PreemptLowerPriority']);

  const csr = {
    metadata: meta('node-csr'),
    spec: { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', username: 'system:node:n1', expirationSeconds: 86400 },
    status: { conditions: [{ type: 'Approved', status: 'True' }], certificate: 'LS0t' },
  };
  assert.deepEqual(names('certificates.k8s.io', 'certificatesigningrequests'), ['Name', 'Age', 'SignerName', 'Requestor', 'RequestedDuration', 'Condition']);
  assert.deepEqual(rowCells('certificates.k8s.io', 'certificatesigningrequests', csr, NOW), [
    'node-csr',
    '5h',
    'kubernetes.io/kube-apiserver-client-kubelet',
    'system:node:n1',
    '24h',
    'Approved,Issued',
  ]);

  const rq = {
    metadata: meta('compute'),
    status: {
      hard: { 'requests.cpu': '1', 'limits.memory': '2Gi', pods: '10', 'limits.cpu': '2' },
      used: { 'requests.cpu': '500m', 'limits.cpu': '1', pods: '3' },
    },
  };
  assert.deepEqual(names('', 'resourcequotas'), ['Name', 'Age', 'Request', 'Limit']);
  assert.deepEqual(rowCells('', 'resourcequotas', rq, NOW), ['compute', '5h', 'pods: 3/10, requests.cpu: 500m/1', 'limits.cpu: 1/2, limits.memory: 0/2Gi']);

  const csi = { metadata: meta('csi.example.com'), spec: { attachRequired: false, tokenRequests: [{ audience: 'a' }, { audience: 'b' }] } };
  assert.deepEqual(rowCells('storage.k8s.io', 'csidrivers', csi, NOW), ['csi.example.com', false, false, false, 'a,b', false, 'Persistent', '5h']);

  const va = { metadata: meta('csi-123'), spec: { attacher: 'csi.example.com', nodeName: 'n1', source: { persistentVolumeName: 'pv-1' } }, status: { attached: true } };
  assert.deepEqual(rowCells('storage.k8s.io', 'volumeattachments', va, NOW), ['csi-123', 'csi.example.com', 'pv-1', 'n1', true, '5h']);

  const hook = { metadata: meta('hooks'), webhooks: [{ name: 'a' }, { name: 'b' }] };
  assert.deepEqual(rowCells('admissionregistration.k8s.io', 'validatingwebhookconfigurations', hook, NOW), ['hooks', 2, '5h']);

  const cs = { metadata: { name: 'etcd-0' }, conditions: [{ type: 'Healthy', status: 'True', message: 'ok' }] };
  assert.deepEqual(rowCells('', 'componentstatuses', cs, NOW), ['etcd-0', 'Healthy', 'ok', '']);

  const pt = { metadata: meta('tpl'), template: template([['a', 'img-a'], ['b', 'img-b']], { app: 'x', tier: 'y' }) };
  assert.deepEqual(rowCells('', 'podtemplates', pt, NOW), ['tpl', 'a,b', 'img-a,img-b', 'app=x,tier=y']);

  const rc = { metadata: meta('rc'), spec: { replicas: 2, selector: { app: 'rc' }, template: template([['c', 'i']]) }, status: { replicas: 2, readyReplicas: 2 } };
  assert.deepEqual(rowCells('', 'replicationcontrollers', rc, NOW), ['rc', 2, 2, 2, '5h', 'c', 'i', 'app=rc']);

  const rt = { metadata: meta('gvisor'), handler: 'runsc' };
  assert.deepEqual(rowCells('node.k8s.io', 'runtimeclasses', rt, NOW), ['gvisor', 'runsc', '5h']);
});

// ------------------------------------------------------------------ buildTable

const cmObj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg', { uid: 'u-1', resourceVersion: '42', labels: { a: 'b' } }), data: { k: 'v' } };

test('buildTable defaults to PartialObjectMetadata rows', () => {
  const t = buildTable('', 'configmaps', [cmObj], { now: NOW, resourceVersion: '100' });
  assert.equal(t.kind, 'Table');
  assert.equal(t.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(t.metadata, { resourceVersion: '100' });
  assert.deepEqual(
    t.columnDefinitions?.map((c) => c.name),
    ['Name', 'Data', 'Age'],
  );
  assert.deepEqual(t.rows, [
    {
      cells: ['cfg', 1, '5h'],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: cmObj.metadata },
    },
  ]);
});

test('buildTable includeObject=Object embeds the full object', () => {
  const t = buildTable('', 'configmaps', [cmObj], { now: NOW, includeObject: 'Object' });
  assert.equal(t.rows[0].object, cmObj);
});

test('buildTable includeObject=None omits the object', () => {
  const t = buildTable('', 'configmaps', [cmObj], { now: NOW, includeObject: 'None' });
  assert.deepEqual(t.rows[0], { cells: ['cfg', 1, '5h'] });
  assert.equal('object' in t.rows[0], false);
});

test('buildTable list metadata, empty lists, noHeaders', () => {
  const t = buildTable('', 'pods', [], { now: NOW, resourceVersion: '7', continue: 'tok', remainingItemCount: 0 });
  assert.deepEqual(t.metadata, { resourceVersion: '7', continue: 'tok', remainingItemCount: 0 });
  assert.deepEqual(t.rows, []);
  assert.equal(t.columnDefinitions?.length, 9);
  const w = buildTable('', 'pods', [], { noHeaders: true });
  assert.equal(w.columnDefinitions, null);
  assert.deepEqual(w.metadata, {});
});

test('buildTable column and cell overrides (custom resource printer columns)', () => {
  const columns = [
    { name: 'Name', type: 'string', format: 'name', description: 'name', priority: 0 },
    { name: 'Replicas', type: 'integer', format: '', description: 'spec.replicas', priority: 0 },
  ];
  const obj = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { replicas: 4 } };
  const t = buildTable('example.com', 'widgets', [obj], {
    now: NOW,
    columns,
    cells: (o) => [o.metadata.name, o.spec.replicas],
  });
  assert.deepEqual(t.columnDefinitions, columns);
  assert.deepEqual(t.rows[0].cells, ['w1', 4]);
  // without overrides an unknown resource gets the default table
  const d = buildTable('example.com', 'widgets', [obj], { now: NOW, includeObject: 'None' });
  assert.deepEqual(d.rows, [{ cells: ['w1', '0001-01-01T00:00:00Z'] }]);
});
