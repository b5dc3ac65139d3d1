import { IDENTITY_HEADER, type IdentitySigner, createIdentitySigner } from "../auth/identity";
import { registry } from "../clients/registry";
import type { MeshEnv } from "../config";
import { MeshError, errorResponse } from "../errors";
import type { RequestOutcome } from "../model/outcome";
import { recordRequest } from "../observability/record";
import { admit } from "./admission";
import { tryInit } from "./attempt";
import { requestCfOf, type RequestCf } from "./dev-cf";
import { eligible, type EligibleSet } from "./eligible";
import { MAX_HOPS, clientIpOf, downstreamHeaders, hopsOf, hostOf, requestIdOf, upstreamHeaders } from "./headers";
import { budget, hedges, passive, routing, routingTable } from "./isolate";
import { forwardPath, hashKeyOf, mayRetry, planBody, reachesMeshPath } from "./request-plan";
import type { RoutingState, ServiceRuntime } from "./routing-cache";
import { explain, pin, steer, stripAffinityCookie, type Steered } from "./steer";
import { runTries, type TriesOutcome, type TryDeps } from "./tries";
import { isWebSocketUpgrade, upgradeResponse, upgradeRetryOn } from "./websocket";

// Built once per isolate: a request's tries read and update the isolate's shared state through it.
const isEjected = (key: string, now: number): boolean => passive.isEjected(key, now);
const deps: TryDeps = { load: routing.load, passive, budget, hedges, clock: Date.now, rng: Math.random };

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
  const cf = requestCfOf(request, env);
  const x: Exchange = { env, ctx, request, url, started, requestId, cf: undefined, steered: null };
  if (cf instanceof MeshError) return fail(x, cf);
  x.cf = cf;
  const hops = hopsOf(request.headers);
  if (hops >= MAX_HOPS)
    return fail(
      x,
      new MeshError("ERR_LOOP", `request has already passed through the mesh ${hops} times (x-mesh-hops)`),
    );
  let state: RoutingState;
  try {
    state = await routingTable(env, (p) => ctx.waitUntil(p));
  } catch (err) {
    console.error("no routing table", err);
    return fail(
      x,
      new MeshError("ERR_NO_HEALTHY_ORIGIN", "routing table unavailable: the registry could not be reached"),
    );
  }
  // Routing from the colo's cached table (the registry out of reach): every answer says how old it is.
  if (state.staleSince !== null) x.stale = String(Math.max(0, Math.floor((Date.now() - state.staleSince) / 1000)));
  const host = hostOf(request.headers, url);
  const route = state.matcher.match(host, url.pathname);
  if (!route) return fail(x, new MeshError("ERR_NO_ROUTE", `no service routes ${host}${url.pathname}`));

  const admitted = admit(request, cf, url, state, route.service, env, started);
  const admission = admitted instanceof Promise ? await admitted : admitted;
  x.caller = admission.caller;
  if (admission.refused) return fail(x, admission.refused.error, route.service, null, admission.refused.headers);
  const chosen = withFallback(state, state.services.get(route.service)!, started);
  const service = chosen.service;
  const name = service.config.name;
  if (chosen.set.endpoints.length === 0) {
    return fail(x, new MeshError("ERR_NO_HEALTHY_ORIGIN", `service '${route.service}' has no healthy origin`), name);
  }

  const { config } = service;
  const clientIp = clientIpOf(request.headers);
  // Pools, steering and affinity (SPEC §7); a service that uses none of them skips all of it.
  const rt = service.steer ?? null;
  const steered =
    rt === null ? null : await steer(service, rt, chosen.set, request, cf, clientIp, env, started, Math.random);
  x.steered = steered;
  const wantRetries = config.retries.attempts > 0 && mayRetry(request);
  const planning = planBody(request, wantRetries);
  const planned = planning instanceof Promise ? await planning : planning;
  const maxTries = 1 + (wantRetries && planned.replayable ? config.retries.attempts : 0);
  const headers = upstreamHeaders(request.headers, {
    clientIp,
    proto: url.protocol.slice(0, -1),
    host,
    requestId,
    hops,
  });
  if (rt !== null) stripAffinityCookie(headers);
  const upgrade = isWebSocketUpgrade(request);
  // Hop-by-hop, so removed above; a WebSocket upgrade is the one exchange that needs it (SPEC §4, §6).
  if (upgrade) headers.set("upgrade", "websocket");
  const signer = signerOf(env);
  if (signer) {
    headers.set(IDENTITY_HEADER, await signer.sign({ service: name, requestId, subject: x.caller, now: started }));
  }
  const path = forwardPath(url.pathname, route, config);
  // Only strip_prefix can make such a path: the mesh answers a request for /_mesh itself.
  if (config.strip_prefix && !config.forward_mesh_paths && reachesMeshPath(path)) {
    const why = `${url.pathname} would reach ${path} on the origin, and /_mesh paths are not forwarded`;
    return fail(
      x,
      new MeshError("ERR_NO_ROUTE", `${why}; set forward_mesh_paths: true on the service to allow it`),
      name,
    );
  }
  const deadline = started + config.timeout_ms;

  budget.deposit(name, started);
  const init = tryInit(request.method, headers, planned.body);
  const hashKey = hashKeyOf(config, request, clientIp);
  const retryOn = upgrade ? upgradeRetryOn(config.retries.retry_on) : config.retries.retry_on;
  const front = `${url.protocol}//${url.host}`;
  const tries = await runTries(
    {
      service,
      set: steered?.set ?? chosen.set,
      balancer: steered?.balancer ?? service.balancer,
      first: steered?.first ?? null,
      hashKey,
      init,
      path,
      search: url.search,
      front,
      env,
      retryOn,
      upgrade,
      maxTries,
      deadline,
    },
    deps,
  );
  if (tries.ejected) reportEjections(env, ctx);

  const last = tries.last;
  if (last === null || last.kind === "timeout" || (last.kind !== "response" && Date.now() >= deadline)) {
    const timeout =
      Date.now() >= deadline
        ? `no response within ${config.timeout_ms}ms`
        : `no response within ${config.retries.per_try_timeout_ms}ms`;
    return fail(x, new MeshError("ERR_UPSTREAM_TIMEOUT", `${timeout} after ${tries.attempts} attempt(s)`), name, tries);
  }
  if (last.kind === "connect-failure") {
    return fail(
      x,
      new MeshError("ERR_UPSTREAM", `all ${tries.attempts} attempt(s) failed: ${last.error}`),
      name,
      tries,
    );
  }
  const res = last.response;
  const meshMs = Math.max(0, Date.now() - started - tries.upstreamMs);
  // A copy of the origin's answer whose headers change in place (one copy); a 101 hands over the socket instead.
  const answer = res.status === 101 ? null : new Response(res.body, res);
  const fields = answer?.headers ?? new Headers(res.headers);
  const out = downstreamHeaders(fields, tries.originId!, tries.attempts, meshMs, tries.upstreamMs, requestId);
  if (steered !== null) {
    explain(out, steered, tries.originId);
    await pin(out, steered, tries.originId!, config, env, Date.now());
  }
  if (x.stale !== undefined) out.set(STALE_HEADER, x.stale);
  if (answer === null) {
    const socket = upgradeResponse(res, out);
    if (!socket)
      return fail(x, new MeshError("ERR_UPSTREAM", "the origin answered 101 without a WebSocket"), name, tries);
    recordRequest(env, ctx, outcomeOf(x, res, name, tries));
    return socket;
  }
  recordRequest(env, ctx, outcomeOf(x, res, name, tries));
  return answer;
}

