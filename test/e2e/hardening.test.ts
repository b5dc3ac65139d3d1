import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithTimeout, waitFor } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";
import { registerService } from "./harness/services";

// What a probe of the running mesh found (issue "zero trust … and the hardening a probe found"), over HTTP.

let mesh: Mesh;
let origin: Origin;
beforeAll(async () => {
  [mesh, origin] = await Promise.all([startMesh(), startOrigin({ name: "hard" })]);
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), origin?.stop()]);
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetchWithTimeout(`${mesh.url}${path}`, { headers, timeoutMs: 20_000 });

describe("a mesh that is its own origin", () => {
  it("answers 508 after one request per hop: a mesh's own error is never retried", async () => {
    await mesh.admin("PUT", "/services/loop", { routes: [{ path_prefix: "/loop" }], health_check: null });
    // Twice itself, default retries (2): before the fix each hop tried up to 3 times.
    for (const name of ["self-a", "self-b"]) {
      const res = await mesh.admin("PUT", `/services/loop/origins/${name}`, {
        url: mesh.expose({ name, port: mesh.port }),
      });
      expect(res.status).toBe(201);
    }
    mesh.edge.clear();
    const res = await get("/loop/x");
    expect(res.status).toBe(508);
    expect(((await res.json()) as any).error.code).toBe("ERR_LOOP");
    expect(res.headers.get("x-mesh-error")).toBe("ERR_LOOP");
    const hops = mesh.edge.requests.filter((r) => r.url.includes("self-"));
    // The client's request and five forwarded hops; the sixth is the 508.
    expect(hops).toHaveLength(5);
  });
});

describe("headers towards origins", () => {
  it("drops client-IP, URL-rewrite, x-envoy-* and foreign x-mesh-* fields", async () => {
    await registerService(mesh, "hdr", [mesh.expose(origin)]);
    const res = await get("/hdr/echo", {
      "true-client-ip": "6.6.6.6",
      "x-client-ip": "6.6.6.6",
      "x-original-url": "/admin",
      "x-rewrite-url": "/admin",
      "x-envoy-original-path": "/admin",
      "x-mesh-identity": "forged",
      "x-mesh-caller": "forged",
      "x-custom": "kept",
    });
    expect(res.status).toBe(200);
    const seen = ((await res.json()) as { headers: Record<string, string> }).headers;
    for (const name of ["true-client-ip", "x-client-ip", "x-original-url", "x-rewrite-url", "x-envoy-original-path"])
      expect(seen[name], name).toBeUndefined();
    expect(seen["x-mesh-caller"]).toBeUndefined();
    expect(seen["x-mesh-identity"]).not.toBe("forged");
    expect(seen["x-custom"]).toBe("kept");
  });
});

describe("strip_prefix and the origin's own /_mesh", () => {
  it("refuses a path that would reach the origin's /_mesh unless the service opts in", async () => {
    await registerService(mesh, "api", [mesh.expose(origin)]);
    origin.reset();
    for (const path of ["/api/_mesh/api/v1/services", "/api/%5Fmesh/api/v1/services"]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe("ERR_NO_ROUTE");
      expect(body.error.message).toContain("forward_mesh_paths");
    }
    expect(origin.count).toBe(0);
    const svc = await mesh.admin("GET", "/services/api");
    const { name: _n, origins: _o, ...config } = svc.json;
    expect((await mesh.admin("PUT", "/services/api", { ...config, forward_mesh_paths: true })).status).toBe(200);
    await waitFor(async () => (await get("/api/_mesh/echo")).status === 200, { timeoutMs: 10_000 });
    expect(origin.requests.at(-1)?.url).toBe("/_mesh/echo");
  });
});

describe("admin tokens", () => {
  it("refuses a token that expires years from now, and a heartbeat token without svc", async () => {
    const forever = await mesh.token("mesh:read", { exp: Math.floor(Date.now() / 1000) + 10 * 365 * 86_400 });
    const res = await fetchWithTimeout(`${mesh.url}/_mesh/api/v1/services`, {
      headers: { authorization: `Bearer ${forever}` },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.message).toContain("MESH_ADMIN_MAX_TTL_S");

    await mesh.admin("PUT", "/services/beat", { routes: [{ path_prefix: "/beat" }], health_check: null });
    await mesh.admin("PUT", "/services/beat/origins/b1", { url: mesh.expose(origin), ttl_s: 60 });
    const beat = (token: string) =>
      fetchWithTimeout(`${mesh.url}/_mesh/api/v1/services/beat/origins/b1/heartbeat`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await beat(await mesh.token("mesh:heartbeat"))).status).toBe(403);
    expect((await beat(await mesh.token("mesh:heartbeat", { svc: "beat" }))).status).toBe(200);
  });
});

