import { describe, expect, it } from "vitest";
import { registry } from "../../src/clients/registry";
import { SERVICE, api, env } from "../helpers/admin";
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

describe("secrets in service reads", () => {
  const checked = (headers: Record<string, string>) => ({
    routes: [{ path_prefix: "/sec" }],
    health_check: { path: "/healthz", headers },
  });

  it("redacts credential-like health_check.headers in every read, and a read written back keeps the secret", async () => {
    const put = await api("PUT", "/services/sec", checked({ Authorization: "Bearer s3cret", "x-tag": "blue" }));
    expect(put.status).toBe(201);
    expect(put.json.health_check.headers).toEqual({ Authorization: "[redacted]", "x-tag": "blue" });
    const one = await api("GET", "/services/sec");
    expect(one.json.health_check.headers).toEqual({ Authorization: "[redacted]", "x-tag": "blue" });
    const all = await api("GET", "/services");
    const listed = all.json.services.find((s: { name: string }) => s.name === "sec");
    expect(listed.health_check.headers.Authorization).toBe("[redacted]");
    expect(JSON.stringify(all.json)).not.toContain("s3cret");

    const { name: _n, origins: _o, ...body } = one.json;
    expect((await api("PUT", "/services/sec", { ...body, timeout_ms: 9000 })).status).toBe(200);
    const stored = await registry(env).getService("sec");
    expect(stored?.health_check?.headers).toEqual({ Authorization: "Bearer s3cret", "x-tag": "blue" });
    expect(stored?.timeout_ms).toBe(9000);
  });

  it("refuses '[redacted]' where no value is stored (400), naming the header", async () => {
    const res = await api("PUT", "/services/sec2", checked({ "x-api-key": "[redacted]" }));
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("ERR_VALIDATION");
    expect(res.json.error.details[0].path).toBe("health_check.headers.x-api-key");
  });
});
