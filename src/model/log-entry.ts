import { z } from "@hono/zod-openapi";

/**
 * One request-log line, as every sink receives it (one JSON object per
 * request) and `GET /logs` shows it. By construction it holds no request
 * headers: never the authorization header, cookies or the identity token.
 */
export const LogEntry = z
  .object({
    /** ISO 8601 time the request arrived. */
    ts: z.string(),
    request_id: z.string(),
    method: z.string(),
    host: z.string(),
    /** Path only: the query string is never logged. */
    path: z.string(),
    status: z.number().int(),
    service: z.string().nullable(),
    origin_id: z.string().nullable(),
    /** The pool steering chose (`*`: panic over every origin); null when the service does not steer. */
    pool: z.string().nullable(),
    attempts: z.number().int(),
    duration_ms: z.number(),
    upstream_ms: z.number().nullable(),
    bytes_out: z.number().nullable(),
    client_ip: z.string().nullable(),
    colo: z.string().nullable(),
    country: z.string().nullable(),
    error_code: z.string().nullable(),
    /** The calling service (SPEC §9), `external`, or null when the request was answered before it was known. */
    caller: z.string().nullable(),
  })
  .openapi("LogEntry");

export type LogEntry = z.infer<typeof LogEntry>;
