import type { Endpoint } from "../balancer/index";
import type { SteeringPlan } from "./plan";

/** The eligible origins of a service as steering needs them (structurally the data plane's eligible set). */
export interface SteerableSet {
  /** The origins that are eligible on their own merits (no panic): the ones a pool may count. */
  readonly healthy: readonly Endpoint[];
  /** Every endpoint's origin, by endpoint id, for its `zone`. */
  readonly origins: ReadonlyMap<string, { readonly zone: string | null }>;
}

/** One pool's share of the eligible set. */
export interface PoolMembers {
  /** Its eligible origins, in the set's order; the same array while they stay the same (balancers cache per array). */
  readonly endpoints: readonly Endpoint[];
  /** Those with weight > 0: the origins that can take new traffic. */
  readonly usable: number;
  /** At least `minimum_origins` usable. */
  readonly healthy: boolean;
}

/** Every pool's members for one eligible set, with the choices made from it (they hold as long as the set does). */
export interface PoolView {
  readonly plan: SteeringPlan;
  readonly source: SteerableSet;
  readonly members: ReadonlyMap<string, PoolMembers>;
  /** Choices that depend only on the view and the request's country/continent, by that key (see `choosePool`). */
  readonly choices: Map<string, unknown>;
}

const NONE: readonly Endpoint[] = [];

/**
 * The pools of an eligible set: an origin belongs to the pool its `zone`
 * names (an origin in no pool is reached only in panic). Returns `prev`
 * while plan and set are the same objects, and keeps `prev`'s arrays for
 * pools whose members did not change.
 * @example view = poolView(plan, eligibleSet, view)
 */
export function poolView(plan: SteeringPlan, source: SteerableSet, prev: PoolView | null): PoolView {
  if (prev !== null && prev.plan === plan && prev.source === source) return prev;
  const lists = new Map<string, Endpoint[]>();
  for (const endpoint of source.healthy) {
    const zone = source.origins.get(endpoint.id)?.zone;
    if (zone === null || zone === undefined || !plan.byName.has(zone)) continue;
    const list = lists.get(zone);
    if (list) list.push(endpoint);
    else lists.set(zone, [endpoint]);
  }
  const members = new Map<string, PoolMembers>();
  for (const pool of plan.order) {
    const fresh = lists.get(pool.name) ?? NONE;
    const old = prev?.members.get(pool.name)?.endpoints;
    const endpoints = old !== undefined && sameList(old, fresh) ? old : fresh;
    let usable = 0;
    for (const e of endpoints) if (e.weight > 0) usable++;
    members.set(pool.name, { endpoints, usable, healthy: usable >= pool.minimum });
  }
  return { plan, source, members, choices: new Map() };
}

function sameList(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
