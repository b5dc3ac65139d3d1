import { peakEwma } from "./ewma";
import { consistentHash } from "./hash";
import { leastRequest } from "./least-request";
import type { LoadStats } from "./load";
import { weightedRandom } from "./random";
import { roundRobin } from "./round-robin";
import type { Balancer, BalancerPolicy } from "./types";

export type { Balancer, BalancerPolicy, Endpoint, PickInput } from "./types";
export { LoadStats, type LoadStatsOptions } from "./load";
export { MAGLEV_TABLE_SIZE } from "./hash";

/**
 * The picker for a service's `load_balancer.policy`. Round robin and hash keep per-instance
 * state, so create one per service and keep it as long as the service's routing entry.
 * @example
 * const load = new LoadStats();
 * const balancer = createBalancer("ewma", load);
 * const origin = balancer.pick(endpoints, { rng, now, hashKey: null });
 */
export function createBalancer(policy: BalancerPolicy, load: LoadStats): Balancer {
  switch (policy) {
    case "round_robin":
      return roundRobin();
    case "random":
      return weightedRandom();
    case "least_request":
      return leastRequest(load);
    case "ewma":
      return peakEwma(load);
    case "hash":
      return consistentHash();
  }
}
