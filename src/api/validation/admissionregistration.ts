// admissionregistration.k8s.io/v1: MutatingWebhookConfiguration,
// ValidatingWebhookConfiguration, ValidatingAdmissionPolicy and its
// bindings, with upstream's field errors (run after defaulting).

import { child, duplicate, forbidden, goStringSlice, index, invalid, notSupported, required, tooMany, type FieldError } from './errors.js';
import { isCIdentifier, isDNS1035Label, isDNS1123Subdomain, isQualifiedName, isValidPortNum, validateLabelSelector } from './names.js';
import { arr, isObj, obj, str } from './util.js';
import { celCompileError } from '../admission/cel.js';

const FAILURE_POLICIES = ['Fail', 'Ignore'];
const MATCH_POLICIES = ['Equivalent', 'Exact'];
const NO_SIDE_EFFECTS = ['None', 'NoneOnDryRun'];
const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];
const REINVOCATION_POLICIES = ['IfNeeded', 'Never'];
const SCOPES = ['*', 'Cluster', 'Namespaced'];
const REVIEW_VERSIONS = ['v1', 'v1beta1'];
const POLICY_REASONS = ['Forbidden', 'Invalid', 'RequestEntityTooLarge'];
const VALIDATION_ACTIONS = ['Audit', 'Deny', 'Warn'];
const MAX_MATCH_CONDITIONS = 64;

/** Upstream's IsFullyQualifiedName: a DNS subdomain of at least three labels. */
function validateFullyQualifiedName(name: string, fld: string): FieldError[] {
  if (!name) return [required(fld)];
  const errs = isDNS1123Subdomain(name);
  if (errs.length) return [invalid(fld, name, errs.join(','))];
  if (name.split('.').length < 3) return [invalid(fld, name, 'should be a domain with at least three segments separated by dots')];
  return [];
}

function validateResources(resources: string[], fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (resources.length === 0) errs.push(required(fld));
  const resWildSub = new Set<string>();
  const subWildRes = new Set<string>();
  let doubleWildcard = false;
  let singleWildcard = false;
  let plainResource = false;
  resources.forEach((rs, i) => {
    if (rs === '') {
      errs.push(required(index(fld, i)));
      return;
    }
    if (rs === '*/*') doubleWildcard = true;
    if (rs === '*') singleWildcard = true;
    const slash = rs.indexOf('/');
    if (slash < 0) {
      plainResource = rs !== '*';
      return;
    }
    const res = rs.slice(0, slash);
    const sub = rs.slice(slash + 1);
    if (resWildSub.has(res)) errs.push(invalid(index(fld, i), rs, `if '${res}/*' is present, must not specify ${rs}`));
    if (subWildRes.has(sub)) errs.push(invalid(index(fld, i), rs, `if '*/${sub}' is present, must not specify ${rs}`));
    if (sub === '*') resWildSub.add(res);
    if (res === '*') subWildRes.add(sub);
  });
  if (resources.length > 1 && doubleWildcard) errs.push(invalid(fld, goStringSlice(resources), "if '*/*' is present, must not specify other resources"));
  if (singleWildcard && plainResource) errs.push(invalid(fld, goStringSlice(resources), "if '*' is present, must not specify other resources without subresources"));
  return errs;
}

function validateRuleWithOperations(rule: any, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const ops = arr(rule?.operations).map(String);
  if (ops.length === 0) errs.push(required(child(fld, 'operations')));
  if (ops.length > 1 && ops.includes('*')) {
    errs.push(invalid(child(fld, 'operations'), goStringSlice(ops, '[]admissionregistration.OperationType'), "if '*' is present, must not specify other operations"));
  }
  ops.forEach((op, i) => {
    if (!OPERATIONS.includes(op)) errs.push(notSupported(index(child(fld, 'operations'), i), op, OPERATIONS));
  });
  const groups = arr(rule?.apiGroups).map(String);
  if (groups.length === 0) errs.push(required(child(fld, 'apiGroups')));
  if (groups.length > 1 && groups.includes('*')) errs.push(invalid(child(fld, 'apiGroups'), goStringSlice(groups), "if '*' is present, must not specify other API groups"));
  const versions = arr(rule?.apiVersions).map(String);
  if (versions.length === 0) errs.push(required(child(fld, 'apiVersions')));
  if (versions.length > 1 && versions.includes('*')) errs.push(invalid(child(fld, 'apiVersions'), goStringSlice(versions), "if '*' is present, must not specify other API versions"));
  versions.forEach((v, i) => {
    if (v === '') errs.push(required(index(child(fld, 'apiVersions'), i)));
  });
  errs.push(...validateResources(arr(rule?.resources).map(String), child(fld, 'resources')));
  if (rule?.scope !== undefined && rule?.scope !== null && !SCOPES.includes(String(rule.scope))) errs.push(notSupported(child(fld, 'scope'), rule.scope, SCOPES));
  return errs;
}

