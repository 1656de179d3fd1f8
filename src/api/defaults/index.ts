// Defaulting of built-in kinds: upstream's v1 SetDefaults_* functions (the
// values `kubectl get -o yaml` shows), applied in place to wire-shaped JSON.
// Also performs the few wire normalisations Go's decode/encode round trip
// makes visible (quantities in canonical form, `creationTimestamp: null` in
// templates, Secret `stringData` folded into `data`). Idempotent: running it
// again on a defaulted object changes nothing.

import type { ResourceInfo } from '../registry.js';
import { canonicalQuantity } from '../validation/quantity.js';

type Obj = Record<string, any>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Returns o[k] as an object, creating it when absent (or not an object). */
function ensure(o: Obj, k: string): Obj {
  if (!isObj(o[k])) o[k] = {};
  return o[k];
}

/** Go zero value: absent, null or the type's zero. */
function unset(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

function unsetNum(v: unknown): boolean {
  return v === undefined || v === null || v === 0;
}

function each(v: unknown, fn: (x: Obj, i: number) => void): void {
  if (!Array.isArray(v)) return;
  v.forEach((x, i) => {
    if (isObj(x)) fn(x, i);
  });
}

// ---------------------------------------------------------------------------
// Quantities

/** SetDefaults_ResourceList: round up to milli and write canonically. */
function defaultResourceList(list: unknown): void {
  if (!isObj(list)) return;
  for (const k of Object.keys(list)) list[k] = canonicalQuantity(list[k], true);
}

function defaultResourceRequirements(r: unknown): void {
  if (!isObj(r)) return;
  defaultResourceList(r.limits);
  defaultResourceList(r.requests);
}

// ---------------------------------------------------------------------------
// Pod specs

/** The image's tag ('' when absent; digests have no tag). */
function imageTag(image: string): string {
  let ref = image;
  const at = ref.indexOf('@');
  if (at >= 0) ref = ref.slice(0, at);
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return ref.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}

function defaultObjectFieldSelector(fs: unknown): void {
  if (isObj(fs) && unset(fs.apiVersion)) fs.apiVersion = 'v1';
}

function defaultHTTPGet(h: unknown): void {
  if (!isObj(h)) return;
  if (unset(h.path)) h.path = '/';
  if (unset(h.scheme)) h.scheme = 'HTTP';
}

function defaultHandler(h: unknown): void {
  if (!isObj(h)) return;
  defaultHTTPGet(h.httpGet);
}

function defaultProbe(p: unknown): void {
  if (!isObj(p)) return;
  if (unsetNum(p.timeoutSeconds)) p.timeoutSeconds = 1;
  if (unsetNum(p.periodSeconds)) p.periodSeconds = 10;
  if (unsetNum(p.successThreshold)) p.successThreshold = 1;
  if (unsetNum(p.failureThreshold)) p.failureThreshold = 3;
  defaultHandler(p);
  if (isObj(p.grpc) && p.grpc.service === undefined) p.grpc.service = '';
}

function defaultContainer(c: Obj): void {
  if (unset(c.imagePullPolicy)) {
    c.imagePullPolicy = imageTag(typeof c.image === 'string' ? c.image : '') === 'latest' ? 'Always' : 'IfNotPresent';
  }
  if (unset(c.terminationMessagePath)) c.terminationMessagePath = '/dev/termination-log';
  if (unset(c.terminationMessagePolicy)) c.terminationMessagePolicy = 'File';
  if (!isObj(c.resources)) c.resources = {};
  defaultResourceRequirements(c.resources);
  each(c.ports, (p) => {
    if (unset(p.protocol)) p.protocol = 'TCP';
  });
  each(c.env, (e) => {
    if (isObj(e.valueFrom)) defaultObjectFieldSelector(e.valueFrom.fieldRef);
  });
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  if (isObj(c.lifecycle)) {
    defaultHandler(c.lifecycle.postStart);
    defaultHandler(c.lifecycle.preStop);
  }
}

const VOLUME_SOURCE_KEYS = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
];

