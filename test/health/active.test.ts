import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CheckResult, type Thresholds, applyCheckResult } from "../../src/health/active";
import { type ActiveVerdict, type HealthState, initialHealth } from "../../src/health/state";

const T0 = 1_700_000_000_000;
const pass: CheckResult = { ok: true, latencyMs: 12, error: null };
const fail = (error = "connect refused"): CheckResult => ({ ok: false, latencyMs: 2000, error });
const THREE_TWO: Thresholds = { unhealthy_threshold: 3, healthy_threshold: 2 };

function start(active: ActiveVerdict): HealthState {
  return { ...initialHealth(T0), active };
}

/** Runs a sequence such as "PPF PPF" (spaces ignored); returns the verdict after each check and the reasons. */
function run(from: ActiveVerdict, seq: string, t: Thresholds = THREE_TWO) {
  let state = start(from);
  const verdicts: ActiveVerdict[] = [];
  const reasons: (string | null)[] = [];
  [...seq.replace(/\s/g, "")].forEach((c, i) => {
    const r = applyCheckResult(state, c === "P" ? pass : fail(), t, T0 + (i + 1) * 10_000);
    state = r.state;
    verdicts.push(state.active);
    reasons.push(r.reason);
  });
  return { state, verdicts, reasons };
}

describe("active check thresholds (unhealthy 3, healthy 2)", () => {
  it.each<[string, ActiveVerdict, string, ActiveVerdict[]]>([
    ["fails only at the 3rd consecutive failure", "passing", "FFF", ["passing", "passing", "failing"]],
    [
      "a single failure between passes changes nothing",
      "passing",
      "PPFPP",
      ["passing", "passing", "passing", "passing", "passing"],
    ],
    [
      "two failures then a pass changes nothing",
      "passing",
      "FFPFF",
      ["passing", "passing", "passing", "passing", "passing"],
    ],
    ["recovers after 2 consecutive passes", "failing", "PP", ["failing", "passing"]],
    ["a pass between failures does not recover", "failing", "PFPF", ["failing", "failing", "failing", "failing"]],
    ["a new origin becomes passing after 2 passes", "unknown", "PP", ["unknown", "passing"]],
    ["a new origin becomes failing after 3 failures", "unknown", "FFF", ["unknown", "unknown", "failing"]],
    [
      "a new flapping origin stays unknown",
      "unknown",
      "PFPFPF",
      ["unknown", "unknown", "unknown", "unknown", "unknown", "unknown"],
    ],
  ])("%s", (_name, from, seq, expected) => {
    expect(run(from, seq).verdicts).toEqual(expected);
  });

  it("never fails a 1-in-3 flapper that started passing", () => {
    const { verdicts } = run("passing", "PPF ".repeat(50));
    expect(new Set(verdicts)).toEqual(new Set(["passing"]));
  });

  it("with thresholds of 1 flips on every result", () => {
    expect(run("passing", "FPF", { healthy_threshold: 1, unhealthy_threshold: 1 }).verdicts).toEqual([
      "failing",
      "passing",
      "failing",
    ]);
  });
});

describe("active check reasons and details", () => {
  it("explains a flip to failing with the count and the last error", () => {
    let state = start("passing");
    let reason: string | null = null;
    for (const err of ["status 503", "timeout after 2000ms", "connect refused"]) {
      ({ state, reason } = applyCheckResult(state, fail(err), THREE_TWO, T0));
    }
    expect(reason).toBe("active: 3 consecutive failures: connect refused");
  });

  it("explains a recovery with the count of passes", () => {
    expect(run("failing", "PP").reasons).toEqual([null, "active: 2 consecutive passes"]);
  });

  it("gives a reason exactly when the verdict changes", () => {
    const { verdicts, reasons } = run("passing", "FFFFPPPFFF");
    verdicts.forEach((v, i) => {
      const before = i === 0 ? "passing" : verdicts[i - 1];
      expect(reasons[i] !== null).toBe(v !== before);
    });
  });

  it("uses singular words with a threshold of 1", () => {
    const t = { healthy_threshold: 1, unhealthy_threshold: 1 };
    const failed = applyCheckResult(start("passing"), fail("status 500"), t, T0);
    expect(failed.reason).toBe("active: 1 consecutive failure: status 500");
    expect(applyCheckResult(failed.state, pass, t, T0).reason).toBe("active: 1 consecutive pass");
  });

  it("records the last check's time, latency and error, clearing the error on a pass", () => {
    const failed = applyCheckResult(start("passing"), fail("body did not contain 'ok'"), THREE_TWO, T0 + 5);
    expect(failed.state).toMatchObject({
      last_check_at: T0 + 5,
      last_check_ms: 2000,
      last_error: "body did not contain 'ok'",
      consecutive_failures: 1,
      consecutive_successes: 0,
    });
    const passed = applyCheckResult(failed.state, pass, THREE_TWO, T0 + 10);
    expect(passed.state).toMatchObject({
      last_check_at: T0 + 10,
      last_check_ms: 12,
      last_error: null,
      consecutive_failures: 0,
      consecutive_successes: 1,
    });
  });

  it("does not change the state it was given", () => {
    const before = start("passing");
    const copy = structuredClone(before);
    applyCheckResult(before, fail(), THREE_TWO, T0);
    expect(before).toEqual(copy);
  });
});

describe("slow start stamp from active checks", () => {
  it("restarts slow start when a failing origin recovers", () => {
    const { state } = run("failing", "PP");
    expect(state.healthy_since).toBe(T0 + 20_000);
  });

  it("keeps the registration time when a new origin first passes (it was already routable)", () => {
    const { state } = run("unknown", "PP");
    expect(state.healthy_since).toBe(T0);
  });
});

describe("active check property", () => {
  it("never flips the verdict on a single blip when thresholds are at least 2", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 2, max: 6 }),
        fc.constantFrom<ActiveVerdict>("unknown", "passing", "failing"),
        fc.array(fc.boolean(), { maxLength: 60 }),
        (healthy, unhealthy, from, oks) => {
          const t = { healthy_threshold: healthy, unhealthy_threshold: unhealthy };
          let state = start(from);
          oks.forEach((ok, i) => {
            const before = state.active;
            state = applyCheckResult(state, ok ? pass : fail(), t, T0 + i).state;
            if (state.active === before) return;
            // A flip needs a whole threshold of identical results ending here.
            const need = ok ? healthy : unhealthy;
            expect(i + 1).toBeGreaterThanOrEqual(need);
            expect(oks.slice(i + 1 - need, i + 1).every((o) => o === ok)).toBe(true);
          });
        },
      ),
    );
  });
});
