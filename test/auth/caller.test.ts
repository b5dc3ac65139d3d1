import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { CallerVerifier, mintServiceToken } from "../../src/auth/caller";
import { createIdentitySigner, publicJwks } from "../../src/auth/identity";
import { signingKeys } from "../../src/auth/signing-keys";
import { MeshError } from "../../src/errors";

async function privateJwk(alg: "EdDSA" | "ES256", kid: string) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid };
}

const NOW = Date.UTC(2026, 11, 3, 10, 0, 0);

async function keysOf(...jwks: object[]) {
  return (await signingKeys({ MESH_SIGNING_KEYS: JSON.stringify(jwks) }))!;
}

describe("MESH_SIGNING_KEYS", () => {
  it("signs with the first key and publishes every key with its kid", async () => {
    const [a, b] = [await privateJwk("EdDSA", "new"), await privateJwk("ES256", "old")];
    const env = { MESH_SIGNING_KEYS: JSON.stringify([a, b]) };
    const { keys } = await publicJwks(env);
    expect(keys.map((k) => k.kid)).toEqual(["new", "old"]);
    expect(keys.every((k) => !("d" in k))).toBe(true);
    const jwt = await createIdentitySigner(env)!.sign({ service: "users", requestId: "r-1", now: NOW });
    expect(JSON.parse(atob(jwt.split(".")[0]!)).kid).toBe("new");
    // A JWKS object works too; MESH_SIGNING_KEYS wins over MESH_SIGNING_KEY.
    const both = { MESH_SIGNING_KEYS: JSON.stringify({ keys: [b] }), MESH_SIGNING_KEY: JSON.stringify(a) };
    expect((await publicJwks(both)).keys.map((k) => k.kid)).toEqual(["old"]);
  });

  it.each([
    ["not JSON", "nope", /not JSON/],
    ["an empty array", "[]", /non-empty JSON array/],
    ["a public key", "PUBLIC", /MESH_SIGNING_KEYS\[0\] is not a usable private JWK: it has no private part/],
    ["two keys with one kid", "DUP", /two keys have kid k/],
  ])("refuses %s with ERR_INTERNAL naming the problem", async (_label, raw, message) => {
    let value = raw;
    if (raw === "PUBLIC") {
      const { d: _d, ...pub } = await privateJwk("EdDSA", "k");
      value = JSON.stringify([pub]);
    }
    if (raw === "DUP") value = JSON.stringify([await privateJwk("EdDSA", "k"), await privateJwk("EdDSA", "k")]);
    const err = await signingKeys({ MESH_SIGNING_KEYS: value })!.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MeshError);
    expect((err as MeshError).code).toBe("ERR_INTERNAL");
    expect((err as MeshError).message).toMatch(message);
  });
});

describe("service tokens", () => {
  it("mint a token naming the service that verifies once, with aud and iss flaremesh", async () => {
    const keys = await keysOf(await privateJwk("EdDSA", "k1"));
    const minted = await mintServiceToken(keys, "billing", 3600, NOW);
    expect(minted.service).toBe("billing");
    expect(minted.expires_at).toBe(new Date(NOW + 3600_000).toISOString());
    const verifier = new CallerVerifier(keys);
    expect(await verifier.serviceOf(minted.token, NOW + 1000)).toBe("billing");
    expect(await verifier.serviceOf(minted.token, NOW + 2000)).toBe("billing");
    expect(verifier.size).toBe(1);
  });

  it("still verify during a rotation: a token of the second key is accepted", async () => {
    const [fresh, old] = [await privateJwk("EdDSA", "fresh"), await privateJwk("ES256", "old")];
    const token = (await mintServiceToken(await keysOf(old), "billing", 3600, NOW)).token;
    expect(await new CallerVerifier(await keysOf(fresh, old)).serviceOf(token, NOW)).toBe("billing");
    expect(await new CallerVerifier(await keysOf(fresh)).serviceOf(token, NOW)).toBeNull();
  });

  it("refuse tampered, expired, foreign-audience, unknown-kid and non-service tokens", async () => {
    const jwk = await privateJwk("EdDSA", "k1");
    const keys = await keysOf(jwk);
    const verifier = () => new CallerVerifier(keys);
    const { token } = await mintServiceToken(keys, "billing", 3600, NOW);
    const [h, p, s] = token.split(".");
    const forgedPayload = btoa(JSON.stringify({ ...JSON.parse(atob(p!)), sub: "admin" })).replace(/=+$/, "");
    expect(await verifier().serviceOf(`${h}.${forgedPayload}.${s}`, NOW)).toBeNull();
    expect(await verifier().serviceOf(token, NOW + 3600_000 + 10_000)).toBeNull();
    expect(await verifier().serviceOf("garbage", NOW)).toBeNull();

    const sign = (claims: Record<string, unknown>, kid = "k1") =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "EdDSA", kid })
        .setIssuer("flaremesh")
        .setSubject("billing")
        .setExpirationTime(NOW / 1000 + 600)
        .sign(keys.signer.privateKey);
    // An x-mesh-identity assertion is signed by the same key but has aud = a service and no token_use.
    const assertion = await createIdentitySigner({ MESH_SIGNING_KEYS: JSON.stringify([jwk]) })!.sign({
      service: "flaremesh",
      requestId: "r-1",
      subject: "billing",
      now: NOW,
    });
    expect(await verifier().serviceOf(assertion, NOW)).toBeNull();
    expect(await verifier().serviceOf(await sign({ aud: "users", token_use: "caller" }), NOW)).toBeNull();
    expect(await verifier().serviceOf(await sign({ aud: "flaremesh", token_use: "caller" }, "k9"), NOW)).toBeNull();
    expect(await verifier().serviceOf(await sign({ aud: "flaremesh", token_use: "caller" }), NOW)).toBe("billing");
  });

  it("remember a failed token for a minute instead of verifying it per request", async () => {
    const keys = await keysOf(await privateJwk("EdDSA", "k1"));
    const verifier = new CallerVerifier(keys);
    for (let i = 0; i < 100; i++) expect(await verifier.serviceOf("x.y.z", NOW + i)).toBeNull();
    expect(verifier.size).toBe(1);
  });
});
