import { OpenAPIHono } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../app-types";
import { adminAuth, requireScopeFor } from "../auth/middleware";
import { isHeartbeatPath } from "../auth/scopes";
import { MeshError } from "../errors";
import { invalidateRoutes } from "../proxy/isolate";
import { catalogApi } from "./catalog";
import { logSinksApi } from "./log-sinks";
import { logsApi } from "./logs";
import { originsApi } from "./origins";
import { servicesApi } from "./services";
import { statsApi } from "./stats";
import { validationError } from "./validation";

/** Largest admin request body accepted. */
export const MAX_BODY_BYTES = 64 * 1024;

/** `POST /log-sinks/{name}/flush` takes no body. */
const FLUSH = /\/log-sinks\/[^/]+\/flush$/;

// A write through this isolate is visible to its own data plane at once.
const invalidateAfterWrites = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.req.method !== "GET" && c.req.method !== "HEAD" && c.res.status < 400) invalidateRoutes();
});

// The validators read a body only when it is declared JSON; anything else must not reach a handler.
const jsonOnly = createMiddleware<AppEnv>(async (c, next) => {
  const hasBody =
    ["POST", "PUT", "PATCH"].includes(c.req.method) && !isHeartbeatPath(c.req.path) && !FLUSH.test(c.req.path);
  const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (hasBody && type !== "application/json") {
    throw new MeshError("ERR_VALIDATION", "request body must be JSON with content-type: application/json", [
      { path: "(body)", message: `content-type is ${type ?? "missing"}` },
    ]);
  }
  await next();
});

/**
 * The admin API (`/_mesh/api/v1`): JWT-authenticated, validated by the same
 * zod schemas that generate its OpenAPI document.
 * @example app.route("/_mesh/api/v1", adminApi())
 */
export function adminApi(): OpenAPIHono<AppEnv> {
  const api = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error);
    },
  });
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
  });
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "flaremesh admin API",
      version: "1.0.0",
      description: "Service registry, health and routing configuration.",
    },
    security: [{ bearer: [] }],
  });
  api.use("*", adminAuth(), requireScopeFor(), invalidateAfterWrites);
  api.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new MeshError("ERR_TOO_LARGE", `request body is larger than ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );
  api.use("*", jsonOnly);
  servicesApi(api);
  originsApi(api);
  catalogApi(api);
  logSinksApi(api);
  logsApi(api);
  statsApi(api);
  return api;
}
