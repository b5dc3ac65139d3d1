import { type JWTHeaderParameters, SignJWT, errors, jwtVerify } from "jose";
import { IDENTITY_ISSUER } from "./identity";
import type { SigningKeys } from "./signing-keys";

/** The header a calling service presents its service token in (SPEC §9); never forwarded. */
export const CALLER_HEADER = "x-mesh-caller";
/** The audience of service tokens, so that an `x-mesh-identity` assertion (aud = a service) is never one. */
export const CALLER_AUDIENCE = "flaremesh";
/** The caller of a request that proves no identity. */
export const EXTERNAL = "external";
/** Set in every service token; identity assertions never carry it. */
const TOKEN_USE = "caller";

/** What `POST /service-tokens` answers. */
export interface MintedToken {
  token: string;
  service: string;
  expires_at: string;
}

/**
 * Mints a service token: signed with the signing key (its `kid` in the
 * header), iss and aud `flaremesh`, sub = the service, a random jti.
 * @example await mintServiceToken(keys, "billing", 86_400, Date.now())
 */
export async function mintServiceToken(
  keys: SigningKeys,
  service: string,
  ttlS: number,
  now: number,
): Promise<MintedToken> {
  const { privateKey, alg, kid } = keys.signer;
  const iat = Math.floor(now / 1000);
  const token = await new SignJWT({ token_use: TOKEN_USE })
    .setProtectedHeader({ alg, kid, typ: "JWT" })
    .setIssuer(IDENTITY_ISSUER)
    .setAudience(CALLER_AUDIENCE)
    .setSubject(service)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlS)
    .setJti(crypto.randomUUID())
    .sign(privateKey);
  return { token, service, expires_at: new Date((iat + ttlS) * 1000).toISOString() };
}

/** Most verdicts one isolate remembers; past it the oldest go first. */
const CACHE_MAX = 10_000;
/** How long a token that failed verification stays failed without being verified again. */
const NEGATIVE_MS = 60_000;

/**
 * Verifies service tokens, each once per isolate: a valid one is remembered
 * until its `exp`, an invalid one for a minute (garbage costs one
 * verification a minute, not one per request). Keys are bound at
 * construction: a new key set (a deploy) makes a new verifier.
 */
export class CallerVerifier {
  readonly #verdicts = new Map<string, { service: string | null; untilMs: number }>();
  readonly #algorithms: string[];

  constructor(private readonly keys: SigningKeys) {
    this.#algorithms = [...new Set(keys.all.map((k) => k.alg))];
  }

  /** How many verdicts are remembered (tests and metrics). */
  get size(): number {
    return this.#verdicts.size;
  }

  /**
   * The service a token names, or null when it is not a valid service token
   * of this mesh (wrong signature, unknown `kid`, expired, wrong iss/aud,
   * not a service token).
   * @example await verifier.serviceOf(request.headers.get(CALLER_HEADER)!, Date.now())
   */
  async serviceOf(token: string, now: number): Promise<string | null> {
    const known = this.#verdicts.get(token);
    if (known !== undefined && known.untilMs > now) return known.service;
    const verdict = await this.#verify(token, now);
    if (this.#verdicts.size >= CACHE_MAX) this.#verdicts.delete(this.#verdicts.keys().next().value!);
    this.#verdicts.set(token, verdict);
    return verdict.service;
  }

  async #verify(token: string, now: number): Promise<{ service: string | null; untilMs: number }> {
    const failed = { service: null, untilMs: now + NEGATIVE_MS };
    try {
      const { payload } = await jwtVerify(token, (header: JWTHeaderParameters) => this.#keyFor(header), {
        algorithms: this.#algorithms,
        issuer: IDENTITY_ISSUER,
        audience: CALLER_AUDIENCE,
        requiredClaims: ["exp", "sub"],
        currentDate: new Date(now),
        clockTolerance: 5,
      });
      if (payload.token_use !== TOKEN_USE || typeof payload.sub !== "string" || payload.sub === "") return failed;
      return { service: payload.sub, untilMs: Math.min((payload.exp as number) * 1000, now + 3_600_000) };
    } catch (err) {
      if (err instanceof errors.JOSEError || err instanceof TypeError) return failed;
      throw err;
    }
  }

  #keyFor(header: JWTHeaderParameters): CryptoKey {
    const key = header.kid === undefined ? undefined : this.keys.byKid.get(header.kid);
    if (key === undefined) throw new errors.JWKSNoMatchingKey();
    return key.publicKey;
  }
}
