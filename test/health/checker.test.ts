import { describe, expect, inject, it } from "vitest";
import { checkUrl, runCheck } from "../../src/health/checker";
import { HealthCheck } from "../../src/model/service";

// Checks run from workerd against the scripted origin on 127.0.0.1 (test/helpers/origin-server.ts).
const base = `http://127.0.0.1:${inject("originPort")}`;
const check = (fields: Partial<HealthCheck>) => HealthCheck.parse(fields);
const run = (hc: HealthCheck, url = base) => runCheck(url, hc, fetch, Date.now);

describe("checkUrl", () => {
  it("keeps the origin's path prefix and the check's query", () => {
    expect(checkUrl("https://a.example.com/api/", "/healthz?deep=1")).toBe("https://a.example.com/api/healthz?deep=1");
    expect(checkUrl("https://a.example.com", "/healthz")).toBe("https://a.example.com/healthz");
    expect(checkUrl("http://10.0.0.7:8443/v1", "/")).toBe("http://10.0.0.7:8443/v1/");
  });
});

describe("runCheck against a real origin", () => {
  it("passes on an expected status and reports its latency", async () => {
    const result = await run(check({ path: "/healthz?status=204", expected_status: [200, 204] }));
    expect(result).toEqual({ ok: true, latencyMs: expect.any(Number), error: null });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("fails an unexpected status with 'status 503'", async () => {
    expect(await run(check({ path: "/healthz?status=503" }))).toMatchObject({ ok: false, error: "status 503" });
  });

  it("does not follow a redirect: a 302 is a failure unless expected", async () => {
    expect(await run(check({ path: "/healthz?status=302" }))).toMatchObject({ ok: false, error: "status 302" });
    expect(await run(check({ path: "/healthz?status=302", expected_status: [302] }))).toMatchObject({ ok: true });
  });

  it("passes when the body contains the expected text and fails when it does not", async () => {
    expect(await run(check({ path: "/healthz?body=status:%20green", body_contains: "green" }))).toMatchObject({
      ok: true,
    });
    expect(await run(check({ path: "/healthz?body=status:%20red", body_contains: "green" }))).toEqual({
      ok: false,
      latencyMs: expect.any(Number),
      error: "body did not contain 'green'",
    });
  });

  it("gives up after timeout_ms with 'timeout after …ms'", async () => {
    const started = Date.now();
    const result = await run(check({ path: "/healthz?delay=3000", timeout_ms: 200 }));
    expect(result).toMatchObject({ ok: false, error: "timeout after 200ms" });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("times out a body that never ends while looking for body_contains", async () => {
    const result = await run(check({ path: "/healthz?stall=1&body=warming", body_contains: "ready", timeout_ms: 300 }));
    expect(result).toMatchObject({ ok: false, error: "timeout after 300ms" });
  });

  it("reports a refused connection as a connect failure", async () => {
    const result = await run(check({}), `http://127.0.0.1:${inject("closedPort")}`);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/^connect /);
  });

  it("reports a connection closed without an answer as a failure", async () => {
    const result = await run(check({ path: "/__close" }));
    expect(result.ok).toBe(false);
    expect(result.error).toEqual(expect.any(String));
  });

  it("calls the origin's path prefix joined with the check path, with the configured method and headers", async () => {
    const result = await run(
      check({ path: "/healthz?probe=1", body_contains: "path=/svc/a/healthz?probe=1", headers: { "x-check": "1" } }),
      `${base}/svc/a`,
    );
    expect(result).toMatchObject({ ok: true, error: null });
    expect(await run(check({ path: "/healthz", method: "HEAD" }))).toMatchObject({ ok: true });
  });
});
