import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { registry } from "../clients/registry";
import { MeshError } from "../errors";
import { ErrorResponse } from "../model/error";
import { CertIdentity, CertIdentityInput } from "../model/identity";
import { guard } from "./guard";
import { ServiceParams, errorResponses, jsonBody, jsonResponse } from "./schemas";

const list = createRoute({
  method: "get",
  path: "/identities",
  middleware: guard("read"),
  summary: "List the client certificates mapped to services",
  responses: {
    200: jsonResponse(z.object({ identities: z.array(CertIdentity) }), "All mappings"),
    ...errorResponses,
  },
});

const put = createRoute({
  method: "put",
  path: "/identities/{name}",
  middleware: guard("write", "json"),
  summary: "Map a verified client certificate (Cloudflare mTLS) to a calling service",
  description:
    "A request whose request.cf.tlsClientAuth has certVerified SUCCESS and this certSubjectDN is made by this " +
    "service, when it carries no valid x-mesh-caller token. Needs mTLS client certificates configured on the zone.",
  request: { params: ServiceParams, body: jsonBody(CertIdentityInput) },
  responses: {
    200: jsonResponse(CertIdentity, "Replaced"),
    201: jsonResponse(CertIdentity, "Created"),
    ...errorResponses,
    409: jsonResponse(ErrorResponse, "That certificate is another service's (ERR_CONFLICT)"),
  },
});

const del = createRoute({
  method: "delete",
  path: "/identities/{name}",
  middleware: guard("write"),
  summary: "Remove a service's certificate mapping",
  request: { params: ServiceParams },
  responses: { 204: { description: "Deleted" }, ...errorResponses },
});

/** `/identities` routes. */
export function identitiesApi(api: OpenAPIHono<AppEnv>): void {
  api.openapi(list, async (c) => c.json({ identities: (await registry(c.env).listPolicy()).identities }, 200));

  api.openapi(put, async (c) => {
    const { name } = c.req.valid("param");
    const identity = { service: name, ...c.req.valid("json") };
    const written = await registry(c.env).putIdentity(identity);
    if ("conflict" in written) {
      throw new MeshError(
        "ERR_CONFLICT",
        `that certificate subject already identifies service '${written.conflict}': delete its mapping first`,
      );
    }
    return written.created ? c.json(identity, 201) : c.json(identity, 200);
  });

  api.openapi(del, async (c) => {
    const { name } = c.req.valid("param");
    if (!(await registry(c.env).deleteIdentity(name))) {
      throw new MeshError("ERR_NOT_FOUND", `service '${name}' has no certificate identity`);
    }
    return c.body(null, 204);
  });
}
