import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-types";
import { type ScopeNeed, requireScope } from "../auth/middleware";
import { MeshError } from "../errors";

/** Largest admin request body accepted. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Largest declarative document `POST /apply` accepts (a whole mesh in one body). */
export const MAX_APPLY_BYTES = 1024 * 1024;

const limitTo = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new MeshError("ERR_TOO_LARGE", `request body is larger than ${maxSize} bytes`);
    },
  });
const limitBody = limitTo(MAX_BODY_BYTES);

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
export function guard(
  need: ScopeNeed,
  body: "none" | "json" = "none",
  maxBytes = MAX_BODY_BYTES,
): MiddlewareHandler<AppEnv>[] {
  const limit = maxBytes === MAX_BODY_BYTES ? limitBody : limitTo(maxBytes);
  return body === "json" ? [requireScope(need), limit, jsonOnly] : [requireScope(need), limit];
}
