// Validation of apps/v1 kinds (upstream pkg/apis/apps/validation):
// Deployments, ReplicaSets, StatefulSets, DaemonSets, ControllerRevisions.

import {
  child,
  forbidden,
  goIntOrString,
  goLabelSelector,
  goStringMap,
  goStruct,
  invalid,
  notSupported,
  required,
  type FieldError,
} from './errors.js';
import { FIELD_IMMUTABLE, isValidPercent, validateLabelSelector } from './names.js';
import { IS_NEGATIVE_ERROR_MSG, validateNonnegative, validatePersistentVolumeClaimSpec, validatePodTemplateSpec } from './core.js';
import { arr, clone, has, isObj, obj, semanticEqual, str } from './util.js';

/** metav1.LabelSelectorAsSelector + Matches: a missing selector matches nothing, an empty one everything. */
export function selectorMatches(sel: unknown, labels: unknown): boolean {
  if (!isObj(sel)) return false;
  const l = obj(labels);
  for (const [k, v] of Object.entries(obj(sel.matchLabels))) if (l[k] !== v) return false;
  for (const r of arr(sel.matchExpressions)) {
    const k = str(r?.key);
    const vals = arr(r?.values).map(str);
    const present = Object.prototype.hasOwnProperty.call(l, k);
    switch (r?.operator) {
      case 'In':
        if (!present || !vals.includes(str(l[k]))) return false;
        break;
      case 'NotIn':
        if (present && vals.includes(str(l[k]))) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function selectorIsEmpty(sel: unknown): boolean {
  return isObj(sel) && Object.keys(obj(sel.matchLabels)).length + arr(sel.matchExpressions).length === 0;
}

/** Whether LabelSelectorAsSelector would fail (bad operator / values). */
function selectorConvertible(sel: unknown): boolean {
  if (!isObj(sel)) return true;
  for (const r of arr(sel.matchExpressions)) {
    const vals = arr(r?.values);
    switch (r?.operator) {
      case 'In':
      case 'NotIn':
        if (vals.length === 0) return false;
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (vals.length > 0) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** The selector checks shared by the workload controllers. */
function validateSelector(spec: any, kindWord: string, errs: FieldError[]): void {
  if (!has(spec.selector)) {
    errs.push(required('spec.selector'));
  } else {
    errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    if (selectorIsEmpty(spec.selector)) errs.push(invalid('spec.selector', goLabelSelector(spec.selector), `empty selector is invalid for ${kindWord}`));
  }
}

function templateLabels(spec: any): unknown {
  return obj(obj(spec.template).metadata).labels;
}

/** Template checks for ReplicaSet-like controllers (ValidatePodTemplateSpecForReplicaSet). */
function validateTemplateForController(spec: any, kind: string, errs: FieldError[], extraVolumes: string[] = []): void {
  if (!isObj(spec.template)) {
    errs.push(required('spec.template'));
    return;
  }
  if (selectorConvertible(spec.selector)) {
    if (!selectorIsEmpty(spec.selector) && !selectorMatches(spec.selector, templateLabels(spec))) {
      errs.push(invalid('spec.template.metadata.labels', goStringMap(templateLabels(spec)), '`selector` does not match template `labels`'));
    }
  } else {
    errs.push(invalid('spec.selector', goLabelSelector(spec.selector), 'invalid label selector'));
  }
  errs.push(...validatePodTemplateSpec(spec.template, 'spec.template', { extraVolumes }));
  const tspec = obj(spec.template.spec);
  const rp = str(tspec.restartPolicy);
  if (rp && rp !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  if (has(tspec.activeDeadlineSeconds)) {
    errs.push(forbidden('spec.template.spec.activeDeadlineSeconds', `activeDeadlineSeconds in ${kind} is not Supported`));
  }
}

function intOrPercentValue(v: unknown): { value: number; percent: boolean } {
  if (typeof v === 'string') {
    const m = /^([0-9]+)%$/.exec(v);
    if (m) return { value: Number(m[1]), percent: true };
    // Go's IntOrString.IntValue: strconv.Atoi of the string, 0 when it is not a number.
    return { value: /^[+-]?[0-9]+$/.test(v) ? Number(v) : 0, percent: false };
  }
  return { value: typeof v === 'number' ? v : 0, percent: false };
}

export function validatePositiveIntOrPercent(v: unknown, fld: string): FieldError[] {
  if (typeof v === 'string') return isValidPercent(v).map((m) => invalid(fld, goIntOrString(v), m));
  if (typeof v === 'number' && v < 0) return [invalid(fld, v, IS_NEGATIVE_ERROR_MSG)];
  return [];
}

export function isNotMoreThan100Percent(v: unknown, fld: string): FieldError[] {
  const { value, percent } = intOrPercentValue(v);
  if (!percent || value <= 100) return [];
  return [invalid(fld, goIntOrString(v), 'must not be greater than 100%')];
}

function validateRollingUpdate(ru: any, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, child(fld, 'maxUnavailable')));
  errs.push(...validatePositiveIntOrPercent(ru.maxSurge, child(fld, 'maxSurge')));
  if (intOrPercentValue(ru.maxUnavailable).value === 0 && intOrPercentValue(ru.maxSurge).value === 0) {
    errs.push(invalid(child(fld, 'maxUnavailable'), goIntOrString(ru.maxUnavailable ?? 0), 'may not be 0 when `maxSurge` is 0'));
  }
  errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, child(fld, 'maxUnavailable')));
  return errs;
}

/**
 * A DaemonSet's rollingUpdate (upstream ValidateRollingUpdateDaemonSet):
 * both fields valid and at most 100%, then exactly one of them non-zero —
 * surging keeps the old pod until the new one is available, so it cannot
 * be combined with taking pods down.
 */
function validateRollingUpdateDaemonSet(ru: any, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, child(fld, 'maxUnavailable')));
  errs.push(...validatePositiveIntOrPercent(ru.maxSurge, child(fld, 'maxSurge')));
  errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, child(fld, 'maxUnavailable')));
  errs.push(...isNotMoreThan100Percent(ru.maxSurge, child(fld, 'maxSurge')));
  const hasUnavailable = intOrPercentValue(ru.maxUnavailable).value !== 0;
  const hasSurge = intOrPercentValue(ru.maxSurge).value !== 0;
  if (hasUnavailable && hasSurge) errs.push(invalid(child(fld, 'maxSurge'), goIntOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
  if (!hasUnavailable && !hasSurge) errs.push(required(child(fld, 'maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
  return errs;
}

// ---------------------------------------------------------------------------

export function validateDeployment(d: any, old?: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(d.spec);
  errs.push(...validateNonnegative(spec.replicas, 'spec.replicas'));
  validateSelector(spec, 'deployment', errs);
  validateTemplateForController(spec, 'ReplicaSet', errs);
  const strategy = obj(spec.strategy);
  if (has(spec.strategy) || has(strategy.type)) {
    switch (str(strategy.type)) {
      case 'Recreate':
        if (has(strategy.rollingUpdate)) errs.push(forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
        break;
      case 'RollingUpdate':
        if (!isObj(strategy.rollingUpdate)) errs.push(required('spec.strategy.rollingUpdate', 'this should be defaulted and never be nil'));
        else errs.push(...validateRollingUpdate(strategy.rollingUpdate, 'spec.strategy.rollingUpdate'));
        break;
      default:
        errs.push(notSupported('spec.strategy.type', str(strategy.type), ['Recreate', 'RollingUpdate']));
    }
  }
  errs.push(...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (typeof spec.progressDeadlineSeconds === 'number') {
    if (spec.progressDeadlineSeconds <= 0) errs.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than zero'));
    else if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  if (old) errs.push(...immutableSelector(spec, obj(old.spec)));
  return errs;
}

function immutableSelector(spec: any, oldSpec: any): FieldError[] {
  if (!semanticEqual(spec.selector, oldSpec.selector)) return [invalid('spec.selector', goLabelSelector(spec.selector), FIELD_IMMUTABLE)];
  return [];
}

export function validateReplicaSet(rs: any, old?: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(rs.spec);
  errs.push(...validateNonnegative(spec.replicas, 'spec.replicas'));
  errs.push(...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  validateSelector(spec, 'deployment', errs);
  validateTemplateForController(spec, 'ReplicaSet', errs);
  if (old) errs.push(...immutableSelector(spec, obj(old.spec)));
  return errs;
}

export function validateDaemonSet(ds: any, old?: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(ds.spec);
  if (!has(spec.selector)) errs.push(required('spec.selector'));
  if (selectorConvertible(spec.selector) && !selectorMatches(spec.selector, templateLabels(spec))) {
    errs.push(invalid('spec.template.metadata.labels', goStringMap(templateLabels(spec)), '`selector` does not match template `labels`'));
  }
  if (has(spec.selector)) {
    errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    if (selectorIsEmpty(spec.selector)) errs.push(invalid('spec.selector', goLabelSelector(spec.selector), 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplateSpec(spec.template, 'spec.template'));
  const tspec = obj(obj(spec.template).spec);
  const rp = str(tspec.restartPolicy);
  if (rp && rp !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  if (has(tspec.activeDeadlineSeconds)) errs.push(forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in DaemonSet is not Supported'));
  errs.push(...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateNonnegative(spec.templateGeneration, 'spec.templateGeneration'));
  const us = obj(spec.updateStrategy);
  if (has(spec.updateStrategy) || has(us.type)) {
    switch (str(us.type)) {
      case 'OnDelete':
        break;
      case 'RollingUpdate': {
        if (!isObj(us.rollingUpdate)) {
          errs.push(required('spec.updateStrategy.rollingUpdate'));
          break;
        }
        errs.push(...validateRollingUpdateDaemonSet(us.rollingUpdate, 'spec.updateStrategy.rollingUpdate'));
        break;
      }
      default:
        errs.push(
          notSupported(
            'spec.updateStrategy',
            goStruct('apps.DaemonSetUpdateStrategy', us, [
              ['type', 'Type', 'string'],
              ['rollingUpdate', 'RollingUpdate', 'raw'],
            ]),
            ['RollingUpdate', 'OnDelete'],
          ),
        );
    }
  }
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (old) errs.push(...immutableSelector(spec, obj(old.spec)));
  return errs;
}

export function validateStatefulSet(sts: any, old?: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(sts.spec);
  if (has(spec.podManagementPolicy)) {
    const p = str(spec.podManagementPolicy);
    if (!p) errs.push(required('spec.podManagementPolicy'));
    else if (p !== 'OrderedReady' && p !== 'Parallel') errs.push(invalid('spec.podManagementPolicy', p, "must be 'OrderedReady' or 'Parallel'"));
  }
  const us = obj(spec.updateStrategy);
  if (has(spec.updateStrategy)) {
    switch (str(us.type)) {
      case '':
        errs.push(required('spec.updateStrategy'));
        break;
      case 'OnDelete':
        if (has(us.rollingUpdate)) {
          errs.push(invalid('spec.updateStrategy.rollingUpdate', JSON.stringify(us.rollingUpdate), "only allowed for updateStrategy 'RollingUpdate'"));
        }
        break;
      case 'RollingUpdate':
        if (isObj(us.rollingUpdate)) {
          const ru = us.rollingUpdate;
          errs.push(...validateNonnegative(ru.partition, 'spec.updateStrategy.rollingUpdate.partition'));
          if (has(ru.maxUnavailable)) {
            errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable'));
            if (intOrPercentValue(ru.maxUnavailable).value === 0) {
              errs.push(invalid('spec.updateStrategy.rollingUpdate.maxUnavailable', goIntOrString(ru.maxUnavailable), 'must be greater than 0'));
            }
            errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable'));
          }
        }
        break;
      default:
        errs.push(invalid('spec.updateStrategy', str(us.type), "must be 'RollingUpdate' or 'OnDelete'"));
    }
  }
  const pol = spec.persistentVolumeClaimRetentionPolicy;
  if (isObj(pol)) {
    for (const k of ['whenDeleted', 'whenScaled']) {
      const v = str(pol[k]);
      if (has(pol[k]) && v !== 'Retain' && v !== 'Delete') errs.push(notSupported(`spec.persistentVolumeClaimRetentionPolicy.${k}`, v, ['Retain', 'Delete']));
    }
  }
  errs.push(...validateNonnegative(spec.replicas, 'spec.replicas'));
  errs.push(...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  if (isObj(spec.ordinals)) errs.push(...validateNonnegative(spec.ordinals.start, 'spec.ordinals.start'));
  validateSelector(spec, 'statefulset', errs);
  const claimNames = arr(spec.volumeClaimTemplates).map((t) => str(obj(t?.metadata).name)).filter(Boolean);
  validateTemplateForController(spec, 'StatefulSet', errs, claimNames);
  arr(spec.volumeClaimTemplates).forEach((t, i) => {
    const p = `spec.volumeClaimTemplates[${i}]`;
    if (!str(obj(t?.metadata).name)) errs.push(required(`${p}.metadata.name`, 'name or generateName is required'));
    errs.push(...validatePersistentVolumeClaimSpec(t?.spec, `${p}.spec`));
  });
  if (old) {
    const a: any = clone(spec);
    const b = obj(old.spec);
    for (const k of ['replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds']) {
      a[k] = b[k];
    }
    if (!semanticEqual(stripTemplateNoise(a), stripTemplateNoise(b))) {
      errs.push(
        forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    }
  }
  return errs;
}

/** volumeClaimTemplates carry server-filled noise (status, creationTimestamp) that is not a user change. */
function stripTemplateNoise(spec: any): any {
  const s = clone(spec);
  for (const t of arr(s.volumeClaimTemplates)) {
    delete t.status;
    delete t.apiVersion;
    delete t.kind;
    if (isObj(t.metadata)) delete t.metadata.creationTimestamp;
  }
  return s;
}

export function validateControllerRevision(cr: any, old?: any): FieldError[] {
  const errs: FieldError[] = [];
  if (!has(cr.data)) errs.push(required('data', 'data is mandatory'));
  errs.push(...validateNonnegative(cr.revision, 'revision'));
  if (old && !semanticEqual(cr.data, old.data)) errs.push(invalid('data', JSON.stringify(cr.data ?? null), FIELD_IMMUTABLE));
  return errs;
}
