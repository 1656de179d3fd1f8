// PodSecurity admission (k8s.io/pod-security-admission): the namespace's
// `pod-security.kubernetes.io/*` labels choose a level per mode. Pods are
// refused when they break the enforce level (on create, and on updates that
// change images or add containers); pods and workload templates that break
// the warn level get a Warning header. Raising a namespace's enforce level
// warns about the existing pods that break it. No exemptions are configured;
// the audit mode is accepted but there is no audit log to annotate.

import type { WarningRecorder } from '../../api/fieldvalidation/warnings.js';
import {
  evaluatePod,
  failureReasons,
  failuresText,
  hasPodTemplate,
  isSignificantPodUpdate,
  levelVersionString,
  policyFromLabels,
  podTemplateOf,
  type Level,
} from '../../api/podsecurity/policy.js';
import { forbidden, invalid } from '../errors.js';
import { fieldErrorMessage, invalidMessage } from '../../api/validation/errors.js';
import { namespaceLabelErrors } from '../../api/podsecurity/policy.js';
import { objectKey } from '../objects.js';
import type { AdmissionAttributes } from '../rest.js';
import { namespacedObjects, type AdmissionHost } from './index.js';

/** Upstream's limit on the existing pods checked when a namespace's enforce level changes. */
const MAX_PODS_TO_CHECK = 3000;
const LEVEL_RANK: Record<Level, number> = { privileged: 0, baseline: 1, restricted: 2 };

export class PodSecurityAdmission {
  constructor(private readonly host: AdmissionHost) {}

  validate(a: AdmissionAttributes, warnings: WarningRecorder | undefined): void {
    if (a.subresource) return;
    const { group, resource } = a.info;
    if (group === '' && resource === 'pods') this.validatePod(a, warnings);
    else if (group === '' && resource === 'namespaces') this.validateNamespace(a, warnings);
    else if (hasPodTemplate(group, resource)) this.validateTemplate(a, warnings);
  }

  private namespaceLabels(ns: string): Record<string, string> | undefined {
    const info = this.host.registry.get('', 'v1', 'namespaces')!;
    return this.host.cacheFor(info).get(objectKey(info, '', ns))?.obj?.metadata?.labels;
  }

  private validatePod(a: AdmissionAttributes, warnings: WarningRecorder | undefined): void {
    if (a.operation === 'UPDATE' && !isSignificantPodUpdate(a.obj, a.old)) return;
    const policy = policyFromLabels(this.namespaceLabels(a.obj?.metadata?.namespace ?? ''));
    if (policy.enforce.level === 'privileged' && policy.warn.level === 'privileged') return;
    const enforced = evaluatePod(policy.enforce.level, a.obj.metadata, a.obj.spec);
    if (enforced.length) {
      throw forbidden('', 'pods', a.obj.metadata?.name ?? '', `violates PodSecurity "${levelVersionString(policy.enforce)}": ${failuresText(enforced)}`);
    }
    this.warn(policy.warn, a.obj.metadata, a.obj.spec, warnings);
  }

  /** Workloads are never refused; their pod template is checked against the warn level. */
  private validateTemplate(a: AdmissionAttributes, warnings: WarningRecorder | undefined): void {
    const t = podTemplateOf(a.info.group, a.info.resource, a.obj);
    if (!t) return;
    const policy = policyFromLabels(this.namespaceLabels(a.obj?.metadata?.namespace ?? ''));
    this.warn(policy.warn, t.meta, t.spec, warnings);
  }

  private warn(lv: { level: Level; version: string }, meta: any, spec: any, warnings: WarningRecorder | undefined): void {
    const failures = evaluatePod(lv.level, meta, spec);
    if (failures.length) warnings?.add(`would violate PodSecurity "${levelVersionString(lv)}": ${failuresText(failures)}`);
  }

  /** A stricter enforce level lists the existing pods that break it, as upstream. */
  private validateNamespace(a: AdmissionAttributes, warnings: WarningRecorder | undefined): void {
    // Invalid pod-security labels are refused when they are set or changed.
    const psLabels = (l: Record<string, string> | undefined) => Object.entries(l ?? {}).filter(([k]) => k.startsWith('pod-security.kubernetes.io/')).sort();
    if (a.operation === 'CREATE' || JSON.stringify(psLabels(a.obj?.metadata?.labels)) !== JSON.stringify(psLabels(a.old?.metadata?.labels))) {
      const errs = namespaceLabelErrors(a.obj?.metadata?.labels);
      const name = a.obj?.metadata?.name ?? '';
      if (errs.length) throw invalid('', 'Namespace', name, invalidMessage('Namespace', name, errs), errs.map((e) => ({ reason: e.type, message: fieldErrorMessage(e), field: e.field })));
    }
    if (a.operation !== 'UPDATE' || !warnings) return;
    const next = policyFromLabels(a.obj?.metadata?.labels).enforce;
    const prev = policyFromLabels(a.old?.metadata?.labels).enforce;
    if (next.level === prev.level && next.version === prev.version) return;
    if (next.level === 'privileged') return;
    if (next.version === prev.version && LEVEL_RANK[next.level] <= LEVEL_RANK[prev.level]) return;
    const ns = a.obj.metadata.name;
    const all = prioritizePods(namespacedObjects(this.host, 'pods', ns));
    const pods = all.slice(0, MAX_PODS_TO_CHECK);
    const byReason = new Map<string, { name: string; count: number }>();
    for (const pod of pods) {
      const failures = evaluatePod(next.level, pod.metadata, pod.spec);
      if (!failures.length) continue;
      const reason = failureReasons(failures);
      const seen = byReason.get(reason);
      if (!seen) byReason.set(reason, { name: pod.metadata.name, count: 1 });
      else {
        seen.count++;
        if (pod.metadata.name < seen.name) seen.name = pod.metadata.name;
      }
    }
    if (pods.length < all.length) warnings.add(`new PodSecurity enforce level only checked against the first ${pods.length} of ${all.length} existing pods`);
    if (!byReason.size) return;
    warnings.add(`existing pods in namespace "${ns}" violate the new PodSecurity enforce level "${levelVersionString(next)}"`);
    const lines = [...byReason].map(([reason, { name, count }]) => {
      const who = count === 1 ? name : count === 2 ? `${name} (and 1 other pod)` : `${name} (and ${count - 1} other pods)`;
      return `${who}: ${reason}`;
    });
    for (const line of lines.sort()) warnings.add(line);
  }
}

/** One pod per controller first, then the other pods of the same controllers (upstream's order). */
function prioritizePods(pods: any[]): any[] {
  const first: any[] = [];
  const rest: any[] = [];
  const controllers = new Set<string>();
  for (const pod of pods) {
    const uid = ((pod.metadata?.ownerReferences ?? []) as any[]).find((r) => r.controller)?.uid;
    if (!uid) first.push(pod);
    else if (controllers.has(uid)) rest.push(pod);
    else {
      controllers.add(uid);
      first.push(pod);
    }
  }
  return [...first, ...rest];
}
