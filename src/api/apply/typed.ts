// Schema-aware operations on objects, with upstream's semantics
// (structured-merge-diff typed values):
//  - toFieldSet: the set of fields an object (an applied configuration) sets;
//  - compareObjects: which fields were added, modified and removed between
//    two objects;
//  - mergeObjects: the applied configuration merged into the live object;
//  - removeItems: an object without the fields of a set;
//  - ensureNamedFieldsAreMembers: a set where every struct field on the way
//    to a member is a member itself (used when pruning).
// Objects are plain JSON values and are never mutated.

import {
  FieldSet,
  FieldSetBuilder,
  comparePE,
  fieldPE,
  keyPE,
  pathToString,
  peToString,
  valuePE,
  valuesEqual,
  goQuote,
  type KeyField,
  type PathElement,
} from './fieldset.js';
import { childAtom, fieldAtom, isDeclaredField, type Atom } from './schema.js';

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** An object (or list item) that does not fit the schema: upstream fails the request (500). */
export class TypedValueError extends Error {
  readonly path: string;
  constructor(path: readonly PathElement[], message: string) {
    super(path.length > 0 ? `${pathToString(path)}: ${message}` : message);
    this.name = 'TypedValueError';
    this.path = pathToString(path);
  }
}

/** How a value is treated at a node: as a leaf, as an object (struct or map), or as a non-atomic list. */
type Shape = 'leaf' | 'object' | 'list';

function shapeOf(atom: Atom, ...values: unknown[]): Shape {
  switch (atom.kind) {
    case 'scalar':
      return 'leaf';
    case 'struct':
    case 'map':
      for (const v of values) if (v !== undefined && v !== null && !isObject(v)) return 'leaf';
      return atom.atomic ? 'leaf' : 'object';
    case 'list':
      for (const v of values) if (v !== undefined && v !== null && !Array.isArray(v)) return 'leaf';
      return atom.listType === 'atomic' ? 'leaf' : 'list';
    case 'untyped': {
      let sawObject = false;
      for (const v of values) {
        if (v === undefined || v === null) continue;
        if (!isObject(v)) return 'leaf';
        sawObject = true;
      }
      return sawObject ? 'object' : 'leaf';
    }
  }
}

// ---------------------------------------------------------------------------
// List items

/** The path element of a list item (its key, or its value in a set). */
export function listItemPE(atom: Atom & { kind: 'list' }, item: unknown, path: readonly PathElement[], index: number): PathElement {
  if (atom.listType === 'map') {
    if (item === null) throw new TypedValueError(path, `element ${index}: associative list with keys may not have a null element`);
    if (!isObject(item)) throw new TypedValueError(path, `element ${index}: associative list with keys may not have non-map elements`);
    const fields: KeyField[] = [];
    for (const k of atom.keys) {
      if (Object.prototype.hasOwnProperty.call(item, k) && item[k] !== undefined) fields.push([k, item[k]]);
      else if (atom.keyDefaults !== undefined && Object.prototype.hasOwnProperty.call(atom.keyDefaults, k)) fields.push([k, atom.keyDefaults[k]]);
    }
    if (fields.length === 0) {
      throw new TypedValueError(
        path,
        `element ${index}: associative list with keys has an element that omits all key fields [${atom.keys.map(goQuote).join(' ')}] (and doesn't have default values for any key fields)`,
      );
    }
    return keyPE(fields);
  }
  if (isObject(item)) throw new TypedValueError(path, `element ${index}: associative list without keys has an element that's a map type`);
  if (Array.isArray(item)) throw new TypedValueError(path, `element ${index}: associative list without keys has an element that's a list type`);
  return valuePE(item);
}

interface IndexedItems {
  /** Distinct path elements in first-seen order. */
  order: PathElement[];
  /** Every item of each path element (more than one: duplicates). */
  items: Map<string, { pe: PathElement; values: unknown[] }>;
  /** Path element of each item, by position. */
  pes: PathElement[];
}

