import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-types";
import { MeshError } from "../errors";
import { assertAdminAuthConfigured, verifyAdminToken } from "./admin-token";
import { type Need, authorize, needFor } from "./scopes";

const REALM = 'Bearer realm="flaremesh"';
// RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
const withoutCredentials = new WeakSet<MeshError>();
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The `WWW-Authenticate` header that goes with an auth error (RFC 6750), or
 * undefined for other errors. The app's onError adds it to the response.
 * @example const headers = authChallenge(err); return errorResponse(err, id, headers)
 */
export function authChallenge(err: MeshError): Record<string, string> | undefined {
  if (err.code === "ERR_UNAUTHENTICATED") {
    return { "WWW-Authenticate": withoutCredentials.has(err) ? REALM : `${REALM}, error="invalid_token"` };
  }
  if (err.code === "ERR_FORBIDDEN") return { "WWW-Authenticate": `${REALM}, error="insufficient_scope"` };
  return undefined;
}

/**
 * Authenticates admin requests: reads `Authorization: Bearer <jwt>`, verifies
 * it and sets `principal`. Hono's bearerAuth is not used because it renders
 * its own error bodies; here every failure is a MeshError for the app's onError.
 * @example app.use("/_mesh/api/v1/*", adminAuth())
 */
export function adminAuth() {
  return createMiddleware<AppEnv>(async (c, next) => {
    // 503 before 401: with no key configured nothing can authenticate, whatever was sent.
    assertAdminAuthConfigured(c.env);
    const header = c.req.header("Authorization");
    if (header === undefined || header.trim() === "") {
      const err = new MeshError("ERR_UNAUTHENTICATED", "missing Authorization: Bearer <token> header");
      withoutCredentials.add(err);
      throw err;
    }
    const match = BEARER.exec(header);
    if (!match) throw new MeshError("ERR_UNAUTHENTICATED", "malformed Authorization header: expected Bearer <token>");
    c.set("principal", await verifyAdminToken(match[1]!, c.env));
    await next();
  });
}

/**
 * Requires a scope of the principal set by {@link adminAuth}: "read" for
 * GETs, "write" for every change (403 ERR_FORBIDDEN otherwise).
 * @example app.put("/services/:name", requireScope("write"), handler)
 */
export function requireScope(kind: "read" | "write") {
  return createMiddleware<AppEnv>(async (c, next) => {
    authorize(principalOf(c.get("principal")), { kind } satisfies Need);
    await next();
  });
}

/**
 * Requires the scope a request needs by its method and path (see `needFor`):
 * mesh:read for GETs, mesh:heartbeat (within its `svc`) or mesh:write for
 * heartbeats, mesh:write for every other change.
 * @example app.use("/_mesh/api/v1/*", adminAuth(), requireScopeFor())
 */
export function requireScopeFor() {
  return createMiddleware<AppEnv>(async (c, next) => {
    authorize(principalOf(c.get("principal")), needFor(c.req.method, c.req.path));
    await next();
  });
}

function principalOf(principal: AppEnv["Variables"]["principal"] | undefined) {
  if (!principal) throw new MeshError("ERR_INTERNAL", "scope check ran before adminAuth()");
  return principal;
}
