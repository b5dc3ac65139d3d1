import { generateKeyPair, exportJWK, createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithTimeout } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";
import { registerService } from "./harness/services";

// Caller identity over HTTP (SPEC §9): service tokens in x-mesh-caller, the caller in x-mesh-identity's sub.

let mesh: Mesh;
let origin: Origin;
beforeAll(async () => {
  const { privateKey } = await generateKeyPair("EdDSA", { extractable: true });
  const keys = JSON.stringify([{ ...(await exportJWK(privateKey)), kid: "e2e-1" }]);
  [mesh, origin] = await Promise.all([
    startMesh({ vars: { MESH_SIGNING_KEYS: keys, MESH_DEV_REQUEST_CF: "true" } }),
    startOrigin({ name: "who" }),
  ]);
  await registerService(mesh, "users", [mesh.expose(origin)]);
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), origin?.stop()]);
});

/** What the origin saw of a request sent with these headers: the caller its x-mesh-identity names. */
async function seenCaller(headers: Record<string, string>) {
  const res = await fetchWithTimeout(`${mesh.url}/users/echo`, { headers, timeoutMs: 20_000 });
  expect(res.status).toBe(200);
  const seen = ((await res.json()) as { headers: Record<string, string> }).headers;
  const jwks = (await (await fetchWithTimeout(`${mesh.url}/_mesh/.well-known/jwks.json`)).json()) as any;
  const { payload } = await jwtVerify(seen["x-mesh-identity"]!, createLocalJWKSet(jwks), {
    issuer: "flaremesh",
    audience: "users",
  });
  return { sub: payload.sub, headers: seen };
}

describe("service tokens", () => {
  it("mints a token (201) that makes its service the caller the origin sees; the header never reaches it", async () => {
    const minted = await mesh.admin("POST", "/service-tokens", { service: "billing", ttl_s: 600 });
    expect(minted.status).toBe(201);
    expect(minted.json).toMatchObject({ service: "billing", token: expect.any(String) });
    expect(Date.parse(minted.json.expires_at) - Date.now()).toBeGreaterThan(590_000);
    const { sub, headers } = await seenCaller({ "x-mesh-caller": minted.json.token });
    expect(sub).toBe("billing");
    expect(headers["x-mesh-caller"]).toBeUndefined();
  });

  it("makes a request without a valid token external", async () => {
    expect((await seenCaller({})).sub).toBe("external");
    expect((await seenCaller({ "x-mesh-caller": "forged.token.here" })).sub).toBe("external");
  });

  it("validates the body and needs mesh:write", async () => {
    const bad = await mesh.admin("POST", "/service-tokens", { service: "Bad Name" });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0].path).toBe("service");
    expect((await mesh.admin("POST", "/service-tokens", { service: "a", ttl_s: 10 })).status).toBe(400);
    expect((await mesh.admin("POST", "/service-tokens", { service: "a" }, "mesh:read")).status).toBe(403);
  });
});

describe("client certificates", () => {
  it("make a verified, mapped certificate's service the caller; an unverified one stays external", async () => {
    const dn = "CN=orders,O=Example";
    expect((await mesh.admin("PUT", "/identities/orders", { cert_subject_dn: dn })).status).toBe(201);
    // x-mesh-dev-cf stands in for Cloudflare's request.cf.tlsClientAuth (MESH_DEV_REQUEST_CF, local only).
    const cf = (certVerified: string) => JSON.stringify({ tlsClientAuth: { certVerified, certSubjectDN: dn } });
    expect((await seenCaller({ "x-mesh-dev-cf": cf("SUCCESS") })).sub).toBe("orders");
    expect((await seenCaller({ "x-mesh-dev-cf": cf("FAILED:expired") })).sub).toBe("external");
    // A valid token wins over the certificate.
    const minted = await mesh.admin("POST", "/service-tokens", { service: "billing", ttl_s: 600 });
    expect((await seenCaller({ "x-mesh-dev-cf": cf("SUCCESS"), "x-mesh-caller": minted.json.token })).sub).toBe(
      "billing",
    );
  });
});

describe("service tokens without a signing key", () => {
  it("answers 503 ERR_AUTH_NOT_CONFIGURED saying what to set", async () => {
    const bare = await startMesh();
    try {
      const res = await bare.admin("POST", "/service-tokens", { service: "billing" });
      expect(res.status).toBe(503);
      expect(res.json.error.code).toBe("ERR_AUTH_NOT_CONFIGURED");
      expect(res.json.error.message).toContain("MESH_SIGNING_KEYS");
    } finally {
      await bare.stop();
    }
  });
});
