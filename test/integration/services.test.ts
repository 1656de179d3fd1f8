// Services with real pods: the service proxy's rules carry ClusterIP traffic
// from pods and from the node, NodePort and LoadBalancer traffic from the
// host (loopback and the node's own address), spread across ready endpoints;
// pods find Services by name through the cluster DNS; the Ingress controller
// routes hosts to Services on the node's ports 80 and 443.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { generateCA, issueServingCertificate } from '../../src/apiserver/pki/index.js';
import { eventually, type KtsProcess } from './harness.js';
import { BUSYBOX, startAgentCluster, type AgentCluster } from './agent-harness.js';

/** A statically linked kubectl, mounted into a pod to act as an in-cluster client. */
const KUBECTL_BINARY = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';

let cluster: AgentCluster;
let kts: KtsProcess;

before(async () => {
  cluster = await startAgentCluster();
  kts = cluster.kts;
  await kts.k(
    ['apply', '-f', '-'],
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: ${BUSYBOX}
        command: [sh, -c, 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www']
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {exec: {command: [sh, -c, 'test ! -e /tmp/unready']}, periodSeconds: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: ${BUSYBOX}
    command: [sleep, '100000']
`,
  );
  await kts.k(['rollout', 'status', 'deployment/web', '--timeout=90s']);
  await kts.k(['wait', '--for=condition=Ready', 'pod/client', '--timeout=60s']);
});

after(async () => {
  await cluster?.destroy();
});

async function podNames(): Promise<string[]> {
  return (await kts.k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').filter(Boolean).sort();
}

/** Fetches `url` from inside the client pod `n` times; returns the bodies. */
async function fetchFromPod(url: string, n: number): Promise<string[]> {
  const out = await kts.k(['exec', 'client', '--', 'sh', '-c', `for i in $(seq ${n}); do wget -qO- ${url} || echo FAIL; done`]);
  return out.trim().split('\n');
}

test('ClusterIP: pods reach the Service and every ready endpoint answers', async () => {
  await kts.k(['expose', 'deployment', 'web', '--port', '80', '--target-port', 'http']);
  const ip = (await kts.k(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  assert.match(ip, /^10\.43\.\d+\.\d+$/);
  const names = await podNames();
  const bodies = await eventually('service answers', async () => {
    const b = await fetchFromPod(`http://${ip}/`, 1);
    return b[0] !== 'FAIL' ? b : undefined;
  });
  assert.ok(names.includes(bodies[0]));
  const seen = new Set(await fetchFromPod(`http://${ip}/`, 45));
  assert.deepEqual([...seen].sort(), names, 'all three endpoints served, nothing failed');
  // From the node too.
  const res = await fetch(`http://${ip}/`, { signal: AbortSignal.timeout(2000) });
  assert.ok(names.includes((await res.text()).trim()));
});

test('an endpoint that turns unready stops receiving traffic', async () => {
  const ip = (await kts.k(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  const [victim] = await podNames();
  await kts.k(['exec', victim, '--', 'touch', '/tmp/unready']);
  await eventually('endpoint removed', async () => {
    const eps = await kts.k(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'jsonpath={.items[*].endpoints[?(@.conditions.ready==true)].targetRef.name}']);
    return eps.includes(victim) ? undefined : true;
  });
  await new Promise((r) => setTimeout(r, 1000)); // the proxy's sync
  const seen = new Set(await fetchFromPod(`http://${ip}/`, 30));
  assert.ok(!seen.has(victim), `${victim} still served`);
  assert.ok(!seen.has('FAIL'));
  assert.equal(seen.size, 2);
  await kts.k(['exec', victim, '--', 'rm', '/tmp/unready']);
});

test('NodePort answers on 127.0.0.1 and on the node address', async () => {
  await kts.k(['expose', 'deployment', 'web', '--name', 'web-np', '--type', 'NodePort', '--port', '80', '--target-port', 'http']);
  const port = Number(await kts.k(['get', 'service', 'web-np', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
  assert.ok(port >= 30000 && port <= 32767);
  const nodeIP = (await kts.k(['get', 'nodes', '-o', 'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}'])).trim();
  const names = await podNames();
  for (const host of ['127.0.0.1', nodeIP]) {
    const body = await eventually(`NodePort on ${host}`, async () => {
      const res = await fetch(`http://${host}:${port}/`, { signal: AbortSignal.timeout(2000) });
      return (await res.text()).trim();
    });
    assert.ok(names.includes(body), `${body} from ${host}`);
  }
});

test('LoadBalancer: ServiceLB publishes the node address and serves the port there', async () => {
  await kts.k(['expose', 'deployment', 'web', '--name', 'web-lb', '--type', 'LoadBalancer', '--port', '8081', '--target-port', 'http']);
  const nodeIP = (await kts.k(['get', 'nodes', '-o', 'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}'])).trim();
  const ingress = await eventually('load balancer ingress', async () => {
    const v = (await kts.k(['get', 'service', 'web-lb', '-o', 'jsonpath={.status.loadBalancer.ingress[*].ip}'])).trim();
    return v || undefined;
  });
  assert.equal(ingress, nodeIP);
  assert.match(await kts.k(['get', 'service', 'web-lb']), new RegExp(`web-lb\\s+LoadBalancer\\s+\\S+\\s+${nodeIP.replace(/\./g, '\\.')}\\s+8081:\\d+/TCP`));
  const names = await podNames();
  const body = await eventually('LB port answers', async () => {
    const res = await fetch(`http://${nodeIP}:8081/`, { signal: AbortSignal.timeout(2000) });
    return (await res.text()).trim();
  });
  assert.ok(names.includes(body));
});

test('a Service without endpoints refuses connections at once', async () => {
  await kts.k(['create', 'service', 'clusterip', 'nobody', '--tcp', '80:80']);
  const ip = (await kts.k(['get', 'service', 'nobody', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  await new Promise((r) => setTimeout(r, 1000));
  const t0 = Date.now();
  const r = await kts.kubectl(['exec', 'client', '--', 'wget', '-qO-', `http://${ip}/`]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Connection refused/);
  assert.ok(Date.now() - t0 < 4000, 'refused, not timed out');
});

test('cluster DNS: pods reach a Service by short name, namespaced name and FQDN; resolv.conf as upstream writes it', async () => {
  const resolv = await kts.k(['exec', 'client', '--', 'cat', '/etc/resolv.conf']);
  assert.match(resolv, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local\b/m);
  assert.match(resolv, /^nameserver 10\.43\.0\.10$/m);
  assert.match(resolv, /^options ndots:5$/m);
  assert.equal((await kts.k(['get', 'service', '-n', 'kube-system', 'kube-dns', '-o', 'jsonpath={.spec.clusterIP}'])).trim(), '10.43.0.10');
  const names = await podNames();
  for (const host of ['web', 'web.default', 'web.default.svc.cluster.local']) {
    const [body] = await eventually(`http://${host}`, async () => {
      const b = await fetchFromPod(`http://${host}/`, 1);
      return b[0] !== 'FAIL' ? b : undefined;
    });
    assert.ok(names.includes(body), `${host} answered ${body}`);
  }
  const bad = await kts.kubectl(['exec', 'client', '--', 'wget', '-qO-', 'http://nothing-here/']);
  assert.match(bad.stderr, /bad address 'nothing-here'/);
});

test('cluster DNS: a headless Service and StatefulSet pod names resolve to pod IPs; ExternalName is a CNAME', async () => {
  await kts.k(
    ['apply', '-f', '-'],
    `apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: http, port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: ${BUSYBOX}
        command: [sh, -c, 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www']
---
apiVersion: v1
kind: Service
metadata: {name: alias}
spec:
  type: ExternalName
  externalName: web.default.svc.cluster.local
`,
  );
  await kts.k(['rollout', 'status', 'statefulset/db', '--timeout=90s']);
  const ips = JSON.parse(await kts.k(['get', 'pods', '-l', 'app=db', '-o', 'json'])).items.map((p: any) => [p.metadata.name, p.status.podIP]);
  for (const [name, ip] of ips) {
    const out = await eventually(`${name}.db`, async () => {
      const r = await kts.kubectl(['exec', 'client', '--', 'nslookup', `${name}.db.default.svc.cluster.local`]);
      return r.stdout.includes(`Address: ${ip}`) ? r.stdout : undefined;
    });
    assert.match(out, new RegExp(`Name:\\s+${name}\\.db\\.default\\.svc\\.cluster\\.local\\nAddress: ${ip.replace(/\./g, '\\.')}`));
    assert.equal((await fetchFromPod(`http://${name}.db/`, 1))[0], name);
  }
  const all = await kts.k(['exec', 'client', '--', 'nslookup', 'db.default.svc.cluster.local']);
  for (const [, ip] of ips) assert.ok(all.includes(`Address: ${ip}`), `headless answer lists ${ip}`);
  const webIP = (await kts.k(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  const alias = await eventually('alias CNAME', async () => {
    const r = await kts.kubectl(['exec', 'client', '--', 'nslookup', 'alias.default.svc.cluster.local']);
    return r.stdout.includes('canonical name') ? r.stdout : undefined;
  });
  assert.match(alias, /alias\.default\.svc\.cluster\.local\s+canonical name = web\.default\.svc\.cluster\.local/);
  assert.ok(alias.includes(`Address: ${webIP}`));
});

test('Ingress: two hosts route to their Services over HTTP and HTTPS (SNI with the Secret\'s certificate); the address is published', async () => {
  const ca = await generateCA('ingress-test-ca');
  const cert = await issueServingCertificate(ca, { commonName: 'db.example.test', sans: ['db.example.test'] });
  await kts.k(['apply', '-f', '-'], `apiVersion: v1
kind: Secret
metadata: {name: db-tls}
type: kubernetes.io/tls
data:
  tls.crt: ${Buffer.from(cert.certPem).toString('base64')}
  tls.key: ${Buffer.from(cert.keyPem).toString('base64')}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: sites}
spec:
  tls: [{hosts: [db.example.test], secretName: db-tls}]
  rules:
  - host: web.example.test
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
  - host: db.example.test
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: db, port: {name: http}}}}]}
`);
  const webPods = await podNames();
  const dbPods = ['db-0', 'db-1'];
  const get = (host: string, secure: boolean) =>
    new Promise<{ status: number; body: string; cn?: string }>((resolve, reject) => {
      const mod = secure ? https : http;
      const req = mod.request({ host: '127.0.0.1', port: secure ? 443 : 80, path: '/', headers: { Host: host }, servername: host, ca: ca.certPem, timeout: 3000 } as https.RequestOptions, (res) => {
        let body = '';
        const cn = secure ? String((res.socket as TLSSocket).getPeerCertificate().subject?.CN) : undefined;
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim(), cn }));
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end();
    });
  const web = await eventually('web.example.test routed', async () => {
    const r = await get('web.example.test', false);
    return r.status === 200 ? r : undefined;
  });
  assert.ok(webPods.includes(web.body), web.body);
  const db = await eventually('db.example.test routed', async () => {
    const r = await get('db.example.test', false);
    return r.status === 200 ? r : undefined;
  });
  assert.ok(dbPods.includes(db.body), db.body);
  const tls = await get('db.example.test', true);
  assert.equal(tls.status, 200);
  assert.ok(dbPods.includes(tls.body));
  assert.equal(tls.cn, 'db.example.test');
  assert.equal((await get('nobody.example.test', false)).status, 404);
  const nodeIP = (await kts.k(['get', 'nodes', '-o', 'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}'])).trim();
  await eventually('ingress address', async () => ((await kts.k(['get', 'ingress', 'sites', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'])).trim() === nodeIP ? true : undefined));
  assert.match(await kts.k(['get', 'ingress', 'sites']), new RegExp(`sites\\s+kts\\s+web\\.example\\.test,db\\.example\\.test\\s+${nodeIP.replace(/\./g, '\\.')}\\s+80, 443`));
});

test('in-cluster access: a pod reaches the API server through the kubernetes Service with its ServiceAccount token, and RBAC applies', async () => {
  await kts.k(['create', 'serviceaccount', 'robot']);
  await kts.k(['create', 'role', 'cm-reader', '--verb=get,list', '--resource=configmaps']);
  await kts.k(['create', 'rolebinding', 'robot-cm', '--role=cm-reader', '--serviceaccount=default:robot']);
  await kts.k(['create', 'configmap', 'shared', '--from-literal=a=b']);
  // The real kubectl (a static binary) inside the pod, with in-cluster configuration only.
  await kts.k(
    ['apply', '-f', '-'],
    `apiVersion: v1
kind: Pod
metadata: {name: incluster}
spec:
  serviceAccountName: robot
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: ${BUSYBOX}
    command: [sleep, '100000']
    volumeMounts: [{name: kubectl, mountPath: /usr/local/bin/kubectl, readOnly: true}]
  volumes: [{name: kubectl, hostPath: {path: ${KUBECTL_BINARY}, type: File}}]
`,
  );
  await kts.k(['wait', '--for=condition=Ready', 'pod/incluster', '--timeout=60s']);
  const env = await kts.k(['exec', 'incluster', '--', 'env']);
  assert.match(env, /^KUBERNETES_SERVICE_HOST=10\.43\.0\.1$/m);
  assert.match(env, /^KUBERNETES_SERVICE_PORT=443$/m);
  assert.deepEqual((await kts.k(['exec', 'incluster', '--', 'ls', '/var/run/secrets/kubernetes.io/serviceaccount'])).split('\n').filter(Boolean), ['ca.crt', 'namespace', 'token']);
  assert.equal(await kts.k(['exec', 'incluster', '--', 'kubectl', 'get', 'configmap', 'shared', '-o', 'jsonpath={.data.a}']), 'b');
  const del = await kts.kubectl(['exec', 'incluster', '--', 'kubectl', 'delete', 'configmap', 'shared']);
  assert.notEqual(del.code, 0);
  assert.match(del.stderr, /configmaps "shared" is forbidden: User "system:serviceaccount:default:robot" cannot delete resource "configmaps" in API group "" in the namespace "default"/);
  assert.match(await kts.k(['exec', 'incluster', '--', 'kubectl', 'auth', 'whoami']), /Username\s+system:serviceaccount:default:robot/);
});

test('a hostNetwork pod runs in the node\'s network namespace: the node\'s IP and name, and Services still reachable', async () => {
  await kts.k(
    ['apply', '-f', '-'],
    `apiVersion: v1
kind: Pod
metadata: {name: hostnet}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: ${BUSYBOX}, command: [sleep, '100000']}]
`,
  );
  await kts.k(['wait', '--for=condition=Ready', 'pod/hostnet', '--timeout=60s']);
  const p = JSON.parse(await kts.k(['get', 'pod', 'hostnet', '-o', 'json']));
  const node = JSON.parse(await kts.k(['get', 'nodes', '-o', 'json'])).items[0];
  const nodeIP = node.status.addresses.find((a: any) => a.type === 'InternalIP').address;
  assert.equal(p.status.podIP, nodeIP);
  assert.equal(p.status.hostIP, nodeIP);
  assert.equal((await kts.k(['exec', 'hostnet', '--', 'hostname'])).trim(), node.metadata.name);
  const webIP = (await kts.k(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  const body = (await kts.k(['exec', 'hostnet', '--', 'wget', '-qO-', `http://${webIP}/`])).trim();
  assert.ok((await podNames()).includes(body), body);
  await kts.k(['delete', 'pod', 'hostnet', '--wait=false']);
});
