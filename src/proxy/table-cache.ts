import type { MeshEnv } from "../config";
import type { FeedFull } from "../model/feed";
import type { Snapshot } from "../model/snapshot";

/** How long the colo's cache keeps the last routing table: long enough to route through a long registry outage. */
export const TABLE_CACHE_TTL_S = 86_400;
/** Header holding when the cached table was fetched from the registry (epoch ms). */
const FETCHED_AT = "x-mesh-table-fetched-at";

/** A routing table kept outside the isolate, and when it was fetched from the registry. */
export interface CachedTable {
  snapshot: Snapshot;
  fetchedAt: number;
}

/** Where isolates keep the last routing table for cold isolates to route from when the registry is out of reach. */
export interface TableCache {
  load(): Promise<CachedTable | null>;
  save(table: CachedTable): Promise<void>;
}

/**
 * The colo's copy of the routing table in the Cache API (`caches.default`,
 * which is per data center): keyed by a synthetic URL under the reserved
 * `.invalid` domain that names this mesh's registry, so two meshes in one
 * zone never read each other's tables. On workers.dev the Cache API stores
 * nothing (Cloudflare's documented limit): there a cold isolate has no copy.
 * @example const cached = await tableCache(env).load()
 */
export function tableCache(env: Pick<MeshEnv, "REGISTRY">): TableCache {
  // Made only when used: a request that routes from memory never touches the cache.
  const key = () => `https://routing-table.flaremesh.invalid/v1/${env.REGISTRY.idFromName("global").toString()}`;
  return {
    async load() {
      try {
        const res = await caches.default.match(key());
        if (!res) return null;
        const fetchedAt = Number(res.headers.get(FETCHED_AT));
        const full = (await res.json()) as FeedFull;
        if (full.kind !== "full" || !Number.isFinite(fetchedAt)) return null;
        return { snapshot: { version: full.version, services: full.services, origins: full.origins }, fetchedAt };
      } catch (err) {
        console.error("routing table: cached copy unreadable", err);
        return null;
      }
    },
    async save({ snapshot, fetchedAt }) {
      const body: FeedFull = { kind: "full", ...snapshot };
      const headers = {
        "content-type": "application/json",
        "cache-control": `max-age=${TABLE_CACHE_TTL_S}`,
        [FETCHED_AT]: String(fetchedAt),
      };
      await caches.default.put(key(), new Response(JSON.stringify(body), { headers }));
    },
  };
}
