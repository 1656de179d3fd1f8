// SQLite store (the embedded default), in the style of kine: one append-only
// table where the row id is the revision.
//
//   kv(id = revision, name, created, deleted, create_revision, prev_revision, value)
//
// Every write appends one row: a create (created=1), an update, or a deletion
// (deleted=1, carrying the last value). A key's state at revision R is its
// newest row with id <= R, unless that row is a deletion. `prev_revision` links
// a row to the key's previous row (0 for a create), which gives watch events
// their `prev`. Compaction deletes rows nobody can read any more.
//
// Durability: WAL journal. With synchronous=NORMAL (the default) a commit is
// written to the WAL before the call returns, so it survives the process being
// killed (kill -9, crash); an OS crash or power loss may lose the last commits
// (never corrupt the file). synchronous=FULL fsyncs each commit and survives
// power loss too, at a large cost in write throughput.
//
// Single writer: this object must be the only writer of the file, because it
// keeps the current revision in memory and delivers watch events itself. By
// default the file is opened with locking_mode=EXCLUSIVE, so a second process
// (or a second SqliteStore) opening the same file fails with SQLITE_BUSY
// instead of silently corrupting revisions.

import Database from 'better-sqlite3';
import { compareKeys, prefixEnd } from './keys.js';
import { WatchHub } from './watch-hub.js';
import {
  StoreError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type StoreEvent,
  type Unwatch,
} from './types.js';

export interface SqliteStoreOptions {
  /**
   * 'NORMAL' (default): durable across process crashes / kill -9.
   * 'FULL': also durable across OS crashes and power loss; much slower writes.
   */
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * Hold an exclusive lock on the file for as long as the store is open
   * (default true), so no other connection can read or write it meanwhile.
   */
  exclusive?: boolean;
  /** How long to wait for a lock held by another connection (ms, default 5000). */
  busyTimeoutMs?: number;
}

interface Row {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  value: string;
}

