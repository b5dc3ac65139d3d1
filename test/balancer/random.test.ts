import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { weightedPick, weightedRandom } from "../../src/balancer/random";
import { seededRng } from "../helpers/rng";
import { referenceWeightedPick } from "./reference";
import { expectShares } from "./shares";

const ENDPOINTS = [
  { id: "a", weight: 5 },
  { id: "b", weight: 3 },
  { id: "c", weight: 2 },
];

describe("weighted random", () => {
  it("splits 10k picks in proportion to weight", () => {
    const balancer = weightedRandom();
    const rng = seededRng(42);
    const picked = Array.from({ length: 10_000 }, () => balancer.pick(ENDPOINTS, { rng, now: 0 })!.id);
    expectShares(picked, { a: 5, b: 3, c: 2 });
  });

  it("uses exactly one random draw per pick", () => {
    let draws = 0;
    const rng = () => {
      draws++;
      return 0.7;
    };
    weightedRandom().pick(ENDPOINTS, { rng, now: 0 });
    expect(draws).toBe(1);
  });

  it("maps the draw onto cumulative weights", () => {
    expect(weightedPick(ENDPOINTS, 0)?.id).toBe("a");
    expect(weightedPick(ENDPOINTS, 0.49)?.id).toBe("a");
    expect(weightedPick(ENDPOINTS, 0.5)?.id).toBe("b");
    expect(weightedPick(ENDPOINTS, 0.8)?.id).toBe("c");
    expect(weightedPick(ENDPOINTS, 0.999999999)?.id).toBe("c");
  });
});

describe("weighted random on large lists", () => {
  it("draws exactly what subtracting weights in turn draws, for integer weights", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            id: fc.string({ maxLength: 3 }),
            weight: fc.oneof(fc.integer({ min: -1, max: 4 }), fc.integer({ min: -3, max: 1000 })),
          }),
          { maxLength: 40 },
        ),
        // Small fractions land exactly on the boundaries between small integer weights.
        fc.array(
          fc.oneof(
            fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
            fc.integer({ min: 1, max: 12 }).chain((d) => fc.integer({ min: 0, max: d - 1 }).map((k) => k / d)),
          ),
          { minLength: 1, maxLength: 10 },
        ),
        (endpoints, draws) => {
          // The same array again and again, as eligible() hands it out: sums are computed once.
          for (const u of draws) expect(weightedPick(endpoints, u)).toBe(referenceWeightedPick(endpoints, u));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("maps a draw just below 1 onto the last origin with weight", () => {
    const endpoints = [
      { id: "a", weight: 1 },
      { id: "b", weight: 2 },
      { id: "z", weight: 0 },
    ];
    expect(weightedPick(endpoints, 1 - Number.EPSILON / 2)?.id).toBe("b");
  });

  it("picks from 10,000 origins in proportion to weight", () => {
    const endpoints = Array.from({ length: 10_000 }, (_, i) => ({ id: `o${i}`, weight: i < 5_000 ? 3 : 1 }));
    const balancer = weightedRandom();
    const rng = seededRng(5);
    const heavy = Array.from({ length: 20_000 }, () => balancer.pick(endpoints, { rng, now: 0 })!.id).filter(
      (id) => Number(id.slice(1)) < 5_000,
    );
    expect(heavy.length / 20_000).toBeCloseTo(0.75, 1);
  });
});
