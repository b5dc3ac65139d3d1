import type { HealthState } from "../src/health/state";
import type { HealthEvent } from "../src/model/catalog";
import type { HealthStatus, Origin } from "../src/model/origin";
import { ServiceInput } from "../src/model/service";
import type { SnapshotOrigin } from "../src/model/snapshot";
import { iso } from "../src/model/time";

/** An `origins` row as SQLite returns it. */
export interface OriginRow {
  service: string;
  id: string;
  url: string;
  weight: number;
  zone: string | null;
  tags: string;
  metadata: string;
  enabled: number;
  drain: number;
  ttl_s: number | null;
  created_at: number;
  updated_at: number;
  last_heartbeat_at: number;
  status: string;
  status_since: number;
  health: string;
  /** Next time this origin needs the alarm (ejection end, lease expiry); null if never. */
  wake_at: number | null;
  /** When its next active check is due (if its service has checks and it is enabled); null: due now. */
  next_check_at: number | null;
  [key: string]: SqlStorageValue;
}

/** A `services` row. */
export interface ServiceRow {
  name: string;
  config: string;
  created_at: number;
  updated_at: number;
  next_origin_seq: number;
  /** Non-null exactly when this object's alarm checks the service: checks on, no `regions` (schema.ts, migration 2). */
  next_check_at: number | null;
  [key: string]: SqlStorageValue;
}

/** An `events` row. */
export interface EventRow {
  seq: number;
  at: number;
  service: string;
  origin: string;
  from_status: string;
  to_status: string;
  reason: string;
  [key: string]: SqlStorageValue;
}

/**
 * The configuration stored with a service (validated, defaults filled in, when it was written).
 * Parsed again so that a row written before a field existed reads with that field's default.
 */
export function configOf(row: ServiceRow): ServiceInput {
  const stored: unknown = JSON.parse(row.config);
  const parsed = ServiceInput.safeParse(stored);
  return parsed.success ? parsed.data : (stored as ServiceInput);
}

/** The health state stored with an origin. */
export function healthOf(row: OriginRow): HealthState {
  return JSON.parse(row.health) as HealthState;
}

/** An origin row's configured fields (what an `OriginInput` holds). */
function originFields(row: OriginRow) {
  return {
    url: row.url,
    weight: row.weight,
    zone: row.zone,
    tags: JSON.parse(row.tags) as string[],
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    enabled: row.enabled === 1,
    drain: row.drain === 1,
    ttl_s: row.ttl_s,
  };
}

/** An origin row in the API's shape. */
export function toOrigin(row: OriginRow): Origin {
  const h = healthOf(row);
  return {
    id: row.id,
    ...originFields(row),
    health: {
      status: row.status as HealthStatus,
      since: iso(row.status_since),
      last_check: iso(h.last_check_at),
      last_check_ms: h.last_check_ms,
      last_error: h.last_error,
      consecutive_successes: h.consecutive_successes,
      consecutive_failures: h.consecutive_failures,
      ejected_until: iso(h.ejected_until),
    },
  };
}

/**
 * An origin row in the data plane's shape: its routing projection, without
 * what changes with every check (last check, streaks, last error), so the
 * projection only changes when the version does.
 */
export function toSnapshotOrigin(row: OriginRow): SnapshotOrigin {
  const h = healthOf(row);
  return {
    ...originFields(row),
    service: row.service,
    id: row.id,
    health: { status: row.status as HealthStatus, since: iso(row.status_since)! },
    healthy_since_ms: h.healthy_since,
    ejected_until_ms: h.ejected_until,
  };
}

/** An event row in the API's shape. */
export function toEvent(row: EventRow): HealthEvent {
  return {
    at: iso(row.at),
    service: row.service,
    origin: row.origin,
    from: row.from_status,
    to: row.to_status,
    reason: row.reason,
  };
}