function peId(pe: PathElement): string {
  return peToString(pe);
}

function indexItems(atom: Atom & { kind: 'list' }, list: readonly unknown[], path: readonly PathElement[]): IndexedItems {
  const order: PathElement[] = [];
  const items = new Map<string, { pe: PathElement; values: unknown[] }>();
  const pes: PathElement[] = [];
  list.forEach((item, i) => {
    const pe = listItemPE(atom, item, path, i);
    pes.push(pe);
    const id = peId(pe);
    const entry = items.get(id);
    if (entry) entry.values.push(item);
    else {
      items.set(id, { pe, values: [item] });
      order.push(pe);
    }
  });
  return { order, items, pes };
}

// ---------------------------------------------------------------------------
// Object -> field set

/** The fields an object sets, as upstream's TypedValue.ToFieldSet. */
export function toFieldSet(value: unknown, atom: Atom): FieldSet {
  const set = new FieldSetBuilder();
  walkFieldSet(value, atom, [], set);
  return set.build();
}

function walkFieldSet(value: unknown, atom: Atom, path: PathElement[], set: FieldSetBuilder): void {
  const shape = shapeOf(atom, value);
  if (shape === 'leaf') {
    set.insert(path);
    return;
  }
  if (shape === 'list') {
    if (!Array.isArray(value)) return;
    const la = atom as Atom & { kind: 'list' };
    const { items } = indexItems(la, value, path);
    for (const { pe, values } of items.values()) {
      path.push(pe);
      if (values.length > 1) {
        set.insert(path);
      } else {
        walkFieldSet(values[0], la.elem, path, set);
        set.insert(path);
      }
      path.pop();
    }
    return;
  }
  if (!isObject(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    path.push(fieldPE(k));
    walkFieldSet(v, fieldAtom(atom, k), path, set);
    if (v === null || (isObject(v) && Object.keys(v).length === 0) || !isDeclaredField(atom, k)) set.insert(path);
    path.pop();
  }
}

// ---------------------------------------------------------------------------
// Comparison

export interface Comparison {
  /** Fields present in both objects with different values. */
  modified: FieldSet;
  /** Fields only in the new object. */
  added: FieldSet;
  /** Fields only in the old object. */
  removed: FieldSet;
}

/** Compares two objects as upstream's TypedValue.Compare (lhs = old, rhs = new). */
export function compareObjects(lhs: unknown, rhs: unknown, atom: Atom): Comparison {
  const out: Builders = { modified: new FieldSetBuilder(), added: new FieldSetBuilder(), removed: new FieldSetBuilder() };
  compareNode(lhs, rhs, atom, [], out);
  return { modified: out.modified.build(), added: out.added.build(), removed: out.removed.build() };
}

interface Builders {
  modified: FieldSetBuilder;
  added: FieldSetBuilder;
  removed: FieldSetBuilder;
}

function compareLeaf(lhs: unknown, rhs: unknown, path: PathElement[], out: Builders): void {
  if (lhs === undefined) out.added.insert(path);
  else if (rhs === undefined) out.removed.insert(path);
  else if (!valuesEqual(lhs, rhs)) out.modified.insert(path);
}

function isEmptyish(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObject(v)) return Object.keys(v).length === 0;
  return false;
}

function compareNode(lhs: unknown, rhs: unknown, atom: Atom, path: PathElement[], out: Builders): void {
  let shape = shapeOf(atom, lhs, rhs);
  if (shape !== 'leaf' && isEmptyish(lhs) && isEmptyish(rhs)) shape = 'leaf';
  if (shape === 'leaf') {
    compareLeaf(lhs, rhs, path, out);
    return;
  }
  if (shape === 'object') {
    const l = isObject(lhs) ? lhs : undefined;
    const r = isObject(rhs) ? rhs : undefined;
    const keys = new Set<string>();
    if (l) for (const k of Object.keys(l)) if (l[k] !== undefined) keys.add(k);
    if (r) for (const k of Object.keys(r)) if (r[k] !== undefined) keys.add(k);
    for (const k of keys) {
      path.push(fieldPE(k));
      compareNode(l?.[k], r?.[k], fieldAtom(atom, k), path, out);
      path.pop();
    }
  } else {
    compareLists(lhs, rhs, atom as Atom & { kind: 'list' }, path, out);
  }
  if (lhs === undefined) out.added.insert(path);
  else if (rhs === undefined) out.removed.insert(path);
}

