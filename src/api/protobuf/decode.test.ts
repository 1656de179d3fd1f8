import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeKubernetesProtobuf,
  decodeMessage,
  formatDuration,
  hasKubernetesProtobufMagic,
  protobufMessageFor,
  ProtobufDecodeError,
} from './decode.js';
import { CUSTOM_JSON, KINDS, MESSAGES } from './schema.js';
import { KUBECTL_CAPTURES } from './fixtures/kubectl.js';
import { BUILTIN_RESOURCES, apiVersionOf } from '../registry.js';

// ---------------------------------------------------------------------------
// a tiny protobuf writer for hand-built bodies (field numbers from upstream generated.proto)

type Part = Uint8Array;
const te = new TextEncoder();

function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
function cat(...parts: Part[]): Part {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
const tag = (f: number, wt: number) => Uint8Array.from(varint(f * 8 + wt));
/** varint field */
const vi = (f: number, n: number | bigint | boolean) => cat(tag(f, 0), Uint8Array.from(varint(typeof n === 'boolean' ? (n ? 1 : 0) : n)));
/** length-delimited field */
const ld = (f: number, b: Part) => cat(tag(f, 2), Uint8Array.from(varint(b.length)), b);
const s = (f: number, v: string) => ld(f, te.encode(v));
const m = (f: number, ...parts: Part[]) => ld(f, cat(...parts));
const f64 = (f: number, x: number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, true);
  return cat(tag(f, 1), b);
};
/** map<string, string> entry */
const mapSS = (f: number, k: string, v: string) => m(f, s(1, k), s(2, v));
/** map<string, message> entry */
const mapSM = (f: number, k: string, ...v: Part[]) => m(f, s(1, k), m(2, ...v));
const quantity = (f: number, q: string) => m(f, s(1, q));
const intStr = (f: number, v: number | string) => (typeof v === 'number' ? m(f, vi(1, 0), vi(2, v), s(3, '')) : m(f, vi(1, 1), vi(2, 0), s(3, v)));

function envelope(apiVersion: string, kind: string, raw: Part, extra: Part = new Uint8Array(0)): Part {
  return cat(Uint8Array.of(0x6b, 0x38, 0x73, 0x00), m(1, s(1, apiVersion), s(2, kind)), ld(2, raw), s(3, ''), s(4, ''), extra);
}

/** ObjectMeta the way go-to-protobuf writes it: every non-pointer scalar present, creationTimestamp an empty message. */
function objectMeta(f: number, o: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } = {}): Part {
  const labels = Object.entries(o.labels ?? {}).map(([k, v]) => mapSS(11, k, v));
  const annotations = Object.entries(o.annotations ?? {}).map(([k, v]) => mapSS(12, k, v));
  return m(f, s(1, o.name ?? ''), s(2, ''), s(3, o.namespace ?? ''), s(4, ''), s(5, ''), s(6, ''), vi(7, 0), m(8), ...labels, ...annotations);
}

const b64 = (x: string | number[]) => Buffer.from(typeof x === 'string' ? x : Uint8Array.from(x)).toString('base64');

function throwsDecode(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ProtobufDecodeError, `expected ProtobufDecodeError, got ${e}`);
    assert.match((e as Error).message, re);
    return true;
  });
}

// ---------------------------------------------------------------------------

