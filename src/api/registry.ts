// The built-in resources kts serves: group, version, plural resource name,
// kind, scope, short names, categories, verbs and subresources, as upstream
// Kubernetes 1.32 reports them in discovery. Pure data plus lookups.

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export interface SubresourceInfo {
  name: string; // status, scale, binding, eviction, log, exec, ...
  kind: string; // kind of the subresource object (Pod for status, Scale for scale)
  group?: string; // group of the subresource kind when it differs (autoscaling for Scale)
  version?: string;
  verbs: Verb[];
}

/** How `metadata.name` is validated for a kind. */
export type NameRule = 'subdomain' | 'label' | 'path';

export interface ResourceInfo {
  group: string; // '' for core
  version: string;
  resource: string; // plural, lower-case
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: Verb[];
  subresources: SubresourceInfo[];
  /** metadata.generation is set on create and bumped on spec changes. */
  generation: boolean;
  nameRule: NameRule;
  /** PUT on a missing object creates it. */
  allowCreateOnUpdate: boolean;
}

export const ALL_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS_VERBS: Verb[] = ['get', 'patch', 'update'];

interface Spec {
  resource: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: Verb[];
  status?: boolean;
  scale?: boolean;
  extraSub?: SubresourceInfo[];
  generation?: boolean;
  nameRule?: NameRule;
  allowCreateOnUpdate?: boolean;
}

function make(group: string, version: string, s: Spec): ResourceInfo {
  const subresources: SubresourceInfo[] = [...(s.extraSub ?? [])];
  if (s.scale) subresources.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: STATUS_VERBS });
  if (s.status) subresources.push({ name: 'status', kind: s.kind, verbs: STATUS_VERBS });
  subresources.sort((a, b) => a.name.localeCompare(b.name));
  return {
    group,
    version,
    resource: s.resource,
    singular: s.kind.toLowerCase(),
    kind: s.kind,
    listKind: s.kind + 'List',
    namespaced: s.namespaced,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    verbs: s.verbs ?? ALL_VERBS,
    subresources,
    generation: s.generation ?? false,
    nameRule: s.nameRule ?? 'subdomain',
    allowCreateOnUpdate: s.allowCreateOnUpdate ?? false,
  };
}

const sub = (name: string, kind: string, verbs: Verb[], group?: string, version?: string): SubresourceInfo => ({
  name,
  kind,
  verbs,
  ...(group !== undefined ? { group, version } : {}),
});

/** Group versions in upstream's discovery priority order; the first version of a group is preferred. */
export const GROUP_VERSIONS: Array<{ group: string; versions: string[] }> = [
  { group: '', versions: ['v1'] },
  { group: 'apps', versions: ['v1'] },
  { group: 'events.k8s.io', versions: ['v1'] },
  { group: 'authentication.k8s.io', versions: ['v1'] },
  { group: 'authorization.k8s.io', versions: ['v1'] },
  { group: 'autoscaling', versions: ['v2', 'v1'] },
  { group: 'batch', versions: ['v1'] },
  { group: 'certificates.k8s.io', versions: ['v1'] },
  { group: 'networking.k8s.io', versions: ['v1'] },
  { group: 'policy', versions: ['v1'] },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'] },
  { group: 'storage.k8s.io', versions: ['v1'] },
  { group: 'admissionregistration.k8s.io', versions: ['v1'] },
  { group: 'apiextensions.k8s.io', versions: ['v1'] },
  { group: 'scheduling.k8s.io', versions: ['v1'] },
  { group: 'coordination.k8s.io', versions: ['v1'] },
  { group: 'node.k8s.io', versions: ['v1'] },
  { group: 'discovery.k8s.io', versions: ['v1'] },
  // Served by the API server itself in kts (metrics-server is an aggregated API upstream).
  { group: 'metrics.k8s.io', versions: ['v1beta1'] },
];

const podSubs = [
  sub('attach', 'PodAttachOptions', ['create', 'get']),
  sub('binding', 'Binding', ['create']),
  sub('ephemeralcontainers', 'Pod', ['get', 'patch', 'update']),
  sub('eviction', 'Eviction', ['create'], 'policy', 'v1'),
  sub('exec', 'PodExecOptions', ['create', 'get']),
  sub('log', 'Pod', ['get']),
  sub('portforward', 'PodPortForwardOptions', ['create', 'get']),
  sub('proxy', 'PodProxyOptions', ['create', 'delete', 'get', 'patch', 'update']),
];

const core = (s: Spec) => make('', 'v1', s);
const apps = (s: Spec) => make('apps', 'v1', { generation: true, ...s });

