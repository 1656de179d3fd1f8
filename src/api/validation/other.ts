// Validation of the remaining everyday kinds: networking (Ingress,
// IngressClass), RBAC, scheduling (PriorityClass), coordination (Lease),
// policy (PodDisruptionBudget) and storage (StorageClass).

import { child, forbidden, goObject, goStringSlice, goStruct, index, invalid, notSupported, required, type FieldError } from './errors.js';
import {
  FIELD_IMMUTABLE,
  isDNS1123Subdomain,
  isIP,
  isValidPathSegmentName,
  isValidPortName,
  isValidPortNum,
  isWildcardDNS1123Subdomain,
  nameIsDNS1035Label,
  nameIsDNSSubdomain,
  validateLabelSelector,
  isQualifiedName,
} from './names.js';
import { isNotMoreThan100Percent, validatePositiveIntOrPercent } from './apps.js';
import { arr, has, isObj, obj, semanticEqual, str } from './util.js';

// ---------------------------------------------------------------------------
// Ingress

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];

function validateIngressBackend(b: any, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const hasResource = has(b?.resource);
  const hasService = has(b?.service);
  if (hasResource && hasService) return [invalid(fld, '', 'cannot set both resource and service backends')];
  if (hasResource) {
    const r = obj(b.resource);
    const p = child(fld, 'resource');
    if (!str(r.kind)) errs.push(required(child(p, 'kind')));
    if (!str(r.name)) errs.push(required(child(p, 'name')));
    else for (const m of isValidPathSegmentName(str(r.name))) errs.push(invalid(child(p, 'name'), str(r.name), m));
    if (has(r.apiGroup) && str(r.apiGroup)) for (const m of isDNS1123Subdomain(str(r.apiGroup))) errs.push(invalid(child(p, 'apiGroup'), str(r.apiGroup), m));
    return errs;
  }
  if (!hasService) return [invalid(fld, '', 'resource or service backend is required')];
  const s = obj(b.service);
  const name = str(s.name);
  if (!name) errs.push(required(child(fld, 'service', 'name')));
  else for (const m of nameIsDNS1035Label(name, false)) errs.push(invalid(child(fld, 'service', 'name'), name, m));
  const port = obj(s.port);
  const hasName = str(port.name).length > 0;
  const hasNumber = typeof port.number === 'number' && port.number !== 0;
  if (hasName && hasNumber) errs.push(invalid(fld, '', 'cannot set both port name & port number'));
  else if (hasName) for (const m of isValidPortName(str(port.name))) errs.push(invalid(child(fld, 'service', 'port', 'name'), str(port.name), m));
  else if (hasNumber) for (const m of isValidPortNum(port.number)) errs.push(invalid(child(fld, 'service', 'port', 'number'), port.number, m));
  else errs.push(required(fld, 'port name or number is required'));
  return errs;
}

function validateHostName(host: string, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isIP(host)) errs.push(invalid(fld, host, 'must be a DNS name, not an IP address'));
  const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
  for (const m of msgs) errs.push(invalid(fld, host, m));
  return errs;
}

