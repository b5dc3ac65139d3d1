import { type HealthState, stampRecovery } from "./state";

/** A TTL lease's state: fresh, missed (unhealthy), or missed for so long the origin is removed. */
export type LeaseVerdict = "ok" | "expired" | "deregister";

/** Missing heartbeats for this many TTLs deregisters the origin (SPEC §Origins). */
export const DEREGISTER_AFTER_TTLS = 10;

/**
 * Judges a Consul-style TTL lease. The boundaries are inclusive in the
 * origin's favour: exactly `ttl_s` without a heartbeat is still ok. For a
 * new origin, `lastHeartbeatAt` is its registration time.
 * @example leaseVerdict(30, registeredAt, now) // "expired" once 30s have passed
 */
export function leaseVerdict(ttlS: number | null, lastHeartbeatAt: number, now: number): LeaseVerdict {
  if (ttlS === null) return "ok";
  const silentMs = now - lastHeartbeatAt;
  if (silentMs > DEREGISTER_AFTER_TTLS * ttlS * 1000) return "deregister";
  if (silentMs > ttlS * 1000) return "expired";
  return "ok";
}

/**
 * The first instant at which the lease's verdict changes: just past the TTL while the lease is
 * fresh, just past {@link DEREGISTER_AFTER_TTLS} TTLs once it has expired; null without a TTL.
 * The registry's alarm wakes for it.
 * @example leaseDeadline(30, lastHeartbeatAt, false) // lastHeartbeatAt + 30_001
 */
export function leaseDeadline(ttlS: number | null, lastHeartbeatAt: number, expired: boolean): number | null {
  if (ttlS === null) return null;
  return lastHeartbeatAt + (expired ? DEREGISTER_AFTER_TTLS : 1) * ttlS * 1000 + 1;
}

/**
 * Sets or clears the TTL flag. `reason` is set only when the flag changes;
 * a renewal that makes the origin routable again restarts its slow start.
 * @example applyLease(h, "expired", 30, now).reason // "ttl: no heartbeat for 30s"
 */
export function applyLease(
  state: HealthState,
  verdict: LeaseVerdict,
  ttlS: number,
  now: number,
): { state: HealthState; reason: string | null } {
  const expired = verdict !== "ok";
  if (expired === state.ttl_expired) return { state, reason: null };
  const next = { ...state, ttl_expired: expired };
  if (expired) return { state: next, reason: `ttl: no heartbeat for ${ttlS}s` };
  return { state: stampRecovery(state, next, now), reason: "ttl: heartbeat received" };
}
