import { env } from "cloudflare:workers";
import { type JWTPayload, SignJWT, base64url, exportJWK, generateKeyPair } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { verifyAdminToken } from "../../src/auth/admin-token";
import type { MeshEnv } from "../../src/config";
import { MeshError } from "../../src/errors";

const meshEnv = env as MeshEnv;
const SECRET = meshEnv.MESH_ADMIN_SECRET!;
const now = () => Math.floor(Date.now() / 1000);

function mint(claims: JWTPayload, { secret = SECRET, alg = "HS256", exp = true } = {}) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg }).setIssuedAt();
  if (exp) jwt.setExpirationTime("1h");
  return jwt.sign(new TextEncoder().encode(secret));
}

async function rejection(promise: Promise<unknown>): Promise<MeshError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MeshError);
  return err as MeshError;
}

describe("verifyAdminToken with MESH_ADMIN_SECRET (HS256)", () => {
  it("accepts a valid token and reads scopes, svc and sub", async () => {
    const token = await mint({ scope: "mesh:read  mesh:heartbeat", svc: "users", sub: "ci" });
    const p = await verifyAdminToken(token, meshEnv);
    expect([...p.scopes].sort()).toEqual(["mesh:heartbeat", "mesh:read"]);
    expect(p.service).toBe("users");
    expect(p.subject).toBe("ci");
  });

  it("gives a token without scope or svc no scopes and no service restriction", async () => {
    const p = await verifyAdminToken(await mint({}), meshEnv);
    expect(p.scopes.size).toBe(0);
    expect(p.service).toBeNull();
    expect(p.subject).toBeNull();
  });

  it.each([
    ["garbage", async () => "not-a-jwt", /malformed/],
    [
      "a token signed with another secret",
      () => mint({ scope: "mesh:read" }, { secret: "another-secret-0123456789-0123456789-xyz" }),
      /signature invalid/,
    ],
    ["HS512 with the right secret", () => mint({ scope: "mesh:read" }, { alg: "HS512" }), /algorithm not allowed/],
    ["a token without exp", () => mint({ scope: "mesh:read" }, { exp: false }), /no exp claim/],
    [
      "an expired token",
      () =>
        new SignJWT({ scope: "mesh:read" })
          .setProtectedHeader({ alg: "HS256" })
          .setIssuedAt(now() - 3600)
          .setExpirationTime(now() - 60)
          .sign(new TextEncoder().encode(SECRET)),
      /token expired/,
    ],
    [
      "an unsecured alg:none token",
      async () =>
        `${base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }))}.${base64url.encode(
          JSON.stringify({ scope: "mesh:read mesh:write", exp: now() + 3600 }),
        )}.`,
      /algorithm not allowed/,
    ],
    ["a non-string scope claim", () => mint({ scope: ["mesh:write"] }), /invalid scope claim/],
    ["a non-string svc claim", () => mint({ scope: "mesh:heartbeat", svc: ["users"] }), /invalid svc claim/],
  ])("rejects %s with 401 ERR_UNAUTHENTICATED", async (_name, make, message) => {
    const err = await rejection(verifyAdminToken(await make(), meshEnv));
    expect(err.code).toBe("ERR_UNAUTHENTICATED");
    expect(err.status).toBe(401);
    expect(err.message).toMatch(message);
  });

  it("refuses a token valid for longer than MESH_ADMIN_MAX_TTL_S (default a day), within the clock tolerance", async () => {
    const lasting = (s: number) =>
      new SignJWT({ scope: "mesh:read" })
        .setProtectedHeader({ alg: "HS256" })
        .setExpirationTime(now() + s)
        .sign(new TextEncoder().encode(SECRET));
    const err = await rejection(verifyAdminToken(await lasting(10 * 365 * 86_400), meshEnv));
    expect(err.code).toBe("ERR_UNAUTHENTICATED");
    expect(err.message).toMatch(/more than MESH_ADMIN_MAX_TTL_S \(86400 s\)/);
    expect((await rejection(verifyAdminToken(await lasting(86_400 + 60), meshEnv))).status).toBe(401);
    await expect(verifyAdminToken(await lasting(86_400), meshEnv)).resolves.toBeDefined();
    const week = { ...meshEnv, MESH_ADMIN_MAX_TTL_S: String(7 * 86_400) };
    await expect(verifyAdminToken(await lasting(6 * 86_400), week)).resolves.toBeDefined();
  });

  it("enforces MESH_ADMIN_AUDIENCE when set", async () => {
    const e = { ...meshEnv, MESH_ADMIN_AUDIENCE: "flaremesh-admin" };
    const wrong = await mint({ aud: "someone-else" });
    expect((await rejection(verifyAdminToken(wrong, e))).message).toMatch(/unexpected aud/);
    expect((await rejection(verifyAdminToken(await mint({}), e))).message).toMatch(/no aud claim/);
    await expect(verifyAdminToken(await mint({ aud: "flaremesh-admin" }), e)).resolves.toBeDefined();
  });

  it("enforces MESH_ADMIN_ISSUER when set", async () => {
    const e = { ...meshEnv, MESH_ADMIN_ISSUER: "https://idp.example.com" };
    const err = await rejection(verifyAdminToken(await mint({ iss: "https://evil.example.com" }), e));
    expect(err.code).toBe("ERR_UNAUTHENTICATED");
    expect(err.message).toMatch(/unexpected iss/);
    await expect(verifyAdminToken(await mint({ iss: "https://idp.example.com" }), e)).resolves.toBeDefined();
  });

  it("treats a secret shorter than 32 bytes as not configured (503)", async () => {
    const short = "short-secret-31-bytes-long-xxxx";
    const token = await mint({ scope: "mesh:read" }, { secret: short });
    const err = await rejection(verifyAdminToken(token, { ...meshEnv, MESH_ADMIN_SECRET: short }));
    expect(err.code).toBe("ERR_AUTH_NOT_CONFIGURED");
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/too short/);
  });

  it("refuses every token when no key is configured (503, never open)", async () => {
    const token = await mint({ scope: "mesh:read mesh:write" });
    for (const e of [
      { ...meshEnv, MESH_ADMIN_SECRET: undefined },
      { ...meshEnv, MESH_ADMIN_SECRET: "  " },
    ]) {
      const err = await rejection(verifyAdminToken(token, e));
      expect(err.code).toBe("ERR_AUTH_NOT_CONFIGURED");
    }
  });
});

