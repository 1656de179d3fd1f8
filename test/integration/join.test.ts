// A second node joins with a token: a kts agent in a network namespace of
// its own (standing in for another machine, linked to the host by a veth
// pair) joins a kts server that runs its own node. Checked with the real
// kubectl and real containers: the join (CA hash, CSRs approved and issued),
// the pod CIDRs the control plane hands out, pod-to-pod traffic across the
// nodes over the routes the agents program, a Service and cluster DNS from
// the other node, logs and exec through the joined kubelet, and the Node
// authorizer keeping the agent's kubelet away from other nodes' Secrets.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KUBECTL, MAIN, eventually, run } from './harness.js';
import { BUSYBOX, startAgentCluster, type AgentCluster } from './agent-harness.js';

const NS = 'kts-join-n2';
const HOST_IF = 'kts-j2h';
const NS_IF = 'kts-j2n';
const HOST_IP = '10.99.7.1';
const NODE2_IP = '10.99.7.2';
const NODE2 = 'n2';
/**
 * Runs a command in the node's network namespace only: `ip netns exec` would
 * also remount /sys, hiding the cgroup hierarchy runc needs.
 */
const inNs = (cmd: string, ...args: string[]): [string, string[]] => ['nsenter', [`--net=/var/run/netns/${NS}`, cmd, ...args]];

let cluster: AgentCluster;
let agent: ChildProcess | undefined;
let agentLog = '';
let agentDir = '';

