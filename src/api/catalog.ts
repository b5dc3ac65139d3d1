import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { found, registry } from "../clients/registry";
import { Name } from "../model/common";
import { Catalog, HealthEvent, ServiceHealth } from "../model/catalog";
import { MAX_CATALOG_WAIT_MS } from "../model/catalog";
import { guard } from "./guard";
import { ServiceParams, errorResponses, jsonResponse } from "./schemas";

/** A Consul-style wait: `30s`, `1m`, `500ms` or plain seconds; longer than a minute is cut to one. */
const Wait = z
  .string()
  .regex(/^\d{1,6}(ms|s|m)?$/, "must be a duration such as 30s, 1m or 500ms")
  .transform((w) => {
    const n = Number.parseInt(w, 10);
    const ms = w.endsWith("ms") ? n : w.endsWith("m") ? n * 60_000 : n * 1000;
    return Math.min(ms, MAX_CATALOG_WAIT_MS);
  });

const catalog = createRoute({
  method: "get",
  path: "/catalog",
  operationId: "getCatalog",
  middleware: guard("read"),
  summary: "The discovery view: every service's origins and their status",
  description:
    "With `index=N` a blocking query (Consul's): the answer comes once the registry's version exceeds N, or after " +
    "`wait` (default 30s, at most 60s) with the catalog unchanged. `X-Mesh-Index` carries the version to pass next.",
  request: {
    query: z
      .object({
        index: z.coerce.number().int().min(0).optional(),
        wait: Wait.optional().openapi({ type: "string", example: "30s" }),
      })
      .strict(),
  },
  responses: { 200: jsonResponse(Catalog, "The catalog (header X-Mesh-Index: its version)"), ...errorResponses },
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
  api.openapi(catalog, async (c) => {
    const { index, wait } = c.req.valid("query");
    const stub = registry(c.env);
    const view = index === undefined ? await stub.catalog() : await stub.catalogAfter(index, wait ?? 30_000);
    c.header("X-Mesh-Index", String(view.version));
    return c.json(view, 200);
  });

  api.openapi(health, async (c) => {
    const { name } = c.req.valid("param");
    return c.json(found(await registry(c.env).serviceHealth(name), name), 200);
  });

  api.openapi(events, async (c) => {
    const { service, limit } = c.req.valid("query");
    return c.json({ events: await registry(c.env).events(service ?? null, limit) }, 200);
  });
}
