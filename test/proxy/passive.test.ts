import { describe, expect, it } from "vitest";
import { PassiveHealth } from "../../src/proxy/passive";

const NOW = 1_700_000_000_000;

describe("passive outlier detection in the isolate", () => {
  const cfg = { consecutive_failures: 5, base_ejection_s: 30, max_ejection_percent: 50 };

  it("ejects an origin after 5 consecutive failures and reports it once", () => {
    const p = new PassiveHealth();
    for (let i = 0; i < 4; i++) expect(p.record("s", "a", true, cfg, NOW, 0, 3)).toBeNull();
    const report = p.record("s", "a", true, cfg, NOW, 0, 3);
    expect(report).toEqual({
      service: "s",
      origin: "a",
      ejected_until: NOW + 30_000,
      reason: "outlier: 5 consecutive failures, ejected for 30s",
    });
    expect(p.isEjected("s/a", NOW + 29_999)).toBe(true);
    expect(p.isEjected("s/a", NOW + 30_000)).toBe(false);
    expect(p.drain()).toHaveLength(1);
    expect(p.drain()).toHaveLength(0);
  });

  it("does not eject beyond max_ejection_percent", () => {
    const p = new PassiveHealth();
    for (let i = 0; i < 10; i++) p.record("s", "a", true, cfg, NOW, 1, 2);
    expect(p.isEjected("s/a", NOW)).toBe(false);
  });

  it("resets the streak on success and ignores services without outlier detection", () => {
    const p = new PassiveHealth();
    for (let i = 0; i < 4; i++) p.record("s", "a", true, cfg, NOW, 0, 3);
    p.record("s", "a", false, cfg, NOW, 0, 3);
    for (let i = 0; i < 4; i++) expect(p.record("s", "a", true, cfg, NOW, 0, 3)).toBeNull();
    for (let i = 0; i < 10; i++) expect(p.record("s", "b", true, null, NOW, 0, 3)).toBeNull();
  });

  it("forgets the streaks and ejections of origins that are gone", () => {
    const p = new PassiveHealth();
    for (let i = 0; i < 5; i++) p.record("s", "a", true, cfg, NOW, 0, 3);
    for (let i = 0; i < 4; i++) p.record("s", "b", true, cfg, NOW, 0, 3);
    for (let i = 0; i < 4; i++) p.record("s", "c", true, cfg, NOW, 0, 3);
    p.forget(new Set(["s/c"]));
    expect(p.isEjected("s/a", NOW + 1)).toBe(false);
    // b starts a new streak; c, still present, keeps its own and is ejected by its fifth failure.
    expect(p.record("s", "b", true, cfg, NOW, 0, 3)).toBeNull();
    expect(p.record("s", "c", true, cfg, NOW, 0, 3)).not.toBeNull();
  });
});
