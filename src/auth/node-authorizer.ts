// The Node authorizer (upstream plugin/pkg/auth/authorizer/node): requests
// of kubelets (user system:node:<name> in group system:nodes). Secrets,
// ConfigMaps, PersistentVolumeClaims, PersistentVolumes and ServiceAccount
// tokens are readable only by name and only when a pod bound to the node
// references them (the NodeGraph); node Leases only the node's own. Anything
// else a kubelet needs comes from the `system:node` rules. Requests it does
// not allow get no opinion, with a reason, and fall through to RBAC, where
// the system:node ClusterRole is bound to nobody.

import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import type { Authorizer, Decision } from './rbac.js';
import { rulesAllow, type Attributes, type UserInfo } from './rules.js';
import type { NodeGraph } from './node-graph.js';

export const NODES_GROUP = 'system:nodes';
const NODE_USER_PREFIX = 'system:node:';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** The node name of a node identity, or undefined for every other user. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  const name = user.name.slice(NODE_USER_PREFIX.length);
  return name || undefined;
}

export interface NodeAuthorizerSource {
  graph: NodeGraph;
  /** A claim's bound volume name (spec.volumeName), if the claim exists. */
  claimVolume(namespace: string, name: string): string | undefined;
}

const noOpinion = (reason: string): Decision => ({ allowed: false, reason });
const ALLOW: Decision = { allowed: true, reason: '' };

export class NodeAuthorizer {
  constructor(
    private readonly source: NodeAuthorizerSource,
    private readonly nodeRules: PolicyRule[],
  ) {}

  authorize(user: UserInfo, a: Attributes): Decision {
    const node = nodeNameOf(user);
    if (!node || !a.resourceRequest) return noOpinion('');
    if (a.group === '') {
      switch (a.resource) {
        case 'secrets':
          return this.readNamespaced(node, a, 'secret');
        case 'configmaps':
          return this.readNamespaced(node, a, 'configmap');
        case 'persistentvolumeclaims':
          return this.readNamespaced(node, a, 'pvc');
        case 'persistentvolumes':
          return this.readVolume(node, a);
        case 'serviceaccounts':
          return this.createToken(node, a);
      }
    }
    if (a.group === 'coordination.k8s.io' && a.resource === 'leases') return this.lease(node, a);
    return rulesAllow(this.nodeRules, a) ? ALLOW : noOpinion('');
  }

  private related(node: string, a: Attributes & { resourceRequest: true }, check: () => boolean): Decision {
    if (!a.name) return noOpinion('No Object name found');
    return check() ? ALLOW : noOpinion(`no relationship found between node '${node}' and this object`);
  }

  private readNamespaced(node: string, a: Attributes & { resourceRequest: true }, kind: 'secret' | 'configmap' | 'pvc'): Decision {
    if (!['get', 'list', 'watch'].includes(a.verb)) return noOpinion('can only read resources of this type');
    if (a.subresource) return noOpinion('cannot read subresource');
    if (!a.namespace) return noOpinion('can only read namespaced object of this type');
    return this.related(node, a, () => this.source.graph.has(node, kind, a.namespace, a.name));
  }

  private readVolume(node: string, a: Attributes & { resourceRequest: true }): Decision {
    if (!['get', 'list', 'watch'].includes(a.verb)) return noOpinion('can only read resources of this type');
    if (a.subresource) return noOpinion('cannot read subresource');
    return this.related(node, a, () => this.source.graph.claimsOf(node).some(([ns, claim]) => this.source.claimVolume(ns, claim) === a.name));
  }

  private createToken(node: string, a: Attributes & { resourceRequest: true }): Decision {
    if (a.verb !== 'create' || a.subresource !== 'token') {
      return rulesAllow(this.nodeRules, a) ? ALLOW : noOpinion('can only create tokens for individual service accounts');
    }
    return this.related(node, a, () => this.source.graph.has(node, 'serviceaccount', a.namespace, a.name));
  }

  private lease(node: string, a: Attributes & { resourceRequest: true }): Decision {
    if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return noOpinion('can only get, create, update, patch, or delete a node lease');
    if (a.namespace !== NODE_LEASE_NAMESPACE) return noOpinion(`can only access leases in the ${NODE_LEASE_NAMESPACE} system namespace`);
    if (a.verb !== 'create' && a.name !== node) return noOpinion('can only access node lease with the same name as the requesting node');
    return ALLOW;
  }
}

/**
 * Node, then RBAC (upstream's --authorization-mode=Node,RBAC): the first
 * allow wins; a denial carries the reasons the authorizers gave.
 */
export class UnionAuthorizer implements Authorizer {
  constructor(
    private readonly node: NodeAuthorizer,
    private readonly rbac: Authorizer,
  ) {}

  authorize(user: UserInfo, a: Attributes): Decision {
    const n = this.node.authorize(user, a);
    if (n.allowed) return n;
    const r = this.rbac.authorize(user, a);
    if (r.allowed) return r;
    return { allowed: false, reason: [n.reason, r.reason].filter(Boolean).join('\n') };
  }

  rulesFor(user: UserInfo, namespace: string): PolicyRule[] {
    return this.rbac.rulesFor(user, namespace);
  }
}
