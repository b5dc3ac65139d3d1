import { applyLease } from "../src/health/lease";
import { type HealthState, initialHealth } from "../src/health/state";
import type { OriginInput, OriginPatch } from "../src/model/origin";
import type { OriginRow } from "./rows";

/**
 * The row of an origin registered (or re-registered) from `input`. Health,
 * status and the last heartbeat are kept when the URL is unchanged; a new
 * URL is a new origin and starts `unknown`.
 */
export function registeredRow(
  service: string,
  id: string,
  input: OriginInput,
  existing: OriginRow | null,
  now: number,
): { row: OriginRow; reason: string } {
  const keep = existing !== null && existing.url === input.url;
  const row: OriginRow = {
    service,
    id,
    url: input.url,
    weight: input.weight,
    zone: input.zone,
    tags: JSON.stringify(input.tags),
    metadata: JSON.stringify(input.metadata),
    enabled: Number(input.enabled),
    drain: Number(input.drain),
    ttl_s: input.ttl_s,
    created_at: existing?.created_at ?? now,
    updated_at: now,
    last_heartbeat_at: keep ? existing.last_heartbeat_at : now,
    status: keep ? existing.status : "unknown",
    status_since: keep ? existing.status_since : now,
    health: keep ? existing.health : JSON.stringify(initialHealth(now)),
    wake_at: null,
    // A new origin (or a new URL) is checked at once, as a service whose checks are configured is.
    next_check_at: keep ? existing.next_check_at : now,
  };
  const reason = existing === null ? "registered" : keep ? adminReason(input) : "re-registered with a new url";
  return { row, reason };
}

/** An origin row with the fields of a PATCH changed and the others kept. */
export function patchedRow(row: OriginRow, patch: OriginPatch, now: number): OriginRow {
  return {
    ...row,
    weight: patch.weight ?? row.weight,
    zone: patch.zone === undefined ? row.zone : patch.zone,
    tags: patch.tags === undefined ? row.tags : JSON.stringify(patch.tags),
    metadata: patch.metadata === undefined ? row.metadata : JSON.stringify(patch.metadata),
    enabled: patch.enabled === undefined ? row.enabled : Number(patch.enabled),
    drain: patch.drain === undefined ? row.drain : Number(patch.drain),
    updated_at: now,
  };
}

/** An origin's row and health after a heartbeat: the lease renewed (an expired one cleared). */
export function heartbeatRow(
  row: OriginRow,
  health: HealthState,
  now: number,
): { row: OriginRow; health: HealthState } {
  const renewed =
    row.ttl_s === null ? { ...health, ttl_expired: false } : applyLease(health, "ok", row.ttl_s, now).state;
  return { row: { ...row, last_heartbeat_at: now }, health: renewed };
}

/** The event reason for an admin change of flags. */
export function adminReason(change: { enabled?: boolean; drain?: boolean }): string {
  if (change.enabled === false) return "admin: disabled";
  if (change.drain === true) return "admin: draining";
  if (change.drain === false && change.enabled !== true) return "admin: undrained";
  if (change.enabled === true || change.drain === false) return "admin: enabled";
  return "admin: updated";
}