function compareLists(lhs: unknown, rhs: unknown, atom: Atom & { kind: 'list' }, path: PathElement[], out: Builders): void {
  const l = indexItems(atom, Array.isArray(lhs) ? lhs : [], path);
  const r = indexItems(atom, Array.isArray(rhs) ? rhs : [], path);
  const all: PathElement[] = [...l.order];
  for (const pe of r.order) if (!l.items.has(peId(pe))) all.push(pe);
  for (const pe of all) {
    const id = peId(pe);
    const lv = l.items.get(id)?.values ?? [];
    const rv = r.items.get(id)?.values ?? [];
    path.push(pe);
    if (lv.length <= 1 && rv.length <= 1) {
      compareNode(lv[0], rv[0], atom.elem, path, out);
    } else if (lv.length >= 2 && rv.length >= 2) {
      if (lv.length !== rv.length || lv.some((v, i) => !valuesEqual(v, rv[i]))) out.modified.insert(path);
    } else if (lv.length >= 2) {
      if (rv.length > 0) compareNode(undefined, rv[0], atom.elem, path, out);
      out.removed.insert(path);
    } else {
      if (lv.length > 0) compareNode(lv[0], undefined, atom.elem, path, out);
      out.added.insert(path);
    }
    path.pop();
  }
}

// ---------------------------------------------------------------------------
// Merge

/**
 * Merges `rhs` (an applied configuration) into `lhs` (the live object), as
 * upstream's TypedValue.Merge: the configuration's values win, objects merge
 * field by field, associative lists and sets merge item by item (in the
 * order of the configuration, live-only items staying where they were),
 * atomic values are replaced. A `null` in the configuration replaces a
 * scalar (the result keeps the `null`: see dropNewNulls) and leaves a
 * non-empty object or list as it is.
 */
export function mergeObjects(lhs: unknown, rhs: unknown, atom: Atom): unknown {
  return mergeNode(lhs, rhs, atom, []);
}

