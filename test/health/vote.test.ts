import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ActiveVerdict } from "../../src/health/state";
import { initialHealth } from "../../src/health/state";
import { initialRegionState } from "../../src/health/region";
import { applyVote, decide, type RegionVote, tally } from "../../src/health/vote";

const T0 = 1_700_000_000_000;
const THREE = ["wnam", "weur", "apac"] as const;

/** Votes from a string such as "P F -" (one letter per region in order: Passing, Failing, - no verdict). */
function votes(regions: readonly string[], spec: string): Map<string, RegionVote> {
  const letters = spec.replace(/\s/g, "");
  const out = new Map<string, RegionVote>();
  regions.forEach((region, i) => {
    const c = letters[i];
    if (c === "P") out.set(region, { active: "passing", last_error: null });
    else if (c === "F") out.set(region, { active: "failing", last_error: "status 500" });
    else if (c === "U") out.set(region, { active: "unknown", last_error: null });
  });
  return out;
}

describe("majority vote over a service's regions", () => {
  it.each<[string, readonly string[], string, ActiveVerdict, ActiveVerdict]>([
    // [what, regions, votes, current, expected]
    ["one of three failing keeps it healthy", THREE, "P F P", "passing", "passing"],
    ["two of three failing make it unhealthy", THREE, "P F F", "passing", "failing"],
    ["three of three failing", THREE, "F F F", "passing", "failing"],
    ["recovery: two of three passing", THREE, "P P F", "failing", "passing"],
    ["a tie of two is healthy", ["wnam", "weur"], "P F", "failing", "passing"],
    ["a tie of four is healthy", ["wnam", "enam", "weur", "apac"], "P P F F", "failing", "passing"],
    ["one region is its own majority (failing)", ["weur"], "F", "passing", "failing"],
    ["one region is its own majority (passing)", ["weur"], "P", "unknown", "passing"],
    ["a new origin stays unknown until half its regions pass", THREE, "P - -", "unknown", "unknown"],
    ["a new origin turns healthy when two of three pass", THREE, "P P -", "unknown", "passing"],
    ["regions not yet reporting cannot take it down: 1 failing of 3", THREE, "F - -", "passing", "passing"],
    ["regions not yet reporting cannot take it down: a new origin", THREE, "F - U", "unknown", "unknown"],
    ["no majority either way keeps the verdict (failing)", THREE, "P F -", "failing", "failing"],
    ["no majority either way keeps the verdict (passing)", THREE, "P F -", "passing", "passing"],
    ["two failing of five is no majority", ["wnam", "enam", "sam", "weur", "apac"], "F F P - -", "passing", "passing"],
    ["three failing of five is", ["wnam", "enam", "sam", "weur", "apac"], "F F F P P", "passing", "failing"],
  ])("%s", (_what, regions, spec, current, expected) => {
    expect(decide(current, tally(regions, votes(regions, spec))).active).toBe(expected);
  });

  it("names the failing regions in the service's order, of how many, and what they saw", () => {
    const v = votes(THREE, "P F F");
    v.set("apac", { active: "failing", last_error: "timeout after 500ms" });
    expect(decide("passing", tally(THREE, v))).toEqual({
      active: "failing",
      reason: "active: unhealthy in weur, apac of 3: status 500; timeout after 500ms",
    });
    expect(decide("passing", tally(THREE, votes(THREE, "P F F"))).reason).toBe(
      "active: unhealthy in weur, apac of 3: status 500",
    );
  });

  it("says how many regions carried a recovery, and which", () => {
    expect(decide("failing", tally(THREE, votes(THREE, "P F P")))).toEqual({
      active: "passing",
      reason: "active: healthy in 2 of 3 regions (wnam, apac)",
    });
  });

  it("gives no reason when the verdict stays", () => {
    expect(decide("passing", tally(THREE, votes(THREE, "P F P")))).toEqual({ active: "passing", reason: null });
  });

  it("ignores votes of regions the service no longer lists", () => {
    const v = votes(["wnam", "weur", "apac"], "F F P");
    expect(decide("passing", tally(["apac"], v)).active).toBe("passing");
  });

  it("never lets failing and passing both win: failing wins exactly with a strict majority", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom<ActiveVerdict>("passing", "failing", "unknown"), { maxLength: 9 }), (vs) => {
        const regions = vs.map((_, i) => `r${i}`);
        const map = new Map(vs.map((active, i) => [`r${i}`, { active, last_error: null }]));
        const t = tally(regions, map);
        const failing = vs.filter((x) => x === "failing").length;
        const passing = vs.filter((x) => x === "passing").length;
        for (const current of ["unknown", "passing", "failing"] as const) {
          const { active } = decide(current, t);
          if (failing * 2 > vs.length) expect(active).toBe("failing");
          else if (vs.length > 0 && passing * 2 >= vs.length) expect(active).toBe("passing");
          else expect(active).toBe(current);
        }
      }),
    );
  });
});

describe("applyVote", () => {
  const region = { ...initialRegionState(), consecutive_failures: 2, last_check_at: T0, last_check_ms: 40 };

  it("takes the vote's verdict and the region's last check", () => {
    const health = { ...initialHealth(T0 - 1000), active: "passing" as const };
    const next = applyVote(health, { ...region, last_error: "status 500" }, { active: "failing" }, T0);
    expect(next).toMatchObject({
      active: "failing",
      consecutive_failures: 2,
      last_check_at: T0,
      last_check_ms: 40,
      last_error: "status 500",
      healthy_since: T0 - 1000,
    });
  });

  it("restarts slow start when the vote makes the origin routable again", () => {
    const health = { ...initialHealth(T0 - 1000), active: "failing" as const };
    expect(applyVote(health, region, { active: "passing" }, T0).healthy_since).toBe(T0);
  });
});
