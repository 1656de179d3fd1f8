// Assembles the server role: store, cluster PKI, API server, HTTPS listener,
// admin kubeconfig, and the in-process controllers, started in order behind
// explicit ready points.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { encryptStore, openStore, reencrypt } from '../storage/index.js';
import type { Store } from '../storage/types.js';
import { readFileSync } from 'node:fs';
import { Auditor } from '../apiserver/audit.js';
import { DEFAULT_POLICY, parsePolicy } from '../audit/policy.js';
import { LogBackend } from '../audit/log-backend.js';
import { ensureServiceAccountKey } from '../apiserver/pki/sa-key.js';
import { parseTokenFile } from '../auth/tokens.js';
import { ensureClusterPKI, issueClientCertificate, issueServingCertificate, kubeconfigYAML, writeKubeconfig } from '../apiserver/pki/index.js';
import { ApiServer } from '../apiserver/api-server.js';
import { HttpServer } from '../apiserver/http-server.js';
import { InProcessClient } from '../client/in-process.js';
import { startControllerManager } from '../controllers/manager.js';
import { ensureLocalPathStorageClass } from '../controllers/pv-binder.js';
import { createHash } from 'node:crypto';
import { startScheduler } from '../scheduler/index.js';
import { startSimulatedNodes } from '../sim/index.js';
import { addressAt } from '../api/cidr.js';
import { startNodeRole, type RunningNodeRole } from './node-role.js';
import { defaultNodeName, detectNodeIP } from '../kubelet/node.js';
import { startClusterDns, type ClusterDns } from '../dns/index.js';
import { ensureDnsService } from './dns-service.js';
import { ensureKubernetesEndpoints } from './kubernetes-endpoints.js';
import { startServiceLB } from '../proxy/service-lb.js';

/** Pod addresses of every node (each node's pod CIDR is a /24 of it), unless configured. */
const CLUSTER_CIDR = '10.42.0.0/16';

function firstPodCIDR(clusterCIDR: string): string {
  return `${clusterCIDR.split('/')[0]}/24`;
}
const CLUSTER_DOMAIN = 'cluster.local';
/** Service ClusterIPs unless configured: the first is the kubernetes Service's, the tenth kube-dns's (as k3s). */
const SERVICE_CIDR = '10.43.0.0/16';
import { hostname } from 'node:os';
import type { AuditConfig, ServerConfig } from './config.js';

export interface RunningServer {
  api: ApiServer;
  url: string;
  port: number;
  kubeconfigPath: string;
  stop(): Promise<void>;
}

export type Progress = (msg: string) => void;

