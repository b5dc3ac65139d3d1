import type { RegionHealth } from "../model/region";
import { iso } from "../model/time";
import type { StreakState } from "./active";

/**
 * One region's view of one origin: the threshold verdict and streaks of the
 * checks that region's checker ran (the service's thresholds, applied per
 * region with `applyStreak`), and its last check.
 */
export type RegionState = StreakState;

/**
 * The view of a region that has not checked the origin yet: no verdict, no streaks.
 * @example const s = initialRegionState()
 */
export function initialRegionState(): RegionState {
  return {
    active: "unknown",
    consecutive_successes: 0,
    consecutive_failures: 0,
    last_check_at: null,
    last_check_ms: null,
    last_error: null,
  };
}

/**
 * A region's view in the API's shape (`health.regions.<region>`).
 * @example regionHealth(initialRegionState()) // { status: "unknown", last_check: null, latency_ms: null, last_error: null }
 */
export function regionHealth(state: RegionState): RegionHealth {
  return {
    status: state.active === "passing" ? "healthy" : state.active === "failing" ? "unhealthy" : "unknown",
    last_check: iso(state.last_check_at),
    latency_ms: state.last_check_ms,
    last_error: state.last_error,
  };
}
