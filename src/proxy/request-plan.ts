import type { CompiledRoute } from "./route-table";
import type { ServiceConfig } from "../model/service";
import { cookieValue } from "../steering/cookies";

/** Methods retried without the client's explicit consent (SPEC §3). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/** Largest request body kept in memory so that a retry can resend it. */
export const RETRY_BODY_MAX = 1024 * 1024;

/** The request body as the tries will send it. */
export interface PlannedBody {
  body: ArrayBuffer | ReadableStream | null;
  /** False when the body streams through and cannot be sent twice. */
  replayable: boolean;
}

/** Whether the request may be retried: idempotent, or the client asked with `x-mesh-retry: always`. */
export function mayRetry(request: Request): boolean {
  return IDEMPOTENT.has(request.method) || request.headers.get("x-mesh-retry")?.toLowerCase() === "always";
}

/** What a request without a body sends: the same object every time. */
const NO_BODY: PlannedBody = Object.freeze({ body: null, replayable: true });

/**
 * Buffers the body only when a retry could need it and it is at most
 * RETRY_BODY_MAX by its Content-Length; otherwise it streams, unretried.
 * Synchronous (no promise) unless there is a body to buffer.
 */
export function planBody(request: Request, wantRetries: boolean): PlannedBody | Promise<PlannedBody> {
  if (request.body === null || request.method === "GET" || request.method === "HEAD") return NO_BODY;
  const length = Number(request.headers.get("content-length") ?? Number.NaN);
  if (wantRetries && Number.isFinite(length) && length <= RETRY_BODY_MAX)
    return request.arrayBuffer().then((body) => ({ body, replayable: true }));
  return { body: request.body, replayable: false };
}

/** The path the origin sees: the route's prefix removed when `strip_prefix` is set. */
export function forwardPath(path: string, route: CompiledRoute, config: ServiceConfig): string {
  if (!config.strip_prefix || route.prefix === "/") return path;
  const prefix = route.prefix.endsWith("/") ? route.prefix.slice(0, -1) : route.prefix;
  const rest = path.slice(prefix.length);
  return rest.startsWith("/") ? rest : `/${rest}`;
}

const MESH_PATH = /^\/(_|%5f)mesh(\/|%2f|$)/i;

/**
 * Whether a forwarded path would reach the origin's own `/_mesh` (its admin
 * API, if the origin is a mesh too): only `strip_prefix` can make one, as
 * the mesh answers `/_mesh` itself on every host. `%5F` counts as `_`.
 */
export function reachesMeshPath(path: string): boolean {
  return MESH_PATH.test(path);
}

/** The origin URL for a request: the origin's base path, then the forwarded path and query. */
export function targetUrl(originBase: string, path: string, search: string): string {
  return `${originBase}${path}${search}`;
}

/** The affinity key of a `hash` service: the client IP, a header or a cookie (null when absent). */
export function hashKeyOf(config: ServiceConfig, request: Request, clientIp: string | null): string | null {
  if (config.load_balancer.policy !== "hash") return null;
  const on = config.load_balancer.hash_on ?? "ip";
  if (on === "ip") return clientIp;
  if (on.startsWith("header:")) return request.headers.get(on.slice(7));
  return cookieValue(request.headers.get("cookie"), on.slice(7));
}
