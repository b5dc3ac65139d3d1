import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { logBuffer } from "../clients/log-buffer";
import { flushRecorder } from "../observability/record";
import { errorResponses, jsonResponse } from "./schemas";

const LogEntry = z
  .object({
    ts: z.string(),
    request_id: z.string(),
    method: z.string(),
    host: z.string(),
    path: z.string(),
    status: z.number().int(),
    service: z.string().nullable(),
    origin_id: z.string().nullable(),
    attempts: z.number().int(),
    duration_ms: z.number(),
    upstream_ms: z.number().nullable(),
    bytes_out: z.number().nullable(),
    client_ip: z.string().nullable(),
    colo: z.string().nullable(),
    country: z.string().nullable(),
    error_code: z.string().nullable(),
  })
  .openapi("LogEntry");

const tail = createRoute({
  method: "get",
  path: "/logs",
  summary: "Recent request logs, newest first (the newest 1,000 are kept after shipping)",
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict() },
  responses: { 200: jsonResponse(z.object({ logs: z.array(LogEntry) }), "The logs"), ...errorResponses },
});

/** `GET /logs`. */
export function logsApi(api: OpenAPIHono<AppEnv>): void {
  api.openapi(tail, async (c) => {
    const { limit } = c.req.valid("query");
    await flushRecorder(c.env);
    return c.json({ logs: await logBuffer(c.env).recent(limit) }, 200);
  });
}
