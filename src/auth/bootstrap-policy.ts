// The ClusterRoles and ClusterRoleBindings every cluster starts with, in the
// shape of upstream's bootstrap policy (names, labels, aggregation), with
// rules sized to what kts's own components do. Pure data.

import type { ClusterRole, ClusterRoleBinding, PolicyRule } from 'kubernetes-types/rbac/v1.js';

export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
const BOOTSTRAP_LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule => ({
  verbs,
  apiGroups,
  resources,
  ...(resourceNames ? { resourceNames } : {}),
});
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

function clusterRole(name: string, rules: PolicyRule[], labels: Record<string, string> = {}, aggregateFrom?: string[]): ClusterRole {
  const r: ClusterRole = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: { ...BOOTSTRAP_LABELS, ...labels }, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } },
    rules,
  };
  if (aggregateFrom) r.aggregationRule = { clusterRoleSelectors: aggregateFrom.map((l) => ({ matchLabels: { [l]: 'true' } })) };
  return r;
}

function binding(name: string, role: string, subjects: Array<{ kind: 'User' | 'Group'; name: string }>): ClusterRoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { ...BOOTSTRAP_LABELS }, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    ...(subjects.length ? { subjects: subjects.map((s) => ({ apiGroup: 'rbac.authorization.k8s.io', ...s })) } : {}),
  };
}

const AGG = 'rbac.authorization.k8s.io/aggregate-to-';

const viewRules: PolicyRule[] = [
  rule(READ, [''], [
    'bindings', 'configmaps', 'endpoints', 'events', 'limitranges', 'namespaces', 'namespaces/status', 'persistentvolumeclaims',
    'persistentvolumeclaims/status', 'pods', 'pods/log', 'pods/status', 'replicationcontrollers', 'replicationcontrollers/scale',
    'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status', 'serviceaccounts', 'services', 'services/status',
  ]),
  rule(READ, ['apps'], [
    'controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status',
    'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status',
  ]),
  rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
  rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
  rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
  rule(READ, ['discovery.k8s.io'], ['endpointslices']),
];

