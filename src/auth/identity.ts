import { type JWK, base64url } from "jose";
import type { MeshEnv } from "../config";
import { type SigningKey, signingKeys } from "./signing-keys";

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
 *
 * Every proxied request is signed (its own `jti`, SPEC §4), so this is the
 * hot path's costliest step: the protected header is encoded once per key
 * and the JWS is assembled around one WebCrypto `sign` call — the same
 * compact JWS jose's `SignJWT` makes for these claims (byte for byte with
 * Ed25519, which is deterministic; tested), without its per-call checks.
 * @example const jwt = await createIdentitySigner(env)?.sign({ service: "users", requestId, now: Date.now() })
 */
export function createIdentitySigner(env: Partial<MeshEnv>): IdentitySigner | null {
  const keys = signingKeys(env);
  if (keys === null) return null;
  return {
    async sign({ service, requestId, subject, now }) {
      const key = (await keys).signer;
      const iat = Math.floor(now / 1000);
      const claims: Record<string, string | number> = {
        iss: IDENTITY_ISSUER,
        aud: service,
        iat,
        exp: iat + IDENTITY_TTL_S,
        jti: requestId,
      };
      if (subject) claims.sub = subject;
      const input = `${protectedHeaderOf(key)}.${base64url.encode(JSON.stringify(claims))}`;
      const signature = await crypto.subtle.sign(signParams(key), key.privateKey, encoder.encode(input));
      return `${input}.${base64url.encode(new Uint8Array(signature))}`;
    },
  };
}

const encoder = new TextEncoder();
/** Each key's encoded protected header (`{"alg","kid","typ":"JWT"}`), made once. */
const headers = new WeakMap<SigningKey, string>();

function protectedHeaderOf(key: SigningKey): string {
  let header = headers.get(key);
  if (header === undefined) {
    header = base64url.encode(JSON.stringify({ alg: key.alg, kid: key.kid, typ: "JWT" }));
    headers.set(key, header);
  }
  return header;
}

/** WebCrypto's parameters for the key's JWS algorithm: ES256 is ECDSA over SHA-256 (raw r‖s, as JWS wants), EdDSA the key's own. */
function signParams(key: SigningKey): SubtleCryptoSignAlgorithm {
  return key.alg === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : key.privateKey.algorithm;
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
