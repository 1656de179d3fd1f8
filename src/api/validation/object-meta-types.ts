// The JSON types of ObjectMeta's fields, checked where upstream's typed
// decoder would refuse the body: a create or update whose metadata.name is an
// object is a 400 from the decoder there, never reaching validation (which
// here assumes strings and would fail on anything else).

type JsonType = 'object' | 'array' | 'string' | 'number' | 'bool';

function jsonType(v: unknown): JsonType | undefined {
  if (v === null || v === undefined) return undefined; // null decodes to the zero value
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  return 'object';
}

const STRING_FIELDS = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp'];
const STRING_MAPS = ['labels', 'annotations'];
const OBJECT_LISTS = ['ownerReferences', 'managedFields'];

function mismatch(got: JsonType, field: string, goType: string): string {
  return `json: cannot unmarshal ${got} into Go struct field ObjectMeta.metadata.${field} of type ${goType}`;
}

/**
 * The message of Go's json decoder for the first ObjectMeta field of a wrong
 * JSON type (`kind` is the Go struct holding metadata), or undefined.
 */
export function objectMetaTypeError(obj: Record<string, unknown>, kind: string): string | undefined {
  const meta = obj.metadata;
  const t = jsonType(meta);
  if (t === undefined) return undefined;
  if (t !== 'object') return `json: cannot unmarshal ${t} into Go struct field ${kind}.metadata of type v1.ObjectMeta`;
  const m = meta as Record<string, unknown>;
  for (const f of STRING_FIELDS) {
    const ft = jsonType(m[f]);
    if (ft && ft !== 'string') return mismatch(ft, f, f.endsWith('Timestamp') ? 'v1.Time' : 'string');
  }
  for (const f of ['generation', 'deletionGracePeriodSeconds']) {
    const ft = jsonType(m[f]);
    if (ft && (ft !== 'number' || !Number.isInteger(m[f]))) return mismatch(ft, f, 'int64');
  }
  for (const f of STRING_MAPS) {
    const ft = jsonType(m[f]);
    if (!ft) continue;
    if (ft !== 'object') return mismatch(ft, f, 'map[string]string');
    for (const v of Object.values(m[f] as Record<string, unknown>)) {
      const vt = jsonType(v);
      if (vt && vt !== 'string') return mismatch(vt, f, 'string');
    }
  }
  const fin = jsonType(m.finalizers);
  if (fin && fin !== 'array') return mismatch(fin, 'finalizers', '[]string');
  if (fin) {
    for (const v of m.finalizers as unknown[]) {
      const vt = jsonType(v);
      if (vt && vt !== 'string') return mismatch(vt, 'finalizers', 'string');
    }
  }
  for (const f of OBJECT_LISTS) {
    const ft = jsonType(m[f]);
    if (ft && ft !== 'array') return mismatch(ft, f, `[]v1.${f === 'ownerReferences' ? 'OwnerReference' : 'ManagedFieldsEntry'}`);
  }
  return undefined;
}