function defaultDownwardAPIItems(items: unknown): void {
  each(items, (it) => defaultObjectFieldSelector(it.fieldRef));
}

function defaultVolume(v: Obj): void {
  if (!VOLUME_SOURCE_KEYS.some((k) => v[k] !== undefined && v[k] !== null)) v.emptyDir = {};
  if (isObj(v.hostPath) && (v.hostPath.type === undefined || v.hostPath.type === null)) v.hostPath.type = '';
  if (isObj(v.secret) && v.secret.defaultMode == null) v.secret.defaultMode = 420;
  if (isObj(v.configMap) && v.configMap.defaultMode == null) v.configMap.defaultMode = 420;
  if (isObj(v.downwardAPI)) {
    if (v.downwardAPI.defaultMode == null) v.downwardAPI.defaultMode = 420;
    defaultDownwardAPIItems(v.downwardAPI.items);
  }
  if (isObj(v.projected)) {
    if (v.projected.defaultMode == null) v.projected.defaultMode = 420;
    each(v.projected.sources, (s) => {
      if (isObj(s.serviceAccountToken) && s.serviceAccountToken.expirationSeconds == null) s.serviceAccountToken.expirationSeconds = 3600;
      if (isObj(s.downwardAPI)) defaultDownwardAPIItems(s.downwardAPI.items);
    });
  }
  if (isObj(v.emptyDir) && v.emptyDir.sizeLimit != null) v.emptyDir.sizeLimit = canonicalQuantity(v.emptyDir.sizeLimit);
  if (isObj(v.iscsi) && unset(v.iscsi.iscsiInterface)) v.iscsi.iscsiInterface = 'default';
  if (isObj(v.rbd)) {
    if (unset(v.rbd.pool)) v.rbd.pool = 'rbd';
    if (unset(v.rbd.user)) v.rbd.user = 'admin';
    if (unset(v.rbd.keyring)) v.rbd.keyring = '/etc/ceph/keyring';
  }
  if (isObj(v.azureDisk)) {
    if (v.azureDisk.cachingMode == null) v.azureDisk.cachingMode = 'ReadWrite';
    if (v.azureDisk.kind == null) v.azureDisk.kind = 'Shared';
    if (v.azureDisk.fsType == null) v.azureDisk.fsType = 'ext4';
    if (v.azureDisk.readOnly == null) v.azureDisk.readOnly = false;
  }
  if (isObj(v.scaleIO)) {
    if (unset(v.scaleIO.storageMode)) v.scaleIO.storageMode = 'ThinProvisioned';
    if (unset(v.scaleIO.fsType)) v.scaleIO.fsType = 'xfs';
  }
  if (isObj(v.ephemeral) && isObj(v.ephemeral.volumeClaimTemplate)) {
    defaultPVCSpec(ensure(v.ephemeral.volumeClaimTemplate, 'spec'));
  }
}

/** SetDefaults_PodSpec and everything nested (containers, volumes, probes). */
export function defaultPodSpec(spec: Obj): void {
  if (unset(spec.dnsPolicy)) spec.dnsPolicy = 'ClusterFirst';
  if (unset(spec.restartPolicy)) spec.restartPolicy = 'Always';
  if (!isObj(spec.securityContext)) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) spec.terminationGracePeriodSeconds = 30;
  if (unset(spec.schedulerName)) spec.schedulerName = 'default-scheduler';
  each(spec.containers, defaultContainer);
  each(spec.initContainers, defaultContainer);
  each(spec.ephemeralContainers, defaultContainer);
  each(spec.volumes, defaultVolume);
  if (isObj(spec.overhead)) defaultResourceList(spec.overhead);
  if (isObj(spec.resources)) defaultResourceRequirements(spec.resources);
}

/** A PodTemplateSpec: metadata as Go writes it plus the pod spec defaults. */
export function defaultPodTemplateSpec(t: Obj): void {
  const meta = ensure(t, 'metadata');
  if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
  defaultPodSpec(ensure(t, 'spec'));
}

