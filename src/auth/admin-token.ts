import { type JWTPayload, type JWTVerifyGetKey, createRemoteJWKSet, jwtVerify } from "jose";
import type { Principal } from "../app-types";
import { type MeshEnv, adminMaxTtlS, nonEmpty } from "../config";
import { MeshError } from "../errors";

/** Asymmetric algorithms accepted from a JWKS; symmetric ones never are (the JWKS is public). */
export const JWKS_ALGORITHMS = ["RS256", "ES256", "EdDSA"];
const MIN_SECRET_BYTES = 32;
const CLOCK_TOLERANCE_S = 5;

// jose caches keys (and rate-limits refetches) inside each getter, so keep one per URL for the isolate's life.
const remoteSets = new Map<string, JWTVerifyGetKey>();

type Verifier =
  | { mode: "jwks"; key: JWTVerifyGetKey; algorithms: string[] }
  | { mode: "secret"; key: Uint8Array; algorithms: string[] };

/**
 * Throws ERR_AUTH_NOT_CONFIGURED (503) unless a usable admin key is configured:
 * with none the admin API refuses everything rather than run open.
 * @example assertAdminAuthConfigured(c.env)
 */
export function assertAdminAuthConfigured(env: Partial<MeshEnv>): void {
  verifierFor(env);
}

function verifierFor(env: Partial<MeshEnv>): Verifier {
  const jwksUrl = nonEmpty(env.MESH_ADMIN_JWKS_URL);
  if (jwksUrl !== undefined) {
    let key = remoteSets.get(jwksUrl);
    if (!key) {
      let url: URL;
      try {
        url = new URL(jwksUrl);
      } catch {
        throw new MeshError(
          "ERR_AUTH_NOT_CONFIGURED",
          "admin authentication is misconfigured: MESH_ADMIN_JWKS_URL is not a valid URL",
        );
      }
      key = createRemoteJWKSet(url);
      remoteSets.set(jwksUrl, key);
    }
    return { mode: "jwks", key, algorithms: JWKS_ALGORITHMS };
  }
  const secret = nonEmpty(env.MESH_ADMIN_SECRET);
  if (secret !== undefined) {
    const key = new TextEncoder().encode(secret);
    if (key.length < MIN_SECRET_BYTES) {
      throw new MeshError(
        "ERR_AUTH_NOT_CONFIGURED",
        `admin authentication is not configured: MESH_ADMIN_SECRET is too short (${key.length} bytes, at least ${MIN_SECRET_BYTES} required)`,
      );
    }
    return { mode: "secret", key, algorithms: ["HS256"] };
  }
  throw new MeshError(
    "ERR_AUTH_NOT_CONFIGURED",
    "admin authentication is not configured: set MESH_ADMIN_SECRET (at least 32 bytes) or MESH_ADMIN_JWKS_URL",
  );
}

/**
 * Verifies an admin JWT (SPEC §3) and returns who it names and what it may do.
 * JWKS mode (MESH_ADMIN_JWKS_URL) accepts RS256/ES256/EdDSA only; secret mode
 * (MESH_ADMIN_SECRET) accepts HS256 only. `exp` is required; `iss`/`aud` are
 * enforced when MESH_ADMIN_ISSUER/MESH_ADMIN_AUDIENCE are set.
 * Throws ERR_UNAUTHENTICATED (401) for any bad token, ERR_AUTH_NOT_CONFIGURED
 * (503) when no key is configured or the JWKS cannot be fetched.
 * @example const principal = await verifyAdminToken(jwt, c.env)
 */
