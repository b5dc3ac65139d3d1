import { describe, expect, it } from "vitest";
import { MAX_POINTS_PER_FLUSH, writeAnalytics } from "../../src/observability/analytics";
import { seriesKey } from "../../src/observability/counters";

/** An Analytics Engine dataset stand-in that keeps what it was given. */
function dataset() {
  const points: AnalyticsEngineDataPoint[] = [];
  return {
    points,
    ds: { writeDataPoint: (p?: AnalyticsEngineDataPoint) => points.push(p!) } as AnalyticsEngineDataset,
  };
}

describe("metrics to Workers Analytics Engine", () => {
  it("writes each counter delta as one data point, indexed by metric, labels as blobs", () => {
    const { points, ds } = dataset();
    const deltas: [string, number][] = [
      [seriesKey("mesh_requests_total", { service: "users", origin: "u1", code: "2xx" }), 7],
      [seriesKey("mesh_request_duration_seconds_bucket", { service: "users", le: "0.1" }), 7],
      [seriesKey("mesh_request_duration_seconds_sum", { service: "users" }), 0.25],
    ];
    expect(writeAnalytics(ds, deltas)).toBe(2);
    expect(points).toEqual([
      {
        indexes: ["mesh_requests_total"],
        blobs: ["mesh_requests_total", "users", "u1", "2xx", '{"service":"users","origin":"u1","code":"2xx"}'],
        doubles: [7],
      },
      {
        indexes: ["mesh_request_duration_seconds_sum"],
        blobs: ["mesh_request_duration_seconds_sum", "users", "", "", '{"service":"users"}'],
        doubles: [0.25],
      },
    ]);
  });

  it("writes nothing without a dataset, and at most its share of an invocation's data points", () => {
    expect(writeAnalytics(undefined, [[seriesKey("mesh_retries_total"), 1]])).toBe(0);
    const { points, ds } = dataset();
    const many = Array.from({ length: 300 }, (_, i): [string, number] => [
      seriesKey("mesh_retries_total", { i: String(i) }),
      1,
    ]);
    expect(writeAnalytics(ds, many)).toBe(MAX_POINTS_PER_FLUSH);
    expect(points).toHaveLength(MAX_POINTS_PER_FLUSH);
  });
});
