import { describe, expect, it } from "vitest";
import { ServiceInput } from "../../src/model/service";

describe("hedge (SPEC §11)", () => {
  const parse = (hedge: unknown) => ServiceInput.safeParse({ routes: [{}], hedge });

  it("is off by default, and {} fills in the SPEC defaults", () => {
    expect(ServiceInput.parse({ routes: [{}] }).hedge).toBeNull();
    expect(parse({}).data?.hedge).toEqual({ delay_ms: null, percentile: 95, max: 1, budget_ratio: 0.05 });
  });

  it("refuses a percentile outside 50..99, max outside 1..3, a ratio above 1 and unknown fields", () => {
    for (const bad of [
      { percentile: 100 },
      { percentile: 49 },
      { max: 4 },
      { max: 0 },
      { budget_ratio: 1.5 },
      { x: 1 },
    ])
      expect(parse(bad).success, JSON.stringify(bad)).toBe(false);
    expect(parse({ delay_ms: 50, percentile: 99, max: 3, budget_ratio: 1 }).success).toBe(true);
  });
});
