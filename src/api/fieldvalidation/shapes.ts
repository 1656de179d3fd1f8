// The decoding shape of every built-in type, derived from the generated
// protobuf layout table (../protobuf/schema.ts), as upstream's strict JSON
// decoder (sigs.k8s.io/json UnmarshalStrict into the Go types) sees it:
//
//  - STRUCT: a Go struct; its JSON keys are exactly the json names of its
//    fields, including the fields of embedded (`json:",inline"`) structs and
//    `apiVersion`/`kind` for the types that embed metav1.TypeMeta (every
//    registered kind, wherever it appears: list items, StatefulSet
//    volumeClaimTemplates, Eviction deleteOptions, ...). Any other key is an
//    unknown field; a repeated key is a duplicate field.
//  - MAP: a Go map; any key is accepted, a repeated key is a duplicate field.
//  - LIST: a Go slice of structs or maps (items are checked by index).
//  - ANY: interface{} (objects decode as maps, recursively).
//  - LEAF: scalars, slices of scalars, and the types with their own JSON
//    decoder (Time, MicroTime, Duration, Quantity, IntOrString, RawExtension,
//    FieldsV1, apiextensions JSON and JSONSchemaPropsOr*): the decoder hands
//    their bytes to UnmarshalJSON, so nothing inside them is checked.

import { CUSTOM_JSON, F_INLINE, F_REPEATED, KINDS, MESSAGES } from '../protobuf/schema.js';
import { protobufMessageFor } from '../protobuf/decode.js';

export const LEAF = 0;
export const STRUCT = 1;
export const MAP = 2;
export const LIST = 3;
export const ANY = 4;

export interface LeafShape {
  readonly k: typeof LEAF;
}
export interface StructShape {
  readonly k: typeof STRUCT;
  /** The schema message name (`apps/v1.DeploymentSpec`), or a synthetic name. */
  readonly name: string;
  readonly fields: ReadonlyMap<string, Shape>;
}
export interface MapShape {
  readonly k: typeof MAP;
  readonly value: Shape;
}
export interface ListShape {
  readonly k: typeof LIST;
  readonly item: Shape;
}
export interface AnyShape {
  readonly k: typeof ANY;
}
export type Shape = LeafShape | StructShape | MapShape | ListShape | AnyShape;

export const LEAF_SHAPE: LeafShape = { k: LEAF };
export const ANY_SHAPE: AnyShape = { k: ANY };

/** Messages whose Go type embeds metav1.TypeMeta: the registered kinds. */
const TYPE_META = new Set(Object.values(KINDS));

const structs = new Map<string, StructShape>();

function structShape(name: string): StructShape {
  const cached = structs.get(name);
  if (cached) return cached;
  const fields = new Map<string, Shape>();
  const s: StructShape = { k: STRUCT, name, fields };
  // Registered before its fields are resolved: types refer to themselves
  // (JSONSchemaProps.properties, ...).
  structs.set(name, s);
  if (TYPE_META.has(name)) {
    fields.set('apiVersion', LEAF_SHAPE);
    fields.set('kind', LEAF_SHAPE);
  }
  addFields(name, fields, 0);
  return s;
}

function addFields(name: string, fields: Map<string, Shape>, depth: number): void {
  const defs = MESSAGES[name];
  if (!defs || depth > 10) return;
  for (const [, json, type, flags] of defs) {
    if (flags & F_INLINE) {
      addFields(type, fields, depth + 1);
      continue;
    }
    if (json === '') continue;
    // A field of the outer struct wins over one promoted from an embedded struct.
    if (depth > 0 && fields.has(json)) continue;
    let shape = typeShape(type);
    if (flags & F_REPEATED && shape.k !== LEAF) shape = { k: LIST, item: shape };
    fields.set(json, shape);
  }
}

function typeShape(type: string): Shape {
  if (CUSTOM_JSON[type]) return LEAF_SHAPE;
  if (type.startsWith('map<')) {
    const comma = type.indexOf(',');
    return { k: MAP, value: typeShape(type.slice(comma + 1, -1)) };
  }
  if (MESSAGES[type]) return structShape(type);
  return LEAF_SHAPE;
}

/**
 * The shape of a built-in kind's object (`apps/v1`, `Deployment`), or
 * undefined for kinds the table does not know (custom resources).
 */
export function shapeForKind(apiVersion: string, kind: string): StructShape | undefined {
  const msg = protobufMessageFor(apiVersion, kind);
  if (!msg || !MESSAGES[msg]) return undefined;
  return structShape(msg);
}

/** The shape of a schema message by name (`core/v1.PodSpec`), or undefined. */
export function shapeForMessage(name: string): StructShape | undefined {
  return MESSAGES[name] ? structShape(name) : undefined;
}

/**
 * A JSON patch document as upstream strictly decodes it: a list of
 * `{op, path, from, value}` structs whose `value` is interface{}.
 */
export const JSON_PATCH_SHAPE: ListShape = {
  k: LIST,
  item: {
    k: STRUCT,
    name: 'handlers.jsonPatchOp',
    fields: new Map<string, Shape>([
      ['op', LEAF_SHAPE],
      ['path', LEAF_SHAPE],
      ['from', LEAF_SHAPE],
      ['value', ANY_SHAPE],
    ]),
  },
};
