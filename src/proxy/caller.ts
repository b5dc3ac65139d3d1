import { CALLER_HEADER, CallerVerifier, EXTERNAL } from "../auth/caller";
import { type SigningKeys, signingKeys } from "../auth/signing-keys";
import type { MeshEnv } from "../config";

// One verifier per key set: a deploy with new keys gets a fresh cache.
let current: { keys: SigningKeys; verifier: CallerVerifier } | null = null;

/** What the mesh reads of `request.cf.tlsClientAuth` (Cloudflare's mTLS at the edge). */
export interface ClientCert {
  certVerified?: string;
  certSubjectDN?: string;
}

/**
 * Who is calling (SPEC §9): the service a valid `x-mesh-caller` token
 * names; else the service a verified client certificate is mapped to
 * (`certs`, from `PUT /identities/{service}`); else `external`. A missing,
 * invalid, expired or foreign token, or no usable signing key, makes the
 * caller `external` — never an error, and never more than `external` may
 * do (fail closed). Without a token the answer is synchronous: most
 * requests carry none, and a promise per request is garbage on the hot path.
 * @example const caller = await callerOf(request.headers, cf?.tlsClientAuth, state.certs, env, Date.now())
 */
export function callerOf(
  headers: Headers,
  cert: ClientCert | undefined,
  certs: ReadonlyMap<string, string>,
  env: MeshEnv,
  now: number,
): string | Promise<string> {
  const token = headers.get(CALLER_HEADER);
  if (token === null) return certCaller(cert, certs) ?? EXTERNAL;
  return tokenCaller(token, env, now).then((service) => service ?? certCaller(cert, certs) ?? EXTERNAL);
}

/** The service a verified certificate is mapped to, if any. */
function certCaller(cert: ClientCert | undefined, certs: ReadonlyMap<string, string>): string | null {
  if (certs.size === 0 || cert?.certVerified !== "SUCCESS" || !cert.certSubjectDN) return null;
  return certs.get(cert.certSubjectDN) ?? null;
}

async function tokenCaller(token: string, env: MeshEnv, now: number): Promise<string | null> {
  const loading = signingKeys(env);
  if (loading === null) return null;
  let keys: SigningKeys;
  try {
    keys = await loading;
  } catch {
    return null;
  }
  if (current?.keys !== keys) current = { keys, verifier: new CallerVerifier(keys) };
  return current.verifier.serviceOf(token, now);
}
