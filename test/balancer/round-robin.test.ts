import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { roundRobin } from "../../src/balancer/round-robin";
import { EXACT_MAX_WEIGHTS } from "../../src/balancer/schedule";
import type { Endpoint } from "../../src/balancer/types";
import { seededRng } from "../helpers/rng";
import { referenceRoundRobin } from "./reference";

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

describe("smooth weighted round robin on large and changing lists", () => {
  const weightArb = fc.integer({ min: 0, max: 32 });
  const opArb = fc.oneof(
    fc.record({ kind: fc.constant("pick" as const), times: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ kind: fc.constant("refresh" as const) }),
    fc.record({ kind: fc.constant("reweigh" as const), at: fc.nat(), weight: weightArb }),
    fc.record({
      kind: fc.constant("retry" as const),
      drop: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
      times: fc.integer({ min: 1, max: 3 }),
    }),
    fc.record({
      kind: fc.constant("members" as const),
      members: fc.array(fc.option(weightArb, { nil: null }), { minLength: 12, maxLength: 12 }),
    }),
    fc.record({ kind: fc.constant("reverse" as const) }),
  );
  type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

  // Runs the same lists through both pickers, as eligible() and a retry pass them.
  function follow(initial: Endpoint[], ops: Op[]) {
    const fast = roundRobin();
    const reference = referenceRoundRobin();
    const both = (endpoints: readonly Endpoint[]) =>
      expect(fast.pick(endpoints, input)?.id).toBe(reference.pick(endpoints, input)?.id);
    let current = initial;
    for (const op of ops) {
      switch (op.kind) {
        case "pick":
          for (let i = 0; i < op.times; i++) both(current);
          break;
        case "refresh":
          current = current.map((e) => ({ ...e }));
          break;
        case "reweigh":
          if (current.length > 0)
            current = current.map((e, i) => (i === op.at % current.length ? { ...e, weight: op.weight } : e));
          break;
        case "retry": {
          const untried = current.filter((_, i) => !op.drop.some((d) => d % current.length === i));
          for (let i = 0; i < op.times; i++) both(untried);
          break;
        }
        case "members":
          current = op.members.flatMap((weight, i) => (weight === null ? [] : [{ id: `o${i}`, weight }]));
          break;
        case "reverse":
          current = [...current].reverse();
          break;
      }
      both(current);
    }
  }

  it("with equal weights is plain rotation in list order, as nginx's own algorithm is", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 120 }),
        (n, weight, count) => {
          const endpoints = Array.from({ length: n }, (_, i) => ({ id: `o${i}`, weight }));
          const reference = referenceRoundRobin();
          const rr = roundRobin();
          for (let i = 0; i < count; i++) {
            expect(reference.pick(endpoints, input)?.id).toBe(`o${i % n}`);
            expect(rr.pick(endpoints, input)?.id).toBe(`o${i % n}`);
          }
        },
      ),
    );
  });

  it("picks exactly what nginx's algorithm picks through refreshes, weight changes, retries and membership changes", () => {
    fc.assert(
      fc.property(fc.array(weightArb, { maxLength: 12 }), fc.array(opArb, { maxLength: 25 }), (weights, ops) => {
        follow(
          weights.map((weight, i) => ({ id: `o${i}`, weight })),
          ops,
        );
      }),
      { numRuns: 500 },
    );
  });

  it("picks exactly what nginx's algorithm picks on 3,000 origins of three weights, through a retry and changes", () => {
    const rng = seededRng(7);
    const weights = [1, 2, 5];
    const initial = Array.from({ length: 3_000 }, (_, i) => ({ id: `o${i}`, weight: weights[Math.floor(rng() * 3)]! }));
    follow(initial, [
      { kind: "pick", times: 400 },
      { kind: "retry", drop: [17, 400, 2_999], times: 2 },
      { kind: "pick", times: 50 },
      { kind: "reweigh", at: 5, weight: 2 },
      { kind: "pick", times: 50 },
      { kind: "refresh" },
      { kind: "pick", times: 50 },
    ]);
  });

  it("keeps nginx's order on 10,000 equal-weight origins and serves a retry without rebuilding the whole order", () => {
    const endpoints = Array.from({ length: 10_000 }, (_, i) => ({ id: `o${i}`, weight: 1 }));
    const rr = roundRobin();
    expect(picks(3, () => rr.pick(endpoints, input))).toEqual(["o0", "o1", "o2"]);
    const untried = endpoints.filter((e) => e.id !== "o3");
    expect(rr.pick(untried, input)?.id).toBe("o4");
    // o3 left the list, so like any returning id it starts over and comes up after the others.
    expect(picks(3, () => rr.pick(endpoints, input))).toEqual(["o5", "o6", "o7"]);
  });

  describe(`above ${EXACT_MAX_WEIGHTS} distinct weights (earliest deadline first)`, () => {
    const distinct = fc.uniqueArray(fc.integer({ min: 1, max: 200 }), {
      minLength: EXACT_MAX_WEIGHTS + 1,
      maxLength: 60,
    });

    it("still gives each origin exactly its weight in picks per cycle of sum(weights)", () => {
      fc.assert(
        fc.property(distinct, (weights) => {
          const endpoints = weights.map((weight, i) => ({ id: `o${i}`, weight }));
          const total = weights.reduce((a, b) => a + b, 0);
          const rr = roundRobin();
          for (let cycle = 0; cycle < 2; cycle++) {
            const counts = new Map<string, number>();
            for (let i = 0; i < total; i++) {
              const id = rr.pick(endpoints, input)!.id;
              counts.set(id, (counts.get(id) ?? 0) + 1);
            }
            for (const e of endpoints) expect(counts.get(e.id)).toBe(e.weight);
          }
        }),
        { numRuns: 50 },
      );
    });

    it("never picks an origin a retry leaves out, nor one with weight 0", () => {
      fc.assert(
        fc.property(distinct, fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), (weights, drop) => {
          const endpoints = weights.map((weight, i) => ({ id: `o${i}`, weight: i === 0 ? 0 : weight }));
          const rr = roundRobin();
          for (let round = 0; round < 20; round++) {
            const picked = rr.pick(endpoints, input)!;
            expect(picked.id).not.toBe("o0");
            const untried = endpoints.filter((e, i) => e !== picked && !drop.includes(i));
            const retry = rr.pick(untried, input);
            const live = untried.filter((e) => e.weight > 0);
            if (live.length === 0) expect(retry).toBeUndefined();
            else expect(live).toContain(retry);
          }
        }),
        { numRuns: 50 },
      );
    });
  });
});
