import { type MeshEnv, allowPrivateOrigins } from "../config";
import { LatencySketches } from "../observability/latency-sketch";
import { registrySource } from "./feed-source";
import { RetryBudget } from "./retry-budget";
import { policed } from "./origin-policy";
import { RoutingCache, type RoutingState, type SnapshotSource } from "./routing-cache";
import { type TableCache, tableCache } from "./table-cache";

// Per-isolate data-plane state: lives as long as the isolate and is shared by its requests. It is
// apart from the forwarder so that the admin API can invalidate the table without loading the proxy.

/** The isolate's routing table (snapshot cache), with its load estimates and passive health, pruned with it. */
export const routing = new RoutingCache();
/** The isolate's passive outlier detection (the routing table's, which forgets origins that are gone). */
export const passive = routing.passive;
/** The isolate's retry budgets, one per service. */
export const budget = new RetryBudget();
/**
 * The isolate's hedge budgets (SPEC §11), apart from the retry budgets, with a floor of one
 * hedge a second, and each service's observed latencies, which set a hedge's delay when
 * `delay_ms` is null.
 */
export const hedges = { budget: new RetryBudget(1), latency: new LatencySketches() };

/**
 * This isolate's routing table for a proxied request: from memory, refreshed
 * in the background from the registry's routing feed; a cold isolate waits
 * for the registry at most a second before it routes from the colo's cached copy.
 * @example const state = await routingTable(env, (p) => ctx.waitUntil(p))
 */
export function routingTable(env: MeshEnv, waitUntil: (p: Promise<unknown>) => void): Promise<RoutingState> {
  const { source, cache } = sourcesOf(env);
  return routing.get(source, waitUntil, cache);
}

/** Where an env's tables come from, made once per env object (workerd passes the same one to every request). */
const sources = new WeakMap<MeshEnv, { source: SnapshotSource; cache: TableCache }>();

function sourcesOf(env: MeshEnv): { source: SnapshotSource; cache: TableCache } {
  let found = sources.get(env);
  if (found === undefined) {
    found = { source: policedSource(env), cache: policedCache(env) };
    sources.set(env, found);
  }
  return found;
}

/**
 * The registry's tables with the origin policy applied (src/proxy/origin-policy.ts): the registry marks
 * refused origins itself when it starts, this holds for a table older than that, or the colo's copy.
 */
function policedSource(env: MeshEnv): SnapshotSource {
  const source = registrySource(env);
  const allow = allowPrivateOrigins(env);
  return async (known, waitMs, base) => {
    const snapshot = await source(known, waitMs, base);
    return snapshot && policed(snapshot, allow);
  };
}

function policedCache(env: MeshEnv): TableCache {
  const cache = tableCache(env);
  const allow = allowPrivateOrigins(env);
  return {
    load: async () => {
      const table = await cache.load();
      return table && { ...table, snapshot: policed(table.snapshot, allow) };
    },
    save: (table) => cache.save(table),
  };
}

/**
 * After an admin write through this isolate: resolves once its table
 * includes the write, so the writer reads its own write; proxied requests
 * keep the current table meanwhile, and a burst of writes shares one refresh.
 * @example await catchUpRoutes(c.env, (p) => c.executionCtx.waitUntil(p))
 */
export function catchUpRoutes(env: MeshEnv, waitUntil: (p: Promise<unknown>) => void): Promise<void> {
  const { source, cache } = sourcesOf(env);
  return routing.catchUp(source, waitUntil, cache);
}

/**
 * Makes this isolate refresh its table in the background (requests keep the current one meanwhile). for a fresh routing table (after an admin write).
 * @example if (c.res.status < 400) invalidateRoutes()
 */
export function invalidateRoutes(): void {
  routing.invalidate();
}
