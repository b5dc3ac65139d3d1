import type { MeshEnv } from "../config";
import type { MeshError } from "../errors";
import { type ClientCert, callerOf } from "./caller";
import { clientIpOf } from "./headers";
import { forbidden } from "./intentions";
import { rateLimited } from "./rate-limit";
import type { RoutingState } from "./routing-cache";

/** Whether a request may reach its service (SPEC §9): who it comes from, and the refusal if any. */
export interface Admission {
  caller: string;
  refused: { error: MeshError; headers: Record<string, string> } | null;
}

/**
 * Decides in the isolate, from the snapshot, whether a request may go to
 * `service`: its caller (service token, else mapped client certificate,
 * else `external`), then the intentions (403), then the service's rate
 * limit (429 with `retry-after`). No registry call. Synchronous when there
 * is neither a caller token to verify nor a rate limit to count (most
 * requests), so those make no promise.
 * @example const { caller, refused } = await admit(request, cf, url, state, "users", env, Date.now())
 */
export function admit(
  request: Request,
  cf: { tlsClientAuth?: ClientCert } | undefined,
  url: URL,
  state: RoutingState,
  service: string,
  env: MeshEnv,
  now: number,
): Admission | Promise<Admission> {
  const caller = callerOf(request.headers, cf?.tlsClientAuth, state.certs, env, now);
  if (typeof caller === "string") return admitCaller(request, url, state, service, env, now, caller);
  return caller.then((who) => admitCaller(request, url, state, service, env, now, who));
}

function admitCaller(
  request: Request,
  url: URL,
  state: RoutingState,
  service: string,
  env: MeshEnv,
  now: number,
  caller: string,
): Admission | Promise<Admission> {
  const denied = forbidden(state.intentions, caller, service, request.method, url.pathname, env);
  if (denied) return { caller, refused: { error: denied, headers: {} } };
  const limit = state.services.get(service)?.config.rate_limit ?? null;
  if (limit === null) return { caller, refused: null };
  return rateLimited(service, limit, env, caller, clientIpOf(request.headers), request.headers, now).then(
    (limited): Admission =>
      limited === null
        ? { caller, refused: null }
        : { caller, refused: { error: limited.error, headers: { "retry-after": String(limited.retryAfterS) } } },
  );
}
