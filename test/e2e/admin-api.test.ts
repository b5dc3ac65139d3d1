import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithTimeout, waitFor } from "./harness/http";
import { startMesh, type AdminResponse, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";
import { SPEC_SERVICE_DEFAULTS } from "../fixtures/service-defaults";

// The admin API over real HTTP against the real Worker (SPEC §3). The tests
// in the first block walk one service through its life, so they run in order.

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Asserts a SPEC §Errors body: the status, the stable code and a request id. */
function expectError(res: AdminResponse, status: number, code: string): void {
  expect({ status: res.status, code: res.json?.error?.code }).toEqual({ status, code });
  expect(res.json.error.message).toEqual(expect.any(String));
  expect(res.json.error.request_id).toEqual(expect.any(String));
}

/** `http://a.origin.test:1234` and `http://a.origin.test:1234/` are the same base URL. */
const base = (url: string) => url.replace(/\/$/, "");

describe("admin API", () => {
  let mesh: Mesh;
  let a: Origin;
  let b: Origin;
  let firstId = "";
  let aUrl = "";
  let bUrl = "";

  beforeAll(async () => {
    [mesh, a, b] = await Promise.all([startMesh(), startOrigin({ name: "users-a" }), startOrigin({ name: "users-b" })]);
    [aUrl, bUrl] = [mesh.expose(a), mesh.expose(b)];
  });
  afterAll(async () => {
    await Promise.all([mesh?.stop(), a?.stop(), b?.stop()]);
  });

  it("answers /_mesh/healthz without a token", async () => {
    const res = await fetchWithTimeout(`${mesh.url}/_mesh/healthz`);
    expect(res.status).toBe(200);
  });

  it("refuses a request without a token with 401 and WWW-Authenticate: Bearer", async () => {
    const res = await fetchWithTimeout(`${mesh.url}/_mesh/api/v1/services`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    expect(((await res.json()) as any).error.code).toBe("ERR_UNAUTHENTICATED");
  });

  it("refuses expired and wrongly signed tokens with 401", async () => {
    const expired = await mesh.token("mesh:read", { exp: Math.floor(Date.now() / 1000) - 60 });
    const forged = (await mesh.token("mesh:read")).replace(/.{4}$/, "AAAA");
    for (const token of [expired, forged]) {
      const res = await fetchWithTimeout(`${mesh.url}/_mesh/api/v1/services`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    }
  });

  it("answers 403 ERR_FORBIDDEN when the token lacks the scope", async () => {
    expectError(await mesh.admin("GET", "/services", undefined, "mesh:heartbeat"), 403, "ERR_FORBIDDEN");
    expectError(
      await mesh.admin("PUT", "/services/users", { routes: [{ path_prefix: "/users" }] }, "mesh:read"),
      403,
      "ERR_FORBIDDEN",
    );
  });

  it("creates a service with every SPEC default filled in (201), then replaces it (200)", async () => {
    const created = await mesh.admin("PUT", "/services/users", { routes: [{ path_prefix: "/users" }] });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      name: "users",
      routes: [expect.objectContaining({ path_prefix: "/users" })],
      ...SPEC_SERVICE_DEFAULTS,
    });
    expect(created.json.routes[0].host ?? null).toBeNull();

    const replaced = await mesh.admin("PUT", "/services/users", {
      routes: [{ path_prefix: "/users" }],
      timeout_ms: 9000,
    });
    expect(replaced.status).toBe(200);
    expect(replaced.json.timeout_ms).toBe(9000);

    const list = await mesh.admin("GET", "/services");
    expect(list.status).toBe(200);
    expect(list.json.services.map((s: { name: string }) => s.name)).toContain("users");
  });

  it("registers an origin with a server-chosen id (POST → 201)", async () => {
    const res = await mesh.admin("POST", "/services/users/origins", { url: aUrl });
    expect(res.status).toBe(201);
    expect(res.json.id).toMatch(NAME);
    expect(base(res.json.url)).toBe(aUrl);
    expect(res.json).toMatchObject({
      weight: 1,
      zone: null,
      tags: [],
      metadata: {},
      enabled: true,
      drain: false,
      ttl_s: null,
    });
    expect(res.json.health.status).toBe("unknown");
    firstId = res.json.id;
  });

  it("registers an origin with a client-chosen id (PUT → 201, then 200)", async () => {
    const body = { url: bUrl, weight: 3, zone: "eu-west", tags: ["v2"] };
    const created = await mesh.admin("PUT", "/services/users/origins/users-2", body);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: "users-2", weight: 3, zone: "eu-west", tags: ["v2"] });
    const again = await mesh.admin("PUT", "/services/users/origins/users-2", body);
    expect(again.status).toBe(200);

    const list = await mesh.admin("GET", "/services/users/origins");
    expect(list.json.origins.map((o: { id: string }) => o.id).sort()).toEqual([firstId, "users-2"].sort());
    const service = await mesh.admin("GET", "/services/users");
    expect(service.status).toBe(200);
    expect(service.json.origins).toHaveLength(2);
  });

  it("shows both origins in the versioned catalog, and bumps the version on a weight change", async () => {
    const before = await mesh.admin("GET", "/catalog");
    expect(before.status).toBe(200);
    expect(before.json.version).toBeGreaterThan(0);
    const origins = before.json.services.users.origins;
    expect(origins).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: firstId, zone: null, weight: 1, status: expect.any(String) }),
        expect.objectContaining({ id: "users-2", zone: "eu-west", weight: 3, status: expect.any(String) }),
      ]),
    );
    expect(origins.map((o: { url: string }) => base(o.url)).sort()).toEqual([aUrl, bUrl].sort());

    const patched = await mesh.admin("PATCH", "/services/users/origins/users-2", { weight: 7 });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ id: "users-2", weight: 7, zone: "eu-west" });
    const after = await mesh.admin("GET", "/catalog");
    expect(after.json.version).toBeGreaterThan(before.json.version);
    const users2 = after.json.services.users.origins.find((o: { id: string }) => o.id === "users-2");
    expect(users2.weight).toBe(7);
  });

  it("accepts heartbeats from a mesh:heartbeat token, only for its own service", async () => {
    const path = `${mesh.url}/_mesh/api/v1/services/users/origins/users-2/heartbeat`;
    const own = await mesh.token("mesh:heartbeat", { svc: "users" });
    const res = await fetchWithTimeout(path, { method: "PUT", headers: { authorization: `Bearer ${own}` } });
    expect(res.status).toBe(200);
    const other = await mesh.token("mesh:heartbeat", { svc: "billing" });
    const refused = await fetchWithTimeout(path, { method: "PUT", headers: { authorization: `Bearer ${other}` } });
    expect(refused.status).toBe(403);
  });

  it("counts the service's origins by status", async () => {
    const res = await mesh.admin("GET", "/services/users/health");
    expect(res.status).toBe(200);
    const counts = res.json.counts as Record<string, number>;
    expect(Object.values(counts).reduce((sum, n) => sum + n, 0)).toBe(2);
    expect(res.json.origins.map((o: { id: string }) => o.id).sort()).toEqual([firstId, "users-2"].sort());
    for (const origin of res.json.origins) expect(origin.health.status).toEqual(expect.any(String));
  });

  it("records disabling an origin as a health event, newest first", async () => {
    const disabled = await mesh.admin("PATCH", "/services/users/origins/users-2", { enabled: false });
    expect(disabled.json.health.status).toBe("disabled");
    const events = await waitFor(
      async () => {
        const res = await mesh.admin("GET", "/events?service=users&limit=10");
        expect(res.status).toBe(200);
        return res.json.events.find(
          (e: { origin: string; to: string }) => e.origin === "users-2" && e.to === "disabled",
        )
          ? res.json.events
          : null;
      },
      { timeoutMs: 5_000, what: "an event for the disabled origin" },
    );
    expect(events.length).toBeLessThanOrEqual(10);
    for (const event of events)
      expect(Object.keys(event)).toEqual(expect.arrayContaining(["at", "service", "origin", "from", "to", "reason"]));
    const times = events.map((e: { at: string }) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((x, y) => y - x));
  });

  it("rejects a weight of 5000 with 400 ERR_VALIDATION naming the field", async () => {
    const res = await mesh.admin("PATCH", "/services/users/origins/users-2", { weight: 5000 });
    expectError(res, 400, "ERR_VALIDATION");
    expect(res.json.error.details.map((d: { path: string }) => d.path)).toContain("weight");
  });

  it("rejects malformed JSON and bad names with 400 ERR_VALIDATION", async () => {
    const token = await mesh.token("mesh:write");
    const res = await fetchWithTimeout(`${mesh.url}/_mesh/api/v1/services/users`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{ not json",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe("ERR_VALIDATION");
    expectError(
      await mesh.admin("PUT", "/services/Bad_Name", { routes: [{ path_prefix: "/" }] }),
      400,
      "ERR_VALIDATION",
    );
  });

  it("answers 404 ERR_NOT_FOUND for origins of a service that does not exist", async () => {
    expectError(await mesh.admin("POST", "/services/nope/origins", { url: aUrl }), 404, "ERR_NOT_FOUND");
  });

  it("deletes an origin (204), then the service with its origins (204, then 404)", async () => {
    expect((await mesh.admin("DELETE", `/services/users/origins/${firstId}`)).status).toBe(204);
    const left = await mesh.admin("GET", "/services/users/origins");
    expect(left.json.origins.map((o: { id: string }) => o.id)).toEqual(["users-2"]);

    expect((await mesh.admin("DELETE", "/services/users")).status).toBe(204);
    expectError(await mesh.admin("GET", "/services/users"), 404, "ERR_NOT_FOUND");
    expectError(await mesh.admin("GET", "/services/users/origins"), 404, "ERR_NOT_FOUND");
    const catalog = await mesh.admin("GET", "/catalog");
    expect(catalog.json.services.users).toBeUndefined();
  });

  it("serves its OpenAPI 3.1 document listing /services", async () => {
    const res = await mesh.admin("GET", "/openapi.json");
    expect(res.status).toBe(200);
    expect(res.json.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(res.json.paths).some((p) => p.endsWith("/services"))).toBe(true);
  });
});

describe("admin API with private origins refused (the default)", () => {
  let mesh: Mesh;

  beforeAll(async () => {
    mesh = await startMesh({ vars: { MESH_ALLOW_PRIVATE_ORIGINS: "false" } });
    const res = await mesh.admin("PUT", "/services/billing", { routes: [{ path_prefix: "/billing" }] });
    expect(res.status).toBe(201);
  });
  afterAll(() => mesh?.stop());

  it.each(["http://169.254.169.254", "http://127.0.0.1:8080", "http://10.0.0.7", "http://[::1]:8080"])(
    "refuses %s with 422 ERR_ORIGIN_NOT_ALLOWED",
    async (url) => {
      expectError(await mesh.admin("POST", "/services/billing/origins", { url }), 422, "ERR_ORIGIN_NOT_ALLOWED");
      expectError(await mesh.admin("PUT", "/services/billing/origins/meta", { url }), 422, "ERR_ORIGIN_NOT_ALLOWED");
    },
  );

  it("registers nothing when it refuses", async () => {
    const res = await mesh.admin("GET", "/services/billing/origins");
    expect(res.json.origins).toEqual([]);
  });
});
