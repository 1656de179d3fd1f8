// CustomResourceDefinitions and custom resources: pure logic (no I/O).
//
// - validate-crd.ts: CRD defaulting, create/update preparation, validation.
// - names.ts: ResourceInfo of a served version; NamesAccepted/Established status.
// - schema.ts: pruning, defaulting and validation of custom resources.
// - custom-resource.ts: the custom resource strategy (prepare, validate, scale).
// - printers.ts: Table columns and cells.

export {
  API_APPROVED_ANNOTATION,
  CUSTOM_RESOURCE_CLEANUP_FINALIZER,
  defaultCRD,
  isCRDConditionTrue,
  markCRDTerminating,
  prepareCRDForCreate,
  prepareCRDForStatusUpdate,
  prepareCRDForUpdate,
  schemaForVersion,
  setCRDCondition,
  validateCRD,
  validateCRDNames,
  validateCRDStatusUpdate,
  validateStoredVersions,
  type CRDCondition,
} from './validate-crd.js';
export {
  calculateNamesAndConditions,
  crdStatusForAccepted,
  isEstablished,
  resourceInfoForCRD,
  servedNames,
  servedVersions,
  storageVersionOf,
  takenNamesForGroup,
  type TakenNames,
} from './names.js';
export {
  applyDefaults,
  pruneUnknown,
  statusSchemaOf,
  validateAgainstSchema,
  validateCustomResource,
  validateCustomResourceStatus,
  validateEmbeddedResources,
  validateListSetsAndMaps,
  type JSONSchemaProps,
} from './schema.js';
export { isStructural, validateDefaults, validateStructural } from './structural.js';
export {
  applyScaleToCustomResource,
  customResourceContext,
  hasStatusSubresource,
  prepareCustomResourceForCreate,
  prepareCustomResourceForStatusUpdate,
  prepareCustomResourceForUpdate,
  scaleFromCustomResource,
  scaleSubresourceOf,
  typeMetaOf,
  validateCustomResourceObject,
  validateCustomResourceStatusUpdate,
  validateScaleSpec,
  validateScaleStatus,
  validateTypeMeta,
  type CustomResourceContext,
  type ScaleSpec,
} from './custom-resource.js';
export { crdTable, printerColumnsForVersion } from './printers.js';
export { findResults, firstResult, parseJSONPath } from './jsonpath.js';
