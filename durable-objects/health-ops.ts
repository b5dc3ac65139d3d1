import { leaseDeadline } from "../src/health/lease";
import { stampRecovery, type HealthState } from "../src/health/state";
import { collapseStatus } from "../src/health/status";
import { healthOf, type OriginRow } from "./rows";
import type { RegistryStore } from "./store";

/** The next time the alarm must look at this origin: ejection end or lease deadline. */
export function wakeAt(row: Pick<OriginRow, "ttl_s" | "last_heartbeat_at">, health: HealthState): number | null {
  const times: number[] = [];
  if (health.ejected_until !== null) times.push(health.ejected_until);
  const lease = leaseDeadline(row.ttl_s, row.last_heartbeat_at, health.ttl_expired);
  if (lease !== null) times.push(lease);
  return times.length === 0 ? null : Math.min(...times);
}

/**
 * Stores an origin with new health (or new admin flags), recomputes its
 * status and records a transition event. Returns true when the change
 * matters to routing, so the caller bumps the registry version once.
 */
export function commitOrigin(
  store: RegistryStore,
  row: OriginRow,
  given: HealthState,
  reason: string,
  now: number,
): boolean {
  const before = healthOf(row);
  // An origin re-registered without a lease cannot stay held back by the lease it no longer has.
  const health =
    row.ttl_s === null && given.ttl_expired ? stampRecovery(given, { ...given, ttl_expired: false }, now) : given;
  const status = collapseStatus({ enabled: row.enabled === 1, drain: row.drain === 1, health, now });
  const changed = status !== row.status;
  if (changed) store.addEvent(now, row.service, row.id, row.status, status, reason);
  store.writeOrigin({
    ...row,
    status,
    status_since: changed ? now : row.status_since,
    health: JSON.stringify(health),
    wake_at: wakeAt(row, health),
  });
  return changed || before.healthy_since !== health.healthy_since || before.ejected_until !== health.ejected_until;
}
