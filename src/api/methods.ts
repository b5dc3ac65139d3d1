import type { Hono } from "hono";
import { MeshError } from "../errors";

/** A route of an app as a path pattern (`:name` segments) and its method. */
interface RouteEntry {
  method: string;
  pattern: RegExp;
}

/** Turns Hono's `/services/:name` into a regular expression for one path. */
function patternOf(path: string): RegExp {
  const source = path
    .split("/")
    .map((seg) => (seg.startsWith(":") ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source}/?$`);
}

/**
 * The methods each path of an app answers, for 405s: a known path asked
 * with another method gets `405 ERR_METHOD_NOT_ALLOWED` and an `Allow`
 * header instead of a 404 (RFC 9110 §15.5.6).
 * @example const methods = routeMethods(app, "/_mesh/api/v1"); methods.allowed("/_mesh/api/v1/services") // ["GET"]
 */
export function routeMethods(app: Hono<never> | { routes: { method: string; path: string }[] }, base: string) {
  const entries: RouteEntry[] = (app as { routes: { method: string; path: string }[] }).routes
    .filter((r) => r.method !== "ALL")
    .map((r) => ({ method: r.method, pattern: patternOf(`${base}${r.path}`) }));
  return {
    /** The methods `path` answers (HEAD with GET), sorted; empty when no route has that path. */
    allowed(path: string): string[] {
      const methods = new Set<string>();
      for (const e of entries) if (e.pattern.test(path)) methods.add(e.method);
      if (methods.has("GET")) methods.add("HEAD");
      return [...methods].sort();
    },
  };
}

/** The 405 for `method` on a path that answers only `allowed`. */
export function methodNotAllowed(method: string, path: string, allowed: string[]): MeshError {
  return new MeshError(
    "ERR_METHOD_NOT_ALLOWED",
    `${method} is not allowed on ${path}; it answers ${allowed.join(", ")}`,
  );
}
