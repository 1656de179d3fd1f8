// Duplicate keys in JSON text, reported as upstream's strict decoder reports
// them when it decodes into interface{} / map[string]interface{} (merge and
// strategic merge patch bodies, custom resources): the path of every
// repeated key, `spec.replicas`, `spec.template.spec.containers[0].image`,
// `metadata.labels.app`, in document order, each once, at most 100.
// Upstream's message for one is `duplicate field "spec.replicas"`
// (strictErrorText). One pass over the text, no value is built.
//
// For a typed body use scanStrictJson(text, shapeForKind(...)) instead: it
// also reports unknown fields, and like upstream does not look for
// duplicates inside unknown fields or inside opaque values (RawExtension,
// Quantity, ...).

import { ANY_SHAPE } from './shapes.js';
import { scanStrictJson } from './strict-json.js';

/** Paths of the repeated object keys in `jsonText` (valid JSON expected). */
export function findDuplicateFields(jsonText: string): string[] {
  return scanStrictJson(jsonText, ANY_SHAPE).map((e) => e.path);
}