interface HistoryRow extends Row {
  prev_value: string | null;
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS kv_name_id_deleted ON kv (name, id, deleted);
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
`;

const COLS = 'id, name, created, deleted, create_revision, prev_revision, value';

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private rev: number;
  private compacted: number;
  private hub = new WatchHub();
  private closed = false;
  private stmts = new Map<string, Database.Statement>();

  private readonly latestStmt: Database.Statement<[string], Row>;
  private readonly existsStmt: Database.Statement<[string], number>;
  private readonly atStmt: Database.Statement<[string, number], Row>;
  private readonly insertStmt: Database.Statement<[number, string, number, number, number, number, string]>;

  static open(path: string, opts?: SqliteStoreOptions): SqliteStore {
    return new SqliteStore(path, opts);
  }

  constructor(
    readonly path: string,
    opts: SqliteStoreOptions = {},
  ) {
    const synchronous = opts.synchronous ?? 'NORMAL';
    if (synchronous !== 'NORMAL' && synchronous !== 'FULL') throw new TypeError(`bad synchronous mode ${synchronous}`);
    const db = new Database(path, { timeout: opts.busyTimeoutMs ?? 5000 });
    try {
      if (opts.exclusive ?? true) db.pragma('locking_mode = EXCLUSIVE');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal' && path !== ':memory:' && path !== '') {
        throw new Error(`sqlite: could not enable WAL journal mode (got ${String(mode)})`);
      }
      db.pragma(`synchronous = ${synchronous}`);
      db.transaction(() => {
        db.exec(SCHEMA);
        const version = db.prepare(`SELECT value FROM meta WHERE name = 'schema_version'`).pluck().get() as
          | number
          | undefined;
        if (version === undefined) {
          db.prepare(`INSERT INTO meta (name, value) VALUES ('schema_version', ?)`).run(SCHEMA_VERSION);
        } else if (version !== SCHEMA_VERSION) {
          throw new Error(`sqlite: unsupported schema version ${version} in ${path}`);
        }
        // The current revision is AUTOINCREMENT's sequence (the largest id
        // ever used), which never goes back, whatever compaction deletes.
        // Seed it with 1 so an empty store is at revision 1.
        const seq = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'kv'`).pluck().get() as number | undefined;
        if (seq === undefined) db.prepare(`INSERT INTO sqlite_sequence (name, seq) VALUES ('kv', 1)`).run();
      }).immediate();
      const seq = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'kv'`).pluck().get() as number;
      const maxId = (db.prepare(`SELECT MAX(id) FROM kv`).pluck().get() as number | null) ?? 0;
      this.compacted =
        (db.prepare(`SELECT value FROM meta WHERE name = 'compact_revision'`).pluck().get() as number | undefined) ?? 0;
      this.rev = Math.max(1, seq, maxId, this.compacted);
    } catch (err) {
      db.close();
      throw err;
    }
    this.db = db;
    this.latestStmt = db.prepare(`SELECT ${COLS} FROM kv WHERE name = ? ORDER BY id DESC LIMIT 1`);
    this.existsStmt = db
      .prepare<[string], number>(`SELECT deleted = 0 FROM kv WHERE name = ? ORDER BY id DESC LIMIT 1`)
      .pluck();
    this.atStmt = db.prepare(`SELECT ${COLS} FROM kv WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1`);
    this.insertStmt = db.prepare(
      `INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.rev;
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.compacted;
  }

  async get(key: string, opts?: { revision?: number }): Promise<KeyValue | undefined> {
    this.checkOpen();
    const rev = this.readRevision(opts?.revision);
    const row = rev === this.rev ? this.latestStmt.get(key) : this.atStmt.get(key, rev);
    return row && !row.deleted ? toKv(row) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const rev = this.readRevision(opts.revision);
    const limit = opts.limit && opts.limit > 0 ? Math.floor(opts.limit) : 0;
    const from = opts.startKey !== undefined && compareKeys(opts.startKey, prefix) > 0 ? opts.startKey : prefix;
    const end = prefixEnd(prefix);
    const params: Record<string, string | number> = { from, rev };
    if (end !== undefined) params.end = end;
    // Rows that are the newest of their key at `rev` and not deletions. The
    // query walks the (name, id, deleted) index in name order, so it can stop
    // after one page, and reads a row's value only when the row qualifies.
    const range = end === undefined ? 'k.name >= @from' : 'k.name >= @from AND k.name < @end';
    const rows = this.stmt<Row>(
      `SELECT ${COLS} FROM kv k
       WHERE ${range} AND k.id <= @rev AND k.deleted = 0
         AND NOT EXISTS (SELECT 1 FROM kv n WHERE n.name = k.name AND n.id > k.id AND n.id <= @rev)
       ORDER BY k.name LIMIT @limit`,
    ).all({ ...params, limit: limit > 0 ? limit : -1 });
    let remaining = 0;
    if (limit > 0 && rows.length === limit) {
      // Counting is cheaper as a grouped scan of the covering index: the bare
      // column `deleted` comes from the row holding MAX(id) (SQLite semantics).
      const countRange = end === undefined ? 'name > @after' : 'name > @after AND name < @end';
      remaining = this.stmt(
        `SELECT COUNT(*) FROM (SELECT MAX(id), deleted FROM kv
           WHERE ${countRange} AND id <= @rev GROUP BY name HAVING deleted = 0)`,
      )
        .pluck()
        .get(end === undefined ? { rev, after: rows[rows.length - 1]!.name } : { rev, end, after: rows[rows.length - 1]!.name }) as number;
    }
    return { items: rows.map(toKv), revision: rev, more: remaining > 0, remaining };
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.checkOpen();
    if (this.existsStmt.get(key)) {
      throw new StoreError('AlreadyExists', `key ${JSON.stringify(key)} already exists`, toKv(this.latestStmt.get(key)!));
    }
    const rev = this.rev + 1;
    this.insertStmt.run(rev, key, 1, 0, rev, 0, value);
    this.rev = rev;
    const kv: KeyValue = Object.freeze({ key, value, createRevision: rev, modRevision: rev });
    if (this.hub.size > 0) this.hub.publish(Object.freeze({ type: 'create', kv }));
    return kv;
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    this.checkOpen();
    const prevRow = this.latestStmt.get(key);
    if (!prevRow || prevRow.deleted) throw new StoreError('NotFound', `key ${JSON.stringify(key)} not found`);
    const prev = toKv(prevRow);
    if (prev.modRevision !== expectedModRevision) {
      throw new StoreError(
        'Conflict',
        `key ${JSON.stringify(key)} is at revision ${prev.modRevision}, not ${expectedModRevision}`,
        prev,
      );
    }
    const rev = this.rev + 1;
    this.insertStmt.run(rev, key, 0, 0, prev.createRevision, prev.modRevision, value);
    this.rev = rev;
    const kv: KeyValue = Object.freeze({ key, value, createRevision: prev.createRevision, modRevision: rev });
    if (this.hub.size > 0) this.hub.publish(Object.freeze({ type: 'update', kv, prev }));
    return kv;
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    this.checkOpen();
    const prevRow = this.latestStmt.get(key);
    if (!prevRow || prevRow.deleted) throw new StoreError('NotFound', `key ${JSON.stringify(key)} not found`);
    const prev = toKv(prevRow);
    if (expectedModRevision !== undefined && prev.modRevision !== expectedModRevision) {
      throw new StoreError(
        'Conflict',
        `key ${JSON.stringify(key)} is at revision ${prev.modRevision}, not ${expectedModRevision}`,
        prev,
      );
    }
    const rev = this.rev + 1;
    this.insertStmt.run(rev, key, 0, 1, prev.createRevision, prev.modRevision, prev.value);
    this.rev = rev;
    const kv: KeyValue = Object.freeze({ ...prev, modRevision: rev });
    if (this.hub.size > 0) this.hub.publish(Object.freeze({ type: 'delete', kv, prev }));
    return kv;
  }

  async watch(prefix: string, afterRevision: number, onEvent: (event: StoreEvent) => void): Promise<Unwatch> {
    this.checkOpen();
    this.checkRevision(afterRevision);
    const history: StoreEvent[] = [];
    if (afterRevision < this.rev) {
      const end = prefixEnd(prefix);
      // Watches usually start from a recent revision: then walking the ids
      // after it is cheapest, and the unary + keeps SQLite off the name index.
      // From far back, the name index may be better; let the planner choose.
      const n = this.rev - afterRevision <= 20000 ? '+k.name' : 'k.name';
      const range = end === undefined ? `${n} >= @prefix` : `${n} >= @prefix AND ${n} < @end`;
      const params: Record<string, string | number> = { prefix, after: afterRevision };
      if (end !== undefined) params.end = end;
      const rows = this.stmt<HistoryRow>(
        `SELECT k.id, k.name, k.created, k.deleted, k.create_revision, k.prev_revision, k.value, p.value AS prev_value
         FROM kv k LEFT JOIN kv p ON p.id = k.prev_revision
         WHERE k.id > @after AND ${range} ORDER BY k.id`,
      ).all(params);
      for (const row of rows) history.push(toEvent(row));
    }
    return this.hub.add(prefix, this.rev, history, onEvent);
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (revision > this.rev) {
      throw new StoreError('FutureRevision', `cannot compact at revision ${revision}: current revision is ${this.rev}`);
    }
    if (revision <= this.compacted) return;
    const old = this.compacted;
    this.db
      .transaction(() => {
        // Rows superseded at or before `revision`: the predecessors of rows
        // written in (old, revision]. Older predecessors went in earlier
        // compactions.
        this.stmt(
          `DELETE FROM kv WHERE id IN (
             SELECT prev_revision FROM kv WHERE id > @old AND id <= @rev AND prev_revision > 0)`,
        ).run({ old, rev: revision });
        // Deletion rows below `revision` that are still the newest row of
        // their key: nothing at or after `revision` can observe them.
        this.stmt(`DELETE FROM kv WHERE id >= @old AND id < @rev AND deleted = 1`).run({ old, rev: revision });
        this.stmt(
          `INSERT INTO meta (name, value) VALUES ('compact_revision', @rev)
           ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
        ).run({ rev: revision });
      })
      .immediate();
    this.compacted = revision;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.close();
    this.stmts.clear();
    this.db.close();
  }

  /** Runs `PRAGMA integrity_check`; returns 'ok' for a healthy file. */
  async integrityCheck(): Promise<string> {
    this.checkOpen();
    const rows = this.db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    return rows.map((r) => r.integrity_check).join('\n');
  }

  // --- internals ---

  private stmt<R = unknown>(sql: string): Database.Statement<unknown[], R> {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s as Database.Statement<unknown[], R>;
  }

  private readRevision(revision: number | undefined): number {
    if (revision === undefined || revision === 0) return this.rev;
    this.checkRevision(revision);
    return revision;
  }

  private checkRevision(revision: number): void {
    if (revision < this.compacted) {
      throw new StoreError('TooOld', `revision ${revision} has been compacted (oldest available is ${this.compacted})`);
    }
    if (revision > this.rev) {
      throw new StoreError('FutureRevision', `revision ${revision} is newer than the current revision ${this.rev}`);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('Closed', 'store is closed');
  }
}

/** The state a (non-deletion) row wrote. */
function toKv(row: Row): KeyValue {
  return Object.freeze({ key: row.name, value: row.value, createRevision: row.create_revision, modRevision: row.id });
}

function toEvent(row: HistoryRow): StoreEvent {
  if (row.deleted) {
    const prev: KeyValue = {
      key: row.name,
      value: row.value,
      createRevision: row.create_revision,
      modRevision: row.prev_revision,
    };
    return { type: 'delete', kv: { ...prev, modRevision: row.id }, prev };
  }
  const kv = toKv(row);
  if (row.created) return { type: 'create', kv };
  if (row.prev_value === null) return { type: 'update', kv };
  const prev: KeyValue = {
    key: row.name,
    value: row.prev_value,
    createRevision: row.create_revision,
    modRevision: row.prev_revision,
  };
  return { type: 'update', kv, prev };
}