export async function verifyAdminToken(token: string, env: Partial<MeshEnv>): Promise<Principal> {
  const verifier = verifierFor(env);
  const options = {
    algorithms: verifier.algorithms,
    requiredClaims: ["exp"],
    issuer: nonEmpty(env.MESH_ADMIN_ISSUER),
    audience: nonEmpty(env.MESH_ADMIN_AUDIENCE),
    clockTolerance: CLOCK_TOLERANCE_S,
  };
  let payload: JWTPayload;
  try {
    // Two calls only because jwtVerify's overloads take a key or a key getter, not their union.
    const result =
      verifier.mode === "jwks"
        ? await jwtVerify(token, verifier.key, options)
        : await jwtVerify(token, verifier.key, options);
    payload = result.payload;
  } catch (err) {
    throw classify(err, verifier.mode);
  }
  assertLifetime(payload, adminMaxTtlS(env), Math.floor(Date.now() / 1000));
  return principalFrom(payload);
}

/** Turns a jose failure into a MeshError by its stable `code`, never its message. */
function classify(err: unknown, mode: Verifier["mode"]): unknown {
  const code = typeof err === "object" && err !== null && "code" in err ? String(err.code) : undefined;
  const field = (name: string) => (err as Record<string, unknown>)[name];
  const unauthenticated = (reason: string) => new MeshError("ERR_UNAUTHENTICATED", `invalid admin token: ${reason}`);
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return unauthenticated(field("claim") === "iat" ? "token too old" : "token expired");
    case "ERR_JWT_CLAIM_VALIDATION_FAILED": {
      const claim = String(field("claim"));
      if (field("reason") === "missing") return unauthenticated(`token has no ${claim} claim`);
      if (claim === "nbf") return unauthenticated("token not yet valid (nbf)");
      if (claim === "iat") return unauthenticated("token issued in the future (iat)");
      if (claim === "iss" || claim === "aud") return unauthenticated(`unexpected ${claim}`);
      return unauthenticated(`invalid ${claim} claim`);
    }
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return unauthenticated("signature invalid");
    case "ERR_JOSE_ALG_NOT_ALLOWED":
    case "ERR_JOSE_NOT_SUPPORTED":
      return unauthenticated(
        `algorithm not allowed (accepted: ${mode === "jwks" ? JWKS_ALGORITHMS.join(", ") : "HS256"})`,
      );
    case "ERR_JWKS_NO_MATCHING_KEY":
    case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
      return unauthenticated("no matching key in the admin JWKS");
    case "ERR_JWS_INVALID":
    case "ERR_JWT_INVALID":
      return unauthenticated("malformed token");
  }
  if (mode === "jwks") {
    // Timeouts, non-200 answers, bad JSON, unusable keys, network errors: the server's problem, not the token's.
    const why = err instanceof Error ? err.message : String(err);
    return new MeshError("ERR_AUTH_NOT_CONFIGURED", `admin JWKS could not be loaded: ${why}`);
  }
  return err;
}

/**
 * Refuses a token that would stay valid longer than `maxTtlS` from now (MESH_ADMIN_MAX_TTL_S): a
 * leaked token with an `exp` years away is a permanent credential. The clock tolerance applies.
 */
export function assertLifetime(payload: JWTPayload, maxTtlS: number, nowS: number): void {
  const exp = payload.exp as number;
  if (exp - nowS > maxTtlS + CLOCK_TOLERANCE_S) {
    throw new MeshError(
      "ERR_UNAUTHENTICATED",
      `invalid admin token: it expires in ${exp - nowS} s, more than MESH_ADMIN_MAX_TTL_S (${maxTtlS} s) allows; ` +
        "mint a shorter-lived token (npm run -s token -- --ttl SECONDS)",
    );
  }
}

/** Reads scopes, service and subject; a claim of the wrong type fails closed rather than widening access. */
function principalFrom(payload: JWTPayload): Principal {
  const { scope, svc, sub } = payload;
  const bad = (claim: string) => new MeshError("ERR_UNAUTHENTICATED", `invalid admin token: invalid ${claim} claim`);
  if (scope !== undefined && typeof scope !== "string") throw bad("scope");
  if (svc !== undefined && (typeof svc !== "string" || svc === "")) throw bad("svc");
  return {
    subject: typeof sub === "string" ? sub : null,
    scopes: new Set(scope === undefined ? [] : scope.split(" ").filter((s) => s !== "")),
    service: svc === undefined ? null : svc,
  };
}
