import type { Context } from "hono";
import type { AppEnv } from "../app-types";
import { MeshError } from "../errors";
import { DASHBOARD_FILES } from "../generated/dashboard-files";
import { collectMetrics, metricFamilies } from "./metrics";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "./prometheus";

/**
 * `GET /_mesh/metrics`: Prometheus text exposition. Mount behind
 * `adminAuth()` and `requireScope("read")`.
 * @example app.get("/_mesh/metrics", adminAuth(), requireScope("read"), metricsHandler)
 */
export async function metricsHandler(c: Context<AppEnv>): Promise<Response> {
  const text = renderPrometheus(metricFamilies(await collectMetrics(c.env)));
  return c.body(text, 200, { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" });
}

// The page is static and holds no data: its script and style come from its own files, and
// nothing inline may run (no 'unsafe-inline'), so injected markup could not execute.
const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Where the dashboard is served; its files (src/dashboard/, embedded in the Worker) are served below it. */
export const DASHBOARD_PATH = "/_mesh/ui";

/**
 * `GET /_mesh/ui` and `GET /_mesh/ui/<file>`: the dashboard page and its
 * files, embedded in the Worker's bundle (src/generated/dashboard-files.ts,
 * made by scripts/embed-dashboard.mjs), so no static-assets router stands in
 * front of the data plane. Each answer carries the file's strong ETag (hono's
 * `etag()` in front of it answers a matching `If-None-Match` with 304). It needs no auth (it holds no data); the page
 * asks for a read token and sends it with each data call.
 * @example app.get("/_mesh/ui", etag(), dashboardHandler); app.get("/_mesh/ui/:file", etag(), dashboardHandler)
 */
export function dashboardHandler(c: Context<AppEnv>): Response {
  const name = c.req.path === DASHBOARD_PATH ? "index.html" : c.req.path.slice(DASHBOARD_PATH.length + 1);
  const file = DASHBOARD_FILES.get(name);
  if (!file) throw new MeshError("ERR_NOT_FOUND", `no such dashboard file: ${c.req.path}`);
  return new Response(file.body, {
    headers: {
      "content-type": file.type,
      etag: file.etag,
      "content-security-policy": DASHBOARD_CSP,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "no-cache",
    },
  });
}
