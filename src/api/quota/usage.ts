// A quota's status from the objects in its namespace (upstream
// quota.CalculateUsage and the resource quota controller's sync): usage of
// every hard resource some evaluator measures, summed over the objects that
// fall under the quota's scopes, starting from zero.

import { evaluatorFor, scopeSelectorsOf, type Evaluator } from './evaluators.js';
import { add, formatResourceList, mask, parseResourceList, resourceNames, type ResourceList } from './resources.js';
import { zeroQuantity } from '../validation/quantity.js';

/** Lists the objects of one group/resource in the quota's namespace; undefined when that resource is not served. */
export type ObjectLister = (group: string, resource: string) => any[] | undefined;

/** The group/resources whose evaluators measure some of `names`. */
export function evaluatorsForNames(names: string[], groupResources: Array<{ group: string; resource: string }>): Evaluator[] {
  const out: Evaluator[] = [];
  for (const gr of groupResources) {
    const ev = evaluatorFor(gr.group, gr.resource);
    if (ev.matchingResources(names).length) out.push(ev);
  }
  return out;
}

/**
 * The quota's new status: `hard` mirrors spec.hard; `used` holds every hard
 * name a served resource measures (other names keep their previous value).
 */
export function calculateQuotaStatus(
  quota: any,
  list: ObjectLister,
  groupResources: Array<{ group: string; resource: string }>,
  nowMs: number,
): { hard: Record<string, string>; used: Record<string, string> } {
  const hard = parseResourceList(quota?.spec?.hard);
  const names = resourceNames(hard);
  let used: ResourceList = parseResourceList(quota?.status?.used);
  const selectors = scopeSelectorsOf(quota);
  for (const ev of evaluatorsForNames(names, groupResources)) {
    const objects = list(ev.group, ev.resource);
    if (!objects) continue;
    const measured = ev.matchingResources(names);
    let sum: ResourceList = {};
    for (const n of measured) sum[n] = zeroQuantity();
    for (const obj of objects) {
      if (!selectors.every((s) => ev.matchesScope(s, obj))) continue;
      sum = add(sum, mask(ev.usage(obj, nowMs), measured));
    }
    used = { ...used, ...sum };
  }
  return { hard: formatResourceList(hard), used: formatResourceList(mask(used, names)) };
}