export function validateIngress(ing: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(ing.spec);
  const rules = arr(spec.rules);
  if (rules.length === 0 && !has(spec.defaultBackend)) {
    errs.push(invalid('spec', goObject('[]networking.IngressRule', spec.rules ?? null), 'either `defaultBackend` or `rules` must be specified'));
  }
  if (has(spec.defaultBackend)) errs.push(...validateIngressBackend(spec.defaultBackend, 'spec.defaultBackend'));
  rules.forEach((r, i) => {
    const p = index('spec.rules', i);
    const host = str(r?.host);
    if (host) errs.push(...validateHostName(host, child(p, 'host')));
    if (has(r?.http)) {
      const paths = arr(r.http.paths);
      if (paths.length === 0) errs.push(required(child(p, 'http', 'paths')));
      paths.forEach((hp, j) => {
        const pp = index(child(p, 'http', 'paths'), j);
        if (!has(hp?.pathType)) {
          errs.push(required(child(pp, 'pathType'), 'pathType must be specified'));
          return;
        }
        const path = str(hp.path);
        const pt = str(hp.pathType);
        if (pt === 'Exact' || pt === 'Prefix') {
          if (!path.startsWith('/')) errs.push(invalid(child(pp, 'path'), path, 'must be an absolute path'));
          if (path) {
            for (const seq of INVALID_PATH_SEQUENCES) if (path.includes(seq)) errs.push(invalid(child(pp, 'path'), path, `must not contain '${seq}'`));
            for (const suf of INVALID_PATH_SUFFIXES) if (path.endsWith(suf)) errs.push(invalid(child(pp, 'path'), path, `cannot end with '${suf}'`));
          }
        } else if (pt === 'ImplementationSpecific') {
          if (path && !path.startsWith('/')) errs.push(invalid(child(pp, 'path'), path, 'must be an absolute path'));
        } else {
          errs.push(notSupported(child(pp, 'pathType'), pt, PATH_TYPES));
        }
        errs.push(...validateIngressBackend(hp.backend, child(pp, 'backend')));
      });
    }
  });
  arr(spec.tls).forEach((t, i) => {
    arr(t?.hosts).forEach((h, j) => {
      const host = str(h);
      const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
      for (const m of msgs) errs.push(invalid(index(child(index('spec.tls', i), 'hosts'), j), host, m));
    });
  });
  if (has(spec.ingressClassName)) {
    for (const m of nameIsDNSSubdomain(str(spec.ingressClassName), false)) errs.push(invalid('spec.ingressClassName', str(spec.ingressClassName), m));
  }
  return errs;
}

export function validateIngressClass(ic: any, old?: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(ic.spec);
  const controller = str(spec.controller);
  if (!controller) errs.push(required('spec.controller'));
  else if (controller.length > 250) errs.push({ ...invalid('spec.controller', controller, ''), type: 'FieldValueTooLong', value: '<value omitted>', detail: 'may not be more than 250 bytes' });
  else {
    const parts = controller.split('/');
    if (parts.length < 2 || !parts[0] || !parts.slice(1).join('/')) {
      errs.push(invalid('spec.controller', controller, 'must be a domain-prefixed path (such as "acme.io/foo")'));
    } else {
      for (const m of isDNS1123Subdomain(parts[0])) errs.push(invalid('spec.controller', parts[0], m));
    }
  }
  if (old && str(obj(old.spec).controller) !== controller) errs.push(invalid('spec.controller', controller, FIELD_IMMUTABLE));
  return errs;
}

// ---------------------------------------------------------------------------
// RBAC

const RBAC_GROUP = 'rbac.authorization.k8s.io';

