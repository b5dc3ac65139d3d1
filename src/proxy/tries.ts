import type { Balancer, Endpoint, LoadStats } from "../balancer/index";
import type { Hedge } from "../model/hedge";
import type { Retries } from "../model/service";
import type { LatencySketches } from "../observability/latency-sketch";
import { failed, retryPauseMs, retryable, tryOnce, type TryInit, type TryResult } from "./attempt";
import type { EligibleSet } from "./eligible";
import { type Flight, type Landed, hedgeOf, race } from "./hedge";
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
  /** Hedging's own budget (apart from retries) and the services' observed latencies (SPEC §11). */
  hedges: { budget: RetryBudget; latency: LatencySketches };
  clock: () => number;
  rng: () => number;
}

/** What the tries came to. */
export interface TriesOutcome {
  last: TryResult | null;
  /** Tries sent, hedges included. */
  attempts: number;
  upstreamMs: number;
  originId: string | null;
  ejected: { service: string; origin: string } | null;
}

/**
 * Sends a request to picked origins until one answers acceptably: retries
 * (to origins not yet tried, when there are any) only what `retry_on`
 * covers, within `maxTries`, the deadline and the retry budget, with jittered
 * backoff; a GET/HEAD of a service with `hedge` also sends a hedge to another
 * origin when no answer came within the hedge delay, within the hedge budget,
 * and the first good answer wins. Every try updates the load estimates, and
 * every try that was not aborted for losing a race, passive health.
 * @example const out = await runTries({ service, set, balancer, first: null, hashKey: null, init, path: "/users/1", search: "", front, env, retryOn, upgrade: false, maxTries: 3, deadline }, deps)
 */
export async function runTries(plan: TryPlan, deps: TryDeps): Promise<TriesOutcome> {
  const { service, set, balancer, first, hashKey, retryOn, maxTries, deadline } = plan;
  const { config } = service;
  const name = config.name;
  const all = set.endpoints;
  const hedge = hedgeOf(config.hedge, plan.init.method, plan.upgrade);
  if (hedge !== null) deps.hedges.budget.deposit(name, deps.clock());
  // Origins tried so far; made at the first retry or hedge, as most requests take one try.
  let tried: Set<string> | null = null;
  const out: TriesOutcome = { last: null, attempts: 0, upstreamMs: 0, originId: null, ejected: null };
  let rounds = 0;
  while (rounds < maxTries) {
    const now = deps.clock();
    if (deadline - now <= 0) break;
    const untried = tried === null ? all : notIn(all, tried);
    const pick =
      rounds === 0 && first !== null
        ? first
        : balancer.pick(untried.length > 0 ? untried : all, { rng: deps.rng, now, hashKey });
    if (!pick) break;
    rounds++;
    const flight = launch(plan, deps, out, pick);
    let landed: Landed;
    const delay = hedge === null ? null : hedgeDelay(hedge, name, deps, now);
    if (delay === null) landed = { flight, result: await flight.result };
    else {
      (tried ??= new Set()).add(pick.id);
      const hedgeTo = (): Flight | null => {
        const at = deps.clock();
        const other = notIn(all, tried!);
        const next = other.length > 0 ? balancer.pick(other, { rng: deps.rng, now: at, hashKey }) : undefined;
        if (next === undefined || deadline - at <= 0) return null;
        if (!deps.hedges.budget.tryWithdraw(name, hedge!.budget_ratio, at)) return null;
        tried!.add(next.id);
        return launch(plan, deps, out, next);
      };
      const raced = await race(flight, delay, hedge!.max, hedgeTo, deps.clock);
      for (const f of raced.failures) {
        settle(plan, deps, out, f);
        if (f.result.kind === "response") await f.result.response.body?.cancel();
      }
      for (const loser of raced.losers) abandon(deps, loser);
      landed = raced.landed;
    }
    const result = landed.result;
    settle(plan, deps, out, landed);
    out.last = result;
    out.originId = set.origins.get(landed.flight.id)!.id;
    const bad = failed(result);
    if (!bad || !retryable(result, retryOn)) break;
    if (rounds >= maxTries || !deps.budget.tryWithdraw(name, config.retries.budget_ratio, deps.clock())) break;
    (tried ??= new Set()).add(landed.flight.id);
    if (result.kind === "response") await result.response.body?.cancel();
    const pause = Math.min(retryPauseMs(rounds, deps.rng), Math.max(0, deadline - deps.clock()));
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
  }
  return out;
}

/** How long a try waits for an answer before a hedge: `delay_ms`, else the observed percentile (null: not known yet). */
function hedgeDelay(hedge: Hedge, service: string, deps: TryDeps, now: number): number | null {
  return hedge.delay_ms ?? deps.hedges.latency.quantile(service, hedge.percentile / 100, now);
}

/** Sends one try to `pick` (counted in `out.attempts` and the load estimates), abortable. */
function launch(plan: TryPlan, deps: TryDeps, out: TriesOutcome, pick: Endpoint): Flight {
  const { config } = plan.service;
  const origin = plan.set.origins.get(pick.id)!;
  const now = deps.clock();
  out.attempts++;
  deps.load.begin(pick.id, now);
  const timeout = Math.min(config.retries.per_try_timeout_ms, Math.max(1, plan.deadline - now));
  const binding = config.tls?.client_certificate_binding ?? null;
  const target = targetOf(origin.url, plan.front, plan.path, plan.search, plan.env, binding);
  const controller = new AbortController();
  const result: Promise<TryResult> =
    "unbound" in target
      ? Promise.resolve({ kind: "connect-failure", error: target.unbound, ms: 0 })
      : tryOnce(target.url, plan.init, timeout, deps.clock, target.via, plan.upgrade, controller);
  return { id: pick.id, started: now, controller, result };
}

/** Records a try that came back: upstream time, load estimates, passive health and observed latency. */
function settle(plan: TryPlan, deps: TryDeps, out: TriesOutcome, { flight, result }: Landed): void {
  const { config } = plan.service;
  const name = config.name;
  const bad = failed(result);
  const now = deps.clock();
  out.upstreamMs += result.ms;
  deps.load.end(flight.id, now, result.ms, bad);
  // Only a service that hedges after its observed percentile reads the sketch: no other pays for it.
  if (!bad && config.hedge?.delay_ms === null) deps.hedges.latency.record(name, result.ms, now);
  const origin = plan.set.origins.get(flight.id)!;
  const set = plan.set;
  if (deps.passive.record(name, origin.id, bad, config.outlier_detection, now, set.ejected, set.total, flight.id)) {
    out.ejected = { service: name, origin: origin.id };
  }
}

/**
 * A try aborted for losing a race: no failure of its origin (passive health never hears of it),
 * its time so far only a lower bound of its latency. It leaves the in-flight count now, not once
 * the abort has settled, which the request may not outlive; an answer that came anyway is
 * cancelled unread.
 */
function abandon(deps: TryDeps, loser: Flight): void {
  const now = deps.clock();
  deps.load.abandon(loser.id, now, now - loser.started);
  void loser.result.then(cancelUnread);
}

function cancelUnread(result: TryResult): void {
  if (result.kind === "response") result.response.body?.cancel().catch(() => {});
}

/** The endpoints whose ids are not in `ids`. */
function notIn(endpoints: readonly Endpoint[], ids: ReadonlySet<string>): Endpoint[] {
  return endpoints.filter((e) => !ids.has(e.id));
}
