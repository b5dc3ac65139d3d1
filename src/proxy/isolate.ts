import type { MeshEnv } from "../config";
import { registrySource } from "./feed-source";
import { RetryBudget } from "./retry-budget";
import { RoutingCache, type RoutingState } from "./routing-cache";
import { tableCache } from "./table-cache";

// Per-isolate data-plane state: lives as long as the isolate and is shared by its requests. It is
// apart from the forwarder so that the admin API can invalidate the table without loading the proxy.

/** The isolate's routing table (snapshot cache), with its load estimates and passive health, pruned with it. */
export const routing = new RoutingCache();
/** The isolate's passive outlier detection (the routing table's, which forgets origins that are gone). */
export const passive = routing.passive;
/** The isolate's retry budgets, one per service. */
export const budget = new RetryBudget();

/**
 * This isolate's routing table for a proxied request: from memory, refreshed
 * in the background from the registry's routing feed; a cold isolate waits
 * for the registry at most a second before it routes from the colo's cached copy.
 * @example const state = await routingTable(env, (p) => ctx.waitUntil(p))
 */
export function routingTable(env: MeshEnv, waitUntil: (p: Promise<unknown>) => void): Promise<RoutingState> {
  return routing.get(registrySource(env), waitUntil, tableCache(env));
}

/**
 * After an admin write through this isolate: resolves once its table
 * includes the write, so the writer reads its own write; proxied requests
 * keep the current table meanwhile, and a burst of writes shares one refresh.
 * @example await catchUpRoutes(c.env, (p) => c.executionCtx.waitUntil(p))
 */
export function catchUpRoutes(env: MeshEnv, waitUntil: (p: Promise<unknown>) => void): Promise<void> {
  return routing.catchUp(registrySource(env), waitUntil, tableCache(env));
}

/**
 * Makes this isolate refresh its table in the background (requests keep the current one meanwhile). for a fresh routing table (after an admin write).
 * @example if (c.res.status < 400) invalidateRoutes()
 */
export function invalidateRoutes(): void {
  routing.invalidate();
}
