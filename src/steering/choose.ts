import { greatCircleKm } from "./distance";
import type { PoolPlan } from "./plan";
import type { PoolView } from "./pools";

/** What steering knows of where a request comes from (`request.cf`, or `x-mesh-dev-cf` in development). */
export interface RequestGeo {
  readonly country: string | null;
  readonly continent: string | null;
  readonly latitude: number | null;
  readonly longitude: number | null;
}

/**
 * The pool a request goes to, or null for panic (every eligible origin of
 * the service), and why, as `server-timing` says it: `geo DE→eu`,
 * `geo DE→eu down→us`, `geo BR→failover us`, `failover us`,
 * `proximity 479km→eu`, `random eu`, `… down→fallback x`, `… down→panic`.
 */
export interface PoolChoice {
  readonly pool: string | null;
  readonly why: string;
}

/** Cached choices per view; past this many keys (country × continent pairs) the cache starts over. */
const CHOICES_MAX = 512;

/**
 * Chooses a request's pool (SPEC §7). `failover`: the first healthy pool in
 * failover order, so traffic returns to a better pool as soon as it
 * recovers. `geo`: the pools listing the country, else those listing the
 * continent, else failover order. `proximity`: the nearest healthy pool with
 * coordinates. `random`: a healthy pool drawn with `rng`, weighted by its
 * usable origins. An unhealthy choice falls to the first healthy pool in
 * failover order, then to the fallback pool if it has any eligible origin,
 * then to panic. Failover and geo choices depend only on the view and the
 * request's country and continent, so they are cached in the view.
 * @example choosePool(view, { country: "DE", continent: "EU", latitude: null, longitude: null }, Math.random)
 */
export function choosePool(view: PoolView, geo: RequestGeo, rng: () => number): PoolChoice {
  const { plan } = view;
  switch (plan.policy) {
    case "failover":
      return cached(view, "", () => inOrder(view, "failover ", plan.order));
    case "geo":
      return cached(view, `${geo.country ?? ""}/${geo.continent ?? ""}`, () => byGeo(view, geo));
    case "proximity":
      return nearest(view, geo);
    case "random":
      return drawn(view, rng);
  }
}

function cached(view: PoolView, key: string, choose: () => PoolChoice): PoolChoice {
  const hit = view.choices.get(key) as PoolChoice | undefined;
  if (hit !== undefined) return hit;
  if (view.choices.size >= CHOICES_MAX) view.choices.clear();
  const choice = choose();
  view.choices.set(key, choice);
  return choice;
}

function byGeo(view: PoolView, geo: RequestGeo): PoolChoice {
  const { plan } = view;
  const byCountry = geo.country === null ? undefined : plan.byCountry.get(geo.country);
  if (byCountry) return inOrder(view, `geo ${geo.country}→`, byCountry);
  const byContinent = geo.continent === null ? undefined : plan.byContinent.get(geo.continent);
  if (byContinent) return inOrder(view, `geo ${geo.continent}→`, byContinent);
  return inOrder(view, `geo ${geo.country ?? geo.continent ?? "?"}→failover `, plan.order);
}

/** The first healthy pool of `candidates`, else of the failover order, else the last resorts. */
function inOrder(view: PoolView, prefix: string, candidates: readonly PoolPlan[]): PoolChoice {
  const first = candidates[0];
  if (first === undefined) return lastResort(view, prefix);
  for (const pool of candidates) if (isHealthy(view, pool)) return chose(prefix, first, pool);
  if (candidates !== view.plan.order) {
    for (const pool of view.plan.order) if (isHealthy(view, pool)) return chose(prefix, first, pool);
  }
  return lastResort(view, `${prefix}${first.name} down→`);
}

function chose(prefix: string, first: PoolPlan, pool: PoolPlan): PoolChoice {
  return {
    pool: pool.name,
    why: pool === first ? `${prefix}${pool.name}` : `${prefix}${first.name} down→${pool.name}`,
  };
}

function nearest(view: PoolView, geo: RequestGeo): PoolChoice {
  const { latitude, longitude } = geo;
  if (latitude === null || longitude === null) return inOrder(view, "proximity ?→failover ", view.plan.order);
  let best: PoolPlan | null = null;
  let bestKm = Infinity;
  for (const pool of view.plan.located) {
    if (!isHealthy(view, pool)) continue;
    const km = greatCircleKm({ latitude, longitude }, pool.location!);
    if (km < bestKm) [best, bestKm] = [pool, km];
  }
  if (best === null) return lastResort(view, "proximity down→");
  return { pool: best.name, why: `proximity ${Math.round(bestKm)}km→${best.name}` };
}

function drawn(view: PoolView, rng: () => number): PoolChoice {
  let total = 0;
  for (const pool of view.plan.order) if (isHealthy(view, pool)) total += view.members.get(pool.name)!.usable;
  if (total === 0) return lastResort(view, "random down→");
  let x = rng() * total;
  let last: PoolPlan | null = null;
  for (const pool of view.plan.order) {
    if (!isHealthy(view, pool)) continue;
    last = pool;
    x -= view.members.get(pool.name)!.usable;
    if (x < 0) break;
  }
  return { pool: last!.name, why: `random ${last!.name}` };
}

function lastResort(view: PoolView, prefix: string): PoolChoice {
  const fallback = view.plan.fallback;
  if (fallback !== null && (view.members.get(fallback.name)?.usable ?? 0) > 0)
    return { pool: fallback.name, why: `${prefix}fallback ${fallback.name}` };
  return { pool: null, why: `${prefix}panic` };
}

function isHealthy(view: PoolView, pool: PoolPlan): boolean {
  return view.members.get(pool.name)?.healthy === true;
}