export const BUILTIN_RESOURCES: ResourceInfo[] = [
  core({ resource: 'bindings', kind: 'Binding', namespaced: true, verbs: ['create'] }),
  core({ resource: 'componentstatuses', kind: 'ComponentStatus', namespaced: false, shortNames: ['cs'], verbs: ['get', 'list'] }),
  core({ resource: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] }),
  core({ resource: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'], allowCreateOnUpdate: true }),
  core({ resource: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'], nameRule: 'path' }),
  core({ resource: 'limitranges', kind: 'LimitRange', namespaced: true, shortNames: ['limits'] }),
  core({
    resource: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    status: true,
    extraSub: [sub('finalize', 'Namespace', ['update'])],
    nameRule: 'label',
  }),
  core({
    resource: 'nodes',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    status: true,
    extraSub: [sub('proxy', 'NodeProxyOptions', ['create', 'delete', 'get', 'patch', 'update'])],
  }),
  core({ resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true, shortNames: ['pvc'], status: true }),
  core({ resource: 'persistentvolumes', kind: 'PersistentVolume', namespaced: false, shortNames: ['pv'], status: true }),
  core({ resource: 'pods', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'], status: true, extraSub: podSubs }),
  core({ resource: 'podtemplates', kind: 'PodTemplate', namespaced: true }),
  core({
    resource: 'replicationcontrollers',
    kind: 'ReplicationController',
    namespaced: true,
    shortNames: ['rc'],
    categories: ['all'],
    status: true,
    scale: true,
    generation: true,
  }),
  core({ resource: 'resourcequotas', kind: 'ResourceQuota', namespaced: true, shortNames: ['quota'], status: true }),
  core({ resource: 'secrets', kind: 'Secret', namespaced: true }),
  core({
    resource: 'serviceaccounts',
    kind: 'ServiceAccount',
    namespaced: true,
    shortNames: ['sa'],
    extraSub: [sub('token', 'TokenRequest', ['create'], 'authentication.k8s.io', 'v1')],
  }),
  core({
    resource: 'services',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    status: true,
    extraSub: [sub('proxy', 'ServiceProxyOptions', ['create', 'delete', 'get', 'patch', 'update'])],
    nameRule: 'label',
  }),

  apps({ resource: 'controllerrevisions', kind: 'ControllerRevision', namespaced: true, generation: false }),
  apps({ resource: 'daemonsets', kind: 'DaemonSet', namespaced: true, shortNames: ['ds'], categories: ['all'], status: true }),
  apps({ resource: 'deployments', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], status: true, scale: true }),
  apps({ resource: 'replicasets', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'], categories: ['all'], status: true, scale: true }),
  apps({ resource: 'statefulsets', kind: 'StatefulSet', namespaced: true, shortNames: ['sts'], categories: ['all'], status: true, scale: true }),

  make('events.k8s.io', 'v1', { resource: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'], nameRule: 'path' }),

  ...['v2', 'v1'].map((v) =>
    make('autoscaling', v, {
      resource: 'horizontalpodautoscalers',
      kind: 'HorizontalPodAutoscaler',
      namespaced: true,
      shortNames: ['hpa'],
      categories: ['all'],
      status: true,
    }),
  ),

  make('batch', 'v1', { resource: 'cronjobs', kind: 'CronJob', namespaced: true, shortNames: ['cj'], categories: ['all'], status: true, generation: true }),
  make('batch', 'v1', { resource: 'jobs', kind: 'Job', namespaced: true, categories: ['all'], status: true, generation: true }),

  // Create-only reviews, answered and never stored.
  make('metrics.k8s.io', 'v1beta1', { resource: 'nodes', kind: 'NodeMetrics', namespaced: false, verbs: ['get', 'list'] }),
  make('metrics.k8s.io', 'v1beta1', { resource: 'pods', kind: 'PodMetrics', namespaced: true, verbs: ['get', 'list'] }),
  make('authentication.k8s.io', 'v1', { resource: 'selfsubjectreviews', kind: 'SelfSubjectReview', namespaced: false, verbs: ['create'] }),
  make('authentication.k8s.io', 'v1', { resource: 'tokenreviews', kind: 'TokenReview', namespaced: false, verbs: ['create'] }),
  make('authorization.k8s.io', 'v1', { resource: 'localsubjectaccessreviews', kind: 'LocalSubjectAccessReview', namespaced: true, verbs: ['create'] }),
  make('authorization.k8s.io', 'v1', { resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'] }),
  make('authorization.k8s.io', 'v1', { resource: 'selfsubjectrulesreviews', kind: 'SelfSubjectRulesReview', namespaced: false, verbs: ['create'] }),
  make('authorization.k8s.io', 'v1', { resource: 'subjectaccessreviews', kind: 'SubjectAccessReview', namespaced: false, verbs: ['create'] }),

  make('certificates.k8s.io', 'v1', {
    resource: 'certificatesigningrequests',
    kind: 'CertificateSigningRequest',
    namespaced: false,
    shortNames: ['csr'],
    status: true,
    extraSub: [sub('approval', 'CertificateSigningRequest', ['get', 'patch', 'update'])],
  }),

  make('networking.k8s.io', 'v1', { resource: 'ingressclasses', kind: 'IngressClass', namespaced: false, generation: true }),
  make('networking.k8s.io', 'v1', { resource: 'ingresses', kind: 'Ingress', namespaced: true, shortNames: ['ing'], status: true, generation: true }),
  make('networking.k8s.io', 'v1', { resource: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true, shortNames: ['netpol'], generation: true }),

  make('policy', 'v1', { resource: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true, shortNames: ['pdb'], status: true, generation: true }),

  ...(['clusterrolebindings', 'clusterroles', 'rolebindings', 'roles'] as const).map((r) =>
    make('rbac.authorization.k8s.io', 'v1', {
      resource: r,
      kind: { clusterrolebindings: 'ClusterRoleBinding', clusterroles: 'ClusterRole', rolebindings: 'RoleBinding', roles: 'Role' }[r],
      namespaced: !r.startsWith('cluster'),
      nameRule: 'path',
    }),
  ),

  make('storage.k8s.io', 'v1', { resource: 'csidrivers', kind: 'CSIDriver', namespaced: false }),
  make('storage.k8s.io', 'v1', { resource: 'csinodes', kind: 'CSINode', namespaced: false }),
  make('storage.k8s.io', 'v1', { resource: 'csistoragecapacities', kind: 'CSIStorageCapacity', namespaced: true }),
  make('storage.k8s.io', 'v1', { resource: 'storageclasses', kind: 'StorageClass', namespaced: false, shortNames: ['sc'] }),
  make('storage.k8s.io', 'v1', { resource: 'volumeattachments', kind: 'VolumeAttachment', namespaced: false, status: true }),

  ...(
    [
      ['mutatingwebhookconfigurations', 'MutatingWebhookConfiguration'],
      ['validatingadmissionpolicies', 'ValidatingAdmissionPolicy'],
      ['validatingadmissionpolicybindings', 'ValidatingAdmissionPolicyBinding'],
      ['validatingwebhookconfigurations', 'ValidatingWebhookConfiguration'],
    ] as const
  ).map(([resource, kind]) =>
    make('admissionregistration.k8s.io', 'v1', {
      resource,
      kind,
      namespaced: false,
      categories: ['api-extensions'],
      status: resource === 'validatingadmissionpolicies',
      generation: resource.startsWith('validatingadmissionpolic'),
    }),
  ),

  make('apiextensions.k8s.io', 'v1', {
    resource: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    status: true,
    generation: true,
  }),

  make('scheduling.k8s.io', 'v1', { resource: 'priorityclasses', kind: 'PriorityClass', namespaced: false, shortNames: ['pc'] }),
  make('coordination.k8s.io', 'v1', { resource: 'leases', kind: 'Lease', namespaced: true }),
  make('node.k8s.io', 'v1', { resource: 'runtimeclasses', kind: 'RuntimeClass', namespaced: false, nameRule: 'subdomain' }),
  make('discovery.k8s.io', 'v1', { resource: 'endpointslices', kind: 'EndpointSlice', namespaced: true }),
];

export function groupVersionString(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

export function apiVersionOf(r: { group: string; version: string }): string {
  return groupVersionString(r.group, r.version);
}

/** A lookup table over a set of resources (built-ins now, custom resources later). */
export class ResourceRegistry {
  private byGVR = new Map<string, ResourceInfo>();
  private byGVK = new Map<string, ResourceInfo>();

  constructor(resources: ResourceInfo[] = BUILTIN_RESOURCES) {
    for (const r of resources) this.add(r);
  }

  add(r: ResourceInfo): void {
    this.byGVR.set(`${r.group}/${r.version}/${r.resource}`, r);
    this.byGVK.set(`${r.group}/${r.version}/${r.kind}`, r);
  }

  remove(r: { group: string; version: string; resource: string; kind: string }): void {
    this.byGVR.delete(`${r.group}/${r.version}/${r.resource}`);
    this.byGVK.delete(`${r.group}/${r.version}/${r.kind}`);
  }

  get(group: string, version: string, resource: string): ResourceInfo | undefined {
    return this.byGVR.get(`${group}/${version}/${resource}`);
  }

  byKind(group: string, version: string, kind: string): ResourceInfo | undefined {
    return this.byGVK.get(`${group}/${version}/${kind}`);
  }

  all(): ResourceInfo[] {
    return [...this.byGVR.values()];
  }

  inGroupVersion(group: string, version: string): ResourceInfo[] {
    return this.all().filter((r) => r.group === group && r.version === version);
  }
}
