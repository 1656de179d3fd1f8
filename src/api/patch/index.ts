// The three PATCH content types of the Kubernetes API:
//   application/json-patch+json           -> applyJsonPatch (RFC 6902)
//   application/merge-patch+json          -> applyMergePatch (RFC 7396)
//   application/strategic-merge-patch+json -> applyStrategicMergePatch (built-in kinds only)
// All of them are pure functions over JSON values and throw PatchError.

export { PatchError, type PatchErrorReason } from './errors.js';
export { applyJsonPatch, parseJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch.js';
export { applyMergePatch, applyMergePatchToObject, createMergePatch, jsonEqual } from './merge-patch.js';
export {
  applyStrategicMergePatch,
  supportsStrategicMergePatch,
  strategicTypeFor,
  CUSTOM_RESOURCE_PATCH_TYPES,
  type GroupVersionKind,
} from './strategic.js';

/** The PATCH media types and which function applies each. */
export const PATCH_CONTENT_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;
