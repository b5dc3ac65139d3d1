import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../src/app-types";
import { adminAuth, authChallenge, requireScope } from "../../src/auth/middleware";
import type { MeshEnv } from "../../src/config";
import { MeshError, errorResponse } from "../../src/errors";

const meshEnv = env as MeshEnv;

// A stand-in for the real app: the same middleware, and an onError that renders MeshError with its challenge.
const app = new Hono<AppEnv>();
app.use("/api/*", adminAuth());
app.get("/api/services", requireScope("read"), (c) => c.json({ services: [], subject: c.get("principal").subject }));
app.put("/api/services/:name", requireScope("write"), (c) => c.json({ name: c.req.param("name") }));
app.put("/api/services/:name/origins/:id/heartbeat", requireScope("heartbeat"), (c) =>
  c.json({ renewed: c.req.param("name") }),
);
app.onError((err) => {
  const e = err instanceof MeshError ? err : new MeshError("ERR_INTERNAL", "internal error");
  return errorResponse(e, "req-1", authChallenge(e));
});

const token = (claims: Record<string, unknown>, secret = meshEnv.MESH_ADMIN_SECRET!) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(secret));

async function call(method: string, path: string, authorization?: string, e: Partial<MeshEnv> = meshEnv) {
  const headers = authorization === undefined ? undefined : { Authorization: authorization };
  const res = await app.request(path, { method, headers }, e);
  return { res, body: (await res.json()) as { error?: { code: string; message: string; request_id: string } } };
}

describe("adminAuth", () => {
  it("answers 200 for a token with the needed scope", async () => {
    const { res, body } = await call(
      "GET",
      "/api/services",
      `Bearer ${await token({ scope: "mesh:read", sub: "alice" })}`,
    );
    expect(res.status).toBe(200);
    expect(body).toEqual({ services: [], subject: "alice" });
  });

  it("accepts the scheme in any case", async () => {
    const { res } = await call("GET", "/api/services", `bearer ${await token({ scope: "mesh:read" })}`);
    expect(res.status).toBe(200);
  });

  it("answers 401 with a bare Bearer challenge when no token is sent", async () => {
    const { res, body } = await call("GET", "/api/services");
    expect(res.status).toBe(401);
    expect(body.error?.code).toBe("ERR_UNAUTHENTICATED");
    expect(body.error?.request_id).toBe("req-1");
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="flaremesh"');
  });

  it.each([
    ["a Basic header", "Basic dXNlcjpwYXNz"],
    ["Bearer without a token", "Bearer"],
    ["a token with spaces", "Bearer abc def"],
  ])("answers 401 invalid_token for %s", async (_name, header) => {
    const { res, body } = await call("GET", "/api/services", header);
    expect(res.status).toBe(401);
    expect(body.error?.code).toBe("ERR_UNAUTHENTICATED");
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="flaremesh", error="invalid_token"');
  });

  it("answers 401 invalid_token for a token signed with another key", async () => {
    const forged = await token({ scope: "mesh:read" }, "not-the-mesh-secret-0123456789-0123456789");
    const { res, body } = await call("GET", "/api/services", `Bearer ${forged}`);
    expect(res.status).toBe(401);
    expect(body.error?.message).toMatch(/signature invalid/);
    expect(res.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
  });

  it("answers 403 insufficient_scope when the scope is missing", async () => {
    const { res, body } = await call("PUT", "/api/services/users", `Bearer ${await token({ scope: "mesh:read" })}`);
    expect(res.status).toBe(403);
    expect(body.error?.code).toBe("ERR_FORBIDDEN");
    expect(body.error?.message).toBe("token lacks scope mesh:write");
    expect(res.headers.get("WWW-Authenticate")).toContain('error="insufficient_scope"');
  });

  it("lets a heartbeat token renew only the service in its svc claim", async () => {
    const auth = `Bearer ${await token({ scope: "mesh:heartbeat", svc: "users" })}`;
    expect((await call("PUT", "/api/services/users/origins/o1/heartbeat", auth)).res.status).toBe(200);
    expect((await call("PUT", "/api/services/billing/origins/o1/heartbeat", auth)).res.status).toBe(403);
    expect((await call("PUT", "/api/services/users", auth)).res.status).toBe(403);
  });

  it("answers 503 ERR_AUTH_NOT_CONFIGURED without a key, with or without a token", async () => {
    const unconfigured = { ...meshEnv, MESH_ADMIN_SECRET: undefined };
    for (const header of [undefined, `Bearer ${await token({ scope: "mesh:read" })}`]) {
      const { res, body } = await call("GET", "/api/services", header, unconfigured);
      expect(res.status).toBe(503);
      expect(body.error?.code).toBe("ERR_AUTH_NOT_CONFIGURED");
      expect(res.headers.get("WWW-Authenticate")).toBeNull();
    }
  });
});
