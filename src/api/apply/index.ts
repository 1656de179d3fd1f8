// Server-side apply and metadata.managedFields (see server-side-apply.ts and
// managed-fields.ts). Pure functions over JSON objects.

export {
  FieldSet,
  FieldSetBuilder,
  FieldsV1Error,
  comparePE,
  compareValues,
  fieldPath,
  fieldPE,
  keyPE,
  valuePE,
  indexPE,
  pathToString,
  peToString,
  serializePE,
  parsePE,
  type KeyField,
  type Path,
  type PathElement,
} from './fieldset.js';
export { rootAtom, gvkOf, isBuiltinKind, type Atom, type GroupVersionKind } from './schema.js';
export { toFieldSet, compareObjects, mergeObjects, removeItems, dropNewNulls, validateTyped, TypedValueError, type Comparison } from './typed.js';
export {
  updateManagedFields,
  withManagedFields,
  decodeManagedFields,
  encodeManagedFields,
  defaultResetFields,
  managerIdentifier,
  Managed,
  ManagedFieldsError,
  MAX_UPDATE_MANAGERS,
  ANCIENT_CHANGES_MANAGER,
  BEFORE_FIRST_APPLY_MANAGER,
  type ManagedFieldsEntry,
  type UpdateManagedFieldsOptions,
} from './managed-fields.js';
export {
  serverSideApply,
  applyStep,
  conflictMessage,
  conflictCauses,
  conflictStatus,
  printManager,
  ApplyError,
  LAST_APPLIED_ANNOTATION,
  KUBECTL_MANAGER,
  type ApplyConflict,
  type ApplyStepResult,
  type ServerSideApplyOptions,
  type ServerSideApplyResult,
  type StatusCause,
} from './server-side-apply.js';

import { FieldSet } from './fieldset.js';
import { gvkOf, rootAtom, type GroupVersionKind } from './schema.js';
import { toFieldSet } from './typed.js';

/** The field set of an object (an applied configuration) of a kind, as upstream computes it; the kind defaults to the object's. */
export function objectFieldSet(obj: unknown, gvk?: GroupVersionKind): FieldSet {
  return toFieldSet(obj, rootAtom(gvk ?? gvkOf(obj)));
}
