import type { Context } from "hono";
import type { AppEnv } from "../app-types";
import { DASHBOARD_HTML } from "./dashboard";
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

// The page is static and holds no data; its inline script and style are the only code it may run.
const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'unsafe-inline'",
  "style-src 'unsafe-inline'",
  "connect-src 'self'",
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * `GET /_mesh/ui`: the dashboard page. It needs no auth (it holds no data);
 * the page asks for a read token and sends it with each data call.
 * @example app.get("/_mesh/ui", dashboardHandler)
 */
export function dashboardHandler(c: Context<AppEnv>): Response {
  return c.html(DASHBOARD_HTML, 200, {
    "content-security-policy": DASHBOARD_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
  });
}
