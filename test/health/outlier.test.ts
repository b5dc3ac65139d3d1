import { describe, expect, it } from "vitest";
import {
  MAX_EJECTION_MULTIPLIER,
  type OutlierConfig,
  applyEjectionReport,
  ejectionAllowed,
  recordPassive,
  releaseExpired,
} from "../../src/health/outlier";
import { type HealthState, initialHealth } from "../../src/health/state";

const T0 = 1_700_000_000_000;
const CFG: OutlierConfig = { consecutive_failures: 5, base_ejection_s: 30, max_ejection_percent: 50 };

/** Feeds `n` consecutive failures; returns the last result. */
function failTimes(state: HealthState, n: number, now: number, canEject = true) {
  let r = { state, ejected: false, reason: null as string | null };
  for (let i = 0; i < n; i++) r = recordPassive(r.state, true, CFG, now, canEject);
  return r;
}

/** Ejects, waits the ejection out and releases; returns the state and how long the ejection lasted. */
function ejectAndRelease(state: HealthState, now: number) {
  const ejected = failTimes(state, 5, now).state;
  const until = ejected.ejected_until!;
  return { state: releaseExpired(ejected, until).state, seconds: (until - now) / 1000, releasedAt: until };
}

describe("outlier ejection", () => {
  it("ejects an origin after 5 consecutive failures", () => {
    const four = failTimes(initialHealth(T0), 4, T0);
    expect(four.ejected).toBe(false);
    expect(four.state.ejected_until).toBeNull();
    const fifth = recordPassive(four.state, true, CFG, T0, true);
    expect(fifth.ejected).toBe(true);
    expect(fifth.state.ejected_until).toBe(T0 + 30_000);
    expect(fifth.state.ejection_count).toBe(1);
    expect(fifth.state.passive_failures).toBe(0);
    expect(fifth.reason).toBe("outlier: 5 consecutive failures, ejected for 30s");
  });

  it("a success resets the failure streak", () => {
    let state = failTimes(initialHealth(T0), 4, T0).state;
    state = recordPassive(state, false, CFG, T0, true).state;
    expect(state.passive_failures).toBe(0);
    expect(failTimes(state, 4, T0).ejected).toBe(false);
  });

  it("does not eject when the ejection cap forbids it, and ejects on the next failure once allowed", () => {
    const blocked = failTimes(initialHealth(T0), 7, T0, false);
    expect(blocked.ejected).toBe(false);
    expect(blocked.reason).toBeNull();
    expect(blocked.state.ejected_until).toBeNull();
    const allowed = recordPassive(blocked.state, true, CFG, T0, true);
    expect(allowed.ejected).toBe(true);
    expect(allowed.reason).toBe("outlier: 8 consecutive failures, ejected for 30s");
  });

  it("ignores outcomes that arrive while the origin is ejected", () => {
    const ejected = failTimes(initialHealth(T0), 5, T0).state;
    const late = failTimes(ejected, 10, T0 + 1_000);
    expect(late.ejected).toBe(false);
    expect(late.state).toEqual(ejected);
  });

  it("grows the ejection time with each ejection and caps it at 10 × base", () => {
    let state = initialHealth(T0);
    let now = T0;
    const seconds: number[] = [];
    for (let i = 0; i < 12; i++) {
      const r = ejectAndRelease(state, now);
      seconds.push(r.seconds);
      state = r.state;
      now = r.releasedAt + 1_000;
    }
    expect(MAX_EJECTION_MULTIPLIER).toBe(10);
    expect(seconds).toEqual([30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300, 300]);
  });

  it("forgets past ejections after a success once routable for 10 × base", () => {
    let { state, releasedAt } = ejectAndRelease(ejectAndRelease(initialHealth(T0), T0).state, T0 + 60_000);
    expect(state.ejection_count).toBe(2);
    state = recordPassive(state, false, CFG, releasedAt + 299_999, true).state;
    expect(state.ejection_count).toBe(2);
    state = recordPassive(state, false, CFG, releasedAt + 300_000, true).state;
    expect(state.ejection_count).toBe(0);
    expect(ejectAndRelease(state, releasedAt + 400_000).seconds).toBe(30);
  });

  it("does not change the state it was given", () => {
    const before = failTimes(initialHealth(T0), 4, T0).state;
    const copy = structuredClone(before);
    recordPassive(before, true, CFG, T0, true);
    expect(before).toEqual(copy);
  });
});

