import { describe, expect, it } from "vitest";
import { consistentHash } from "../../src/balancer/hash";
import type { Endpoint } from "../../src/balancer/types";
import { seededRng } from "../helpers/rng";
import { expectShares } from "./shares";

const KEYS = Array.from({ length: 10_000 }, (_, i) => `client-${i}`);
const origins = (n: number): Endpoint[] => Array.from({ length: n }, (_, i) => ({ id: `origin-${i}`, weight: 1 }));

/** Where each key lands with a fresh balancer. */
function assign(endpoints: readonly Endpoint[]): string[] {
  const balancer = consistentHash();
  const rng = seededRng(5);
  return KEYS.map((hashKey) => balancer.pick(endpoints, { rng, now: 0, hashKey })!.id);
}

const movedShare = (before: string[], after: string[], only?: (i: number) => boolean) =>
  before.filter((id, i) => id !== after[i] && (only?.(i) ?? true)).length / before.length;

describe("consistent hash (Maglev)", () => {
  it("sends the same key to the same origin, whatever the list order or instance", () => {
    const endpoints = origins(5);
    const first = assign(endpoints);
    expect(assign(endpoints)).toEqual(first);
    expect(assign([...endpoints].reverse())).toEqual(first);
    const balancer = consistentHash();
    const rng = seededRng(1);
    const again = Array.from({ length: 50 }, () => balancer.pick(endpoints, { rng, now: 0, hashKey: "k" })!.id);
    expect(new Set(again).size).toBe(1);
  });

  it("spreads 10k keys in proportion to weight", () => {
    const endpoints = [
      { id: "a", weight: 5 },
      { id: "b", weight: 3 },
      { id: "c", weight: 2 },
    ];
    expectShares(assign(endpoints), { a: 5, b: 3, c: 2 });
  });

  it("moves only about a tenth of keys when one of ten origins leaves, almost all from it", () => {
    const endpoints = origins(10);
    const before = assign(endpoints);
    const after = assign(endpoints.filter((e) => e.id !== "origin-3"));
    expect(movedShare(before, after)).toBeLessThanOrEqual(0.15);
    expect(movedShare(before, after, (i) => before[i] !== "origin-3")).toBeLessThan(0.03);
    expect(after).not.toContain("origin-3");
  });

  it("moves about 1/(N+1) of keys when an eleventh origin joins", () => {
    const endpoints = origins(11);
    const moved = movedShare(assign(endpoints.slice(0, 10)), assign(endpoints));
    expect(moved).toBeGreaterThan(0.06);
    expect(moved).toBeLessThan(0.13);
  });

  it("falls back to weighted random when the request has no key", () => {
    const balancer = consistentHash();
    const rng = seededRng(9);
    const endpoints = [
      { id: "a", weight: 3 },
      { id: "b", weight: 1 },
    ];
    const landed = Array.from({ length: 10_000 }, () => balancer.pick(endpoints, { rng, now: 0, hashKey: null })!.id);
    expectShares(landed, { a: 3, b: 1 });
  });
});
