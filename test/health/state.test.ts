import { describe, expect, it } from "vitest";
import { collapseStatus } from "../../src/health/status";
import { initialHealth } from "../../src/health/state";

describe("initialHealth", () => {
  it("a new origin is unknown and routable, with slow start beginning at registration", () => {
    const h = initialHealth(1_000);
    expect(collapseStatus({ enabled: true, drain: false, health: h, now: 1_000 })).toBe("unknown");
    expect(h.healthy_since).toBe(1_000);
    expect(h).toMatchObject({
      consecutive_successes: 0,
      consecutive_failures: 0,
      ejection_count: 0,
      ttl_expired: false,
    });
  });
});
