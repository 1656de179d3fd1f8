// The real kubectl against a real `kts server`: everyday object work.

import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKts, KUBECTL, run, type KtsProcess } from './harness.js';

let kts: KtsProcess;

before(async () => {
  kts = await startKts();
});

after(async () => {
  await kts?.stop();
});

const CM = (name: string, ns = 'default', data: Record<string, string> = { a: '1' }) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels: { app: 'demo' } }, data });

const DEPLOY = (name: string, image = 'busybox:1.36', replicas = 2) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels:
    app: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
      - name: main
        image: ${image}
        ports:
        - containerPort: 80
`;

describe('kubectl against kts', () => {
  test('version reports v1.32.N+kts', async () => {
    const out = JSON.parse(await kts.k(['version', '-o', 'json']));
    assert.match(out.serverVersion.gitVersion, /^v1\.32\.\d+\+kts$/);
    assert.equal(out.serverVersion.minor, '32');
  });

  test('api-resources lists built-ins with short names and scope', async () => {
    const out = await kts.k(['api-resources', '--no-headers']);
    const lines = out.trim().split('\n').map((l) => l.trim().split(/\s+/));
    const row = (name: string, group = '') => lines.find((l) => l[0] === name && (group === '' ? /^v1$/.test(l.at(-3)!) : l.includes(`${group}/v1`) || l.some((c) => c.startsWith(`${group}/`))));
    const pods = row('pods');
    assert.ok(pods, out);
    assert.deepEqual(pods, ['pods', 'po', 'v1', 'true', 'Pod']);
    assert.deepEqual(row('namespaces'), ['namespaces', 'ns', 'v1', 'false', 'Namespace']);
    assert.deepEqual(row('deployments', 'apps'), ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment']);
    assert.deepEqual(row('customresourcedefinitions', 'apiextensions.k8s.io'), ['customresourcedefinitions', 'crd,crds', 'apiextensions.k8s.io/v1', 'false', 'CustomResourceDefinition']);
    for (const r of ['cronjobs', 'jobs', 'leases', 'endpointslices', 'roles', 'storageclasses', 'horizontalpodautoscalers', 'poddisruptionbudgets', 'priorityclasses', 'ingresses', 'events']) {
      assert.ok(lines.some((l) => l[0] === r), `missing ${r}`);
    }
  });

  test('system namespaces exist from the start', async () => {
    const out = await kts.k(['get', 'ns', '-o', 'jsonpath={.items[*].metadata.name}']);
    assert.deepEqual(out.split(' ').sort(), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    const table = await kts.k(['get', 'namespaces']);
    assert.match(table, /^NAME\s+STATUS\s+AGE\n/);
    assert.match(table, /\ndefault\s+Active\s+\d+s\n/);
  });

  test('create, get -o yaml/json/jsonpath, and Table output', async () => {
    const out = await kts.k(['create', '-f', '-'], CM('cm1'));
    assert.equal(out.trim(), 'configmap/cm1 created');
    const yaml = await kts.k(['get', 'configmap', 'cm1', '-o', 'yaml']);
    assert.match(yaml, /^apiVersion: v1\n/);
    assert.match(yaml, /\n {2}a: "1"\n/);
    assert.match(yaml, /\n {2}uid: [0-9a-f-]{36}\n/);
    const obj = JSON.parse(await kts.k(['get', 'cm', 'cm1', '-o', 'json']));
    assert.equal(obj.metadata.namespace, 'default');
    assert.match(obj.metadata.resourceVersion, /^\d+$/);
    assert.match(obj.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(await kts.k(['get', 'cm', 'cm1', '-o', 'jsonpath={.data.a}']), '1');
    const table = await kts.k(['get', 'cm', 'cm1']);
    assert.match(table, /^NAME\s+DATA\s+AGE\ncm1\s+1\s+\d+s\n$/);
    const again = await kts.kubectl(['create', '-f', '-'], { input: CM('cm1') });
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /Error from server \(AlreadyExists\).*configmaps "cm1" already exists/);
  });

  test('apply creates, then updates, and get -o wide shows extra columns', async () => {
    const out1 = await kts.k(['apply', '-f', '-'], DEPLOY('web'));
    assert.equal(out1.trim(), 'deployment.apps/web created');
    const out2 = await kts.k(['apply', '-f', '-'], DEPLOY('web', 'busybox:1.37', 3));
    assert.equal(out2.trim(), 'deployment.apps/web configured');
    const d = JSON.parse(await kts.k(['get', 'deploy', 'web', '-o', 'json']));
    assert.equal(d.spec.replicas, 3);
    assert.equal(d.spec.template.spec.containers[0].image, 'busybox:1.37');
    assert.equal(d.metadata.generation, 2);
    assert.equal(d.spec.strategy.type, 'RollingUpdate');
    assert.ok(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    const out3 = await kts.k(['apply', '-f', '-'], DEPLOY('web', 'busybox:1.37', 3));
    assert.equal(out3.trim(), 'deployment.apps/web unchanged');
    const wide = await kts.k(['get', 'deployment', 'web', '-o', 'wide']);
    assert.match(wide, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\n/);
    assert.match(wide, /\nweb\s+0\/3\s+\d+\s+0\s+\d+s\s+main\s+busybox:1\.37\s+app=web\n/);
  });

  test('kubectl patch with each patch type', async () => {
    await kts.k(['apply', '-f', '-'], DEPLOY('pt', 'busybox:1.36', 1));
    // Strategic merge (kubectl's default for built-ins): containers merge by name.
    await kts.k(['patch', 'deploy', 'pt', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox:side"}]}}}}']);
    assert.equal(await kts.k(['get', 'deploy', 'pt', '-o', 'jsonpath={.spec.template.spec.containers[*].name}']), 'side main');
    // $patch: delete removes one element by its key.
    await kts.k(['patch', 'deploy', 'pt', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"side","$patch":"delete"}]}}}}']);
    assert.equal(await kts.k(['get', 'deploy', 'pt', '-o', 'jsonpath={.spec.template.spec.containers[*].name}']), 'main');
    // JSON merge patch: lists are replaced whole.
    await kts.k(['patch', 'deploy', 'pt', '--type=merge', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"busybox:m"}]}}}}']);
    assert.equal(await kts.k(['get', 'deploy', 'pt', '-o', 'jsonpath={.spec.template.spec.containers[*].name}']), 'only');
    // JSON patch (RFC 6902), including a failing test operation.
    await kts.k(['patch', 'deploy', 'pt', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":4},{"op":"add","path":"/metadata/labels/extra","value":"yes"}]']);
    assert.equal(await kts.k(['get', 'deploy', 'pt', '-o', 'jsonpath={.spec.replicas} {.metadata.labels.extra}']), '4 yes');
    const failed = await kts.kubectl(['patch', 'deploy', 'pt', '--type=json', '-p', '[{"op":"test","path":"/spec/replicas","value":9}]']);
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /json patch test operation 0: testing value \/spec\/replicas failed/);
    await kts.k(['delete', 'deploy', 'pt']);
  });

  test('apply: a field removed from the file is removed from the object; then --server-side takes over', async () => {
    const withEnv = DEPLOY('rm', 'busybox:1.36', 1).replace('        ports:\n', '        env:\n        - name: A\n          value: "1"\n        - name: B\n          value: "2"\n        ports:\n');
    await kts.k(['apply', '-f', '-'], withEnv);
    await kts.k(['apply', '-f', '-'], withEnv.replace('        - name: B\n          value: "2"\n', ''));
    assert.equal(await kts.k(['get', 'deploy', 'rm', '-o', 'jsonpath={.spec.template.spec.containers[0].env[*].name}']), 'A');
    // Client-side apply followed by server-side apply: no conflicts, the applier owns the fields.
    const ssa = await kts.kubectl(['apply', '--server-side', '-f', '-'], { input: withEnv.replace('replicas: 1', 'replicas: 2') });
    assert.equal(ssa.code, 0, ssa.stderr);
    assert.equal(await kts.k(['get', 'deploy', 'rm', '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].env[*].name}']), '2 A B');
    await kts.k(['delete', 'deploy', 'rm']);
  });

  test('server-side apply: field managers, conflicts and --force-conflicts', async () => {
    assert.equal((await kts.k(['apply', '--server-side', '-f', '-'], DEPLOY('ssa', 'busybox:1.36', 2))).trim(), 'deployment.apps/ssa serverside-applied');
    const obj = JSON.parse(await kts.k(['get', 'deploy', 'ssa', '-o', 'json', '--show-managed-fields']));
    const mine = obj.metadata.managedFields.find((m: any) => m.manager === 'kubectl' && m.operation === 'Apply');
    assert.ok(mine, JSON.stringify(obj.metadata.managedFields));
    assert.deepEqual(mine.fieldsV1['f:spec']['f:replicas'], {});
    // Another manager takes .spec.replicas with a plain update.
    await kts.k(['patch', 'deploy', 'ssa', '--type=merge', '-p', '{"spec":{"replicas":5}}', '--field-manager=autoscaler']);
    const r = await kts.kubectl(['apply', '--server-side', '-f', '-'], { input: DEPLOY('ssa', 'busybox:1.36', 3) });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Apply failed with 1 conflict: conflict with "autoscaler" using apps\/v1: \.spec\.replicas/);
    assert.equal(await kts.k(['get', 'deploy', 'ssa', '-o', 'jsonpath={.spec.replicas}']), '5');
    await kts.k(['apply', '--server-side', '--force-conflicts', '-f', '-'], DEPLOY('ssa', 'busybox:1.36', 3));
    assert.equal(await kts.k(['get', 'deploy', 'ssa', '-o', 'jsonpath={.spec.replicas}']), '3');
    // Dropping a field from the applied configuration removes it.
    const noPorts = DEPLOY('ssa', 'busybox:1.36', 3).replace(/\n\s+ports:\n\s+- containerPort: 80\n/, '\n');
    await kts.k(['apply', '--server-side', '-f', '-'], noPorts);
    assert.equal(await kts.k(['get', 'deploy', 'ssa', '-o', 'jsonpath={.spec.template.spec.containers[0].ports}']), '');
    await kts.k(['delete', 'deploy', 'ssa']);
  });

  test('apply --prune removes what left the set, and diff shows pending changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-prune-'));
    try {
      const write = (n: string, v: string) =>
        writeFileSync(join(dir, `${n}.json`), JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n, labels: { set: 'prune' } }, data: { k: v } }));
      for (const n of ['pa', 'pb', 'pc']) write(n, 'v1');
      await kts.k(['apply', '-f', dir, '-l', 'set=prune', '--prune']);
      rmSync(join(dir, 'pc.json'));
      const out = await kts.k(['apply', '-f', dir, '-l', 'set=prune', '--prune']);
      assert.match(out, /configmap\/pc pruned/);
      assert.equal((await kts.k(['get', 'cm', '-l', 'set=prune', '-o', 'name'])).trim(), 'configmap/pa\nconfigmap/pb');
      const same = await kts.kubectl(['diff', '-f', dir]);
      assert.equal(same.code, 0, same.stderr);
      write('pa', 'v2');
      const changed = await kts.kubectl(['diff', '-f', dir]);
      assert.equal(changed.code, 1, changed.stderr);
      assert.match(changed.stdout, /^-\s+k: v1$/m);
      assert.match(changed.stdout, /^\+\s+k: v2$/m);
      assert.equal(await kts.k(['get', 'cm', 'pa', '-o', 'jsonpath={.data.k}']), 'v1', 'diff changes nothing');
      await kts.k(['delete', 'cm', '-l', 'set=prune']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('unknown fields: refused with --validate=strict, warned with warn, dropped with false', async () => {
    const bad = DEPLOY('fv').replace('  replicas: 2\n', '  replicas: 2\n  bogus: 1\n').replace('        image: busybox:1.36\n', '        image: busybox:1.36\n        imagePullPolice: Always\n');
    const strict = await kts.kubectl(['apply', '-f', '-'], { input: bad });
    assert.notEqual(strict.code, 0);
    assert.match(
      strict.stderr,
      /Error from server \(BadRequest\): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec\.bogus", unknown field "spec\.template\.spec\.containers\[0\]\.imagePullPolice"/,
    );
    const warn = await kts.kubectl(['apply', '--validate=warn', '-f', '-'], { input: bad });
    assert.equal(warn.code, 0, warn.stderr);
    assert.match(warn.stderr, /Warning: unknown field "spec\.bogus"/);
    const stored = JSON.parse(await kts.k(['get', 'deploy', 'fv', '-o', 'json']));
    assert.equal(stored.spec.bogus, undefined, 'unknown fields are dropped');
    await kts.k(['delete', 'deploy', 'fv']);
    const off = await kts.kubectl(['apply', '--validate=false', '-f', '-'], { input: bad });
    assert.equal(off.code, 0, off.stderr);
    assert.doesNotMatch(off.stderr, /Warning/);
    await kts.k(['delete', 'deploy', 'fv']);
  });

  test('scale goes through the scale subresource', async () => {
    assert.equal((await kts.k(['scale', 'deployment', 'web', '--replicas=5'])).trim(), 'deployment.apps/web scaled');
    assert.equal(await kts.k(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas} {.metadata.generation}']), '5 3');
    const scale = JSON.parse(await kts.k(['get', '--raw', '/apis/apps/v1/namespaces/default/deployments/web/scale']));
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.spec.replicas, 5);
    assert.equal(scale.status.selector, 'app=web');
    await kts.k(['scale', 'deployment', 'web', '--replicas=3']);
  });

  test('explain prints field docs from the OpenAPI schemas', async () => {
    const img = await kts.k(['explain', 'pod.spec.containers.image']);
    assert.match(img, /FIELD:\s+image <string>/);
    assert.match(img, /Container image name\./);
    const ports = await kts.k(['explain', 'svc.spec.ports']);
    assert.match(ports, /port\s+<integer> -required-/);
    assert.match(ports, /targetPort\s+<IntOrString>/);
    const rec = await kts.k(['explain', 'deployment', '--recursive']);
    assert.match(rec, /^GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1\n/);
    assert.match(rec, /\n\s+replicas\s+<integer>\n/);
  });

  test('a List document is validated on the client from /openapi/v2', async () => {
    const list = (data: object) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'in-list' }, ...data }] });
    const bad = await kts.kubectl(['create', '-f', '-'], { input: list({ bogus: 1 }) });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unknown field "bogus" in io\.k8s\.api\.core\.v1\.ConfigMap/);
    assert.equal((await kts.k(['create', '-f', '-'], list({ data: { a: 'b' } }))).trim(), 'configmap/in-list created');
    await kts.k(['delete', 'cm', 'in-list']);
  });

  test('describe shows the object', async () => {
    const out = await kts.k(['describe', 'configmap', 'cm1']);
    assert.match(out, /^Name:\s+cm1\n/m);
    assert.match(out, /^Namespace:\s+default$/m);
    assert.match(out, /^Labels:\s+app=demo$/m);
    const d = await kts.k(['describe', 'deployment', 'web']);
    assert.match(d, /^Replicas:\s+3 desired/m);
    assert.match(d, /^StrategyType:\s+RollingUpdate$/m);
  });

  test('label, annotate and selectors', async () => {
    await kts.k(['create', '-f', '-'], CM('cm2'));
    await kts.k(['create', '-f', '-'], CM('cm3'));
    assert.equal((await kts.k(['label', 'cm', 'cm2', 'tier=backend'])).trim(), 'configmap/cm2 labeled');
    assert.equal((await kts.k(['label', 'cm', 'cm3', 'tier=frontend'])).trim(), 'configmap/cm3 labeled');
    assert.equal((await kts.k(['annotate', 'cm', 'cm2', 'note=hello'])).trim(), 'configmap/cm2 annotated');
    assert.equal(await kts.k(['get', 'cm', 'cm2', '-o', 'jsonpath={.metadata.annotations.note}']), 'hello');
    const names = async (sel: string[]) => (await kts.k(['get', 'cm', ...sel, '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').filter(Boolean).sort();
    assert.deepEqual(await names(['-l', 'tier=backend']), ['cm2']);
    assert.deepEqual(await names(['-l', 'tier!=backend,app=demo']), ['cm1', 'cm3']);
    assert.deepEqual(await names(['-l', 'tier in (backend,frontend)']), ['cm2', 'cm3']);
    assert.deepEqual(await names(['-l', 'tier']), ['cm2', 'cm3']);
    assert.deepEqual(await names(['-l', '!tier,app=demo']), ['cm1']);
    assert.deepEqual(await names(['--field-selector', 'metadata.name=cm3']), ['cm3']);
    assert.deepEqual(await names(['--field-selector', 'metadata.name!=cm3', '-l', 'app=demo']), ['cm1', 'cm2']);
    assert.equal((await kts.k(['label', 'cm', 'cm2', 'tier-'])).trim(), 'configmap/cm2 unlabeled');
    assert.deepEqual(await names(['-l', 'tier']), ['cm3']);
    const bad = await kts.kubectl(['get', 'cm', '--field-selector', 'spec.foo=bar']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /"spec\.foo" is not a known field selector: only "metadata\.name", "metadata\.namespace"/);
    const badPod = await kts.kubectl(['get', 'pods', '--field-selector', 'spec.foo=bar']);
    assert.match(badPod.stderr, /field label not supported: spec\.foo/);
  });

  test('stale replace is refused with Conflict', async () => {
    const obj = JSON.parse(await kts.k(['get', 'cm', 'cm1', '-o', 'json']));
    obj.data.a = '2';
    await kts.k(['replace', '-f', '-'], JSON.stringify(obj));
    obj.data.a = '3'; // still carries the old resourceVersion
    const r = await kts.kubectl(['replace', '-f', '-'], { input: JSON.stringify(obj) });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(Conflict\).*Operation cannot be fulfilled on configmaps "cm1": the object has been modified; please apply your changes to the latest version and try again/);
    assert.equal(await kts.k(['get', 'cm', 'cm1', '-o', 'jsonpath={.data.a}']), '2');
  });

  test('invalid names are refused with the usual message', async () => {
    const r = await kts.kubectl(['create', '-f', '-'], { input: CM('Bad_Name') });
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /The ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '\.', and must start and end with an alphanumeric character \(e\.g\. 'example\.com', regex used for validation is/,
    );
    // The typed `create configmap` path (protobuf body) wraps the same Status.
    const typed = await kts.kubectl(['create', 'configmap', 'Bad_Name']);
    assert.notEqual(typed.code, 0);
    assert.match(typed.stderr, /error: failed to create configmap: ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    const ns = await kts.kubectl(['create', 'namespace', 'Bad.ns']);
    assert.notEqual(ns.code, 0);
    assert.match(ns.stderr, /The Namespace "Bad\.ns" is invalid: metadata\.name: Invalid value: "Bad\.ns": a lowercase RFC 1123 label must consist of/);
  });

  test('namespaces: create, use, delete removes content', async () => {
    assert.equal((await kts.k(['create', 'namespace', 'team-a'])).trim(), 'namespace/team-a created');
    await kts.k(['create', '-f', '-'], CM('inside', 'team-a'));
    await kts.k(['-n', 'team-a', 'create', 'secret', 'generic', 's1', '--from-literal=k=v']);
    assert.equal(await kts.k(['-n', 'team-a', 'get', 'secret', 's1', '-o', 'jsonpath={.data.k}']), Buffer.from('v').toString('base64'));
    const missing = await kts.kubectl(['-n', 'nope', 'create', 'configmap', 'x']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /namespaces "nope" not found/);
    const del = await kts.k(['delete', 'namespace', 'team-a', '--timeout=30s']);
    assert.equal(del.trim(), 'namespace "team-a" deleted');
    const gone = await kts.kubectl(['get', 'namespace', 'team-a']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /namespaces "team-a" not found/);
    assert.equal((await kts.k(['get', 'cm', '-A', '--field-selector', 'metadata.namespace=team-a', '-o', 'name'])).trim(), '');
  });

  test('services get ClusterIPs and NodePorts allocated', async () => {
    const k8s = await kts.k(['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP} {.spec.ports[0].port}']);
    assert.equal(k8s, '10.43.0.1 443');
    assert.equal((await kts.k(['create', 'service', 'nodeport', 'np', '--tcp=80:8080'])).trim(), 'service/np created');
    const np = JSON.parse(await kts.k(['get', 'svc', 'np', '-o', 'json']));
    assert.match(np.spec.clusterIP, /^10\.43\.\d+\.\d+$/);
    assert.notEqual(np.spec.clusterIP, '10.43.0.1');
    assert.ok(np.spec.ports[0].nodePort >= 30000 && np.spec.ports[0].nodePort <= 32767);
    const table = await kts.k(['get', 'svc', 'np']);
    assert.match(table, new RegExp(`\\nnp\\s+NodePort\\s+${np.spec.clusterIP.replace(/\./g, '\\.')}\\s+<none>\\s+80:${np.spec.ports[0].nodePort}/TCP\\s+\\d+s\\n`));
    const dup = await kts.kubectl(['create', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'dup' }, spec: { clusterIP: np.spec.clusterIP, ports: [{ port: 80 }] } }),
    });
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /The Service "dup" is invalid: spec\.clusterIPs: Invalid value: \[\]string\{"10\.43\.\d+\.\d+"\}: failed to allocate IP 10\.43\.\d+\.\d+: provided IP is already allocated/);
    await kts.k(['delete', 'svc', 'np']);
  });

  test('get all shows the workload kinds', async () => {
    const out = await kts.k(['get', 'all']);
    assert.match(out, /deployment\.apps\/web\s+0\/3/);
  });

  test('--watch receives ADDED then MODIFIED', async () => {
    await kts.k(['create', 'configmap', 'watched', '--from-literal=x=1']);
    const child = spawn(KUBECTL, ['get', 'configmap', 'watched', '--watch', '-o', 'jsonpath={.data.x}{"\\n"}'], {
      env: { ...process.env, KUBECONFIG: kts.kubeconfig },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      await waitFor(() => out.includes('1\n'), 10_000, () => out);
      await kts.k(['patch', 'configmap', 'watched', '-p', '{"data":{"x":"2"}}']);
      await waitFor(() => out.includes('2\n'), 10_000, () => out);
      assert.deepEqual(out.trim().split('\n'), ['1', '2']);
    } finally {
      child.kill();
    }
  });

  test('--watch with table output prints rows as they change', async () => {
    const child = spawn(KUBECTL, ['get', 'configmaps', '--watch', '-l', 'w=t'], { env: { ...process.env, KUBECONFIG: kts.kubeconfig } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      await new Promise((r) => setTimeout(r, 500));
      await kts.k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'wt', labels: { w: 't' } } }));
      await waitFor(() => /\nwt\s+0\s+\d+s/.test('\n' + out), 10_000, () => out);
      await kts.k(['patch', 'configmap', 'wt', '-p', '{"data":{"k":"v"}}']);
      await waitFor(() => /\nwt\s+1\s+\d+s/.test('\n' + out), 10_000, () => out);
      assert.match(out, /^NAME\s+DATA\s+AGE\n/);
    } finally {
      child.kill();
    }
  });

  test('--chunk-size pages through a large list', async () => {
    const docs = Array.from({ length: 25 }, (_, i) => CM(`page-${String(i).padStart(2, '0')}`, 'default', { i: String(i) }));
    await kts.k(['create', '-f', '-'], docs.join('\n'));
    const out = await kts.k(['get', 'cm', '-l', 'app=demo', '--chunk-size=4', '-o', 'name', '-v=6']);
    const names = out
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('configmap/page-'));
    assert.equal(names.length, 25);
    const r = await kts.kubectl(['get', 'cm', '--chunk-size=5', '-v=6']);
    assert.equal(r.code, 0);
    const pages = (r.stderr.match(/GET https:\/\/\S+configmaps\?\S*limit=5/g) ?? []).length;
    const conts = (r.stderr.match(/GET https:\/\/\S+configmaps\?continue=/g) ?? []).length;
    assert.equal(pages, 1 + conts);
    assert.ok(conts >= 4, r.stderr);
  });

  test('delete removes objects', async () => {
    assert.equal((await kts.k(['delete', 'configmap', 'cm3'])).trim(), 'configmap "cm3" deleted');
    const r = await kts.kubectl(['get', 'configmap', 'cm3']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error from server \(NotFound\): configmaps "cm3" not found/);
    assert.match((await kts.k(['delete', 'deployment', 'web'])).trim(), /^deployment\.apps "web" deleted$/);
    const all = await kts.k(['delete', 'cm', '-l', 'app=demo']);
    assert.match(all, /configmap "page-00" deleted/);
  });
});

const KUBECTL_133 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';

describe('kubectl 1.33 against kts', { skip: !existsSync(KUBECTL_133) && 'kubectl 1.33 is not installed' }, () => {
  test('everyday commands work with the next client version too', async () => {
    const env = { ...process.env, KUBECONFIG: kts.kubeconfig };
    const k = async (args: string[], input?: string) => {
      const r = await run(KUBECTL_133, args, { env, input });
      assert.equal(r.code, 0, `kubectl 1.33 ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    assert.match(await k(['version']), /Server Version: v1\.32\.\d+\+kts/);
    assert.equal((await k(['create', 'namespace', 'k133'])).trim(), 'namespace/k133 created');
    assert.equal((await k(['-n', 'k133', 'apply', '-f', '-'], DEPLOY('d133'))).trim(), 'deployment.apps/d133 created');
    assert.equal((await k(['-n', 'k133', 'create', 'configmap', 'c', '--from-literal=a=b'])).trim(), 'configmap/c created');
    assert.match(await k(['-n', 'k133', 'get', 'deploy,cm']), /deployment\.apps\/d133\s+0\/2/);
    assert.match(await k(['api-resources']), /\ndeployments\s+deploy\s+apps\/v1\s+true\s+Deployment\n/);
    assert.equal((await k(['delete', 'namespace', 'k133'])).trim(), 'namespace "k133" deleted');
  });
});

async function waitFor(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out; got: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
