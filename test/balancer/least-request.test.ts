import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { leastRequest, p2c } from "../../src/balancer/least-request";
import { LoadStats } from "../../src/balancer/load";
import { seededRng } from "../helpers/rng";
import { referenceP2c } from "./reference";
import { expectShares } from "./shares";

const T0 = 1_700_000_000_000;

function countPicks(load: LoadStats, endpoints: { id: string; weight: number }[], n: number) {
  const balancer = leastRequest(load);
  const rng = seededRng(11);
  const counts: Record<string, number> = Object.fromEntries(endpoints.map((e) => [e.id, 0]));
  for (let i = 0; i < n; i++) counts[balancer.pick(endpoints, { rng, now: T0 })!.id]!++;
  return counts;
}

describe("least request (power of two choices)", () => {
  it("splits 10k picks in proportion to weight when nothing is in flight", () => {
    const endpoints = [
      { id: "a", weight: 5 },
      { id: "b", weight: 3 },
      { id: "c", weight: 2 },
    ];
    const balancer = leastRequest(new LoadStats());
    const rng = seededRng(11);
    const picked = Array.from({ length: 10_000 }, () => balancer.pick(endpoints, { rng, now: T0 })!.id);
    expectShares(picked, { a: 5, b: 3, c: 2 });
  });

  it("sends every request to the idle one of two origins", () => {
    const load = new LoadStats();
    load.begin("busy", T0);
    const counts = countPicks(
      load,
      [
        { id: "busy", weight: 1 },
        { id: "idle", weight: 1 },
      ],
      1_000,
    );
    expect(counts).toEqual({ busy: 0, idle: 1_000 });
  });

  it("prefers origins with fewer requests in flight and never picks the busiest", () => {
    const load = new LoadStats();
    for (let i = 0; i < 5; i++) load.begin("a", T0);
    load.begin("b", T0);
    const counts = countPicks(
      load,
      ["a", "b", "c"].map((id) => ({ id, weight: 1 })),
      3_000,
    );
    expect(counts.a).toBe(0);
    expect(counts.c!).toBeGreaterThan(counts.b! * 1.5);
  });

  it("weighs in-flight requests against weight", () => {
    const load = new LoadStats();
    load.begin("big", T0);
    load.begin("big", T0);
    load.begin("small", T0);
    // big has 2 in flight for weight 4 (0.5 each), small 1 for weight 1.
    const counts = countPicks(
      load,
      [
        { id: "big", weight: 4 },
        { id: "small", weight: 1 },
      ],
      1_000,
    );
    expect(counts).toEqual({ big: 1_000, small: 0 });
  });
});

describe("power of two choices on large lists", () => {
  // Small fractions land exactly on the boundaries between small integer weights.
  const draw = fc.oneof(
    fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    fc.integer({ min: 1, max: 12 }).chain((d) => fc.integer({ min: 0, max: d - 1 }).map((k) => k / d)),
  );

  it("draws exactly the pairs that subtracting weights in turn draws, for integer weights", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -1, max: 4 }), fc.integer({ min: -3, max: 1000 })), { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 40, maxLength: 40 }),
        fc.array(draw, { minLength: 20, maxLength: 20 }),
        (weights, scores, draws) => {
          const endpoints = weights.map((weight, i) => ({ id: `o${i}`, weight }));
          const score = (e: { id: string }) => scores[Number(e.id.slice(1))]!;
          const replay = () => {
            let i = 0;
            return () => draws[i++ % draws.length]!;
          };
          const fast = replay();
          const reference = replay();
          // The same array every time, as eligible() hands it out: sums are computed once.
          for (let i = 0; i < 10; i++)
            expect(p2c(endpoints, fast, score)).toBe(referenceP2c(endpoints, reference, score));
        },
      ),
      { numRuns: 500 },
    );
  });
});
