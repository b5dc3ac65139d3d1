import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createBalancer, LoadStats, type BalancerPolicy, type Endpoint } from "../../src/balancer";
import { seededRng } from "../helpers/rng";

const POLICIES: BalancerPolicy[] = ["round_robin", "random", "least_request", "ewma", "hash"];
const T0 = 1_700_000_000_000;

describe.each(POLICIES)("%s", (policy) => {
  const pickMany = (endpoints: Endpoint[], n = 500) => {
    const balancer = createBalancer(policy, new LoadStats());
    const rng = seededRng(3);
    return Array.from({ length: n }, (_, i) => balancer.pick(endpoints, { rng, now: T0 + i, hashKey: `k${i}` }));
  };

  it("never picks an origin with weight 0 or below", () => {
    const endpoints = [
      { id: "drained", weight: 0 },
      { id: "a", weight: 1 },
      { id: "negative", weight: -1 },
      { id: "b", weight: 2 },
    ];
    const ids = new Set(pickMany(endpoints).map((e) => e?.id));
    expect(ids).toEqual(new Set(["a", "b"]));
  });

  it("returns undefined for an empty list", () => {
    expect(pickMany([], 3)).toEqual([undefined, undefined, undefined]);
  });

  it("returns undefined when every origin has weight 0", () => {
    const zeros = [
      { id: "a", weight: 0 },
      { id: "b", weight: 0 },
    ];
    expect(pickMany(zeros, 3)).toEqual([undefined, undefined, undefined]);
  });

  it("always picks the only origin with weight", () => {
    const only = { id: "only", weight: 0.5 };
    expect(new Set(pickMany([{ id: "x", weight: 0 }, only]))).toEqual(new Set([only]));
  });
});

const endpointsArb = fc.array(
  fc.record({
    id: fc.oneof(fc.constantFrom("a", "b", "c", "d"), fc.string({ maxLength: 4 })),
    weight: fc.oneof(fc.constant(0), fc.integer({ min: -3, max: 1000 }), fc.double({ min: 0, max: 1000, noNaN: true })),
  }),
  { maxLength: 12 },
);

// Load made of random begins and ends, so the P2C pickers compare real, uneven scores.
const loadArb = fc.array(
  fc.record({
    index: fc.nat(),
    rtt: fc.integer({ min: 0, max: 5_000 }),
    failed: fc.boolean(),
    done: fc.boolean(),
  }),
  { maxLength: 20 },
);

describe("every policy", () => {
  it("only ever picks an origin from the list with weight > 0, and one whenever any has", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...POLICIES),
        endpointsArb,
        loadArb,
        fc.integer(),
        fc.option(fc.string(), { nil: null }),
        (policy, endpoints, traffic, seed, hashKey) => {
          const load = new LoadStats();
          const balancer = createBalancer(policy, load);
          const rng = seededRng(seed);
          const eligible = endpoints.filter((e) => e.weight > 0);
          traffic.forEach(({ index, rtt, failed, done }, i) => {
            if (endpoints.length === 0) return;
            const id = endpoints[index % endpoints.length]!.id;
            load.begin(id, T0 + i);
            if (done) load.end(id, T0 + i + rtt, rtt, failed);
          });
          for (let i = 0; i < 5; i++) {
            const picked = balancer.pick(endpoints, { rng, now: T0 + 10_000 * i, hashKey });
            if (eligible.length === 0) expect(picked).toBeUndefined();
            else expect(eligible).toContain(picked);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
