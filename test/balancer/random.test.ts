import { describe, expect, it } from "vitest";
import { weightedPick, weightedRandom } from "../../src/balancer/random";
import { seededRng } from "../helpers/rng";
import { expectShares } from "./shares";

const ENDPOINTS = [
  { id: "a", weight: 5 },
  { id: "b", weight: 3 },
  { id: "c", weight: 2 },
];

describe("weighted random", () => {
  it("splits 10k picks in proportion to weight", () => {
    const balancer = weightedRandom();
    const rng = seededRng(42);
    const picked = Array.from({ length: 10_000 }, () => balancer.pick(ENDPOINTS, { rng, now: 0 })!.id);
    expectShares(picked, { a: 5, b: 3, c: 2 });
  });

  it("uses exactly one random draw per pick", () => {
    let draws = 0;
    const rng = () => (draws++, 0.7);
    weightedRandom().pick(ENDPOINTS, { rng, now: 0 });
    expect(draws).toBe(1);
  });

  it("maps the draw onto cumulative weights", () => {
    expect(weightedPick(ENDPOINTS, 0)?.id).toBe("a");
    expect(weightedPick(ENDPOINTS, 0.49)?.id).toBe("a");
    expect(weightedPick(ENDPOINTS, 0.5)?.id).toBe("b");
    expect(weightedPick(ENDPOINTS, 0.8)?.id).toBe("c");
    expect(weightedPick(ENDPOINTS, 0.999999999)?.id).toBe("c");
  });
});