function validateAdmissionReviewVersions(versions: string[], fld: string): FieldError[] {
  if (versions.length < 1) return [required(fld, `must specify one of ${REVIEW_VERSIONS.join(', ')}`)];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let accepted = false;
  versions.forEach((v, i) => {
    if (seen.has(v)) {
      errs.push(invalid(index(fld, i), v, 'duplicate version'));
      return;
    }
    seen.add(v);
    for (const m of isDNS1035Label(v)) errs.push(invalid(index(fld, i), v, m));
    if (REVIEW_VERSIONS.includes(v)) accepted = true;
  });
  if (!accepted) errs.push(invalid(fld, goStringSlice(versions), `must include at least one of ${REVIEW_VERSIONS.join(', ')}`));
  return errs;
}

/** Upstream's ValidateWebhookURL (https only). */
function validateWebhookURL(raw: string, fld: string): FieldError[] {
  const form = '; desired format: https://host[/path]';
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    // Go's url.Parse accepts nearly anything; a string without a scheme parses with an empty one.
    return [invalid(fld, '', `'https' is the only allowed URL scheme${form}`), invalid(fld, '', `host must be provided${form}`)];
  }
  const errs: FieldError[] = [];
  const scheme = u.protocol.replace(/:$/, '');
  if (scheme !== 'https') errs.push(invalid(fld, scheme, `'https' is the only allowed URL scheme${form}`));
  if (!u.host) errs.push(invalid(fld, u.host, `host must be provided${form}`));
  if (u.username || u.password) errs.push(invalid(fld, u.password ? `${u.username}:${u.password}` : u.username, 'user information is not permitted in the URL'));
  if (u.hash.length > 1) errs.push(invalid(fld, u.hash.slice(1), 'fragments are not permitted in the URL'));
  if (u.search.length > 1) errs.push(invalid(fld, u.search.slice(1), 'query parameters are not permitted in the URL'));
  return errs;
}

/** Upstream's ValidateWebhookService. */
function validateWebhookService(svc: any, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(svc.name)) errs.push(required(child(fld, 'name'), 'service name is required'));
  if (!str(svc.namespace)) errs.push(required(child(fld, 'namespace'), 'service namespace is required'));
  const port = typeof svc.port === 'number' ? svc.port : 443;
  const portErrs = isValidPortNum(port);
  if (portErrs.length) errs.push(invalid(child(fld, 'port'), port, `port is not valid: ${portErrs.join(', ')}`));
  if (svc.path === undefined || svc.path === null) return errs;
  const p = String(svc.path);
  const pf = child(fld, 'path');
  if (p === '/' || p === '') return errs;
  if (p === '//') return [...errs, invalid(pf, p, 'segment[0] may not be empty')];
  if (!p.startsWith('/')) errs.push(invalid(pf, p, "must start with a '/'"));
  let rest = p.slice(1);
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  rest.split('/').forEach((step, i) => {
    if (!step) errs.push(invalid(pf, p, `segment[${i}] may not be empty`));
    else for (const m of isDNS1123Subdomain(step)) errs.push(invalid(pf, p, `segment[${i}]: ${m}`));
  });
  return errs;
}

function validateMatchConditions(conds: any[], fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (conds.length > MAX_MATCH_CONDITIONS) errs.push(tooMany(fld, conds.length, MAX_MATCH_CONDITIONS));
  const names = new Set<string>();
  conds.forEach((c, i) => {
    const p = index(fld, i);
    const name = str(c?.name);
    if (!name) errs.push(required(child(p, 'name')));
    else {
      for (const m of isQualifiedName(name)) errs.push(invalid(child(p, 'name'), name, m));
      if (names.has(name)) errs.push(duplicate(child(p, 'name'), name));
      names.add(name);
    }
    errs.push(...validateExpression(c?.expression, child(p, 'expression')));
  });
  return errs;
}

function validateExpression(expr: unknown, fld: string): FieldError[] {
  const e = str(expr);
  if (!e.trim()) return [required(fld)];
  const why = celCompileError(e);
  return why ? [invalid(fld, e, why)] : [];
}