describe("ejectionAllowed", () => {
  it.each<[number, number, number, boolean]>([
    // max 50%: how many of N origins may be ejected
    [0, 1, 50, false],
    [0, 2, 50, true],
    [1, 2, 50, false],
    [0, 3, 50, true],
    [1, 3, 50, false],
    [1, 4, 50, true],
    [2, 4, 50, false],
    [4, 10, 50, true],
    [5, 10, 50, false],
    // 0% never ejects
    [0, 1, 0, false],
    [0, 10, 0, false],
    // 100% may eject every origin
    [0, 1, 100, true],
    [9, 10, 100, true],
    [10, 10, 100, false],
    // nothing to eject
    [0, 0, 100, false],
  ])("%i already ejected of %i at max %i%% → %s", (ejectedNow, total, max, allowed) => {
    expect(ejectionAllowed(ejectedNow, total, max)).toBe(allowed);
  });
});

describe("releaseExpired", () => {
  it("keeps an ejection until its time is up", () => {
    const ejected = failTimes(initialHealth(T0), 5, T0).state;
    const r = releaseExpired(ejected, T0 + 29_999);
    expect(r.reason).toBeNull();
    expect(r.state.ejected_until).toBe(T0 + 30_000);
  });

  it("releases an expired ejection and restarts slow start", () => {
    const ejected = failTimes(initialHealth(T0), 5, T0).state;
    const r = releaseExpired(ejected, T0 + 31_000);
    expect(r.reason).toBe("outlier: ejection expired");
    expect(r.state.ejected_until).toBeNull();
    expect(r.state.healthy_since).toBe(T0 + 31_000);
    expect(r.state.ejection_count).toBe(1);
  });

  it("does not restart slow start while active checks still fail", () => {
    const ejected = { ...failTimes(initialHealth(T0), 5, T0).state, active: "failing" as const };
    const r = releaseExpired(ejected, T0 + 31_000);
    expect(r.reason).toBe("outlier: ejection expired");
    expect(r.state.healthy_since).toBe(T0);
  });

  it("does nothing to an origin that is not ejected", () => {
    const state = initialHealth(T0);
    expect(releaseExpired(state, T0 + 1)).toEqual({ state, reason: null });
  });
});

describe("applyEjectionReport", () => {
  const report = { ejected_until: T0 + 30_000, reason: "outlier: 5 consecutive failures, ejected for 30s" };
  const healthy = () => ({ ...initialHealth(T0), passive_failures: 3 });
  const ejectedPeer = () => ({ ...initialHealth(T0), ejected_until: T0 + 10_000 });

  it("ejects until the reported time, counting the ejection and clearing the failure streak", () => {
    const state = healthy();
    const r = applyEjectionReport(state, report, CFG, [state, initialHealth(T0)], T0);
    expect(r).toEqual({
      state: { ...state, ejected_until: T0 + 30_000, ejection_count: 1, passive_failures: 0 },
      reason: report.reason,
    });
  });

  it("ignores a report that has run out, or one for an origin that is already ejected", () => {
    const state = healthy();
    expect(
      applyEjectionReport(state, { ...report, ejected_until: T0 }, CFG, [state, initialHealth(T0)], T0),
    ).toBeNull();
    const already = ejectedPeer();
    expect(applyEjectionReport(already, report, CFG, [already, initialHealth(T0)], T0)).toBeNull();
  });

  it("ignores a report for a service without outlier detection", () => {
    const state = healthy();
    expect(applyEjectionReport(state, report, null, [state, initialHealth(T0)], T0)).toBeNull();
  });

  it("keeps max_ejection_percent across isolates: peers ejected by other reports count", () => {
    const state = healthy();
    // Two of four at 50%: one already ejected by another isolate's report leaves room for one more.
    expect(
      applyEjectionReport(state, report, CFG, [state, ejectedPeer(), initialHealth(T0), initialHealth(T0)], T0),
    ).not.toBeNull();
    expect(
      applyEjectionReport(state, report, CFG, [state, ejectedPeer(), ejectedPeer(), initialHealth(T0)], T0),
    ).toBeNull();
    // A peer whose ejection has ended no longer counts.
    const ended = { ...initialHealth(T0), ejected_until: T0 - 1 };
    expect(applyEjectionReport(state, report, CFG, [state, ended], T0)).not.toBeNull();
  });
});
