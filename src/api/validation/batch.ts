// Validation of batch/v1 kinds (upstream pkg/apis/batch/validation): Jobs
// and CronJobs.

import {
  child,
  goLabelSelector,
  goObject,
  goStringMap,
  invalid,
  notSupported,
  required,
  type FieldError,
} from './errors.js';
import { DNS1035_LABEL_MAX_LENGTH, FIELD_IMMUTABLE, byteLen, isDNS1123Label, validateLabelSelector } from './names.js';
import { validateNonnegative, validatePodTemplateSpec } from './core.js';
import { selectorMatches } from './apps.js';
import { cronScheduleError, isKnownTimeZone } from './cron.js';
import { arr, clone, has, isObj, obj, semanticEqual, str } from './util.js';

export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_NAME_LABEL = 'job-name';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';

/**
 * Upstream's generateSelector (run by the Job strategy just before
 * validation): labels the pod template with the job's name and uid and selects
 * on `batch.kubernetes.io/controller-uid`. Needs `metadata.uid`; a no-op
 * without it or when `spec.manualSelector` is true.
 */
export function generateJobSelector(job: any): void {
  if (!isObj(job) || !isObj(job.spec)) return;
  if (job.spec.manualSelector === true) return;
  const meta = obj(job.metadata);
  const uid = str(meta.uid);
  if (!uid) return;
  const spec = job.spec;
  if (!isObj(spec.template)) spec.template = {};
  if (!isObj(spec.template.metadata)) spec.template.metadata = {};
  const tm = spec.template.metadata;
  if (!isObj(tm.labels)) tm.labels = {};
  for (const k of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) if (!(k in tm.labels)) tm.labels[k] = str(meta.name);
  for (const k of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) if (!(k in tm.labels)) tm.labels[k] = uid;
  if (!isObj(spec.selector)) spec.selector = {};
  if (!isObj(spec.selector.matchLabels)) spec.selector.matchLabels = {};
  if (!(CONTROLLER_UID_LABEL in spec.selector.matchLabels)) spec.selector.matchLabels[CONTROLLER_UID_LABEL] = uid;
}

const COMPLETION_MODES = ['NonIndexed', 'Indexed'];

/** Checks common to Jobs and CronJob job templates (upstream validateJobSpec). */
function validateJobSpecCommon(specIn: unknown, fld: string): FieldError[] {
  const spec = obj(specIn);
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished']) {
    errs.push(...validateNonnegative(spec[f], child(fld, f)));
  }
  if (has(spec.completionMode)) {
    const m = str(spec.completionMode);
    if (!COMPLETION_MODES.includes(m)) errs.push(notSupported(child(fld, 'completionMode'), m, COMPLETION_MODES));
    if (m === 'Indexed') {
      if (!has(spec.completions)) errs.push(required(child(fld, 'completions'), 'when completion mode is Indexed'));
      if (typeof spec.completions === 'number' && spec.completions > 100000 && !has(spec.backoffLimitPerIndex)) {
        errs.push(invalid(child(fld, 'completions'), spec.completions, 'must be less than or equal to 100000 when completion mode is Indexed'));
      }
    }
  }
  if (has(spec.backoffLimitPerIndex)) {
    if (spec.completionMode !== 'Indexed') errs.push(invalid(child(fld, 'backoffLimitPerIndex'), spec.backoffLimitPerIndex, 'requires indexed completion mode'));
    errs.push(...validateNonnegative(spec.backoffLimitPerIndex, child(fld, 'backoffLimitPerIndex')));
  }
  if (has(spec.maxFailedIndexes)) {
    if (!has(spec.backoffLimitPerIndex)) errs.push(required(child(fld, 'backoffLimitPerIndex'), 'when maxFailedIndexes is specified'));
    errs.push(...validateNonnegative(spec.maxFailedIndexes, child(fld, 'maxFailedIndexes')));
  }
  if (has(spec.podReplacementPolicy)) {
    const p = str(spec.podReplacementPolicy);
    const ok = ['Failed', 'TerminatingOrFailed'];
    if (!ok.includes(p)) errs.push(notSupported(child(fld, 'podReplacementPolicy'), p, ok));
    else if (has(spec.podFailurePolicy) && p !== 'Failed') {
      errs.push(notSupported(child(fld, 'podReplacementPolicy'), p, ['Failed']));
    }
  }
  if (has(spec.podFailurePolicy)) {
    const rules = arr(spec.podFailurePolicy.rules);
    rules.forEach((r, i) => {
      const p = `${child(fld, 'podFailurePolicy', 'rules')}[${i}]`;
      const action = str(r?.action);
      const actions = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
      if (!actions.includes(action)) errs.push(notSupported(child(p, 'action'), action, actions));
      const hasExit = has(r?.onExitCodes);
      const hasCond = arr(r?.onPodConditions).length > 0;
      if (hasExit && hasCond) errs.push(invalid(p, goObject('batch.PodFailurePolicyRule', r), 'specifying both OnExitCodes and OnPodConditions is not supported'));
      if (!hasExit && !hasCond) errs.push(invalid(p, goObject('batch.PodFailurePolicyRule', r), 'specifying one of OnExitCodes and OnPodConditions is required'));
    });
  }
  if (has(spec.managedBy)) {
    const mb = str(spec.managedBy);
    if (byteLen(mb) > 63) errs.push(invalid(child(fld, 'managedBy'), mb, 'must be no more than 63 characters'));
  }
  errs.push(...validatePodTemplateSpec(spec.template, child(fld, 'template')));
  const rp = str(obj(obj(spec.template).spec).restartPolicy);
  if (rp === 'Always' || rp === '') {
    errs.push(required(child(fld, 'template', 'spec', 'restartPolicy'), 'valid values: "OnFailure", "Never"'));
  } else if (rp !== 'OnFailure' && rp !== 'Never') {
    errs.push(notSupported(child(fld, 'template', 'spec', 'restartPolicy'), rp, ['OnFailure', 'Never']));
  }
  return errs;
}

