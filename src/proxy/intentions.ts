import { type MeshEnv, defaultIntentionAllows } from "../config";
import { MeshError } from "../errors";
import { type IntentionIndex, decide } from "../policy/intentions";

/**
 * The 403 for a request the intentions deny (SPEC §9), naming the intention
 * that decided, or null when it may go on. With no intention and the default
 * `allow` it costs two property reads.
 * @example const denied = forbidden(state.intentions, caller, "users", "POST", "/users/admin", env)
 */
export function forbidden(
  index: IntentionIndex,
  caller: string,
  destination: string,
  method: string,
  path: string,
  env: MeshEnv,
): MeshError | null {
  const defaultAllow = defaultIntentionAllows(env);
  if (index.byPair.size === 0 && defaultAllow) return null;
  const decision = decide(index, caller, destination, method, path);
  const allowed = decision.matched === null ? defaultAllow : decision.allowed;
  if (allowed) return null;
  const by =
    decision.matched === null
      ? "no intention matches and MESH_DEFAULT_INTENTION is deny"
      : `intention ${decision.matched} denies it`;
  return new MeshError(
    "ERR_FORBIDDEN_BY_POLICY",
    `caller '${caller}' may not ${method} ${path} on '${destination}': ${by}`,
  );
}
