import { describe, expect, it } from "vitest";
import { leastRequest } from "../../src/balancer/least-request";
import { LoadStats } from "../../src/balancer/load";
import { seededRng } from "../helpers/rng";
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
    const endpoints = [{ id: "a", weight: 5 }, { id: "b", weight: 3 }, { id: "c", weight: 2 }];
    const balancer = leastRequest(new LoadStats());
    const rng = seededRng(11);
    const picked = Array.from({ length: 10_000 }, () => balancer.pick(endpoints, { rng, now: T0 })!.id);
    expectShares(picked, { a: 5, b: 3, c: 2 });
  });

  it("sends every request to the idle one of two origins", () => {
    const load = new LoadStats();
    load.begin("busy", T0);
    const counts = countPicks(load, [{ id: "busy", weight: 1 }, { id: "idle", weight: 1 }], 1_000);
    expect(counts).toEqual({ busy: 0, idle: 1_000 });
  });

  it("prefers origins with fewer requests in flight and never picks the busiest", () => {
    const load = new LoadStats();
    for (let i = 0; i < 5; i++) load.begin("a", T0);
    load.begin("b", T0);
    const counts = countPicks(load, ["a", "b", "c"].map((id) => ({ id, weight: 1 })), 3_000);
    expect(counts.a).toBe(0);
    expect(counts.c!).toBeGreaterThan(counts.b! * 1.5);
  });

  it("weighs in-flight requests against weight", () => {
    const load = new LoadStats();
    load.begin("big", T0);
    load.begin("big", T0);
    load.begin("small", T0);
    // big has 2 in flight for weight 4 (0.5 each), small 1 for weight 1.
    const counts = countPicks(load, [{ id: "big", weight: 4 }, { id: "small", weight: 1 }], 1_000);
    expect(counts).toEqual({ big: 1_000, small: 0 });
  });
});