/** SetDefaults_Pod (pod-only defaults) on top of the pod spec defaults. */
function defaultPod(pod: Obj): void {
  const spec = ensure(pod, 'spec');
  defaultPodSpec(spec);
  for (const list of [spec.containers, spec.initContainers]) {
    each(list, (c) => {
      const r = ensure(c, 'resources');
      if (isObj(r.limits)) {
        const req = ensure(r, 'requests');
        for (const [k, v] of Object.entries(r.limits)) if (!(k in req)) req[k] = v;
      }
    });
  }
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
  if (spec.hostNetwork === true) {
    for (const list of [spec.containers, spec.initContainers]) {
      each(list, (c) =>
        each(c.ports, (p) => {
          if (unsetNum(p.hostPort)) p.hostPort = p.containerPort;
        }),
      );
    }
  }
}

// ---------------------------------------------------------------------------
// PersistentVolumes and claims

function defaultPVCSpec(spec: Obj): void {
  if (unset(spec.volumeMode)) spec.volumeMode = 'Filesystem';
  if (isObj(spec.resources)) defaultResourceRequirements(spec.resources);
}

function defaultPVC(pvc: Obj, asTemplate = false): void {
  defaultPVCSpec(ensure(pvc, 'spec'));
  if (asTemplate) {
    if (pvc.apiVersion === undefined) pvc.apiVersion = 'v1';
    if (pvc.kind === undefined) pvc.kind = 'PersistentVolumeClaim';
    const meta = ensure(pvc, 'metadata');
    if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
    const status = ensure(pvc, 'status');
    if (unset(status.phase)) status.phase = 'Pending';
  }
}

function defaultPV(pv: Obj): void {
  const spec = ensure(pv, 'spec');
  if (unset(spec.persistentVolumeReclaimPolicy)) spec.persistentVolumeReclaimPolicy = 'Retain';
  if (unset(spec.volumeMode)) spec.volumeMode = 'Filesystem';
  defaultResourceList(spec.capacity);
  if (isObj(spec.iscsi) && unset(spec.iscsi.iscsiInterface)) spec.iscsi.iscsiInterface = 'default';
  if (isObj(spec.rbd)) {
    if (unset(spec.rbd.pool)) spec.rbd.pool = 'rbd';
    if (unset(spec.rbd.user)) spec.rbd.user = 'admin';
    if (unset(spec.rbd.keyring)) spec.rbd.keyring = '/etc/ceph/keyring';
  }
  if (isObj(spec.hostPath) && spec.hostPath.type == null) spec.hostPath.type = '';
}

// ---------------------------------------------------------------------------
// Services

function externallyAccessible(spec: Obj): boolean {
  return (
    spec.type === 'LoadBalancer' ||
    spec.type === 'NodePort' ||
    (spec.type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0)
  );
}

