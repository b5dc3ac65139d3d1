import type { Webhook, WebhookInput } from "../src/model/webhook";
import { iso } from "../src/model/time";
import type { EventRow } from "./rows";

/** A `webhooks` row. */
export interface WebhookRow {
  name: string;
  url: string;
  events: string;
  secret: string;
  cursor: number;
  delivered: number;
  failures: number;
  last_error: string | null;
  last_attempt_at: number | null;
  last_success_at: number | null;
  next_attempt_at: number | null;
  updated_at: number;
  [key: string]: SqlStorageValue;
}

// Health transitions only: intention changes are events too (policy-ops.ts), under origin `intention:<source>`.
const HEALTH = `origin NOT LIKE 'intention:%'`;

/** The `webhooks` table's SQL: one method per statement, no business rules. */
export class WebhookStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Creates (starting after the newest event) or replaces a webhook; its delivery state is kept on replace. */
  put(name: string, input: WebhookInput, now: number): boolean {
    const existing = this.row(name) !== null;
    const newest = this.sql.exec<{ s: number | null }>(`SELECT MAX(seq) AS s FROM events`).one().s ?? 0;
    this.sql.exec(
      `INSERT INTO webhooks (name, url, events, secret, cursor, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET url = excluded.url, events = excluded.events, secret = excluded.secret,
         updated_at = excluded.updated_at, failures = 0, next_attempt_at = NULL`,
      name,
      input.url,
      JSON.stringify(input.events),
      input.secret,
      newest,
      now,
    );
    return !existing;
  }

  row(name: string): WebhookRow | null {
    return this.sql.exec<WebhookRow>(`SELECT * FROM webhooks WHERE name = ?`, name).toArray()[0] ?? null;
  }

  rows(): WebhookRow[] {
    return this.sql.exec<WebhookRow>(`SELECT * FROM webhooks ORDER BY name`).toArray();
  }

  delete(name: string): boolean {
    return this.sql.exec(`DELETE FROM webhooks WHERE name = ?`, name).rowsWritten > 0;
  }

  /** Health events after `cursor`, oldest first. */
  eventsAfter(cursor: number, limit: number): EventRow[] {
    return this.sql
      .exec<EventRow>(`SELECT * FROM events WHERE seq > ? AND ${HEALTH} ORDER BY seq LIMIT ?`, cursor, limit)
      .toArray();
  }

  pending(cursor: number): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM events WHERE seq > ? AND ${HEALTH}`, cursor).one().n;
  }

  /** When the alarm must next deliver: the earliest due webhook with something pending; null if none. */
  nextDue(): number | null {
    return this.sql
      .exec<{ t: number | null }>(
        `SELECT MIN(COALESCE(w.next_attempt_at, 0)) AS t FROM webhooks w
         WHERE EXISTS (SELECT 1 FROM events e WHERE e.seq > w.cursor AND e.${HEALTH})`,
      )
      .one().t;
  }

  sent(name: string, seq: number, now: number): void {
    this.sql.exec(
      `UPDATE webhooks SET cursor = ?, delivered = delivered + 1, failures = 0, last_error = NULL,
         last_attempt_at = ?, last_success_at = ?, next_attempt_at = NULL WHERE name = ?`,
      seq,
      now,
      now,
      name,
    );
  }

  failed(name: string, error: string, now: number, next: number): void {
    this.sql.exec(
      `UPDATE webhooks SET failures = failures + 1, last_error = ?, last_attempt_at = ?, next_attempt_at = ? WHERE name = ?`,
      error,
      now,
      next,
      name,
    );
  }
}

/** A webhook as the API shows it (never its secret). */
export function toWebhook(row: WebhookRow, pending: number): Webhook {
  return {
    name: row.name,
    url: row.url,
    events: JSON.parse(row.events) as Webhook["events"],
    status: {
      pending,
      delivered: row.delivered,
      consecutive_failures: row.failures,
      last_error: row.last_error,
      last_attempt_at: iso(row.last_attempt_at),
      last_success_at: iso(row.last_success_at),
      next_attempt_at: iso(row.next_attempt_at),
    },
  };
}
