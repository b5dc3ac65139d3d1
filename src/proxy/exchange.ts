import type { MeshEnv } from "../config";
import { MeshError, errorResponse } from "../errors";
import type { RequestOutcome } from "../model/outcome";
import { recordRequest } from "../observability/record";
import type { RequestCf } from "./dev-cf";
import { clientIpOf, hostOf } from "./headers";
import { explain, type Steered } from "./steer";
import type { TriesOutcome } from "./tries";

// One proxied request as its error and log paths see it (src/proxy/forward.ts plans it, answer.ts answers it).

/** What the error and log paths need of one request: references only, no copies of its fields. */
export interface Exchange {
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
  /** The host asked for and the client's address, once read (the log reuses them). */
  host?: string;
  clientIp?: string | null;
}

/** Says a response was routed by a cached table, and how old (seconds) that table is (SPEC §8). */
export const STALE_HEADER = "x-mesh-stale";

/**
 * Answers a request with the mesh's own error (after `tries`, when origins
 * were tried), and records it like any other.
 */
export function fail(
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
export function outcomeOf(
  { request, url, started, requestId, cf, steered, caller, host, clientIp }: Exchange,
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
    host: host ?? hostOf(request.headers, url),
    path: url.pathname,
    status: answer.status,
    service,
    origin_id: tries?.originId ?? null,
    pool: steered?.pool ?? null,
    attempts: tries?.attempts ?? 0,
    duration_ms: Date.now() - started,
    upstream_ms: upstream && tries ? tries.upstreamMs : null,
    bytes_out: length === null ? null : Number(length),
    client_ip: clientIp !== undefined ? clientIp : clientIpOf(request.headers),
    colo: cf?.colo ?? null,
    country: cf?.country ?? null,
    error_code: answer instanceof MeshError ? answer.code : null,
    caller: caller ?? null,
    ejected: tries?.ejected ?? null,
  };
}
