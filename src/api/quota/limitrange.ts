// LimitRanger admission, pure (upstream plugin/pkg/admission/limitranger):
// pods get their containers' missing requests and limits from the
// namespace's LimitRanges (type Container `defaultRequest` and `default`),
// then pods and PersistentVolumeClaims are checked against min, max and
// maxLimitRequestRatio with upstream's messages.

import { formatQuantity, milliValue, type Quantity } from '../validation/quantity.js';
import { podResourceTotals } from './evaluators.js';
import { parseResourceList, type ResourceList } from './resources.js';

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

function mergeContainer(c: any, defaults: { requests: ResourceList; limits: ResourceList }, prefix: string, notes: string[]): void {
  const res = (c.resources ??= {});
  const set: Record<'requests' | 'limits', string[]> = { requests: [], limits: [] };
  for (const which of ['limits', 'requests'] as const) {
    const have: Record<string, unknown> = res[which] ?? {};
    for (const [k, v] of Object.entries(defaults[which])) {
      if (k in have) continue;
      have[k] = formatQuantity(v);
      set[which].push(k);
    }
    if (Object.keys(have).length) res[which] = have;
  }
  if (Object.keys(res).length === 0) delete c.resources;
  if (set.requests.length) notes.push(`${set.requests.sort().join(', ')} request for ${prefix} ${c.name}`);
  if (set.limits.length) notes.push(`${set.limits.sort().join(', ')} limit for ${prefix} ${c.name}`);
}

/** Sets the LimitRange defaults on a pod being created (PodMutateLimitFunc, once per LimitRange). */
export function applyLimitRangeDefaults(pod: any, limitRanges: any[]): void {
  for (const lr of limitRanges) {
    const defaults = { requests: {} as ResourceList, limits: {} as ResourceList };
    for (const item of lr?.spec?.limits ?? []) {
      if (item?.type !== 'Container') continue;
      Object.assign(defaults.requests, parseResourceList(item.defaultRequest));
      Object.assign(defaults.limits, parseResourceList(item.default));
    }
    const notes: string[] = [];
    for (const c of pod?.spec?.containers ?? []) mergeContainer(c, defaults, 'container', notes);
    for (const c of pod?.spec?.initContainers ?? []) mergeContainer(c, defaults, 'init container', notes);
    if (notes.length) {
      pod.metadata ??= {};
      pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` };
    }
  }
}

const ZERO: Quantity = { num: 0n, den: 1n, format: 'DecimalSI' };

function minConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests[name];
  const lim = limits[name];
  const e = formatQuantity(enforced);
  if (!req) return `minimum ${name} usage per ${type} is ${e}.  No request is specified`;
  if (milliValue(req) < milliValue(enforced)) return `minimum ${name} usage per ${type} is ${e}, but request is ${formatQuantity(req)}`;
  if (lim && milliValue(lim) < milliValue(enforced)) return `minimum ${name} usage per ${type} is ${e}, but limit is ${formatQuantity(lim)}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests[name];
  const lim = limits[name];
  const e = formatQuantity(enforced);
  if (!lim) return `maximum ${name} usage per ${type} is ${e}.  No limit is specified`;
  if (milliValue(lim) > milliValue(enforced)) return `maximum ${name} usage per ${type} is ${e}, but limit is ${formatQuantity(lim)}`;
  if (req && milliValue(req) > milliValue(enforced)) return `maximum ${name} usage per ${type} is ${e}, but request is ${formatQuantity(req)}`;
  return undefined;
}

function maxRequestConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList): string | undefined {
  const req = requests[name];
  const e = formatQuantity(enforced);
  if (!req) return `maximum ${name} usage per ${type} is ${e}.  No request is specified`;
  if (milliValue(req) > milliValue(enforced)) return `maximum ${name} usage per ${type} is ${e}, but request is ${formatQuantity(req)}`;
  return undefined;
}

function ratioConstraint(type: string, name: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = milliValue(requests[name] ?? ZERO);
  const lim = milliValue(limits[name] ?? ZERO);
  const e = formatQuantity(enforced);
  if (req === 0n) return `${name} max limit to request ratio per ${type} is ${e}, but no request is specified or request is 0`;
  if (lim === 0n) return `${name} max limit to request ratio per ${type} is ${e}, but no limit is specified or limit is 0`;
  const ratio = Number(lim) / Number(req);
  if (ratio * 1000 > Number(milliValue(enforced))) return `${name} max limit to request ratio per ${type} is ${e}, but provided ratio is ${ratio.toFixed(6)}`;
  return undefined;
}

function checkAll(item: any, type: string, requests: ResourceList, limits: ResourceList, errs: string[]): void {
  const each = (field: string, fn: (name: string, q: Quantity) => string | undefined) => {
    const rl = parseResourceList(item?.[field]);
    for (const k of Object.keys(rl).sort()) {
      const e = fn(k, rl[k]);
      if (e) errs.push(e);
    }
  };
  each('min', (k, q) => minConstraint(type, k, q, requests, limits));
  each('max', (k, q) => maxConstraint(type, k, q, requests, limits));
  each('maxLimitRequestRatio', (k, q) => ratioConstraint(type, k, q, requests, limits));
}

/** utilerrors.NewAggregate(...).Error(): one message, or `[a, b]` without repeats. */
export function aggregateMessage(errs: string[]): string | undefined {
  const seen = [...new Set(errs)];
  if (seen.length === 0) return undefined;
  if (errs.length === 1 || seen.length === 1) return seen[0];
  return `[${seen.join(', ')}]`;
}

function validateOne(lr: any, resource: string, obj: any): string | undefined {
  const errs: string[] = [];
  for (const item of lr?.spec?.limits ?? []) {
    const type: string = item?.type;
    if (resource === 'pods' && type === 'Container') {
      for (const c of [...(obj?.spec?.containers ?? []), ...(obj?.spec?.initContainers ?? [])]) {
        checkAll(item, type, parseResourceList(c?.resources?.requests), parseResourceList(c?.resources?.limits), errs);
      }
    } else if (resource === 'pods' && type === 'Pod') {
      checkAll(item, type, podResourceTotals(obj, 'requests', false), podResourceTotals(obj, 'limits', false), errs);
    } else if (resource === 'persistentvolumeclaims' && type === 'PersistentVolumeClaim') {
      const requests = parseResourceList(obj?.spec?.resources?.requests);
      const min = parseResourceList(item?.min);
      for (const k of Object.keys(min).sort()) {
        const e = minConstraint(type, k, min[k], requests, {});
        if (e) errs.push(e);
      }
      const max = parseResourceList(item?.max);
      for (const k of Object.keys(max).sort()) {
        const e = maxRequestConstraint(type, k, max[k], requests);
        if (e) errs.push(e);
      }
    }
  }
  return aggregateMessage(errs);
}

/** The first LimitRange a pod or claim violates, as upstream's forbidden reason; undefined when it fits. */
export function validateLimitRanges(resource: string, obj: any, limitRanges: any[]): string | undefined {
  for (const lr of limitRanges) {
    const why = validateOne(lr, resource, obj);
    if (why) return why;
  }
  return undefined;
}
