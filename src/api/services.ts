import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { found, registry } from "../clients/registry";
import { bindingVerdict } from "../clients/service-binding";
import { MeshError } from "../errors";
import { REDACTED, keepRedacted, redactHeaders } from "../model/redact";
import { Service, type ServiceConfig, ServiceInput, ServiceWithOrigins } from "../model/service";
import { guard } from "./guard";
import { ServiceParams, errorResponses, jsonBody, jsonResponse } from "./schemas";

const list = createRoute({
  method: "get",
  path: "/services",
  middleware: guard("read"),
  summary: "List services",
  responses: { 200: jsonResponse(z.object({ services: z.array(Service) }), "All services"), ...errorResponses },
});

const get = createRoute({
  method: "get",
  path: "/services/{name}",
  middleware: guard("read"),
  summary: "Get a service with its origins",
  request: { params: ServiceParams },
  responses: { 200: jsonResponse(ServiceWithOrigins, "The service"), ...errorResponses },
});

const put = createRoute({
  method: "put",
  path: "/services/{name}",
  middleware: guard("write", "json"),
  summary: "Create or replace a service",
  request: { params: ServiceParams, body: jsonBody(ServiceInput) },
  responses: {
    200: jsonResponse(Service, "Replaced"),
    201: jsonResponse(Service, "Created"),
    ...errorResponses,
  },
});

const del = createRoute({
  method: "delete",
  path: "/services/{name}",
  middleware: guard("write"),
  summary: "Delete a service and its origins",
  request: { params: ServiceParams },
  responses: { 204: { description: "Deleted" }, ...errorResponses },
});

/** A service as reads show it: credential-like `health_check.headers` values redacted, as sinks' are. */
function redacted<S extends Pick<ServiceConfig, "health_check">>(service: S): S {
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

/** `/services` routes. */
export function servicesApi(api: OpenAPIHono<AppEnv>): void {
  api.openapi(list, async (c) => c.json({ services: (await registry(c.env).listServices()).map(redacted) }, 200));

  api.openapi(get, async (c) => {
    const { name } = c.req.valid("param");
    const service = await registry(c.env).getService(name);
    if (!service) throw new MeshError("ERR_NOT_FOUND", `service '${name}' does not exist`);
    return c.json(redacted(service), 200);
  });

  api.openapi(put, async (c) => {
    const { name } = c.req.valid("param");
    let input = c.req.valid("json");
    if (input.tls) assertCertificateBinding(c.env, input.tls.client_certificate_binding);
    const hc = input.health_check;
    if (hc !== null && Object.values(hc.headers).includes(REDACTED)) {
      // What GET showed can be written back: a `[redacted]` value keeps the stored one.
      const stored = (await registry(c.env).getService(name))?.health_check?.headers;
      input = { ...input, health_check: { ...hc, headers: keepRedacted(hc.headers, stored, "health_check.headers") } };
    }
    const { created, service } = found(await registry(c.env).putService(name, input), name);
    return created ? c.json(redacted(service), 201) : c.json(redacted(service), 200);
  });

  api.openapi(del, async (c) => {
    const { name } = c.req.valid("param");
    if (!(await registry(c.env).deleteService(name)))
      throw new MeshError("ERR_NOT_FOUND", `service '${name}' does not exist`);
    return c.body(null, 204);
  });
}
