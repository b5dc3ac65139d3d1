import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { BufferStats } from "../../src/model/log-buffer";
import { Counters, countOutcome } from "../../src/observability/counters";
import { metricFamilies, type MeshMetrics } from "../../src/observability/metrics";
import { renderPrometheus } from "../../src/observability/prometheus";
import { histogramQuantile } from "../../src/dashboard/quantile.js";
import { meshStats } from "../../src/observability/stats";
import { token } from "../helpers/admin";
import { outcome } from "./helpers";

const buffer: BufferStats = {
  entries: 12,
  bytes: 3456,
  max_entries: 100_000,
  max_bytes: 1 << 26,
  evicted: 1,
  isolate_dropped: 0,
  sinks: [{ name: "loki", pending: 2, shipped: 10, dropped: 1, failures: 0 }],
};

function metrics(counters: Counters): MeshMetrics {
  return {
    counters: counters.drain(),
    buffer,
    registryVersion: 3,
    services: [{ name: "users", routes: [{ path_prefix: "/users" }] } as MeshMetrics["services"][number]],
    origins: [
      {
        service: "users",
        id: "users-1",
        url: "http://a",
        zone: null,
        weight: 1,
        status: "healthy",
        since: "",
        last_check_ms: 12,
        last_error: null,
      },
      {
        service: "users",
        id: "users-2",
        url: "http://b",
        zone: null,
        weight: 1,
        status: "unhealthy",
        since: "",
        last_check_ms: null,
        last_error: "timeout",
      },
    ],
  };
}

describe("Prometheus exposition", () => {
  it("renders HELP and TYPE once per family, then samples; histograms cumulative, ascending le, then _sum and _count", () => {
    const c = new Counters();
    countOutcome(c, outcome({ duration_ms: 20, upstream_ms: 15 }));
    countOutcome(c, outcome({ duration_ms: 700, upstream_ms: 650 }));
    countOutcome(c, outcome({ status: 502, attempts: 2, duration_ms: 40_000, upstream_ms: null }));
    const text = renderPrometheus(metricFamilies(metrics(c)));
    const lines = text.split("\n");
    expect(text.endsWith("\n")).toBe(true);
    expect(lines.filter((l) => l === "# TYPE mesh_request_duration_seconds histogram")).toHaveLength(1);
    expect(lines).toContain('mesh_requests_total{service="users",origin="users-1",code="2xx"} 2');
    expect(lines).toContain('mesh_requests_total{service="users",origin="users-1",code="5xx"} 1');
    expect(lines).toContain('mesh_retries_total{service="users",origin="users-1"} 1');
    const hist = lines.filter((l) => l.startsWith("mesh_request_duration_seconds"));
    expect(hist[0]).toBe('mesh_request_duration_seconds_bucket{service="users",origin="users-1",le="0.005"} 0');
    expect(hist[2]).toBe('mesh_request_duration_seconds_bucket{service="users",origin="users-1",le="0.025"} 1');
    const les = hist.filter((l) => l.includes("_bucket")).map((l) => /le="([^"]+)"/.exec(l)![1]);
    expect(les).toEqual(["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "+Inf"]);
    expect(hist.at(-2)).toBe('mesh_request_duration_seconds_sum{service="users",origin="users-1"} 40.72');
    expect(hist.at(-1)).toBe('mesh_request_duration_seconds_count{service="users",origin="users-1"} 3');
    expect(lines).toContain('mesh_request_duration_seconds_bucket{service="users",origin="users-1",le="+Inf"} 3');
    expect(lines).toContain('mesh_request_duration_seconds_bucket{service="users",origin="users-1",le="30"} 2');
    expect(lines).toContain('mesh_origin_health_status{service="users",origin="users-2",status="unhealthy"} 1');
    expect(lines).toContain('mesh_origin_health_status{service="users",origin="users-2",status="healthy"} 0');
    expect(lines).toContain('mesh_health_check_duration_seconds{service="users",origin="users-1"} 0.012');
    expect(lines).toContain('mesh_logs_buffered{sink="loki"} 2');
    expect(lines).toContain('mesh_logs_shipped_total{sink="loki"} 10');
    expect(lines).toContain('mesh_logs_dropped_total{sink="loki"} 1');
    // Every sample line parses as name{labels} value.
    for (const l of lines.filter((l) => l !== "" && !l.startsWith("#")))
      expect(l).toMatch(/^[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|\+Inf|NaN)$/);
  });

  it("escapes label values", () => {
    const text = renderPrometheus([
      { name: "x", type: "gauge", help: "a\\b", samples: [{ name: "x", labels: { v: 'q"\\\n' }, value: 1 }] },
    ]);
    expect(text).toBe('# HELP x a\\\\b\n# TYPE x gauge\nx{v="q\\"\\\\\\n"} 1\n');
  });

  it("computes p50/p99 per origin by interpolating within buckets, like histogram_quantile", () => {
    const c = new Counters();
    for (let i = 0; i < 100; i++) countOutcome(c, outcome({ duration_ms: i < 90 ? 20 : 400 }));
    const stats = meshStats(metrics(c), 0);
    const o = stats.services[0]!.origins[0]!;
    expect(o.requests).toBe(100);
    expect(o.p50_ms).toBeCloseTo(10 + (25 - 10) * (50 / 90), 3);
    expect(o.p99_ms).toBeCloseTo(250 + (500 - 250) * (9 / 10), 3);
    expect(histogramQuantile({ le: ["1", "+Inf"], counts: [0, 0] }, 0.5)).toBeNull();
    expect(histogramQuantile({ le: ["1", "+Inf"], counts: [0, 4] }, 0.5)).toBe(1000);
  });
});

describe("GET /_mesh/metrics", () => {
  const scrape = (auth?: string) =>
    exports.default.fetch("https://mesh.test/_mesh/metrics", {
      headers: auth ? { authorization: `Bearer ${auth}` } : {},
    });

  it("needs a token with mesh:read", async () => {
    const anonymous = await scrape();
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await scrape(await token("mesh:heartbeat"))).status).toBe(403);
  });

  it("answers the text exposition format 0.0.4", async () => {
    const res = await scrape(await token("mesh:read"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    for (const family of [
      "mesh_requests_total counter",
      "mesh_request_duration_seconds histogram",
      "mesh_upstream_duration_seconds histogram",
      "mesh_retries_total counter",
      "mesh_ejections_total counter",
      "mesh_registry_rpc_total counter",
      "mesh_origin_health_status gauge",
      "mesh_health_check_duration_seconds gauge",
      "mesh_logs_buffered gauge",
      "mesh_logs_shipped_total counter",
      "mesh_logs_dropped_total counter",
    ]) {
      expect(text).toContain(`# TYPE ${family}\n`);
    }
  });
});
