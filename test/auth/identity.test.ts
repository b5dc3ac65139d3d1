import {
  SignJWT,
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
} from "jose";
import { describe, expect, it } from "vitest";
import { IDENTITY_TTL_S, createIdentitySigner, publicJwks } from "../../src/auth/identity";
import { MeshError } from "../../src/errors";

async function privateJwk(alg: "EdDSA" | "ES256", extra: Record<string, unknown> = {}) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return JSON.stringify({ ...(await exportJWK(privateKey)), ...extra });
}

const NOW = Date.UTC(2026, 10, 28, 10, 0, 0);

describe("identity assertions", () => {
  it.each(["EdDSA", "ES256"] as const)("signs a %s assertion that verifies against publicJwks", async (alg) => {
    const env = { MESH_SIGNING_KEY: await privateJwk(alg) };
    const jwt = await createIdentitySigner(env)!.sign({
      service: "users",
      requestId: "req-42",
      subject: "alice",
      now: NOW,
    });
    const jwks = await publicJwks(env);
    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(jwks), {
      issuer: "flaremesh",
      audience: "users",
      currentDate: new Date(NOW + 1000),
    });
    expect(payload).toMatchObject({ iss: "flaremesh", aud: "users", jti: "req-42", sub: "alice" });
    expect(payload.iat).toBe(NOW / 1000);
    expect(payload.exp).toBe(NOW / 1000 + IDENTITY_TTL_S);
    expect(protectedHeader.alg).toBe(alg);
    expect(protectedHeader.kid).toBe(jwks.keys[0]!.kid);
  });

  it.each([
    ["with", "billing"],
    ["without", null],
  ])(
    "makes the very JWS jose's SignJWT makes for the same claims (Ed25519 is deterministic), %s a subject",
    async (_, subject) => {
      const jwk = await privateJwk("EdDSA");
      const env = { MESH_SIGNING_KEY: jwk };
      const ours = await createIdentitySigner(env)!.sign({
        service: "users",
        requestId: "req-7",
        subject,
        now: NOW + 999,
      });
      const kid = (await publicJwks(env)).keys[0]!.kid!;
      const iat = Math.floor((NOW + 999) / 1000);
      const theirs = new SignJWT({})
        .setProtectedHeader({ alg: "EdDSA", kid, typ: "JWT" })
        .setIssuer("flaremesh")
        .setAudience("users")
        .setIssuedAt(iat)
        .setExpirationTime(iat + IDENTITY_TTL_S)
        .setJti("req-7");
      if (subject) theirs.setSubject(subject);
      expect(ours).toBe(await theirs.sign(await importJWK(JSON.parse(jwk), "EdDSA")));
    },
  );

  it("publishes only the public half, with use, alg and an RFC 7638 thumbprint kid", async () => {
    const { keys } = await publicJwks({ MESH_SIGNING_KEY: await privateJwk("EdDSA") });
    expect(keys).toHaveLength(1);
    const key = keys[0]!;
    expect(key.d).toBeUndefined();
    expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519", use: "sig", alg: "EdDSA" });
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("uses the JWK's own kid when it has one", async () => {
    const env = { MESH_SIGNING_KEY: await privateJwk("ES256", { kid: "mesh-2026" }) };
    const jwt = await createIdentitySigner(env)!.sign({ service: "billing", requestId: "r", now: NOW });
    expect(decodeProtectedHeader(jwt).kid).toBe("mesh-2026");
    expect((await publicJwks(env)).keys[0]!.kid).toBe("mesh-2026");
  });

  it("expires: an assertion is refused after its 60 s lifetime", async () => {
    const env = { MESH_SIGNING_KEY: await privateJwk("EdDSA") };
    const jwt = await createIdentitySigner(env)!.sign({ service: "users", requestId: "r", now: NOW });
    await expect(
      jwtVerify(jwt, createLocalJWKSet(await publicJwks(env)), { currentDate: new Date(NOW + 61_000) }),
    ).rejects.toMatchObject({ code: "ERR_JWT_EXPIRED" });
  });

  it("has no signer and an empty JWKS when MESH_SIGNING_KEY is unset", async () => {
    expect(createIdentitySigner({})).toBeNull();
    expect(createIdentitySigner({ MESH_SIGNING_KEY: " " })).toBeNull();
    expect(await publicJwks({})).toEqual({ keys: [] });
  });

  it.each([
    ["not JSON", "{nope", /not JSON/],
    [
      "a public key only",
      JSON.stringify({ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }),
      /no private part/,
    ],
    ["an RSA key", JSON.stringify({ kty: "RSA", n: "x", e: "AQAB", d: "y" }), /Ed25519.*P-256/],
  ])("reports a clear ERR_INTERNAL for a key that is %s", async (_name, key, message) => {
    const env = { MESH_SIGNING_KEY: key };
    for (const attempt of [
      () => createIdentitySigner(env)!.sign({ service: "users", requestId: "r", now: NOW }),
      () => publicJwks(env),
    ]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MeshError);
      expect((err as MeshError).code).toBe("ERR_INTERNAL");
      expect((err as MeshError).message).toMatch(/MESH_SIGNING_KEY/);
      expect((err as MeshError).message).toMatch(message);
    }
  });
});
