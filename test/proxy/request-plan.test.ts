import { describe, expect, it } from "vitest";
import { type ServiceConfig, ServiceInput } from "../../src/model/service";
import {
  RETRY_BODY_MAX,
  forwardPath,
  hashKeyOf,
  mayRetry,
  planBody,
  reachesMeshPath,
  targetUrl,
} from "../../src/proxy/request-plan";
import type { CompiledRoute } from "../../src/proxy/route-table";

const service = (input: Partial<ServiceInput> = {}): ServiceConfig => ({
  name: "users",
  ...ServiceInput.parse({ routes: [{ path_prefix: "/users" }], ...input }),
});
const route = (prefix: string): CompiledRoute => ({ service: "users", route: { path_prefix: prefix }, prefix });
const request = (method: string, headers: Record<string, string> = {}, body?: BodyInit) =>
  new Request("https://api.example.com/users/7", { method, headers, body });

describe("mayRetry", () => {
  it("retries the idempotent methods of SPEC §3 and nothing else unless the client asks", () => {
    const verdicts = Object.fromEntries(
      ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH"].map((m) => [m, mayRetry(request(m))]),
    );
    expect(verdicts).toEqual({
      GET: true,
      HEAD: true,
      OPTIONS: true,
      PUT: true,
      DELETE: true,
      POST: false,
      PATCH: false,
    });
    expect(mayRetry(request("POST", { "x-mesh-retry": "Always" }))).toBe(true);
    expect(mayRetry(request("POST", { "x-mesh-retry": "yes" }))).toBe(false);
  });
});

describe("planBody", () => {
  it("sends no body for GET, HEAD or a request without one", async () => {
    expect(await planBody(request("GET"), true)).toEqual({ body: null, replayable: true });
    expect(await planBody(request("DELETE"), true)).toEqual({ body: null, replayable: true });
  });

  it("buffers a body up to 1 MiB when a retry could need it, so it can be sent twice", async () => {
    const text = "x".repeat(RETRY_BODY_MAX);
    const planned = await planBody(request("PUT", { "content-length": String(text.length) }, text), true);
    expect(planned.replayable).toBe(true);
    expect(planned.body).toBeInstanceOf(ArrayBuffer);
    expect((planned.body as ArrayBuffer).byteLength).toBe(RETRY_BODY_MAX);
  });

  it("streams a larger body, one without a length, or any body when no retry is wanted, unretried", async () => {
    const big = "x".repeat(RETRY_BODY_MAX + 1);
    const chunked = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode("abc"));
        c.close();
      },
    });
    for (const [req, wantRetries] of [
      [request("PUT", { "content-length": String(big.length) }, big), true],
      [request("PUT", {}, chunked), true],
      [request("POST", { "content-length": "3" }, "abc"), false],
    ] as const) {
      const planned = await planBody(req, wantRetries);
      expect(planned.replayable).toBe(false);
      expect(planned.body).toBeInstanceOf(ReadableStream);
      await (planned.body as ReadableStream).cancel();
    }
  });
});

describe("reachesMeshPath", () => {
  it.each([
    ["/_mesh", true],
    ["/_mesh/api/v1/services", true],
    ["/%5Fmesh/api", true],
    ["/%5fMESH%2fapi", true],
    ["/_meshy", false],
    ["/api/_mesh", false],
    ["/", false],
  ])("%s → %s", (path, expected) => {
    expect(reachesMeshPath(path)).toBe(expected);
  });
});

describe("forwardPath", () => {
  it("keeps the path unless strip_prefix is set", () => {
    expect(forwardPath("/users/7", route("/users"), service())).toBe("/users/7");
  });

  it("strips the route's prefix, leaving at least /", () => {
    const strip = service({ strip_prefix: true });
    expect(forwardPath("/users/7", route("/users"), strip)).toBe("/7");
    expect(forwardPath("/users", route("/users"), strip)).toBe("/");
    expect(forwardPath("/api/v1/x", route("/api/"), strip)).toBe("/v1/x");
    expect(forwardPath("/users/7", route("/"), strip)).toBe("/users/7");
  });
});

describe("targetUrl", () => {
  it("puts the origin's base path before the forwarded path and query", () => {
    expect(targetUrl("https://10.0.0.7:8443/base", "/users/7", "?q=1")).toBe("https://10.0.0.7:8443/base/users/7?q=1");
    expect(targetUrl("https://o.example.com", "/", "")).toBe("https://o.example.com/");
  });
});

describe("hashKeyOf", () => {
  const hash = (hash_on: string | null) => service({ load_balancer: { policy: "hash", hash_on } });

  it("is null for services that do not balance by hash", () => {
    expect(hashKeyOf(service(), request("GET", { "x-user": "u1" }), "203.0.113.7")).toBeNull();
  });

  it("takes the client IP by default, or the named header or cookie", () => {
    const req = request("GET", { "x-user": "u1", cookie: "theme=dark; session = abc ; other=1" });
    expect(hashKeyOf(hash(null), req, "203.0.113.7")).toBe("203.0.113.7");
    expect(hashKeyOf(hash("ip"), req, "203.0.113.7")).toBe("203.0.113.7");
    expect(hashKeyOf(hash("header:x-user"), req, null)).toBe("u1");
    expect(hashKeyOf(hash("cookie:session"), req, null)).toBe("abc");
  });

  it("is null when the request has no such key, so the pick falls back to random", () => {
    const bare = request("GET");
    expect(hashKeyOf(hash(null), bare, null)).toBeNull();
    expect(hashKeyOf(hash("header:x-user"), bare, null)).toBeNull();
    expect(hashKeyOf(hash("cookie:session"), request("GET", { cookie: "theme=dark" }), null)).toBeNull();
  });
});
