import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { logBuffer } from "../clients/log-buffer";
import { allowPrivateOrigins } from "../config";
import { MeshError } from "../errors";
import { Name } from "../model/common";
import { ErrorResponse } from "../model/error";
import { FlushResult, LogSink, LogSinkInput, type StoredSink, checkSinkUrl, redactHeaders } from "../model/log-sink";
import { flushRecorder } from "../observability/record";
import { flushSink } from "../observability/ship";
import { guard } from "./guard";
import { errorResponses, jsonBody, jsonResponse } from "./schemas";

const SinkParams = z.object({ name: Name.openapi({ param: { name: "name", in: "path" } }) });

const notAllowed = { 422: jsonResponse(ErrorResponse, "The sink URL is a private address (ERR_ORIGIN_NOT_ALLOWED)") };

const list = createRoute({
  method: "get",
  path: "/log-sinks",
  middleware: guard("read"),
  summary: "List log sinks with their shipping state (credential-like header values redacted)",
  responses: { 200: jsonResponse(z.object({ sinks: z.array(LogSink) }), "All sinks"), ...errorResponses },
});

const put = createRoute({
  method: "put",
  path: "/log-sinks/{name}",
  middleware: guard("write", "json"),
  summary: "Create or replace a log sink; a new sink receives the entries recorded from now on",
  request: { params: SinkParams, body: jsonBody(LogSinkInput) },
  responses: {
    200: jsonResponse(LogSink, "Replaced"),
    201: jsonResponse(LogSink, "Created"),
    ...errorResponses,
    ...notAllowed,
  },
});

const del = createRoute({
  method: "delete",
  path: "/log-sinks/{name}",
  middleware: guard("write"),
  summary: "Delete a log sink",
  request: { params: SinkParams },
  responses: { 204: { description: "Deleted" }, ...errorResponses },
});

const flush = createRoute({
  method: "post",
  path: "/log-sinks/{name}/flush",
  middleware: guard("write"),
  summary: "Ship pending entries to this sink now, even while it backs off; 200 with `error` set if the sink failed",
  request: { params: SinkParams },
  responses: { 200: jsonResponse(FlushResult, "What was shipped"), ...errorResponses },
});

/** A stored sink as the API shows it: header values that look like credentials are redacted. */
function view(sink: StoredSink): LogSink {
  return { name: sink.name, ...sink.config, headers: redactHeaders(sink.config.headers), status: sink.status };
}

const missing = (name: string) => new MeshError("ERR_NOT_FOUND", `log sink '${name}' does not exist`);

/** `/log-sinks` routes. */
export function logSinksApi(api: OpenAPIHono<AppEnv>): void {
  api.openapi(list, async (c) => c.json({ sinks: (await logBuffer(c.env).sinks()).map(view) }, 200));

  api.openapi(put, async (c) => {
    const { name } = c.req.valid("param");
    const input = c.req.valid("json");
    checkSinkUrl(input.url, { allowPrivate: allowPrivateOrigins(c.env) });
    const { created, sink } = await logBuffer(c.env).putSink(name, input);
    return created ? c.json(view(sink), 201) : c.json(view(sink), 200);
  });

  api.openapi(del, async (c) => {
    const { name } = c.req.valid("param");
    if (!(await logBuffer(c.env).deleteSink(name))) throw missing(name);
    return c.body(null, 204);
  });

  api.openapi(flush, async (c) => {
    const { name } = c.req.valid("param");
    // This isolate's not-yet-flushed entries go first, so "flush" includes what was just recorded here.
    await flushRecorder(c.env);
    const result = await flushSink(c.env, name);
    if (!result) throw missing(name);
    const pending = (await logBuffer(c.env).sink(name))?.status.pending ?? 0;
    return c.json({ ...result, pending }, 200);
  });
}
