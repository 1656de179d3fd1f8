// The agent role (`kts agent --server URL --token TOKEN`): a machine joins
// a cluster as a node. First contact checks the server's CA against the
// join token's hash; the bootstrap token then obtains the node's client
// certificate (CN system:node:<name>, O system:nodes) through a
// CertificateSigningRequest, and the node's certificate obtains the
// kubelet's serving certificate the same way. Credentials are kept under
// `<data-dir>/agent/tls`, so a restarted agent needs no token; the client
// certificate is renewed at 80% of its life. Then the node parts run as on
// a server's own node: kubelet, service proxy, routes to other nodes.

import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { HttpClient } from '../client/http-client.js';
import { isNotFound } from '../client/types.js';
import { generateCA, kubeconfigYAML, writeFileAtomic } from '../apiserver/pki/index.js';
import { defaultNodeName, detectNodeIP } from '../kubelet/node.js';
import { startNodeRole, type RunningNodeRole } from '../cluster/node-role.js';
import { fetchTrustedCA, parseJoinToken, JoinError } from './join-token.js';
import { INGRESS_USER } from '../controllers/csr-approving.js';
import { KUBE_APISERVER_CLIENT_SIGNER, KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER, renewalTime, requestCertificate, stillValid } from './certificates.js';

export interface AgentOptions {
  server: string;
  token?: string;
  dataDir: string;
  nodeName?: string;
  nodeIP?: string;
  kubeletPort?: number;
  runtimeEndpoint?: string;
  clusterCIDR?: string;
  disable?: string[];
  progress?: (msg: string) => void;
}

export interface RunningAgent {
  nodeName: string;
  /** The node's kubeconfig (client certificate), under the data dir. */
  kubeconfigPath: string;
  stop(): Promise<void>;
}

const CLUSTER_DOMAIN = 'cluster.local';

