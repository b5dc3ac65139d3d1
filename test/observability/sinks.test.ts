import { describe, expect, it } from "vitest";
import { encodeBatch } from "../../src/observability/sinks/index";
import { line } from "./helpers";

const lines = [line(1), line(2, { service: "billing" }), line(3), line(4, { service: null })];

describe("sink formats", () => {
  it("ndjson: one entry per line, each ending in a newline", () => {
    const { body, contentType } = encodeBatch("ndjson", lines);
    expect(contentType).toBe("application/x-ndjson");
    expect(body.endsWith("\n")).toBe(true);
    expect(
      body
        .split("\n")
        .slice(0, -1)
        .map((l) => JSON.parse(l).request_id),
    ).toEqual(["r1", "r2", "r3", "r4"]);
  });

  it("json: one array holding every entry in order", () => {
    const { body, contentType } = encodeBatch("json", lines);
    expect(contentType).toBe("application/json");
    expect((JSON.parse(body) as { request_id: string }[]).map((e) => e.request_id)).toEqual(["r1", "r2", "r3", "r4"]);
  });

  it("loki: one stream per service with nanosecond string timestamps and the entry as the line", () => {
    const { body, contentType } = encodeBatch("loki", lines);
    expect(contentType).toBe("application/json");
    const push = JSON.parse(body) as { streams: { stream: Record<string, string>; values: [string, string][] }[] };
    const byService = Object.fromEntries(push.streams.map((s) => [s.stream.service, s]));
    expect(Object.keys(byService).sort()).toEqual(["billing", "none", "users"]);
    expect(byService.users!.stream).toEqual({ job: "flaremesh", service: "users" });
    expect(byService.users!.values.map(([, l]) => JSON.parse(l).request_id)).toEqual(["r1", "r3"]);
    const [ns, text] = byService.billing!.values[0]!;
    expect(ns).toBe(`${Date.UTC(2026, 10, 28, 10, 0, 0, 2)}000000`);
    expect(text).toBe(lines[1]);
  });

  it("elasticsearch: a create action line before each document, which gains @timestamp", () => {
    const { body, contentType } = encodeBatch("elasticsearch", lines.slice(0, 2));
    expect(contentType).toBe("application/x-ndjson");
    const rows = body.split("\n");
    expect(rows.at(-1)).toBe("");
    expect(rows.slice(0, -1).map((r) => JSON.parse(r))).toEqual([
      { create: {} },
      { "@timestamp": "2026-11-28T10:00:00.001Z", ...JSON.parse(lines[0]!) },
      { create: {} },
      { "@timestamp": "2026-11-28T10:00:00.002Z", ...JSON.parse(lines[1]!) },
    ]);
  });
});
