import type { LoadStats } from "./load";
import { cumulative, drawIndex } from "./random";
import type { Balancer, Endpoint } from "./types";

/**
 * Power of two choices: draws two distinct endpoints with weight > 0, each in proportion to
 * weight, and keeps the one with the lower `score` (the first drawn on ties). Weighted draws
 * keep the split proportional to weight when load is even. The running weight sums are computed
 * once per endpoints array, so a draw is O(log n).
 * @example p2c(endpoints, rng, (e) => load.inflight(e.id) / e.weight)
 */
export function p2c(
  endpoints: readonly Endpoint[],
  rng: () => number,
  score: (e: Endpoint) => number,
): Endpoint | undefined {
  const c = cumulative(endpoints);
  if (c.count === 0) return undefined;
  const i = drawIndex(c, rng() * c.total, -1);
  const a = endpoints[i]!;
  if (c.count === 1) return a;
  const b = endpoints[drawIndex(c, rng() * (c.total - a.weight), i)]!;
  return score(b) < score(a) ? b : a;
}

/**
 * Least request: P2C on in-flight requests per unit of weight.
 * @example leastRequest(load).pick(endpoints, { rng, now })
 */
export function leastRequest(load: LoadStats): Balancer {
  return { pick: (endpoints, { rng }) => p2c(endpoints, rng, (e) => load.inflight(e.id) / e.weight) };
}
