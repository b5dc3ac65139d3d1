import type { Balancer, Endpoint } from "./types";

/**
 * Maps one uniform draw `u` in [0, 1) onto the endpoints with weight > 0, in proportion to weight.
 * @example weightedPick([{ id: "a", weight: 3 }, { id: "b", weight: 1 }], 0.9) // → b
 */
export function weightedPick(endpoints: readonly Endpoint[], u: number): Endpoint | undefined {
  let total = 0;
  for (const e of endpoints) if (e.weight > 0) total += e.weight;
  if (!(total > 0)) return undefined;
  let x = u * total;
  let last: Endpoint | undefined;
  for (const e of endpoints) {
    if (!(e.weight > 0)) continue;
    last = e;
    x -= e.weight;
    if (x < 0) return e;
  }
  // Only reached through floating-point rounding when u is just below 1.
  return last;
}

/**
 * Weighted random: one rng draw per pick, stateless.
 * @example weightedRandom().pick([{ id: "a", weight: 2 }, { id: "b", weight: 1 }], { rng, now })
 */
export function weightedRandom(): Balancer {
  return { pick: (endpoints, { rng }) => weightedPick(endpoints, rng()) };
}
