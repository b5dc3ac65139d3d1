import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LoadStats } from "../../src/balancer/load";

const T0 = 1_700_000_000_000;

const op = fc.record({
  kind: fc.constantFrom("begin", "begin", "end", "abandon"),
  gap: fc.integer({ min: 0, max: 50 }),
  pick: fc.nat(),
});

describe("LoadStats: the age of requests in flight", () => {
  it("never counts an age above that of the oldest request really in flight, whichever ends first", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const load = new LoadStats();
        // One answer first, so the cost is the latency × (in flight + 1) (an endpoint never answered counts differently).
        load.begin("a", T0 - 10);
        load.end("a", T0, 10, false);
        const inFlight: number[] = [];
        let t = T0;
        let lastBegin = T0;
        for (const { kind, gap, pick } of ops) {
          t += gap;
          if (kind === "begin") {
            load.begin("a", t);
            inFlight.push(t);
            lastBegin = t;
          } else if (inFlight.length > 0) {
            // Any request in flight may be the one that ends, not only the oldest.
            const [start] = inFlight.splice(pick % inFlight.length, 1);
            if (kind === "end") load.end("a", t, t - start!, false);
            else load.abandon("a", t, t - start!);
          }
        }
        expect(load.inflight("a")).toBe(inFlight.length);
        if (inFlight.length === 0) return;
        // Ten minutes on, every estimate has decayed to its 1 ms floor: the cost is the age × (in flight + 1).
        const now = t + 600_000;
        const age = load.cost("a", now) / (inFlight.length + 1);
        // A lower bound of the oldest one's wait (the sends it counts are the latest ones), and at least the last send's age.
        expect(age).toBeLessThanOrEqual(now - Math.min(...inFlight) + 1e-6);
        expect(age).toBeGreaterThanOrEqual(now - lastBegin - 1e-6);
      }),
      { numRuns: 500 },
    );
  });
});
