import { type Intention, WILDCARD } from "../model/intention";

/** What decided a request: the intention (null when none matched and the default did) and the verdict. */
export interface Decision {
  allowed: boolean;
  /** `<source> → <destination>` of the deciding intention, or null for MESH_DEFAULT_INTENTION. */
  matched: string | null;
}

/** Intentions indexed for the data plane: built once per snapshot, four lookups per request. */
export interface IntentionIndex {
  byPair: ReadonlyMap<string, Intention>;
  defaultAllow: boolean;
  /** True when no intention exists and the default allows: the data plane skips the check. */
  allowsAll: boolean;
}

const key = (source: string, destination: string) => `${source}\u0000${destination}`;

/**
 * Indexes intentions by their (source, destination) pair.
 * @example const index = indexIntentions(snapshot.intentions, env.MESH_DEFAULT_INTENTION !== "deny")
 */
export function indexIntentions(intentions: readonly Intention[], defaultAllow: boolean): IntentionIndex {
  const byPair = new Map(intentions.map((i) => [key(i.source, i.destination), i]));
  return { byPair, defaultAllow, allowsAll: byPair.size === 0 && defaultAllow };
}

/**
 * Consul's precedence (SPEC §9): exact → exact, `*` → exact, exact → `*`,
 * `*` → `*`; inside the one intention found, the first permission whose
 * path prefix and methods match decides, else the intention's own action.
 * No intention → the default (MESH_DEFAULT_INTENTION).
 * @example decide(index, "billing", "users", "GET", "/users/7") // { allowed: true, matched: "billing → users" }
 */
export function decide(
  index: IntentionIndex,
  source: string,
  destination: string,
  method: string,
  path: string,
): Decision {
  const found =
    index.byPair.get(key(source, destination)) ??
    index.byPair.get(key(WILDCARD, destination)) ??
    index.byPair.get(key(source, WILDCARD)) ??
    index.byPair.get(key(WILDCARD, WILDCARD));
  if (found === undefined) return { allowed: index.defaultAllow, matched: null };
  const matched = `${found.source} → ${found.destination}`;
  for (const p of found.permissions) {
    if (p.path_prefix !== undefined && !path.startsWith(p.path_prefix)) continue;
    if (p.methods !== undefined && !(p.methods as readonly string[]).includes(method)) continue;
    return { allowed: p.action === "allow", matched };
  }
  return { allowed: found.action === "allow", matched };
}
