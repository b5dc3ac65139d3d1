import { OpenAPIHono } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-types";
import { adminAuth, assertRoutesScoped } from "../auth/middleware";
import { catchUpRoutes } from "../proxy/isolate";
import { catalogApi } from "./catalog";
import { declarativeApi } from "./declarative";
import { meshConfigSchema } from "./mesh-config-schema";
import { openApiDocument } from "./openapi-doc";
import { identitiesApi } from "./identities";
import { intentionsApi } from "./intentions";
import { logSinksApi } from "./log-sinks";
import { logsApi } from "./logs";
import { originsApi } from "./origins";
import { serviceTokensApi } from "./service-tokens";
import { servicesApi } from "./services";
import { statsApi } from "./stats";
import { webhooksApi } from "./webhooks";
import { validationError } from "./validation";
import { recordWriteRevisions } from "./write-revisions";

/** Routes anyone may read, without a scope: the OpenAPI document. */
const PUBLIC_PATHS = ["/openapi.json", "/schema/mesh-config.json"];

// A write through this isolate is in its own data plane's table before the writer gets the answer; proxied
// requests keep the current table meanwhile, and concurrent writes share one refresh.
const invalidateAfterWrites = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.req.method === "GET" || c.req.method === "HEAD" || c.res.status >= 400) return;
  const waitUntil = (p: Promise<unknown>) => {
    try {
      c.executionCtx.waitUntil(p);
    } catch {
      // No execution context (an in-process app.request() in tests): the promise runs on its own.
    }
  };
  try {
    await catchUpRoutes(c.env, waitUntil);
  } catch (err) {
    // The write is stored; the background refresh brings it once the registry answers again.
    console.error("routing table refresh after a write failed", err);
  }
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
  openApiDocument(api);
  meshConfigSchema(api);
  // Authentication for every route; each route declares its own scope and body checks (./guard.ts).
  api.use("*", adminAuth(), invalidateAfterWrites, recordWriteRevisions);
  servicesApi(api);
  originsApi(api);
  catalogApi(api);
  logSinksApi(api);
  logsApi(api);
  statsApi(api);
  serviceTokensApi(api);
  intentionsApi(api);
  identitiesApi(api);
  declarativeApi(api);
  webhooksApi(api);
  assertRoutesScoped(api, PUBLIC_PATHS);
  return api;
}
