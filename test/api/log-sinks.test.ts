import { describe, expect, it } from "vitest";
import { logBuffer } from "../../src/clients/log-buffer";
import { api, env } from "../helpers/admin";

const SINK = { type: "http", url: "https://logs.example.com/loki/api/v1/push", format: "loki" };

describe("log sinks API", () => {
  it("creates with 201 and defaults, replaces with 200, lists, deletes with 204", async () => {
    const created = await api("PUT", "/log-sinks/api-crud", SINK);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: "api-crud",
      type: "http",
      url: SINK.url,
      format: "loki",
      batch_max: 1000,
      headers: {},
      status: { pending: 0, shipped: 0 },
    });
    const replaced = await api("PUT", "/log-sinks/api-crud", { ...SINK, format: "ndjson", batch_max: 50 });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ format: "ndjson", batch_max: 50 });
    const list = await api("GET", "/log-sinks", undefined, { scope: "mesh:read" });
    expect(list.json.sinks.map((s: { name: string }) => s.name)).toContain("api-crud");
    expect((await api("DELETE", "/log-sinks/api-crud")).status).toBe(204);
    expect((await api("DELETE", "/log-sinks/api-crud")).json.error.code).toBe("ERR_NOT_FOUND");
  });

  it("redacts credential-like header values when showing a sink", async () => {
    const headers = { Authorization: "Basic dXNlcjpwYXNz", "X-API-Key": "k-123", "X-Scope-OrgID": "tenant-1" };
    const put = await api("PUT", "/log-sinks/api-redact", { ...SINK, headers });
    expect(put.json.headers).toEqual({
      Authorization: "[redacted]",
      "X-API-Key": "[redacted]",
      "X-Scope-OrgID": "tenant-1",
    });
    const list = await api("GET", "/log-sinks");
    const shown = list.json.sinks.find((s: { name: string }) => s.name === "api-redact");
    expect(JSON.stringify(shown)).not.toMatch(/dXNlcjpwYXNz|k-123/);
    // Writing back what a read showed keeps the stored secrets.
    const { name: _n, status: _s, ...body } = shown;
    expect((await api("PUT", "/log-sinks/api-redact", { ...body, batch_max: 50 })).status).toBe(200);
    const stored = await logBuffer(env).sink("api-redact");
    expect(stored?.config.headers).toEqual(headers);
    expect(stored?.config.batch_max).toBe(50);
    await api("DELETE", "/log-sinks/api-redact");
  });

  it("validates the body strictly and names the field", async () => {
    const cases: [unknown, string][] = [
      [{ ...SINK, format: "syslog" }, "format"],
      [{ ...SINK, batch_max: 0 }, "batch_max"],
      [{ ...SINK, batch_max: 10_001 }, "batch_max"],
      [{ ...SINK, type: "kafka" }, "type"],
      [{ ...SINK, extra: 1 }, "extra"],
      [{ ...SINK, headers: { "bad header": "x" } }, "headers.bad header"],
      [{ ...SINK, headers: { "content-length": "1" } }, "headers.content-length"],
      [{ ...SINK, url: "ftp://logs.example.com/" }, "url"],
      [{ ...SINK, url: "https://user:pw@logs.example.com/" }, "url"],
    ];
    for (const [body, field] of cases) {
      const res = await api("PUT", "/log-sinks/api-invalid", body);
      expect({ status: res.status, code: res.json.error.code }).toEqual({ status: 400, code: "ERR_VALIDATION" });
      expect(res.json.error.details.map((d: { path: string }) => d.path)).toContain(field);
    }
  });

  it("refuses private sink addresses with 422 ERR_ORIGIN_NOT_ALLOWED (SSRF guard), and allows a query string", async () => {
    for (const url of [
      "http://127.0.0.1:3100/push",
      "http://10.0.0.5/_bulk",
      "http://[::1]:9200/_bulk",
      "http://169.254.169.254/",
      "http://logs.internal/",
    ]) {
      const res = await api("PUT", "/log-sinks/api-ssrf", { ...SINK, url });
      expect({ url, status: res.status, code: res.json.error.code }).toEqual({
        url,
        status: 422,
        code: "ERR_ORIGIN_NOT_ALLOWED",
      });
    }
    const publicIp = await api("PUT", "/log-sinks/api-ssrf", { ...SINK, url: "https://93.184.216.34/push" });
    expect(publicIp.status).toBe(422);
    expect(publicIp.json.error.message).toMatch(/cannot fetch IP addresses \(error 1003\)/);
    const binding = await api("PUT", "/log-sinks/api-ssrf", { ...SINK, url: "service://ECHO_WORKER/in" });
    expect(binding.status).toBe(400);
    const withQuery = await api("PUT", "/log-sinks/api-query", {
      ...SINK,
      format: "elasticsearch",
      url: "https://es.example.com/mesh/_bulk?pipeline=logs",
    });
    expect(withQuery.status).toBe(201);
    await api("DELETE", "/log-sinks/api-query");
  });

  it("warns about a port outside Cloudflare's proxied list in the write's answer only", async () => {
    const res = await api("PUT", "/log-sinks/api-port", { ...SINK, url: "https://logs.example.com:3100/push" });
    expect(res.status).toBe(201);
    expect(res.json.warnings).toEqual([expect.stringMatching(/^url port 3100 .* not proxied by Cloudflare/)]);
    const listed = (await api("GET", "/log-sinks")).json.sinks.find((s: { name: string }) => s.name === "api-port");
    expect(listed).toBeDefined();
    expect(listed).not.toHaveProperty("warnings");
    const plain = await api("PUT", "/log-sinks/api-port", { ...SINK, url: "https://logs.example.com/push" });
    expect(plain.status).toBe(200);
    expect(plain.json).not.toHaveProperty("warnings");
    await api("DELETE", "/log-sinks/api-port");
  });

  it("needs mesh:write to change sinks and mesh:read to list them", async () => {
    expect((await api("PUT", "/log-sinks/api-scope", SINK, { scope: "mesh:read" })).status).toBe(403);
    expect((await api("POST", "/log-sinks/api-scope/flush", undefined, { scope: "mesh:read" })).status).toBe(403);
    expect((await api("GET", "/log-sinks", undefined, { scope: "mesh:heartbeat" })).status).toBe(403);
    expect((await api("GET", "/log-sinks", undefined, { token: null })).status).toBe(401);
  });

  it("flush takes no body, ships now and says what it shipped; 404 for an unknown sink", async () => {
    await api("PUT", "/log-sinks/api-flush", SINK);
    const flushed = await api("POST", "/log-sinks/api-flush/flush");
    expect(flushed.status).toBe(200);
    expect(flushed.json).toEqual({ sink: "api-flush", shipped: 0, batches: 0, pending: 0, error: null });
    expect((await api("POST", "/log-sinks/nope/flush")).json.error.code).toBe("ERR_NOT_FOUND");
    await api("DELETE", "/log-sinks/api-flush");
  });
});
