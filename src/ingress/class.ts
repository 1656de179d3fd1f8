// Which Ingresses this controller serves, and the IngressClass it ensures.

import type { Ingress, IngressClass } from 'kubernetes-types/networking/v1.js';
import type { ApiClient } from '../client/types.js';
import { isAlreadyExists } from '../client/types.js';

export const CONTROLLER_NAME = 'kts.io/ingress';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

export function isDefaultClass(cls: IngressClass | undefined): boolean {
  return cls?.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true';
}

/**
 * True when the Ingress belongs to `className`: the legacy annotation names it
 * (the annotation wins, as in ingress-nginx), or `spec.ingressClassName` names
 * it, or neither is set and the class is the cluster's default.
 */
export function servesIngress(ing: Ingress, className: string, classIsDefault: boolean): boolean {
  const legacy = ing.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION];
  if (legacy !== undefined && legacy !== '') return legacy === className;
  const named = ing.spec?.ingressClassName;
  if (named) return named === className;
  return classIsDefault;
}

export function ingressClassObject(name: string, makeDefault: boolean): IngressClass {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name, annotations: makeDefault ? { [DEFAULT_CLASS_ANNOTATION]: 'true' } : {} },
    spec: { controller: CONTROLLER_NAME },
  };
}

/** Creates the IngressClass when missing; an existing one is left as its owner set it (for example no longer default). */
export async function ensureIngressClass(client: ApiClient, name: string, makeDefault = true): Promise<void> {
  try {
    await client.create('/apis/networking.k8s.io/v1/ingressclasses', ingressClassObject(name, makeDefault));
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
}
