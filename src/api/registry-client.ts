import type { MeshEnv } from "../config";
import { MeshError } from "../errors";
import type { Found } from "../../durable-objects/registry";

/** Every isolate talks to one registry instance. */
const REGISTRY_NAME = "global";

/** Counts registry RPCs made by this isolate (published as a metric). */
export const registryCalls = { count: 0 };

/**
 * The stub of the one Registry Durable Object.
 * @example const services = await registry(c.env).listServices()
 */
export function registry(env: Pick<MeshEnv, "REGISTRY">) {
  registryCalls.count++;
  return env.REGISTRY.get(env.REGISTRY.idFromName(REGISTRY_NAME));
}

/** The value of a Found result, or ERR_NOT_FOUND naming what is missing. */
export function found<T>(result: Found<T>, service: string, origin?: string): T {
  if (result.ok) return result.value;
  throw result.missing === "service"
    ? new MeshError("ERR_NOT_FOUND", `service '${service}' does not exist`)
    : new MeshError("ERR_NOT_FOUND", `origin '${origin}' does not exist in service '${service}'`);
}
