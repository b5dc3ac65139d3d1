import { describe, expect, it } from "vitest";
import type { Endpoint } from "../../src/balancer/index";
import { consistentHash } from "../../src/balancer/hash";
import { affinityPick } from "../../src/steering/affinity";
import { seededRng } from "../helpers/rng";

const members: Endpoint[] = ["a", "b", "c", "d"].map((id) => ({ id: `s/${id}`, weight: 1 }));
const NOW = 1_800_000_000_000;

describe("affinity first pick", () => {
  const ring = consistentHash();
  const rng = seededRng(1);

  it("none: leaves the pick to the policy", () => {
    expect(affinityPick("none", members, { pinned: "s/a", hashKey: "k" }, ring, rng, NOW)).toEqual({
      first: null,
      repin: false,
    });
  });

  it("cookie: stays on the pinned origin while it is a member, weight 0 included", () => {
    expect(affinityPick("cookie", members, { pinned: "s/c", hashKey: null }, ring, rng, NOW).first).toBe(members[2]);
    const drained = [...members.slice(0, 2), { id: "s/c", weight: 0 }];
    expect(affinityPick("cookie", drained, { pinned: "s/c", hashKey: null }, ring, rng, NOW)).toEqual({
      first: drained[2],
      repin: false,
    });
  });

  it("cookie: re-pins when the pinned origin is no longer eligible, or there is no pin", () => {
    expect(affinityPick("cookie", members, { pinned: "s/gone", hashKey: null }, ring, rng, NOW)).toEqual({
      first: null,
      repin: true,
    });
    expect(affinityPick("cookie", members, { pinned: null, hashKey: null }, ring, rng, NOW).repin).toBe(true);
  });

  it("ip_cookie: an unpinned client starts where its address hashes, the same every time", () => {
    const first = affinityPick("ip_cookie", members, { pinned: null, hashKey: "203.0.113.7" }, ring, rng, NOW);
    expect(first.repin).toBe(true);
    for (let i = 0; i < 20; i++) {
      expect(affinityPick("ip_cookie", members, { pinned: null, hashKey: "203.0.113.7" }, ring, rng, NOW).first).toBe(
        first.first,
      );
    }
    const pinned = affinityPick("ip_cookie", members, { pinned: "s/d", hashKey: "203.0.113.7" }, ring, rng, NOW);
    expect(pinned).toEqual({ first: members[3], repin: false });
  });

  it("header: the header's value hashes to one origin, spread over all of them", () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const key = `user-${i}`;
      const pick = affinityPick("header", members, { pinned: null, hashKey: key }, ring, rng, NOW);
      expect(pick.repin).toBe(false);
      expect(affinityPick("header", members, { pinned: null, hashKey: key }, ring, rng, NOW).first).toBe(pick.first);
      seen.set(pick.first!.id, (seen.get(pick.first!.id) ?? 0) + 1);
    }
    expect(seen.size).toBe(4);
    for (const n of seen.values()) expect(n).toBeGreaterThan(60);
    expect(affinityPick("header", members, { pinned: null, hashKey: null }, ring, rng, NOW).first).toBeNull();
  });
});
