// Entry point of validation: ObjectMeta checks for every kind plus the
// per-kind rules of the built-in kinds users create every day. The API server
// calls `validate(info, obj)` on create and `validate(info, obj, old)` on
// update, after defaulting; an empty result means valid.

import type { ResourceInfo } from '../registry.js';
import type { FieldError } from './errors.js';
import { validateObjectMeta } from './names.js';
import {
  validateConfigMap,
  validateEndpoints,
  validateNamespace,
  validateNode,
  validatePersistentVolume,
  validatePersistentVolumeClaim,
  validatePod,
  validatePodTemplate,
  validateReplicationController,
  validateSecret,
  validateService,
} from './core.js';
import { validateControllerRevision, validateDaemonSet, validateDeployment, validateReplicaSet, validateStatefulSet } from './apps.js';
import { validateCronJob, validateJob } from './batch.js';
import {
  validateIngress,
  validateIngressClass,
  validateLease,
  validatePodDisruptionBudget,
  validatePriorityClass,
  validateRole,
  validateRoleBinding,
  validateStorageClass,
} from './other.js';
import {
  validateMutatingWebhookConfiguration,
  validateValidatingAdmissionPolicy,
  validateValidatingAdmissionPolicyBinding,
  validateValidatingWebhookConfiguration,
} from './admissionregistration.js';
import { validateCertificateSigningRequest } from './certificates.js';

type KindValidator = (obj: any, old?: any, subresource?: string) => FieldError[];

const VALIDATORS: Record<string, KindValidator> = {
  '/Pod': validatePod,
  '/PodTemplate': (o) => validatePodTemplate(o),
  '/ReplicationController': (o) => validateReplicationController(o),
  '/Service': validateService,
  '/ConfigMap': validateConfigMap,
  '/Secret': validateSecret,
  '/Namespace': (o) => validateNamespace(o),
  '/Node': validateNode,
  '/PersistentVolumeClaim': validatePersistentVolumeClaim,
  '/PersistentVolume': validatePersistentVolume,
  '/Endpoints': (o) => validateEndpoints(o),
  'apps/Deployment': validateDeployment,
  'apps/ReplicaSet': validateReplicaSet,
  'apps/StatefulSet': validateStatefulSet,
  'apps/DaemonSet': validateDaemonSet,
  'apps/ControllerRevision': validateControllerRevision,
  'batch/Job': validateJob,
  'batch/CronJob': validateCronJob,
  'networking.k8s.io/Ingress': (o) => validateIngress(o),
  'networking.k8s.io/IngressClass': validateIngressClass,
  'rbac.authorization.k8s.io/Role': (o) => validateRole(o, true),
  'rbac.authorization.k8s.io/ClusterRole': (o) => validateRole(o, false),
  'rbac.authorization.k8s.io/RoleBinding': (o, old) => validateRoleBinding(o, true, old),
  'rbac.authorization.k8s.io/ClusterRoleBinding': (o, old) => validateRoleBinding(o, false, old),
  'scheduling.k8s.io/PriorityClass': validatePriorityClass,
  'coordination.k8s.io/Lease': (o) => validateLease(o),
  'policy/PodDisruptionBudget': (o) => validatePodDisruptionBudget(o),
  'storage.k8s.io/StorageClass': validateStorageClass,
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': validateMutatingWebhookConfiguration,
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': validateValidatingWebhookConfiguration,
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': validateValidatingAdmissionPolicy,
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': validateValidatingAdmissionPolicyBinding,
  'certificates.k8s.io/CertificateSigningRequest': (o, old, sub) =>
    validateCertificateSigningRequest(o, old, !old ? 'create' : sub === 'status' ? 'status' : sub === 'approval' ? 'approval' : 'update'),
};

/** Whether kind-specific rules exist for the resource (beyond ObjectMeta). */
export function hasKindValidation(info: Pick<ResourceInfo, 'group' | 'kind'>): boolean {
  return `${info.group}/${info.kind}` in VALIDATORS;
}

/**
 * Validates an object (v1 JSON, already defaulted). `old` is the stored object
 * on update. Returns upstream-shaped field errors, metadata errors first.
 * A few kinds are normalised in place first, as upstream's strategies do just
 * before validation: a Job created with `metadata.uid` gets its generated
 * selector, a Service whose type changes drops type-specific fields.
 */
export function validate(info: ResourceInfo, obj: any, old?: any, subresource = ''): FieldError[] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return [{ type: 'FieldValueTypeInvalid', field: '', value: obj, detail: 'must be an object' }];
  }
  const isUpdate = old !== undefined && old !== null;
  const errs = validateObjectMeta(obj, info, !isUpdate, isUpdate ? old : undefined);
  const fn = VALIDATORS[`${info.group}/${info.kind}`];
  if (fn) errs.push(...fn(obj, isUpdate ? old : undefined, subresource));
  return errs;
}

export * from './errors.js';
export {
  validateObjectMeta,
  isDNS1123Label,
  isDNS1123Subdomain,
  isDNS1035Label,
  isQualifiedName,
  isValidLabelValue,
  isValidPathSegmentName,
  isConfigMapKey,
  nameFnFor,
} from './names.js';
export { generateJobSelector } from './batch.js';
export { selectorMatches } from './apps.js';