function validateGeneratedSelector(job: any): FieldError[] {
  const spec = obj(job.spec);
  if (spec.manualSelector === true) return [];
  const labels = obj(obj(obj(spec.template).metadata).labels);
  const uid = str(obj(job.metadata).uid);
  if (!uid || !isObj(spec.selector)) return [];
  const errs: FieldError[] = [];
  for (const k of [CONTROLLER_UID_LABEL, LEGACY_CONTROLLER_UID_LABEL]) {
    if (k in labels && labels[k] !== uid) {
      errs.push(invalid(`spec.template.metadata.labels[${k}]`, goStringMap(labels), '`selector` not auto-generated'));
    }
  }
  if (!semanticEqual(spec.selector, { matchLabels: { [CONTROLLER_UID_LABEL]: uid } })) {
    errs.push(invalid('spec.selector', goLabelSelector(spec.selector), '`selector` not auto-generated'));
  }
  return errs;
}

/**
 * Jobs. On create with `metadata.uid` set, the selector is generated here
 * first, as upstream's strategy does before validating.
 */
export function validateJob(job: any, old?: any): FieldError[] {
  if (!old) generateJobSelector(job);
  const errs: FieldError[] = [];
  const spec = obj(job.spec);
  errs.push(...validateGeneratedSelector(job));
  errs.push(...validateJobSpecCommon(spec, 'spec'));
  const autoPending = spec.manualSelector !== true && !str(obj(job.metadata).uid) && !has(spec.selector);
  if (!has(spec.selector)) {
    // a selector is generated once the job has a uid; do not demand it before
    if (!autoPending) errs.push(required('spec.selector'));
  } else {
    errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  }
  if (!autoPending && !selectorMatches(spec.selector, obj(obj(spec.template).metadata).labels)) {
    errs.push(invalid('spec.template.metadata.labels', goStringMap(obj(obj(spec.template).metadata).labels), '`selector` does not match template `labels`'));
  }
  if (spec.completionMode === 'Indexed' && typeof spec.completions === 'number' && spec.completions > 0) {
    const name = str(obj(job.metadata).name);
    const host = `${name}-${spec.completions - 1}`;
    if (isDNS1123Label(host).length > 0) {
      errs.push(invalid('metadata.name', name, `will not able to create pod with invalid DNS label: ${host}`));
    }
  }
  if (old) {
    const os = obj(old.spec);
    if (!semanticEqual(spec.completions, os.completions)) {
      const elastic = spec.completionMode === 'Indexed' && has(spec.completions);
      if (!elastic) errs.push(invalid('spec.completions', spec.completions ?? null, FIELD_IMMUTABLE));
      else if (spec.completions !== spec.parallelism) errs.push(invalid('spec.completions', spec.completions, 'can only be modified in tandem with spec.parallelism'));
    }
    if (!semanticEqual(spec.selector, os.selector)) errs.push(invalid('spec.selector', goLabelSelector(spec.selector), FIELD_IMMUTABLE));
    let oldTemplate: any = os.template;
    const mutableScheduling = os.suspend === true && !has(obj(old.status).startTime);
    if (mutableScheduling) {
      oldTemplate = clone(obj(os.template));
      const nt = obj(spec.template);
      oldTemplate.spec = { ...obj(oldTemplate.spec) };
      oldTemplate.metadata = { ...obj(oldTemplate.metadata) };
      for (const k of ['nodeSelector', 'tolerations', 'affinity', 'schedulingGates']) oldTemplate.spec[k] = obj(nt.spec)[k];
      for (const k of ['labels', 'annotations']) oldTemplate.metadata[k] = obj(nt.metadata)[k];
    }
    if (!semanticEqual(spec.template, oldTemplate)) errs.push(invalid('spec.template', goObject('core.PodTemplateSpec', spec.template), FIELD_IMMUTABLE));
    for (const f of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'managedBy', 'successPolicy']) {
      if (!semanticEqual(spec[f], os[f])) errs.push(invalid(`spec.${f}`, typeof spec[f] === 'object' && spec[f] !== null ? goObject('batch.' + f, spec[f]) : spec[f] ?? null, FIELD_IMMUTABLE));
    }
  }
  return errs;
}

