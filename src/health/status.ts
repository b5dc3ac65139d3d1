import type { HealthStatus } from "../model/origin";
import type { HealthState } from "./state";

/** What `collapseStatus` needs: the admin flags, the health flags and the time. */
export interface StatusInput {
  enabled: boolean;
  drain: boolean;
  health: HealthState;
  now: number;
}

/**
 * Collapses the per-source flags into one status. Admin intent wins over
 * any health signal, and an ejection outranks an active-check failure
 * because it is the one with a known end.
 * An origin whose URL the origin policy refuses is disabled too.
 * Precedence: disabled > draining > ejected > unhealthy > healthy > unknown.
 * @example collapseStatus({ enabled: true, drain: false, health, now }) // "healthy"
 */
export function collapseStatus({ enabled, drain, health, now }: StatusInput): HealthStatus {
  if (!enabled || (health.policy ?? null) !== null) return "disabled";
  if (drain) return "draining";
  // Read by time, not by the flag alone: the data plane stops honouring an
  // ejection the moment it ends, even before the registry releases it.
  if (health.ejected_until !== null && health.ejected_until > now) return "ejected";
  if (health.active === "failing" || health.ttl_expired) return "unhealthy";
  if (health.active === "passing") return "healthy";
  return "unknown";
}

/** Whether an origin in this status may receive new requests (`unknown` or `healthy`). */
export function isRoutable(status: HealthStatus): boolean {
  return status === "unknown" || status === "healthy";
}
