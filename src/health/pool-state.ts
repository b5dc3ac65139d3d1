import type { HealthStatus } from "../model/origin";
import type { Pools } from "../model/steering";
import { isRoutable } from "./status";

/** A pool as the dashboard shows it: its origins, how many may take traffic, and whether that is enough. */
export interface PoolState {
  name: string;
  priority: number;
  minimum_origins: number;
  /** Origins whose `zone` names the pool that may take new requests (`unknown` or `healthy`). */
  eligible: number;
  total: number;
  /** At least `minimum_origins` eligible (SPEC §7). */
  healthy: boolean;
}

/**
 * Each of a service's pools with its origins counted from their registry
 * status, in failover order (priority, then name). Origins whose zone names
 * no pool belong to none.
 * @example poolStates({ eu: { priority: 1, minimum_origins: 1, … } }, [{ zone: "eu", status: "healthy" }])
 */
export function poolStates(
  pools: Pools,
  origins: readonly { zone: string | null; status: HealthStatus }[],
): PoolState[] {
  return Object.entries(pools)
    .map(([name, pool]) => {
      const members = origins.filter((o) => o.zone === name);
      const eligible = members.filter((o) => isRoutable(o.status)).length;
      return {
        name,
        priority: pool.priority,
        minimum_origins: pool.minimum_origins,
        eligible,
        total: members.length,
        healthy: eligible >= pool.minimum_origins,
      };
    })
    .sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
