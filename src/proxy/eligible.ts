import type { Endpoint } from "../balancer/index";
import { inPanic } from "../health/panic";
import { effectiveWeight, rampsAfter } from "../health/slow-start";
import type { ServiceConfig } from "../model/service";
import type { SnapshotOrigin } from "../model/snapshot";
import type { ServiceRuntime } from "./routing-cache";

/** The origins a request may go to, as balancer endpoints (id = `service/origin`). */
export interface EligibleSet {
  endpoints: readonly Endpoint[];
  /** The endpoints eligible on their own merits: `endpoints` itself, except in panic (what steering counts). */
  healthy: readonly Endpoint[];
  origins: Map<string, SnapshotOrigin>;
  /** True when too few origins are healthy and traffic goes to all of them (Envoy's panic mode). */
  panic: boolean;
  /** How many of the service's origins are ejected now (for max_ejection_percent). */
  ejected: number;
  /** Enabled, non-draining origins: the denominator of the panic and ejection limits. */
  total: number;
}

/**
 * How stale the two parts of the set that no event announces may get: slow-start weights
 * (while some origin ramps) and the end of this isolate's own ejections.
 */
export const RECHECK_MS = 250;

interface Memo {
  origins: SnapshotOrigin[];
  config: ServiceConfig;
  generation: number;
  at: number;
  /** The set holds while `now < validUntil`: the first registry ejection to run out, or the next slow-start step. */
  validUntil: number;
  /** Keys this isolate has ejected: `PassiveHealth` tells that an ejection ran out only when asked. */
  local: string[];
  /** When to ask about `local` again. */
  recheckAt: number;
  /** `service/origin` for each of `origins`, built once per snapshot. */
  keys: string[];
  /** Indexes into `origins` of the set's endpoints, in order. */
  chosen: number[];
  /** Indexes into `origins` of the healthy ones among them. */
  healthy: number[];
  set: EligibleSet;
}

/**
 * The eligible origins of a service: enabled, not draining, `unknown` or
 * `healthy`, not ejected (by the registry or by this isolate). Below
 * `panic_threshold_percent` healthy, every enabled non-draining origin is
 * eligible instead. Weights include slow start. The result is the same object
 * until a new snapshot, a change of `generation` or the passing of time changes
 * it, so balancers may cache work per endpoints array.
 * @example const { endpoints, panic } = eligible(runtime, now, (key, at) => passive.isEjected(key, at), passive.generation)
 */
export function eligible(
  service: ServiceRuntime,
  now: number,
  locallyEjected: (key: string, now: number) => boolean,
  generation: number,
): EligibleSet {
  const memo = service.memo as Memo | undefined;
  if (memo && holds(memo, service, now, generation) && stillEjected(memo, now, locallyEjected)) return memo.set;
  const next = compute(service, now, locallyEjected, generation, memo);
  service.memo = next;
  return next.set;
}

// A clock that went back also recomputes: an ejection that had run out may run again.
function holds(memo: Memo, service: ServiceRuntime, now: number, generation: number): boolean {
  return (
    memo.origins === service.origins &&
    memo.config === service.config &&
    memo.generation === generation &&
    memo.at <= now &&
    now < memo.validUntil
  );
}

// Asking is also what ends an ejection in `PassiveHealth` (it bumps the generation then).
function stillEjected(memo: Memo, now: number, locallyEjected: (key: string, now: number) => boolean): boolean {
  if (memo.local.length === 0 || now < memo.recheckAt) return true;
  for (const key of memo.local) if (!locallyEjected(key, now)) return false;
  memo.recheckAt = now + RECHECK_MS;
  return true;
}

function compute(
  service: ServiceRuntime,
  now: number,
  locallyEjected: (key: string, now: number) => boolean,
  generation: number,
  prev: Memo | undefined,
): Memo {
  const { config, origins } = service;
  const sameSnapshot = prev !== undefined && prev.origins === origins && prev.config === config;
  const keys = sameSnapshot ? prev.keys : origins.map((o) => `${config.name}/${o.id}`);
  const candidates: number[] = [];
  const healthy: number[] = [];
  const local: string[] = [];
  let validUntil = Infinity;
  let ejected = 0;
  for (let i = 0; i < origins.length; i++) {
    const origin = origins[i]!;
    // `disabled` with `enabled` set: the origin policy refuses its URL; not even panic mode may use it.
    if (!origin.enabled || origin.drain || origin.health.status === "disabled") continue;
    const until = origin.ejected_until_ms;
    const byRegistry = until !== null && until > now;
    if (byRegistry) validUntil = Math.min(validUntil, until);
    // Only asked when the registry has not ejected it, as before: asking has a side effect.
    const byIsolate = !byRegistry && locallyEjected(keys[i]!, now);
    if (byIsolate) local.push(keys[i]!);
    if (byRegistry || byIsolate) ejected++;
    candidates.push(i);
    const status = origin.health.status;
    if (!byRegistry && !byIsolate && (status === "unknown" || status === "healthy")) healthy.push(i);
  }
  const panic = inPanic(healthy.length, candidates.length, config.panic_threshold_percent);
  const chosen = panic ? candidates : healthy;

  // Same origins as last time: keep the lookup map and every endpoint whose weight held, and the
  // whole array when all did, so that balancers keep what they cached for it.
  const same = sameSnapshot && sameList(prev.chosen, chosen);
  let changed = !same;
  const endpoints: Endpoint[] = [];
  for (let j = 0; j < chosen.length; j++) {
    const origin = origins[chosen[j]!]!;
    const { weight: base, healthy_since_ms: since } = origin;
    if (rampsAfter(base, since, config.slow_start_s, now)) validUntil = Math.min(validUntil, now + RECHECK_MS);
    const weight = effectiveWeight(base, since, config.slow_start_s, now);
    const old = same ? prev.set.endpoints[j]! : undefined;
    if (old !== undefined && old.weight === weight) {
      endpoints.push(old);
    } else {
      changed = true;
      endpoints.push({ id: keys[chosen[j]!]!, weight });
    }
  }
  const total = candidates.length;
  let set: EligibleSet;
  const sameHealth = !panic || (same && sameList(prev.healthy, healthy));
  if (
    same &&
    !changed &&
    sameHealth &&
    prev.set.panic === panic &&
    prev.set.ejected === ejected &&
    prev.set.total === total
  ) {
    set = prev.set;
  } else {
    const byKey = same ? prev.set.origins : new Map(chosen.map((i) => [keys[i]!, origins[i]!]));
    const final = changed ? endpoints : prev!.set.endpoints;
    const fine = panic ? healthyOf(final, chosen, healthy) : final;
    set = { endpoints: final, healthy: fine, origins: byKey, panic, ejected, total };
  }
  const recheckAt = now + RECHECK_MS;
  return { origins, config, generation, at: now, validUntil, local, recheckAt, keys, chosen, healthy, set };
}

/** The endpoints (at `chosen` positions) whose origin index is in `healthy`. */
function healthyOf(
  endpoints: readonly Endpoint[],
  chosen: readonly number[],
  healthy: readonly number[],
): readonly Endpoint[] {
  const keep = new Set(healthy);
  return endpoints.filter((_, j) => keep.has(chosen[j]!));
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
