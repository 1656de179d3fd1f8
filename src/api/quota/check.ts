// The quota admission decision (upstream admission/plugin/resourcequota
// CheckRequest), pure: given the namespace's quotas and one create or
// update, either the reason to refuse it or the new status.used of every
// quota it is charged to. The caller writes those back before the object
// is stored, so usage not yet seen by the controller still counts.

import { quotaMatches, type Evaluator, type Operation } from './evaluators.js';
import {
  add,
  formatResourceList,
  lessThanOrEqual,
  mask,
  negativeNames,
  parseResourceList,
  prettyPrint,
  prettyPrintNames,
  removeZeros,
  resourceNames,
  subtractNonNegative,
  type ResourceList,
} from './resources.js';

export interface QuotaRequest {
  operation: Operation;
  subresource: string;
  obj: any;
  /** The stored object, for updates. */
  old?: any;
}

export type QuotaCheck =
  | { allowed: true; /** New status.used (JSON form) by quota name, for the quotas this request changes. */ used: Map<string, Record<string, string>> }
  | { allowed: false; /** The text after `<resource> "<name>" is forbidden: `. */ reason: string };

export function checkQuotaRequest(quotas: any[], req: QuotaRequest, ev: Evaluator, nowMs: number): QuotaCheck {
  const none: QuotaCheck = { allowed: true, used: new Map() };
  if (!ev.handles(req.operation)) return none;
  const interesting: Array<{ quota: any; hard: ResourceList; used: ResourceList }> = [];
  for (const quota of quotas) {
    const hard = parseResourceList(quota?.status?.hard);
    const hardNames = resourceNames(hard);
    if (!quotaMatches(ev, hardNames, quota, req.obj)) continue;
    const restricted = ev.matchingResources(hardNames);
    const why = ev.constraints?.(restricted, req.obj);
    if (why) return { allowed: false, reason: `failed quota: ${quota.metadata?.name}: ${why}` };
    const used = parseResourceList(quota?.status?.used);
    if (restricted.some((r) => !(r in used))) {
      return { allowed: false, reason: `status unknown for quota: ${quota.metadata?.name}, resources: ${prettyPrintNames(restricted)}` };
    }
    interesting.push({ quota, hard, used });
  }
  if (interesting.length === 0) return none;

  const input = ev.usage(req.obj, nowMs);
  const negative = negativeNames(input);
  if (negative.length) return { allowed: false, reason: `quota usage is negative for resource(s): ${prettyPrintNames(negative)}` };

  const deltas = interesting.map(() => input);
  if (req.operation === 'UPDATE') {
    if (!req.old) return { allowed: false, reason: 'unable to get previous usage since prior version of object was not found' };
    if (req.old.metadata?.resourceVersion) {
      const delta = subtractNonNegative(input, ev.usage(req.old, nowMs));
      interesting.forEach((q, i) => {
        if (quotaMatches(ev, resourceNames(q.hard), q.quota, req.old)) deltas[i] = delta;
      });
    }
  }

  const used = new Map<string, Record<string, string>>();
  for (let i = 0; i < interesting.length; i++) {
    const { quota, hard, used: current } = interesting[i];
    const delta = removeZeros(deltas[i]);
    if (Object.keys(delta).length === 0) continue;
    const requested = mask(delta, resourceNames(hard));
    const next = add(current, requested);
    if (req.subresource !== 'status') {
      const { ok, exceeded } = lessThanOrEqual(mask(next, resourceNames(requested)), hard);
      if (!ok) {
        return {
          allowed: false,
          reason: `exceeded quota: ${quota.metadata?.name}, requested: ${prettyPrint(mask(requested, exceeded))}, used: ${prettyPrint(mask(current, exceeded))}, limited: ${prettyPrint(mask(hard, exceeded))}`,
        };
      }
    }
    if (Object.keys(requested).length) used.set(quota.metadata?.name, formatResourceList(next));
  }
  return { allowed: true, used };
}
