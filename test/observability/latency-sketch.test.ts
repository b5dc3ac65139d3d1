import { describe, expect, it } from "vitest";
import { LatencySketches } from "../../src/observability/latency-sketch";
import { seededRng } from "../helpers/rng";

/** A bucket's upper bound: at least the value, at most 10% above it. */
const within10pc = (ms: number) => (v: number | null) => v !== null && v >= ms && v <= ms * 1.1;

describe("LatencySketches", () => {
  it("answers quantiles within 10% of the exact ones", () => {
    const rng = seededRng(7);
    const sketches = new LatencySketches();
    const samples: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      // Mostly 5–15 ms, a tail of 100–900 ms: the shape of a fleet with one slow origin.
      const ms = rng() < 0.9 ? 5 + rng() * 10 : 100 + rng() * 800;
      samples.push(ms);
      sketches.record("s", ms, 1_000);
    }
    samples.sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      const exact = samples[Math.ceil(q * samples.length) - 1]!;
      const got = sketches.quantile("s", q, 1_000)!;
      expect(got, `q=${q}`).toBeGreaterThanOrEqual(exact * 0.9);
      expect(got, `q=${q}`).toBeLessThanOrEqual(exact * 1.1 + 1);
    }
  });

  it("answers null until it has seen 20 samples", () => {
    const sketches = new LatencySketches();
    for (let i = 0; i < 19; i++) sketches.record("s", 10, 0);
    expect(sketches.quantile("s", 0.95, 0)).toBeNull();
    sketches.record("s", 10, 0);
    expect(sketches.quantile("s", 0.95, 0)).toSatisfy(within10pc(10));
    expect(sketches.quantile("other", 0.95, 0)).toBeNull();
  });

  it("forgets samples older than two windows, so the estimate follows the fleet", () => {
    const sketches = new LatencySketches({ windowMs: 10_000, minSamples: 1 });
    for (let i = 0; i < 100; i++) sketches.record("s", 500, 5_000);
    for (let i = 0; i < 100; i++) sketches.record("s", 10, 15_000);
    // Both halves count at 15 s: the slow half is still the top.
    expect(sketches.quantile("s", 0.95, 15_000)).toBeGreaterThan(400);
    // At 25 s the slow half has slid out.
    expect(sketches.quantile("s", 0.95, 25_000)).toSatisfy(within10pc(10));
    // Idle for a long time: nothing left.
    expect(sketches.quantile("s", 0.95, 100_000)).toBeNull();
  });

  it("keeps at most maxKeys sketches, dropping the least recently used", () => {
    const sketches = new LatencySketches({ maxKeys: 2, minSamples: 1 });
    sketches.record("a", 1, 0);
    sketches.record("b", 1, 0);
    sketches.record("a", 1, 0);
    sketches.record("c", 1, 0);
    expect(sketches.size).toBe(2);
    expect(sketches.quantile("b", 0.5, 0)).toBeNull();
    expect(sketches.quantile("a", 0.5, 0)).toBe(1);
  });
});