function mergeNode(lhs: unknown, rhs: unknown, atom: Atom, path: PathElement[]): unknown {
  if (rhs === undefined) return lhs;
  const shape = shapeOf(atom, lhs, rhs);
  if (rhs === null) {
    // A null keeps a non-empty live object or list; otherwise it is the new value.
    if (shape !== 'leaf' && !isEmptyish(lhs)) return lhs;
    return null;
  }
  if (shape === 'leaf' || (isEmptyish(lhs) && isEmptyish(rhs))) return rhs;
  // Merging into nothing still goes through the items, to drop nulls and catch duplicate keys.
  if (lhs === undefined || lhs === null) lhs = shape === 'object' ? {} : [];
  if (shape === 'object') {
    const l = lhs as Obj;
    const r = rhs as Obj;
    const out: Obj = {};
    for (const k of Object.keys(l)) {
      if (l[k] === undefined) continue;
      path.push(fieldPE(k));
      const v = Object.prototype.hasOwnProperty.call(r, k) ? mergeNode(l[k], r[k], fieldAtom(atom, k), path) : l[k];
      path.pop();
      if (v !== undefined) out[k] = v;
    }
    for (const k of Object.keys(r)) {
      if (Object.prototype.hasOwnProperty.call(l, k) || r[k] === undefined) continue;
      path.push(fieldPE(k));
      const v = mergeNode(undefined, r[k], fieldAtom(atom, k), path);
      path.pop();
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  return mergeLists(lhs as unknown[], rhs as unknown[], atom as Atom & { kind: 'list' }, path);
}

function mergeLists(lhs: unknown[], rhs: unknown[], atom: Atom & { kind: 'list' }, path: PathElement[]): unknown[] {
  const r = indexItems(atom, rhs, path);
  for (const { pe, values } of r.items.values()) {
    if (values.length > 1) throw new TypedValueError(path, `duplicate entries for key ${peToString(pe)}`);
  }
  const l = indexItems(atom, lhs, path);
  const lPes = l.pes;
  const rPes = r.pes;
  const inR = (pe: PathElement): boolean => r.items.has(peId(pe));
  // Live values by key; a key the live list holds more than once does not merge with the configuration.
  const liveValue = (pe: PathElement): unknown => {
    const e = l.items.get(peId(pe));
    if (e === undefined) return undefined;
    return e.values.length > 1 ? null : e.values[0];
  };
  const shared = rPes.filter((pe) => l.items.has(peId(pe)));
  let nextShared = 0;
  const merged = new Set<string>();
  const out: unknown[] = [];
  const emit = (v: unknown): void => {
    if (v !== undefined) out.push(v);
  };
  const mergeItem = (pe: PathElement, lv: unknown, rv: unknown): unknown => {
    path.push(pe);
    const v = mergeNode(lv, rv, atom.elem, path);
    path.pop();
    return v;
  };
  let li = 0;
  let ri = 0;
  while (li < lPes.length || ri < rPes.length) {
    if (li < lPes.length && ri < rPes.length) {
      const pe = lPes[li]!;
      if (comparePE(pe, rPes[ri]!) === 0) {
        merged.add(peId(pe));
        emit(mergeItem(pe, liveValue(pe), r.items.get(peId(pe))!.values[0]));
        li++;
        ri++;
        nextShared++;
        continue;
      }
      const ns = shared[nextShared];
      if (inR(pe) && ns !== undefined && comparePE(ns, pe) !== 0) {
        // A shared item that comes later in the configuration's order.
        li++;
        continue;
      }
    }
    if (li < lPes.length) {
      const pe = lPes[li]!;
      if (!inR(pe)) {
        emit(mergeItem(pe, lhs[li], undefined));
        li++;
        continue;
      } else if (merged.has(peId(pe))) {
        li++;
      }
    }
    if (ri < rPes.length) {
      const pe = rPes[ri]!;
      merged.add(peId(pe));
      emit(mergeItem(pe, liveValue(pe), r.items.get(peId(pe))!.values[0]));
      ri++;
      const ns = shared[nextShared];
      if (ns !== undefined && comparePE(ns, pe) === 0) nextShared++;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Removal

/**
 * The object without the fields of `set` (a member removes the field or list
 * item with everything below it), as upstream's TypedValue.RemoveItems: an
 * object or list that the removal leaves empty (or an atomic one something
 * below which is to be removed) becomes `null` in its parent, which stays.
 * Use dropNewNulls on the final result.
 */
export function removeItems(value: unknown, set: FieldSet, atom: Atom): unknown {
  const out = removeNode(value, set, atom);
  return out === null ? {} : out;
}

function removeNode(value: unknown, set: FieldSet, atom: Atom): unknown {
  if (set.empty()) return value;
  if (atom.kind === 'scalar') return value;
  if (atom.kind === 'untyped' && !isObject(value)) {
    // Deduced: a scalar stays, a list is atomic.
    return Array.isArray(value) ? null : value;
  }
  if (atom.kind === 'list') {
    if (!Array.isArray(value) || value.length === 0 || atom.listType === 'atomic') return null;
    const out: unknown[] = [];
    value.forEach((item, i) => {
      const pe = listItemPE(atom, item, [], i);
      if (set.hasMember(pe)) return;
      const sub = set.child(pe);
      out.push(sub === undefined ? item : removeNode(item, sub, atom.elem));
    });
    return out.length > 0 ? out : null;
  }
  // struct, map or untyped object
  if (!isObject(value) || Object.keys(value).length === 0 || (atom.kind !== 'untyped' && atom.atomic)) return null;
  const out: Obj = {};
  let kept = 0;
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const pe = fieldPE(k);
    if (set.hasMember(pe)) continue;
    const sub = set.child(pe);
    out[k] = sub === undefined ? v : removeNode(v, sub, fieldAtom(atom, k));
    kept++;
  }
  return kept > 0 ? out : null;
}

/**
 * `result` without the `null`s that `reference` (the stored object) did not
 * have at the same place: the nulls a merge copied from a configuration or a
 * removal left behind. Upstream loses them when it decodes the result into
 * the typed object (built-in kinds) or prunes nulls (custom resources).
 */
export function dropNewNulls(result: unknown, reference: unknown): unknown {
  if (result === reference) return result;
  if (Array.isArray(result)) {
    const ref = Array.isArray(reference) ? reference : [];
    const same = new Set(ref.filter((v) => v !== null && typeof v === 'object'));
    return result.map((v, i) => (v === null || typeof v !== 'object' ? v : dropNewNulls(v, same.has(v) ? v : ref[i])));
  }
  if (!isObject(result)) return result;
  const ref = isObject(reference) ? reference : {};
  const out: Obj = {};
  for (const [k, v] of Object.entries(result)) {
    if (v === null && ref[k] !== null) continue;
    out[k] = dropNewNulls(v, ref[k]);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Named fields

/** The set with every struct field that leads to a member made a member too. */
export function ensureNamedFieldsAreMembers(set: FieldSet, atom: Atom): FieldSet {
  const members = [...set.members];
  const children = set.children.map((c) => {
    if ('field' in c.pe && isDeclaredField(atom, c.pe.field) && !members.some((m) => comparePE(m, c.pe) === 0)) {
      members.push(c.pe);
    }
    const sub = 'field' in c.pe || 'key' in c.pe ? childAtom(atom, c.pe) : { kind: 'scalar' as const };
    return { pe: c.pe, set: ensureNamedFieldsAreMembers(c.set, sub) };
  });
  members.sort(comparePE);
  return new FieldSet(members, children);
}

// ---------------------------------------------------------------------------
// Validation

/**
 * Checks that an object fits the schema's list types: every item of an
 * associative list has a key, no key (or set value) appears twice. Throws a
 * TypedValueError with upstream's message(s).
 */
export function validateTyped(value: unknown, atom: Atom): void {
  const errors: string[] = [];
  validateNode(value, atom, [], errors);
  if (errors.length === 1) throw new TypedValueError([], errors[0]!);
  if (errors.length > 1) throw new TypedValueError([], ['errors:', ...errors.map((e) => '  ' + e)].join('\n'));
}

function validateNode(value: unknown, atom: Atom, path: PathElement[], errors: string[]): void {
  const shape = shapeOf(atom, value);
  const prefix = (): string => (path.length > 0 ? pathToString(path) + ': ' : '');
  if (shape === 'leaf') return;
  if (shape === 'list') {
    if (!Array.isArray(value)) return;
    const la = atom as Atom & { kind: 'list' };
    const seen = new Set<string>();
    value.forEach((item, i) => {
      let pe: PathElement;
      try {
        pe = listItemPE(la, item, [], i);
      } catch (e) {
        errors.push(prefix() + (e as Error).message);
        return;
      }
      const id = peId(pe);
      if (seen.has(id)) errors.push(prefix() + `duplicate entries for key ${peToString(pe)}`);
      seen.add(id);
      path.push(pe);
      validateNode(item, la.elem, path, errors);
      path.pop();
    });
    return;
  }
  if (!isObject(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    path.push(fieldPE(k));
    validateNode(v, fieldAtom(atom, k), path, errors);
    path.pop();
  }
}
