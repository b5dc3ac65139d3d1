import { exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithTimeout, waitFor } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";
import { registerService } from "./harness/services";

// Intentions over HTTP (SPEC §9): who may call whom, decided by the isolate, explained in the 403.

let mesh: Mesh;
let origin: Origin;
let billing: string;
beforeAll(async () => {
  const { privateKey } = await generateKeyPair("EdDSA", { extractable: true });
  const keys = JSON.stringify([{ ...(await exportJWK(privateKey)), kid: "e2e-1" }]);
  [mesh, origin] = await Promise.all([startMesh({ vars: { MESH_SIGNING_KEYS: keys } }), startOrigin({ name: "int" })]);
  const url = mesh.expose(origin);
  await registerService(mesh, "users", [url]);
  await registerService(mesh, "shop", [url]);
  billing = (await mesh.admin("POST", "/service-tokens", { service: "billing" })).json.token;
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), origin?.stop()]);
});

const call = (path: string, opts: { caller?: string; method?: string } = {}) =>
  fetchWithTimeout(`${mesh.url}${path}`, {
    method: opts.method ?? "GET",
    headers: opts.caller ? { "x-mesh-caller": opts.caller } : {},
    timeoutMs: 20_000,
  });

async function expectDenied(res: Response, by: string) {
  expect(res.status).toBe(403);
  const body = (await res.json()) as any;
  expect(body.error.code).toBe("ERR_FORBIDDEN_BY_POLICY");
  expect(body.error.message).toContain(by);
  return body;
}

describe("intentions", () => {
  it("allow everything while there are none (MESH_DEFAULT_INTENTION allow)", async () => {
    expect((await call("/users/x")).status).toBe(200);
    expect((await mesh.admin("GET", "/intentions")).json).toEqual({ intentions: [] });
  });

  it("decide by precedence and first matching permission, in the 403 and in /intentions/check", async () => {
    const deny = await mesh.admin("PUT", "/intentions/*/users", { action: "deny", description: "users is internal" });
    expect(deny.status).toBe(201);
    expect(deny.json).toEqual({
      source: "*",
      destination: "users",
      action: "deny",
      permissions: [],
      description: "users is internal",
    });
    const allow = await mesh.admin("PUT", "/intentions/billing/users", {
      action: "allow",
      permissions: [{ action: "deny", path_prefix: "/users/admin", methods: ["POST"] }],
    });
    expect(allow.status).toBe(201);

    // Every isolate decides from its snapshot; this one sees its own writes at once.
    await expectDenied(
      await call("/users/x"),
      "caller 'external' may not GET /users/x on 'users': intention * → users",
    );
    expect((await call("/users/x", { caller: billing })).status).toBe(200);
    await expectDenied(await call("/users/admin/x", { caller: billing, method: "POST" }), "intention billing → users");
    expect((await call("/users/admin/x", { caller: billing })).status).toBe(200);
    expect((await call("/shop/x")).status).toBe(200); // no intention for shop: the default

    const check = (q: string) => mesh.admin("GET", `/intentions/check?${q}`);
    expect((await check("source=external&destination=users")).json).toEqual({ allowed: false, matched: "* → users" });
    expect((await check("source=billing&destination=users&method=post&path=/users/admin")).json).toEqual({
      allowed: false,
      matched: "billing → users",
    });
    expect((await check("source=billing&destination=shop")).json).toEqual({ allowed: true, matched: null });
  });

  it("log a denied request with its caller, and make every change an event", async () => {
    const res = await call("/users/denied-and-logged");
    const id = res.headers.get("x-request-id");
    await expectDenied(res, "* → users");
    const logged = await waitFor(async () => {
      const logs = (await mesh.admin("GET", "/logs?limit=50", undefined, "mesh:read")).json.logs as any[];
      return logs.find((l) => l.request_id === id);
    });
    expect(logged).toMatchObject({ status: 403, caller: "external", error_code: "ERR_FORBIDDEN_BY_POLICY" });

    const events = (await mesh.admin("GET", "/events?service=users&limit=20")).json.events as any[];
    expect(events.map((e) => e.reason)).toEqual(
      expect.arrayContaining(["intention * → users: deny", "intention billing → users: allow (1 permission)"]),
    );
  });

  it("are replaced (200), deleted (204, then 404) and validated (400)", async () => {
    expect((await mesh.admin("PUT", "/intentions/*/users", { action: "allow" })).status).toBe(200);
    expect((await call("/users/x")).status).toBe(200);
    expect((await mesh.admin("DELETE", "/intentions/*/users")).status).toBe(204);
    expect((await mesh.admin("DELETE", "/intentions/*/users")).status).toBe(404);
    const bad = await mesh.admin("PUT", "/intentions/Bad Name/users", { action: "allow" });
    expect(bad.status).toBe(400);
    expect((await mesh.admin("PUT", "/intentions/a/b", { action: "maybe" })).status).toBe(400);
    expect((await mesh.admin("PUT", "/intentions/a/external", { action: "allow" })).status).toBe(201);
  });
});

describe("MESH_DEFAULT_INTENTION=deny", () => {
  it("denies a pair no intention matches, and says so", async () => {
    const strict = await startMesh({ vars: { MESH_DEFAULT_INTENTION: "deny" } });
    try {
      await registerService(strict, "users", [strict.expose(origin)]);
      const res = await fetchWithTimeout(`${strict.url}/users/x`, { timeoutMs: 20_000 });
      await expectDenied(res, "no intention matches and MESH_DEFAULT_INTENTION is deny");
      expect((await strict.admin("PUT", "/intentions/external/users", { action: "allow" })).status).toBe(201);
      expect((await fetchWithTimeout(`${strict.url}/users/x`, { timeoutMs: 20_000 })).status).toBe(200);
    } finally {
      await strict.stop();
    }
  });
});
