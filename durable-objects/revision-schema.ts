/**
 * Migration of the Registry for SPEC §10: every change applied through
 * `POST /apply` (or a rollback) is a numbered revision with who made it.
 */
export const REVISION_MIGRATION: readonly string[] = [
  `CREATE TABLE revisions (
     revision INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     by TEXT NOT NULL,
     changes TEXT NOT NULL
   )`,
];
