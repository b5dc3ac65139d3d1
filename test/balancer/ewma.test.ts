import { describe, expect, it } from "vitest";
import { peakEwma } from "../../src/balancer/ewma";
import { LoadStats } from "../../src/balancer/load";
import type { Endpoint } from "../../src/balancer/types";
import { seededRng } from "../helpers/rng";

const T0 = 1_700_000_000_000;
const ENDPOINTS: Endpoint[] = ["a", "b", "c"].map((id) => ({ id, weight: 1 }));

interface Reply {
  readonly ms: number;
  readonly failed: boolean;
}

/** A fake clock sending one request every `everyMs`, each answered after `reply(id).ms`. */
class Simulation {
  readonly load = new LoadStats();
  readonly #balancer = peakEwma(this.load);
  readonly #rng = seededRng(7);
  readonly #pending: { id: string; at: number; reply: Reply }[] = [];
  #now = T0;

  constructor(
    readonly reply: (id: string) => Reply,
    readonly everyMs = 5,
  ) {}

  /** Runs for `durationMs` of simulated time and returns each endpoint's share of the picks. */
  run(durationMs: number): Record<string, number> {
    const picks: Record<string, number> = { a: 0, b: 0, c: 0 };
    let total = 0;
    for (const end = this.#now + durationMs; this.#now < end; this.#now += this.everyMs) {
      this.#settle();
      const chosen = this.#balancer.pick(ENDPOINTS, { rng: this.#rng, now: this.#now })!;
      picks[chosen.id]!++;
      total++;
      this.load.begin(chosen.id, this.#now);
      const reply = this.reply(chosen.id);
      this.#pending.push({ id: chosen.id, at: this.#now + reply.ms, reply });
    }
    for (const id in picks) picks[id]! /= total;
    return picks;
  }

  #settle(): void {
    this.#pending.sort((x, y) => x.at - y.at);
    while (this.#pending.length > 0 && this.#pending[0]!.at <= this.#now) {
      const done = this.#pending.shift()!;
      this.load.end(done.id, done.at, done.reply.ms, done.reply.failed);
    }
  }
}

const ok = (ms: number): Reply => ({ ms, failed: false });

describe("peak-EWMA balancer", () => {
  it("splits traffic about evenly between equally fast origins, busy or idle", () => {
    // Every 5 ms with 10 ms replies keeps requests overlapping; every 20 ms with 5 ms replies
    // never does, and peers faster than the default RTT must not starve a newcomer.
    for (const [everyMs, ms] of [
      [5, 10],
      [20, 5],
    ] as const) {
      const share = new Simulation(() => ok(ms), everyMs).run(30_000);
      for (const id of ["a", "b", "c"]) expect(share[id]).toBeCloseTo(1 / 3, 1);
    }
  });

  it("moves traffic away from an origin ten times slower than its peers", () => {
    const sim = new Simulation((id) => ok(id === "c" ? 100 : 10));
    sim.run(5_000);
    expect(sim.run(60_000).c).toBeLessThan(0.05);
  });

  it("gives a recovered origin its fair share back within 30 s", () => {
    let slow = true;
    const sim = new Simulation((id) => ok(id === "c" && slow ? 100 : 10));
    sim.run(60_000);
    slow = false;
    sim.run(30_000);
    expect(sim.run(10_000).c).toBeGreaterThan(0.25);
  });

  it("stops sending to an origin that turned slow before its first slow answer is back", () => {
    // Before the age of a request in flight counted, the second request went there too.
    let slow = false;
    const sim = new Simulation((id) => ok(id === "c" && slow ? 2_000 : 10));
    sim.run(10_000);
    slow = true;
    expect(Math.round(sim.run(2_000).c * 400)).toBe(1);
  });

  it("keeps probing a slow origin now and then instead of abandoning it", () => {
    const sim = new Simulation((id) => ok(id === "c" ? 100 : 10));
    sim.run(5_000);
    expect(sim.run(120_000).c).toBeGreaterThan(0);
  });

  it("does not send more traffic to an origin that fails in 1 ms", () => {
    const sim = new Simulation((id) => (id === "c" ? { ms: 1, failed: true } : ok(10)));
    sim.run(5_000);
    expect(sim.run(60_000).c).toBeLessThan(0.05);
  });

  it("prefers the origin with the lower latency per unit of weight", () => {
    const load = new LoadStats();
    for (const [id, ms] of [
      ["a", 20],
      ["b", 30],
    ] as const) {
      load.begin(id, T0);
      load.end(id, T0 + ms, ms, false);
    }
    const ewma = peakEwma(load);
    const endpoints = [
      { id: "a", weight: 1 },
      { id: "b", weight: 2 },
    ];
    const rng = seededRng(3);
    const picks = Array.from({ length: 100 }, () => ewma.pick(endpoints, { rng, now: T0 + 50 })!.id);
    expect(picks.every((id) => id === "b")).toBe(true);
  });
});