const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'];

export function validateCronJob(cj: any, old?: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(cj.spec);
  if (!old) {
    const name = str(obj(cj.metadata).name);
    if (byteLen(name) > DNS1035_LABEL_MAX_LENGTH - 11) errs.push(invalid('metadata.name', name, 'must be no more than 52 characters'));
  }
  const schedule = str(spec.schedule);
  if (!schedule) {
    errs.push(required('spec.schedule'));
  } else {
    const e = cronScheduleError(schedule);
    if (e) errs.push(invalid('spec.schedule', schedule, e));
    const allowTZ = old ? str(obj(old.spec).schedule).includes('TZ') : false;
    if (allowTZ && schedule.includes('TZ') && has(spec.timeZone)) {
      errs.push(invalid('spec.schedule', schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    } else if (!allowTZ && schedule.includes('TZ')) {
      errs.push(invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    }
  }
  errs.push(...validateNonnegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  if (has(spec.timeZone) && (!old || obj(old.spec).timeZone !== spec.timeZone)) {
    const tz = str(spec.timeZone);
    if (tz.toLowerCase() === 'local') {
      errs.push(invalid('spec.timeZone', tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
    } else if (tz !== '' && !isKnownTimeZone(tz)) {
      errs.push(invalid('spec.timeZone', tz, `unknown time zone ${tz}`));
    }
  }
  if (has(spec.concurrencyPolicy)) {
    const cp = str(spec.concurrencyPolicy);
    if (!cp) errs.push(required('spec.concurrencyPolicy'));
    else if (!CONCURRENCY_POLICIES.includes(cp)) errs.push(notSupported('spec.concurrencyPolicy', cp, CONCURRENCY_POLICIES));
  }
  const jt = obj(spec.jobTemplate);
  const jspec = obj(jt.spec);
  errs.push(...validateJobSpecCommon(jspec, 'spec.jobTemplate.spec'));
  if (has(jspec.selector)) errs.push(invalid('spec.jobTemplate.spec.selector', goLabelSelector(jspec.selector), '`selector` will be auto-generated'));
  if (jspec.manualSelector === true) errs.push(notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  errs.push(...validateNonnegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...validateNonnegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  return errs;
}
