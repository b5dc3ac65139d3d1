import type { Context } from "hono";
import type { AppEnv } from "../app-types";
import type { MeshEnv } from "../config";
import { MeshError } from "../errors";
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

/** Where the dashboard is served; its files (src/dashboard/, the ASSETS binding) are served below it. */
export const DASHBOARD_PATH = "/_mesh/ui";

/**
 * `GET /_mesh/ui` and `GET /_mesh/ui/<file>`: the dashboard page and its
 * files, read from the ASSETS binding (Workers Static Assets, with the Worker
 * running first: no asset is ever served but through here). It needs no auth
 * (it holds no data); the page asks for a read token and sends it with each
 * data call.
 * @example app.get("/_mesh/ui", dashboardHandler); app.get("/_mesh/ui/:file", dashboardHandler)
 */
export async function dashboardHandler(c: Context<AppEnv>): Promise<Response> {
  const file = c.req.path === DASHBOARD_PATH ? "/index.html" : c.req.path.slice(DASHBOARD_PATH.length);
  const assets = (c.env as Partial<MeshEnv>).ASSETS;
  if (!assets) throw new MeshError("ERR_INTERNAL", "the dashboard's files are not bound (ASSETS in wrangler.toml)");
  const res = await assets.fetch(new Request(new URL(file, c.req.url), c.req.raw));
  if (res.status === 404) throw new MeshError("ERR_NOT_FOUND", `no such dashboard file: ${c.req.path}`);
  const out = new Response(res.body, res);
  out.headers.set("content-security-policy", DASHBOARD_CSP);
  out.headers.set("x-content-type-options", "nosniff");
  out.headers.set("referrer-policy", "no-referrer");
  out.headers.set("cache-control", "no-cache");
  return out;
}