function validateWebhook(hook: any, mutating: boolean, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateFullyQualifiedName(str(hook?.name), child(fld, 'name')));
  arr(hook?.rules).forEach((r, i) => errs.push(...validateRuleWithOperations(r, index(child(fld, 'rules'), i))));
  if (hook?.failurePolicy != null && !FAILURE_POLICIES.includes(hook.failurePolicy)) errs.push(notSupported(child(fld, 'failurePolicy'), hook.failurePolicy, FAILURE_POLICIES));
  if (hook?.matchPolicy != null && !MATCH_POLICIES.includes(hook.matchPolicy)) errs.push(notSupported(child(fld, 'matchPolicy'), hook.matchPolicy, MATCH_POLICIES));
  if (hook?.sideEffects == null) errs.push(required(child(fld, 'sideEffects'), `must specify one of ${NO_SIDE_EFFECTS.join(', ')}`));
  else if (!NO_SIDE_EFFECTS.includes(hook.sideEffects)) errs.push(notSupported(child(fld, 'sideEffects'), hook.sideEffects, NO_SIDE_EFFECTS));
  if (hook?.timeoutSeconds != null && (hook.timeoutSeconds > 30 || hook.timeoutSeconds < 1)) {
    errs.push(invalid(child(fld, 'timeoutSeconds'), hook.timeoutSeconds, 'the timeout value must be between 1 and 30 seconds'));
  }
  if (isObj(hook?.namespaceSelector)) errs.push(...validateLabelSelector(hook.namespaceSelector, child(fld, 'namespaceSelector')));
  if (isObj(hook?.objectSelector)) errs.push(...validateLabelSelector(hook.objectSelector, child(fld, 'objectSelector')));
  if (mutating && hook?.reinvocationPolicy != null && !REINVOCATION_POLICIES.includes(hook.reinvocationPolicy)) {
    errs.push(notSupported(child(fld, 'reinvocationPolicy'), hook.reinvocationPolicy, REINVOCATION_POLICIES));
  }
  const cc = obj(hook?.clientConfig);
  const hasURL = cc.url != null;
  const hasService = cc.service != null;
  if (hasURL === hasService) errs.push(required(child(fld, 'clientConfig'), 'exactly one of url or service is required'));
  else if (hasURL) errs.push(...validateWebhookURL(str(cc.url), child(fld, 'clientConfig', 'url')));
  else errs.push(...validateWebhookService(obj(cc.service), child(fld, 'clientConfig', 'service')));
  errs.push(...validateMatchConditions(arr(hook?.matchConditions), child(fld, 'matchConditions')));
  return errs;
}

function validateWebhookConfiguration(cfg: any, mutating: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  arr(cfg.webhooks).forEach((hook, i) => {
    const fld = index('webhooks', i);
    errs.push(...validateWebhook(hook, mutating, fld));
    errs.push(...validateAdmissionReviewVersions(arr(hook?.admissionReviewVersions).map(String), child(fld, 'admissionReviewVersions')));
    const name = str(hook?.name);
    if (name) {
      if (names.has(name)) errs.push(duplicate(child(fld, 'name'), name));
      names.add(name);
    }
  });
  return errs;
}

export const validateMutatingWebhookConfiguration = (o: any): FieldError[] => validateWebhookConfiguration(o, true);
export const validateValidatingWebhookConfiguration = (o: any): FieldError[] => validateWebhookConfiguration(o, false);

// ---------------------------------------------------------------------------
// ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding

function validateMatchResources(mr: any, fld: string, requireRules: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (mr.matchPolicy != null && !MATCH_POLICIES.includes(mr.matchPolicy)) errs.push(notSupported(child(fld, 'matchPolicy'), mr.matchPolicy, MATCH_POLICIES));
  if (isObj(mr.namespaceSelector)) errs.push(...validateLabelSelector(mr.namespaceSelector, child(fld, 'namespaceSelector')));
  if (isObj(mr.objectSelector)) errs.push(...validateLabelSelector(mr.objectSelector, child(fld, 'objectSelector')));
  const rules = arr(mr.resourceRules);
  if (requireRules && rules.length === 0) errs.push(required(child(fld, 'resourceRules')));
  rules.forEach((r, i) => errs.push(...validateRuleWithOperations(r, index(child(fld, 'resourceRules'), i))));
  arr(mr.excludeResourceRules).forEach((r, i) => errs.push(...validateRuleWithOperations(r, index(child(fld, 'excludeResourceRules'), i))));
  return errs;
}

