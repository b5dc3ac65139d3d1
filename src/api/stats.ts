import { type OpenAPIHono, createRoute } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { registry } from "../clients/registry";
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
  api.openapi(stats, async (c) => {
    const m = await collectMetrics(c.env);
    // Per-region views are one more registry call, made only when some service has regions.
    const regional = m.services.some((s) => (s.health_check?.regions ?? []).length > 0);
    const views = regional ? await registry(c.env).regionHealth() : {};
    return c.json(meshStats(m, Date.now(), views), 200);
  });
}
