import type { MeshEnv } from "../config";
import { MeshError } from "../errors";
import type { Found } from "../model/found";
import { registryCalls } from "../observability/registry-calls";

/** Every isolate talks to one registry instance. */
const REGISTRY_NAME = "global";

/**
 * The stub of the one Registry Durable Object; every call counts as a registry RPC.
 * @example const services = await registry(c.env).listServices()
 */
export function registry(env: Pick<MeshEnv, "REGISTRY">) {
  registryCalls.count++;
  return env.REGISTRY.get(env.REGISTRY.idFromName(REGISTRY_NAME));
}

/**
 * The value of a Found result, ERR_NOT_FOUND naming what is missing, or
 * ERR_LIMIT_EXCEEDED naming the limit a write would have passed.
 * @example const origins = found(await registry(env).listOrigins(name), name)
 */
export function found<T>(result: Found<T>, service: string, origin?: string): T {
  if (result.ok) return result.value;
  if (result.missing === undefined) throw new MeshError("ERR_LIMIT_EXCEEDED", result.refused.message);
  throw result.missing === "service"
    ? new MeshError("ERR_NOT_FOUND", `service '${service}' does not exist`)
    : new MeshError("ERR_NOT_FOUND", `origin '${origin}' does not exist in service '${service}'`);
}
