import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, breach, limitsOf } from "../../src/model/limits";

describe("registry limits", () => {
  it("reads each limit from its var, falling back to the default for unset or unusable values", () => {
    expect(limitsOf({})).toEqual(DEFAULT_LIMITS);
    expect(
      limitsOf({ MESH_MAX_SERVICES: "3", MESH_MAX_ORIGINS_PER_SERVICE: "-1", MESH_MAX_SNAPSHOT_BYTES: "1e6" }),
    ).toEqual({ ...DEFAULT_LIMITS, services: 3 });
  });

  it("names the first limit a write would pass, and the var that raises it", () => {
    expect(breach({ services: 1000, originsPerService: 10_000 }, DEFAULT_LIMITS)).toBeNull();
    const over = breach({ services: 1001, routesPerService: 65 }, DEFAULT_LIMITS);
    expect(over?.limit).toBe("services");
    expect(over?.message).toContain("1001 services, over the limit of 1000 (MESH_MAX_SERVICES)");
    expect(breach({ routesPerService: 65 }, DEFAULT_LIMITS)?.message).toContain("MESH_MAX_ROUTES_PER_SERVICE");
    expect(breach({ snapshotBytes: 9 * 1024 * 1024 }, DEFAULT_LIMITS)?.limit).toBe("snapshotBytes");
  });
});
