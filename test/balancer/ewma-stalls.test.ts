import { describe, expect, it } from "vitest";
import { peakEwma } from "../../src/balancer/ewma";
import { LoadStats } from "../../src/balancer/load";
import { seededRng } from "../helpers/rng";

const T0 = 1_700_000_000_000;
const IDS = ["a", "b", "c", "d", "e"];
const ENDPOINTS = IDS.map((id) => ({ id, weight: 1 }));

interface Run {
  /** Share of the picks made while `e` was slow that went to `e`. */
  slowShare: number;
  /** Share of the picks from 15 s after `e` recovered that went to `e` (fair: 1/5). */
  recoveredShare: number;
}

/**
 * The bench's slow-origin scenario on a simulated clock: five origins answering in 5–7 ms, one
 * request every 5 ms (200 req/s, open loop); `e` answers in `slowMs` from 15 s to 45 s; and
 * every 17 s the isolate itself pauses for 180 ms (a garbage collection), during which nothing
 * is picked or settled: requests that arrive meanwhile are picked in one burst after it, and answers
 * due meanwhile are seen late, every one of them as slow as the pause.
 */
function simulate(slowMs: number, seed: number, options = {}): Run {
  const load = new LoadStats(options);
  const balancer = peakEwma(load);
  const rng = seededRng(seed);
  const jitter = seededRng(seed + 100);
  const pending: { id: string; start: number; at: number }[] = [];
  const slow = { picks: 0, e: 0 };
  const after = { picks: 0, e: 0 };
  let queued = 0;
  for (let t = 0; t < 90_000; t += 5) {
    const now = T0 + t;
    const slowNow = t >= 15_000 && t < 45_000;
    if ((t + seed * 3_000) % 17_000 < 180) {
      queued++;
      continue;
    }
    pending.sort((x, y) => x.at - y.at);
    while (pending.length > 0 && pending[0]!.at <= now) {
      const done = pending.shift()!;
      // An answer due during the pause is seen at its end.
      const seen = Math.max(done.at, now - 5);
      load.end(done.id, seen, seen - done.start, false);
    }
    for (let k = 0; k <= queued; k++) {
      const id = balancer.pick(ENDPOINTS, { rng, now })!.id;
      load.begin(id, now);
      const ms = id === "e" && slowNow ? slowMs : 5 + jitter() * 2;
      pending.push({ id, start: now, at: now + ms });
      const tally = slowNow ? slow : t >= 60_000 ? after : null;
      if (tally) {
        tally.picks++;
        if (id === "e") tally.e++;
      }
    }
    queued = 0;
  }
  return { slowShare: slow.e / slow.picks, recoveredShare: after.e / after.picks };
}

describe("peak-EWMA with a slow origin and pauses of the isolate", () => {
  it("sends under 1% of the requests to an origin 100× slower than its peers", () => {
    for (const seed of [1, 2, 3]) expect(simulate(500, seed).slowShare, `seed ${seed}`).toBeLessThan(0.01);
  });

  it("sends an origin 10× slower under 2%, where a pause's peak lingering for the decay sent it 3.6–4.4%", () => {
    for (const seed of [1, 2, 3]) {
      expect(simulate(50, seed).slowShare, `seed ${seed}`).toBeLessThan(0.02);
      expect(simulate(50, seed, { minSampleWeight: 0 }).slowShare, `seed ${seed}, before`).toBeGreaterThan(0.03);
    }
  });

  it("gives a recovered origin a share again, not a starved one", () => {
    for (const seed of [1, 2, 3]) {
      expect(simulate(500, seed).recoveredShare, `seed ${seed}`).toBeGreaterThan(0.1);
      expect(simulate(50, seed).recoveredShare, `seed ${seed}`).toBeGreaterThan(0.1);
    }
  });
});
