import type { EventRow, OriginRow, ServiceRow } from "./rows";

/** Most events kept; older ones are pruned as new ones arrive. */
export const MAX_EVENTS = 10_000;

/**
 * The Registry's SQL: one method per statement, no business rules. All
 * methods are synchronous, so a caller's sequence of them runs without
 * interleaving other requests (the Durable Object's input gate).
 */
export class RegistryStore {
  /**
   * `onBump` runs after every version bump (still inside the caller's
   * transaction); `onWrite` after every write of a service (id null: its
   * row, or the service with its origins deleted) or origin row.
   */
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly onBump: () => void = () => {},
    private readonly onWrite: (service: string, id: string | null) => void = () => {},
  ) {}

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  /** Runs `fn` in one SQLite transaction. */
  transaction<T>(fn: () => T): T {
    return this.storage.transactionSync(fn);
  }

  version(): number {
    return this.sql.exec<{ value: number }>(`SELECT value FROM meta WHERE key = 'version'`).one().value;
  }

  /** Marks a routing-relevant change; returns the new version. */
  bump(): number {
    const version = this.sql
      .exec<{ value: number }>(`UPDATE meta SET value = value + 1 WHERE key = 'version' RETURNING value`)
      .one().value;
    this.onBump();
    return version;
  }

  serviceRows(): ServiceRow[] {
    return this.sql.exec<ServiceRow>(`SELECT * FROM services ORDER BY name`).toArray();
  }

  serviceRow(name: string): ServiceRow | null {
    return this.sql.exec<ServiceRow>(`SELECT * FROM services WHERE name = ?`, name).toArray()[0] ?? null;
  }

  insertService(name: string, config: string, now: number): void {
    this.sql.exec(
      `INSERT INTO services (name, config, created_at, updated_at) VALUES (?, ?, ?, ?)`,
      name,
      config,
      now,
      now,
    );
    this.onWrite(name, null);
  }

  updateService(name: string, config: string, now: number): void {
    this.sql.exec(`UPDATE services SET config = ?, updated_at = ? WHERE name = ?`, config, now, name);
    this.onWrite(name, null);
  }

  deleteService(name: string): void {
    this.sql.exec(`DELETE FROM region_checks WHERE service = ?`, name);
    this.sql.exec(`DELETE FROM origins WHERE service = ?`, name);
    this.sql.exec(`DELETE FROM services WHERE name = ?`, name);
    this.onWrite(name, null);
  }

  setNextCheck(name: string, at: number | null): void {
    this.sql.exec(`UPDATE services SET next_check_at = ? WHERE name = ?`, at, name);
  }

  /** Takes the next server-chosen origin number of a service. */
  takeOriginSeq(name: string): number {
    return this.sql
      .exec<{ seq: number }>(
        `UPDATE services SET next_origin_seq = next_origin_seq + 1 WHERE name = ? RETURNING next_origin_seq - 1 AS seq`,
        name,
      )
      .one().seq;
  }

  countServices(): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM services`).one().n;
  }

  countOrigins(service: string): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM origins WHERE service = ?`, service).one().n;
  }

  /**
   * The stored rows' share of a routing snapshot, in bytes: the services'
   * configs, and per origin its variable fields plus `perOrigin` for the rest.
   */
  snapshotBytes(perOrigin: number): number {
    const services = this.sql
      .exec<{ n: number }>(`SELECT COALESCE(SUM(LENGTH(config) + LENGTH(name)), 0) AS n FROM services`)
      .one().n;
    const origins = this.sql
      .exec<{ n: number }>(
        `SELECT COALESCE(SUM(LENGTH(url) + LENGTH(id) + LENGTH(service) + LENGTH(tags) + LENGTH(metadata)
           + COALESCE(LENGTH(zone), 0) + ?), 0) AS n FROM origins`,
        perOrigin,
      )
      .one().n;
    return services + origins;
  }

  originRows(service?: string): OriginRow[] {
    return service === undefined
      ? this.sql.exec<OriginRow>(`SELECT * FROM origins ORDER BY service, id`).toArray()
      : this.sql.exec<OriginRow>(`SELECT * FROM origins WHERE service = ? ORDER BY id`, service).toArray();
  }

  originRow(service: string, id: string): OriginRow | null {
    return (
      this.sql.exec<OriginRow>(`SELECT * FROM origins WHERE service = ? AND id = ?`, service, id).toArray()[0] ?? null
    );
  }

  /** Inserts or replaces a whole origin row. */
  writeOrigin(row: OriginRow): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO origins (service, id, url, weight, zone, tags, metadata, enabled, drain, ttl_s,
         created_at, updated_at, last_heartbeat_at, status, status_since, health, wake_at, next_check_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      row.service,
      row.id,
      row.url,
      row.weight,
      row.zone,
      row.tags,
      row.metadata,
      row.enabled,
      row.drain,
      row.ttl_s,
      row.created_at,
      row.updated_at,
      row.last_heartbeat_at,
      row.status,
      row.status_since,
      row.health,
      row.wake_at,
      row.next_check_at,
    );
    this.onWrite(row.service, row.id);
  }

  /** Origins whose wake time has come. */
  dueOrigins(now: number): OriginRow[] {
    return this.sql.exec<OriginRow>(`SELECT * FROM origins WHERE wake_at IS NOT NULL AND wake_at <= ?`, now).toArray();
  }

  /** Enabled origins of services with checks whose check is due, the most overdue (never scheduled) first. */
  dueChecks(now: number, limit: number): OriginRow[] {
    return this.sql
      .exec<OriginRow>(
        `SELECT o.* FROM origins o JOIN services s ON s.name = o.service
         WHERE s.next_check_at IS NOT NULL AND o.enabled = 1 AND (o.next_check_at IS NULL OR o.next_check_at <= ?)
         ORDER BY o.next_check_at LIMIT ?`,
        now,
        limit,
      )
      .toArray();
  }

  setOriginNextCheck(service: string, id: string, at: number | null): void {
    this.sql.exec(`UPDATE origins SET next_check_at = ? WHERE service = ? AND id = ?`, at, service, id);
  }

  /** Makes every origin of a service due for a check at `at`. */
  scheduleChecks(service: string, at: number): void {
    this.sql.exec(`UPDATE origins SET next_check_at = ? WHERE service = ?`, at, service);
  }

  /** The earliest time anything needs the alarm (a due check, an origin's deadline), or null. */
  nextWake(): number | null {
    return this.sql
      .exec<{ t: number | null }>(
        `SELECT MIN(t) AS t FROM (
           SELECT MIN(COALESCE(o.next_check_at, 0)) AS t FROM origins o JOIN services s ON s.name = o.service
           WHERE s.next_check_at IS NOT NULL AND o.enabled = 1
           UNION ALL SELECT MIN(wake_at) FROM origins)`,
      )
      .one().t;
  }

  deleteOrigin(service: string, id: string): boolean {
    this.sql.exec(`DELETE FROM region_checks WHERE service = ? AND origin = ?`, service, id);
    const deleted = this.sql.exec(`DELETE FROM origins WHERE service = ? AND id = ?`, service, id).rowsWritten > 0;
    if (deleted) this.onWrite(service, id);
    return deleted;
  }

  addEvent(at: number, service: string, origin: string, from: string, to: string, reason: string): void {
    this.sql.exec(
      `INSERT INTO events (at, service, origin, from_status, to_status, reason) VALUES (?, ?, ?, ?, ?, ?)`,
      at,
      service,
      origin,
      from,
      to,
      reason,
    );
    this.sql.exec(`DELETE FROM events WHERE seq <= (SELECT MAX(seq) FROM events) - ?`, MAX_EVENTS);
  }

  /** Newest first. */
  events(service: string | null, limit: number): EventRow[] {
    return service === null
      ? this.sql.exec<EventRow>(`SELECT * FROM events ORDER BY seq DESC LIMIT ?`, limit).toArray()
      : this.sql
          .exec<EventRow>(`SELECT * FROM events WHERE service = ? ORDER BY seq DESC LIMIT ?`, service, limit)
          .toArray();
  }
}
