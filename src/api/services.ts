import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { registry } from "../clients/registry";
import { MeshError } from "../errors";
import { mergePatch } from "../model/merge-patch";
import { Service, ServicePatch, ServicePut, ServiceWithOrigins } from "../model/service";
import { guard } from "./guard";
import { redacted, validService, withoutReadOnly, writeService } from "./service-writes";
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
  summary: "Create or replace a service (the whole resource: a field left out takes its default)",
  description:
    "PUT replaces the whole service: every field not in the body goes back to its default. To change some " +
    "fields only, use PATCH. The body GET returns is accepted as it is: `name` (if it is the path's) and the " +
    "read-only `origins` are ignored; any other unknown field is refused.",
  request: { params: ServiceParams, body: jsonBody(ServicePut) },
  responses: {
    200: jsonResponse(Service, "Replaced"),
    201: jsonResponse(Service, "Created"),
    ...errorResponses,
  },
});

const patch = createRoute({
  method: "patch",
  path: "/services/{name}",
  middleware: guard("write", "json"),
  summary: "Change some fields of a service (JSON merge patch, RFC 7396)",
  description:
    "Objects merge, `null` resets a field to its default, arrays and other values replace; the result is " +
    "validated like a PUT body. `content-type: application/json` or `application/merge-patch+json`.",
  request: {
    params: ServiceParams,
    body: {
      content: {
        "application/merge-patch+json": { schema: ServicePatch },
        "application/json": { schema: ServicePatch },
      },
      required: true,
    },
  },
  responses: { 200: jsonResponse(Service, "The service after the patch"), ...errorResponses },
});

const del = createRoute({
  method: "delete",
  path: "/services/{name}",
  middleware: guard("write"),
  summary: "Delete a service and its origins",
  request: { params: ServiceParams },
  responses: { 204: { description: "Deleted" }, ...errorResponses },
});

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
    const { created, service } = await writeService(c, name, withoutReadOnly(name, c.req.valid("json")));
    return created ? c.json(service, 201) : c.json(service, 200);
  });

  api.openapi(patch, async (c) => {
    const { name } = c.req.valid("param");
    const stored = await registry(c.env).getService(name);
    if (!stored) throw new MeshError("ERR_NOT_FOUND", `service '${name}' does not exist: create it with PUT`);
    const { name: _n, origins: _o, ...current } = stored;
    const merged = mergePatch(current, withoutReadOnly(name, c.req.valid("json")));
    const { service } = await writeService(c, name, validService(merged));
    return c.json(service, 200);
  });

  api.openapi(del, async (c) => {
    const { name } = c.req.valid("param");
    if (!(await registry(c.env).deleteService(name)))
      throw new MeshError("ERR_NOT_FOUND", `service '${name}' does not exist`);
    return c.body(null, 204);
  });
}
