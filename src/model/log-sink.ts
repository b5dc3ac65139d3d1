import { z } from "@hono/zod-openapi";
import { MeshError } from "../errors";
import { Name, int } from "./common";
import { type OriginUrlOptions, checkOriginUrl } from "./origin-url";
import { Warnings } from "./warnings";

export const SINK_FORMATS = ["ndjson", "json", "loki", "elasticsearch"] as const;
/** How a batch of log entries is encoded for a sink. */
export type SinkFormat = (typeof SINK_FORMATS)[number];

/** Headers the mesh sets itself (framing, routing) and a sink config may not. */
const RESERVED_HEADERS = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "expect",
]);

const HeaderName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, "must be a header name")
  .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), "is set by the mesh and may not be configured");
const HeaderValue = z
  .string()
  .max(4096)
  .regex(/^[\t\x20-\x7e\x80-\uffff]*$/, "must not contain control characters");

/** The body of `PUT /log-sinks/{name}`. */
export const LogSinkInput = z
  .object({
    type: z.literal("http").default("http"),
    url: z
      .string()
      .max(2048)
      .openapi({
        description:
          "http(s) URL by DNS name (a query is allowed). IP addresses and special-use names are refused (422) " +
          "unless MESH_ALLOW_PRIVATE_ORIGINS is true: Cloudflare answers a Worker's fetch of an IP address with error 1003.",
        example: "https://logs.example.com/loki/api/v1/push",
      }),
    headers: z
      .record(HeaderName, HeaderValue)
      .refine((h) => Object.keys(h).length <= 32, "at most 32 headers")
      .default({}),
    format: z.enum(SINK_FORMATS).default("ndjson"),
    batch_max: int(1, 10_000).default(1000),
  })
  .strict()
  .openapi("LogSinkInput");

export type LogSinkInput = z.infer<typeof LogSinkInput>;

/** A sink's shipping state. */
export const SinkStatus = z.object({
  /** Entries waiting for this sink. */
  pending: z.number().int(),
  shipped: z.number().int(),
  /** Entries dropped (buffer full) before this sink acknowledged them. */
  dropped: z.number().int(),
  consecutive_failures: z.number().int(),
  last_error: z.string().nullable(),
  last_attempt_at: z.string().nullable(),
  last_success_at: z.string().nullable(),
  /** While backing off after failures: when the cron tries it again. */
  next_attempt_at: z.string().nullable(),
});

/** A sink as `GET /log-sinks` shows it: its configuration (credential-like header values redacted) and its state. */
export const LogSink = LogSinkInput.extend({ name: Name, status: SinkStatus }).openapi("LogSink");

/** The answer to `PUT /log-sinks/{name}`: the sink, and warnings about its URL when there are any. */
export const LogSinkWritten = LogSink.extend({ warnings: Warnings }).openapi("LogSinkWritten");

/** What one shipping run did for one sink. */
export const ShipResult = z.object({
  sink: z.string(),
  /** Entries the sink acknowledged in this run. */
  shipped: z.number().int(),
  batches: z.number().int(),
  /** Why the sink failed (it now backs off), or null. */
  error: z.string().nullable(),
});

/** `POST /log-sinks/{name}/flush`: what was shipped, and what is still pending. */
export const FlushResult = ShipResult.extend({ pending: z.number().int() }).openapi("LogSinkFlush");

export type SinkStatus = z.infer<typeof SinkStatus>;
export type LogSink = z.infer<typeof LogSink>;
export type ShipResult = z.infer<typeof ShipResult>;

/** A sink as the LogBuffer stores it: its configuration (headers unredacted) and its shipping state. */
export interface StoredSink {
  name: string;
  config: LogSinkInput;
  status: SinkStatus;
}

/**
 * The SSRF guard for sink URLs: {@link checkOriginUrl} on the URL without its
 * query (a sink URL may carry one, e.g. `_bulk?pipeline=logs`); credentials,
 * fragments, IP addresses and special-use names are refused as for origins
 * (service bindings are not sinks).
 * @example checkSinkUrl("http://10.0.0.5:3100/loki/api/v1/push", { allowPrivate: false }) // throws ERR_ORIGIN_NOT_ALLOWED
 */
export function checkSinkUrl(raw: string, opts: OriginUrlOptions): URL {
  const q = raw.indexOf("?");
  if (q === -1) return checkOriginUrl(raw, opts);
  const query = raw.slice(q);
  const field = opts.field ?? "url";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u0020\u007f#]/.test(query)) {
    const why = "must not contain whitespace, control characters or a fragment";
    throw new MeshError("ERR_VALIDATION", `${field} ${why}`, [{ path: field, message: why }]);
  }
  const base = checkOriginUrl(raw.slice(0, q), opts);
  return new URL(`${base.origin}${base.pathname}${query}`);
}
