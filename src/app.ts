import { OpenAPIHono } from "@hono/zod-openapi";
import { etag } from "hono/etag";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { adminApi } from "./api/index";
import { methodNotAllowed, routeMethods } from "./api/methods";
import type { AppEnv } from "./app-types";
import { publicJwks } from "./auth/identity";
import { adminAuth, authChallenge, requireScope } from "./auth/middleware";
import { MeshError, errorResponse } from "./errors";
import { DASHBOARD_PATH, dashboardHandler, metricsHandler } from "./observability/endpoints";

/** Maps anything thrown to a MeshError; unknown errors become ERR_INTERNAL (and are logged). */
export function toMeshError(err: unknown): MeshError {
  if (err instanceof MeshError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 400)
      return new MeshError("ERR_VALIDATION", `invalid request body: ${err.message}`, [
        { path: "(body)", message: err.message },
      ]);
    if (err.status === 413) return new MeshError("ERR_TOO_LARGE", err.message);
  }
  console.error("unhandled error", err);
  return new MeshError("ERR_INTERNAL", "internal error");
}

/**
 * The Worker's Hono app for `/_mesh/…`: liveness, JWKS, admin API, metrics
 * and dashboard. Everything else is proxied (src/proxy/forward.ts).
 * @example const app = createApp(); app.fetch(request, env, ctx)
 */
export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.use("/_mesh/*", requestId({ headerName: "x-request-id" }));
  app.onError((err, c) => {
    const meshError = toMeshError(err);
    return errorResponse(meshError, c.get("requestId") ?? crypto.randomUUID(), authChallenge(meshError));
  });
  app.get("/_mesh/healthz", (c) => c.json({ status: "ok" }));
  app.get("/_mesh/.well-known/jwks.json", async (c) =>
    c.json(await publicJwks(c.env), 200, { "cache-control": "public, max-age=300" }),
  );
  app.route("/_mesh/api/v1", adminApi());
  app.get("/_mesh/metrics", adminAuth(), requireScope("read"), metricsHandler);
  // Each file carries its own strong ETag; hono's etag middleware answers a matching If-None-Match with 304.
  app.get(DASHBOARD_PATH, etag(), dashboardHandler);
  app.get(`${DASHBOARD_PATH}/:file`, etag(), dashboardHandler);
  const methods = routeMethods(app, "");
  app.all("/_mesh/*", (c) => {
    const allowed = methods.allowed(c.req.path);
    if (allowed.length > 0) {
      const err = methodNotAllowed(c.req.method, c.req.path, allowed);
      return errorResponse(err, c.get("requestId") ?? crypto.randomUUID(), { allow: allowed.join(", ") });
    }
    throw new MeshError("ERR_NOT_FOUND", `no such mesh endpoint: ${c.req.method} ${c.req.path}`);
  });
  return app;
}
