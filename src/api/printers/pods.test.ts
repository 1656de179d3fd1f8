import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTable, columnsFor, rowCells } from './index.js';

const NOW = new Date('2024-06-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

function pod(over: { spec?: any; status?: any; metadata?: any } = {}): any {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'default', creationTimestamp: ago(3600), ...over.metadata },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...over.spec },
    status: over.status ?? {},
  };
}

const running = (ready = true, restartCount = 0, extra: any = {}) => ({
  name: 'app',
  ready,
  restartCount,
  state: { running: { startedAt: ago(600) } },
  ...extra,
});

const twoContainers = { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] };

test('pod columns match kube-apiserver 1.32', () => {
  const cols = columnsFor('', 'pods');
  assert.deepEqual(
    cols.map((c) => [c.name, c.type, c.priority]),
    [
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ],
  );
  assert.equal(cols[0].format, 'name');
});

interface PodCase {
  name: string;
  pod: any;
  want: [ready: string, status: string, restarts: string];
}

const cases: PodCase[] = [
  {
    name: 'pending and unscheduled',
    pod: pod({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] } }),
    want: ['0/1', 'Pending', '0'],
  },
  {
    name: 'no status at all counts as Pending',
    pod: pod(),
    want: ['0/1', 'Pending', '0'],
  },
  {
    name: 'scheduling gated',
    pod: pod({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } }),
    want: ['0/1', 'SchedulingGated', '0'],
  },
  {
    name: 'container creating',
    pod: pod({
      status: { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] },
    }),
    want: ['0/1', 'ContainerCreating', '0'],
  },
  {
    name: 'image pull back-off',
    pod: pod({
      status: { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }] },
    }),
    want: ['0/1', 'ImagePullBackOff', '0'],
  },
  {
    name: 'running, all ready',
    pod: pod({ status: { phase: 'Running', containerStatuses: [running()] } }),
    want: ['1/1', 'Running', '0'],
  },
  {
    name: 'running, one of two ready',
    pod: pod({
      spec: twoContainers,
      status: { phase: 'Running', containerStatuses: [running(true, 0, { name: 'a' }), running(false, 0, { name: 'b' })] },
    }),
    want: ['1/2', 'Running', '0'],
  },
  {
    name: 'crash loop back-off with restarts',
    pod: pod({
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'app',
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(310) } },
          },
        ],
      },
    }),
    want: ['0/1', 'CrashLoopBackOff', '3 (5m10s ago)'],
  },
  {
    name: 'restarts without a termination time print the bare count',
    pod: pod({ status: { phase: 'Running', containerStatuses: [running(true, 2)] } }),
    want: ['1/1', 'Running', '2'],
  },
  {
    name: 'restart time is the latest across containers',
    pod: pod({
      spec: twoContainers,
      status: {
        phase: 'Running',
        containerStatuses: [
          running(true, 1, { name: 'a', lastState: { terminated: { exitCode: 1, finishedAt: ago(7200) } } }),
          running(true, 4, { name: 'b', lastState: { terminated: { exitCode: 1, finishedAt: ago(45) } } }),
        ],
      },
    }),
    want: ['2/2', 'Running', '5 (45s ago)'],
  },
  {
    name: 'completed',
    pod: pod({
      status: {
        phase: 'Succeeded',
        containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      },
    }),
    want: ['0/1', 'Completed', '0'],
  },
  {
    name: 'failed with Error',
    pod: pod({
      status: {
        phase: 'Failed',
        containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }],
      },
    }),
    want: ['0/1', 'Error', '0'],
  },
  {
    name: 'terminated without reason shows the exit code',
    pod: pod({
      status: { phase: 'Failed', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 137 } } }] },
    }),
    want: ['0/1', 'ExitCode:137', '0'],
  },
  {
    name: 'terminated by a signal',
    pod: pod({
      status: { phase: 'Failed', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, signal: 9 } } }] },
    }),
    want: ['0/1', 'Signal:9', '0'],
  },
  {
    name: 'one container completed while another still runs and the pod is ready',
    pod: pod({
      spec: twoContainers,
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [
          { name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          running(true, 0, { name: 'b' }),
        ],
      },
    }),
    want: ['1/2', 'Running', '0'],
  },
  {
    name: 'one container completed while another still runs and the pod is not ready',
    pod: pod({
      spec: twoContainers,
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [
          { name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          running(true, 0, { name: 'b' }),
        ],
      },
    }),
    want: ['1/2', 'NotReady', '0'],
  },
  {
    name: 'terminating',
    pod: pod({ metadata: { deletionTimestamp: ago(5) }, status: { phase: 'Running', containerStatuses: [running()] } }),
    want: ['1/1', 'Terminating', '0'],
  },
  {
    name: 'a finished pod being deleted keeps its status',
    pod: pod({
      metadata: { deletionTimestamp: ago(5) },
      status: {
        phase: 'Succeeded',
        containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      },
    }),
    want: ['0/1', 'Completed', '0'],
  },
  {
    name: 'node lost',
    pod: pod({ status: { phase: 'Running', reason: 'NodeLost', containerStatuses: [running()] } }),
    want: ['1/1', 'NodeLost', '0'],
  },
  {
    name: 'node lost while being deleted is Unknown',
    pod: pod({ metadata: { deletionTimestamp: ago(5) }, status: { phase: 'Running', reason: 'NodeLost', containerStatuses: [running()] } }),
    want: ['1/1', 'Unknown', '0'],
  },
  {
    name: 'evicted',
    pod: pod({ status: { phase: 'Failed', reason: 'Evicted', message: 'low on memory' } }),
    want: ['0/1', 'Evicted', '0'],
  },
  {
    name: 'first of one init container running',
    pod: pod({
      spec: { initContainers: [{ name: 'init', image: 'busybox' }] },
      status: {
        phase: 'Pending',
        initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: { running: { startedAt: ago(3) } } }],
        containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
      },
    }),
    want: ['0/1', 'Init:0/1', '0'],
  },
  {
    name: 'second of two init containers waiting to initialize',
    pod: pod({
      spec: { initContainers: [{ name: 'one', image: 'busybox' }, { name: 'two', image: 'busybox' }] },
      status: {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'one', ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'two', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } },
        ],
      },
    }),
    want: ['0/1', 'Init:1/2', '0'],
  },
  {
    name: 'init container crash looping',
    pod: pod({
      spec: { initContainers: [{ name: 'init', image: 'busybox' }] },
      status: {
        phase: 'Pending',
        initContainerStatuses: [
          {
            name: 'init',
            ready: false,
            restartCount: 2,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(30) } },
          },
        ],
        containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
      },
    }),
    want: ['0/1', 'Init:CrashLoopBackOff', '2 (30s ago)'],
  },
  {
    name: 'init container failed',
    pod: pod({
      spec: { initContainers: [{ name: 'init', image: 'busybox' }] },
      status: {
        phase: 'Failed',
        initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }],
      },
    }),
    want: ['0/1', 'Init:Error', '0'],
  },
  {
    name: 'init container exited without a reason',
    pod: pod({
      spec: { initContainers: [{ name: 'init', image: 'busybox' }] },
      status: { phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } }] },
    }),
    want: ['0/1', 'Init:ExitCode:2', '0'],
  },
  {
    name: 'init container killed by a signal',
    pod: pod({
      spec: { initContainers: [{ name: 'init', image: 'busybox' }] },
      status: {
        phase: 'Pending',
        initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, signal: 15 } } }],
      },
    }),
    want: ['0/1', 'Init:Signal:15', '0'],
  },
  {
    name: 'after initialization only main containers count',
    pod: pod({
      spec: { initContainers: [{ name: 'init', image: 'busybox' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [{ name: 'init', ready: true, restartCount: 4, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
        containerStatuses: [running(true, 1)],
      },
    }),
    want: ['1/1', 'Running', '1'],
  },
  {
    name: 'restartable init (sidecar) container counts toward ready and restarts',
    pod: pod({
      spec: { initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [
          {
            name: 'proxy',
            ready: true,
            started: true,
            restartCount: 1,
            state: { running: { startedAt: ago(100) } },
            lastState: { terminated: { exitCode: 1, finishedAt: ago(120) } },
          },
        ],
        containerStatuses: [running(true, 0)],
      },
    }),
    want: ['2/2', 'Running', '1 (2m ago)'],
  },
  {
    name: 'sidecar started but main container not yet',
    pod: pod({
      spec: { initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }, { name: 'migrate', image: 'tool' }] },
      status: {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'proxy', ready: false, started: true, restartCount: 0, state: { running: {} } },
          { name: 'migrate', ready: false, restartCount: 0, state: { running: {} } },
        ],
      },
    }),
    want: ['0/2', 'Init:1/2', '0'],
  },
];

