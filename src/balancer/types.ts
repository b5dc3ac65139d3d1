import type { Policy } from "../model/service";

/** One pickable origin as the balancer sees it. */
export interface Endpoint {
  readonly id: string;
  /** Effective weight (after health and slow start); `<= 0` means no new traffic. */
  readonly weight: number;
}

/** Everything random or time-dependent a pick may use, injected so picks are reproducible. */
export interface PickInput {
  /** Uniform in [0, 1); injected so that tests can seed it. */
  readonly rng: () => number;
  /** Epoch milliseconds. */
  readonly now: number;
  /** Request affinity key for `hash`; other policies ignore it. */
  readonly hashKey?: string | null;
}

/** Chooses one endpoint with weight > 0, or `undefined` when there is none. */
export interface Balancer {
  pick(endpoints: readonly Endpoint[], input: PickInput): Endpoint | undefined;
}

/** The load-balancing policies a service can name: the model's `Policy`, defined once there. */
export type BalancerPolicy = Policy;