function defaultService(svc: Obj): void {
  const spec = ensure(svc, 'spec');
  if (unset(spec.sessionAffinity)) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = spec.sessionAffinityConfig;
    if (!isObj(cfg) || !isObj(cfg.clientIP) || cfg.clientIP.timeoutSeconds == null) {
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
    }
  }
  if (unset(spec.type)) spec.type = 'ClusterIP';
  each(spec.ports, (p) => {
    if (unset(p.protocol)) p.protocol = 'TCP';
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  });
  if (externallyAccessible(spec) && unset(spec.externalTrafficPolicy)) spec.externalTrafficPolicy = 'Cluster';
  if (spec.internalTrafficPolicy == null && ['NodePort', 'LoadBalancer', 'ClusterIP'].includes(spec.type)) spec.internalTrafficPolicy = 'Cluster';
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts == null) spec.allocateLoadBalancerNodePorts = true;

  if (spec.type === 'ExternalName') return;
  // clusterIP and clusterIPs are kept in sync (upstream's normalizeClusterIPs)
  const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
  if (!unset(spec.clusterIP) && ips.length === 0) spec.clusterIPs = [spec.clusterIP];
  else if (unset(spec.clusterIP) && ips.length > 0 && typeof ips[0] === 'string') spec.clusterIP = ips[0];
  // IP families of a single-stack IPv4 cluster (upstream's allocator fills these)
  const headless = spec.clusterIP === 'None';
  const selectorless = !isObj(spec.selector) || Object.keys(spec.selector).length === 0;
  if (headless && selectorless) {
    if (spec.ipFamilyPolicy == null) spec.ipFamilyPolicy = 'RequireDualStack';
    if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) spec.ipFamilies = ['IPv4'];
    if (spec.ipFamilies.length < 2 && spec.ipFamilyPolicy !== 'SingleStack') {
      spec.ipFamilies = [...spec.ipFamilies, spec.ipFamilies[0] === 'IPv6' ? 'IPv4' : 'IPv6'];
    }
    return;
  }
  if (spec.ipFamilyPolicy == null) spec.ipFamilyPolicy = 'SingleStack';
  if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) {
    const first = typeof spec.clusterIPs?.[0] === 'string' && spec.clusterIPs[0].includes(':') ? 'IPv6' : 'IPv4';
    spec.ipFamilies = [first];
  }
}

// ---------------------------------------------------------------------------
// Workloads

function defaultDeployment(d: Obj): void {
  const spec = ensure(d, 'spec');
  if (spec.replicas == null) spec.replicas = 1;
  const strategy = ensure(spec, 'strategy');
  if (unset(strategy.type)) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = ensure(strategy, 'rollingUpdate');
    if (ru.maxUnavailable == null) ru.maxUnavailable = '25%';
    if (ru.maxSurge == null) ru.maxSurge = '25%';
  }
  if (spec.revisionHistoryLimit == null) spec.revisionHistoryLimit = 10;
  if (spec.progressDeadlineSeconds == null) spec.progressDeadlineSeconds = 600;
  defaultPodTemplateSpec(ensure(spec, 'template'));
}

function defaultReplicaSet(rs: Obj): void {
  const spec = ensure(rs, 'spec');
  if (spec.replicas == null) spec.replicas = 1;
  defaultPodTemplateSpec(ensure(spec, 'template'));
}

function defaultStatefulSet(sts: Obj): void {
  const spec = ensure(sts, 'spec');
  if (unset(spec.podManagementPolicy)) spec.podManagementPolicy = 'OrderedReady';
  const us = ensure(spec, 'updateStrategy');
  if (unset(us.type)) {
    us.type = 'RollingUpdate';
    if (!isObj(us.rollingUpdate)) us.rollingUpdate = {};
  }
  if (us.type === 'RollingUpdate' && isObj(us.rollingUpdate) && us.rollingUpdate.partition == null) us.rollingUpdate.partition = 0;
  const pol = ensure(spec, 'persistentVolumeClaimRetentionPolicy');
  if (unset(pol.whenDeleted)) pol.whenDeleted = 'Retain';
  if (unset(pol.whenScaled)) pol.whenScaled = 'Retain';
  if (spec.replicas == null) spec.replicas = 1;
  if (spec.revisionHistoryLimit == null) spec.revisionHistoryLimit = 10;
  defaultPodTemplateSpec(ensure(spec, 'template'));
  each(spec.volumeClaimTemplates, (t) => defaultPVC(t, true));
}

function defaultDaemonSet(ds: Obj): void {
  const spec = ensure(ds, 'spec');
  const us = ensure(spec, 'updateStrategy');
  if (unset(us.type)) us.type = 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    const ru = ensure(us, 'rollingUpdate');
    if (ru.maxUnavailable == null) ru.maxUnavailable = 1;
    if (ru.maxSurge == null) ru.maxSurge = 0;
  }
  if (spec.revisionHistoryLimit == null) spec.revisionHistoryLimit = 10;
  defaultPodTemplateSpec(ensure(spec, 'template'));
}