describe('hand-built bodies', () => {
  test('ConfigMap with data, binaryData and a present-but-false immutable', () => {
    const raw = cat(
      objectMeta(1, { name: 'cfg', namespace: 'ns1', labels: { app: 'web', tier: 'fe' } }),
      mapSS(2, 'a', 'b'),
      mapSS(2, 'empty', ''),
      m(3, s(1, 'bin'), ld(2, Uint8Array.of(0, 0xff, 0xfe))),
      m(3, s(1, 'nothing'), ld(2, new Uint8Array(0))),
      vi(4, false),
    );
    assert.deepEqual(decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', raw)), {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name: 'cfg', namespace: 'ns1', creationTimestamp: null, labels: { app: 'web', tier: 'fe' } },
      immutable: false,
      data: { a: 'b', empty: '' },
      binaryData: { bin: b64([0, 0xff, 0xfe]), nothing: '' },
    });
  });

  test('Namespace: absent struct fields are still emitted, empty repeated dropped', () => {
    const raw = cat(objectMeta(1, { name: 'team-a' }), m(2));
    assert.deepEqual(decodeKubernetesProtobuf(envelope('v1', 'Namespace', raw)), {
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name: 'team-a', creationTimestamp: null },
      spec: {},
      status: {},
    });
    const withFinalizer = cat(objectMeta(1, { name: 'x' }), m(2, s(1, 'kubernetes')), m(3, s(1, 'Active')));
    assert.deepEqual(decodeKubernetesProtobuf(envelope('v1', 'Namespace', withFinalizer)), {
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name: 'x', creationTimestamp: null },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  });

  test('Deployment: replicas, selector, template, ports, env, quantities, intstr strategy', () => {
    const container = cat(
      s(1, 'web'),
      s(2, 'nginx:1.27'),
      s(5, ''),
      m(6, s(1, 'http'), vi(2, 0), vi(3, 80), s(4, 'TCP'), s(5, '')),
      m(6, s(1, ''), vi(2, 0), vi(3, 0), s(4, 'UDP'), s(5, '')), // containerPort 0 is kept, hostPort 0 dropped
      m(7, s(1, 'MODE'), s(2, 'prod')),
      m(7, s(1, 'PASSWORD'), s(2, ''), m(3, m(4, m(1, s(1, 'creds')), s(2, 'pw')))),
      m(8, mapSM(1, 'cpu', s(1, '500m')), mapSM(1, 'memory', s(1, '128Mi')), mapSM(2, 'cpu', s(1, '100m'))),
      s(13, '/dev/termination-log'),
      s(20, 'File'),
      s(14, 'IfNotPresent'),
      vi(16, false),
      vi(17, false),
      vi(18, false),
      m(10, m(1, m(2, s(1, '/healthz'), intStr(2, 'http'), s(3, ''), s(4, 'HTTP'))), vi(2, 0), vi(3, 1), vi(4, 10), vi(5, 1), vi(6, 3)),
    );
    const podSpec = cat(m(1, s(1, 'conf'), m(2, m(19, m(1, s(1, 'app-config')), vi(3, 420)))), m(2, container), s(3, 'Always'), vi(4, 30), s(6, 'ClusterFirst'));
    const raw = cat(
      objectMeta(1, { name: 'web', labels: { app: 'web' } }),
      m(
        2,
        vi(1, 3),
        m(2, mapSS(1, 'app', 'web')),
        m(3, objectMeta(1, { labels: { app: 'web' } }), m(2, podSpec)),
        m(4, s(1, 'RollingUpdate'), m(2, intStr(1, 1), intStr(2, '25%'))),
        vi(5, 0),
        vi(7, false),
      ),
      m(3, vi(1, 0), vi(2, 0), vi(3, 0), vi(4, 0), vi(5, 0)),
    );
    assert.deepEqual(decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', raw), { group: 'apps', version: 'v1', kind: 'Deployment' }), {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'web', creationTimestamp: null, labels: { app: 'web' } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { creationTimestamp: null, labels: { app: 'web' } },
          spec: {
            volumes: [{ name: 'conf', configMap: { name: 'app-config', defaultMode: 420 } }],
            containers: [
              {
                name: 'web',
                image: 'nginx:1.27',
                ports: [
                  { name: 'http', containerPort: 80, protocol: 'TCP' },
                  { containerPort: 0, protocol: 'UDP' },
                ],
                env: [
                  { name: 'MODE', value: 'prod' },
                  { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'pw' } } },
                ],
                resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m' } },
                livenessProbe: {
                  httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
                  timeoutSeconds: 1,
                  periodSeconds: 10,
                  successThreshold: 1,
                  failureThreshold: 3,
                },
                terminationMessagePath: '/dev/termination-log',
                terminationMessagePolicy: 'File',
                imagePullPolicy: 'IfNotPresent',
              },
            ],
            restartPolicy: 'Always',
            terminationGracePeriodSeconds: 30,
            dnsPolicy: 'ClusterFirst',
          },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '25%' } },
      },
      status: {},
    });
  });

  test('Secret with type, data and stringData', () => {
    const raw = cat(
      objectMeta(1, { name: 'creds' }),
      m(2, s(1, 'password'), ld(2, te.encode('s3cr3t'))),
      m(2, s(1, 'key'), ld(2, Uint8Array.of(1, 2, 3, 250))),
      mapSS(4, 'user', 'admin'),
      s(3, 'Opaque'),
    );
    assert.deepEqual(decodeKubernetesProtobuf(envelope('v1', 'Secret', raw)), {
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: { name: 'creds', creationTimestamp: null },
      data: { password: b64('s3cr3t'), key: b64([1, 2, 3, 250]) },
      stringData: { user: 'admin' },
      type: 'Opaque',
    });
  });

  test('SelfSubjectAccessReview', () => {
    const raw = cat(
      objectMeta(1),
      m(2, m(1, s(1, 'kube-system'), s(2, 'list'), s(3, ''), s(4, ''), s(5, 'pods'), s(6, ''), s(7, ''))),
      m(3, vi(1, false), vi(4, false), s(2, ''), s(3, '')),
    );
    assert.deepEqual(decodeKubernetesProtobuf(envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', raw)), {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: { resourceAttributes: { namespace: 'kube-system', verb: 'list', resource: 'pods' } },
      status: { allowed: false },
    });
  });

  test('SubjectAccessReview: map<string, ExtraValue> becomes string lists', () => {
    const raw = cat(
      objectMeta(1),
      m(2, m(2, s(1, '/healthz'), s(2, 'get')), s(3, 'alice'), s(4, 'devs'), s(4, 'ops'), mapSM(5, 'scopes', s(1, 'a'), s(1, 'b')), mapSM(5, 'none'), s(6, 'u-1')),
    );
    assert.deepEqual(decodeKubernetesProtobuf(envelope('authorization.k8s.io/v1', 'SubjectAccessReview', raw)), {
      kind: 'SubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: {
        nonResourceAttributes: { path: '/healthz', verb: 'get' },
        user: 'alice',
        groups: ['devs', 'ops'],
        extra: { scopes: ['a', 'b'], none: null },
        uid: 'u-1',
      },
      status: { allowed: false },
    });
  });
});

