import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { roundRobin } from "../../src/balancer/round-robin";
import { effectiveWeight } from "../../src/health/slow-start";
import { OriginInput } from "../../src/model/origin";
import { ServiceInput } from "../../src/model/service";
import type { SnapshotOrigin } from "../../src/model/snapshot";
import { eligible, RECHECK_MS } from "../../src/proxy/eligible";
import { PassiveHealth } from "../../src/proxy/passive";
import type { ServiceRuntime } from "../../src/proxy/routing-cache";

const NOW = 1_700_000_000_000;

function origin(
  id: string,
  status: SnapshotOrigin["health"]["status"],
  extra: Partial<SnapshotOrigin> = {},
): SnapshotOrigin {
  return {
    ...OriginInput.parse({ url: `https://${id}.example.com` }),
    id,
    service: "s",
    healthy_since_ms: null,
    ejected_until_ms: null,
    health: { status, since: "" },
    ...extra,
  };
}

function runtime(origins: SnapshotOrigin[], config: Partial<ServiceInput> = {}): ServiceRuntime {
  return { config: { name: "s", ...ServiceInput.parse({ routes: [{}], ...config }) }, origins, balancer: roundRobin() };
}

const ids = (rt: ServiceRuntime, ejected: (k: string) => boolean = () => false, now = NOW) =>
  eligible(rt, now, ejected, Math.random()).endpoints.map((e) => e.id);

describe("eligible origins", () => {
  it("keeps enabled, non-draining, unknown or healthy, non-ejected origins", () => {
    const rt = runtime(
      [
        origin("a", "healthy"),
        origin("b", "unknown"),
        origin("c", "unhealthy"),
        origin("d", "healthy", { drain: true }),
        origin("e", "healthy", { enabled: false }),
        origin("f", "healthy", { ejected_until_ms: NOW + 1000 }),
        origin("g", "healthy", { ejected_until_ms: NOW - 1 }),
      ],
      { panic_threshold_percent: 0 },
    );
    expect(ids(rt)).toEqual(["s/a", "s/b", "s/g"]);
  });

  it("excludes origins this isolate ejected", () => {
    const rt = runtime([origin("a", "healthy"), origin("b", "healthy")], { panic_threshold_percent: 0 });
    expect(ids(rt, (k) => k === "s/b")).toEqual(["s/a"]);
  });

  it("routes across all enabled origins when healthy ones fall below the panic threshold", () => {
    const rt = runtime([
      origin("a", "healthy"),
      origin("b", "unhealthy"),
      origin("c", "unhealthy"),
      origin("d", "healthy", { drain: true }),
    ]);
    const set = eligible(rt, NOW, () => false, 1);
    expect(set.panic).toBe(true);
    expect(set.endpoints.map((e) => e.id)).toEqual(["s/a", "s/b", "s/c"]);
    // Steering counts a pool's origins by their own health, panic or not.
    expect(set.healthy.map((e) => e.id)).toEqual(["s/a"]);
  });

  it("is not in panic at exactly the threshold", () => {
    const rt = runtime([origin("a", "healthy"), origin("b", "unhealthy")]);
    const set = eligible(rt, NOW, () => false, 1);
    expect(set.panic).toBe(false);
    expect(set.endpoints.map((e) => e.id)).toEqual(["s/a"]);
    expect(set.healthy).toBe(set.endpoints);
  });

  it("ramps the weight of an origin in slow start", () => {
    const rt = runtime(
      [origin("a", "healthy", { weight: 100, healthy_since_ms: NOW - 5000 }), origin("b", "healthy", { weight: 100 })],
      { slow_start_s: 10 },
    );
    const [a, b] = eligible(rt, NOW, () => false, 1).endpoints;
    expect(a!.weight).toBeGreaterThan(10);
    expect(a!.weight).toBeLessThan(100);
    expect(b!.weight).toBe(100);
  });
});