describe("verifyAdminToken with MESH_ADMIN_JWKS_URL", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  // Each test uses its own URL: the JWKS getter (and jose's key cache) lives per URL for the isolate.
  async function serveJwks(url: string, keys: object[], status = 200) {
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      const target = input instanceof Request ? input.url : String(input);
      if (target !== url) throw new Error(`unexpected fetch ${target}`);
      return Response.json({ keys }, { status });
    });
    return spy;
  }

  async function keyPair(alg: "ES256" | "RS256" | "EdDSA", kid: string) {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
    const sign = (claims: JWTPayload) =>
      new SignJWT(claims).setProtectedHeader({ alg, kid }).setIssuedAt().setExpirationTime("10m").sign(privateKey);
    return { jwk, sign };
  }

  it.each(["ES256", "RS256", "EdDSA"] as const)("accepts a %s token signed by a key in the JWKS", async (alg) => {
    const url = `https://idp.example.com/${alg}/jwks.json`;
    const { jwk, sign } = await keyPair(alg, `k-${alg}`);
    const spy = await serveJwks(url, [jwk]);
    const e = { ...meshEnv, MESH_ADMIN_JWKS_URL: url };
    const p = await verifyAdminToken(await sign({ scope: "mesh:read", sub: "ops" }), e);
    expect(p.scopes.has("mesh:read")).toBe(true);
    expect(p.subject).toBe("ops");
    // The key set is cached: a second token does not refetch it.
    await verifyAdminToken(await sign({ scope: "mesh:write" }), e);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("rejects an HS256 token in JWKS mode even when signed with MESH_ADMIN_SECRET", async () => {
    const url = "https://idp.example.com/hs/jwks.json";
    const { jwk } = await keyPair("ES256", "k1");
    await serveJwks(url, [jwk]);
    const err = await rejection(
      verifyAdminToken(await mint({ scope: "mesh:write" }), { ...meshEnv, MESH_ADMIN_JWKS_URL: url }),
    );
    expect(err.code).toBe("ERR_UNAUTHENTICATED");
    expect(err.message).toMatch(/algorithm not allowed/);
  });

  it("rejects a token from a key that is not in the JWKS", async () => {
    const url = "https://idp.example.com/other/jwks.json";
    const served = await keyPair("ES256", "served");
    const stranger = await keyPair("ES256", "stranger");
    await serveJwks(url, [served.jwk]);
    const err = await rejection(
      verifyAdminToken(await stranger.sign({ scope: "mesh:write" }), { ...meshEnv, MESH_ADMIN_JWKS_URL: url }),
    );
    expect(err.code).toBe("ERR_UNAUTHENTICATED");
  });

  it("rejects a forged signature under a known kid", async () => {
    const url = "https://idp.example.com/forged/jwks.json";
    const real = await keyPair("ES256", "same-kid");
    const forger = await keyPair("ES256", "same-kid");
    await serveJwks(url, [real.jwk]);
    const err = await rejection(
      verifyAdminToken(await forger.sign({ scope: "mesh:write" }), { ...meshEnv, MESH_ADMIN_JWKS_URL: url }),
    );
    expect(err.code).toBe("ERR_UNAUTHENTICATED");
    expect(err.message).toMatch(/signature invalid/);
  });

  it("answers 503 when the JWKS cannot be fetched", async () => {
    const url = "https://idp.example.com/down/jwks.json";
    const { sign } = await keyPair("ES256", "k1");
    await serveJwks(url, [], 500);
    const err = await rejection(
      verifyAdminToken(await sign({ scope: "mesh:read" }), { ...meshEnv, MESH_ADMIN_JWKS_URL: url }),
    );
    expect(err.code).toBe("ERR_AUTH_NOT_CONFIGURED");
    expect(err.status).toBe(503);
  });
});
