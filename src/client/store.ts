// The informer's local cache: objects by key (`namespace/name`, or `name`
// for cluster-scoped objects) plus secondary indexes. JavaScript runs one
// callback at a time, so each method is atomic without locks; what a caller
// must still respect is that returned objects are shared with every other
// consumer and must be treated as read-only (copy with `clone` first).

/** What `onDelete` receives when the final state of a deleted object was missed (for example across a relist). */
export interface DeletedFinalStateUnknown<T = any> {
  deletedFinalStateUnknown: true;
  key: string;
  /** The last state this cache saw; may be stale. */
  obj: T;
}

export function isTombstone(x: unknown): x is DeletedFinalStateUnknown {
  return typeof x === 'object' && x !== null && (x as any).deletedFinalStateUnknown === true;
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function metaNamespaceKey(obj: any): string {
  const m = obj?.metadata;
  if (!m || typeof m.name !== 'string') throw new Error('object has no metadata.name');
  return m.namespace ? `${m.namespace}/${m.name}` : m.name;
}

/** Like metaNamespaceKey, but a tombstone yields the key it carries. */
export function deletionHandlingKey(obj: any): string {
  return isTombstone(obj) ? obj.key : metaNamespaceKey(obj);
}

export function splitMetaNamespaceKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  if (i < 0) return { namespace: '', name: key };
  if (key.indexOf('/', i + 1) >= 0) throw new Error(`unexpected key format: ${JSON.stringify(key)}`);
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** The object inside a tombstone, or the object itself. */
export function objectOf<T>(objOrTombstone: T | DeletedFinalStateUnknown<T>): T {
  return isTombstone(objOrTombstone) ? (objOrTombstone.obj as T) : (objOrTombstone as T);
}

/** A deep copy that is safe to mutate (objects from a cache are shared). */
export function clone<T>(obj: T): T {
  return structuredClone(obj);
}

/** Deep-freezes an object: for tests and debug runs that want mutation of shared cache objects to throw. */
export function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object' && !Object.isFrozen(obj)) {
    Object.freeze(obj);
    for (const v of Object.values(obj as object)) deepFreeze(v);
  }
  return obj;
}

/** Computes the index values of an object (an object may be in several buckets or none). */
export type IndexFunc<T = any> = (obj: T) => string[];
export type Indexers<T = any> = Record<string, IndexFunc<T>>;

export const NAMESPACE_INDEX = 'namespace';

export function namespaceIndexFunc(obj: any): string[] {
  return [obj?.metadata?.namespace ?? ''];
}

export class Indexer<T = any> {
  private items = new Map<string, T>();
  private indexers: Indexers<T> = {};
  /** index name -> index value -> keys */
  private indices = new Map<string, Map<string, Set<string>>>();

  constructor(
    indexers: Indexers<T> = {},
    private readonly keyFunc: (obj: T) => string = metaNamespaceKey,
  ) {
    this.addIndexers({ [NAMESPACE_INDEX]: namespaceIndexFunc, ...indexers });
  }

  /** Adds indexers; existing objects are indexed at once. Re-adding a name fails. */
  addIndexers(indexers: Indexers<T>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.indexers[name]) {
        if (this.indexers[name] === fn) continue;
        throw new Error(`indexer ${JSON.stringify(name)} already exists`);
      }
      this.indexers[name] = fn;
      const index = new Map<string, Set<string>>();
      this.indices.set(name, index);
      for (const [key, obj] of this.items) addToIndex(index, fn(obj), key);
    }
  }

  hasIndexer(name: string): boolean {
    return name in this.indexers;
  }

  keyOf(obj: T): string {
    return this.keyFunc(obj);
  }

  /** Adds or replaces; returns the previous object under the key. */
  set(obj: T): T | undefined {
    const key = this.keyFunc(obj);
    const old = this.items.get(key);
    this.items.set(key, obj);
    for (const [name, fn] of Object.entries(this.indexers)) {
      const index = this.indices.get(name)!;
      if (old !== undefined) removeFromIndex(index, fn(old), key);
      addToIndex(index, fn(obj), key);
    }
    return old;
  }

  /** Removes by key; returns the removed object. */
  deleteKey(key: string): T | undefined {
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    this.items.delete(key);
    for (const [name, fn] of Object.entries(this.indexers)) removeFromIndex(this.indices.get(name)!, fn(old), key);
    return old;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  /** Looks an object up by the key of the given object (handy for `get(namespace, name)`-style lookups). */
  getByObject(obj: T): T | undefined {
    return this.items.get(this.keyFunc(obj));
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  get size(): number {
    return this.items.size;
  }

  /** Objects whose index function yields `value` for the named index. */
  byIndex(indexName: string, value: string): T[] {
    const out: T[] = [];
    for (const key of this.indexKeys(indexName, value)) {
      const o = this.items.get(key);
      if (o !== undefined) out.push(o);
    }
    return out;
  }

  /** Keys of the objects in an index bucket. */
  indexKeys(indexName: string, value: string): string[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`index ${JSON.stringify(indexName)} does not exist`);
    return [...(index.get(value) ?? [])];
  }

  /** The values present in an index (the buckets). */
  listIndexValues(indexName: string): string[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`index ${JSON.stringify(indexName)} does not exist`);
    return [...index.keys()];
  }

  clear(): void {
    this.items.clear();
    for (const index of this.indices.values()) index.clear();
  }
}

function addToIndex(index: Map<string, Set<string>>, values: string[], key: string): void {
  for (const v of values) {
    let set = index.get(v);
    if (!set) index.set(v, (set = new Set()));
    set.add(key);
  }
}

function removeFromIndex(index: Map<string, Set<string>>, values: string[], key: string): void {
  for (const v of values) {
    const set = index.get(v);
    if (!set) continue;
    set.delete(key);
    if (set.size === 0) index.delete(v);
  }
}