export function validateValidatingAdmissionPolicy(p: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(p.spec);
  if (spec.failurePolicy == null) errs.push(required('spec.failurePolicy'));
  else if (!FAILURE_POLICIES.includes(spec.failurePolicy)) errs.push(notSupported('spec.failurePolicy', spec.failurePolicy, FAILURE_POLICIES));
  if (spec.paramKind != null) {
    const pk = obj(spec.paramKind);
    if (!str(pk.apiVersion)) errs.push(required('spec.paramKind.apiVersion'));
    if (!str(pk.kind)) errs.push(required('spec.paramKind.kind'));
  }
  if (spec.matchConstraints == null) errs.push(required('spec.matchConstraints'));
  else errs.push(...validateMatchResources(obj(spec.matchConstraints), 'spec.matchConstraints', true));
  const validations = arr(spec.validations);
  const audits = arr(spec.auditAnnotations);
  if (validations.length === 0 && audits.length === 0) errs.push(required('spec.validations', 'validations or auditAnnotations must contain at least one item'));
  validations.forEach((v, i) => {
    const f = index('spec.validations', i);
    if (!str(v?.expression).trim()) errs.push(required(child(f, 'expression'), 'expression is not specified'));
    else errs.push(...validateExpression(v.expression, child(f, 'expression')));
    if (v?.message != null && /[\r\n]/.test(String(v.message))) errs.push(invalid(child(f, 'message'), v.message, 'message must not contain line breaks'));
    if (v?.message != null && String(v.message).trim() === '' && String(v.message) !== '') errs.push(invalid(child(f, 'message'), v.message, 'message must be non-empty if specified'));
    if (v?.messageExpression != null && str(v.messageExpression).trim()) errs.push(...validateExpression(v.messageExpression, child(f, 'messageExpression')));
    if (v?.reason != null && !POLICY_REASONS.includes(v.reason)) errs.push(notSupported(child(f, 'reason'), v.reason, POLICY_REASONS));
  });
  const keys = new Set<string>();
  audits.forEach((a, i) => {
    const f = index('spec.auditAnnotations', i);
    const k = str(a?.key);
    if (!k) errs.push(required(child(f, 'key')));
    else {
      if (keys.has(k)) errs.push(duplicate(child(f, 'key'), k));
      keys.add(k);
    }
    errs.push(...validateExpression(a?.valueExpression, child(f, 'valueExpression')));
  });
  errs.push(...validateMatchConditions(arr(spec.matchConditions), 'spec.matchConditions'));
  arr(spec.variables).forEach((v, i) => {
    const f = index('spec.variables', i);
    const name = str(v?.name);
    if (!name) errs.push(required(child(f, 'name')));
    else for (const m of isCIdentifier(name)) errs.push(invalid(child(f, 'name'), name, m));
    errs.push(...validateExpression(v?.expression, child(f, 'expression')));
  });
  return errs;
}

export function validateValidatingAdmissionPolicyBinding(b: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(b.spec);
  if (!str(spec.policyName)) errs.push(required('spec.policyName'));
  if (spec.matchResources != null) errs.push(...validateMatchResources(obj(spec.matchResources), 'spec.matchResources', false));
  if (spec.paramRef != null) {
    const pr = obj(spec.paramRef);
    if (str(pr.name) && pr.selector != null) errs.push(forbidden('spec.paramRef.name', 'name and selector are mutually exclusive'));
    if (!str(pr.name) && pr.selector == null) errs.push(required('spec.paramRef', 'one of name or selector must be specified'));
    if (pr.parameterNotFoundAction == null) errs.push(required('spec.paramRef.parameterNotFoundAction'));
    else if (!['Allow', 'Deny'].includes(pr.parameterNotFoundAction)) errs.push(notSupported('spec.paramRef.parameterNotFoundAction', pr.parameterNotFoundAction, ['Allow', 'Deny']));
    if (isObj(pr.selector)) errs.push(...validateLabelSelector(pr.selector, 'spec.paramRef.selector'));
  }
  const actions = arr(spec.validationActions).map(String);
  if (actions.length === 0) errs.push(required('spec.validationActions', 'at least one validation action is required'));
  const seen = new Set<string>();
  actions.forEach((a, i) => {
    const f = index('spec.validationActions', i);
    if (seen.has(a)) errs.push(duplicate(f, a));
    seen.add(a);
    if (!VALIDATION_ACTIONS.includes(a)) errs.push(notSupported(f, a, VALIDATION_ACTIONS));
  });
  if (seen.has('Deny') && seen.has('Warn')) {
    errs.push(
      invalid(
        'spec.validationActions',
        goStringSlice(actions, '[]admissionregistration.ValidationAction'),
        'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
      ),
    );
  }
  return errs;
}
