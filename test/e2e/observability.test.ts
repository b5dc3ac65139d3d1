import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithTimeout, waitFor } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";
import { startSink, type Sink } from "./harness/sink";

// Request logs and metrics end to end: real Worker (Miniflare), real
// origins and real HTTP log sinks reached by DNS names through the edge
// layer, the real scheduled handler fired by the harness. The tests share
// one mesh and run in order.

let mesh: Mesh;
let a: Origin;
let b: Origin;
let healthy: Sink;
let flaky: Sink;

/** Sends `n` GETs through the mesh; returns the request ids the mesh answered with. */
async function traffic(path: string, n: number, headers: Record<string, string> = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetchWithTimeout(`${mesh.url}${path}`, { headers, timeoutMs: 20_000 });
    await res.arrayBuffer();
    ids.push(res.headers.get("x-request-id")!);
  }
  return ids;
}

/** How often each id occurs among the entries a sink received. */
function tally(sink: Sink): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of sink.entries()) counts.set(e.request_id as string, (counts.get(e.request_id as string) ?? 0) + 1);
  return counts;
}

/** Fires the cron until every id has reached the sink (bounded). */
async function shippedTo(sink: Sink, ids: string[], timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => {
      await mesh.scheduled();
      const got = tally(sink);
      return ids.every((id) => got.has(id));
    },
    { timeoutMs, intervalMs: 500, what: `${ids.length} entries at ${sink.url}` },
  );
}

/** Metric samples by their exact `name{labels}` text. */
async function scrape(): Promise<Map<string, number>> {
  const res = await fetchWithTimeout(`${mesh.url}/_mesh/metrics`, {
    headers: { authorization: `Bearer ${await mesh.token("mesh:read")}` },
  });
  expect(res.status).toBe(200);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

beforeAll(async () => {
  [mesh, a, b, healthy, flaky] = await Promise.all([
    startMesh(),
    startOrigin({ name: "obs-a" }),
    startOrigin({ name: "obs-b" }),
    startSink(),
    startSink(),
  ]);
  const put = await mesh.admin("PUT", "/services/obs", { routes: [{ path_prefix: "/obs" }], health_check: null });
  expect(put.status).toBe(201);
  for (const o of [a, b])
    expect((await mesh.admin("PUT", `/services/obs/origins/${o.name}`, { url: mesh.expose(o) })).status).toBe(201);
  expect(
    (
      await mesh.admin("PUT", "/log-sinks/healthy", {
        type: "http",
        url: `${mesh.expose({ name: "sink-healthy", port: healthy.port })}/ingest`,
        format: "ndjson",
      })
    ).status,
  ).toBe(201);
});

afterAll(async () => {
  await Promise.all([mesh?.stop(), a?.stop(), b?.stop(), healthy?.stop(), flaky?.stop()]);
});

describe("request logs", () => {
  it("reach an HTTP sink after a cron run, each request exactly once, without query strings or credentials", async () => {
    const ids = await traffic("/obs/items?api_key=hunter2", 30, {
      authorization: "Bearer do-not-log",
      cookie: "session=do-not-log",
    });
    expect(new Set(ids).size).toBe(30);
    await shippedTo(healthy, ids);
    await mesh.scheduled(); // one more run ships nothing twice
    const got = tally(healthy);
    for (const id of ids) expect(got.get(id), id).toBe(1);

    const entry = healthy.entries().find((e) => e.request_id === ids[0])!;
    expect(entry).toMatchObject({
      method: "GET",
      path: "/obs/items",
      status: 200,
      service: "obs",
      attempts: 1,
      error_code: null,
    });
    expect(["obs-a", "obs-b"]).toContain(entry.origin_id);
    expect(Date.parse(entry.ts as string)).toBeGreaterThan(Date.now() - 120_000);
    expect(entry.duration_ms).toEqual(expect.any(Number));
    const raw = healthy.deliveries.map((d) => d.body).join("\n");
    expect(raw).not.toMatch(/hunter2|do-not-log|api_key/);
    expect(healthy.deliveries[0]!.headers["content-type"]).toBe("application/x-ndjson");
  });

  it("GET /logs tails the same entries, newest first", async () => {
    const [id] = await traffic("/obs/tail-me", 1);
    const res = await mesh.admin("GET", "/logs?limit=5", undefined, "mesh:read");
    expect(res.status).toBe(200);
    expect(res.json.logs[0]).toMatchObject({ request_id: id, path: "/obs/tail-me" });
  });

  it("with two sinks and one down, the healthy one still receives every run", async () => {
    expect(
      (
        await mesh.admin("PUT", "/log-sinks/flaky", {
          type: "http",
          url: `${mesh.expose({ name: "sink-flaky", port: flaky.port })}/loki/api/v1/push`,
          format: "loki",
        })
      ).status,
    ).toBe(201);
    await flaky.stop();
    const ids = await traffic("/obs/during-outage", 20);
    await shippedTo(healthy, ids);
    for (let run = 0; run < 3; run++) await mesh.scheduled();
    const sinks = (await mesh.admin("GET", "/log-sinks", undefined, "mesh:read")).json.sinks as {
      name: string;
      status: Record<string, unknown>;
    }[];
    const status = sinks.find((s) => s.name === "flaky")!.status;
    expect(status.consecutive_failures).toBeGreaterThanOrEqual(1);
    expect(status.pending).toBeGreaterThanOrEqual(20);
    expect(status.next_attempt_at).not.toBeNull();
    expect(flaky.deliveries).toHaveLength(0);
  });

  it("the sink that was down gets everything it missed, exactly once, when it returns", async () => {
    const missed = (await mesh.admin("GET", "/logs?limit=1000", undefined, "mesh:read")).json.logs
      .filter((e: { path: string }) => e.path === "/obs/during-outage")
      .map((e: { request_id: string }) => e.request_id) as string[];
    expect(missed).toHaveLength(20);
    await flaky.restart();
    // It backs off (5 s after the first failure, doubling): cron runs deliver once the back-off has passed.
    await shippedTo(flaky, missed, 45_000);
    await mesh.scheduled();
    const got = tally(flaky);
    for (const id of missed) expect(got.get(id), id).toBe(1);
    const status = (await mesh.admin("GET", "/log-sinks", undefined, "mesh:read")).json.sinks.find(
      (s: { name: string }) => s.name === "flaky",
    ).status;
    expect(status).toMatchObject({ consecutive_failures: 0, last_error: null, pending: 0 });
  });

  it("POST /log-sinks/{name}/flush ships at once, without waiting for the cron", async () => {
    const ids = await traffic("/obs/flush-me", 3);
    const res = await mesh.admin("POST", "/log-sinks/healthy/flush");
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ sink: "healthy", error: null, pending: 0 });
    expect(res.json.shipped).toBeGreaterThanOrEqual(3);
    const got = tally(healthy);
    for (const id of ids) expect(got.get(id)).toBe(1);
  });
});

