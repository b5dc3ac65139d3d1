import { type JWK, SignJWT, calculateJwkThumbprint, importJWK } from "jose";
import { type MeshEnv, nonEmpty } from "../config";
import { MeshError } from "../errors";

/** The header that carries the identity assertion to origins (SPEC §4). */
export const IDENTITY_HEADER = "x-mesh-identity";
export const IDENTITY_ISSUER = "flaremesh";
/** Lifetime of an assertion: it is minted per request, so it can be short. */
export const IDENTITY_TTL_S = 60;

/** What one assertion says: for which service, for which request, on whose behalf. */
export interface IdentityClaims {
  service: string;
  requestId: string;
  subject?: string | null;
  /** Milliseconds since the epoch (injected clock). */
  now: number;
}

/** Signs identity assertions with MESH_SIGNING_KEY. */
export interface IdentitySigner {
  sign(claims: IdentityClaims): Promise<string>;
}

interface LoadedKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  alg: string;
  kid: string;
}

// Importing a key is the expensive part of signing; do it once per isolate and key text.
let cache: { source: string; key: Promise<LoadedKey> } | undefined;

function loadKey(source: string): Promise<LoadedKey> {
  if (cache?.source !== source) cache = { source, key: importKey(source) };
  return cache.key;
}

async function importKey(source: string): Promise<LoadedKey> {
  const fail = (why: string) => new MeshError("ERR_INTERNAL", `MESH_SIGNING_KEY is not a usable private JWK: ${why}`);
  let jwk: JWK;
  try {
    jwk = JSON.parse(source) as JWK;
  } catch {
    throw fail("it is not JSON");
  }
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) throw fail("it is not a JSON object");
  let alg: string;
  let publicJwk: JWK;
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") {
    alg = jwk.alg === "Ed25519" ? "Ed25519" : "EdDSA";
    publicJwk = { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
  } else if (jwk.kty === "EC" && jwk.crv === "P-256") {
    alg = "ES256";
    publicJwk = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
  } else {
    throw fail("it must be an Ed25519 (kty OKP) or P-256 (kty EC) key");
  }
  if (jwk.alg !== undefined && jwk.alg !== alg) throw fail(`its alg ${jwk.alg} does not fit its curve ${jwk.crv}`);
  if (typeof jwk.d !== "string") throw fail("it has no private part (d)");
  let privateKey: CryptoKey;
  try {
    const imported = await importJWK({ ...publicJwk, d: jwk.d }, alg, { extractable: false });
    if (imported instanceof Uint8Array) throw new TypeError("not an asymmetric key");
    privateKey = imported;
  } catch (err) {
    throw fail(err instanceof Error ? err.message : String(err));
  }
  const kid = typeof jwk.kid === "string" && jwk.kid !== "" ? jwk.kid : await calculateJwkThumbprint(publicJwk);
  return { privateKey, publicJwk: { ...publicJwk, kid, use: "sig", alg }, alg, kid };
}

/**
 * A signer for `x-mesh-identity` assertions (iss "flaremesh", aud = service,
 * jti = request id, exp = now + 60 s, kid header), or null when
 * MESH_SIGNING_KEY is unset. A key that cannot be used is a configuration
 * error: `sign` rejects with ERR_INTERNAL naming the problem, so the mesh
 * fails closed instead of silently sending unsigned requests.
 * @example const jwt = await createIdentitySigner(env)?.sign({ service: "users", requestId, now: Date.now() })
 */
export function createIdentitySigner(env: Partial<MeshEnv>): IdentitySigner | null {
  const source = nonEmpty(env.MESH_SIGNING_KEY);
  if (source === undefined) return null;
  return {
    async sign({ service, requestId, subject, now }) {
      const { privateKey, alg, kid } = await loadKey(source);
      const iat = Math.floor(now / 1000);
      const jwt = new SignJWT({})
        .setProtectedHeader({ alg, kid, typ: "JWT" })
        .setIssuer(IDENTITY_ISSUER)
        .setAudience(service)
        .setIssuedAt(iat)
        .setExpirationTime(iat + IDENTITY_TTL_S)
        .setJti(requestId);
      if (subject) jwt.setSubject(subject);
      return jwt.sign(privateKey);
    },
  };
}

/**
 * The JWKS origins verify assertions against (`/_mesh/.well-known/jwks.json`):
 * the public half of MESH_SIGNING_KEY with `kid`, `use` and `alg`, or no keys
 * when it is unset. Rejects with ERR_INTERNAL when the key is unusable.
 * @example return c.json(await publicJwks(c.env))
 */
export async function publicJwks(env: Partial<MeshEnv>): Promise<{ keys: JWK[] }> {
  const source = nonEmpty(env.MESH_SIGNING_KEY);
  if (source === undefined) return { keys: [] };
  return { keys: [(await loadKey(source)).publicJwk] };
}
