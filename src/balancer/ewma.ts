import type { LoadStats } from "./load";
import { p2c } from "./least-request";
import type { Balancer } from "./types";

/**
 * Peak-EWMA: P2C on expected latency (peak-EWMA RTT, or the age of the oldest request in flight
 * when longer, × (in-flight + 1)) per unit of weight, so
 * traffic moves away from slow origins and back once they recover. Call `load.begin`/`load.end`
 * around every request so the estimates stay current.
 * @example peakEwma(load).pick(endpoints, { rng, now })
 */
export function peakEwma(load: LoadStats): Balancer {
  return { pick: (endpoints, { rng, now }) => p2c(endpoints, rng, (e) => load.cost(e.id, now) / e.weight) };
}
