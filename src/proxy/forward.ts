import { IDENTITY_HEADER, type IdentitySigner, createIdentitySigner } from "../auth/identity";
import { registry } from "../clients/registry";
import type { MeshEnv } from "../config";
import { MeshError } from "../errors";
import { admit } from "./admission";
import { answer } from "./answer";
import { tryInit } from "./attempt";
import { requestCfOf } from "./dev-cf";
import { eligible, type EligibleSet } from "./eligible";
import { type Exchange, fail } from "./exchange";
import { MAX_HOPS, clientIpOf, hopsOf, hostOf, requestIdOf, upstreamHeaders } from "./headers";
import { budget, hedges, passive, routing, routingTable } from "./isolate";
import { forwardPath, hashKeyOf, mayRetry, planBody, reachesMeshPath } from "./request-plan";
import type { RoutingState, ServiceRuntime } from "./routing-cache";
import { steer, stripAffinityCookie } from "./steer";
import { runTries, type TryDeps, type TryPlan } from "./tries";
import { isWebSocketUpgrade, upgradeRetryOn } from "./websocket";

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
  const url = new URL(request.url);
  const x: Exchange = {
    env,
    ctx,
    request,
    url,
    started: Date.now(),
    requestId: requestIdOf(request.headers),
    cf: undefined,
    steered: null,
  };
  // The plan is made in its own function, whose frame is gone by the time the tries wait on the origin:
  // only this small one, and what the tries hold, is kept across that wait (and outlives young collections).
  const plan = await prepare(x);
  if (plan instanceof Response) return plan;
  const tries = await runTries(plan, deps);
  if (tries.ejected) reportEjections(env, ctx);
  return answer(x, plan, tries);
}

/** Everything before the tries: routing, admission, steering and the upstream request; or the mesh's refusal. */
async function prepare(x: Exchange): Promise<TryPlan | Response> {
  const { env, ctx, request, url, started, requestId } = x;
  const cf = requestCfOf(request, env);
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
  const host = (x.host = hostOf(request.headers, url));
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
  const clientIp = (x.clientIp = clientIpOf(request.headers));
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
  return {
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
  };
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
