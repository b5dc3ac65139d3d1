import { describe, expect, it } from "vitest";
import type { Endpoint } from "../../src/balancer/index";
import { ServiceInput } from "../../src/model/service";
import { choosePool, type RequestGeo } from "../../src/steering/choose";
import { compileSteering } from "../../src/steering/plan";
import { poolView, type SteerableSet } from "../../src/steering/pools";
import { seededRng } from "../helpers/rng";

const EU = { priority: 1, countries: ["DE", "FR"], continents: ["EU"], latitude: 50.1, longitude: 8.7 };
const US = { priority: 2, continents: ["NA", "SA"], latitude: 39.0, longitude: -77.5 };

/** A compiled plan for these pools and steering (validated as the API would). */
function plan(policy: string, pools: Record<string, unknown> = { eu: EU, us: US }, fallback: string | null = null) {
  const config = ServiceInput.parse({ routes: [{}], pools, steering: { policy, fallback_pool: fallback } });
  return compileSteering(config)!;
}

/** An eligible set: origin id → zone (and weight, default 1). */
function set(members: Record<string, string | null | [string | null, number]>): SteerableSet {
  const healthy: Endpoint[] = [];
  const origins = new Map<string, { zone: string | null }>();
  for (const [id, spec] of Object.entries(members)) {
    const [zone, weight] = Array.isArray(spec) ? spec : [spec, 1];
    healthy.push({ id: `s/${id}`, weight });
    origins.set(`s/${id}`, { zone });
  }
  return { healthy, origins };
}

const geo = (g: Partial<RequestGeo>): RequestGeo => ({
  country: null,
  continent: null,
  latitude: null,
  longitude: null,
  ...g,
});
const BOTH = set({ e1: "eu", e2: "eu", u1: "us", u2: "us" });
const rng = () => 0.5;

