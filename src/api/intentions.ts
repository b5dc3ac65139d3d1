import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { registry } from "../clients/registry";
import { defaultIntentionAllows } from "../config";
import { MeshError } from "../errors";
import { Intention, IntentionCheck, IntentionDestination, IntentionInput, IntentionSource } from "../model/intention";
import { decide, indexIntentions } from "../policy/intentions";
import { guard } from "./guard";
import { errorResponses, jsonBody, jsonResponse } from "./schemas";

const PairParams = z.object({
  source: IntentionSource.openapi({ param: { name: "source", in: "path" }, example: "billing" }),
  destination: IntentionDestination.openapi({ param: { name: "destination", in: "path" }, example: "users" }),
});

const list = createRoute({
  method: "get",
  path: "/intentions",
  middleware: guard("read"),
  summary: "List intentions (who may call whom)",
  responses: { 200: jsonResponse(z.object({ intentions: z.array(Intention) }), "All intentions"), ...errorResponses },
});

const put = createRoute({
  method: "put",
  path: "/intentions/{source}/{destination}",
  middleware: guard("write", "json"),
  summary: "Create or replace an intention",
  description:
    "`source` is a service, `external` (a caller without a valid identity) or `*`; `destination` a service or `*`. " +
    "Precedence: exact → exact, * → exact, exact → *, * → *; inside an intention the first matching permission " +
    "decides, else its action; no match → MESH_DEFAULT_INTENTION. Enforced by every isolate from its snapshot.",
  request: { params: PairParams, body: jsonBody(IntentionInput) },
  responses: {
    200: jsonResponse(Intention, "Replaced"),
    201: jsonResponse(Intention, "Created"),
    ...errorResponses,
  },
});

const del = createRoute({
  method: "delete",
  path: "/intentions/{source}/{destination}",
  middleware: guard("write"),
  summary: "Delete an intention",
  request: { params: PairParams },
  responses: { 204: { description: "Deleted" }, ...errorResponses },
});

const CheckQuery = z.object({
  source: IntentionSource.openapi({ example: "billing" }),
  destination: IntentionDestination.openapi({ example: "users" }),
  method: z
    .string()
    .regex(/^[A-Za-z]{1,16}$/, "must be an HTTP method such as GET")
    .transform((m) => m.toUpperCase())
    .default("GET"),
  path: z
    .string()
    .regex(/^\/[^?#\s]*$/, "must start with '/'")
    .max(2048)
    .default("/"),
});

const check = createRoute({
  method: "get",
  path: "/intentions/check",
  middleware: guard("read"),
  summary: "What would happen to a request from source to destination",
  request: { query: CheckQuery },
  responses: { 200: jsonResponse(IntentionCheck, "The verdict and the intention that decided"), ...errorResponses },
});

/** `/intentions` routes. */
export function intentionsApi(api: OpenAPIHono<AppEnv>): void {
  api.openapi(list, async (c) => c.json({ intentions: (await registry(c.env).listPolicy()).intentions }, 200));

  api.openapi(check, async (c) => {
    const q = c.req.valid("query");
    const { intentions } = await registry(c.env).listPolicy();
    const index = indexIntentions(intentions, defaultIntentionAllows(c.env));
    return c.json(decide(index, q.source, q.destination, q.method, q.path), 200);
  });

  api.openapi(put, async (c) => {
    const { source, destination } = c.req.valid("param");
    const written = await registry(c.env).putIntention(source, destination, c.req.valid("json"));
    if (written === null) {
      throw new MeshError("ERR_LIMIT_EXCEEDED", "at most 5000 intentions: delete some, or use wildcards");
    }
    return written.created ? c.json(written.intention, 201) : c.json(written.intention, 200);
  });

  api.openapi(del, async (c) => {
    const { source, destination } = c.req.valid("param");
    if (!(await registry(c.env).deleteIntention(source, destination))) {
      throw new MeshError("ERR_NOT_FOUND", `no intention ${source} → ${destination}`);
    }
    return c.body(null, 204);
  });
}
