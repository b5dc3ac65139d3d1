import { describe, expect, it } from "vitest";
import { applyStreak, type CheckResult, type Thresholds } from "../../src/health/active";
import { initialRegionState, type RegionState, regionHealth } from "../../src/health/region";

// Thresholds apply per region: each region's checker has its own streaks and verdict.

const T0 = 1_700_000_000_000;
const pass: CheckResult = { ok: true, latencyMs: 12, error: null };
const fail: CheckResult = { ok: false, latencyMs: 30, error: "status 500" };
const T: Thresholds = { healthy_threshold: 2, unhealthy_threshold: 3 };

/** Runs "PPF…" through one region's state; returns the verdicts after each check. */
function run(seq: string, from: RegionState = initialRegionState()) {
  let state = from;
  const verdicts: string[] = [];
  [...seq].forEach((c, i) => {
    state = applyStreak(state, c === "P" ? pass : fail, T, T0 + i * 1000).state;
    verdicts.push(state.active);
  });
  return { state, verdicts };
}

describe("per-region threshold state", () => {
  it("a region's verdict flips only after its own full threshold", () => {
    expect(run("FFF").verdicts).toEqual(["unknown", "unknown", "failing"]);
    expect(run("PP").verdicts).toEqual(["unknown", "passing"]);
    expect(run("PPFFPFFF").verdicts).toEqual([
      "unknown",
      "passing",
      "passing",
      "passing",
      "passing",
      "passing",
      "passing",
      "failing",
    ]);
  });

  it("regions keep separate streaks: one region's failures do not count for another", () => {
    const weur = run("FF").state;
    const apac = run("F").state;
    // Three failures in all, but no region has three: neither flips.
    expect([weur.active, apac.active]).toEqual(["unknown", "unknown"]);
    expect(applyStreak(weur, fail, T, T0).state.active).toBe("failing");
    expect(applyStreak(apac, fail, T, T0).state.active).toBe("unknown");
  });

  it("reports the flip with the same words as the single checker", () => {
    const two = run("FF").state;
    expect(applyStreak(two, fail, T, T0).reason).toBe("active: 3 consecutive failures: status 500");
  });

  it("shows as { status, last_check, latency_ms, last_error }", () => {
    expect(regionHealth(initialRegionState())).toEqual({
      status: "unknown",
      last_check: null,
      latency_ms: null,
      last_error: null,
    });
    expect(regionHealth(run("FFF").state)).toEqual({
      status: "unhealthy",
      last_check: new Date(T0 + 2000).toISOString(),
      latency_ms: 30,
      last_error: "status 500",
    });
    expect(regionHealth(run("PP").state).status).toBe("healthy");
  });
});
