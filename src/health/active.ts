import { type HealthState, stampRecovery } from "./state";

/** One active health check's outcome; `error` says why it failed, e.g. "status 503". */
export interface CheckResult {
  ok: boolean;
  latencyMs: number;
  error: string | null;
}

/** How many consecutive results flip the active verdict (the service's `health_check`). */
export interface Thresholds {
  healthy_threshold: number;
  unhealthy_threshold: number;
}

/** The part of a health state that active checks own: the threshold verdict, its streaks and the last check. */
export type StreakState = Pick<
  HealthState,
  "active" | "consecutive_successes" | "consecutive_failures" | "last_check_at" | "last_check_ms" | "last_error"
>;

const plural = (n: number, one: string, many: string) => `${n} consecutive ${n === 1 ? one : many}`;

/**
 * Applies one check result to a verdict and its streaks: the verdict flips
 * only after a full threshold of consecutive opposite results, so a single
 * blip never moves it. `reason` is set exactly when it flips. Works on any
 * state holding those fields (an origin's, or one region's view of it).
 * @example applyStreak(regionState, { ok: false, latencyMs: 3, error: "status 503" }, thresholds, now)
 */
export function applyStreak<S extends StreakState>(
  state: S,
  result: CheckResult,
  t: Thresholds,
  now: number,
): { state: S; reason: string | null } {
  const successes = result.ok ? state.consecutive_successes + 1 : 0;
  const failures = result.ok ? 0 : state.consecutive_failures + 1;
  let active = state.active;
  let reason: string | null = null;
  if (result.ok && active !== "passing" && successes >= t.healthy_threshold) {
    active = "passing";
    reason = `active: ${plural(successes, "pass", "passes")}`;
  } else if (!result.ok && active !== "failing" && failures >= t.unhealthy_threshold) {
    active = "failing";
    reason = `active: ${plural(failures, "failure", "failures")}: ${result.error ?? "check failed"}`;
  }
  const next: S = {
    ...state,
    active,
    consecutive_successes: successes,
    consecutive_failures: failures,
    last_check_at: now,
    last_check_ms: result.latencyMs,
    last_error: result.ok ? null : (result.error ?? "check failed"),
  };
  return { state: next, reason };
}

/**
 * Applies one active check result to an origin's health (see
 * {@link applyStreak}); an origin it makes routable again restarts slow start.
 * @example applyCheckResult(h, { ok: false, latencyMs: 3, error: "status 503" }, { healthy_threshold: 2, unhealthy_threshold: 3 }, now)
 */
export function applyCheckResult(
  state: HealthState,
  result: CheckResult,
  t: Thresholds,
  now: number,
): { state: HealthState; reason: string | null } {
  const applied = applyStreak(state, result, t, now);
  return { state: stampRecovery(state, applied.state, now), reason: applied.reason };
}
