import { describe, expect, it } from "vitest";
import { SERVICE, api } from "../helpers/admin";
import { SPEC_SERVICE_DEFAULTS } from "../fixtures/service-defaults";

describe("services API", () => {
  it("creates a service with every default filled in (201), then replaces it (200)", async () => {
    const created = await api("PUT", "/services/users", SERVICE);
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      name: "users",
      routes: [{ host: "api.example.com", path_prefix: "/users" }],
      ...SPEC_SERVICE_DEFAULTS,
    });
    const replaced = await api("PUT", "/services/users", {
      ...SERVICE,
      load_balancer: { policy: "ewma" },
      health_check: null,
    });
    expect(replaced.status).toBe(200);
    expect(replaced.json.load_balancer).toEqual({ policy: "ewma", hash_on: null });
    expect(replaced.json.health_check).toBeNull();
  });

  it("fills nested defaults when only some nested fields are given", async () => {
    const res = await api("PUT", "/services/orders", {
      ...SERVICE,
      retries: { attempts: 0 },
      health_check: { path: "/ready" },
    });
    expect(res.status).toBe(201);
    expect(res.json.retries).toEqual({
      attempts: 0,
      per_try_timeout_ms: 5000,
      retry_on: ["connect-failure", "timeout", "5xx"],
      budget_ratio: 0.2,
    });
    expect(res.json.health_check.path).toBe("/ready");
    expect(res.json.health_check.interval_s).toBe(10);
  });

  it("lists, reads with origins, and deletes services", async () => {
    await api("PUT", "/services/a", SERVICE);
    await api("PUT", "/services/b", { routes: [{ path_prefix: "/b" }] });
    const list = await api("GET", "/services");
    expect(list.status).toBe(200);
    const names = list.json.services.map((s: { name: string }) => s.name);
    expect(names).toEqual(expect.arrayContaining(["a", "b"]));
    expect(names).toEqual([...names].sort());
    const one = await api("GET", "/services/b");
    expect(one.json).toMatchObject({ name: "b", routes: [{ path_prefix: "/b" }], origins: [] });
    expect(one.json.routes[0].host).toBeUndefined();
    const del = await api("DELETE", "/services/a");
    expect(del.status).toBe(204);
    const gone = await api("GET", "/services/a");
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe("ERR_NOT_FOUND");
    expect(gone.json.error.message).toContain("'a'");
    expect((await api("DELETE", "/services/a")).status).toBe(404);
  });

  it("lower-cases route hosts and accepts leading wildcards", async () => {
    const res = await api("PUT", "/services/wild", { routes: [{ host: "*.Example.COM" }] });
    expect(res.status).toBe(201);
    expect(res.json.routes).toEqual([{ host: "*.example.com", path_prefix: "/" }]);
  });
});
