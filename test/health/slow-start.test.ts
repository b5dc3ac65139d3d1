import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SLOW_START_MIN_FRACTION, effectiveWeight, rampsAfter } from "../../src/health/slow-start";

const SINCE = 1_700_000_000_000;

describe("slow start", () => {
  it("starts a recovered origin at 10% of its weight", () => {
    expect(SLOW_START_MIN_FRACTION).toBe(0.1);
    expect(effectiveWeight(100, SINCE, 60, SINCE)).toBeCloseTo(10);
  });

  it("is half-way up the ramp half-way through the window", () => {
    expect(effectiveWeight(100, SINCE, 60, SINCE + 30_000)).toBeCloseTo(55);
  });

  it("grows steadily through the window", () => {
    const weights = [0, 15, 30, 45, 59].map((s) => effectiveWeight(100, SINCE, 60, SINCE + s * 1000));
    for (const [i, w] of weights.slice(1).entries()) expect(w).toBeGreaterThan(weights[i]!);
    expect(weights.at(-1)).toBeLessThan(100);
  });

  it("gives full weight once the window is over", () => {
    expect(effectiveWeight(100, SINCE, 60, SINCE + 60_000)).toBe(100);
    expect(effectiveWeight(100, SINCE, 60, SINCE + 3_600_000)).toBe(100);
  });

  it("gives full weight at once when slow start is off", () => {
    expect(effectiveWeight(7, SINCE, 0, SINCE)).toBe(7);
  });

  it("gives full weight when the origin has no known start", () => {
    expect(effectiveWeight(7, null, 60, SINCE)).toBe(7);
  });

  it("keeps weight 0 at 0 (no new traffic)", () => {
    expect(effectiveWeight(0, SINCE, 60, SINCE)).toBe(0);
    expect(effectiveWeight(0, SINCE, 60, SINCE + 30_000)).toBe(0);
  });

  it("still sends a trickle to a weight-1 origin at the start", () => {
    expect(effectiveWeight(1, SINCE, 3600, SINCE)).toBeGreaterThan(0);
  });

  it("treats a clock behind the start as the start", () => {
    expect(effectiveWeight(100, SINCE, 60, SINCE - 5_000)).toBeCloseTo(10);
  });

  it("says the weight may still change exactly until the window is over", () => {
    expect(rampsAfter(100, SINCE, 60, SINCE - 5_000)).toBe(true);
    expect(rampsAfter(100, SINCE, 60, SINCE + 59_999)).toBe(true);
    expect(rampsAfter(100, SINCE, 60, SINCE + 60_000)).toBe(false);
    expect(rampsAfter(0, SINCE, 60, SINCE)).toBe(false);
    expect(rampsAfter(100, null, 60, SINCE)).toBe(false);
    expect(rampsAfter(100, SINCE, 0, SINCE)).toBe(false);
  });

  it("never leaves a weight that still changes marked as settled", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.option(fc.integer({ min: -100_000, max: 100_000 }), { nil: null }),
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: -100_000, max: 100_000 }),
        fc.integer({ min: 0, max: 200_000 }),
        (weight, since, slowStartS, now, later) => {
          const s = since === null ? null : SINCE + since;
          if (!rampsAfter(weight, s, slowStartS, SINCE + now)) {
            expect(effectiveWeight(weight, s, slowStartS, SINCE + now + later)).toBe(
              effectiveWeight(weight, s, slowStartS, SINCE + now),
            );
          }
        },
      ),
    );
  });
});
