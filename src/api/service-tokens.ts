import { type OpenAPIHono, createRoute } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { mintServiceToken } from "../auth/caller";
import { signingKeys } from "../auth/signing-keys";
import { MeshError } from "../errors";
import { ErrorResponse } from "../model/error";
import { ServiceToken, ServiceTokenInput } from "../model/service-token";
import { guard } from "./guard";
import { errorResponses, jsonBody, jsonResponse } from "./schemas";

const mint = createRoute({
  method: "post",
  path: "/service-tokens",
  middleware: guard("write", "json"),
  summary: "Mint a caller token for a service, to present in x-mesh-caller",
  description:
    "Signed with the first of MESH_SIGNING_KEYS (iss and aud `flaremesh`, sub = the service). The mesh verifies it " +
    "in each isolate, once per token, and tells origins the caller in x-mesh-identity's `sub`. Revoking one before " +
    "its `exp` means rotating the signing keys (scripts/gen-signing-key.mjs --help).",
  request: { body: jsonBody(ServiceTokenInput) },
  responses: {
    201: jsonResponse(ServiceToken, "Minted"),
    ...errorResponses,
    503: jsonResponse(ErrorResponse, "No signing key is configured (ERR_AUTH_NOT_CONFIGURED)"),
  },
});

/** `/service-tokens`. */
export function serviceTokensApi(api: OpenAPIHono<AppEnv>): void {
  api.openapi(mint, async (c) => {
    const keys = signingKeys(c.env);
    if (keys === null) {
      throw new MeshError(
        "ERR_AUTH_NOT_CONFIGURED",
        "service tokens need a signing key: set MESH_SIGNING_KEYS (node scripts/gen-signing-key.mjs)",
      );
    }
    const { service, ttl_s } = c.req.valid("json");
    return c.json(await mintServiceToken(await keys, service, ttl_s, Date.now()), 201);
  });
}