describe("pool choice", () => {
  it("is compiled to nothing when steering is off", () => {
    expect(compileSteering(ServiceInput.parse({ routes: [{}], pools: { eu: EU } }))).toBeNull();
  });

  it("failover: the healthy pool with the lowest priority, and back when it recovers", () => {
    const p = plan("failover");
    expect(choosePool(poolView(p, BOTH, null), geo({}), rng)).toEqual({ pool: "eu", why: "failover eu" });
    const euDown = set({ u1: "us", u2: "us" });
    expect(choosePool(poolView(p, euDown, null), geo({}), rng)).toEqual({ pool: "us", why: "failover eu down→us" });
    // Decided from each set afresh: eu's recovery brings its traffic back (failback).
    expect(choosePool(poolView(p, BOTH, null), geo({}), rng).pool).toBe("eu");
  });

  it("orders equal priorities by name, never by the JSON's key order", () => {
    const p = plan("failover", { zz: { priority: 1 }, aa: { priority: 1 }, mm: { priority: 0 } });
    expect(p.order.map((x) => x.name)).toEqual(["mm", "aa", "zz"]);
  });

  it("geo: the pool listing the country, else the continent, else failover order", () => {
    const p = plan("geo", { eu: EU, us: { ...US, countries: ["US"] }, ap: { priority: 3, continents: ["AS"] } });
    const view = poolView(p, set({ e1: "eu", u1: "us", a1: "ap" }), null);
    expect(choosePool(view, geo({ country: "DE", continent: "EU" }), rng)).toEqual({ pool: "eu", why: "geo DE→eu" });
    expect(choosePool(view, geo({ country: "US", continent: "NA" }), rng)).toEqual({ pool: "us", why: "geo US→us" });
    expect(choosePool(view, geo({ country: "MX", continent: "NA" }), rng)).toEqual({ pool: "us", why: "geo NA→us" });
    expect(choosePool(view, geo({ country: "JP", continent: "AS" }), rng)).toEqual({ pool: "ap", why: "geo AS→ap" });
    expect(choosePool(view, geo({ country: "AU", continent: "OC" }), rng)).toEqual({
      pool: "eu",
      why: "geo AU→failover eu",
    });
    expect(choosePool(view, geo({}), rng)).toEqual({ pool: "eu", why: "geo ?→failover eu" });
  });

  it("geo: an unhealthy choice falls to the next healthy pool in failover order", () => {
    const p = plan("geo");
    const view = poolView(p, set({ e1: ["eu", 0], u1: "us" }), null); // eu's only origin takes no traffic
    expect(choosePool(view, geo({ country: "DE", continent: "EU" }), rng)).toEqual({
      pool: "us",
      why: "geo DE→eu down→us",
    });
  });

  it("counts a pool healthy only with minimum_origins usable origins", () => {
    const p = plan("failover", { eu: { ...EU, minimum_origins: 2 }, us: US });
    expect(choosePool(poolView(p, set({ e1: "eu", u1: "us" }), null), geo({}), rng).pool).toBe("us");
    expect(choosePool(poolView(p, set({ e1: "eu", e2: "eu", u1: "us" }), null), geo({}), rng).pool).toBe("eu");
  });

  it("takes the fallback pool when no pool is healthy, then panics", () => {
    const p = plan("failover", { eu: EU, us: { ...US, minimum_origins: 2 } }, "us");
    expect(choosePool(poolView(p, set({ u1: "us" }), null), geo({}), rng)).toEqual({
      pool: "us",
      why: "failover eu down→fallback us",
    });
    expect(choosePool(poolView(p, set({ x: null }), null), geo({}), rng)).toEqual({
      pool: null,
      why: "failover eu down→panic",
    });
  });

  it("leaves origins whose zone names no pool to panic", () => {
    const p = plan("failover");
    const view = poolView(p, set({ a: "asia", b: null }), null);
    expect(view.members.get("eu")!.endpoints).toEqual([]);
    expect(choosePool(view, geo({}), rng).pool).toBeNull();
  });

  it("proximity: the nearest healthy pool by great-circle distance", () => {
    const p = plan("proximity");
    const view = poolView(p, BOTH, null);
    const paris = geo({ latitude: 48.8566, longitude: 2.3522 });
    const losAngeles = geo({ latitude: 34.0522, longitude: -118.2437 });
    expect(choosePool(view, paris, rng)).toEqual({ pool: "eu", why: "proximity 479km→eu" });
    expect(choosePool(view, losAngeles, rng)).toEqual({ pool: "us", why: "proximity 3651km→us" });
    const euDown = poolView(p, set({ u1: "us" }), null);
    expect(choosePool(euDown, paris, rng)).toEqual({ pool: "us", why: "proximity 6190km→us" });
    expect(choosePool(view, geo({ country: "DE" }), rng)).toEqual({ pool: "eu", why: "proximity ?→failover eu" });
    expect(choosePool(poolView(p, set({}), null), paris, rng)).toEqual({ pool: null, why: "proximity down→panic" });
  });

  it("random: healthy pools drawn in proportion to their usable origins", () => {
    const p = plan("random");
    const view = poolView(p, set({ e1: "eu", u1: "us", u2: "us", u3: "us", u0: ["us", 0] }), null);
    const draw = seededRng(7);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 4000; i++) {
      const pool = choosePool(view, geo({}), draw).pool!;
      counts[pool] = (counts[pool] ?? 0) + 1;
    }
    expect(counts.eu! / 4000).toBeCloseTo(0.25, 1);
    expect(counts.us! / 4000).toBeCloseTo(0.75, 1);
    expect(choosePool(view, geo({}), () => 0)).toEqual({ pool: "eu", why: "random eu" });
    expect(choosePool(view, geo({}), () => 0.999999)).toEqual({ pool: "us", why: "random us" });
    expect(choosePool(poolView(p, set({}), null), geo({}), rng)).toEqual({ pool: null, why: "random down→panic" });
  });

  it("keeps the view, its arrays and its cached choices while the set is the same", () => {
    const p = plan("geo");
    const view = poolView(p, BOTH, null);
    expect(poolView(p, BOTH, view)).toBe(view);
    const first = choosePool(view, geo({ country: "DE" }), rng);
    expect(choosePool(view, geo({ country: "DE" }), rng)).toBe(first);
    // A new set with the same eu members keeps eu's array (balancers keep what they cached for it).
    const next = poolView(p, { healthy: [...BOTH.healthy.slice(0, 3)], origins: BOTH.origins }, view);
    expect(next.members.get("eu")!.endpoints).toBe(view.members.get("eu")!.endpoints);
    expect(next.members.get("us")!.endpoints).not.toBe(view.members.get("us")!.endpoints);
  });
});
