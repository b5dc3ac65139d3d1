import { type OpenAPIHono, createRoute } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { collectMetrics } from "../observability/metrics";
import { MeshStats } from "../model/stats";
import { meshStats } from "../observability/stats";
import { guard } from "./guard";
import { errorResponses, jsonResponse } from "./schemas";

const stats = createRoute({
  method: "get",
  path: "/stats",
  middleware: guard("read"),
  summary:
    "Cumulative traffic, latency histograms and health per origin (the dashboard's data); derive rates from two readings",
  responses: { 200: jsonResponse(MeshStats, "The stats"), ...errorResponses },
});

/** `GET /stats`. */
export function statsApi(api: OpenAPIHono<AppEnv>): void {
  api.openapi(stats, async (c) => c.json(meshStats(await collectMetrics(c.env), Date.now()), 200));
}
