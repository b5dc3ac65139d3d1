import { describe, expect, it } from "vitest";
import { inPanic } from "../../src/health/panic";

describe("panic threshold", () => {
  it.each<[number, number, number, boolean]>([
    [0, 4, 50, true],
    [1, 4, 50, true],
    [2, 4, 50, false],
    [4, 4, 50, false],
    [0, 1, 50, true],
    [1, 1, 50, false],
    [1, 3, 34, true],
    [1, 3, 33, false],
    [0, 4, 0, false],
    [0, 0, 50, false],
    [9, 10, 100, true],
    [10, 10, 100, false],
  ])("%i healthy of %i at threshold %i%% → panic %s", (healthy, total, threshold, panic) => {
    expect(inPanic(healthy, total, threshold)).toBe(panic);
  });
});
