import { registry } from "../api/registry-client";
import { IDENTITY_HEADER, createIdentitySigner } from "../auth/identity";
import type { MeshEnv } from "../config";
import { MeshError, errorResponse } from "../errors";
import { recordRequest, type RequestOutcome } from "../observability/record";
import { eligible, type EligibleSet } from "./eligible";
import { MAX_HOPS, downstreamHeaders, hopsOf, requestIdOf, upstreamHeaders } from "./headers";
import { PassiveHealth } from "./passive";
import { forwardPath, hashKeyOf, mayRetry, planBody, targetUrl } from "./request-plan";
import { RetryBudget } from "./retry-budget";
import { RoutingCache, type RoutingState, type ServiceRuntime } from "./routing-cache";
import { runTries, type TryDeps, type TryPlan } from "./tries";

/** Per-isolate data-plane state: lives as long as the isolate, shared by its requests. */
export const routing = new RoutingCache();
const passive = new PassiveHealth();
const budget = new RetryBudget();
const deps: TryDeps = { load: routing.load, passive, budget, clock: Date.now, rng: Math.random };

/** Makes this isolate's next request wait for a fresh routing table (after an admin write). */
export function invalidateRoutes(): void {
  routing.invalidate();
}

type Base = Omit<RequestOutcome, "status" | "service" | "origin_id" | "attempts" | "duration_ms" | "upstream_ms" | "bytes_out" | "error_code">;

/**
 * Proxies one request: route → eligible origins → pick → forward, with
 * per-try and overall timeouts, retries to other origins within the retry
 * budget, passive outlier detection, and a request log entry. Never calls
 * the registry on the request path except through the snapshot cache.
 * @example export default { fetch: (req, env, ctx) => proxyRequest(req, env, ctx) }
 */
export async function proxyRequest(request: Request, env: MeshEnv, ctx: ExecutionContext): Promise<Response> {
  const started = Date.now();
  const url = new URL(request.url);
  const requestId = requestIdOf(request.headers);
  const clientIp = request.headers.get("cf-connecting-ip");
  const host = request.headers.get("host") ?? url.host;
  const cf = request.cf as { colo?: string; country?: string } | undefined;
  const base: Base = {
    ts: started, request_id: requestId, method: request.method, host, path: url.pathname,
    client_ip: clientIp, colo: cf?.colo ?? null, country: cf?.country ?? null,
  };
  const fail = (err: MeshError, service: string | null = null, attempts = 0, originId: string | null = null, ejected: RequestOutcome["ejected"] = null) => {
    recordRequest(env, ctx, { ...base, status: err.status, service, origin_id: originId, attempts, duration_ms: Date.now() - started, upstream_ms: null, bytes_out: null, error_code: err.code, ejected });
    return errorResponse(err, requestId, attempts > 0 ? { "x-mesh-attempts": String(attempts) } : undefined);
  };

  const hops = hopsOf(request.headers);
  if (hops >= MAX_HOPS) return fail(new MeshError("ERR_LOOP", `request has already passed through the mesh ${hops} times (x-mesh-hops)`));
  let state: RoutingState;
  try {
    state = await routing.get((known, waitMs) => registry(env).snapshot(known, waitMs), (p) => ctx.waitUntil(p));
  } catch (err) {
    console.error("no routing table", err);
    return fail(new MeshError("ERR_NO_HEALTHY_ORIGIN", "routing table unavailable: the registry could not be reached"));
  }
  const route = state.matcher.match(host, url.pathname);
  if (!route) return fail(new MeshError("ERR_NO_ROUTE", `no service routes ${host}${url.pathname}`));

  const chosen = withFallback(state, state.services.get(route.service)!, started);
  const service = chosen.service;
  const name = service.config.name;
  if (chosen.set.endpoints.length === 0) {
    return fail(new MeshError("ERR_NO_HEALTHY_ORIGIN", `service '${route.service}' has no healthy origin`), name);
  }

  const { config } = service;
  const wantRetries = config.retries.attempts > 0 && mayRetry(request);
  const planned = await planBody(request, wantRetries);
  const maxTries = 1 + (wantRetries && planned.replayable ? config.retries.attempts : 0);
  const headers = upstreamHeaders(request.headers, { clientIp, proto: url.protocol.slice(0, -1), host, requestId, hops });
  headers.delete("x-mesh-retry");
  const signer = createIdentitySigner(env);
  if (signer) headers.set(IDENTITY_HEADER, await signer.sign({ service: name, requestId, now: started }));
  const path = forwardPath(url.pathname, route, config);
  const hashKey = hashKeyOf(config, request, clientIp);
  const deadline = started + config.timeout_ms;

  budget.deposit(name, started);
  const plan: TryPlan = {
    service, set: chosen.set, target: (origin) => targetUrl(origin, path, url.search),
    init: { method: request.method, headers, body: planned.body }, maxTries, deadline, hashKey,
  };
  const { last, attempts, upstreamMs, originId: lastOrigin, ejected } = await runTries(plan, deps);
  if (ejected) reportEjections(env, ctx);

  if (last === null || last.kind === "timeout" || (last.kind !== "response" && Date.now() >= deadline)) {
    const timeout = Date.now() >= deadline ? `no response within ${config.timeout_ms}ms` : `no response within ${config.retries.per_try_timeout_ms}ms`;
    return fail(new MeshError("ERR_UPSTREAM_TIMEOUT", `${timeout} after ${attempts} attempt(s)`), name, attempts, lastOrigin, ejected);
  }
  if (last.kind === "connect-failure") {
    return fail(new MeshError("ERR_UPSTREAM", `all ${attempts} attempt(s) failed: ${last.error}`), name, attempts, lastOrigin, ejected);
  }
  const res = last.response;
  const meshMs = Math.max(0, Date.now() - started - upstreamMs);
  const out = downstreamHeaders(res.headers, lastOrigin!, attempts, meshMs, upstreamMs, requestId);
  const length = res.headers.get("content-length");
  recordRequest(env, ctx, {
    ...base, status: res.status, service: name, origin_id: lastOrigin, attempts, duration_ms: Date.now() - started,
    upstream_ms: upstreamMs, bytes_out: length === null ? null : Number(length), error_code: null, ejected,
  });
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers: out });
}

/** The service to use: the matched one, or its fallback chain when it has no eligible origin. */
function withFallback(state: RoutingState, first: ServiceRuntime, now: number): { service: ServiceRuntime; set: EligibleSet } {
  const isEjected = (key: string) => passive.isEjected(key, now);
  let service = first;
  let set = eligible(service, now, isEjected, passive.generation);
  const seen = new Set([service.config.name]);
  while (set.endpoints.length === 0 && service.config.fallback_service !== null && !seen.has(service.config.fallback_service)) {
    const next = state.services.get(service.config.fallback_service);
    if (!next) break;
    seen.add(next.config.name);
    service = next;
    set = eligible(service, now, isEjected, passive.generation);
  }
  return { service, set };
}

/** Sends this isolate's new ejections to the registry in one call, after the response. */
function reportEjections(env: MeshEnv, ctx: ExecutionContext): void {
  const batch = passive.drain();
  if (batch.length === 0) return;
  ctx.waitUntil(registry(env).reportEjections(batch).catch((err: unknown) => console.error("ejection report failed", err)));
}
