import type { Context } from "hono";
import type { AppEnv } from "../app-types";
import { found, registry } from "../clients/registry";
import { bindingVerdict } from "../clients/service-binding";
import { MeshError } from "../errors";
import { REDACTED, keepRedacted, redactHeaders } from "../model/redact";
import { type ServiceConfig, ServiceInput } from "../model/service";
import { validationError } from "./validation";

/** A service as reads show it: credential-like `health_check.headers` values redacted, as sinks' are. */
export function redacted<S extends Pick<ServiceConfig, "health_check">>(service: S): S {
  const hc = service.health_check;
  return hc === null ? service : { ...service, health_check: { ...hc, headers: redactHeaders(hc.headers) } };
}

/** Refuses (422) a `tls.client_certificate_binding` the Worker does not have as a fetcher. */
export function assertCertificateBinding(env: object, name: string): void {
  const verdict = bindingVerdict(env, name);
  if (verdict === "service") return;
  const why =
    verdict === "missing"
      ? `names no binding of this Worker: add [[mtls_certificates]] binding = "${name}" to wrangler.toml`
      : "is not an mTLS certificate binding (it has no fetch())";
  throw new MeshError("ERR_ORIGIN_NOT_ALLOWED", `tls.client_certificate_binding ${name} ${why}`, [
    { path: "tls.client_certificate_binding", message: why },
  ]);
}

/** The body without what `GET` adds: `name` (which must be the path's) and the read-only `origins`. */
export function withoutReadOnly<T extends Record<string, unknown>>(name: string, body: T): Omit<T, "name" | "origins"> {
  const { name: given, origins: _origins, ...rest } = body;
  if (given !== undefined && given !== name) {
    const why = `is '${String(given)}' but the path names '${name}': rename by creating the new service and deleting the old`;
    throw new MeshError("ERR_VALIDATION", `name ${why}`, [{ path: "name", message: why }]);
  }
  return rest;
}

/**
 * Stores a service's whole configuration (from a PUT, or a PATCH merged
 * into the stored one); the answer is redacted. A `[redacted]`
 * health-check header keeps the stored value.
 */
export async function writeService(
  c: Context<AppEnv>,
  name: string,
  config: ServiceInput,
): Promise<{ created: boolean; service: ServiceConfig }> {
  let input = config;
  if (input.tls) assertCertificateBinding(c.env, input.tls.client_certificate_binding);
  const hc = input.health_check;
  if (hc !== null && Object.values(hc.headers).includes(REDACTED)) {
    // What GET showed can be written back: a `[redacted]` value keeps the stored one.
    const stored = (await registry(c.env).getService(name))?.health_check?.headers;
    input = { ...input, health_check: { ...hc, headers: keepRedacted(hc.headers, stored, "health_check.headers") } };
  }
  const { created, service } = found(await registry(c.env).putService(name, input), name);
  return { created, service: redacted(service) };
}

/** Validates a whole service configuration (the result of a merge patch), as a PUT body is. */
export function validService(body: unknown): ServiceInput {
  const parsed = ServiceInput.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}
