import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { collectMetrics } from "../observability/metrics";
import { meshStats } from "../observability/stats";
import { errorResponses, jsonResponse } from "./schemas";

const Histogram = z.object({
  le: z.array(z.string()),
  counts: z.array(z.number()),
  sum: z.number(),
  count: z.number(),
});
const Traffic = z.object({
  requests: z.number(),
  by_class: z.record(z.string(), z.number()),
  errors: z.number(),
  retries: z.number(),
  ejections: z.number(),
  latency: Histogram,
  upstream: Histogram,
  p50_ms: z.number().nullable(),
  p99_ms: z.number().nullable(),
});

const Stats = z
  .object({
    at: z.string(),
    version: z.number().int(),
    services: z.array(
      z.object({
        name: z.string(),
        routes: z.array(z.object({ host: z.string().optional(), path_prefix: z.string() })),
        origins: z.array(
          Traffic.extend({
            id: z.string(),
            url: z.string(),
            zone: z.string().nullable(),
            weight: z.number(),
            status: z.string(),
            since: z.string(),
            last_check_ms: z.number().nullable(),
            last_error: z.string().nullable(),
          }),
        ),
        unattributed: Traffic,
      }),
    ),
    unrouted: Traffic,
    logs: z.object({}).passthrough(),
  })
  .openapi("MeshStats");

const stats = createRoute({
  method: "get",
  path: "/stats",
  summary:
    "Cumulative traffic, latency histograms and health per origin (the dashboard's data); derive rates from two readings",
  responses: { 200: jsonResponse(Stats, "The stats"), ...errorResponses },
});

/** `GET /stats`. */
export function statsApi(api: OpenAPIHono<AppEnv>): void {
  api.openapi(stats, async (c) => c.json(meshStats(await collectMetrics(c.env), Date.now()), 200));
}
