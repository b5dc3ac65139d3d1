import type { LoadStats } from "./load";
import type { Balancer, Endpoint } from "./types";

/**
 * Power of two choices: draws two distinct endpoints with weight > 0, each in proportion to
 * weight, and keeps the one with the lower `score` (the first drawn on ties). Weighted draws
 * keep the split proportional to weight when load is even.
 * @example p2c(endpoints, rng, (e) => load.inflight(e.id) / e.weight)
 */
export function p2c(
  endpoints: readonly Endpoint[],
  rng: () => number,
  score: (e: Endpoint) => number,
): Endpoint | undefined {
  let total = 0;
  let count = 0;
  for (const e of endpoints) {
    if (e.weight > 0) {
      total += e.weight;
      count++;
    }
  }
  if (count === 0) return undefined;
  const i = draw(endpoints, rng() * total, -1);
  const a = endpoints[i]!;
  if (count === 1) return a;
  const b = endpoints[draw(endpoints, rng() * (total - a.weight), i)]!;
  return score(b) < score(a) ? b : a;
}

/**
 * Least request: P2C on in-flight requests per unit of weight.
 * @example leastRequest(load).pick(endpoints, { rng, now })
 */
export function leastRequest(load: LoadStats): Balancer {
  return { pick: (endpoints, { rng }) => p2c(endpoints, rng, (e) => load.inflight(e.id) / e.weight) };
}

// Index of the eligible endpoint that `x` falls on, skipping index `skip`; the caller
// guarantees at least one candidate remains.
function draw(endpoints: readonly Endpoint[], x: number, skip: number): number {
  let last = -1;
  for (let i = 0; i < endpoints.length; i++) {
    const w = endpoints[i]!.weight;
    if (!(w > 0) || i === skip) continue;
    last = i;
    x -= w;
    if (x < 0) return i;
  }
  // Only reached through floating-point rounding when the draw is just below 1.
  return last;
}
