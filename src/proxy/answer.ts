import { MeshError } from "../errors";
import { recordRequest } from "../observability/record";
import { type Exchange, STALE_HEADER, fail, outcomeOf } from "./exchange";
import { downstreamHeaders } from "./headers";
import { explain, pin } from "./steer";
import type { TriesOutcome, TryPlan } from "./tries";
import { upgradeResponse } from "./websocket";

/**
 * The client's answer once the tries are done: the mesh's timeout or upstream
 * error, or the origin's answer with the mesh's fields (and, with steering,
 * its explanation and affinity cookie), recorded either way.
 * @example return answer(x, plan, await runTries(plan, deps))
 */
export function answer(x: Exchange, plan: TryPlan, tries: TriesOutcome): Response | Promise<Response> {
  const { config } = plan.service;
  const name = config.name;
  const deadline = plan.deadline;

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
  const meshMs = Math.max(0, Date.now() - x.started - tries.upstreamMs);
  // A copy of the origin's answer whose headers change in place (one copy); a 101 hands over the socket instead.
  const copy = res.status === 101 ? null : new Response(res.body, res);
  const fields = copy?.headers ?? new Headers(res.headers);
  const out = downstreamHeaders(fields, tries.originId!, tries.attempts, meshMs, tries.upstreamMs, x.requestId);
  if (x.steered === null) return deliver(x, name, res, copy, out, tries);
  explain(out, x.steered, tries.originId);
  return pin(out, x.steered, tries.originId!, config, x.env, Date.now()).then(() =>
    deliver(x, name, res, copy, out, tries),
  );
}

/** Hands the answer over: the origin's (copied) response, or for a 101 its socket. */
function deliver(
  x: Exchange,
  name: string,
  res: Response,
  copy: Response | null,
  out: Headers,
  tries: TriesOutcome,
): Response {
  if (x.stale !== undefined) out.set(STALE_HEADER, x.stale);
  if (copy === null) {
    const socket = upgradeResponse(res, out);
    if (!socket)
      return fail(x, new MeshError("ERR_UPSTREAM", "the origin answered 101 without a WebSocket"), name, tries);
    recordRequest(x.env, x.ctx, outcomeOf(x, res, name, tries));
    return socket;
  }
  recordRequest(x.env, x.ctx, outcomeOf(x, res, name, tries));
  return copy;
}
