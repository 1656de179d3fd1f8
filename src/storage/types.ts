// The storage interface every backend implements. It is deliberately shaped
// like etcd v3 (one global revision, create/mod revisions per key, guarded
// updates, watch from a revision, compaction) so an etcd backend fits later.

/** One stored key at one revision. `value` is the serialized object. */
export interface KeyValue {
  key: string;
  value: string;
  /** Revision at which the key was (last) created. */
  createRevision: number;
  /** Revision of the last write to the key; becomes metadata.resourceVersion. */
  modRevision: number;
}

/**
 * A change to one key. For `create` and `update`, `kv` is the new state.
 * For `delete`, `kv` is the last state with `modRevision` set to the revision
 * of the deletion. `prev` is the state before the change (update, delete).
 */
export interface StoreEvent {
  type: 'create' | 'update' | 'delete';
  kv: KeyValue;
  prev?: KeyValue;
}

export interface ListOptions {
  /** At most this many items (0 or undefined: no limit). */
  limit?: number;
  /** Start listing at this key (inclusive); must start with the prefix. */
  startKey?: string;
  /** Read at this revision (undefined: the current revision). */
  revision?: number;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at. */
  revision: number;
  /** True when keys beyond the returned page exist under the prefix. */
  more: boolean;
  /** How many keys under the prefix come after the returned page (when `more`). */
  remaining: number;
}

export type StoreErrorCode = 'AlreadyExists' | 'NotFound' | 'Conflict' | 'TooOld' | 'FutureRevision' | 'Closed';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** For Conflict: the current state of the key. */
    readonly current?: KeyValue,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export type Unwatch = () => void;

export interface Store {
  /** Current (latest committed) revision; 1 for an empty store. */
  currentRevision(): Promise<number>;
  /** Oldest revision still readable: reads and watches below it fail with TooOld. */
  compactedRevision(): Promise<number>;
  get(key: string, opts?: { revision?: number }): Promise<KeyValue | undefined>;
  /** Keys under `prefix`, in key order. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Fails with AlreadyExists if the key exists. */
  create(key: string, value: string): Promise<KeyValue>;
  /** Fails with NotFound, or Conflict if the key's modRevision is not `expectedModRevision`. */
  update(key: string, value: string, expectedModRevision: number): Promise<KeyValue>;
  /**
   * Deletes the key; returns its last state with modRevision set to the
   * deletion revision. Fails with NotFound, or Conflict when
   * `expectedModRevision` is given and differs.
   */
  delete(key: string, expectedModRevision?: number): Promise<KeyValue>;
  /**
   * Calls `onEvent` for every change under `prefix` with a revision greater
   * than `afterRevision`, in revision order: first the history, then live
   * changes. Fails with TooOld if `afterRevision` is below the compacted
   * revision.
   */
  watch(prefix: string, afterRevision: number, onEvent: (event: StoreEvent) => void): Promise<Unwatch>;
  /** Forget history up to (not including) `revision`. */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}