/** Each env's identity signer (or null: no signing key), made once: workerd passes every request the same env. */
const signers = new WeakMap<MeshEnv, IdentitySigner | null>();

function signerOf(env: MeshEnv): IdentitySigner | null {
  let signer = signers.get(env);
  if (signer === undefined) {
    signer = createIdentitySigner(env);
    signers.set(env, signer);
  }
  return signer;
}

/** What the error and log paths need of one request: references only, no copies of its fields. */
interface Exchange {
  env: MeshEnv;
  ctx: ExecutionContext;
  request: Request;
  url: URL;
  started: number;
  requestId: string;
  /** `request.cf`, or what `x-mesh-dev-cf` stands in for it with (local development). */
  cf: RequestCf | undefined;
  /** What steering decided, once it has. */
  steered: Steered | null;
  /** Who is calling, once known (SPEC §9): a service, or `external`. */
  caller?: string;
  /** `x-mesh-stale`'s value when the table is the colo's cached copy. */
  stale?: string;
}

/** Says a response was routed by a cached table, and how old (seconds) that table is (SPEC §8). */
const STALE_HEADER = "x-mesh-stale";

/**
 * Answers a request with the mesh's own error (after `tries`, when origins
 * were tried), and records it like any other.
 */
function fail(
  x: Exchange,
  err: MeshError,
  service: string | null = null,
  tries: TriesOutcome | null = null,
  headers: Record<string, string> = {},
): Response {
  recordRequest(x.env, x.ctx, outcomeOf(x, err, service, tries));
  const attempts = tries?.attempts ?? 0;
  const extra: Record<string, string> = { ...headers };
  if (attempts > 0) extra["x-mesh-attempts"] = String(attempts);
  if (x.stale !== undefined) extra[STALE_HEADER] = x.stale;
  const res = errorResponse(err, x.requestId, extra);
  if (x.steered !== null) explain(res.headers, x.steered, null);
  return res;
}

/**
 * What the log and metrics keep of a request: made only once it is answered
 * (with the origin's response or the mesh's error), from the request itself,
 * so that no copy of it waits on the origin.
 */
function outcomeOf(
  { request, url, started, requestId, cf, steered, caller }: Exchange,
  answer: Response | MeshError,
  service: string | null,
  tries: TriesOutcome | null,
): RequestOutcome {
  const upstream = answer instanceof MeshError ? null : answer;
  const length = upstream?.headers.get("content-length") ?? null;
  return {
    ts: started,
    request_id: requestId,
    method: request.method,
    host: hostOf(request.headers, url),
    path: url.pathname,
    status: answer.status,
    service,
    origin_id: tries?.originId ?? null,
    pool: steered?.pool ?? null,
    attempts: tries?.attempts ?? 0,
    duration_ms: Date.now() - started,
    upstream_ms: upstream && tries ? tries.upstreamMs : null,
    bytes_out: length === null ? null : Number(length),
    client_ip: clientIpOf(request.headers),
    colo: cf?.colo ?? null,
    country: cf?.country ?? null,
    error_code: answer instanceof MeshError ? answer.code : null,
    caller: caller ?? null,
    ejected: tries?.ejected ?? null,
  };
}

/** The service to use: the matched one, or its fallback chain when it has no eligible origin. */
function withFallback(
  state: RoutingState,
  first: ServiceRuntime,
  now: number,
): { service: ServiceRuntime; set: EligibleSet } {
  let service = first;
  let set = eligible(service, now, isEjected, passive.generation);
  if (set.endpoints.length > 0) return { service, set };
  const seen = new Set([service.config.name]);
  while (
    set.endpoints.length === 0 &&
    service.config.fallback_service !== null &&
    !seen.has(service.config.fallback_service)
  ) {
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
  ctx.waitUntil(
    registry(env)
      .reportEjections(batch)
      .catch((err: unknown) => console.error("ejection report failed", err)),
  );
}