describe('special types', () => {
  test('Time, MicroTime, FieldsV1 and managedFields', () => {
    const ts = (f: number, sec: number, nanos?: number) => m(f, vi(1, sec), ...(nanos === undefined ? [] : [vi(2, nanos)]));
    const raw = cat(
      m(
        1,
        s(1, 'lease'),
        ts(8, 1704164645, 999999999), // Time drops nanos entirely
        ts(9, 0), // a present epoch is not the zero time
        vi(10, 30),
        m(17, s(1, 'kubectl'), s(2, 'Update'), s(3, 'v1'), ts(4, 1704164645), s(6, 'FieldsV1'), m(7, ld(1, te.encode('{"f:spec":{".":{}}}'))), s(8, '')),
      ),
      m(2, s(1, 'holder'), ts(3, 1704164645, 123456789), ts(4, -62135596800), vi(5, 0)),
    );
    assert.deepEqual(decodeKubernetesProtobuf(envelope('coordination.k8s.io/v1', 'Lease', raw)), {
      kind: 'Lease',
      apiVersion: 'coordination.k8s.io/v1',
      metadata: {
        name: 'lease',
        creationTimestamp: '2024-01-02T03:04:05Z',
        deletionTimestamp: '1970-01-01T00:00:00Z',
        deletionGracePeriodSeconds: 30,
        managedFields: [
          { manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: '2024-01-02T03:04:05Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { '.': {} } } },
        ],
      },
      spec: { holderIdentity: 'holder', acquireTime: '2024-01-02T03:04:05.123456Z', renewTime: null, leaseTransitions: 0 },
    });
  });

  test('Duration', () => {
    assert.equal(decodeMessage(cat(vi(1, 90_000_000_000n)), 'meta/v1.Duration'), '1m30s');
    assert.equal(decodeMessage(new Uint8Array(0), 'meta/v1.Duration'), '0s');
    const cases: Array<[bigint, string]> = [
      [0n, '0s'],
      [1n, '1ns'],
      [1100n, '1.1µs'],
      [2_200_000n, '2.2ms'],
      [3_300_000_000n, '3.3s'],
      [4n * 60n * 1_000_000_000n + 5_000_000_000n, '4m5s'],
      [5n * 3600n * 1_000_000_000n + 6n * 60n * 1_000_000_000n + 7_001_000_000n, '5h6m7.001s'],
      [3600n * 1_000_000_000n, '1h0m0s'],
      [-1_500_000_000n, '-1.5s'],
      [-9223372036854775808n, '-2562047h47m16.854775808s'],
    ];
    for (const [d, want] of cases) assert.equal(formatDuration(d), want, String(d));
  });

  test('IntOrString, RawExtension, negative and 64-bit integers', () => {
    const cr = cat(objectMeta(1, { name: 'rev' }), m(2, ld(1, te.encode('{"spec":{"template":{"x":1}}}'))), vi(3, -2));
    assert.deepEqual(decodeKubernetesProtobuf(envelope('apps/v1', 'ControllerRevision', cr)), {
      kind: 'ControllerRevision',
      apiVersion: 'apps/v1',
      metadata: { name: 'rev', creationTimestamp: null },
      data: { spec: { template: { x: 1 } } },
      revision: -2,
    });
    // a RawExtension without raw bytes is null, and revision is kept at 0 (no omitempty)
    const empty = cat(objectMeta(1, { name: 'rev' }), m(2));
    assert.deepEqual(decodeKubernetesProtobuf(envelope('apps/v1', 'ControllerRevision', empty)), {
      kind: 'ControllerRevision',
      apiVersion: 'apps/v1',
      metadata: { name: 'rev', creationTimestamp: null },
      data: null,
      revision: 0,
    });
    const pc = cat(objectMeta(1, { name: 'low' }), vi(2, -5), vi(3, false), s(4, ''));
    assert.deepEqual(decodeKubernetesProtobuf(envelope('scheduling.k8s.io/v1', 'PriorityClass', pc)), {
      kind: 'PriorityClass',
      apiVersion: 'scheduling.k8s.io/v1',
      metadata: { name: 'low', creationTimestamp: null },
      value: -5,
    });
    const svc = cat(
      objectMeta(1, { name: 'svc' }),
      m(2, m(1, s(1, ''), s(2, 'TCP'), vi(3, 80), intStr(4, 8080), vi(5, 0)), m(1, s(1, 'b'), s(2, 'TCP'), vi(3, 81), intStr(4, 'web'), vi(5, 30001))),
    );
    assert.deepEqual(decodeKubernetesProtobuf(envelope('v1', 'Service', svc)).spec.ports, [
      { protocol: 'TCP', port: 80, targetPort: 8080 },
      { name: 'b', protocol: 'TCP', port: 81, targetPort: 'web', nodePort: 30001 },
    ]);
  });

  test('inline embedded structs (EphemeralContainer, Probe handler, volume source)', () => {
    const pod = cat(
      objectMeta(1, { name: 'p' }),
      m(2, m(2, s(1, 'c')), m(34, m(1, s(1, 'debug'), s(2, 'busybox'), vi(16, true)), s(2, 'c'))),
    );
    const out = decodeKubernetesProtobuf(envelope('v1', 'Pod', pod));
    assert.deepEqual(out.spec, {
      containers: [{ name: 'c', resources: {} }],
      ephemeralContainers: [{ name: 'debug', image: 'busybox', resources: {}, stdin: true, targetContainerName: 'c' }],
    });
    assert.deepEqual(out.status, {});
  });

  test('CustomResourceDefinition: JSONSchemaProps and its Or-types, JSON, doubles, pointer bools', () => {
    const props = (...p: Part[]) => cat(...p);
    const schema = props(
      s(5, 'object'),
      mapSM(29, 'size', s(5, 'integer'), f64(11, 1), f64(9, 10.5), m(8, ld(1, te.encode('3')))),
      mapSM(29, 'tags', s(5, 'array'), m(24, m(1, s(5, 'string')))),
      mapSM(29, 'pair', s(5, 'array'), m(24, m(2, s(5, 'string'))), m(24, m(2, s(5, 'integer')))),
      mapSM(29, 'free', s(5, 'object'), vi(38, false), m(30, vi(1, true))),
      mapSM(29, 'typed', s(5, 'object'), m(30, vi(1, true), m(2, s(5, 'string')))),
      mapSM(29, 'dep', s(5, 'object')),
      mapSM(32, 'a', s(2, 'b'), s(2, 'c')),
      m(20, ld(1, te.encode('"x"'))),
      m(20, ld(1, te.encode('{"y":1}'))),
      s(23, 'size'),
    );
    const raw = cat(
      objectMeta(1, { name: 'widgets.example.com' }),
      m(
        2,
        s(1, 'example.com'),
        m(3, s(1, 'widgets'), s(2, 'widget'), s(4, 'Widget'), s(5, 'WidgetList')),
        s(4, 'Namespaced'),
        m(7, s(1, 'v1'), vi(2, true), vi(3, true), vi(7, false), m(4, m(1, schema))),
        vi(10, false),
      ),
    );
    const out = decodeKubernetesProtobuf(envelope('apiextensions.k8s.io/v1', 'CustomResourceDefinition', raw));
    assert.deepEqual(out.spec, {
      group: 'example.com',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              enum: ['x', { y: 1 }],
              required: ['size'],
              properties: {
                size: { type: 'integer', default: 3, maximum: 10.5, minimum: 1 },
                tags: { type: 'array', items: { type: 'string' } },
                pair: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] },
                free: { type: 'object', additionalProperties: true, 'x-kubernetes-preserve-unknown-fields': false },
                typed: { type: 'object', additionalProperties: { type: 'string' } },
                dep: { type: 'object' },
              },
              dependencies: { a: ['b', 'c'] },
            },
          },
        },
      ],
    });
    assert.deepEqual(out.status, { conditions: null, acceptedNames: { plural: '', kind: '' }, storedVersions: null });
  });

  test('DeleteOptions under any group version, Eviction with DeleteOptions', () => {
    const del = cat(vi(1, 0), m(2, s(1, 'uid-1')), s(4, 'Foreground'), s(5, 'All'));
    assert.deepEqual(decodeKubernetesProtobuf(envelope('apps/v1', 'DeleteOptions', del)), {
      kind: 'DeleteOptions',
      apiVersion: 'apps/v1',
      gracePeriodSeconds: 0,
      preconditions: { uid: 'uid-1' },
      propagationPolicy: 'Foreground',
      dryRun: ['All'],
    });
    const ev = cat(objectMeta(1, { name: 'p', namespace: 'd' }), m(2, vi(1, 10)));
    assert.deepEqual(decodeKubernetesProtobuf(envelope('policy/v1', 'Eviction', ev)), {
      kind: 'Eviction',
      apiVersion: 'policy/v1',
      metadata: { name: 'p', namespace: 'd', creationTimestamp: null },
      deleteOptions: { gracePeriodSeconds: 10 },
    });
  });

  test('Scale, Binding and TokenRequest', () => {
    const scale = cat(objectMeta(1, { name: 'web', namespace: 'default' }), m(2, vi(1, 0)), m(3, vi(1, 0), s(2, '')));
    assert.deepEqual(decodeKubernetesProtobuf(envelope('autoscaling/v1', 'Scale', scale)), {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: 'web', namespace: 'default', creationTimestamp: null },
      spec: {},
      status: { replicas: 0 },
    });
    const binding = cat(objectMeta(1, { name: 'p' }), m(2, s(1, 'Node'), s(2, ''), s(3, 'node-1'), s(4, ''), s(5, ''), s(6, ''), s(7, '')));
    assert.deepEqual(decodeKubernetesProtobuf(envelope('v1', 'Binding', binding)), {
      kind: 'Binding',
      apiVersion: 'v1',
      metadata: { name: 'p', creationTimestamp: null },
      target: { kind: 'Node', name: 'node-1' },
    });
  });
});

