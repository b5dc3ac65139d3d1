import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { MeshEnv } from "../../src/config";
import {
  Counters,
  LATENCY_BUCKETS_S,
  countOutcome,
  seriesKey,
  type CounterDeltas,
  type Labels,
} from "../../src/observability/counters";
import { logBuffer } from "../../src/clients/log-buffer";
import { toLogEntry } from "../../src/observability/logs";
import { FLUSH_ENTRIES, flushRecorder, recordRequest } from "../../src/observability/record";
import { envWithBuffer, outcome } from "./helpers";

/** The env with the log buffer's `append` calls counted (`calls`) and the lines they carried kept (`sent`). */
function counting(name: string, vars: Partial<MeshEnv> = {}, failures = 0) {
  const base = envWithBuffer(name, vars);
  const calls: number[] = [];
  const sent: string[] = [];
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
                sent.push(...lines);
                if (failing-- > 0) throw new Error("log buffer unreachable");
                return (target.append as (...a: unknown[]) => unknown)(lines, ...rest);
              }
            : (target as unknown as Record<string | symbol, unknown>)[prop],
      });
    },
  };
  return { env: { ...base, LOG_BUFFER: LOG_BUFFER as unknown as MeshEnv["LOG_BUFFER"] }, calls, sent };
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
    recordRequest(
      env,
      ctx,
      outcome({
        status: 503,
        attempts: 3,
        duration_ms: 700,
        upstream_ms: 650,
        ejected: { service: "users", origin: "users-1" },
      }),
    );
    recordRequest(
      env,
      ctx,
      outcome({ status: 404, service: null, origin_id: null, upstream_ms: null, error_code: "ERR_NO_ROUTE" }),
    );
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
    for (const [mode, expected] of [
      ["full", "203.0.113.77"],
      ["truncated", "203.0.113.0"],
      ["off", null],
    ] as const) {
      const { env } = counting(`ip-${mode}`, { MESH_LOG_CLIENT_IP: mode });
      const ctx = createExecutionContext();
      recordRequest(env, ctx, outcome());
      await flushRecorder(env);
      await waitOnExecutionContext(ctx);
      expect((await logBuffer(env).recent(1))[0]!.client_ip).toBe(expected);
    }
  });

  it("sends every line byte for byte as toLogEntry writes it, in every MESH_LOG_CLIENT_IP mode", async () => {
    const outcomes = [
      outcome({ path: "/search?q=secret#top", duration_ms: 12.34567, upstream_ms: 3.0001 }),
      outcome({
        client_ip: "2001:db8:85a3:8d3:1319:8a2e:370:7348",
        status: 502,
        upstream_ms: null,
        bytes_out: null,
        error_code: "ERR_UPSTREAM",
      }),
      outcome({ client_ip: "::FFFF:203.0.113.77", path: '/"client_ip":null' }),
      outcome({ client_ip: "not-an-ip" }),
      outcome({ client_ip: null }),
      outcome({ client_ip: "" }),
    ];
    for (const mode of ["full", "truncated", "hashed", "off"] as const) {
      const { env, sent } = counting(`lines-${mode}`, { MESH_LOG_CLIENT_IP: mode });
      const ctx = createExecutionContext();
      for (const o of outcomes) recordRequest(env, ctx, o);
      await flushRecorder(env);
      await waitOnExecutionContext(ctx);
      const expected = await Promise.all(
        outcomes.map(async (o) => JSON.stringify(await toLogEntry(o, mode, env.MESH_ADMIN_SECRET ?? ""))),
      );
      expect(sent).toEqual(expected);
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

describe("countOutcome", () => {
  /** What a histogram of the given observations (seconds) drains into: cumulative buckets above zero, `_sum`, `_count`. */
  function histogram(family: string, labels: Labels, observed: number[]): CounterDeltas {
    const les = [...LATENCY_BUCKETS_S.map(String), "+Inf"];
    const bounds = [...LATENCY_BUCKETS_S, Number.POSITIVE_INFINITY];
    const buckets = bounds
      .map((b, i): [string, number] => [
        seriesKey(`${family}_bucket`, { ...labels, le: les[i]! }),
        observed.filter((s) => s <= b).length,
      ])
      .filter(([, n]) => n > 0);
    return [
      ...buckets,
      [seriesKey(`${family}_sum`, labels), observed.reduce((a, b) => a + b, 0)],
      [seriesKey(`${family}_count`, labels), observed.length],
    ];
  }

  it("drains the series its names and labels give, in the same order, every flush", () => {
    const users = { service: "users", origin: "users-1" };
    const none = { service: "", origin: "" };
    const expected: CounterDeltas = [
      [seriesKey("mesh_requests_total", { ...users, code: "2xx" }), 2],
      [seriesKey("mesh_requests_total", { ...none, code: "other" }), 1],
      [seriesKey("mesh_retries_total", none), 2],
      [seriesKey("mesh_ejections_total", users), 1],
      [seriesKey("mesh_requests_total", { ...users, code: "5xx" }), 1],
      [seriesKey("mesh_retries_total", users), 1],
      ...histogram("mesh_request_duration_seconds", users, [0.02, 0.7, 0.004]),
      ...histogram("mesh_upstream_duration_seconds", users, [0.015, 0.65]),
      ...histogram("mesh_request_duration_seconds", none, [0.007]),
    ];
    const c = new Counters();
    for (let flush = 0; flush < 2; flush++) {
      countOutcome(c, outcome({ duration_ms: 20, upstream_ms: 15 }));
      countOutcome(
        c,
        outcome({
          status: 0,
          service: null,
          origin_id: null,
          attempts: 3,
          duration_ms: 7,
          upstream_ms: null,
          ejected: { service: "users", origin: "users-1" },
        }),
      );
      countOutcome(c, outcome({ status: 503, attempts: 2, duration_ms: 700, upstream_ms: 650 }));
      countOutcome(c, outcome({ status: 204, duration_ms: 4, upstream_ms: null }));
      const drained = c.drain();
      expect(drained.map(([k]) => k)).toEqual(expected.map(([k]) => k));
      for (const [i, [, v]] of drained.entries()) expect(v).toBeCloseTo(expected[i]![1], 9);
    }
  });

  it("labels a steered request's series with its pool, and leaves unsteered series as they were", () => {
    const c = new Counters();
    countOutcome(c, outcome({ pool: "eu", upstream_ms: null }));
    countOutcome(c, outcome({ pool: "*", upstream_ms: null }));
    countOutcome(c, outcome({ upstream_ms: null }));
    const requests = c
      .drain()
      .map(([k, v]) => [JSON.parse(k), v])
      .filter(([[name]]) => name === "mesh_requests_total");
    expect(requests).toEqual([
      [["mesh_requests_total", { service: "users", origin: "users-1", pool: "eu", code: "2xx" }], 1],
      [["mesh_requests_total", { service: "users", origin: "users-1", pool: "*", code: "2xx" }], 1],
      [["mesh_requests_total", { service: "users", origin: "users-1", code: "2xx" }], 1],
    ]);
  });
});