function validatePolicyRule(rule: any, namespaced: boolean, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  if (arr(rule?.verbs).length === 0) errs.push(required(child(fld, 'verbs'), 'verbs must contain at least one value'));
  const urls = arr(rule?.nonResourceURLs);
  if (urls.length > 0) {
    const v = goStringSlice(urls);
    if (namespaced) errs.push(invalid(child(fld, 'nonResourceURLs'), v, 'namespaced rules cannot apply to non-resource URLs'));
    if (arr(rule?.apiGroups).length || arr(rule?.resources).length || arr(rule?.resourceNames).length) {
      errs.push(invalid(child(fld, 'nonResourceURLs'), v, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (arr(rule?.apiGroups).length === 0) errs.push(required(child(fld, 'apiGroups'), 'resource rules must supply at least one api group'));
  if (arr(rule?.resources).length === 0) errs.push(required(child(fld, 'resources'), 'resource rules must supply at least one resource'));
  return errs;
}

export function validateRole(role: any, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  arr(role.rules).forEach((r, i) => errs.push(...validatePolicyRule(r, namespaced, index('rules', i))));
  if (!namespaced && has(role.aggregationRule)) {
    const sels = arr(role.aggregationRule.clusterRoleSelectors);
    if (sels.length === 0) {
      errs.push(required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    }
    sels.forEach((s, i) => errs.push(...validateLabelSelector(s, index('aggregationRule.clusterRoleSelectors', i))));
    if (arr(role.rules).length > 0) {
      // rules of an aggregated role are owned by the controller; tolerated as upstream does
    }
  }
  return errs;
}

function roleRefValue(r: any) {
  return goStruct('rbac.RoleRef', r, [
    ['apiGroup', 'APIGroup', 'string'],
    ['kind', 'Kind', 'string'],
    ['name', 'Name', 'string'],
  ]);
}

function validateSubject(s: any, namespaced: boolean, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(s?.name);
  if (!name) errs.push(required(child(fld, 'name')));
  const apiGroup = str(s?.apiGroup);
  switch (str(s?.kind)) {
    case 'ServiceAccount':
      if (name) for (const m of nameIsDNSSubdomain(name, false)) errs.push(invalid(child(fld, 'name'), name, m));
      if (apiGroup) errs.push(notSupported(child(fld, 'apiGroup'), apiGroup, ['']));
      if (!namespaced && !str(s?.namespace)) errs.push(required(child(fld, 'namespace')));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP) errs.push(notSupported(child(fld, 'apiGroup'), apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(child(fld, 'kind'), str(s?.kind), ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

export function validateRoleBinding(rb: any, namespaced: boolean, old?: any): FieldError[] {
  const errs: FieldError[] = [];
  const ref = obj(rb.roleRef);
  if (str(ref.apiGroup) !== RBAC_GROUP) errs.push(notSupported('roleRef.apiGroup', str(ref.apiGroup), [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(str(ref.kind))) errs.push(notSupported('roleRef.kind', str(ref.kind), kinds));
  const name = str(ref.name);
  if (!name) errs.push(required('roleRef.name'));
  else for (const m of isValidPathSegmentName(name)) errs.push(invalid('roleRef.name', name, m));
  arr(rb.subjects).forEach((s, i) => errs.push(...validateSubject(s, namespaced, index('subjects', i))));
  if (old) {
    const o = obj(old.roleRef);
    if (str(o.apiGroup) !== str(ref.apiGroup) || str(o.kind) !== str(ref.kind) || str(o.name) !== name) {
      errs.push(invalid('roleRef', roleRefValue(ref), 'cannot change roleRef'));
    }
  }
  return errs;
}

// ---------------------------------------------------------------------------
// PriorityClass

const HIGHEST_USER_PRIORITY = 1000000000;
const SYSTEM_PRIORITY_CLASSES: Record<string, { value: number; globalDefault: boolean }> = {
  'system-node-critical': { value: 2000001000, globalDefault: false },
  'system-cluster-critical': { value: 2000000000, globalDefault: false },
};

export function validatePriorityClass(pc: any, old?: any): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(obj(pc.metadata).name);
  const value = typeof pc.value === 'number' ? pc.value : 0;
  if (name.startsWith('system-')) {
    const known = SYSTEM_PRIORITY_CLASSES[name];
    let err = '';
    if (!known) err = `${name} is not a known system priority class`;
    else if (known.value !== value) err = `value of ${name} PriorityClass must be ${known.value}`;
    else if (known.globalDefault !== (pc.globalDefault === true)) err = `globalDefault of ${name} PriorityClass must be ${known.globalDefault}`;
    if (err) errs.push(forbidden('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${err}`));
  } else if (value > HIGHEST_USER_PRIORITY) {
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}`));
  }
  if (has(pc.preemptionPolicy)) {
    const p = str(pc.preemptionPolicy);
    const ok = ['PreemptLowerPriority', 'Never'];
    if (!p) errs.push(required('preemptionPolicy'));
    else if (!ok.includes(p)) errs.push(notSupported('preemptionPolicy', p, ok));
  }
  if (old) {
    if ((old.value ?? 0) !== value) errs.push(forbidden('value', 'may not be changed in an update.'));
    if (str(old.preemptionPolicy) !== str(pc.preemptionPolicy)) errs.push(invalid('preemptionPolicy', str(pc.preemptionPolicy), FIELD_IMMUTABLE));
  }
  return errs;
}

// ---------------------------------------------------------------------------
// Lease

export function validateLease(lease: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(lease.spec);
  if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds <= 0) {
    errs.push(invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
  }
  if (typeof spec.leaseTransitions === 'number' && spec.leaseTransitions < 0) {
    errs.push(invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'));
  }
  if (has(spec.strategy)) {
    const s = str(spec.strategy);
    for (const m of isQualifiedName(s)) errs.push(invalid('spec.strategy', s, m));
  }
  return errs;
}

// ---------------------------------------------------------------------------
// PodDisruptionBudget

export function validatePodDisruptionBudget(pdb: any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(pdb.spec);
  if (has(spec.minAvailable) && has(spec.maxUnavailable)) {
    errs.push(invalid('spec', goObject('policy.PodDisruptionBudgetSpec', spec), 'minAvailable and maxUnavailable cannot be both set'));
  }
  for (const k of ['minAvailable', 'maxUnavailable']) {
    if (!has(spec[k])) continue;
    errs.push(...validatePositiveIntOrPercent(spec[k], `spec.${k}`));
    errs.push(...isNotMoreThan100Percent(spec[k], `spec.${k}`));
  }
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector', true));
  if (has(spec.unhealthyPodEvictionPolicy)) {
    const ok = ['AlwaysAllow', 'IfHealthyBudget'];
    if (!ok.includes(str(spec.unhealthyPodEvictionPolicy))) errs.push(notSupported('spec.unhealthyPodEvictionPolicy', str(spec.unhealthyPodEvictionPolicy), ok));
  }
  return errs;
}

// ---------------------------------------------------------------------------
// StorageClass

export function validateStorageClass(sc: any, old?: any): FieldError[] {
  const errs: FieldError[] = [];
  const provisioner = str(sc.provisioner);
  if (!provisioner) errs.push(required('provisioner'));
  else {
    if (provisioner.length > 63) errs.push({ type: 'FieldValueTooLong', field: 'provisioner', value: '<value omitted>', detail: 'may not be more than 63 bytes' });
    for (const m of isQualifiedName(provisioner.toLowerCase())) errs.push(invalid('provisioner', provisioner, m));
  }
  if (has(sc.reclaimPolicy) && !['Delete', 'Retain'].includes(str(sc.reclaimPolicy))) {
    errs.push(notSupported('reclaimPolicy', str(sc.reclaimPolicy), ['Delete', 'Retain']));
  }
  if (has(sc.volumeBindingMode) && !['Immediate', 'WaitForFirstConsumer'].includes(str(sc.volumeBindingMode))) {
    errs.push(notSupported('volumeBindingMode', str(sc.volumeBindingMode), ['Immediate', 'WaitForFirstConsumer']));
  }
  if (old) {
    if (!semanticEqual(sc.parameters, old.parameters)) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
    if (provisioner !== str(old.provisioner)) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (str(sc.reclaimPolicy) !== str(old.reclaimPolicy)) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    if (str(sc.volumeBindingMode) !== str(old.volumeBindingMode)) errs.push(invalid('volumeBindingMode', str(sc.volumeBindingMode), FIELD_IMMUTABLE));
  }
  if (isObj(sc.parameters) && Object.keys(sc.parameters).length > 512) {
    errs.push({ type: 'FieldValueTooLong', field: 'parameters', value: '<value omitted>', detail: 'may not be more than 512 bytes' });
  }
  return errs;
}
