import { describe, expect, it } from "vitest";
import { LoadStats } from "../../src/balancer/load";

const T0 = 1_700_000_000_000;

function sample(load: LoadStats, id: string, at: number, ms: number, failed = false): void {
  load.begin(id, at - ms);
  load.end(id, at, ms, failed);
}

describe("LoadStats", () => {
  it("makes an endpoint it has never seen free, so a new origin is tried at once", () => {
    const load = new LoadStats();
    expect(load.cost("new", T0)).toBe(0);
    expect(load.inflight("new")).toBe(0);
  });

  it("counts the default RTT per request a new endpoint has not answered yet, or their age once longer", () => {
    const load = new LoadStats({ defaultRttMs: 30 });
    load.begin("new", T0);
    load.begin("new", T0);
    expect(load.cost("new", T0 + 10)).toBe(60);
    expect(load.cost("new", T0 + 5_000)).toBe(10_000);
  });

  it("counts the age of the oldest request in flight as the latency once it is longer than the estimate", () => {
    const load = new LoadStats();
    sample(load, "a", T0, 6);
    load.begin("a", T0);
    expect(load.cost("a", T0 + 3)).toBeCloseTo(12);
    expect(load.cost("a", T0 + 50)).toBeCloseTo(100);
    load.end("a", T0 + 60, 60, false);
    // The answer itself is the estimate now (a peak), and nothing is in flight to age.
    expect(load.cost("a", T0 + 60)).toBeCloseTo(60);
  });

  it("takes the oldest send off at each answer or abandon, so the age it counts is never more than the real one", () => {
    const load = new LoadStats();
    sample(load, "a", T0 - 1_000, 2);
    load.begin("a", T0); // still in flight at the end
    load.begin("a", T0 + 10);
    load.end("a", T0 + 15, 5, false); // the later request answered first
    // Counted: 10 ms (from T0 + 10), though the request from T0 has waited 20: a lower bound.
    expect(load.cost("a", T0 + 20)).toBeCloseTo(20);
    load.begin("a", T0 + 20);
    load.abandon("a", T0 + 20, 0);
    expect(load.inflight("a")).toBe(1);
    load.end("a", T0 + 30, 30, false);
    expect(load.inflight("a")).toBe(0);
    expect(load.cost("a", T0 + 1_000)).toBeLessThan(30);
  });

  it("takes the first answer of a new endpoint as its estimate", () => {
    const load = new LoadStats({ defaultRttMs: 30 });
    sample(load, "new", T0, 4);
    expect(load.cost("new", T0)).toBe(4);
  });

  it("counts requests in flight and scales the cost by them", () => {
    const load = new LoadStats();
    sample(load, "a", T0, 20);
    load.begin("a", T0);
    load.begin("a", T0);
    expect(load.inflight("a")).toBe(2);
    expect(load.cost("a", T0)).toBeCloseTo(60);
    load.end("a", T0, 20, false);
    expect(load.inflight("a")).toBe(1);
  });

  it("jumps to a slower latency at once", () => {
    const load = new LoadStats();
    sample(load, "a", T0, 10);
    sample(load, "a", T0 + 100, 500);
    expect(load.cost("a", T0 + 100)).toBe(500);
  });

  it("comes down to a faster latency gradually, over the decay time", () => {
    const load = new LoadStats({ decayMs: 10_000 });
    sample(load, "a", T0, 500);
    sample(load, "a", T0 + 1_000, 10);
    const after1s = load.cost("a", T0 + 1_000);
    expect(after1s).toBeGreaterThan(300);
    expect(after1s).toBeLessThan(500);
    for (let s = 2; s <= 60; s++) sample(load, "a", T0 + s * 1_000, 10);
    expect(load.cost("a", T0 + 60_000)).toBeLessThan(15);
  });

  it("makes an idle slow endpoint cheaper with time alone", () => {
    const load = new LoadStats({ decayMs: 10_000 });
    sample(load, "slow", T0, 1_000);
    expect(load.cost("slow", T0 + 30_000)).toBeLessThan(100);
    expect(load.cost("slow", T0 + 120_000)).toBeGreaterThan(0);
  });

  it("never lowers the cost for a fast failure", () => {
    const load = new LoadStats({ penaltyMs: 1_000 });
    sample(load, "a", T0, 10);
    sample(load, "a", T0 + 100, 1, true);
    expect(load.cost("a", T0 + 100)).toBeGreaterThanOrEqual(1_000);

    // Above the penalty, a failure keeps the estimate where it was instead of pulling it down.
    sample(load, "slow", T0, 5_000);
    const before = load.cost("slow", T0 + 100);
    sample(load, "slow", T0 + 100, 1, true);
    expect(load.cost("slow", T0 + 100)).toBeGreaterThanOrEqual(before);
  });

  it("does not count below zero in flight when an end has no begin", () => {
    const load = new LoadStats();
    load.end("a", T0, 10, false);
    expect(load.inflight("a")).toBe(0);
  });

  it("forgets endpoints that left the routing table", () => {
    const load = new LoadStats();
    for (const id of ["a", "b", "c"]) sample(load, id, T0, 10);
    load.forget(["b"]);
    expect(load.size).toBe(1);
    expect(load.cost("a", T0)).toBe(0);
    expect(load.cost("b", T0)).toBe(10);
  });

  it("stays bounded by evicting the least recently used endpoint", () => {
    const load = new LoadStats({ maxEntries: 3 });
    for (const id of ["a", "b", "c"]) sample(load, id, T0, 10);
    load.begin("a", T0);
    load.begin("d", T0);
    expect(load.size).toBe(3);
    expect(load.inflight("a")).toBe(1);
    expect(load.cost("b", T0)).toBe(0);
    expect(load.cost("c", T0)).toBe(10);
  });

  it("counts a hedge race's loser as at least as slow as its wait, never as faster", () => {
    const load = new LoadStats();
    load.begin("a", T0);
    load.end("a", T0 + 10, 10, false);
    load.begin("a", T0 + 10);
    load.abandon("a", T0 + 60, 50);
    expect(load.inflight("a")).toBe(0);
    expect(load.cost("a", T0 + 60)).toBe(50);
    load.begin("a", T0 + 60);
    load.abandon("a", T0 + 65, 5);
    expect(load.cost("a", T0 + 65)).toBeGreaterThan(49);
  });

  it("doubles a loser's bound for each race lost in a row, up to a failure's penalty, and starts over at an answer", () => {
    const load = new LoadStats({ penaltyMs: 1_000 });
    sample(load, "a", T0, 6);
    const lose = (at: number, waited: number) => {
      load.begin("a", at - waited);
      load.abandon("a", at, waited);
      return load.cost("a", at);
    };
    expect(lose(T0 + 100, 16)).toBeCloseTo(16);
    expect(lose(T0 + 200, 16)).toBeCloseTo(32);
    expect(lose(T0 + 300, 16)).toBeCloseTo(64);
    for (let i = 4; i <= 12; i++) lose(T0 + i * 100, 16);
    expect(load.cost("a", T0 + 1_200)).toBeCloseTo(1_000);
    // An answer: the origin is answering again, so its next loss counts once more as its wait alone.
    sample(load, "a", T0 + 60_000, 6);
    expect(lose(T0 + 60_100, 16)).toBeCloseTo(16);
  });
});