describe("eligible set between changes", () => {
  const cfg = { consecutive_failures: 5, base_ejection_s: 30, max_ejection_percent: 50 };
  const none = () => false;
  const idsOf = (set: { endpoints: readonly { id: string }[] }) => set.endpoints.map((e) => e.id);

  it("is the same object however much time passes while nothing changes", () => {
    const rt = runtime([origin("a", "healthy"), origin("b", "healthy")]);
    const first = eligible(rt, NOW, none, 1);
    expect(eligible(rt, NOW + 3_600_000, none, 1)).toBe(first);
  });

  it("lets an origin back at the very millisecond its registry ejection ends", () => {
    const rt = runtime([origin("a", "healthy"), origin("b", "healthy", { ejected_until_ms: NOW + 1000 })], {
      panic_threshold_percent: 0,
    });
    expect(eligible(rt, NOW, none, 1)).toMatchObject({ ejected: 1 });
    expect(idsOf(eligible(rt, NOW + 999, none, 1))).toEqual(["s/a"]);
    expect(eligible(rt, NOW + 1000, none, 1)).toMatchObject({ ejected: 0, endpoints: [{ id: "s/a" }, { id: "s/b" }] });
  });

  it("lets an origin this isolate ejected back within RECHECK_MS of the ejection ending, asking no more often", () => {
    const rt = runtime([origin("a", "healthy"), origin("b", "healthy")], { panic_threshold_percent: 0 });
    const passive = new PassiveHealth();
    let asked = 0;
    const at = (now: number) =>
      eligible(
        rt,
        now,
        (key) => {
          asked++;
          return passive.isEjected(key, now);
        },
        passive.generation,
      );
    expect(idsOf(at(NOW))).toEqual(["s/a", "s/b"]);
    for (let i = 0; i < 5; i++) passive.record("s", "b", true, cfg, NOW, 0, 2);
    // An ejection bumps the generation, so the very next request sees it.
    expect(idsOf(at(NOW + 1))).toEqual(["s/a"]);
    asked = 0;
    for (let t = NOW + 2; t < NOW + 1 + RECHECK_MS; t++) at(t);
    expect(asked).toBe(0);
    expect(idsOf(at(NOW + 29_999))).toEqual(["s/a"]);
    expect(idsOf(at(NOW + 30_000 + RECHECK_MS))).toEqual(["s/a", "s/b"]);
  });

  it("sees a new snapshot at once", () => {
    const rt = runtime([origin("a", "healthy")]);
    expect(idsOf(eligible(rt, NOW, none, 1))).toEqual(["s/a"]);
    rt.origins = [origin("a", "healthy"), origin("c", "healthy")];
    expect(idsOf(eligible(rt, NOW + 1, none, 1))).toEqual(["s/a", "s/c"]);
  });

  it("keeps the endpoints array when a recompute finds the same origins and weights, so balancers keep their caches", () => {
    const rt = runtime([origin("a", "healthy"), origin("b", "healthy")]);
    const first = eligible(rt, NOW, none, 1);
    expect(eligible(rt, NOW + 1, none, 2).endpoints).toBe(first.endpoints);
  });

  it("keeps a slow-start ramp moving, at most RECHECK_MS behind, and holds still once it is over", () => {
    const rt = runtime(
      [origin("a", "healthy", { weight: 100, healthy_since_ms: NOW }), origin("b", "healthy", { weight: 100 })],
      { slow_start_s: 10 },
    );
    let last = 0;
    for (let t = NOW; t <= NOW + 10_000; t += 100) {
      const weight = eligible(rt, t, none, 1).endpoints[0]!.weight;
      expect(weight).toBeGreaterThanOrEqual(last);
      expect(weight).toBeGreaterThanOrEqual(effectiveWeight(100, NOW, 10, t - RECHECK_MS));
      expect(weight).toBeLessThanOrEqual(effectiveWeight(100, NOW, 10, t));
      last = weight;
    }
    const settled = eligible(rt, NOW + 10_000 + RECHECK_MS, none, 1);
    expect(settled.endpoints[0]!.weight).toBe(100);
    expect(eligible(rt, NOW + 3_600_000, none, 1)).toBe(settled);
  });

  it("always equals a fresh computation, whatever the health, registry ejections, panic and clock", () => {
    const originArb = fc.record({
      status: fc.constantFrom("healthy", "unknown", "unhealthy") as fc.Arbitrary<SnapshotOrigin["health"]["status"]>,
      enabled: fc.boolean(),
      drain: fc.boolean(),
      weight: fc.integer({ min: 0, max: 10 }),
      ejectedFor: fc.option(fc.integer({ min: -1000, max: 5000 }), { nil: null }),
    });
    fc.assert(
      fc.property(
        fc.array(originArb, { maxLength: 10 }),
        fc.integer({ min: 0, max: 100 }),
        fc.array(fc.integer({ min: 0, max: 6000 }), { minLength: 1, maxLength: 30 }),
        (specs, threshold, times) => {
          const origins = specs.map((o, i) =>
            origin(`o${i}`, o.status, {
              enabled: o.enabled,
              drain: o.drain,
              weight: o.weight,
              ejected_until_ms: o.ejectedFor === null ? null : NOW + o.ejectedFor,
            }),
          );
          const rt = runtime(origins, { panic_threshold_percent: threshold });
          // Mostly forward, sometimes back: a clock that goes back must not see a stale set.
          for (const t of times) {
            const memoized = eligible(rt, NOW + t, none, 1);
            const fresh = eligible({ ...rt, memo: undefined }, NOW + t, none, 1);
            expect(memoized).toEqual(fresh);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