async function sh(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function removeNetns(): Promise<void> {
  await run('ip', ['link', 'del', HOST_IF]);
  await run('ip', ['netns', 'del', NS]);
}

before(async () => {
  await removeNetns();
  await sh('ip', ['netns', 'add', NS]);
  await sh('ip', ['link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF, 'netns', NS]);
  await sh('ip', ['addr', 'add', `${HOST_IP}/24`, 'dev', HOST_IF]);
  await sh('ip', ['link', 'set', HOST_IF, 'up']);
  for (const args of [['addr', 'add', `${NODE2_IP}/24`, 'dev', NS_IF], ['link', 'set', NS_IF, 'up'], ['link', 'set', 'lo', 'up'], ['route', 'add', 'default', 'via', HOST_IP]]) {
    await sh('ip', ['netns', 'exec', NS, 'ip', ...args]);
  }
  // The API server must answer on the veth address, with it in its certificate.
  cluster = await startAgentCluster(['--bind-address', '0.0.0.0', '--tls-san', HOST_IP]);
  agentDir = mkdtempSync(join(tmpdir(), 'kts-agent-'));
});

after(async () => {
  if (agent && agent.exitCode === null) {
    agent.kill('SIGTERM');
    await new Promise((r) => {
      const t = setTimeout(() => agent!.kill('SIGKILL'), 10_000);
      agent!.once('exit', () => {
        clearTimeout(t);
        r(undefined);
      });
    });
  }
  if (agentDir) {
    await run(...inNs(process.execPath, MAIN, 'killall', '--data-dir', agentDir));
    rmSync(agentDir, { recursive: true, force: true });
  }
  await cluster?.destroy();
  await removeNetns();
});

const k = (args: string[], input?: string) => cluster.kts.k(args, input);

const nodesIP = (nodes: any[], name: string): string => nodes.find((n) => n.metadata.name === name).status.addresses.find((a: any) => a.type === 'InternalIP').address;

function httpGet(host: string, port: number, hostHeader: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', headers: { host: hostHeader }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

test('an agent joins with a token: its node gets certificates through CSRs, a pod CIDR, and becomes Ready', async () => {
  const created = await run(process.execPath, [MAIN, 'token', 'create', '--kubeconfig', cluster.kts.kubeconfig]);
  assert.equal(created.code, 0, created.stderr);
  const token = created.stdout.trim();
  // A token with another CA's hash is refused before anything is sent.
  const wrong = `K10${'0'.repeat(64)}::${token.split('::')[1]}`;
  const bad = await run(...inNs(process.execPath, MAIN, 'agent', '--server', `https://${HOST_IP}:${cluster.kts.port}`, '--token', wrong, '--data-dir', agentDir, '--node-name', NODE2, '--node-ip', NODE2_IP));
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /the server's CA does not match the hash in the join token/);

  agent = spawn(...inNs(process.execPath, MAIN, 'agent', '--server', `https://${HOST_IP}:${cluster.kts.port}`, '--token', token, '--data-dir', agentDir, '--node-name', NODE2, '--node-ip', NODE2_IP), { stdio: ['ignore', 'ignore', 'pipe'] });
  agent.stderr!.on('data', (d) => (agentLog += d));
  await eventually('node n2 Ready', async () => {
    const r = await cluster.kts.kubectl(['get', 'node', NODE2, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
    return r.stdout === 'True' ? true : undefined;
  }, 90_000).catch((e) => {
    throw new Error(`${e.message}\nagent log:\n${agentLog}`);
  });
  // Three CSRs, all approved and issued: the client certificate (requested
  // with the bootstrap token), the serving certificate (by the node, once
  // registered) and the node's Ingress controller's client certificate.
  const csrs = await eventually('the three CSRs issued', async () => {
    const items = JSON.parse(await k(['get', 'csr', '-o', 'json'])).items as any[];
    return items.length === 3 && items.every((c) => c.status?.certificate) ? items : undefined;
  });
  const ingressCSR = csrs.find((c) => c.spec.signerName === 'kubernetes.io/kube-apiserver-client' && c.spec.username === `system:node:${NODE2}`);
  assert.ok(ingressCSR, 'the ingress client certificate was requested by the node');
  const client = csrs.find((c) => c.spec.signerName === 'kubernetes.io/kube-apiserver-client-kubelet' && c.spec.username.startsWith('system:bootstrap:'));
  const serving = csrs.find((c) => c.spec.signerName === 'kubernetes.io/kubelet-serving' && c.spec.username === `system:node:${NODE2}`);
  assert.ok(client && serving, JSON.stringify(csrs.map((c) => [c.spec.signerName, c.spec.username])));
  for (const c of [client, serving, ingressCSR]) {
    assert.deepEqual(c.status.conditions.map((x: any) => [x.type, x.status]), [['Approved', 'True']]);
    assert.ok(c.status.certificate);
  }
  const table = await k(['get', 'csr', client.metadata.name]);
  assert.match(table, /Approved,Issued/);
  // Pod CIDRs from the cluster CIDR, one per node.
  const nodes = JSON.parse(await k(['get', 'nodes', '-o', 'json'])).items as any[];
  const cidrs = Object.fromEntries(nodes.map((n) => [n.metadata.name, n.spec.podCIDR]));
  assert.equal(Object.keys(cidrs).length, 2);
  assert.deepEqual(new Set(Object.values(cidrs)), new Set(['10.42.0.0/24', '10.42.1.0/24']));
  const n2 = nodes.find((n) => n.metadata.name === NODE2);
  assert.deepEqual(n2.status.addresses.find((a: any) => a.type === 'InternalIP'), { type: 'InternalIP', address: NODE2_IP });
  // Each side routes the other's pod CIDR.
  const hostRoutes = await sh('ip', ['route', 'show', cidrs[NODE2]]);
  assert.match(hostRoutes, new RegExp(`via ${NODE2_IP.replace(/\./g, '\\.')}`));
  const nsRoutes = await sh(...inNs('ip', 'route', 'show', cidrs[nodes.find((n) => n.metadata.name !== NODE2).metadata.name]));
  assert.match(nsRoutes, new RegExp(`via ${HOST_IP.replace(/\./g, '\\.')}`));
});

test('pods on the two nodes reach each other directly and through a Service by name; logs and exec work on the joined node', async () => {
  const hostNode = JSON.parse(await k(['get', 'nodes', '-o', 'json'])).items.find((n: any) => n.metadata.name !== NODE2).metadata.name;
  const pod = (name: string, node: string, cmd: string, labels: Record<string, string> = {}) => JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
    spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: BUSYBOX, command: ['sh', '-c', cmd] }] },
  });
  await k(['apply', '-f', '-'], pod('web2', NODE2, 'mkdir -p /w && echo "served by $(hostname) on n2" > /w/index.html && exec httpd -f -p 80 -h /w', { app: 'web2' }));
  await k(['apply', '-f', '-'], pod('client1', hostNode, 'exec sleep 3600'));
  await k(['expose', 'pod', 'web2', '--port', '80', '--name', 'web2']);
  await k(['wait', '--for=condition=Ready', 'pod/web2', 'pod/client1', '--timeout=90s']);
  const ip2 = (await k(['get', 'pod', 'web2', '-o', 'jsonpath={.status.podIP}'])).trim();
  assert.match(ip2, /^10\.42\.1\.\d+$/);
  // Across nodes, pod to pod: the source address is kept (no NAT inside the cluster CIDR).
  const direct = await eventually('client1 fetches from web2 by pod IP', async () => {
    const r = await cluster.kts.kubectl(['exec', 'client1', '--', 'wget', '-qO-', `http://${ip2}/`]);
    return r.code === 0 ? r.stdout : undefined;
  }, 30_000);
  assert.equal(direct.trim(), 'served by web2 on n2');
  // Through the Service, by its DNS name.
  const bySvc = await eventually('client1 fetches from the web2 Service', async () => {
    const r = await cluster.kts.kubectl(['exec', 'client1', '--', 'wget', '-qO-', 'http://web2/']);
    return r.code === 0 ? r.stdout : undefined;
  }, 30_000);
  assert.equal(bySvc.trim(), 'served by web2 on n2');
  // And back: the pod on n2 resolves and reaches the kubernetes Service's DNS name (cluster DNS runs on the server's node).
  const back = await eventually('web2 resolves kubernetes.default', async () => {
    const r = await cluster.kts.kubectl(['exec', 'web2', '--', 'nslookup', 'kubernetes.default.svc.cluster.local']);
    return r.code === 0 ? r.stdout : undefined;
  }, 30_000);
  assert.match(back, /10\.43\.0\.1/);
  // Every node serves Ingresses on port 80: the joined node (its controller
  // runs with the certificate the agent obtained for it) and the server's own.
  const hostIP = nodesIP(JSON.parse(await k(['get', 'nodes', '-o', 'json'])).items, hostNode);
  await k(['create', 'ingress', 'web2', '--class=kts', '--rule=web2.join.test/*=web2:80']);
  for (const addr of [NODE2_IP, hostIP]) {
    const body = await eventually(`the Ingress answers on ${addr}:80`, async () => {
      const r = await httpGet(addr, 80, 'web2.join.test');
      return r.status === 200 ? r.body : undefined;
    }, 30_000);
    assert.equal(body.trim(), 'served by web2 on n2');
  }
  const published = await eventually('both node addresses in the Ingress status', async () => {
    const ips = (await k(['get', 'ingress', 'web2', '-o', 'jsonpath={.status.loadBalancer.ingress[*].ip}'])).trim().split(' ').sort();
    return ips.length === 2 ? ips : undefined;
  }, 60_000);
  assert.deepEqual(published, [NODE2_IP, hostIP].sort());
  // The API server reaches the joined kubelet: logs and exec.
  assert.equal((await k(['exec', 'web2', '--', 'cat', '/w/index.html'])).trim(), 'served by web2 on n2');
  assert.equal((await k(['exec', 'web2', '--', 'hostname'])).trim(), 'web2');
  const logs = await cluster.kts.kubectl(['logs', 'web2']);
  assert.equal(logs.code, 0, logs.stderr);
});

test("the joined node's kubelet reads only Secrets of its own pods (Node authorizer)", async () => {
  const hostNode = JSON.parse(await k(['get', 'nodes', '-o', 'json'])).items.find((n: any) => n.metadata.name !== NODE2).metadata.name;
  await k(['create', 'secret', 'generic', 'mine', '--from-literal=k=v']);
  await k(['create', 'secret', 'generic', 'theirs', '--from-literal=k=v']);
  const pod = (name: string, node: string, secret: string) => JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { nodeName: node, terminationGracePeriodSeconds: 1, volumes: [{ name: 's', secret: { secretName: secret } }], containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'], volumeMounts: [{ name: 's', mountPath: '/s' }] }] },
  });
  await k(['apply', '-f', '-'], pod('uses-mine', NODE2, 'mine'));
  await k(['apply', '-f', '-'], pod('uses-theirs', hostNode, 'theirs'));
  await k(['wait', '--for=condition=Ready', 'pod/uses-mine', '--timeout=60s']);
  assert.equal((await k(['exec', 'uses-mine', '--', 'cat', '/s/k'])).trim(), 'v');
  const kubeconfig = join(agentDir, 'agent', 'kubelet.kubeconfig');
  assert.ok(existsSync(kubeconfig));
  const asNode = (args: string[]) => run(KUBECTL, ['--kubeconfig', kubeconfig, ...args]);
  const who = await asNode(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
  assert.equal(who.stdout, `system:node:${NODE2}`);
  const own = await asNode(['get', 'secret', 'mine', '-o', 'jsonpath={.data.k}']);
  assert.equal(own.code, 0, own.stderr);
  assert.equal(Buffer.from(own.stdout, 'base64').toString(), 'v');
  const other = await asNode(['get', 'secret', 'theirs']);
  assert.notEqual(other.code, 0);
  assert.match(other.stderr, /secrets "theirs" is forbidden: User "system:node:n2" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'n2' and this object/);
  const list = await asNode(['get', 'secrets']);
  assert.notEqual(list.code, 0);
  assert.match(list.stderr, /forbidden/);
});