export async function startServer(cfg: ServerConfig, progress: Progress = () => {}): Promise<RunningServer> {
  const t0 = performance.now();
  const since = () => `${Math.round(performance.now() - t0)}ms`;
  mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });

  let store: Store = await openStore(cfg.storage, cfg.dataDir);
  progress(`storage: ${cfg.storage}${cfg.storage === 'sqlite' ? ` (${join(cfg.dataDir, 'state.db')})` : ''} at revision ${await store.currentRevision()} [${since()}]`);
  if (cfg.storage === 'sqlite') {
    // Encryption at rest; objects still in plaintext or under an older key
    // (after `kts secrets-encrypt rotate`) are rewritten with the write key.
    const resources = cfg.encryptResources ?? ['secrets'];
    const encrypting = encryptStore(store, cfg.dataDir, resources);
    const r = await reencrypt(encrypting);
    store = encrypting;
    progress(`encryption at rest: ${resources.join(', ') || 'none'} with key ${encrypting.transformer.writeKeyName}${r.rewritten ? `, ${r.rewritten} objects re-encrypted` : ''} [${since()}]`);
  }

  // The kubernetes Service's address: in-cluster clients verify the certificate against it.
  const serviceCIDR = cfg.serviceCIDR ?? SERVICE_CIDR;
  const sans = [...cfg.tlsSANs, addressAt(serviceCIDR, 1)];
  if (cfg.bindAddress !== '0.0.0.0' && cfg.bindAddress !== '::') sans.push(cfg.bindAddress);
  const pki = await ensureClusterPKI(cfg.dataDir, { extraSANs: sans });
  progress(`certificates ready in ${pki.dir} [${since()}]`);

  const serviceAccountKey = await ensureServiceAccountKey(cfg.dataDir);
  const staticTokens = cfg.tokenAuthFile ? parseTokenFile(readFileSync(cfg.tokenAuthFile, 'utf8')) : undefined;
  const audit = cfg.audit ? startAudit(cfg.audit) : undefined;
  if (cfg.audit) progress(`audit log: ${cfg.audit.logPath} (policy ${cfg.audit.policyFile ?? 'default: Metadata for every request'})`);
  const api = new ApiServer({ store, serviceCIDR, authorization: 'RBAC', authentication: { serviceAccountKey, staticTokens, serviceAccountAdmission: true }, audit: audit?.auditor,
    defaultNotReadyTolerationSeconds: cfg.defaultNotReadyTolerationSeconds,
    defaultUnreachableTolerationSeconds: cfg.defaultUnreachableTolerationSeconds,
  });
  await api.start();
  progress(`API server storage and watch caches ready [${since()}]`);

  const http = new HttpServer({
    api,
    port: cfg.port,
    host: cfg.bindAddress,
    tls: { certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, caPem: pki.ca.certPem },
  });
  const addr = await http.listen();
  const host = cfg.bindAddress === '0.0.0.0' || cfg.bindAddress === '::' ? '127.0.0.1' : cfg.bindAddress;
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  const url = `https://${hostForUrl}:${addr.port}`;
  api.setServerAddress(`${hostForUrl}:${addr.port}`);
  progress(`API server listening on ${cfg.bindAddress}:${addr.port} [${since()}]`);
  // In-cluster clients reach the API server through the kubernetes Service: its endpoints are this server.
  const advertise = cfg.bindAddress === '0.0.0.0' || cfg.bindAddress === '::' ? detectNodeIP() : cfg.bindAddress;
  await ensureKubernetesEndpoints(new InProcessClient(api, { name: 'system:kts:bootstrap', groups: ['system:masters', 'system:authenticated'] }), advertise, addr.port);
  // The default StorageClass, served by the controller manager's local-path provisioner (k3s: --disable local-storage).
  if (!cfg.disable.includes('local-storage')) await ensureLocalPathStorageClass(new InProcessClient(api, { name: 'system:kts:bootstrap', groups: ['system:masters', 'system:authenticated'] }));

  const kubeconfig = kubeconfigYAML({ server: url, caPem: pki.ca.certPem, client: pki.admin });
  const kubeconfigPath = join(cfg.dataDir, 'admin.kubeconfig');
  await writeKubeconfig(kubeconfigPath, kubeconfig);
  if (cfg.writeKubeconfig) await writeKubeconfig(cfg.writeKubeconfig, kubeconfig);

  // Stable per server (host and data dir): after a crash the restarted
  // server is still the Lease holder and leads again at once.
  const identity = `${hostname()}_${createHash('sha256').update(cfg.dataDir).digest('hex').slice(0, 8)}`;
  // In-process components authenticate as themselves, like remote ones.
  const stops: Array<() => Promise<void> | void> = [];
  const clusterCIDR = cfg.clusterCIDR ?? CLUSTER_CIDR;
  if (!cfg.disable.includes('controllers')) {
    const cm = { name: 'system:kube-controller-manager', groups: ['system:authenticated'] };
    const controllers = await startControllerManager(new InProcessClient(api, cm), {
      identity,
      leaderElection: true,
      resources: () => api.registry.all(),
      rootCA: pki.ca.certPem,
      clusterCA: pki.ca,
      signLegacyToken: (ns, sa, secret) => api.authn.issuer.legacy(ns, sa, secret),
      storageDir: cfg.disable.includes('local-storage') ? undefined : join(cfg.dataDir, 'storage'),
      clusterCIDR,
      ...cfg.controllers,
    });
    stops.push(() => controllers.stop());
    progress(`controllers started [${since()}]`);
  }
  if (!cfg.disable.includes('scheduler')) {
    const scheduler = await startScheduler(new InProcessClient(api, { name: 'system:kube-scheduler', groups: ['system:authenticated'] }), {
      identity,
      leaderElection: true,
    });
    stops.push(() => scheduler.stop());
    progress(`scheduler started [${since()}]`);
  }
  if (cfg.simNodes > 0) {
    const sim = await startSimulatedNodes(new InProcessClient(api, { name: 'system:kts:sim', groups: ['system:authenticated'] }), {
      count: cfg.simNodes,
      // A /24 per node: 10.128.0.0/9 holds 32,768 of them.
      podCIDRBase: '10.128.0.0/9',
    });
    stops.push(() => sim.stop());
    progress(`${cfg.simNodes} simulated node(s) registered [${since()}]`);
  }

  // The API server calls kubelets (logs, exec, stats) with a client certificate of its own; joined agents' too.
  const kubeletClient = await issueClientCertificate(pki.ca, { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'] });
  api.setKubeletClientTLS({ caPem: pki.ca.certPem, certPem: kubeletClient.certPem, keyPem: kubeletClient.keyPem });

  if (!cfg.disable.includes('agent')) {
    const nodeName = cfg.agent.nodeName ?? defaultNodeName();
    const nodeIP = cfg.agent.nodeIP ?? detectNodeIP();
    // The kubelet serves its API with a certificate of the cluster CA; the API server calls it with its own client certificate.
    const kubeletServing = await issueServingCertificate(pki.ca, { commonName: `${nodeName}@kubelet`, sans: [nodeName, nodeIP, '127.0.0.1', 'localhost'] });
    // Cluster DNS: the kube-dns Service (pods' resolv.conf names it) and the server behind it, on the node's address.
    let clusterDNS: string[] = [];
    let dns: ClusterDns | undefined;
    if (!cfg.disable.includes('dns')) {
      const dnsClient = new InProcessClient(api, { name: 'system:kts:dns', groups: ['system:authenticated'] });
      try {
        dns = await startClusterDns(dnsClient, { domain: CLUSTER_DOMAIN, listen: [{ host: nodeIP, port: 53 }], onError: (what, e) => progress(`dns: ${what}: ${e instanceof Error ? e.message : String(e)}`) });
        // Writing the Service and its endpoints is the cluster's own bootstrap, not the DNS server's right.
        const bootstrap = new InProcessClient(api, { name: 'system:kts:bootstrap', groups: ['system:masters', 'system:authenticated'] });
        clusterDNS = [await ensureDnsService(bootstrap, nodeIP, addressAt(serviceCIDR, 10))];
        const d = dns;
        stops.push(() => d.stop());
        progress(`cluster DNS on ${nodeIP}:53, Service ${clusterDNS[0]} [${since()}]`);
      } catch (e) {
        await dns?.stop();
        progress(`cluster DNS not started: ${(e as Error).message}; pods use the node's resolvers`);
      }
    }
    let node: RunningNodeRole;
    try {
      node = await startNodeRole({
        dataDir: cfg.dataDir,
        nodeName,
        nodeIP,
        clusterCIDR,
        clusterDomain: CLUSTER_DOMAIN,
        clusterDNS,
        kubeletTLS: { certPem: kubeletServing.certPem, keyPem: kubeletServing.keyPem, caPem: pki.ca.certPem },
        kubeletPort: cfg.agent.kubeletPort,
        runtimeEndpoint: cfg.agent.runtimeEndpoint,
        // Without the controller manager nothing assigns pod CIDRs: the node takes the first.
        podCIDR: cfg.disable.includes('controllers') ? firstPodCIDR(clusterCIDR) : undefined,
        clients: {
          kubelet: new InProcessClient(api, { name: `system:node:${nodeName}`, groups: ['system:nodes', 'system:authenticated'] }),
          proxy: new InProcessClient(api, { name: 'system:kube-proxy', groups: ['system:authenticated'] }),
          ingress: new InProcessClient(api, { name: 'system:kts:ingress', groups: ['system:authenticated'] }),
        },
        disable: cfg.disable,
        progress,
        since,
      });
    } catch (e) {
      for (const stop of stops.reverse()) await stop();
      await http.close();
      await api.stop();
      await audit?.backend.close();
      await store.close();
      throw new Error(`node agent: ${(e as Error).message} (run with --disable agent for a control plane without a node)`);
    }
    const n = node;
    stops.push(() => n.stop());
    // ServiceLB: LoadBalancer Services get the nodes' addresses, which the proxy serves.
    if (!cfg.disable.includes('servicelb')) {
      const lb = await startServiceLB(new InProcessClient(api, { name: 'system:kts:service-lb', groups: ['system:authenticated'] }));
      stops.push(() => lb.stop());
    }
  }

  let stopped = false;
  return {
    api,
    url,
    port: addr.port,
    kubeconfigPath,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const stop of stops.reverse()) await stop();
      await http.close();
      await api.stop();
      await audit?.backend.close();
      await store.close();
    },
  };
}

/** The audit stage: the policy (read once at start) and the buffered log writer. */
function startAudit(cfg: AuditConfig): { auditor: Auditor; backend: LogBackend } {
  const policy = cfg.policyFile ? parsePolicy(readFileSync(cfg.policyFile, 'utf8')) : DEFAULT_POLICY;
  const backend = new LogBackend({ path: cfg.logPath, maxSizeMB: cfg.maxSizeMB, maxBackups: cfg.maxBackups });
  return { auditor: new Auditor(policy, backend), backend };
}
