import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { MeshEnv } from "../../src/config";
import { seriesKey } from "../../src/observability/counters";
import { logBuffer } from "../../src/observability/log-buffer-client";
import { FLUSH_ENTRIES, flushRecorder, recordRequest } from "../../src/observability/record";
import { envWithBuffer, outcome } from "./helpers";

/** The env with the log buffer's `append` calls counted. */
function counting(name: string, vars: Partial<MeshEnv> = {}, failures = 0) {
  const base = envWithBuffer(name, vars);
  const calls: number[] = [];
  let failing = failures;
  const LOG_BUFFER = {
    idFromName: (n: string) => base.LOG_BUFFER.idFromName(n),
    get: (id: DurableObjectId) => {
      const stub = base.LOG_BUFFER.get(id);
      return new Proxy(stub, {
        get: (target, prop) =>
          prop === "append"
            ? async (lines: string[], ...rest: unknown[]) => {
                calls.push(lines.length);
                if (failing-- > 0) throw new Error("log buffer unreachable");
                return (target.append as (...a: unknown[]) => unknown)(lines, ...rest);
              }
            : (target as unknown as Record<string | symbol, unknown>)[prop],
      });
    },
  };
  return { env: { ...base, LOG_BUFFER: LOG_BUFFER as unknown as MeshEnv["LOG_BUFFER"] }, calls };
}

describe("recordRequest", () => {
  it("batches entries in isolate memory: one buffer write per 100 entries, the rest within a second", async () => {
    const { env, calls } = counting("batching");
    const ctx = createExecutionContext();
    for (let i = 0; i < 2 * FLUSH_ENTRIES + 50; i++) recordRequest(env, ctx, outcome({ request_id: `r${i}` }));
    await waitOnExecutionContext(ctx);
    expect(calls).toEqual([100, 100, 50]);
    const logs = await logBuffer(env).recent(1000);
    expect(logs).toHaveLength(250);
    expect(new Set(logs.map((l) => l.request_id)).size).toBe(250);
  });

  it("aggregates the metrics of a batch: requests by status class, latency, retries, ejections", async () => {
    const { env } = counting("metrics");
    const ctx = createExecutionContext();
    recordRequest(env, ctx, outcome({ status: 200, duration_ms: 20, upstream_ms: 15 }));
    recordRequest(env, ctx, outcome({ status: 503, attempts: 3, duration_ms: 700, upstream_ms: 650, ejected: { service: "users", origin: "users-1" } }));
    recordRequest(env, ctx, outcome({ status: 404, service: null, origin_id: null, upstream_ms: null, error_code: "ERR_NO_ROUTE" }));
    await flushRecorder(env);
    await waitOnExecutionContext(ctx);
    const counters = new Map((await logBuffer(env).metrics()).counters as [string, number][]);
    const at = { service: "users", origin: "users-1" };
    expect(counters.get(seriesKey("mesh_requests_total", { ...at, code: "2xx" }))).toBe(1);
    expect(counters.get(seriesKey("mesh_requests_total", { ...at, code: "5xx" }))).toBe(1);
    expect(counters.get(seriesKey("mesh_requests_total", { service: "", origin: "", code: "4xx" }))).toBe(1);
    expect(counters.get(seriesKey("mesh_retries_total", at))).toBe(2);
    expect(counters.get(seriesKey("mesh_ejections_total", at))).toBe(1);
    expect(counters.get(seriesKey("mesh_request_duration_seconds_count", at))).toBe(2);
    expect(counters.get(seriesKey("mesh_request_duration_seconds_bucket", { ...at, le: "0.025" }))).toBe(1);
    expect(counters.get(seriesKey("mesh_request_duration_seconds_bucket", { ...at, le: "1" }))).toBe(2);
    expect(counters.get(seriesKey("mesh_upstream_duration_seconds_sum", at))).toBeCloseTo(0.665);
    expect(counters.has(seriesKey("mesh_upstream_duration_seconds_count", { service: "", origin: "" }))).toBe(false);
  });

  it("applies MESH_LOG_CLIENT_IP before anything leaves the isolate", async () => {
    for (const [mode, expected] of [["full", "203.0.113.77"], ["truncated", "203.0.113.0"], ["off", null]] as const) {
      const { env } = counting(`ip-${mode}`, { MESH_LOG_CLIENT_IP: mode });
      const ctx = createExecutionContext();
      recordRequest(env, ctx, outcome());
      await flushRecorder(env);
      await waitOnExecutionContext(ctx);
      expect((await logBuffer(env).recent(1))[0]!.client_ip).toBe(expected);
    }
  });

  it("keeps a batch the buffer could not take and delivers it, once, with the next flush", async () => {
    const { env, calls } = counting("retry", {}, 1);
    const ctx = createExecutionContext();
    recordRequest(env, ctx, outcome({ request_id: "kept-1" }));
    recordRequest(env, ctx, outcome({ request_id: "kept-2" }));
    await flushRecorder(env);
    expect(await logBuffer(env).recent(10)).toEqual([]);
    recordRequest(env, ctx, outcome({ request_id: "kept-3" }));
    await flushRecorder(env);
    await waitOnExecutionContext(ctx);
    expect(calls).toEqual([2, 3]);
    expect((await logBuffer(env).recent(10)).map((l) => l.request_id)).toEqual(["kept-3", "kept-2", "kept-1"]);
  });
});
