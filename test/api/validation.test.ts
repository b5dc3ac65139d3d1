import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { api, env, token } from "../helpers/admin";

// No active checks: these origins' names do not resolve, and must not be looked up.
const ROUTES = { routes: [{ path_prefix: "/v" }], health_check: null };

/** Expects a 400 ERR_VALIDATION whose details name `path`. */
async function expectInvalid(method: string, path: string, body: unknown, field: string, raw?: string) {
  const res = await api(method, path, body, raw === undefined ? {} : { raw });
  expect(res.status, JSON.stringify(res.json)).toBe(400);
  expect(res.json.error.code).toBe("ERR_VALIDATION");
  expect(res.json.error.details.map((d: { path: string }) => d.path)).toContain(field);
  expect(res.json.error.message).toContain(field);
  expect(res.json.error.request_id).toEqual(expect.any(String));
  return res;
}

describe("admin API validation", () => {
  it.each([
    ["routes missing", {}, "routes"],
    ["routes empty", { routes: [] }, "routes"],
    ["route path without slash", { routes: [{ path_prefix: "users" }] }, "routes.0.path_prefix"],
    ["route host with a path", { routes: [{ host: "a.com/x" }] }, "routes.0.host"],
    ["wildcard in the middle", { routes: [{ host: "api.*.com" }] }, "routes.0.host"],
    ["unknown top-level field", { ...ROUTES, colour: "red" }, "colour"],
    ["unknown nested field", { ...ROUTES, retries: { attempts: 1, tries: 3 } }, "retries.tries"],
    ["wrong type", { ...ROUTES, strip_prefix: "yes" }, "strip_prefix"],
    ["unknown policy", { ...ROUTES, load_balancer: { policy: "fastest" } }, "load_balancer.policy"],
    ["bad hash_on", { ...ROUTES, load_balancer: { policy: "hash", hash_on: "query:x" } }, "load_balancer.hash_on"],
    ["attempts out of range", { ...ROUTES, retries: { attempts: 11 } }, "retries.attempts"],
    ["fractional attempts", { ...ROUTES, retries: { attempts: 1.5 } }, "retries.attempts"],
    ["budget_ratio above 1", { ...ROUTES, retries: { budget_ratio: 2 } }, "retries.budget_ratio"],
    ["bad retry_on", { ...ROUTES, retries: { retry_on: ["always"] } }, "retries.retry_on.0"],
    ["interval 0", { ...ROUTES, health_check: { interval_s: 0 } }, "health_check.interval_s"],
    ["status 700", { ...ROUTES, health_check: { expected_status: [700] } }, "health_check.expected_status.0"],
    ["negative timeout", { ...ROUTES, timeout_ms: -1 }, "timeout_ms"],
    ["panic above 100", { ...ROUTES, panic_threshold_percent: 101 }, "panic_threshold_percent"],
    ["bad fallback name", { ...ROUTES, fallback_service: "Bad Name" }, "fallback_service"],
    ["unknown region", { routes: ROUTES.routes, health_check: { regions: ["mars"] } }, "health_check.regions.0"],
    ["a region twice", { routes: ROUTES.routes, health_check: { regions: ["weur", "weur"] } }, "health_check.regions"],
    ["a lower-case country", { ...ROUTES, pools: { eu: { countries: ["de"] } } }, "pools.eu.countries.0"],
    ["an unknown continent", { ...ROUTES, pools: { eu: { continents: ["XX"] } } }, "pools.eu.continents.0"],
    ["latitude above 90", { ...ROUTES, pools: { eu: { latitude: 91, longitude: 0 } } }, "pools.eu.latitude"],
    ["an unknown steering policy", { ...ROUTES, steering: { policy: "fastest" } }, "steering.policy"],
    ["steering without pools", { ...ROUTES, steering: { policy: "geo" } }, "steering.policy"],
    [
      "a fallback pool that is not a pool",
      { ...ROUTES, pools: { eu: {} }, steering: { policy: "failover", fallback_pool: "us" } },
      "steering.fallback_pool",
    ],
    ["proximity without coordinates", { ...ROUTES, pools: { eu: {} }, steering: { policy: "proximity" } }, "pools.eu"],
    [
      "header affinity without a header",
      { ...ROUTES, session_affinity: { type: "header" } },
      "session_affinity.header",
    ],
  ])("rejects a service with %s", async (_label, body, field) => {
    await expectInvalid("PUT", "/services/v", body, field);
  });

  it.each([
    ["weight above 1000", { url: "https://a.example.com", weight: 5000 }, "weight"],
    ["negative weight", { url: "https://a.example.com", weight: -1 }, "weight"],
    ["url missing", { weight: 1 }, "url"],
    ["ftp url", { url: "ftp://a.example.com" }, "url"],
    ["relative url", { url: "a.example.com" }, "url"],
    ["credentials in url", { url: "https://u:p@a.example.com" }, "url"],
    ["unknown field", { url: "https://a.example.com", id: "x" }, "id"],
    ["ttl 0", { url: "https://a.example.com", ttl_s: 0 }, "ttl_s"],
    ["tags not strings", { url: "https://a.example.com", tags: [1] }, "tags.0"],
  ])("rejects an origin with %s", async (_label, body, field) => {
    await api("PUT", "/services/v", ROUTES);
    await expectInvalid("POST", "/services/v/origins", body, field);
  });

  it("rejects a PATCH of a field that cannot change", async () => {
    await api("PUT", "/services/v", ROUTES);
    await api("PUT", "/services/v/origins/o1", { url: "https://a.example.com" });
    await expectInvalid("PATCH", "/services/v/origins/o1", { url: "https://b.example.com" }, "url");
  });

  it.each([
    ["upper case", "Users"],
    ["leading dash", "-users"],
    ["underscore", "user_s"],
    ["64 characters", "a".repeat(64)],
  ])("rejects a service name with %s", async (_label, name) => {
    await expectInvalid("PUT", `/services/${name}`, ROUTES, "name");
  });

  it("rejects an origin id that is not a valid name", async () => {
    await api("PUT", "/services/v", ROUTES);
    await expectInvalid("PUT", "/services/v/origins/Bad.Id", { url: "https://a.example.com" }, "id");
  });

  it("rejects malformed JSON with 400", async () => {
    const res = await api("PUT", "/services/v", undefined, { raw: '{"routes": [' });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("ERR_VALIDATION");
    expect(res.json.error.message).toMatch(/json/i);
  });

  it("rejects a body over 64 KiB with 413 ERR_TOO_LARGE", async () => {
    const big = JSON.stringify({ ...ROUTES, padding: "x".repeat(70 * 1024) });
    const res = await api("PUT", "/services/v", undefined, { raw: big });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe("ERR_TOO_LARGE");
  });

  it("rejects an oversized chunked body without a content-length", async () => {
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const request = new Request("https://mesh.test/_mesh/api/v1/services/v", {
      method: "PUT",
      headers: { authorization: `Bearer ${await token()}`, "content-type": "application/json" },
      body,
    });
    // Handed to the Worker's fetch in this isolate, not sent through the runtime: the runtime logs the
    // rest of a request body that the Worker, rightly, stops reading as a broken pipe.
    const res = await worker.fetch(
      request as Request<unknown, IncomingRequestCfProperties>,
      env,
      createExecutionContext(),
    );
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("ERR_TOO_LARGE");
  });

  it("rejects a body that is not JSON", async () => {
    const res = await api("PUT", "/services/v", undefined, {
      raw: "routes=/x",
      contentType: "application/x-www-form-urlencoded",
    });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("ERR_VALIDATION");
  });
});
