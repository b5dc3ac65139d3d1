import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { LogEntry } from "../model/log-entry";
import { recentLogs } from "../observability/log-shards";
import { flushRecorder } from "../observability/record";
import { guard } from "./guard";
import { errorResponses, jsonResponse } from "./schemas";

const tail = createRoute({
  method: "get",
  path: "/logs",
  middleware: guard("read"),
  summary: "Recent request logs, newest first (the newest 1,000 are kept after shipping)",
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict() },
  responses: { 200: jsonResponse(z.object({ logs: z.array(LogEntry) }), "The logs"), ...errorResponses },
});

/** `GET /logs`. */
export function logsApi(api: OpenAPIHono<AppEnv>): void {
  api.openapi(tail, async (c) => {
    const { limit } = c.req.valid("query");
    await flushRecorder(c.env);
    return c.json({ logs: await recentLogs(c.env, limit) }, 200);
  });
}
