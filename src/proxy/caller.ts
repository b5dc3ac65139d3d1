import { CALLER_HEADER, CallerVerifier, EXTERNAL } from "../auth/caller";
import { type SigningKeys, signingKeys } from "../auth/signing-keys";
import type { MeshEnv } from "../config";

// One verifier per key set: a deploy with new keys gets a fresh cache.
let current: { keys: SigningKeys; verifier: CallerVerifier } | null = null;

/**
 * Who is calling (SPEC §9): the service a valid `x-mesh-caller` token
 * names, else `external`. A missing, invalid, expired or foreign token, or
 * no usable signing key, makes the caller `external` — never an error, and
 * never more than `external` may do (fail closed).
 * @example const caller = await callerOf(request.headers, env, Date.now())
 */
export async function callerOf(headers: Headers, env: MeshEnv, now: number): Promise<string> {
  const token = headers.get(CALLER_HEADER);
  if (token === null) return EXTERNAL;
  const loading = signingKeys(env);
  if (loading === null) return EXTERNAL;
  let keys: SigningKeys;
  try {
    keys = await loading;
  } catch {
    return EXTERNAL;
  }
  if (current?.keys !== keys) current = { keys, verifier: new CallerVerifier(keys) };
  return (await current.verifier.serviceOf(token, now)) ?? EXTERNAL;
}
