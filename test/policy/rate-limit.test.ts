import { describe, expect, it } from "vitest";
import { WindowCounter, parseUnit, slotsFor } from "../../src/policy/rate-limit";

describe("per-isolate fixed windows", () => {
  it("allow `limit` per window and tell how long until it ends", () => {
    const w = new WindowCounter();
    const t0 = 1_000_000; // a window boundary for 10 s windows
    for (let i = 0; i < 3; i++) expect(w.hit("k", 3, 10_000, t0 + i).ok).toBe(true);
    expect(w.hit("k", 3, 10_000, t0 + 2_500)).toEqual({ ok: false, retryAfterS: 8 });
    expect(w.hit("other", 3, 10_000, t0 + 2_500).ok).toBe(true);
    expect(w.hit("k", 3, 10_000, t0 + 10_000).ok).toBe(true); // the next window
  });

  it("stay bounded: ended windows are dropped when the map is full", () => {
    const w = new WindowCounter();
    for (let i = 0; i < 50_000; i++) w.hit(`k${i}`, 1, 10_000, 0);
    w.hit("new", 1, 10_000, 10_000);
    expect(w.size).toBe(1);
  });
});

describe("the RATE_LIMITER binding's unit", () => {
  it("parses MESH_RATE_LIMITER_UNIT", () => {
    expect(parseUnit("10/60")).toEqual({ limit: 10, periodS: 60 });
    expect(parseUnit(" 100/10 ")).toEqual({ limit: 100, periodS: 10 });
    for (const bad of [undefined, "", "10/30", "0/60", "ten/60", "10"]) expect(parseUnit(bad)).toBeNull();
  });

  it("spreads a limit over slots of the unit, or leaves it to the isolate when it cannot", () => {
    const unit = { limit: 10, periodS: 60 };
    expect(slotsFor({ limit: 100, period_s: 60 }, unit)).toBe(10);
    expect(slotsFor({ limit: 10, period_s: 60 }, unit)).toBe(1);
    expect(slotsFor({ limit: 25, period_s: 60 }, unit)).toBe(3); // about 30: documented rounding
    expect(slotsFor({ limit: 5, period_s: 60 }, unit)).toBeNull();
    expect(slotsFor({ limit: 100, period_s: 10 }, unit)).toBeNull();
  });
});
