import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-types";

const CONFIG = {
  openapi: "3.1.0",
  info: {
    title: "flaremesh admin API",
    version: "1.0.0",
    description: "Service registry, health and routing configuration.",
    license: { name: "Apache-2.0", identifier: "Apache-2.0" },
  },
  // Relative: the API is served under this path on every host the Worker answers.
  servers: [{ url: "/_mesh/api/v1", description: "this mesh" }],
  security: [{ bearer: [] }],
};

const METHODS = ["get", "put", "post", "patch", "delete", "head", "options"] as const;

/**
 * An operationId from method and path for operations that do not name one,
 * so that generated clients get stable method names.
 * @example operationIdOf("get", "/services/{name}/origins") // "getServicesByNameOrigins"
 */
export function operationIdOf(method: string, path: string): string {
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  const words = path
    .split("/")
    .filter(Boolean)
    .map((part) => {
      const param = /^\{(.+)\}$/.exec(part);
      const camel = (param ? param[1]! : part).split(/[-_.]/).map(cap).join("");
      return param ? `By${camel}` : camel;
    });
  return method + words.join("");
}

/**
 * `GET /openapi.json`: the document generated from the routes' zod schemas,
 * with `servers`, a `license` and an operationId on every operation.
 */
export function openApiDocument(api: OpenAPIHono<AppEnv>): void {
  let cached: unknown;
  api.get("/openapi.json", (c) => {
    if (!cached) {
      const doc = api.getOpenAPI31Document(CONFIG);
      for (const [path, item] of Object.entries(doc.paths ?? {}))
        for (const method of METHODS) {
          const op = (item as Record<string, { operationId?: string } | undefined>)[method];
          if (op && !op.operationId) op.operationId = operationIdOf(method, path);
        }
      cached = doc;
    }
    return c.json(cached as object, 200);
  });
}
