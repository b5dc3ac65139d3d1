import type { LogEntry } from "../model/log-entry";
import type { RequestOutcome } from "../model/outcome";
import { type ClientIpMode, redactClientIp, redactClientIpNow } from "./client-ip";

/**
 * The log entry of a request outcome, with the client address recorded as
 * `mode` says. Fields are copied one by one so that nothing else an outcome
 * might carry can reach a log.
 * @example const line = JSON.stringify(await toLogEntry(outcome, "truncated", key))
 */
export async function toLogEntry(o: RequestOutcome, mode: ClientIpMode, hashSecret: string): Promise<LogEntry> {
  return logEntry(o, await redactClientIp(o.client_ip, mode, hashSecret));
}

/**
 * A log line on its way to the buffer: final, or (in `hashed` mode only)
 * waiting for the HMAC of its client address, which is asynchronous.
 */
export type PendingLine = string | { line: string; ip: string };

/** What an unhashed line holds in place of the address until `finishLine` puts the hash in. */
const NO_CLIENT_IP = '"client_ip":null';

/**
 * The NDJSON line of a request outcome, made when the request is recorded so
 * that only a string waits for the batch, not the outcome. Byte for byte the
 * `JSON.stringify(await toLogEntry(o, mode, key))` of the same outcome, once
 * `finishLine` has run.
 * @example pending.push(toLogLine(outcome, clientIpMode(env.MESH_LOG_CLIENT_IP)))
 */
export function toLogLine(o: RequestOutcome, mode: ClientIpMode): PendingLine {
  const ip = o.client_ip;
  if (mode === "hashed" && ip !== null && ip !== "") return { line: JSON.stringify(logEntry(o, null)), ip };
  return JSON.stringify(logEntry(o, mode === "hashed" ? null : redactClientIpNow(ip, mode)));
}

/**
 * The final text of a pending line: in `hashed` mode the HMAC of its address
 * (keyed from `hashSecret`) goes where the line has `"client_ip":null`. That text
 * can only be the key itself: every quote inside a JSON string value is escaped.
 */
export async function finishLine(pending: PendingLine, hashSecret: string): Promise<string> {
  if (typeof pending === "string") return pending;
  const hash = await redactClientIp(pending.ip, "hashed", hashSecret);
  return hash === null ? pending.line : pending.line.replace(NO_CLIENT_IP, `"client_ip":${JSON.stringify(hash)}`);
}

/** The log entry of an outcome whose client address is already as the log may record it. */
function logEntry(o: RequestOutcome, clientIp: string | null): LogEntry {
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
    pool: o.pool,
    attempts: o.attempts,
    duration_ms: round(o.duration_ms),
    upstream_ms: o.upstream_ms === null ? null : round(o.upstream_ms),
    bytes_out: o.bytes_out,
    client_ip: clientIp,
    colo: o.colo,
    country: o.country,
    error_code: o.error_code,
    caller: o.caller,
  };
}

/** Milliseconds with at most three decimals (Workers clocks are coarse anyway). */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
