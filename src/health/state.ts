/** The active checks' threshold verdict: `unknown` until a threshold is first reached. */
export type ActiveVerdict = "unknown" | "passing" | "failing";

/**
 * An origin's health, kept as one flag per source (active checks, passive
 * outlier detection, TTL lease) so that each source can clear only its own
 * flag; `collapseStatus` turns the flags into the one SPEC status.
 */
export interface HealthState {
  /** Verdict of active checks (threshold-based). */
  active: ActiveVerdict;
  /** Raw streaks of active check results. */
  consecutive_successes: number;
  consecutive_failures: number;
  /** Epoch ms of the last active check. */
  last_check_at: number | null;
  /** Latency of the last active check. */
  last_check_ms: number | null;
  last_error: string | null;
  /** Consecutive passive (proxied request) failures. */
  passive_failures: number;
  /** Epoch ms until which passive outlier detection ejects the origin. */
  ejected_until: number | null;
  /** Times ejected, for the ejection back-off multiplier. */
  ejection_count: number;
  ttl_expired: boolean;
  /** Epoch ms when the origin last became routable from new, unhealthy or ejected (slow start). */
  healthy_since: number | null;
  /**
   * Why the origin policy refuses its URL (registered while
   * MESH_ALLOW_PRIVATE_ORIGINS was true, then turned off): it is `disabled`
   * until the policy allows it again. Absent in rows written before it existed.
   */
  policy?: string | null;
}

/**
 * The health of a newly registered origin: `unknown`, which is routable, so
 * its slow start begins now.
 * @example const h = initialHealth(Date.now())
 */
export function initialHealth(now: number): HealthState {
  return {
    active: "unknown",
    consecutive_successes: 0,
    consecutive_failures: 0,
    last_check_at: null,
    last_check_ms: null,
    last_error: null,
    passive_failures: 0,
    ejected_until: null,
    ejection_count: 0,
    ttl_expired: false,
    healthy_since: now,
  };
}

/**
 * Whether no health source holds the origin back. An ejection counts until
 * `releaseExpired` clears it, so that the release is what restarts slow start.
 */
export function healthFlagsClear(state: HealthState): boolean {
  return state.active !== "failing" && !state.ttl_expired && state.ejected_until === null;
}

/** `next` with `healthy_since = now` if this transition made the origin routable again (slow start restarts). */
export function stampRecovery(prev: HealthState, next: HealthState, now: number): HealthState {
  return !healthFlagsClear(prev) && healthFlagsClear(next) ? { ...next, healthy_since: now } : next;
}
