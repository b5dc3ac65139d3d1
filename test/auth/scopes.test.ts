import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import type { AppEnv, Principal } from "../../src/app-types";
import { assertRoutesScoped, requireScope } from "../../src/auth/middleware";
import { type Need, authorize } from "../../src/auth/scopes";
import { MeshError } from "../../src/errors";
import { api, token } from "../helpers/admin";

const principal = (scope: string, service: string | null = null): Principal => ({
  subject: "t",
  scopes: new Set(scope.split(" ").filter(Boolean)),
  service,
});

const read: Need = { kind: "read" };
const write: Need = { kind: "write" };
const beat = (service: string): Need => ({ kind: "heartbeat", service });

function outcome(p: Principal, need: Need): "ok" | string {
  try {
    authorize(p, need);
    return "ok";
  } catch (err) {
    expect(err).toBeInstanceOf(MeshError);
    expect((err as MeshError).status).toBe(403);
    return (err as MeshError).code;
  }
}

describe("authorize", () => {
  it.each<[string, Principal, Need, string]>([
    ["a read token may read", principal("mesh:read"), read, "ok"],
    ["a read token may not write", principal("mesh:read"), write, "ERR_FORBIDDEN"],
    ["a read token may not heartbeat", principal("mesh:read"), beat("users"), "ERR_FORBIDDEN"],
    ["a write token may write", principal("mesh:write"), write, "ok"],
    ["a write token does not imply read", principal("mesh:write"), read, "ERR_FORBIDDEN"],
    ["a write token may heartbeat any service", principal("mesh:write"), beat("users"), "ok"],
    [
      "a write token with svc may still heartbeat other services",
      principal("mesh:write", "users"),
      beat("billing"),
      "ok",
    ],
    ["a heartbeat token without svc may not heartbeat", principal("mesh:heartbeat"), beat("users"), "ERR_FORBIDDEN"],
    ["a heartbeat token may not write", principal("mesh:heartbeat"), write, "ERR_FORBIDDEN"],
    [
      "a heartbeat token with svc may not write its own service",
      principal("mesh:heartbeat", "users"),
      write,
      "ERR_FORBIDDEN",
    ],
    ["a heartbeat token may not read", principal("mesh:heartbeat"), read, "ERR_FORBIDDEN"],
    [
      "a heartbeat token with svc may heartbeat that service",
      principal("mesh:heartbeat", "users"),
      beat("users"),
      "ok",
    ],
    [
      "a heartbeat token with svc may not heartbeat another service",
      principal("mesh:heartbeat", "users"),
      beat("billing"),
      "ERR_FORBIDDEN",
    ],
    ["a token without scopes may do nothing", principal(""), read, "ERR_FORBIDDEN"],
    ["scope names match exactly", principal("mesh:writer mesh:read:all"), write, "ERR_FORBIDDEN"],
  ])("%s", (_name, p, need, expected) => {
    expect(outcome(p, need)).toBe(expected);
  });

  it("names the missing scope in the message", () => {
    expect(() => authorize(principal("mesh:read"), write)).toThrow("token lacks scope mesh:write");
    expect(() => authorize(principal(""), read)).toThrow("token lacks scope mesh:read");
    expect(() => authorize(principal("mesh:heartbeat", "users"), beat("billing"))).toThrow(/only for service 'users'/);
  });
});

describe("the scope each admin route declares", () => {
  const as = (scope: string) => ({ scope });

  it("GET and HEAD routes need mesh:read", async () => {
    expect((await api("GET", "/services", undefined, as("mesh:read"))).status).toBe(200);
    expect((await api("GET", "/services", undefined, as("mesh:write"))).status).toBe(403);
    expect((await api("HEAD", "/catalog", undefined, as("mesh:read"))).status).toBe(200);
    expect((await api("HEAD", "/catalog", undefined, as("mesh:write"))).status).toBe(403);
  });

  it("changes need mesh:write", async () => {
    const body = { routes: [{}] };
    expect((await api("PUT", "/services/scope-users", body, as("mesh:read"))).status).toBe(403);
    expect((await api("PUT", "/services/scope-users", body, as("mesh:heartbeat"))).status).toBe(403);
    expect((await api("PUT", "/services/scope-users", body, as("mesh:write"))).status).toBe(201);
  });

  it("PUT …/heartbeat needs a heartbeat for the service named in its path", async () => {
    // No active checks: the origin's name does not resolve, and must not be looked up.
    await api("PUT", "/services/scope-users", { routes: [{}], health_check: null });
    await api("PUT", "/services/scope-users/origins/u1", { url: "https://u1.example.com", ttl_s: 60 });
    const path = "/services/scope-users/origins/u1/heartbeat";
    expect(
      (await api("PUT", path, undefined, { token: await token("mesh:heartbeat", { svc: "scope-users" }) })).status,
    ).toBe(200);
    const other = await api("PUT", path, undefined, { token: await token("mesh:heartbeat", { svc: "billing" }) });
    expect(other.status).toBe(403);
    expect(other.json.error.message).toContain("'billing', not 'scope-users'");
  });

  it("grants no heartbeat for another method on a heartbeat path: it is no route for it (405, Allow: PUT)", async () => {
    const path = "/services/scope-users/origins/u1/heartbeat";
    for (const scope of ["mesh:heartbeat", "mesh:write"]) {
      const res = await api("DELETE", path, undefined, as(scope));
      expect({ scope, status: res.status, code: res.json.error.code, allow: res.headers.get("allow") }).toEqual({
        scope,
        status: 405,
        code: "ERR_METHOD_NOT_ALLOWED",
        allow: "PUT",
      });
    }
  });
});

describe("assertRoutesScoped", () => {
  const route = (path: string, middleware?: ReturnType<typeof requireScope>[]) =>
    createRoute({
      method: "get",
      path,
      ...(middleware ? { middleware } : {}),
      responses: { 200: { content: { "application/json": { schema: z.object({}) } }, description: "ok" } },
    });

  it("refuses to build an API with a route that declares no scope, naming it", () => {
    const app = new OpenAPIHono<AppEnv>();
    app.openapi(route("/scoped", [requireScope("read")]), (c) => c.json({}, 200));
    app.openapi(route("/forgotten"), (c) => c.json({}, 200));
    expect(() => assertRoutesScoped(app, [])).toThrow(/GET \/forgotten/);
  });

  it("also catches a route registered outside zod-openapi", () => {
    const app = new OpenAPIHono<AppEnv>();
    app.put("/plain", (c) => c.json({}));
    app.get("/files/*", (c) => c.json({}));
    expect(() => assertRoutesScoped(app, [])).toThrow(/PUT \/plain, GET \/files\/\*/);
  });

  it("accepts scoped routes, middleware for every path and the public paths it is given", () => {
    const app = new OpenAPIHono<AppEnv>();
    app.use("*", async (_c, next) => next());
    app.openapi(route("/scoped", [requireScope("read")]), (c) => c.json({}, 200));
    app.get("/doc", (c) => c.json({}));
    expect(() => assertRoutesScoped(app, ["/doc"])).not.toThrow();
  });
});
