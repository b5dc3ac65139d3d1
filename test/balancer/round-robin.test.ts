import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { roundRobin } from "../../src/balancer/round-robin";
import type { Endpoint } from "../../src/balancer/types";
import { seededRng } from "../helpers/rng";

const input = { rng: seededRng(1), now: 0 };
const list = (weights: Record<string, number>): Endpoint[] =>
  Object.entries(weights).map(([id, weight]) => ({ id, weight }));
const picks = (n: number, next: () => Endpoint | undefined) => Array.from({ length: n }, () => next()?.id);

describe("smooth weighted round robin", () => {
  it("interleaves weights 5/1/1 as nginx does: a a b a c a a, period 7", () => {
    const rr = roundRobin();
    const endpoints = list({ a: 5, b: 1, c: 1 });
    const sequence = picks(21, () => rr.pick(endpoints, input)).join(" ");
    expect(sequence).toBe("a a b a c a a a a b a c a a a a b a c a a");
  });

  it("keeps its place when the list is refreshed with the same ids", () => {
    const rr = roundRobin();
    const sequence = picks(7, () => rr.pick(list({ a: 5, b: 1, c: 1 }), input)).join(" ");
    expect(sequence).toBe("a a b a c a a");
  });

  it("gives each origin exactly its weight in picks per cycle", () => {
    const rr = roundRobin();
    const endpoints = list({ a: 5, b: 3, c: 2 });
    const counts = { a: 0, b: 0, c: 0 } as Record<string, number>;
    for (let i = 0; i < 10_000; i++) counts[rr.pick(endpoints, input)!.id]!++;
    expect(counts).toEqual({ a: 5_000, b: 3_000, c: 2_000 });
  });

  it("gives an origin that left and came back no head start", () => {
    const rr = roundRobin();
    // While b waits behind a, its `current` climbs by 1 a pick; kept, it would win at once.
    expect(picks(5, () => rr.pick(list({ a: 9, b: 1 }), input))).toEqual(["a", "a", "a", "a", "a"]);
    expect(rr.pick(list({ a: 9 }), input)?.id).toBe("a");
    expect(rr.pick(list({ a: 9, b: 1 }), input)?.id).toBe("a");
  });

  it("follows a weight change on the next cycle", () => {
    const rr = roundRobin();
    picks(7, () => rr.pick(list({ a: 5, b: 1, c: 1 }), input));
    const counts = { a: 0, b: 0, c: 0 } as Record<string, number>;
    for (let i = 0; i < 300; i++) counts[rr.pick(list({ a: 1, b: 1, c: 1 }), input)!.id]!++;
    expect(counts).toEqual({ a: 100, b: 100, c: 100 });
  });

  it("picks each origin exactly its weight in times over any cycle of sum(weights) picks", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 8 }), (weights) => {
        const endpoints = weights.map((weight, i) => ({ id: `o${i}`, weight }));
        const total = weights.reduce((a, b) => a + b, 0);
        const rr = roundRobin();
        const counts = new Map<string, number>();
        for (let i = 0; i < total; i++) {
          const id = rr.pick(endpoints, input)!.id;
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        for (const e of endpoints) expect(counts.get(e.id) ?? 0).toBe(e.weight);
      }),
    );
  });
});
