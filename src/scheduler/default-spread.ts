// The selector behind the system default topology spread constraints
// (upstream's helper.DefaultSelector): a pod without constraints of its own
// is spread among the pods selected by the Services that select it and by
// its controller when that is a ReplicationController, ReplicaSet or
// StatefulSet. Services' and the ReplicationController's selectors are
// label sets merged together; a ReplicaSet's or StatefulSet's selector
// adds its requirements. No Service and no such controller: no selector,
// and the pod is not spread by default.

import { selectorFromLabelSelectorObject, selectorFromSet, type LabelSelector } from '../api/labels.js';

/** Read access to the objects that decide a pod's default spreading (informer caches). */
export interface SpreadOwnerListers {
  services(namespace: string): readonly any[];
  replicationController(namespace: string, name: string): any;
  replicaSet(namespace: string, name: string): any;
  statefulSet(namespace: string, name: string): any;
}

/** Whether every label of a Service's selector is on the pod (a missing selector selects nothing). */
function serviceSelects(selector: Record<string, string> | null | undefined, podLabels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const k in selector) if (podLabels[k] !== String(selector[k])) return false;
  return true;
}

function controllerOf(pod: any): any {
  for (const ref of pod?.metadata?.ownerReferences ?? []) if (ref?.controller === true) return ref;
  return undefined;
}

/** The selector's requirements, or none when it selects nothing or is invalid (as upstream's Requirements()). */
function requirementsOf(obj: any) {
  try {
    const sel = selectorFromLabelSelectorObject(obj);
    return sel.selectsNothing ? [] : sel.requirements;
  } catch {
    return [];
  }
}

/** Undefined when nothing selects the pod (the selector would be empty). */
export function defaultSpreadSelector(pod: any, listers: SpreadOwnerListers): LabelSelector | undefined {
  const ns: string = pod?.metadata?.namespace ?? '';
  const podLabels: Record<string, string> = pod?.metadata?.labels ?? {};
  // The selectors all match the pod, so merged keys never disagree.
  let set: Record<string, string> = {};
  for (const svc of listers.services(ns)) {
    const sel = svc?.spec?.selector;
    if (serviceSelects(sel, podLabels)) set = { ...set, ...sel };
  }
  let selector = selectorFromSet(set);
  const owner = controllerOf(pod);
  if (owner) {
    const kind = `${owner.apiVersion ?? ''}/${owner.kind ?? ''}`;
    const name = String(owner.name ?? '');
    if (kind === 'v1/ReplicationController') {
      const rc = listers.replicationController(ns, name);
      if (rc) selector = selectorFromSet({ ...set, ...(rc.spec?.selector ?? {}) });
    } else if (kind === 'apps/v1/ReplicaSet' || kind === 'apps/v1/StatefulSet') {
      const obj = kind === 'apps/v1/ReplicaSet' ? listers.replicaSet(ns, name) : listers.statefulSet(ns, name);
      if (obj) selector = selector.add(...requirementsOf(obj.spec?.selector));
    }
  }
  return selector.requirements.length ? selector : undefined;
}