for (const c of cases) {
  test(`pod: ${c.name}`, () => {
    const cells = rowCells('', 'pods', c.pod, NOW);
    assert.deepEqual(cells.slice(1, 4), c.want);
    assert.equal(cells[0], 'web-0');
    assert.equal(cells[4], '60m');
  });
}

test('pod wide columns', () => {
  const p = pod({
    spec: { nodeName: 'node-1', readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] },
    status: {
      phase: 'Running',
      podIP: '10.42.0.7',
      podIPs: [{ ip: '10.42.0.7' }, { ip: 'fd00::7' }],
      nominatedNodeName: 'node-2',
      conditions: [
        { type: 'example.com/lb', status: 'True' },
        { type: 'example.com/dns', status: 'False' },
      ],
      containerStatuses: [running()],
    },
  });
  assert.deepEqual(rowCells('', 'pods', p, NOW).slice(5), ['10.42.0.7', 'node-1', 'node-2', '1/2']);
  assert.deepEqual(rowCells('', 'pods', pod(), NOW).slice(5), ['<none>', '<none>', '<none>', '<none>']);
  // podIP alone (no podIPs) is still shown
  assert.equal(rowCells('', 'pods', pod({ status: { podIP: '10.0.0.1' } }), NOW)[5], '10.0.0.1');
});

test('pod without creation time has unknown age', () => {
  const p = pod();
  delete p.metadata.creationTimestamp;
  assert.equal(rowCells('', 'pods', p, NOW)[4], '<unknown>');
});

test('finished pods carry a Completed row condition', () => {
  const table = buildTable(
    '',
    'pods',
    [pod({ status: { phase: 'Succeeded' } }), pod({ status: { phase: 'Failed' } }), pod({ status: { phase: 'Running' } })],
    { now: NOW },
  );
  assert.deepEqual(table.rows[0].conditions, [
    { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
  ]);
  assert.equal(table.rows[1].conditions?.[0].reason, 'Failed');
  assert.equal(table.rows[2].conditions, undefined);
});
