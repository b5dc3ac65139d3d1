import type { LoadStats } from "../balancer/index";
import { backoffMs, failed, retryable, tryOnce, type TryResult } from "./attempt";
import type { EligibleSet } from "./eligible";
import type { PassiveHealth } from "./passive";
import type { RetryBudget } from "./retry-budget";
import type { ServiceRuntime } from "./routing-cache";

/** One request's tries, as planned by the proxy. */
export interface TryPlan {
  service: ServiceRuntime;
  set: EligibleSet;
  /** The origin URL for a base URL. */
  target: (originBase: string) => string;
  init: RequestInit;
  maxTries: number;
  /** Epoch ms by which response headers must have arrived (`timeout_ms`). */
  deadline: number;
  hashKey: string | null;
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
 * @example const out = await runTries(plan, { load, passive, budget, clock: Date.now, rng: Math.random })
 */
export async function runTries(plan: TryPlan, deps: TryDeps): Promise<TriesOutcome> {
  const { config, balancer } = plan.service;
  const name = config.name;
  const all = plan.set.endpoints;
  const tried = new Set<string>();
  const out: TriesOutcome = { last: null, attempts: 0, upstreamMs: 0, originId: null, ejected: null };
  while (out.attempts < plan.maxTries) {
    const now = deps.clock();
    const remaining = plan.deadline - now;
    if (remaining <= 0) break;
    const untried = tried.size === 0 ? all : all.filter((e) => !tried.has(e.id));
    const pick = balancer.pick(untried.length > 0 ? untried : all, { rng: deps.rng, now, hashKey: plan.hashKey });
    if (!pick) break;
    const origin = plan.set.origins.get(pick.id)!;
    tried.add(pick.id);
    out.attempts++;
    out.originId = origin.id;
    deps.load.begin(pick.id, now);
    const timeout = Math.min(config.retries.per_try_timeout_ms, remaining);
    const result = await tryOnce(plan.target(origin.url), plan.init, timeout, deps.clock);
    out.upstreamMs += result.ms;
    out.last = result;
    const bad = failed(result);
    deps.load.end(pick.id, deps.clock(), result.ms, bad);
    if (deps.passive.record(name, origin.id, bad, config.outlier_detection, deps.clock(), plan.set.ejected, plan.set.total)) {
      out.ejected = { service: name, origin: origin.id };
    }
    if (!bad || !retryable(result, config.retries.retry_on)) break;
    if (out.attempts >= plan.maxTries || !deps.budget.tryWithdraw(name, config.retries.budget_ratio, deps.clock())) break;
    if (result.kind === "response") await result.response.body?.cancel();
    const pause = Math.min(backoffMs(out.attempts, deps.rng), Math.max(0, plan.deadline - deps.clock()));
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
  }
  return out;
}
