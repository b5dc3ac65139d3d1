import type { Pools, Steering, SteeringPolicy } from "../model/steering";
import type { LatLon } from "./distance";

/** One pool of a service as steering reads it. */
export interface PoolPlan {
  readonly name: string;
  readonly priority: number;
  /** Eligible origins the pool needs to count as healthy (at least 1: an empty pool takes no traffic). */
  readonly minimum: number;
  /** Where the pool is, for `proximity`; null when the pool gives no coordinates. */
  readonly location: LatLon | null;
}

/** A service's pools and steering policy, compiled once per snapshot so that a request only looks things up. */
export interface SteeringPlan {
  readonly policy: Exclude<SteeringPolicy, "off">;
  /** Every pool in failover order: lowest `priority` first, ties by name (so order never depends on the JSON). */
  readonly order: readonly PoolPlan[];
  readonly byName: ReadonlyMap<string, PoolPlan>;
  /** The pools listing each country, in failover order. */
  readonly byCountry: ReadonlyMap<string, readonly PoolPlan[]>;
  /** The pools listing each continent, in failover order. */
  readonly byContinent: ReadonlyMap<string, readonly PoolPlan[]>;
  /** Pools with coordinates, in failover order (ties in distance go to the earlier one). */
  readonly located: readonly PoolPlan[];
  /** The last resort before panic: taken when it has any eligible origin, whatever its `minimum_origins`. */
  readonly fallback: PoolPlan | null;
}

/**
 * Compiles a service's `pools` and `steering` (SPEC §7); null when the
 * policy is `off`, so that an unsteered service carries nothing per request.
 * @example compileSteering({ pools: { eu: {...}, us: {...} }, steering: { policy: "geo", fallback_pool: null } })!.order
 */
export function compileSteering(input: { pools: Pools; steering: Steering }): SteeringPlan | null {
  const { policy, fallback_pool: fallbackName } = input.steering;
  if (policy === "off") return null;
  const order: PoolPlan[] = Object.entries(input.pools)
    .map(([name, p]) => ({
      name,
      priority: p.priority,
      minimum: Math.max(1, p.minimum_origins),
      location: p.latitude !== null && p.longitude !== null ? { latitude: p.latitude, longitude: p.longitude } : null,
    }))
    .sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const byCountry = new Map<string, PoolPlan[]>();
  const byContinent = new Map<string, PoolPlan[]>();
  for (const plan of order) {
    const pool = input.pools[plan.name]!;
    for (const country of new Set(pool.countries)) listUnder(byCountry, country, plan);
    for (const continent of new Set(pool.continents)) listUnder(byContinent, continent, plan);
  }
  const byName = new Map(order.map((p) => [p.name, p]));
  return {
    policy,
    order,
    byName,
    byCountry,
    byContinent,
    located: order.filter((p) => p.location !== null),
    fallback: fallbackName === null ? null : (byName.get(fallbackName) ?? null),
  };
}

function listUnder(map: Map<string, PoolPlan[]>, key: string, plan: PoolPlan): void {
  const list = map.get(key);
  if (list) list.push(plan);
  else map.set(key, [plan]);
}