const editRules: PolicyRule[] = [
  rule(['impersonate'], [''], ['serviceaccounts']),
  rule(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
  rule(['create'], [''], ['pods/eviction', 'serviceaccounts/token']),
  rule(['get', 'list', 'watch'], [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
  rule(WRITE, [''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy']),
  rule(WRITE, ['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale']),
  rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
  rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
  rule(WRITE, ['policy'], ['poddisruptionbudgets']),
  rule(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
  rule(WRITE, ['coordination.k8s.io'], ['leases']),
  rule(READ, ['coordination.k8s.io'], ['leases']),
];

const adminRules: PolicyRule[] = [
  rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
  rule([...READ, ...WRITE], ['rbac.authorization.k8s.io'], ['rolebindings', 'roles']),
];

const SELF_REVIEWS = [rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']), rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews'])];
const PUBLIC_URLS = ['/healthz', '/livez', '/readyz', '/version', '/version/'];

/**
 * What kubelets and simulated nodes read and write (upstream's system:node).
 * Secrets, ConfigMaps, claims, volumes and tokens are listed as upstream
 * does, but the Node authorizer decides those by the node's pods before
 * these rules are consulted; the role itself is bound to nobody.
 */
const NODE_RULES: PolicyRule[] = [
  rule(['create', 'get', 'list', 'watch', 'patch', 'update', 'delete'], [''], ['nodes']),
  // get too, which kubectl's `patch --subresource=status` reads first.
  rule(['get', 'patch', 'update'], [''], ['nodes/status', 'pods/status']),
  rule(['get', 'list', 'watch', 'create', 'delete'], [''], ['pods']),
  rule(['create'], [''], ['pods/eviction', 'serviceaccounts/token']),
  rule(READ, [''], ['services', 'endpoints']),
  rule(['get'], [''], ['configmaps', 'secrets', 'persistentvolumeclaims', 'persistentvolumes']),
  rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
  rule(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], ['coordination.k8s.io'], ['leases']),
  rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
  rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
  rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews', 'localsubjectaccessreviews']),
  rule(READ, ['storage.k8s.io'], ['csidrivers', 'csinodes', 'volumeattachments']),
  rule(READ, ['node.k8s.io'], ['runtimeclasses']),
];

/** The system:node rules, which the Node authorizer grants to node identities. */
export function nodeRules(): PolicyRule[] {
  return NODE_RULES;
}

const CSR_GROUP = 'certificates.k8s.io';
const KTS_SIGNERS = ['kubernetes.io/kube-apiserver-client', 'kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving'];

const schedulerRules: PolicyRule[] = [
  rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
  rule(['create'], ['coordination.k8s.io'], ['leases']),
  rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-scheduler']),
  rule(READ, [''], ['nodes', 'namespaces', 'persistentvolumeclaims', 'persistentvolumes', 'replicationcontrollers', 'services']),
  rule(['delete', 'get', 'list', 'watch'], [''], ['pods']),
  rule(['create'], [''], ['bindings', 'pods/binding']),
  rule(['patch', 'update'], [''], ['pods/status']),
  rule(READ, ['apps'], ['replicasets', 'statefulsets']),
  rule(READ, ['policy'], ['poddisruptionbudgets']),
  rule(READ, ['scheduling.k8s.io'], ['priorityclasses']),
  rule(READ, ['storage.k8s.io'], ['csidrivers', 'csinodes', 'csistoragecapacities', 'storageclasses', 'volumeattachments']),
  rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
  rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
];

/**
 * kts runs every controller in one identity (upstream gives each its own
 * ServiceAccount). The garbage collector and the namespace controller touch
 * every resource, so this role reads and writes all of them; it holds no
 * bind or impersonate, and escalate only on ClusterRoles (for aggregation).
 */
const controllerManagerRules: PolicyRule[] = [
  rule([...READ, ...WRITE], ['*'], ['*']),
  // ClusterRole aggregation writes rules this identity does not hold itself.
  rule(['escalate'], ['rbac.authorization.k8s.io'], ['clusterroles']),
  // The CSR approving and signing controllers.
  rule(['approve'], [CSR_GROUP], ['signers'], ['kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving', 'kubernetes.io/kube-apiserver-client']),
  rule(['sign'], [CSR_GROUP], ['signers'], KTS_SIGNERS),
  rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
  rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
];

export function bootstrapClusterRoles(): ClusterRole[] {
  return [
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
    clusterRole('admin', [], {}, [`${AGG}admin`]),
    clusterRole('edit', [], { [`${AGG}admin`]: 'true' }, [`${AGG}edit`]),
    clusterRole('view', [], { [`${AGG}edit`]: 'true' }, [`${AGG}view`]),
    clusterRole('system:aggregate-to-admin', adminRules, { [`${AGG}admin`]: 'true' }),
    clusterRole('system:aggregate-to-edit', editRules, { [`${AGG}edit`]: 'true' }),
    clusterRole('system:aggregate-to-view', viewRules, { [`${AGG}view`]: 'true' }),
    clusterRole('system:basic-user', SELF_REVIEWS),
    clusterRole('system:discovery', [urls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'])]),
    clusterRole('system:public-info-viewer', [urls(['get'], PUBLIC_URLS)]),
    clusterRole('system:auth-delegator', [rule(['create'], ['authentication.k8s.io'], ['tokenreviews']), rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews'])]),
    clusterRole('system:node', NODE_RULES),
    // Node bootstrap and certificate rotation (the CSR approver checks these with SubjectAccessReviews).
    clusterRole('system:node-bootstrapper', [rule(['create', 'get', 'list', 'watch'], [CSR_GROUP], ['certificatesigningrequests'])]),
    clusterRole('system:certificates.k8s.io:certificatesigningrequests:nodeclient', [rule(['create'], [CSR_GROUP], ['certificatesigningrequests/nodeclient'])]),
    clusterRole('system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [rule(['create'], [CSR_GROUP], ['certificatesigningrequests/selfnodeclient'])]),
    clusterRole('system:certificates.k8s.io:kube-apiserver-client-approver', [rule(['approve'], [CSR_GROUP], ['signers'], ['kubernetes.io/kube-apiserver-client'])]),
    clusterRole('system:certificates.k8s.io:kube-apiserver-client-kubelet-approver', [rule(['approve'], [CSR_GROUP], ['signers'], ['kubernetes.io/kube-apiserver-client-kubelet'])]),
    clusterRole('system:certificates.k8s.io:kubelet-serving-approver', [rule(['approve'], [CSR_GROUP], ['signers'], ['kubernetes.io/kubelet-serving'])]),
    clusterRole('system:certificates.k8s.io:legacy-unknown-approver', [rule(['approve'], [CSR_GROUP], ['signers'], ['kubernetes.io/legacy-unknown'])]),
    clusterRole('system:kube-scheduler', schedulerRules),
    clusterRole('system:kube-controller-manager', controllerManagerRules),
    clusterRole('system:node-proxier', [
      rule(READ, [''], ['services', 'endpoints', 'nodes']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    ]),
    // kts's own: ServiceLB (LoadBalancer addresses) and the cluster DNS server.
    clusterRole('system:kts:service-lb', [
      rule(READ, [''], ['services', 'nodes']),
      rule(['patch', 'update'], [''], ['services/status']),
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    ]),
    // As metrics-server installs it: the resource metrics join view, edit and admin.
    clusterRole('system:aggregated-metrics-reader', [rule(['get', 'list', 'watch'], ['metrics.k8s.io'], ['pods', 'nodes'])], { 'rbac.authorization.k8s.io/aggregate-to-view': 'true', 'rbac.authorization.k8s.io/aggregate-to-edit': 'true', 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' }),
    clusterRole('system:kts:ingress', [
      rule(READ, [''], ['services', 'endpoints', 'secrets']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      rule(READ, ['networking.k8s.io'], ['ingresses', 'ingressclasses']),
      // Every node's controller publishes the Ready nodes' addresses in Ingress status.
      rule(READ, [''], ['nodes']),
      rule(['create'], ['networking.k8s.io'], ['ingressclasses']),
      rule(['patch', 'update'], ['networking.k8s.io'], ['ingresses/status']),
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    ]),
    clusterRole('system:kts:dns', [
      rule(READ, [''], ['services', 'endpoints', 'pods', 'namespaces']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
    ]),
  ];
}

export function bootstrapClusterRoleBindings(): ClusterRoleBinding[] {
  return [
    binding('cluster-admin', 'cluster-admin', [{ kind: 'Group', name: 'system:masters' }]),
    binding('system:basic-user', 'system:basic-user', [{ kind: 'Group', name: 'system:authenticated' }]),
    binding('system:discovery', 'system:discovery', [{ kind: 'Group', name: 'system:authenticated' }]),
    binding('system:public-info-viewer', 'system:public-info-viewer', [
      { kind: 'Group', name: 'system:authenticated' },
      { kind: 'Group', name: 'system:unauthenticated' },
    ]),
    // As upstream: bound to nobody; kubelets get these rules from the Node authorizer, scoped to their pods.
    binding('system:node', 'system:node', []),
    // Simulated nodes share one in-process identity (they are not kubelets and cannot be scoped per node).
    binding('system:kts:sim', 'system:node', [{ kind: 'User', name: 'system:kts:sim' }]),
    // Joining nodes (kubeadm's bindings): bootstrap tokens may file CSRs and get kubelet client
    // certificates auto-approved; nodes may renew their own.
    binding('kts:kubelet-bootstrap', 'system:node-bootstrapper', [{ kind: 'Group', name: 'system:bootstrappers' }]),
    binding('kts:node-autoapprove-bootstrap', 'system:certificates.k8s.io:certificatesigningrequests:nodeclient', [{ kind: 'Group', name: 'system:bootstrappers' }]),
    binding('kts:node-autoapprove-certificate-rotation', 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [{ kind: 'Group', name: 'system:nodes' }]),
    binding('system:kube-scheduler', 'system:kube-scheduler', [{ kind: 'User', name: 'system:kube-scheduler' }]),
    binding('system:kube-controller-manager', 'system:kube-controller-manager', [{ kind: 'User', name: 'system:kube-controller-manager' }]),
    binding('system:node-proxier', 'system:node-proxier', [{ kind: 'User', name: 'system:kube-proxy' }]),
    // A joined agent runs its service proxy with the node's certificate (k3s gives agents a kube-proxy certificate instead).
    binding('kts:node-proxier', 'system:node-proxier', [{ kind: 'Group', name: 'system:nodes' }]),
    binding('system:kts:service-lb', 'system:kts:service-lb', [{ kind: 'User', name: 'system:kts:service-lb' }]),
    binding('system:kts:dns', 'system:kts:dns', [{ kind: 'User', name: 'system:kts:dns' }]),
    binding('system:kts:ingress', 'system:kts:ingress', [{ kind: 'User', name: 'system:kts:ingress' }]),
  ];
}