function defaultReplicationController(rc: Obj): void {
  const spec = ensure(rc, 'spec');
  if (spec.replicas == null) spec.replicas = 1;
  if (isObj(spec.template)) {
    const labels = isObj(spec.template.metadata) ? spec.template.metadata.labels : undefined;
    if (isObj(labels)) {
      if (!isObj(spec.selector) || Object.keys(spec.selector).length === 0) spec.selector = { ...labels };
      const meta = ensure(rc, 'metadata');
      if (!isObj(meta.labels) || Object.keys(meta.labels).length === 0) meta.labels = { ...labels };
    }
    defaultPodTemplateSpec(spec.template);
  }
}

function defaultJobTemplateSpec(t: Obj): void {
  const meta = ensure(t, 'metadata');
  if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
  defaultPodTemplateSpec(ensure(ensure(t, 'spec'), 'template'));
}

function defaultJob(job: Obj): void {
  const spec = ensure(job, 'spec');
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  if (spec.parallelism == null) spec.parallelism = 1;
  if (spec.backoffLimit == null) spec.backoffLimit = spec.backoffLimitPerIndex != null ? 2147483647 : 6;
  const tmplLabels = isObj(spec.template) && isObj(spec.template.metadata) ? spec.template.metadata.labels : undefined;
  const meta = ensure(job, 'metadata');
  if (isObj(tmplLabels) && (!isObj(meta.labels) || Object.keys(meta.labels).length === 0)) meta.labels = { ...tmplLabels };
  if (unset(spec.completionMode)) spec.completionMode = 'NonIndexed';
  if (spec.suspend == null) spec.suspend = false;
  if (isObj(spec.podFailurePolicy)) {
    each(spec.podFailurePolicy.rules, (r) => each(r.onPodConditions, (c) => {
      if (unset(c.status)) c.status = 'True';
    }));
  }
  if (unset(spec.podReplacementPolicy)) spec.podReplacementPolicy = isObj(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed';
  if (spec.manualSelector == null) spec.manualSelector = false;
  defaultPodTemplateSpec(ensure(spec, 'template'));
}

function defaultCronJob(cj: Obj): void {
  const spec = ensure(cj, 'spec');
  if (unset(spec.concurrencyPolicy)) spec.concurrencyPolicy = 'Allow';
  if (spec.suspend == null) spec.suspend = false;
  if (spec.successfulJobsHistoryLimit == null) spec.successfulJobsHistoryLimit = 3;
  if (spec.failedJobsHistoryLimit == null) spec.failedJobsHistoryLimit = 1;
  defaultJobTemplateSpec(ensure(spec, 'jobTemplate'));
}

// ---------------------------------------------------------------------------
// Other kinds

function defaultSecret(s: Obj): void {
  if (unset(s.type)) s.type = 'Opaque';
  // v1 stringData is write-only: merged into data (overriding), then dropped
  if (isObj(s.stringData)) {
    const data = ensure(s, 'data');
    for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(String(v ?? ''), 'utf8').toString('base64');
  }
  delete s.stringData;
}

function defaultNamespace(ns: Obj): void {
  const meta = ensure(ns, 'metadata');
  if (typeof meta.name === 'string' && meta.name.length > 0) {
    const labels = ensure(meta, 'labels');
    labels['kubernetes.io/metadata.name'] = meta.name;
  }
}

/** What a new Namespace always gets (upstream's create strategy, not defaulting): the `kubernetes` finalizer. */
export function prepareNamespaceForCreate(ns: Obj): void {
  const spec = ensure(ns, 'spec');
  spec.finalizers = ['kubernetes'];
}

function defaultEndpoints(ep: Obj): void {
  each(ep.subsets, (ss) =>
    each(ss.ports, (p) => {
      if (unset(p.protocol)) p.protocol = 'TCP';
    }),
  );
}

function defaultEndpointSlice(es: Obj): void {
  each(es.ports, (p) => {
    if (p.protocol == null) p.protocol = 'TCP';
    if (p.name === undefined) p.name = '';
  });
}

function defaultRoleBinding(rb: Obj): void {
  const ref = ensure(rb, 'roleRef');
  if (unset(ref.apiGroup)) ref.apiGroup = 'rbac.authorization.k8s.io';
  each(rb.subjects, (s) => {
    if (unset(s.apiGroup) && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = 'rbac.authorization.k8s.io';
  });
}

function defaultNodeStatus(node: Obj): void {
  if (!isObj(node.status)) return;
  const st = node.status;
  defaultResourceList(st.capacity);
  defaultResourceList(st.allocatable);
  if (!isObj(st.allocatable) && isObj(st.capacity)) st.allocatable = { ...st.capacity };
}

function defaultStorageClass(sc: Obj): void {
  if (unset(sc.reclaimPolicy)) sc.reclaimPolicy = 'Delete';
  if (unset(sc.volumeBindingMode)) sc.volumeBindingMode = 'Immediate';
}

function defaultResourceQuota(q: Obj): void {
  if (isObj(q.spec)) defaultResourceList(q.spec.hard);
}

function defaultLimitRange(lr: Obj): void {
  if (!isObj(lr.spec)) return;
  each(lr.spec.limits, (item) => {
    for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) defaultResourceList(item[k]);
    if (item.type === 'Container') {
      const def = ensure(item, 'default');
      const defReq = ensure(item, 'defaultRequest');
      for (const [k, v] of Object.entries(isObj(item.max) ? item.max : {})) if (!(k in def)) def[k] = v;
      for (const [k, v] of Object.entries(def)) if (!(k in defReq)) defReq[k] = v;
      for (const [k, v] of Object.entries(isObj(item.min) ? item.min : {})) if (!(k in defReq)) defReq[k] = v;
    }
  });
}

function defaultPodTemplate(pt: Obj): void {
  defaultPodTemplateSpec(ensure(pt, 'template'));
}

function defaultPriorityClass(pc: Obj): void {
  if (unset(pc.preemptionPolicy)) pc.preemptionPolicy = 'PreemptLowerPriority';
}

function defaultIngressClass(ic: Obj): void {
  const params = isObj(ic.spec) ? ic.spec.parameters : undefined;
  if (isObj(params) && params.scope == null) params.scope = 'Cluster';
}

function defaultNetworkPolicy(np: Obj): void {
  const spec = ensure(np, 'spec');
  if (!isObj(spec.podSelector)) spec.podSelector = {};
  each(spec.ingress, (r) => each(r.ports, (p) => {
    if (p.protocol == null) p.protocol = 'TCP';
  }));
  each(spec.egress, (r) => each(r.ports, (p) => {
    if (p.protocol == null) p.protocol = 'TCP';
  }));
  if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
    const types = ['Ingress'];
    if (Array.isArray(spec.egress) && spec.egress.length > 0) types.push('Egress');
    spec.policyTypes = types;
  }
}

