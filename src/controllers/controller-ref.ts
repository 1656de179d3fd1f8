// Claiming dependents through the controller ownerReference, as upstream's
// BaseControllerRefManager: a controller owns the objects whose controller
// reference names it; it adopts orphans its selector matches (unless it is
// being deleted) and releases objects it owns that its selector no longer
// matches. Adoption and release are strategic merge patches keyed by the
// owner's uid, so concurrent owner-reference changes are not lost.

import type { LabelSelector } from '../api/labels.js';
import { isNotFound, type ApiClient } from '../client/types.js';
import { getControllerOf, newControllerRef, nowRFC3339 } from './util.js';

export interface ClaimOptions {
  client: ApiClient;
  /** The controller object (ReplicaSet, Deployment, ...). */
  owner: any;
  ownerApiVersion: string;
  ownerKind: string;
  selector: LabelSelector;
  /** API path of one dependent (for the PATCH). */
  pathOf: (obj: any) => string;
  /**
   * Checked once, before the first adoption: fails when the owner is gone
   * or being deleted according to a fresh read (the cache may be stale).
   */
  canAdopt: () => Promise<void>;
}

/**
 * Returns the objects the owner controls after adopting and releasing.
 * Errors of individual adoptions and releases are collected and thrown
 * after all were tried (the caller requeues).
 */
export async function claimObjects<T = any>(objs: T[], o: ClaimOptions): Promise<T[]> {
  const claimed: T[] = [];
  const errors: unknown[] = [];
  let adoptChecked: Promise<void> | undefined;
  const ownerUID = o.owner.metadata.uid;
  const ownerDeleting = !!o.owner.metadata.deletionTimestamp;
  for (const obj of objs as any[]) {
    const ref = getControllerOf(obj);
    const matches = o.selector.matches(obj.metadata?.labels);
    if (ref) {
      if (ref.uid !== ownerUID) continue; // someone else's
      if (matches) {
        claimed.push(obj);
        continue;
      }
      if (ownerDeleting) continue; // an owner being deleted releases nothing
      try {
        await release(obj, o);
      } catch (e) {
        if (!isNotFound(e)) errors.push(e);
      }
      continue;
    }
    // An orphan.
    if (ownerDeleting || !matches || obj.metadata?.deletionTimestamp) continue;
    if (o.owner.metadata.namespace && obj.metadata?.namespace !== o.owner.metadata.namespace) continue;
    try {
      adoptChecked ??= o.canAdopt();
      await adoptChecked;
      await adopt(obj, o);
      claimed.push(obj);
    } catch (e) {
      if (!isNotFound(e)) errors.push(e);
    }
  }
  if (errors.length) throw errors[0];
  return claimed;
}

async function adopt(obj: any, o: ClaimOptions): Promise<void> {
  const ref = newControllerRef(o.owner, o.ownerApiVersion, o.ownerKind);
  await o.client.patch(o.pathOf(obj), { metadata: { ownerReferences: [ref], uid: obj.metadata.uid } }, 'strategic');
}

async function release(obj: any, o: ClaimOptions): Promise<void> {
  await o.client.patch(o.pathOf(obj), { metadata: { ownerReferences: [{ $patch: 'delete', uid: o.owner.metadata.uid }], uid: obj.metadata.uid } }, 'strategic');
}

/**
 * A canAdopt check that re-reads the owner: it must still exist with the
 * same uid and must not be being deleted (upstream's RecheckDeletionTimestamp).
 */
export function recheckOwner(client: ApiClient, path: string, owner: any, kind: string): () => Promise<void> {
  return async () => {
    const fresh = await client.get(path);
    if (fresh?.metadata?.uid !== owner.metadata.uid) {
      throw new Error(`original ${kind} ${owner.metadata.namespace}/${owner.metadata.name} is gone: got uid ${fresh?.metadata?.uid}, wanted ${owner.metadata.uid}`);
    }
    if (fresh.metadata.deletionTimestamp) {
      throw new Error(`${owner.metadata.namespace}/${owner.metadata.name} has just been deleted at ${fresh.metadata.deletionTimestamp ?? nowRFC3339()}`);
    }
  };
}
