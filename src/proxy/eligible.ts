import type { Endpoint } from "../balancer/index";
import { inPanic } from "../health/panic";
import { effectiveWeight } from "../health/slow-start";
import type { SnapshotOrigin } from "../model/snapshot";
import type { ServiceRuntime } from "./routing-cache";

/** The origins a request may go to, as balancer endpoints (id = `service/origin`). */
export interface EligibleSet {
  endpoints: Endpoint[];
  origins: Map<string, SnapshotOrigin>;
  /** True when too few origins are healthy and traffic goes to all of them (Envoy's panic mode). */
  panic: boolean;
  /** How many of the service's origins are ejected now (for max_ejection_percent). */
  ejected: number;
  /** Enabled, non-draining origins: the denominator of the panic and ejection limits. */
  total: number;
}

interface Memo {
  at: number;
  generation: number;
  origins: SnapshotOrigin[];
  set: EligibleSet;
}

/** Slow-start weights change with time; recomputing this often is enough and keeps picks cheap. */
const MEMO_MS = 250;

/**
 * The eligible origins of a service: enabled, not draining, `unknown` or
 * `healthy`, not ejected (by the registry or by this isolate). Below
 * `panic_threshold_percent` healthy, every enabled non-draining origin is
 * eligible instead. Weights include slow start.
 * @example const { endpoints, panic } = eligible(runtime, now, (key) => passive.isEjected(key, now), passive.generation)
 */
export function eligible(service: ServiceRuntime, now: number, locallyEjected: (key: string) => boolean, generation: number): EligibleSet {
  const memo = service.memo as Memo | undefined;
  if (memo && memo.origins === service.origins && memo.generation === generation && now - memo.at < MEMO_MS) return memo.set;
  const set = compute(service, now, locallyEjected);
  service.memo = { at: now, generation, origins: service.origins, set } satisfies Memo;
  return set;
}

function compute(service: ServiceRuntime, now: number, locallyEjected: (key: string) => boolean): EligibleSet {
  const { config } = service;
  const candidates: { key: string; origin: SnapshotOrigin; ok: boolean }[] = [];
  let ejected = 0;
  for (const origin of service.origins) {
    if (!origin.enabled || origin.drain) continue;
    const key = `${config.name}/${origin.id}`;
    const isEjected = (origin.ejected_until_ms !== null && origin.ejected_until_ms > now) || locallyEjected(key);
    if (isEjected) ejected++;
    const status = origin.health.status;
    candidates.push({ key, origin, ok: !isEjected && (status === "unknown" || status === "healthy") });
  }
  const healthy = candidates.filter((c) => c.ok).length;
  const panic = inPanic(healthy, candidates.length, config.panic_threshold_percent);
  const chosen = panic ? candidates : candidates.filter((c) => c.ok);
  const origins = new Map<string, SnapshotOrigin>();
  const endpoints: Endpoint[] = [];
  for (const c of chosen) {
    origins.set(c.key, c.origin);
    endpoints.push({ id: c.key, weight: effectiveWeight(c.origin.weight, c.origin.healthy_since_ms, config.slow_start_s, now) });
  }
  return { endpoints, origins, panic, ejected, total: candidates.length };
}
