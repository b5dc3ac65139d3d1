import { RetryBudget } from "./retry-budget";
import { RoutingCache } from "./routing-cache";

// Per-isolate data-plane state: lives as long as the isolate and is shared by its requests. It is
// apart from the forwarder so that the admin API can invalidate the table without loading the proxy.

/** The isolate's routing table (snapshot cache), with its load estimates and passive health, pruned with it. */
export const routing = new RoutingCache();
/** The isolate's passive outlier detection (the routing table's, which forgets origins that are gone). */
export const passive = routing.passive;
/** The isolate's retry budgets, one per service. */
export const budget = new RetryBudget();

/**
 * Makes this isolate's next request wait for a fresh routing table (after an admin write).
 * @example if (c.res.status < 400) invalidateRoutes()
 */
export function invalidateRoutes(): void {
  routing.invalidate();
}