function defaultHPA(h: Obj, version: string): void {
  const spec = ensure(h, 'spec');
  if (spec.minReplicas == null) spec.minReplicas = 1;
  if (version === 'v1') {
    // v1's implicit 80% target, explicit as it comes back from the v2 storage (unless other metrics travel in the annotation).
    if (spec.targetCPUUtilizationPercentage == null && !h.metadata?.annotations?.['autoscaling.alpha.kubernetes.io/metrics']) spec.targetCPUUtilizationPercentage = 80;
    return;
  }
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
  // A behavior, when given, is completed with upstream's default rules; the
  // scale-down window stays unset (the controller's default, 300 s, applies).
  if (spec.behavior && typeof spec.behavior === 'object') {
    const up = (spec.behavior.scaleUp ??= {});
    up.stabilizationWindowSeconds ??= 0;
    up.selectPolicy ??= 'Max';
    up.policies ??= [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ];
    const down = (spec.behavior.scaleDown ??= {});
    down.selectPolicy ??= 'Max';
    down.policies ??= [{ type: 'Percent', value: 100, periodSeconds: 15 }];
  }
}

// admissionregistration.k8s.io/v1 defaults (upstream's SetDefaults_*Webhook, _Rule, _ServiceReference, ...).
function defaultRules(rules: unknown): void {
  if (!Array.isArray(rules)) return;
  for (const r of rules) if (isObj(r) && (r.scope === undefined || r.scope === null)) r.scope = '*';
}