describe("caps", () => {
  it("refuses writes past MESH_MAX_SERVICES, MESH_MAX_ORIGINS_PER_SERVICE and MESH_MAX_ROUTES_PER_SERVICE (409)", async () => {
    const capped = await startMesh({
      vars: { MESH_MAX_SERVICES: "2", MESH_MAX_ORIGINS_PER_SERVICE: "2", MESH_MAX_ROUTES_PER_SERVICE: "2" },
    });
    try {
      const svc = (n: number) => ({ routes: [{ path_prefix: `/c${n}` }], health_check: null });
      expect((await capped.admin("PUT", "/services/c1", svc(1))).status).toBe(201);
      expect((await capped.admin("PUT", "/services/c2", svc(2))).status).toBe(201);
      const third = await capped.admin("PUT", "/services/c3", svc(3));
      expect(third.status).toBe(409);
      expect(third.json.error.code).toBe("ERR_LIMIT_EXCEEDED");
      expect(third.json.error.message).toContain("MESH_MAX_SERVICES");
      expect((await capped.admin("PUT", "/services/c1", svc(1))).status).toBe(200); // replacing is not adding

      const routes = [{ path_prefix: "/r1" }, { path_prefix: "/r2" }, { path_prefix: "/r3" }];
      const many = await capped.admin("PUT", "/services/c1", { routes, health_check: null });
      expect(many.status).toBe(409);
      expect(many.json.error.message).toContain("MESH_MAX_ROUTES_PER_SERVICE");

      const url = capped.expose(origin);
      expect((await capped.admin("POST", "/services/c1/origins", { url })).status).toBe(201);
      expect((await capped.admin("PUT", "/services/c1/origins/o2", { url })).status).toBe(201);
      const over = await capped.admin("POST", "/services/c1/origins", { url });
      expect(over.status).toBe(409);
      expect(over.json.error.message).toContain("MESH_MAX_ORIGINS_PER_SERVICE");
      expect((await capped.admin("PUT", "/services/c1/origins/o2", { url, weight: 3 })).status).toBe(200);
    } finally {
      await capped.stop();
    }
  });
});

describe("origins outlive their policy", () => {
  it("disables, never fetches and never routes to an IP origin once MESH_ALLOW_PRIVATE_ORIGINS is turned off", async () => {
    const dev = await startMesh({ vars: { MESH_ALLOW_PRIVATE_ORIGINS: "true" } });
    try {
      const put = await dev.admin("PUT", "/services/old", {
        routes: [{ path_prefix: "/old" }],
        health_check: { path: "/healthz", interval_s: 1 },
      });
      expect(put.status).toBe(201);
      expect((await dev.admin("PUT", "/services/old/origins/ip", { url: origin.url })).status).toBe(201);

      await dev.setVars({ MESH_ALLOW_PRIVATE_ORIGINS: "false" });
      const health = await waitFor(async () => {
        const res = await dev.admin("GET", "/services/old/health");
        const o = res.json.origins?.[0];
        return o?.health.status === "disabled" ? res.json : null;
      });
      expect(health.events.map((e: { reason: string }) => e.reason).join("\n")).toMatch(
        /policy: host 127\.0\.0\.1 is a loopback address, refused while MESH_ALLOW_PRIVATE_ORIGINS is not true/,
      );
      dev.edge.clear();
      const res = await fetchWithTimeout(`${dev.url}/old/x`, { timeoutMs: 20_000 });
      expect(res.status).toBe(503);
      expect(((await res.json()) as any).error.code).toBe("ERR_NO_HEALTHY_ORIGIN");
      // Three check intervals: no check and no request went to the IP address.
      await new Promise((r) => setTimeout(r, 3000));
      expect(dev.edge.requests.filter((r) => r.url.includes("127.0.0.1"))).toEqual([]);
    } finally {
      await dev.stop();
    }
  });
});