function readIf(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

export async function startAgent(o: AgentOptions): Promise<RunningAgent> {
  const progress = o.progress ?? (() => {});
  const t0 = performance.now();
  const since = () => `${Math.round(performance.now() - t0)}ms`;
  const nodeName = o.nodeName ?? defaultNodeName();
  const nodeIP = o.nodeIP ?? detectNodeIP();
  const tlsDir = join(o.dataDir, 'agent', 'tls');
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  const files = {
    ca: join(tlsDir, 'server-ca.crt'),
    clientCert: join(tlsDir, 'client-kubelet.crt'),
    clientKey: join(tlsDir, 'client-kubelet.key'),
    servingCert: join(tlsDir, 'serving-kubelet.crt'),
    servingKey: join(tlsDir, 'serving-kubelet.key'),
    ingressCert: join(tlsDir, 'client-ingress.crt'),
    ingressKey: join(tlsDir, 'client-ingress.key'),
    kubeconfig: join(o.dataDir, 'agent', 'kubelet.kubeconfig'),
  };

  // Trust: the CA from an earlier join, or the one matching the token's hash.
  const token = o.token ? parseJoinToken(o.token) : undefined;
  let caPem = readIf(files.ca);
  let clientCert = readIf(files.clientCert);
  let clientKey = readIf(files.clientKey);
  const haveClient = !!(caPem && clientCert && clientKey && stillValid(clientCert));
  if (!haveClient) {
    if (!token) throw new JoinError(`no node credentials in ${tlsDir}: pass --token (from \`kts token create\` on the server)`);
    caPem = await fetchTrustedCA(o.server, token.caHash);
    await writeFileAtomic(files.ca, caPem, 0o644);
    progress(`server ${o.server} verified against the join token's CA hash [${since()}]`);
    const bootstrap = new HttpClient({ server: o.server, ca: caPem, token: token.bootstrapToken, userAgent: 'kts-agent/bootstrap' });
    try {
      const issued = await requestCertificate(bootstrap, {
        signerName: KUBELET_CLIENT_SIGNER,
        commonName: `system:node:${nodeName}`,
        organizations: ['system:nodes'],
        usages: ['digital signature', 'client auth'],
      }, { onWaiting: (csr) => progress(`waiting for certificate signing request ${csr} to be approved`) });
      clientCert = issued.certPem;
      clientKey = issued.keyPem;
      await writeFileAtomic(files.clientKey, clientKey, 0o600);
      await writeFileAtomic(files.clientCert, clientCert, 0o644);
      progress(`node client certificate issued (CSR ${issued.csrName}) [${since()}]`);
    } catch (e) {
      throw new JoinError(`joining ${o.server}: ${(e as Error).message}`);
    } finally {
      bootstrap.close();
    }
  }
  const client = new HttpClient({ server: o.server, ca: caPem!, cert: clientCert!, key: clientKey!, userAgent: `kts-agent/${nodeName}` });
  const writeKubeconfig = () => writeFileAtomic(files.kubeconfig, kubeconfigYAML({ server: o.server, caPem: caPem!, client: { certPem: clientCert!, keyPem: clientKey! }, userName: `system:node:${nodeName}` }), 0o600);
  await writeKubeconfig();

  const stops: Array<() => Promise<void> | void> = [() => client.close()];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    // The kubelet's serving certificate (the API server checks it against the cluster CA).
    let servingCert = readIf(files.servingCert);
    let servingKey = readIf(files.servingKey);
    const sansOk = servingCert && (() => {
      try {
        const sans = new X509Certificate(servingCert!).subjectAltName ?? '';
        return sans.includes(`IP Address:${nodeIP}`) && sans.includes(`DNS:${nodeName}`);
      } catch {
        return false;
      }
    })();
    const abort = new AbortController();
    stops.push(() => abort.abort());
    const requestServing = (onWaiting?: (csr: string) => void) => requestCertificate(client, {
      signerName: KUBELET_SERVING_SIGNER,
      commonName: `system:node:${nodeName}`,
      organizations: ['system:nodes'],
      sans: [nodeName, nodeIP],
      usages: ['digital signature', 'server auth'],
    }, { onWaiting, timeoutMs: onWaiting ? undefined : 5 * 60_000, signal: abort.signal });
    // Without one, the kubelet starts with a throwaway self-signed certificate:
    // the serving CSR is approved only once the Node exists (its SANs must be
    // the Node's own name and addresses), so it is filed after registration.
    const haveServing = !!(servingCert && servingKey && stillValid(servingCert) && sansOk);
    if (!haveServing) {
      const tmp = await generateCA(`${nodeName}@kubelet-bootstrap`);
      servingCert = tmp.certPem;
      servingKey = tmp.keyPem;
    }

    // Renewal at 80% of each certificate's life, authenticated by the current client certificate.
    const timers = new Set<NodeJS.Timeout>();
    let stopped = false;
    const keepRenewed = (what: string, current: () => string, renew: () => Promise<string>) => {
      const schedule = () => {
        const delay = Math.max(10_000, renewalTime(current()) - Date.now());
        const t = setTimeout(async () => {
          timers.delete(t);
          if (stopped) return;
          try {
            const csr = await renew();
            progress(`${what} renewed (CSR ${csr})`);
          } catch (e) {
            progress(`renewing the ${what}: ${(e as Error).message}; retrying`);
          }
          if (!stopped) schedule();
        }, Math.min(delay, 2 ** 31 - 1));
        t.unref();
        timers.add(t);
      };
      schedule();
    };
    keepRenewed('node client certificate', () => clientCert!, async () => {
      const issued = await requestCertificate(client, {
        signerName: KUBELET_CLIENT_SIGNER,
        commonName: `system:node:${nodeName}`,
        organizations: ['system:nodes'],
        usages: ['digital signature', 'client auth'],
      }, { timeoutMs: 5 * 60_000 });
      clientCert = issued.certPem;
      clientKey = issued.keyPem;
      await writeFileAtomic(files.clientKey, clientKey, 0o600);
      await writeFileAtomic(files.clientCert, clientCert, 0o644);
      await writeKubeconfig();
      client.updateClientCertificate(clientCert, clientKey);
      return issued.csrName;
    });
    stops.push(() => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
    });

    // The node's Ingress controller runs under its own identity (it reads TLS
    // Secrets, which the node may not): a client certificate for system:kts:ingress.
    let ingressClient: HttpClient | undefined;
    if (!(o.disable ?? []).includes('ingress')) {
      const requestIngress = () => requestCertificate(client, {
        signerName: KUBE_APISERVER_CLIENT_SIGNER,
        commonName: INGRESS_USER,
        organizations: [],
        usages: ['digital signature', 'client auth'],
      }, { timeoutMs: 60_000, signal: abort.signal });
      let ingressCert = readIf(files.ingressCert);
      let ingressKey = readIf(files.ingressKey);
      try {
        if (!ingressCert || !ingressKey || !stillValid(ingressCert)) {
          const issued = await requestIngress();
          ingressCert = issued.certPem;
          ingressKey = issued.keyPem;
          await writeFileAtomic(files.ingressKey, ingressKey, 0o600);
          await writeFileAtomic(files.ingressCert, ingressCert, 0o644);
        }
        const ic = new HttpClient({ server: o.server, ca: caPem!, cert: ingressCert, key: ingressKey, userAgent: `kts-ingress/${nodeName}` });
        ingressClient = ic;
        stops.push(() => ic.close());
        keepRenewed('ingress client certificate', () => ingressCert!, async () => {
          const issued = await requestIngress();
          ingressCert = issued.certPem;
          ingressKey = issued.keyPem;
          await writeFileAtomic(files.ingressKey, ingressKey, 0o600);
          await writeFileAtomic(files.ingressCert, ingressCert, 0o644);
          ic.updateClientCertificate(ingressCert, ingressKey);
          return issued.csrName;
        });
      } catch (e) {
        progress(`no Ingress controller on this node: ${(e as Error).message}`);
      }
    }

    // Pods' resolv.conf names the cluster DNS Service, if the cluster has one.
    let clusterDNS: string[] = [];
    try {
      const svc = await client.get('/api/v1/namespaces/kube-system/services/kube-dns');
      if (svc.spec?.clusterIP && svc.spec.clusterIP !== 'None') clusterDNS = [svc.spec.clusterIP];
    } catch (e) {
      if (!isNotFound(e)) progress(`looking up the cluster DNS Service: ${(e as Error).message}`);
    }

    const node: RunningNodeRole = await startNodeRole({
      dataDir: o.dataDir,
      nodeName,
      nodeIP,
      clusterCIDR: o.clusterCIDR ?? '10.42.0.0/16',
      clusterDomain: CLUSTER_DOMAIN,
      clusterDNS,
      kubeletTLS: { certPem: servingCert!, keyPem: servingKey!, caPem: caPem! },
      kubeletPort: o.kubeletPort,
      runtimeEndpoint: o.runtimeEndpoint,
      clients: { kubelet: client, proxy: client, ingress: ingressClient },
      disable: o.disable ?? [],
      progress,
      since,
    });
    stops.push(() => node.stop());
    const useServing = async (issued: { certPem: string; keyPem: string }) => {
      servingCert = issued.certPem;
      servingKey = issued.keyPem;
      await writeFileAtomic(files.servingKey, servingKey, 0o600);
      await writeFileAtomic(files.servingCert, servingCert, 0o644);
      node.kubelet.updateServingCertificate(servingCert, servingKey);
    };
    const renewServing = () => keepRenewed('kubelet serving certificate', () => servingCert!, async () => {
      const issued = await requestServing();
      await useServing(issued);
      return issued.csrName;
    });
    if (haveServing) renewServing();
    else {
      const first = requestServing((csr) => progress(`waiting for serving certificate request ${csr} to be approved`))
        .then(async (issued) => {
          if (stopped) return;
          await useServing(issued);
          progress(`kubelet serving certificate issued (CSR ${issued.csrName}) [${since()}]`);
          renewServing();
        })
        .catch((e) => progress(`kubelet serving certificate: ${(e as Error).message}`));
      stops.push(async () => {
        abort.abort();
        await first;
      });
    }
  } catch (e) {
    await stopAll();
    throw e;
  }
  return { nodeName, kubeconfigPath: files.kubeconfig, stop: stopAll };
}
