import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-types";
import { type ScopeNeed, requireScope } from "../auth/middleware";
import { MeshError } from "../errors";

/** Largest admin request body accepted. */
export const MAX_BODY_BYTES = 64 * 1024;

const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new MeshError("ERR_TOO_LARGE", `request body is larger than ${MAX_BODY_BYTES} bytes`);
  },
});

// The validators read a body only when it is declared JSON; anything else must not reach a handler.
const jsonOnly = createMiddleware<AppEnv>(async (c, next) => {
  const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json" && type !== "application/merge-patch+json") {
    throw new MeshError("ERR_VALIDATION", "request body must be JSON with content-type: application/json", [
      { path: "(body)", message: `content-type is ${type ?? "missing"}` },
    ]);
  }
  await next();
});

/**
 * The middleware an admin route declares in its `createRoute({ middleware })`:
 * the scope it needs first (a token without it learns nothing about the
 * body), then the body checks — at most {@link MAX_BODY_BYTES} for every
 * route, and `content-type: application/json` for a route that takes a body.
 * @example createRoute({ method: "put", path: "/services/{name}", middleware: guard("write", "json"), … })
 */
export function guard(need: ScopeNeed, body: "none" | "json" = "none"): MiddlewareHandler<AppEnv>[] {
  return body === "json" ? [requireScope(need), limitBody, jsonOnly] : [requireScope(need), limitBody];
}
