import { describe, expect, it } from "vitest";
import type { HealthStatus } from "../../src/model/origin";
import { collapseStatus, isRoutable } from "../../src/health/status";
import { type HealthState, initialHealth } from "../../src/health/state";

const NOW = 1_700_000_000_000;
const h = (over: Partial<HealthState>): HealthState => ({ ...initialHealth(NOW - 60_000), ...over });
const EJECTED = { ejected_until: NOW + 30_000 };

describe("collapseStatus precedence", () => {
  it.each<[string, boolean, boolean, Partial<HealthState>, HealthStatus]>([
    ["disabled beats everything", false, true, { ...EJECTED, active: "failing", ttl_expired: true }, "disabled"],
    ["draining beats ejected and unhealthy", true, true, { ...EJECTED, active: "failing" }, "draining"],
    ["draining beats healthy", true, true, { active: "passing" }, "draining"],
    ["ejected beats failing active checks", true, false, { ...EJECTED, active: "failing" }, "ejected"],
    ["ejected beats passing active checks", true, false, { ...EJECTED, active: "passing" }, "ejected"],
    ["an ejection that has ended no longer counts", true, false, { ejected_until: NOW, active: "passing" }, "healthy"],
    ["failing active checks are unhealthy", true, false, { active: "failing" }, "unhealthy"],
    [
      "an expired TTL is unhealthy even when checks pass",
      true,
      false,
      { active: "passing", ttl_expired: true },
      "unhealthy",
    ],
    ["an expired TTL is unhealthy for a new origin", true, false, { ttl_expired: true }, "unhealthy"],
    ["passing active checks are healthy", true, false, { active: "passing" }, "healthy"],
    ["a new origin is unknown", true, false, {}, "unknown"],
  ])("%s", (_name, enabled, drain, health, expected) => {
    expect(collapseStatus({ enabled, drain, health: h(health), now: NOW })).toBe(expected);
  });
});

describe("isRoutable", () => {
  it.each<[HealthStatus, boolean]>([
    ["unknown", true],
    ["healthy", true],
    ["unhealthy", false],
    ["ejected", false],
    ["draining", false],
    ["disabled", false],
  ])("%s → %s", (status, routable) => {
    expect(isRoutable(status)).toBe(routable);
  });
});
