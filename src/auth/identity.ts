import { type JWK, SignJWT } from "jose";
import type { MeshEnv } from "../config";
import { signingKeys } from "./signing-keys";

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

/** Signs identity assertions with the first of MESH_SIGNING_KEYS (or MESH_SIGNING_KEY). */
export interface IdentitySigner {
  sign(claims: IdentityClaims): Promise<string>;
}

/**
 * A signer for `x-mesh-identity` assertions (iss "flaremesh", aud = service,
 * sub = the caller, jti = request id, exp = now + 60 s, kid header), or null
 * when no signing key is set (MESH_SIGNING_KEYS, MESH_SIGNING_KEY). A key that cannot be used is a configuration
 * error: `sign` rejects with ERR_INTERNAL naming the problem, so the mesh
 * fails closed instead of silently sending unsigned requests.
 * @example const jwt = await createIdentitySigner(env)?.sign({ service: "users", requestId, now: Date.now() })
 */
export function createIdentitySigner(env: Partial<MeshEnv>): IdentitySigner | null {
  const keys = signingKeys(env);
  if (keys === null) return null;
  return {
    async sign({ service, requestId, subject, now }) {
      const { privateKey, alg, kid } = (await keys).signer;
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
 * the public half of every signing key with `kid`, `use` and `alg` (during a
 * rotation the old and the new), or no keys when none is set. Rejects with
 * ERR_INTERNAL when a key is unusable.
 * @example return c.json(await publicJwks(c.env))
 */
export async function publicJwks(env: Partial<MeshEnv>): Promise<{ keys: JWK[] }> {
  const keys = signingKeys(env);
  if (keys === null) return { keys: [] };
  return { keys: (await keys).all.map((k) => k.publicJwk) };
}
