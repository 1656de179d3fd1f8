// The CSR approving controller (upstream pkg/controller/certificates/approver):
// kubelet client certificate requests (signer kube-apiserver-client-kubelet)
// are approved when a SubjectAccessReview says the requester may create
// `certificatesigningrequests/selfnodeclient` (a node renewing its own
// certificate: requester == subject CN) or `certificatesigningrequests/nodeclient`
// (a new node, through its bootstrap token). Requests nobody may create stay
// Pending for a human.
//
// kts also approves kubelet serving certificates (signer kubelet-serving)
// requested by the node itself (user system:node:X in system:nodes, CN
// system:node:X) whose DNS and IP SANs are only that node's name, hostname
// and addresses as its Node object publishes them; upstream leaves these to
// an external approver, k3s issues them itself.
//
// And a node's request for the node Ingress controller's client certificate
// (signer kube-apiserver-client, subject exactly CN=system:kts:ingress, no
// organization, no SANs, client auth): every node serves Ingresses on its
// ports 80 and 443, under the ingress controller's own identity rather than
// the node's (a node may read only its pods' Secrets; the ingress reads TLS
// Secrets). k3s gives every node's Traefik a ServiceAccount token instead.

import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../client/types.js';
import { isNotFound } from '../client/types.js';
import type { Informer, SharedInformerFactory } from '../client/informer.js';
import { QueueController, type ControllerOptions } from './base.js';
import { parsedRequestOf } from '../api/validation/certificates.js';
import { KUBE_APISERVER_CLIENT, KUBE_APISERVER_CLIENT_KUBELET, KUBELET_SERVING, kubeletClientProblem, kubeletServingProblem } from '../api/certificates/signers.js';
import type { ParsedCSR } from '../api/certificates/csr.js';
import { CSR_PATH, hasCondition } from './csr-signing.js';

const SAR_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

export const SELF_NODE_CLIENT_MESSAGE = 'Auto approving self kubelet client certificate after SubjectAccessReview.';
export const NODE_CLIENT_MESSAGE = 'Auto approving kubelet client certificate after SubjectAccessReview.';
export const NODE_SERVING_MESSAGE = 'Auto approving kubelet serving certificate after node identity and address check.';
export const NODE_INGRESS_MESSAGE = 'Auto approving the node ingress controller client certificate after node identity check.';
/** The user a node's Ingress controller runs as (bound to the system:kts:ingress ClusterRole). */
export const INGRESS_USER = 'system:kts:ingress';

export class CSRApprovingController extends QueueController {
  private readonly csrs: Informer<CertificateSigningRequest>;
  private readonly nodes: Informer<Node>;

  constructor(
    private readonly client: ApiClient,
    factory: SharedInformerFactory,
    opts: ControllerOptions = {},
  ) {
    super('csrapproving', opts);
    this.csrs = factory.informerFor<CertificateSigningRequest>(CSR_PATH);
    this.nodes = factory.informerFor<Node>('/api/v1/nodes');
    this.registrations.push(
      this.csrs.addEventHandler({
        onAdd: (c) => this.enqueue(c.metadata!.name!),
        onUpdate: (_o, c) => this.enqueue(c.metadata!.name!),
      }),
    );
  }

  protected informers(): Informer<any>[] {
    return [this.csrs, this.nodes];
  }

  protected async sync(name: string): Promise<void> {
    const csr = this.csrs.getByName('', name);
    if (!csr || csr.status?.certificate || hasCondition(csr, 'Approved') || hasCondition(csr, 'Denied')) return;
    const req = parsedRequestOf(csr);
    if (!req) return;
    const usages = (csr.spec.usages ?? []) as string[];
    let message: string | undefined;
    if (csr.spec.signerName === KUBE_APISERVER_CLIENT_KUBELET && !kubeletClientProblem(req, usages)) {
      if (csr.spec.username === req.commonName && (await this.mayCreate(csr, 'selfnodeclient'))) message = SELF_NODE_CLIENT_MESSAGE;
      else if (await this.mayCreate(csr, 'nodeclient')) message = NODE_CLIENT_MESSAGE;
    } else if (csr.spec.signerName === KUBELET_SERVING && !kubeletServingProblem(req, usages) && this.isOwnServingRequest(csr, req)) {
      message = NODE_SERVING_MESSAGE;
    } else if (csr.spec.signerName === KUBE_APISERVER_CLIENT && isNodeIngressRequest(csr, req, usages)) {
      message = NODE_INGRESS_MESSAGE;
    }
    if (!message) return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const next = structuredClone(csr);
    next.status = { ...(next.status ?? {}), conditions: [...(next.status?.conditions ?? []), { type: 'Approved', status: 'True', reason: 'AutoApproved', message, lastUpdateTime: now, lastTransitionTime: now }] };
    try {
      await this.client.update(`${CSR_PATH}/${encodeURIComponent(name)}/approval`, next);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  private async mayCreate(csr: CertificateSigningRequest, subresource: string): Promise<boolean> {
    const s = csr.spec;
    const review = await this.client.create(SAR_PATH, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: s.username,
        uid: s.uid,
        groups: s.groups,
        extra: s.extra,
        resourceAttributes: { group: 'certificates.k8s.io', resource: 'certificatesigningrequests', verb: 'create', subresource },
      },
    });
    return review?.status?.allowed === true;
  }

  /** The node asks for its own serving certificate, for names and addresses that are its own. */
  private isOwnServingRequest(csr: CertificateSigningRequest, req: ParsedCSR): boolean {
    const user = csr.spec.username ?? '';
    if (!user.startsWith('system:node:') || !(csr.spec.groups ?? []).includes('system:nodes') || req.commonName !== user) return false;
    const nodeName = user.slice('system:node:'.length);
    const node = this.nodes.getByName('', nodeName);
    if (!node) return false;
    const allowed = new Set<string>([nodeName]);
    for (const a of node.status?.addresses ?? []) allowed.add(a.address);
    const hostname = node.metadata?.labels?.['kubernetes.io/hostname'];
    if (hostname) allowed.add(hostname);
    return [...req.dnsNames, ...req.ipAddresses].every((n) => allowed.has(n));
  }
}

/** A node asks for the ingress controller's client certificate, and for nothing more. */
export function isNodeIngressRequest(csr: CertificateSigningRequest, req: ParsedCSR, usages: string[]): boolean {
  const user = csr.spec.username ?? '';
  if (!user.startsWith('system:node:') || !(csr.spec.groups ?? []).includes('system:nodes')) return false;
  if (req.commonName !== INGRESS_USER || req.organizations.length || req.subject.length !== 1) return false;
  if (req.dnsNames.length || req.ipAddresses.length || req.emailAddresses.length || req.uris.length) return false;
  const allowed = new Set(['client auth', 'digital signature', 'key encipherment']);
  return usages.includes('client auth') && usages.every((u) => allowed.has(u));
}
