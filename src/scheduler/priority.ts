// A pod's priority: spec.priority when the API server has resolved it, else
// the value of its spec.priorityClassName (looked up here, as the API server
// does not resolve it yet), else the global default PriorityClass, else 0.
// The two system classes are known even before their objects exist.

export const SYSTEM_PRIORITY_CLASSES: Readonly<Record<string, number>> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

export interface PriorityClassLookup {
  byName(name: string): any | undefined;
  globalDefault(): any | undefined;
}

export function podPriority(pod: any, classes: PriorityClassLookup): number {
  const spec = pod?.spec ?? {};
  if (typeof spec.priority === 'number') return spec.priority;
  const name: string | undefined = spec.priorityClassName;
  if (name) {
    const pc = classes.byName(name);
    if (pc && typeof pc.value === 'number') return pc.value;
    return SYSTEM_PRIORITY_CLASSES[name] ?? 0;
  }
  const def = classes.globalDefault();
  return typeof def?.value === 'number' ? def.value : 0;
}

/** The PriorityClass marked globalDefault (the one with the highest value if several are). */
export function findGlobalDefault(classes: Iterable<any>): any | undefined {
  let best: any;
  for (const pc of classes) {
    if (pc?.globalDefault !== true) continue;
    if (!best || (pc.value ?? 0) > (best.value ?? 0)) best = pc;
  }
  return best;
}