function defaultWebhook(w: Obj, mutating: boolean): void {
  w.failurePolicy ??= 'Fail';
  w.matchPolicy ??= 'Equivalent';
  w.namespaceSelector ??= {};
  w.objectSelector ??= {};
  w.timeoutSeconds ??= 10;
  if (mutating) w.reinvocationPolicy ??= 'Never';
  defaultRules(w.rules);
  const svc = w.clientConfig?.service;
  if (isObj(svc)) svc.port ??= 443;
}

function defaultWebhookConfiguration(mutating: boolean) {
  return (o: Obj) => {
    if (!Array.isArray(o.webhooks)) return;
    for (const w of o.webhooks) if (isObj(w)) defaultWebhook(w, mutating);
  };
}

function defaultMatchResources(m: Obj): void {
  m.namespaceSelector ??= {};
  m.objectSelector ??= {};
  m.matchPolicy ??= 'Equivalent';
  defaultRules(m.resourceRules);
  defaultRules(m.excludeResourceRules);
}

function defaultValidatingAdmissionPolicy(o: Obj): void {
  if (!isObj(o.spec)) return;
  o.spec.failurePolicy ??= 'Fail';
  if (isObj(o.spec.matchConstraints)) defaultMatchResources(o.spec.matchConstraints);
}

function defaultValidatingAdmissionPolicyBinding(o: Obj): void {
  if (isObj(o.spec?.matchResources)) defaultMatchResources(o.spec.matchResources);
}

const DEFAULTERS: Record<string, (o: Obj, info: ResourceInfo) => void> = {
  '/Pod': defaultPod,
  '/PodTemplate': defaultPodTemplate,
  '/ReplicationController': defaultReplicationController,
  '/Service': defaultService,
  '/Secret': defaultSecret,
  '/Namespace': defaultNamespace,
  '/PersistentVolumeClaim': (o) => {
    defaultPVC(o);
  },
  '/PersistentVolume': defaultPV,
  '/Endpoints': defaultEndpoints,
  '/Node': defaultNodeStatus,
  '/ResourceQuota': defaultResourceQuota,
  '/LimitRange': defaultLimitRange,
  'apps/Deployment': defaultDeployment,
  'apps/ReplicaSet': defaultReplicaSet,
  'apps/StatefulSet': defaultStatefulSet,
  'apps/DaemonSet': defaultDaemonSet,
  'batch/Job': defaultJob,
  'batch/CronJob': defaultCronJob,
  'rbac.authorization.k8s.io/RoleBinding': defaultRoleBinding,
  'rbac.authorization.k8s.io/ClusterRoleBinding': defaultRoleBinding,
  'storage.k8s.io/StorageClass': defaultStorageClass,
  'scheduling.k8s.io/PriorityClass': defaultPriorityClass,
  'networking.k8s.io/IngressClass': defaultIngressClass,
  'networking.k8s.io/NetworkPolicy': defaultNetworkPolicy,
  'discovery.k8s.io/EndpointSlice': defaultEndpointSlice,
  'autoscaling/HorizontalPodAutoscaler': (o, info) => defaultHPA(o, info.version),
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': defaultWebhookConfiguration(true),
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': defaultWebhookConfiguration(false),
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': defaultValidatingAdmissionPolicy,
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': defaultValidatingAdmissionPolicyBinding,
};

/**
 * Applies upstream's v1 defaults to a built-in object in place. Unknown kinds
 * (custom resources included) are left untouched.
 */
export function applyDefaults(info: ResourceInfo, obj: any): void {
  if (!isObj(obj)) return;
  const fn = DEFAULTERS[`${info.group}/${info.kind}`];
  if (fn) fn(obj, info);
}
