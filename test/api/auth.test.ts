import { SignJWT, base64url } from "jose";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { api, env, token } from "../helpers/admin";

const key = new TextEncoder().encode(env.MESH_ADMIN_SECRET!);
const app = createApp();

/** Calls the app with a custom environment (auth settings differ per test). */
async function call(
  vars: Record<string, string | undefined>,
  bearer: string | null,
  method = "GET",
  path = "/services",
) {
  const headers: Record<string, string> = bearer === null ? {} : { authorization: `Bearer ${bearer}` };
  const res = await app.request(`/_mesh/api/v1${path}`, { method, headers }, { ...env, ...vars });
  return {
    status: res.status,
    headers: res.headers,
    json: (await res.json()) as { error: { code: string; message: string } },
  };
}

describe("admin API authentication", () => {
  it("answers 401 with a Bearer challenge when the token is missing", async () => {
    const res = await api("GET", "/services", undefined, { token: null });
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe("ERR_UNAUTHENTICATED");
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("rejects a token signed with another key", async () => {
    const res = await api("GET", "/services", undefined, {
      token: await token("mesh:read", {}, "another-secret-that-is-long-enough-0123456789"),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("rejects an unsigned alg:none token", async () => {
    const enc = (o: object) => base64url.encode(JSON.stringify(o));
    const unsigned = `${enc({ alg: "none", typ: "JWT" })}.${enc({ scope: "mesh:read mesh:write", exp: Math.floor(Date.now() / 1000) + 600 })}.`;
    expect((await api("GET", "/services", undefined, { token: unsigned })).status).toBe(401);
  });

  it("rejects an expired token and a token without exp", async () => {
    const expired = await new SignJWT({ scope: "mesh:read" })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(key);
    const noExp = await new SignJWT({ scope: "mesh:read" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt()
      .sign(key);
    const a = await api("GET", "/services", undefined, { token: expired });
    const b = await api("GET", "/services", undefined, { token: noExp });
    expect([a.status, b.status]).toEqual([401, 401]);
    expect(a.json.error.message).toMatch(/expired/);
    expect(b.json.error.message).toMatch(/exp/);
  });

  it("enforces aud and iss when they are configured", async () => {
    const vars = { MESH_ADMIN_AUDIENCE: "flaremesh-admin", MESH_ADMIN_ISSUER: "https://idp.example.com" };
    const sign = (claims: { aud?: string; iss?: string }) => {
      const jwt = new SignJWT({ scope: "mesh:read" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m");
      if (claims.aud) jwt.setAudience(claims.aud);
      if (claims.iss) jwt.setIssuer(claims.iss);
      return jwt.sign(key);
    };
    expect((await call(vars, await sign({ aud: "other", iss: vars.MESH_ADMIN_ISSUER }))).status).toBe(401);
    expect(
      (await call(vars, await sign({ aud: vars.MESH_ADMIN_AUDIENCE, iss: "https://evil.example.com" }))).status,
    ).toBe(401);
    expect((await call(vars, await sign({ iss: vars.MESH_ADMIN_ISSUER }))).status).toBe(401);
    expect((await call(vars, await sign({ aud: vars.MESH_ADMIN_AUDIENCE, iss: vars.MESH_ADMIN_ISSUER }))).status).toBe(
      200,
    );
  });

  it("answers 503 ERR_AUTH_NOT_CONFIGURED when no key is configured, whatever is sent", async () => {
    const res = await call({ MESH_ADMIN_SECRET: undefined }, await token());
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe("ERR_AUTH_NOT_CONFIGURED");
    expect((await call({ MESH_ADMIN_SECRET: "" }, null)).status).toBe(503);
  });
});

describe("admin API scopes", () => {
  it("needs mesh:read to read and mesh:write to change", async () => {
    expect((await api("GET", "/services", undefined, { scope: "mesh:write" })).status).toBe(403);
    expect((await api("GET", "/services", undefined, { scope: "mesh:read" })).status).toBe(200);
    const denied = await api("PUT", "/services/s1", { routes: [{}] }, { scope: "mesh:read" });
    expect(denied.status).toBe(403);
    expect(denied.json.error.code).toBe("ERR_FORBIDDEN");
    expect(denied.json.error.message).toContain("mesh:write");
    expect((await api("PUT", "/services/s1", { routes: [{}] }, { scope: "mesh:write" })).status).toBe(201);
  });

  it("does not let a heartbeat token write", async () => {
    const res = await api("DELETE", "/services/s1", undefined, { scope: "mesh:heartbeat" });
    expect(res.status).toBe(403);
    expect((await api("GET", "/services/s1")).status).toBe(200);
  });

  it("limits a heartbeat token with a svc claim to that service", async () => {
    // No active checks: these origins' names do not resolve, and must not be looked up.
    await api("PUT", "/services/hb1", { routes: [{}], health_check: null });
    await api("PUT", "/services/hb2", { routes: [{}], health_check: null });
    await api("PUT", "/services/hb1/origins/o1", { url: "https://o1.example.com", ttl_s: 60 });
    await api("PUT", "/services/hb2/origins/o1", { url: "https://o1.example.com", ttl_s: 60 });
    const scoped = await token("mesh:heartbeat", { svc: "hb1" });
    expect((await api("PUT", "/services/hb1/origins/o1/heartbeat", undefined, { token: scoped })).status).toBe(200);
    const other = await api("PUT", "/services/hb2/origins/o1/heartbeat", undefined, { token: scoped });
    expect(other.status).toBe(403);
    expect(other.json.error.message).toContain("hb1");
  });

  it("refuses a heartbeat token without a svc claim (403), which would renew every service's origins", async () => {
    await api("PUT", "/services/hb3", { routes: [{}], health_check: null });
    await api("PUT", "/services/hb3/origins/o1", { url: "https://o1.example.com", ttl_s: 60 });
    const res = await api("PUT", "/services/hb3/origins/o1/heartbeat", undefined, { scope: "mesh:heartbeat" });
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe("ERR_FORBIDDEN");
    expect(res.json.error.message).toContain("must carry a svc claim");
  });
});
