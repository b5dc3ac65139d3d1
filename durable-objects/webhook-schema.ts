/**
 * Migration of the Registry for SPEC §10's webhooks: each webhook's
 * configuration and delivery state. `cursor` is the last event (events.seq)
 * it was sent or skipped, so a webhook is at-least-once per transition and
 * in order; a new webhook starts at the newest event.
 */
export const WEBHOOK_MIGRATION: readonly string[] = [
  `CREATE TABLE webhooks (
     name TEXT PRIMARY KEY,
     url TEXT NOT NULL,
     events TEXT NOT NULL,
     secret TEXT NOT NULL,
     cursor INTEGER NOT NULL,
     delivered INTEGER NOT NULL DEFAULT 0,
     failures INTEGER NOT NULL DEFAULT 0,
     last_error TEXT,
     last_attempt_at INTEGER,
     last_success_at INTEGER,
     next_attempt_at INTEGER,
     updated_at INTEGER NOT NULL
   )`,
];
