/**
 * SQLite schema of the LogBuffer, as numbered migrations (applied by
 * `migrate` from ./schema). Entry sequence numbers are assigned by the
 * store from `meta.last_seq`, never reused, and entries are only ever
 * deleted oldest-first, so the stored seqs are always one contiguous range.
 */
export const LOG_MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`,
    `INSERT INTO meta (key, value) VALUES ('last_seq', 0), ('bytes', 0), ('evicted', 0), ('isolate_dropped', 0)`,
    `CREATE TABLE entries (
       seq INTEGER PRIMARY KEY,
       at INTEGER NOT NULL,
       bytes INTEGER NOT NULL,
       line TEXT NOT NULL
     )`,
    `CREATE TABLE sinks (
       name TEXT PRIMARY KEY,
       config TEXT NOT NULL,
       cursor INTEGER NOT NULL,
       shipped INTEGER NOT NULL DEFAULT 0,
       dropped INTEGER NOT NULL DEFAULT 0,
       failures INTEGER NOT NULL DEFAULT 0,
       next_attempt_at INTEGER,
       last_error TEXT,
       last_attempt_at INTEGER,
       last_success_at INTEGER,
       created_at INTEGER NOT NULL,
       updated_at INTEGER NOT NULL
     )`,
    `CREATE TABLE counters (series TEXT PRIMARY KEY, value REAL NOT NULL)`,
  ],
];