describe("metrics", () => {
  it("count exactly the traffic sent: requests by status class, retries, latency histograms, health", async () => {
    const o = await startOrigin({ name: "met-a" });
    try {
      const put = await mesh.admin("PUT", "/services/met", {
        routes: [{ path_prefix: "/met" }],
        health_check: null,
        retries: { attempts: 1, retry_on: ["5xx"] },
        outlier_detection: { consecutive_failures: 1000 },
      });
      expect(put.status).toBe(201);
      expect((await mesh.admin("PUT", `/services/met/origins/${o.name}`, { url: mesh.expose(o) })).status).toBe(201);
      await traffic("/met/ok", 7);
      o.set({ status: 503 });
      await traffic("/met/fail", 3);
      expect(o.count).toBe(7 + 3 * 2);

      const at = 'service="met",origin="met-a"';
      const expected: Record<string, number> = {
        [`mesh_requests_total{${at},code="2xx"}`]: 7,
        [`mesh_requests_total{${at},code="5xx"}`]: 3,
        [`mesh_retries_total{${at}}`]: 3,
        [`mesh_request_duration_seconds_count{${at}}`]: 10,
        [`mesh_request_duration_seconds_bucket{${at},le="+Inf"}`]: 10,
        [`mesh_upstream_duration_seconds_count{${at}}`]: 10,
        [`mesh_origin_health_status{${at},status="unknown"}`]: 1,
        [`mesh_origin_health_status{${at},status="healthy"}`]: 0,
      };
      // Isolates flush counters at most a second after the traffic; a scrape also flushes its own isolate.
      const samples = await waitFor(
        async () => {
          const s = await scrape();
          return Object.entries(expected).every(([k, v]) => s.get(k) === v) ? s : null;
        },
        { timeoutMs: 10_000, intervalMs: 500, what: "metrics to match the traffic" },
      ).catch(async () => scrape());
      for (const [k, v] of Object.entries(expected)) expect(samples.get(k), k).toBe(v);
      expect(samples.get(`mesh_request_duration_seconds_sum{${at}}`)).toBeGreaterThan(0);
      expect(samples.get("mesh_registry_rpc_total")).toBeGreaterThan(0);
      expect(samples.get('mesh_logs_shipped_total{sink="healthy"}')).toBeGreaterThanOrEqual(54);
      expect(samples.get('mesh_logs_dropped_total{sink="healthy"}')).toBe(0);
      expect(
        samples.get('mesh_requests_total{service="obs",origin="obs-a",code="2xx"}')! +
          samples.get('mesh_requests_total{service="obs",origin="obs-b",code="2xx"}')!,
      ).toBe(30 + 1 + 20 + 3);
    } finally {
      await o.stop();
    }
  });
});