describe('wire format', () => {
  test('unknown fields of every wire type are skipped', () => {
    const unknown = cat(vi(99, 7), cat(tag(98, 1), new Uint8Array(8)), cat(tag(97, 5), new Uint8Array(4)), s(96, 'zzz'), tag(95, 3), vi(1, 1), s(2, 'in-group'), tag(95, 4));
    const raw = cat(unknown, objectMeta(1, { name: 'x' }), mapSS(2, 'k', 'v'), unknown);
    assert.deepEqual(decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', raw, unknown)), {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name: 'x', creationTimestamp: null },
      data: { k: 'v' },
    });
  });

  test('packed and unpacked repeated integers; last scalar wins; repeated messages merge', () => {
    const packed = ld(4, Uint8Array.from([...varint(1000), ...varint(2000)]));
    const pod = cat(m(1, s(1, 'first')), m(1, s(3, 'ns')), m(2, m(14, vi(2, 1), vi(2, 1001), vi(4, 5), packed)), m(2, s(3, 'Always'), s(3, 'Never')));
    const out = decodeKubernetesProtobuf(envelope('v1', 'Pod', pod));
    assert.deepEqual(out.metadata, { name: 'first', namespace: 'ns', creationTimestamp: null });
    assert.deepEqual(out.spec, { containers: null, restartPolicy: 'Never', securityContext: { runAsUser: 1001, supplementalGroups: [5, 1000, 2000] } });
  });

  test('large and negative varints', () => {
    const raw = cat(objectMeta(1, { name: 'x' }), m(2, vi(1, -1)), m(3, vi(1, 2n ** 40n), s(2, '')));
    // ScaleSpec.replicas int32 -1 (ten-byte varint), ScaleStatus.replicas int32 truncated like Go
    const out = decodeKubernetesProtobuf(envelope('autoscaling/v1', 'Scale', raw));
    assert.equal(out.spec.replicas, -1);
    assert.equal(out.status.replicas, 0);
    const gen = cat(m(1, s(1, 'x'), vi(7, 2n ** 52n + 1n)));
    assert.equal(decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', gen)).metadata.generation, 2 ** 52 + 1);
  });

  test('map keys are sorted plain properties, even __proto__', () => {
    const out = decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', cat(mapSS(2, 'k', 'v1'), mapSS(2, '__proto__', 'x'), mapSS(2, 'k', 'v2'), mapSS(2, 'a', ''))));
    // sorted like Go's encoding/json, the last duplicate wins
    assert.deepEqual(Object.keys(out.data), ['__proto__', 'a', 'k']);
    assert.equal(Object.getPrototypeOf(out.data), Object.prototype);
    assert.equal(out.data.k, 'v2');
  });

  test('expected type fills an envelope without type meta; envelope type wins otherwise', () => {
    const raw = objectMeta(1, { name: 'x' });
    const bare = cat(Uint8Array.of(0x6b, 0x38, 0x73, 0x00), m(1), ld(2, raw));
    assert.deepEqual(decodeKubernetesProtobuf(bare, { group: '', version: 'v1', kind: 'Namespace' }), {
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name: 'x', creationTimestamp: null },
      spec: {},
      status: {},
    });
    const out = decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', raw), { group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.equal(out.kind, 'ConfigMap');
    throwsDecode(() => decodeKubernetesProtobuf(bare), /Kind' is missing/);
  });

  test('an envelope holding JSON', () => {
    const body = cat(Uint8Array.of(0x6b, 0x38, 0x73, 0x00), m(1, s(1, 'v1'), s(2, 'ConfigMap')), ld(2, te.encode('{"metadata":{"name":"j"},"data":{"a":"1"}}')), s(4, 'application/json'));
    assert.deepEqual(decodeKubernetesProtobuf(body), { metadata: { name: 'j' }, data: { a: '1' }, kind: 'ConfigMap', apiVersion: 'v1' });
  });

  test('malformed input and unknown kinds throw ProtobufDecodeError', () => {
    const good = envelope('v1', 'ConfigMap', objectMeta(1, { name: 'x' }));
    throwsDecode(() => decodeKubernetesProtobuf(te.encode('{"kind":"ConfigMap"}')), /k8s/);
    throwsDecode(() => decodeKubernetesProtobuf(new Uint8Array(0)), /k8s/);
    throwsDecode(() => decodeKubernetesProtobuf(good.subarray(0, good.length - 3)), /unexpected end/);
    throwsDecode(() => decodeKubernetesProtobuf(envelope('v1', 'Frobnicator', new Uint8Array(0))), /no kind "Frobnicator" is registered for version "v1"/);
    throwsDecode(() => decodeKubernetesProtobuf(envelope('apps/v1', 'ConfigMap', new Uint8Array(0))), /ConfigMap/);
    throwsDecode(() => decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', vi(1, 5))), /wrong wire type 0/);
    throwsDecode(() => decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', Uint8Array.of(0x0e))), /illegal wire type 6/);
    throwsDecode(() => decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', Uint8Array.of(0x02, 0x00))), /illegal tag 0/);
    throwsDecode(() => decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', Uint8Array.from([0x08, ...new Array(10).fill(0xff), 0x01]))), /varint overflow/);
    throwsDecode(() => decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', cat(tag(9, 3), vi(1, 1)))), /unterminated group/);
    throwsDecode(() => decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', new Uint8Array(0), s(3, 'gzip'))), /content encoding "gzip"/);
    throwsDecode(() => decodeKubernetesProtobuf(envelope('apps/v1', 'ControllerRevision', m(2, ld(1, te.encode('{oops'))))), /invalid JSON in RawExtension/);
    throwsDecode(() => decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', m(2, m(4, s(1, 'x'), m(2, m(1, vi(1, 7))))))), /IntOrString type 7/);
    let deep: Part = new Uint8Array(0);
    for (let i = 0; i < 2000; i++) deep = m(28, deep); // JSONSchemaProps.not, nested
    throwsDecode(() => decodeMessage(deep, 'apiextensions/v1.JSONSchemaProps'), /too deep/);
    assert.ok(hasKubernetesProtobufMagic(good));
    assert.ok(!hasKubernetesProtobufMagic(good.subarray(1)));
  });
});

describe('schema table', () => {
  test('every registry kind (and protobuf subresource kinds) has a layout', () => {
    for (const r of BUILTIN_RESOURCES) {
      // Read-only resources (the metrics API) never arrive as a request body.
      if (!r.verbs.some((v) => v === 'create' || v === 'update' || v === 'patch')) continue;
      const av = apiVersionOf(r);
      assert.ok(protobufMessageFor(av, r.kind), `${av} ${r.kind}`);
      if (r.verbs.includes('list')) assert.ok(protobufMessageFor(av, r.listKind), `${av} ${r.listKind}`);
    }
    const extra: Array<[string, string]> = [
      ['autoscaling/v1', 'Scale'],
      ['v1', 'Binding'],
      ['policy/v1', 'Eviction'],
      ['authentication.k8s.io/v1', 'TokenRequest'],
      ['authentication.k8s.io/v1', 'TokenReview'],
      ['authentication.k8s.io/v1', 'SelfSubjectReview'],
      ['authorization.k8s.io/v1', 'SubjectAccessReview'],
      ['authorization.k8s.io/v1', 'SelfSubjectAccessReview'],
      ['authorization.k8s.io/v1', 'LocalSubjectAccessReview'],
      ['authorization.k8s.io/v1', 'SelfSubjectRulesReview'],
      ['v1', 'DeleteOptions'],
      ['batch/v1', 'DeleteOptions'],
      ['v1', 'Status'],
      ['meta.k8s.io/v1', 'PartialObjectMetadata'],
    ];
    for (const [av, kind] of extra) assert.ok(protobufMessageFor(av, kind), `${av} ${kind}`);
    assert.equal(protobufMessageFor('v1', 'Frobnicator'), undefined);
  });

  test('every referenced message exists and decodes from an empty body', () => {
    const scalars = new Set(['string', 'bytes', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool', 'double', 'float', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64']);
    for (const [name, fields] of Object.entries(MESSAGES)) {
      const nums = new Set<number>();
      for (const [num, , type] of fields) {
        assert.ok(!nums.has(num), `${name}: duplicate field ${num}`);
        nums.add(num);
        const refs = type.startsWith('map<') ? type.slice(4, -1).split(',') : [type];
        for (const r of refs) assert.ok(scalars.has(r) || MESSAGES[r], `${name} -> ${r}`);
      }
      assert.doesNotThrow(() => decodeMessage(new Uint8Array(0), name), name);
    }
    for (const name of Object.keys(CUSTOM_JSON)) assert.ok(MESSAGES[name], name);
    for (const name of Object.values(KINDS)) assert.ok(MESSAGES[name], name);
  });
});

describe('bodies captured from kubectl 1.32', () => {
  for (const c of KUBECTL_CAPTURES) {
    test(c.command, () => {
      assert.equal(c.contentType, 'application/vnd.kubernetes.protobuf');
      const body = Uint8Array.from(Buffer.from(c.body, 'base64'));
      const got: any = decodeKubernetesProtobuf(body);
      const apiVersion: string = got.apiVersion;
      assert.deepEqual(got, c.expected);
      // same key order as kubectl's own JSON
      assert.equal(JSON.stringify(got), JSON.stringify(c.expected));
      // the envelope type matches the request path's group version (token: a subresource in another group)
      if (c.path.includes('/token')) return;
      const [, gv] = /^\/(?:api|apis)\/(.*?)\/(?:namespaces|serviceaccounts|selfsubjectaccessreviews|certificatesigningrequests|clusterroles|clusterrolebindings|priorityclasses)/.exec(c.path) ?? [];
      assert.equal(apiVersion, gv);
    });
  }
});
