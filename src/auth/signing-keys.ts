import { type JWK, calculateJwkThumbprint, importJWK } from "jose";
import { type MeshEnv, nonEmpty } from "../config";
import { MeshError } from "../errors";

/** One signing key, imported: its private half for signing, its public JWK for the JWKS and verification. */
export interface SigningKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
  alg: string;
  kid: string;
}

/** The mesh's signing keys: the first signs, all verify and are published. */
export interface SigningKeys {
  signer: SigningKey;
  all: SigningKey[];
  byKid: Map<string, SigningKey>;
}

// Importing keys is the expensive part of signing and verifying: once per isolate and key text.
let cache: { source: string; keys: Promise<SigningKeys> } | undefined;

/**
 * The configured keys: MESH_SIGNING_KEYS (a JSON array of private JWKs, or
 * a JWKS `{"keys": […]}`; the first signs) or the single-key
 * MESH_SIGNING_KEY; null when neither is set. An unusable key is a
 * configuration error: the promise rejects with ERR_INTERNAL naming it,
 * so the mesh fails closed instead of signing nothing.
 * @example const keys = await signingKeys(env)
 */
export function signingKeys(
  env: Partial<Pick<MeshEnv, "MESH_SIGNING_KEYS" | "MESH_SIGNING_KEY">>,
): Promise<SigningKeys> | null {
  const many = nonEmpty(env.MESH_SIGNING_KEYS);
  const one = nonEmpty(env.MESH_SIGNING_KEY);
  const source = many !== undefined ? `keys:${many}` : one !== undefined ? `key:${one}` : undefined;
  if (source === undefined) return null;
  if (cache?.source !== source) {
    const keys = many !== undefined ? importAll(many) : importOne(one!, "MESH_SIGNING_KEY").then(collect);
    // A failed import is not cached, so fixing the secret needs no new isolate.
    keys.catch(() => {
      if (cache?.keys === keys) cache = undefined;
    });
    cache = { source, keys };
  }
  return cache.keys;
}

async function importAll(source: string): Promise<SigningKeys> {
  const fail = (why: string) => new MeshError("ERR_INTERNAL", `MESH_SIGNING_KEYS is not usable: ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    throw fail("it is not JSON (a JSON array of private JWKs, the signing key first)");
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list) || list.length === 0) {
    throw fail("it must be a non-empty JSON array of private JWKs (or a JWKS object with one)");
  }
  const keys = await Promise.all(list.map((jwk, i) => importOne(jwk, `MESH_SIGNING_KEYS[${i}]`)));
  const kids = new Set<string>();
  for (const key of keys) {
    if (kids.has(key.kid)) throw fail(`two keys have kid ${key.kid}`);
    kids.add(key.kid);
  }
  return collect(...keys);
}

function collect(...keys: SigningKey[]): SigningKeys {
  return { signer: keys[0]!, all: keys, byKid: new Map(keys.map((k) => [k.kid, k])) };
}

async function importOne(source: unknown, name: string): Promise<SigningKey> {
  const fail = (why: string) => new MeshError("ERR_INTERNAL", `${name} is not a usable private JWK: ${why}`);
  let jwk: JWK;
  if (typeof source === "string") {
    try {
      jwk = JSON.parse(source) as JWK;
    } catch {
      throw fail("it is not JSON");
    }
  } else jwk = source as JWK;
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
  let publicKey: CryptoKey;
  try {
    const priv = await importJWK({ ...publicJwk, d: jwk.d }, alg, { extractable: false });
    const pub = await importJWK(publicJwk, alg);
    if (priv instanceof Uint8Array || pub instanceof Uint8Array) throw new TypeError("not an asymmetric key");
    privateKey = priv;
    publicKey = pub;
  } catch (err) {
    throw fail(err instanceof Error ? err.message : String(err));
  }
  const kid = typeof jwk.kid === "string" && jwk.kid !== "" ? jwk.kid : await calculateJwkThumbprint(publicJwk);
  return { privateKey, publicKey, publicJwk: { ...publicJwk, kid, use: "sig", alg }, alg, kid };
}
