import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";
import { MeshConfig } from "../model/mesh-config";

let cached: unknown;

/** The JSON Schema of a declarative document, generated from the schemas that validate it (what `apply` accepts). */
export function meshConfigJsonSchema(): unknown {
  cached ??= {
    ...z.toJSONSchema(MeshConfig, { io: "input", unrepresentable: "any", target: "draft-2020-12" }),
    title: "flaremesh declarative configuration",
  };
  return cached;
}

/** `GET /schema/mesh-config.json`: public, like the OpenAPI document, so editors can fetch it. */
export function meshConfigSchema(api: OpenAPIHono<AppEnv>): void {
  api.get("/schema/mesh-config.json", (c) => c.json(meshConfigJsonSchema() as object, 200));
}
