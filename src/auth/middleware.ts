import type { Hono, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-types";
import { MeshError } from "../errors";
import { assertAdminAuthConfigured, verifyAdminToken } from "./admin-token";
import { type Need, authorize } from "./scopes";

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

/** What an admin route needs: reading, changing, or renewing a lease of the service in its `{name}`. */
export type ScopeNeed = Need["kind"];

// The scope checks `requireScope` made: how `assertRoutesScoped` recognises them among a route's handlers.
const scopeChecks = new WeakSet<MiddlewareHandler>();

/**
 * Requires a scope of the principal set by {@link adminAuth}: "read"
 * (mesh:read), "write" (mesh:write), or "heartbeat" (mesh:heartbeat, within
 * its `svc` claim, or mesh:write) for the service named by the route's
 * `{name}` parameter; 403 ERR_FORBIDDEN otherwise. Every admin route
 * declares one in its own `middleware`, so the check moves with the route.
 * @example createRoute({ method: "put", path: "/services/{name}", middleware: [requireScope("write")], … })
 */
export function requireScope(need: ScopeNeed): MiddlewareHandler<AppEnv> {
  const check = createMiddleware<AppEnv>(async (c, next) => {
    const principal = principalOf(c.get("principal"));
    if (need !== "heartbeat") authorize(principal, { kind: need });
    else {
      const service = c.req.param("name");
      if (service === undefined)
        throw new MeshError("ERR_INTERNAL", `heartbeat scope on ${c.req.routePath}, which has no {name}`);
      authorize(principal, { kind: "heartbeat", service });
    }
    await next();
  });
  scopeChecks.add(check);
  return check;
}

/**
 * Fails closed at build time: throws unless every route of `app` (but
 * `publicPaths`) has a {@link requireScope} check among its handlers, so a
 * route that forgets to declare its scope stops the Worker from starting
 * instead of answering any authenticated token.
 * @example assertRoutesScoped(api, ["/openapi.json"])
 */
export function assertRoutesScoped(app: Hono<AppEnv>, publicPaths: readonly string[]): void {
  const scoped = new Map<string, boolean>();
  for (const { method, path, handler } of app.routes) {
    // Middleware registered with `use("*")` applies to many routes and is not a route of its own.
    if (method === "ALL" && path.endsWith("*")) continue;
    const key = `${method} ${path}`;
    scoped.set(key, (scoped.get(key) ?? false) || scopeChecks.has(handler as MiddlewareHandler));
  }
  const missing = [...scoped].filter(([key, ok]) => !ok && !publicPaths.includes(key.slice(key.indexOf(" ") + 1)));
  if (missing.length > 0) {
    throw new Error(
      `admin routes without a declared scope (add requireScope to their middleware): ${missing.map(([k]) => k).join(", ")}`,
    );
  }
}

function principalOf(principal: AppEnv["Variables"]["principal"] | undefined) {
  if (!principal) throw new MeshError("ERR_INTERNAL", "scope check ran before adminAuth()");
  return principal;
}
