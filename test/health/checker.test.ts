import { describe, expect, inject, it } from "vitest";
import { checkFetcher } from "../../src/clients/service-binding";
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

  it("calls the origin's path prefix joined with the check path, with the configured method and headers", async () => {
    const result = await run(
      check({ path: "/healthz?probe=1", body_contains: "path=/svc/a/healthz?probe=1", headers: { "x-check": "1" } }),
      `${base}/svc/a`,
    );
    expect(result).toMatchObject({ ok: true, error: null });
    expect(await run(check({ path: "/healthz", method: "HEAD" }))).toMatchObject({ ok: true });
  });
});

/**
 * What workerd's fetch() rejects with when the origin refuses the connection
 * or closes it without an answer: a plain Error (not a TypeError) with
 * `remote` and `retryable` set. Injected because the runtime logs every such
 * socket failure itself, even one the check catches; real sockets are
 * checked end to end in test/e2e/edge-errors.test.ts (answered there 521
 * and 520, as Cloudflare answers them).
 */
const connectionLost = (): Promise<Response> =>
  Promise.reject(Object.assign(new Error("Network connection lost."), { remote: true, retryable: true }));

describe("runCheck when the connection fails", () => {
  it("reports a refused connection as a connect failure", async () => {
    const result = await runCheck(base, check({}), connectionLost, Date.now);
    expect(result).toMatchObject({ ok: false, error: "connect failed: Network connection lost." });
  });

  it("reports a connection closed without an answer as a failure", async () => {
    const result = await runCheck(base, check({ path: "/healthz" }), connectionLost, Date.now);
    expect(result).toEqual({
      ok: false,
      latencyMs: expect.any(Number),
      error: "connect failed: Network connection lost.",
    });
  });
});

describe("runCheck: what a check sends and how it judges the edge", () => {
  it("is sent with cache: no-store, redirect: manual and x-mesh-check-region (default without regions)", async () => {
    const seen: RequestInit[] = [];
    const fetcher = async (_url: string, init: RequestInit) => {
      seen.push(init);
      return new Response("ok");
    };
    await runCheck(base, check({ headers: { "x-check-region": "mine" } }), fetcher, Date.now);
    await runCheck(base, check({}), fetcher, Date.now, "weur");
    expect(seen.map((i) => ({ cache: i.cache, redirect: i.redirect }))).toEqual([
      { cache: "no-store", redirect: "manual" },
      { cache: "no-store", redirect: "manual" },
    ]);
    const headers = seen.map((i) => new Headers(i.headers));
    expect(headers.map((h) => h.get("x-mesh-check-region"))).toEqual(["default", "weur"]);
    expect(headers[0]!.get("x-check-region")).toBe("mine");
  });

  it("runs in workerd with cache: no-store against a real origin", async () => {
    expect(await run(check({ path: "/healthz" }))).toMatchObject({ ok: true, error: null });
  });

  it("fails Cloudflare's own answer as a connect failure, even when its status is expected", async () => {
    const edge = async () =>
      new Response("error code: 1003", {
        status: 403,
        headers: { "content-type": "text/plain", "content-length": "16" },
      });
    expect(await runCheck(base, check({ expected_status: [403] }), edge, Date.now)).toMatchObject({
      ok: false,
      error: "connect failed: Cloudflare answered error 1003 (direct IP access not allowed) instead of the origin",
    });
    const refused = async () => new Response("error code: 521", { status: 521 });
    expect((await runCheck(base, check({}), refused, Date.now)).error).toMatch(/^connect failed: .*error 521/);
    const own = async () => new Response("Forbidden", { status: 403, headers: { "content-type": "text/plain" } });
    expect(await runCheck(base, check({ expected_status: [403] }), own, Date.now)).toMatchObject({ ok: true });
  });

  it("checks a service-binding origin through its binding, and fails as a connect failure when it is gone", async () => {
    const got: { url: string; region: string | null }[] = [];
    const env = {
      USERS: {
        fetch: async (url: string, init?: RequestInit) => {
          got.push({ url, region: new Headers(init?.headers).get("x-mesh-check-region") });
          return new Response("ok");
        },
      },
    };
    const fetcher = checkFetcher(env, () => Promise.reject(new Error("not through the network")));
    expect(await runCheck("service://USERS/api", check({ path: "/healthz?deep=1" }), fetcher, Date.now)).toMatchObject({
      ok: true,
    });
    expect(got).toEqual([{ url: "https://users/api/healthz?deep=1", region: "default" }]);
    expect(await runCheck("service://GONE", check({}), fetcher, Date.now)).toMatchObject({
      ok: false,
      error: "connect failed: service binding GONE is not bound to this Worker",
    });
  });
});
