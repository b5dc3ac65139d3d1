import type { Balancer } from "../balancer/index";
import { consistentHash } from "../balancer/hash";
import type { ServiceConfig } from "../model/service";
import type { SessionAffinity } from "../model/steering";
import { compileSteering, type SteeringPlan } from "../steering/plan";
import type { PoolView } from "../steering/pools";

/**
 * What a service that steers or pins keeps between requests: its compiled
 * plan (per snapshot), a balancer of its policy per pool (kept across
 * snapshots, so round robin keeps its place in each pool), a Maglev ring for
 * header and address affinity, and the pool view of its last eligible set.
 */
export interface SteerRuntime {
  readonly plan: SteeringPlan | null;
  readonly affinity: SessionAffinity;
  readonly balancers: Map<string, Balancer>;
  readonly ring: Balancer;
  readonly newBalancer: () => Balancer;
  view: PoolView | null;
}

/**
 * The steering state of a service for a new snapshot, or null when it uses
 * none of SPEC §7 (`steering.policy` off, no session affinity): then the
 * request path does exactly what it did before steering existed.
 * `samePolicy`: `prev`'s pool balancers are of the service's current policy.
 * @example steerRuntime(config, previous, true, () => createBalancer(config.load_balancer.policy, load))
 */
export function steerRuntime(
  config: ServiceConfig,
  prev: SteerRuntime | null,
  samePolicy: boolean,
  newBalancer: () => Balancer,
): SteerRuntime | null {
  const plan = compileSteering(config);
  const affinity = config.session_affinity;
  if (plan === null && affinity.type === "none") return null;
  const balancers = prev !== null && samePolicy ? prev.balancers : new Map<string, Balancer>();
  for (const name of balancers.keys()) if (!plan?.byName.has(name)) balancers.delete(name);
  return { plan, affinity, balancers, ring: prev?.ring ?? consistentHash(), newBalancer, view: null };
}

/** The balancer of one pool, made at its first request. */
export function poolBalancer(rt: SteerRuntime, pool: string): Balancer {
  let balancer = rt.balancers.get(pool);
  if (balancer === undefined) rt.balancers.set(pool, (balancer = rt.newBalancer()));
  return balancer;
}
