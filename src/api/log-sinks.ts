import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { allowPrivateOrigins } from "../config";
import { MeshError } from "../errors";
import { Name } from "../model/common";
import { ErrorResponse } from "../model/error";
import { FlushResult, LogSink, LogSinkInput, LogSinkWritten, type StoredSink, checkSinkUrl } from "../model/log-sink";
import { REDACTED, keepRedacted, redactHeaders } from "../model/redact";
import { urlWarnings } from "../model/proxied-ports";
import { withWarnings } from "../model/warnings";
import { deleteSink, getSink, listSinks, putSink } from "../observability/log-shards";
import { flushRecorder } from "../observability/record";
import { flushSink } from "../observability/ship";
import { guard } from "./guard";
import { errorResponses, jsonBody, jsonResponse } from "./schemas";

const SinkParams = z.object({ name: Name.openapi({ param: { name: "name", in: "path" } }) });

const notAllowed = {
  422: jsonResponse(
    ErrorResponse,
    "The sink URL is an IP address or a special-use name, which Cloudflare Workers cannot reach (ERR_ORIGIN_NOT_ALLOWED)",
  ),
};

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
  description:
    "A port outside Cloudflare's proxied list (80, 443, 2052, 2053, 2082, 2083, 2086, 2087, 2095, 2096, 8080, 8443, " +
    "8880) is accepted with a `warnings` entry in this answer: it only works when the name is not proxied by Cloudflare.",
  request: { params: SinkParams, body: jsonBody(LogSinkInput) },
  responses: {
    200: jsonResponse(LogSinkWritten, "Replaced (with `warnings` when there are any)"),
    201: jsonResponse(LogSinkWritten, "Created (with `warnings` when there are any)"),
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
  api.openapi(list, async (c) => c.json({ sinks: (await listSinks(c.env)).map(view) }, 200));

  api.openapi(put, async (c) => {
    const { name } = c.req.valid("param");
    let input = c.req.valid("json");
    if (Object.values(input.headers).includes(REDACTED)) {
      // What GET showed can be written back: a `[redacted]` value keeps the stored one.
      const stored = await getSink(c.env, name);
      input = { ...input, headers: keepRedacted(input.headers, stored?.config.headers, "headers") };
    }
    const allowPrivate = allowPrivateOrigins(c.env);
    const warnings = urlWarnings(checkSinkUrl(input.url, { allowPrivate }), { allowPrivate });
    const { created, sink } = await putSink(c.env, name, input);
    const body = withWarnings(view(sink), warnings);
    return created ? c.json(body, 201) : c.json(body, 200);
  });

  api.openapi(del, async (c) => {
    const { name } = c.req.valid("param");
    if (!(await deleteSink(c.env, name))) throw missing(name);
    return c.body(null, 204);
  });

  api.openapi(flush, async (c) => {
    const { name } = c.req.valid("param");
    // This isolate's not-yet-flushed entries go first, so "flush" includes what was just recorded here.
    await flushRecorder(c.env);
    const result = await flushSink(c.env, name);
    if (!result) throw missing(name);
    const pending = (await getSink(c.env, name))?.status.pending ?? 0;
    return c.json({ ...result, pending }, 200);
  });
}
