import type { Balancer, Endpoint, LoadStats } from "../balancer/index";
import type { Retries } from "../model/service";
import { failed, retryPauseMs, retryable, tryOnce, type TryInit, type TryResult } from "./attempt";
import type { EligibleSet } from "./eligible";
import type { PassiveHealth } from "./passive";
import type { RetryBudget } from "./retry-budget";
import type { ServiceRuntime } from "./routing-cache";
import { targetOf } from "./target";

/** One request's tries, as planned by the proxy: plain data, no closures. */
export interface TryPlan {
  service: ServiceRuntime;
  /** The origins to try: the service's eligible set, or the pool steering chose. */
  set: EligibleSet;
  /** Picks from `set`: the service's balancer, or its pool's. */
  balancer: Balancer;
  /** The first try's origin when session affinity chose it; null lets `balancer` pick. */
  first: Endpoint | null;
  hashKey: string | null;
  /** Made once per request by `tryInit`; each try sets its own signal on it. */
  init: TryInit;
  /** Appended to the picked origin's URL. */
  path: string;
  search: string;
  /** The client's scheme and host (`https://api.example.com`): service-binding origins see it in their URL. */
  front: string;
  /** Where service bindings are looked up (the Worker's env). */
  env: object;
  /** What is retried: the service's `retry_on`, or less (a WebSocket upgrade retries connect failures only). */
  retryOn: Retries["retry_on"];
  /** A WebSocket upgrade (see `tryOnce`). */
  upgrade: boolean;
  maxTries: number;
  /** Epoch ms by which response headers must have arrived (`timeout_ms`). */
  deadline: number;
}

/** The isolate's shared state the tries read and update. */
export interface TryDeps {
  load: LoadStats;
  passive: PassiveHealth;
  budget: RetryBudget;
  clock: () => number;
  rng: () => number;
}

/** What the tries came to. */
export interface TriesOutcome {
  last: TryResult | null;
  attempts: number;
  upstreamMs: number;
  originId: string | null;
  ejected: { service: string; origin: string } | null;
}

/**
 * Sends a request to picked origins until one answers acceptably: retries
 * (to origins not yet tried, when there are any) only what `retry_on`
 * covers, within `maxTries`, the deadline and the retry budget, with jittered
 * backoff; every try updates the load estimates and passive health.
 * @example const out = await runTries({ service, set, balancer, first: null, hashKey: null, init, path: "/users/1", search: "", front, env, retryOn, upgrade: false, maxTries: 3, deadline }, deps)
 */
export async function runTries(plan: TryPlan, deps: TryDeps): Promise<TriesOutcome> {
  const {
    service,
    set,
    balancer,
    first,
    hashKey,
    init,
    path,
    search,
    front,
    env,
    retryOn,
    upgrade,
    maxTries,
    deadline,
  } = plan;
  const { config } = service;
  const name = config.name;
  const all = set.endpoints;
  // Origins tried so far; made at the first retry, as most requests take one try.
  let tried: Set<string> | null = null;
  const out: TriesOutcome = { last: null, attempts: 0, upstreamMs: 0, originId: null, ejected: null };
  while (out.attempts < maxTries) {
    const now = deps.clock();
    const remaining = deadline - now;
    if (remaining <= 0) break;
    const untried = tried === null ? all : notIn(all, tried);
    const pick =
      out.attempts === 0 && first !== null
        ? first
        : balancer.pick(untried.length > 0 ? untried : all, { rng: deps.rng, now, hashKey });
    if (!pick) break;
    const origin = set.origins.get(pick.id)!;
    out.attempts++;
    out.originId = origin.id;
    deps.load.begin(pick.id, now);
    const timeout = Math.min(config.retries.per_try_timeout_ms, remaining);
    const target = targetOf(origin.url, front, path, search, env, config.tls?.client_certificate_binding ?? null);
    const result: TryResult =
      "unbound" in target
        ? { kind: "connect-failure", error: target.unbound, ms: 0 }
        : await tryOnce(target.url, init, timeout, deps.clock, target.via, upgrade);
    out.upstreamMs += result.ms;
    out.last = result;
    const bad = failed(result);
    deps.load.end(pick.id, deps.clock(), result.ms, bad);
    if (deps.passive.record(name, origin.id, bad, config.outlier_detection, deps.clock(), set.ejected, set.total)) {
      out.ejected = { service: name, origin: origin.id };
    }
    if (!bad || !retryable(result, retryOn)) break;
    if (out.attempts >= maxTries || !deps.budget.tryWithdraw(name, config.retries.budget_ratio, deps.clock())) break;
    (tried ??= new Set()).add(pick.id);
    if (result.kind === "response") await result.response.body?.cancel();
    const pause = Math.min(retryPauseMs(out.attempts, deps.rng), Math.max(0, deadline - deps.clock()));
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
  }
  return out;
}

/** The endpoints whose ids are not in `ids`. */
function notIn(endpoints: readonly Endpoint[], ids: ReadonlySet<string>): Endpoint[] {
  return endpoints.filter((e) => !ids.has(e.id));
}
