import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { found, registry } from "../clients/registry";
import { allowPrivateOrigins } from "../config";
import { ErrorResponse } from "../model/error";
import { Origin, OriginInput, OriginPatch } from "../model/origin";
import { checkOriginUrl } from "../model/origin-url";
import { guard } from "./guard";
import { OriginParams, ServiceParams, errorResponses, jsonBody, jsonResponse } from "./schemas";

const originErrors = {
  ...errorResponses,
  422: jsonResponse(ErrorResponse, "Origin address not allowed (ERR_ORIGIN_NOT_ALLOWED)"),
} as const;

const list = createRoute({
  method: "get",
  path: "/services/{name}/origins",
  middleware: guard("read"),
  summary: "List a service's origins",
  request: { params: ServiceParams },
  responses: { 200: jsonResponse(z.object({ origins: z.array(Origin) }), "The origins"), ...errorResponses },
});

const post = createRoute({
  method: "post",
  path: "/services/{name}/origins",
  middleware: guard("write", "json"),
  summary: "Register an origin under a server-chosen id",
  request: { params: ServiceParams, body: jsonBody(OriginInput) },
  responses: { 201: jsonResponse(Origin, "Registered"), ...originErrors },
});

const put = createRoute({
  method: "put",
  path: "/services/{name}/origins/{id}",
  middleware: guard("write", "json"),
  summary: "Create or replace an origin under a client-chosen id (idempotent)",
  request: { params: OriginParams, body: jsonBody(OriginInput) },
  responses: { 200: jsonResponse(Origin, "Replaced"), 201: jsonResponse(Origin, "Created"), ...originErrors },
});

const patch = createRoute({
  method: "patch",
  path: "/services/{name}/origins/{id}",
  middleware: guard("write", "json"),
  summary: "Change weight, enabled, drain, tags, metadata or zone",
  request: { params: OriginParams, body: jsonBody(OriginPatch) },
  responses: { 200: jsonResponse(Origin, "Updated"), ...errorResponses },
});

const del = createRoute({
  method: "delete",
  path: "/services/{name}/origins/{id}",
  middleware: guard("write"),
  summary: "Deregister an origin",
  request: { params: OriginParams },
  responses: { 204: { description: "Deleted" }, ...errorResponses },
});

const heartbeat = createRoute({
  method: "put",
  path: "/services/{name}/origins/{id}/heartbeat",
  middleware: guard("heartbeat"),
  summary: "Renew an origin's TTL lease (scope mesh:heartbeat or mesh:write)",
  request: { params: OriginParams },
  responses: { 200: jsonResponse(Origin, "Lease renewed"), ...errorResponses },
});

/** `/services/{name}/origins` routes. */
export function originsApi(api: OpenAPIHono<AppEnv>): void {
  api.openapi(list, async (c) => {
    const { name } = c.req.valid("param");
    return c.json({ origins: found(await registry(c.env).listOrigins(name), name) }, 200);
  });

  api.openapi(post, async (c) => {
    const { name } = c.req.valid("param");
    const input = c.req.valid("json");
    const url = checkOriginUrl(input.url, { allowPrivate: allowPrivateOrigins(c.env) });
    const origin = found(await registry(c.env).addOrigin(name, { ...input, url: baseUrl(url) }), name);
    return c.json(origin, 201);
  });

  api.openapi(put, async (c) => {
    const { name, id } = c.req.valid("param");
    const input = c.req.valid("json");
    const url = checkOriginUrl(input.url, { allowPrivate: allowPrivateOrigins(c.env) });
    const { created, origin } = found(
      await registry(c.env).putOrigin(name, id, { ...input, url: baseUrl(url) }),
      name,
      id,
    );
    return created ? c.json(origin, 201) : c.json(origin, 200);
  });

  api.openapi(patch, async (c) => {
    const { name, id } = c.req.valid("param");
    return c.json(found(await registry(c.env).patchOrigin(name, id, c.req.valid("json")), name, id), 200);
  });

  api.openapi(del, async (c) => {
    const { name, id } = c.req.valid("param");
    found(await registry(c.env).deleteOrigin(name, id), name, id);
    return c.body(null, 204);
  });

  api.openapi(heartbeat, async (c) => {
    const { name, id } = c.req.valid("param");
    return c.json(found(await registry(c.env).heartbeat(name, id), name, id), 200);
  });
}

/** The normalized base URL, without a trailing slash on the path (it is joined with request paths). */
function baseUrl(url: URL): string {
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.protocol}//${url.host}${path}`;
}
