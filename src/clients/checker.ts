import type { MeshEnv } from "../config";

/**
 * The stub of one region's checker Durable Object: one per region, named by
 * it, created near it (`locationHint`, which Cloudflare honours when the
 * object is first created and ignores afterwards; locally it does nothing).
 * @example await checker(env, "weur").arm("weur", Date.now())
 */
export function checker(env: Pick<MeshEnv, "CHECKER">, region: string) {
  return env.CHECKER.get(env.CHECKER.idFromName(region), { locationHint: region as DurableObjectLocationHint });
}
