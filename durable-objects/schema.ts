import { POLICY_MIGRATION } from "./policy-schema";
import { REGION_MIGRATION } from "./region-schema";
import { REVISION_MIGRATION } from "./revision-schema";
import { WEBHOOK_MIGRATION } from "./webhook-schema";

/**
 * SQLite schema of the Registry, as numbered migrations. A migration is
 * applied once, in order, inside one transaction with its bookkeeping row,
 * so a crash mid-migration leaves the database at the previous version.
 */
export const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`,
    `INSERT INTO meta (key, value) VALUES ('version', 0)`,
    `CREATE TABLE services (
       name TEXT PRIMARY KEY,
       config TEXT NOT NULL,
       created_at INTEGER NOT NULL,
       updated_at INTEGER NOT NULL,
       next_origin_seq INTEGER NOT NULL DEFAULT 1,
       next_check_at INTEGER
     )`,
    `CREATE TABLE origins (
       service TEXT NOT NULL,
       id TEXT NOT NULL,
       url TEXT NOT NULL,
       weight INTEGER NOT NULL,
       zone TEXT,
       tags TEXT NOT NULL,
       metadata TEXT NOT NULL,
       enabled INTEGER NOT NULL,
       drain INTEGER NOT NULL,
       ttl_s INTEGER,
       created_at INTEGER NOT NULL,
       updated_at INTEGER NOT NULL,
       last_heartbeat_at INTEGER NOT NULL,
       status TEXT NOT NULL,
       status_since INTEGER NOT NULL,
       health TEXT NOT NULL,
       wake_at INTEGER,
       PRIMARY KEY (service, id)
     )`,
    `CREATE INDEX origins_by_wake ON origins (wake_at) WHERE wake_at IS NOT NULL`,
    `CREATE TABLE events (
       seq INTEGER PRIMARY KEY AUTOINCREMENT,
       at INTEGER NOT NULL,
       service TEXT NOT NULL,
       origin TEXT NOT NULL,
       from_status TEXT NOT NULL,
       to_status TEXT NOT NULL,
       reason TEXT NOT NULL
     )`,
    `CREATE INDEX events_by_service ON events (service, seq)`,
  ],
  // 2: active checks scheduled per origin (durable-objects/health-loop.ts). NULL means "due now", so rows
  // written by an older version (which does not know the column) are checked at once. `services.next_check_at`
  // stays: this version reads it only as "checks are configured" (non-null), and keeps it as an older version
  // expects (a past time: a round at once), so `wrangler rollback` finds a schema it can run.
  [
    `ALTER TABLE origins ADD COLUMN next_check_at INTEGER`,
    `CREATE INDEX origins_by_next_check ON origins (next_check_at)`,
  ],
  // 3: per-region health of services with health_check.regions (durable-objects/region-schema.ts).
  REGION_MIGRATION,
  // 4: intentions and certificate identities (SPEC §9; durable-objects/policy-schema.ts).
  POLICY_MIGRATION,
  // 5: revisions of declarative applies (SPEC §10; durable-objects/revision-schema.ts).
  REVISION_MIGRATION,
  // 6: webhooks and their delivery state (SPEC §10; durable-objects/webhook-schema.ts).
  WEBHOOK_MIGRATION,
];

/** Brings the database up to the newest schema (the Registry's unless `migrations` names another); returns the version it is now at. */
export function migrate(
  storage: DurableObjectStorage,
  migrations: readonly (readonly string[])[] = MIGRATIONS,
): number {
  const sql = storage.sql;
  sql.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`);
  const row = sql.exec<{ v: number | null }>(`SELECT MAX(version) AS v FROM schema_migrations`).one();
  let current = row.v ?? 0;
  while (current < migrations.length) {
    const next = current + 1;
    storage.transactionSync(() => {
      for (const statement of migrations[current]!) sql.exec(statement);
      sql.exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, next, Date.now());
    });
    current = next;
  }
  return current;
}
