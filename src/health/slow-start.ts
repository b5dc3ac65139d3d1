/**
 * Share of its weight an origin gets the moment slow start begins, like
 * Envoy's `min_weight_percent` default: enough for a trickle of traffic to
 * warm it up, so it is never starved.
 */
export const SLOW_START_MIN_FRACTION = 0.1;

/**
 * An origin's weight during slow start: it ramps linearly from 10% to 100%
 * of `weight` over `slowStartS` seconds after `healthySince`. The result may
 * be fractional; weight 0 stays 0 (no new traffic) and `healthySince` null
 * (no known start) means full weight.
 * @example effectiveWeight(10, since, 60, since + 30_000) // 5.5
 */
export function effectiveWeight(weight: number, healthySince: number | null, slowStartS: number, now: number): number {
  if (weight <= 0) return 0;
  if (slowStartS <= 0 || healthySince === null) return weight;
  const windowMs = slowStartS * 1000;
  // A clock that runs behind healthySince (isolates disagree) counts as the start.
  const elapsed = Math.max(0, now - healthySince);
  if (elapsed >= windowMs) return weight;
  return weight * (SLOW_START_MIN_FRACTION + (1 - SLOW_START_MIN_FRACTION) * (elapsed / windowMs));
}

/**
 * Whether `effectiveWeight` may still change after `now`: the origin has weight, slow start is
 * on and its window has not run out. Callers that cache weights recompute only while this holds.
 * @example rampsAfter(10, since, 60, since + 30_000) // true
 */
export function rampsAfter(weight: number, healthySince: number | null, slowStartS: number, now: number): boolean {
  return weight > 0 && slowStartS > 0 && healthySince !== null && now - healthySince < slowStartS * 1000;
}
