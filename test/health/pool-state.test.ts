import { describe, expect, it } from "vitest";
import { poolStates } from "../../src/health/pool-state";
import { Pool } from "../../src/model/steering";

const pools = {
  us: Pool.parse({ priority: 2 }),
  eu: Pool.parse({ priority: 1, minimum_origins: 2 }),
  ap: Pool.parse({ priority: 2 }),
};

describe("pool state (the dashboard's)", () => {
  it("counts each pool's origins by zone, eligible = unknown or healthy, healthy iff eligible >= minimum_origins", () => {
    const states = poolStates(pools, [
      { zone: "eu", status: "healthy" },
      { zone: "eu", status: "unknown" },
      { zone: "eu", status: "unhealthy" },
      { zone: "us", status: "draining" },
      { zone: "us", status: "ejected" },
      { zone: "elsewhere", status: "healthy" },
      { zone: null, status: "healthy" },
    ]);
    expect(states).toEqual([
      { name: "eu", priority: 1, minimum_origins: 2, eligible: 2, total: 3, healthy: true },
      { name: "ap", priority: 2, minimum_origins: 1, eligible: 0, total: 0, healthy: false },
      { name: "us", priority: 2, minimum_origins: 1, eligible: 0, total: 2, healthy: false },
    ]);
  });

  it("a pool needing no origins is always healthy; no pools, no states", () => {
    expect(poolStates({ x: Pool.parse({ minimum_origins: 0 }) }, [])[0]!.healthy).toBe(true);
    expect(poolStates({}, [{ zone: "eu", status: "healthy" }])).toEqual([]);
  });
});
