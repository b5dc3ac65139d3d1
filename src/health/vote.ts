import type { RegionState } from "./region";
import { type ActiveVerdict, type HealthState, stampRecovery } from "./state";

/** One region's say: its threshold verdict and, when failing, why. */
export interface RegionVote {
  active: ActiveVerdict;
  last_error: string | null;
}

/** The votes of a service's regions about one origin, in the order the service lists its regions. */
export interface Tally {
  /** How many regions the service has: the electorate, reported or not. */
  of: number;
  failing: string[];
  passing: string[];
  /** The distinct errors the failing regions saw last. */
  errors: string[];
}

/**
 * Counts the votes of `regions` (the service's `health_check.regions`).
 * A region with no vote yet (no check, or no threshold reached) counts in
 * the electorate but for neither side, so one early region cannot decide
 * alone; regions the service no longer lists are not counted at all.
 * @example tally(["wnam", "weur", "apac"], new Map([["weur", { active: "failing", last_error: "status 500" }]]))
 */
export function tally(regions: readonly string[], votes: ReadonlyMap<string, RegionVote>): Tally {
  const failing: string[] = [];
  const passing: string[] = [];
  const errors: string[] = [];
  for (const region of regions) {
    const vote = votes.get(region);
    if (vote?.active === "failing") {
      failing.push(region);
      const error = vote.last_error ?? "check failed";
      if (!errors.includes(error)) errors.push(error);
    } else if (vote?.active === "passing") passing.push(region);
  }
  return { of: regions.length, failing, passing, errors };
}

/**
 * The origin's active verdict from its regions' votes (SPEC §7): failing
 * when more than half of the regions see it failing, passing when at least
 * half see it passing — so a tie is healthy — and otherwise unchanged
 * (too few regions have a verdict yet to outvote the current one). The two
 * cannot both hold: that would take more votes than regions. `reason` is
 * set exactly when the verdict changes, naming the regions that carried it.
 * @example decide("passing", tally(regions, votes)) // { active: "failing", reason: "active: unhealthy in weur, apac of 3: status 500" }
 */
export function decide(current: ActiveVerdict, t: Tally): { active: ActiveVerdict; reason: string | null } {
  let active = current;
  if (t.failing.length * 2 > t.of) active = "failing";
  else if (t.of > 0 && t.passing.length * 2 >= t.of) active = "passing";
  if (active === current) return { active, reason: null };
  const reason =
    active === "failing"
      ? `active: unhealthy in ${t.failing.join(", ")} of ${t.of}: ${t.errors.join("; ")}`
      : `active: healthy in ${t.passing.length} of ${t.of} regions (${t.passing.join(", ")})`;
  return { active, reason };
}

/**
 * An origin's health after one region's check: the vote's verdict as its
 * active flag, and that check (with that region's streaks) as its last one;
 * an origin the vote makes routable again restarts slow start.
 * @example applyVote(health, weurState, decide(health.active, t), now)
 */
export function applyVote(
  health: HealthState,
  latest: RegionState,
  decision: { active: ActiveVerdict },
  now: number,
): HealthState {
  const next: HealthState = {
    ...health,
    active: decision.active,
    consecutive_successes: latest.consecutive_successes,
    consecutive_failures: latest.consecutive_failures,
    last_check_at: latest.last_check_at,
    last_check_ms: latest.last_check_ms,
    last_error: latest.last_error,
  };
  return stampRecovery(health, next, now);
}
