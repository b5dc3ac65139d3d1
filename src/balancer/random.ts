import type { Balancer, Endpoint } from "./types";

/** Running sums of the weights > 0 of one endpoints array, for O(log n) weighted draws. */
export interface Cumulative {
  /** `sums[i]`: the weights > 0 of endpoints 0..i added up in list order. */
  readonly sums: Float64Array;
  readonly total: number;
  /** Endpoints with weight > 0. */
  readonly count: number;
  /** Index of the last endpoint with weight > 0 (-1 if none), and of the one before it. */
  readonly last: number;
  readonly beforeLast: number;
}

// Endpoint arrays are never changed after they are handed to a balancer (`eligible()` returns
// the same array until the set changes), so their sums can be kept as long as the array lives.
const cache = new WeakMap<readonly Endpoint[], Cumulative>();

/**
 * The running weight sums of `endpoints`, computed once per array.
 * @example cumulative([{ id: "a", weight: 3 }, { id: "b", weight: 1 }]).total // 4
 */
export function cumulative(endpoints: readonly Endpoint[]): Cumulative {
  let c = cache.get(endpoints);
  if (c !== undefined) return c;
  const sums = new Float64Array(endpoints.length);
  let total = 0;
  let count = 0;
  let last = -1;
  let beforeLast = -1;
  for (let i = 0; i < endpoints.length; i++) {
    const w = endpoints[i]!.weight;
    if (w > 0) {
      total += w;
      count++;
      beforeLast = last;
      last = i;
    }
    sums[i] = total;
  }
  c = { sums, total, count, last, beforeLast };
  cache.set(endpoints, c);
  return c;
}

/**
 * Index of the endpoint with weight > 0 that `x` falls on when the weights are laid end to end
 * in list order, leaving out index `skip` (-1: none); `x` is in [0, total less that weight).
 * For integer weights, the same index as subtracting the weights in turn until `x` goes below 0.
 * @example const c = cumulative(endpoints); endpoints[drawIndex(c, rng() * c.total, -1)]
 */
export function drawIndex(c: Cumulative, x: number, skip: number): number {
  const { sums } = c;
  // Before `skip` the sums are as they are; after it they lack its weight.
  const before = skip > 0 ? sums[skip - 1]! : 0;
  const found =
    skip < 0
      ? firstAbove(sums, x, 0, sums.length, 0)
      : x < before
        ? firstAbove(sums, x, 0, skip, 0)
        : firstAbove(sums, x, skip + 1, sums.length, sums[skip]! - before);
  if (found >= 0) return found;
  // Only reached through floating-point rounding when the draw is just below the total.
  return c.last === skip ? c.beforeLast : c.last;
}

// First i in [lo, hi) with x < sums[i] - less, or -1.
function firstAbove(sums: Float64Array, x: number, lo: number, hi: number, less: number): number {
  const end = hi;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x < sums[mid]! - less) hi = mid;
    else lo = mid + 1;
  }
  return lo < end ? lo : -1;
}

/**
 * Maps one uniform draw `u` in [0, 1) onto the endpoints with weight > 0, in proportion to weight.
 * @example weightedPick([{ id: "a", weight: 3 }, { id: "b", weight: 1 }], 0.9) // → b
 */
export function weightedPick(endpoints: readonly Endpoint[], u: number): Endpoint | undefined {
  const c = cumulative(endpoints);
  if (!(c.total > 0)) return undefined;
  return endpoints[drawIndex(c, u * c.total, -1)];
}

/**
 * Weighted random: one rng draw per pick, stateless.
 * @example weightedRandom().pick([{ id: "a", weight: 2 }, { id: "b", weight: 1 }], { rng, now })
 */
export function weightedRandom(): Balancer {
  return { pick: (endpoints, { rng }) => weightedPick(endpoints, rng()) };
}
