import type { Balancer, Endpoint } from "../balancer/index";
import type { SessionAffinity } from "../model/steering";

/** How a request's first try is chosen under session affinity. */
export interface AffinityPick {
  /** The first try's origin, or null to let the service's policy pick. */
  readonly first: Endpoint | null;
  /** True when the client is not (or no longer validly) pinned: the answer sets the cookie. */
  readonly repin: boolean;
}

const FREE: AffinityPick = { first: null, repin: false };
const UNPINNED: AffinityPick = { first: null, repin: true };

/** What one request brings to affinity. */
export interface AffinityKeys {
  /** `service/origin` of the origin a verified cookie pins the client to, or null. */
  readonly pinned: string | null;
  /** `header`: the named header's value; `ip_cookie`: the client address; else unused. */
  readonly hashKey: string | null;
}

/**
 * The first try under `session_affinity.type` (SPEC §7), among `members`
 * (the eligible origins of the chosen pool). `cookie`: the pinned origin
 * while it is a member (weight 0 included: it takes no new sessions but keeps
 * its own), else the policy's pick and a new pin. `ip_cookie`: the same, but
 * an unpinned client starts on the origin its address hashes to. `header`:
 * the origin the header's value hashes to on `ring` (Maglev), no cookie; a
 * request without the header is balanced as usual.
 * @example affinityPick("cookie", pool.endpoints, { pinned: "users/users-1", hashKey: null }, ring, rng, now)
 */
export function affinityPick(
  type: SessionAffinity["type"],
  members: readonly Endpoint[],
  keys: AffinityKeys,
  ring: Balancer,
  rng: () => number,
  now: number,
): AffinityPick {
  if (type === "none") return FREE;
  if (type === "header") return keys.hashKey === null ? FREE : hashed(members, keys.hashKey, ring, rng, now, false);
  if (keys.pinned !== null) {
    for (const e of members) if (e.id === keys.pinned) return { first: e, repin: false };
  }
  if (type === "ip_cookie" && keys.hashKey !== null) return hashed(members, keys.hashKey, ring, rng, now, true);
  return UNPINNED;
}

function hashed(
  members: readonly Endpoint[],
  key: string,
  ring: Balancer,
  rng: () => number,
  now: number,
  repin: boolean,
): AffinityPick {
  return { first: ring.pick(members, { rng, now, hashKey: key }) ?? null, repin };
}
