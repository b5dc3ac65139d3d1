import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { registry } from "../clients/registry";
import { allowPrivateOrigins } from "../config";
import { MeshError } from "../errors";
import { Name } from "../model/common";
import { ErrorResponse } from "../model/error";
import { checkSinkUrl } from "../model/log-sink";
import { Webhook, WebhookInput } from "../model/webhook";
import { guard } from "./guard";
import { errorResponses, jsonBody, jsonResponse } from "./schemas";

const Params = z.object({ name: Name.openapi({ param: { name: "name", in: "path" } }) });

const put = createRoute({
  method: "put",
  path: "/webhooks/{name}",
  operationId: "putWebhook",
  middleware: guard("write", "json"),
  summary: "Create or replace a webhook: a signed POST per health transition, sent from the registry's alarm",
  description:
    "Each transition is POSTed as `{ event, at, service, origin, from, to, reason }` with " +
    "`x-flaremesh-signature: sha256=<hex HMAC-SHA256(secret, body)>`; a failure (no 2xx within 5 s) is retried " +
    "after 1 s, 2 s, 4 s … (at most 5 minutes), in order.",
  request: { params: Params, body: jsonBody(WebhookInput) },
  responses: {
    200: jsonResponse(Webhook, "Replaced"),
    201: jsonResponse(Webhook, "Created"),
    ...errorResponses,
    422: jsonResponse(ErrorResponse, "The URL is an IP address or a special-use name (ERR_ORIGIN_NOT_ALLOWED)"),
  },
});

const list = createRoute({
  method: "get",
  path: "/webhooks",
  operationId: "listWebhooks",
  middleware: guard("read"),
  summary: "Webhooks with their delivery state (secrets never shown)",
  responses: { 200: jsonResponse(z.object({ webhooks: z.array(Webhook) }), "All webhooks"), ...errorResponses },
});

const del = createRoute({
  method: "delete",
  path: "/webhooks/{name}",
  operationId: "deleteWebhook",
  middleware: guard("write"),
  summary: "Delete a webhook",
  request: { params: Params },
  responses: { 204: { description: "Deleted" }, ...errorResponses },
});

/** `/webhooks` routes (SPEC §10). */
export function webhooksApi(api: OpenAPIHono<AppEnv>): void {
  api.openapi(put, async (c) => {
    const { name } = c.req.valid("param");
    const input = c.req.valid("json");
    checkSinkUrl(input.url, { allowPrivate: allowPrivateOrigins(c.env), field: "url" });
    const { created, webhook } = await registry(c.env).putWebhook(name, input);
    return created ? c.json(webhook, 201) : c.json(webhook, 200);
  });

  api.openapi(list, async (c) => c.json({ webhooks: await registry(c.env).listWebhooks() }, 200));

  api.openapi(del, async (c) => {
    const { name } = c.req.valid("param");
    if (!(await registry(c.env).deleteWebhook(name)))
      throw new MeshError("ERR_NOT_FOUND", `webhook '${name}' does not exist`);
    return c.body(null, 204);
  });
}
