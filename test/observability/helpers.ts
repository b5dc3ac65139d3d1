import type { MeshEnv } from "../../src/config";
import type { RequestOutcome } from "../../src/model/outcome";
import { env } from "../helpers/admin";

/** The test env with "the one" LogBuffer swapped for a fresh named instance, so tests do not share a buffer. */
export function envWithBuffer(name: string, vars: Partial<MeshEnv> = {}): MeshEnv {
  const ns = env.LOG_BUFFER;
  const LOG_BUFFER = { idFromName: () => ns.idFromName(`test-${name}`), get: (id: DurableObjectId) => ns.get(id) };
  return { ...env, ...vars, LOG_BUFFER: LOG_BUFFER as unknown as MeshEnv["LOG_BUFFER"] };
}

/** A request outcome with plausible defaults. */
export function outcome(extra: Partial<RequestOutcome> = {}): RequestOutcome {
  return {
    ts: Date.parse("2026-11-28T10:00:00.000Z"),
    request_id: crypto.randomUUID(),
    method: "GET",
    host: "api.example.com",
    path: "/users/1",
    status: 200,
    service: "users",
    origin_id: "users-1",
    pool: null,
    attempts: 1,
    duration_ms: 12,
    upstream_ms: 10,
    bytes_out: 42,
    client_ip: "203.0.113.77",
    colo: "FRA",
    country: "DE",
    error_code: null,
    caller: "external",
    ...extra,
  };
}

/** A JSON log line as the buffer stores it. */
export function line(n: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    ts: new Date(Date.UTC(2026, 10, 28, 10, 0, 0, n)).toISOString(),
    request_id: `r${n}`,
    service: "users",
    status: 200,
    ...extra,
  });
}
