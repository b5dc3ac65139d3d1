import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { found, registry } from "../clients/registry";
import { Name } from "../model/common";
import { Catalog, HealthEvent, ServiceHealth } from "../model/catalog";
import { guard } from "./guard";
import { ServiceParams, errorResponses, jsonResponse } from "./schemas";

const catalog = createRoute({
  method: "get",
  path: "/catalog",
  middleware: guard("read"),
  summary: "The discovery view: every service's origins and their status",
  responses: { 200: jsonResponse(Catalog, "The catalog"), ...errorResponses },
});

const health = createRoute({
  method: "get",
  path: "/services/{name}/health",
  middleware: guard("read"),
  summary: "Counts by status, each origin's health and the recent events",
  description:
    "With `health_check.regions`, each origin's `health.regions` shows what each region's checker sees " +
    "(`status`, `last_check`, `latency_ms`, `last_error`) and the events name the regions that voted, e.g. " +
    "`active: unhealthy in weur, apac of 3: status 500`.",
  request: { params: ServiceParams },
  responses: { 200: jsonResponse(ServiceHealth, "The service's health"), ...errorResponses },
});

const events = createRoute({
  method: "get",
  path: "/events",
  middleware: guard("read"),
  summary: "Health transitions, newest first",
  request: {
    query: z
      .object({
        service: Name.optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      })
      .strict(),
  },
  responses: { 200: jsonResponse(z.object({ events: z.array(HealthEvent) }), "The events"), ...errorResponses },
});

/** `/catalog`, `/events` and `/services/{name}/health`. */
export function catalogApi(api: OpenAPIHono<AppEnv>): void {
  api.openapi(catalog, async (c) => c.json(await registry(c.env).catalog(), 200));

  api.openapi(health, async (c) => {
    const { name } = c.req.valid("param");
    return c.json(found(await registry(c.env).serviceHealth(name), name), 200);
  });

  api.openapi(events, async (c) => {
    const { service, limit } = c.req.valid("query");
    return c.json({ events: await registry(c.env).events(service ?? null, limit) }, 200);
  });
}
