import type { RequestOutcome } from "./record";
import { type ClientIpMode, redactClientIp } from "./client-ip";

/**
 * One request-log line, as every sink receives it (one JSON object per
 * request). By construction it holds no request headers: never the
 * authorization header, cookies or the identity token.
 */
export interface LogEntry {
  /** ISO 8601 time the request arrived. */
  ts: string;
  request_id: string;
  method: string;
  host: string;
  /** Path only: the query string is never logged. */
  path: string;
  status: number;
  service: string | null;
  origin_id: string | null;
  attempts: number;
  duration_ms: number;
  upstream_ms: number | null;
  bytes_out: number | null;
  client_ip: string | null;
  colo: string | null;
  country: string | null;
  error_code: string | null;
}

/**
 * The log entry of a request outcome, with the client address recorded as
 * `mode` says. Fields are copied one by one so that nothing else an outcome
 * might carry can reach a log.
 * @example const line = JSON.stringify(await toLogEntry(outcome, "truncated", key))
 */
export async function toLogEntry(o: RequestOutcome, mode: ClientIpMode, hashKey: string): Promise<LogEntry> {
  const q = o.path.search(/[?#]/);
  return {
    ts: new Date(o.ts).toISOString(),
    request_id: o.request_id,
    method: o.method,
    host: o.host,
    path: q === -1 ? o.path : o.path.slice(0, q),
    status: o.status,
    service: o.service,
    origin_id: o.origin_id,
    attempts: o.attempts,
    duration_ms: round(o.duration_ms),
    upstream_ms: o.upstream_ms === null ? null : round(o.upstream_ms),
    bytes_out: o.bytes_out,
    client_ip: await redactClientIp(o.client_ip, mode, hashKey),
    colo: o.colo,
    country: o.country,
    error_code: o.error_code,
  };
}

/** Milliseconds with at most three decimals (Workers clocks are coarse anyway). */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
