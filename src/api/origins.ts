import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { MeshError } from "../errors";
import { found, registry } from "../clients/registry";
import { bindingVerdict } from "../clients/service-binding";
import { type MeshEnv, allowPrivateOrigins } from "../config";
import { ErrorResponse } from "../model/error";
import { Origin, OriginInput, OriginPatch, OriginPut, OriginWritten } from "../model/origin";
import { checkOriginUrl } from "../model/origin-url";
import { urlWarnings } from "../model/proxied-ports";
import { withWarnings } from "../model/warnings";
import { guard } from "./guard";
import { OriginParams, ServiceParams, errorResponses, jsonBody, jsonResponse } from "./schemas";

const originErrors = {
  ...errorResponses,
  422: jsonResponse(
    ErrorResponse,
    "Origin URL not allowed (ERR_ORIGIN_NOT_ALLOWED): an IP address or special-use name in production, or a " +
      "service binding this Worker does not have (or one of the mesh's own)",
  ),
} as const;

const WRITE_NOTES =
  "`url` is `https://<DNS name>[:port][/base]` or `service://<BINDING>[/base]`. A port outside Cloudflare's " +
  "proxied list (80, 443, 2052, 2053, 2082, 2083, 2086, 2087, 2095, 2096, 8080, 8443, 8880) is accepted with a " +
  "`warnings` entry in this answer: it only works when the name is not proxied by Cloudflare (DNS-only).";

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
  description: WRITE_NOTES,
  request: { params: ServiceParams, body: jsonBody(OriginInput) },
  responses: { 201: jsonResponse(OriginWritten, "Registered (with `warnings` when there are any)"), ...originErrors },
});

const put = createRoute({
  method: "put",
  path: "/services/{name}/origins/{id}",
  middleware: guard("write", "json"),
  summary: "Create or replace an origin under a client-chosen id (idempotent)",
  description: WRITE_NOTES,
  request: { params: OriginParams, body: jsonBody(OriginPut) },
  responses: {
    200: jsonResponse(OriginWritten, "Replaced (with `warnings` when there are any)"),
    201: jsonResponse(OriginWritten, "Created (with `warnings` when there are any)"),
    ...originErrors,
  },
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
    const { url, warnings } = checked(input.url, c.env);
    const origin = found(await registry(c.env).addOrigin(name, { ...input, url }), name);
    return c.json(withWarnings(origin, warnings), 201);
  });

  api.openapi(put, async (c) => {
    const { name, id } = c.req.valid("param");
    const { id: given, health: _health, warnings: _warnings, ...input } = c.req.valid("json");
    if (given !== undefined && given !== id) {
      const why = `is '${given}' but the path names '${id}'`;
      throw new MeshError("ERR_VALIDATION", `id ${why}`, [{ path: "id", message: why }]);
    }
    const { url, warnings } = checked(input.url, c.env);
    const { created, origin } = found(await registry(c.env).putOrigin(name, id, { ...input, url }), name, id);
    return created ? c.json(withWarnings(origin, warnings), 201) : c.json(withWarnings(origin, warnings), 200);
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

/** An origin URL checked against the edge's rules and this Worker's bindings: the URL to store, and warnings. */
export function checked(raw: string, env: MeshEnv, field?: string): { url: string; warnings: string[] } {
  const allowPrivate = allowPrivateOrigins(env);
  const url = checkOriginUrl(raw, { allowPrivate, binding: (name) => bindingVerdict(env, name), field });
  return { url: baseUrl(url), warnings: urlWarnings(url, { allowPrivate }) };
}

/** The normalized base URL, without a trailing slash on the path (it is joined with request paths). */
function baseUrl(url: URL): string {
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.protocol}//${url.host}${path}`;
}
