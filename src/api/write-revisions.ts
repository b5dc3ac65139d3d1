import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-types";
import { registry } from "../clients/registry";

const NAME = "[a-z0-9][a-z0-9-]{0,62}";
const SERVICE = new RegExp(`^/services/(${NAME})$`);
const ORIGINS = new RegExp(`^/services/(${NAME})/origins$`);
const ORIGIN = new RegExp(`^/services/(${NAME})/origins/(${NAME})$`);
const INTENTION = new RegExp(`^/intentions/(${NAME}|\\*)/(${NAME}|\\*)$`);

/** The declarative paths a single-resource write may change, or null for a write revisions do not track. */
function touched(method: string, path: string): string[] | null {
  let m = SERVICE.exec(path);
  // Deleting a service deletes its origins with it.
  if (m) return method === "DELETE" ? [`services/${m[1]}`, `services/${m[1]}/origins/*`] : [`services/${m[1]}`];
  m = ORIGIN.exec(path);
  if (m) return [`services/${m[1]}/origins/${m[2]}`];
  m = INTENTION.exec(path);
  if (m) return [`intentions/${m[1]}/${m[2]}`];
  if (method === "POST" && ORIGINS.test(path)) return [];
  return null;
}

/**
 * Every write outside `/apply` — services, origins and intentions through
 * their own routes — becomes a revision too (SPEC §10), with the token's
 * `sub`, so `flaremesh rollback` can undo it. The registry is read before
 * and after the write (two more calls per admin write, none per proxied
 * request); the revision is recorded after the write commits, so two
 * writers racing on one resource may record each other's change.
 * Heartbeats, which change only health, are not revisions.
 */
export const recordWriteRevisions = createMiddleware<AppEnv>(async (c, next) => {
  const method = c.req.method;
  const path = c.req.path.replace(/^\/_mesh\/api\/v1/, "");
  const paths = method === "GET" || method === "HEAD" ? null : touched(method, path);
  if (paths === null) return next();
  const reg = registry(c.env);
  const before = paths.length > 0 ? await reg.resourceStates(paths) : {};
  await next();
  if (c.res.status >= 400) return;
  let after = paths;
  if (paths.length === 0) {
    // POST …/origins: the server chose the id, which the answer names.
    const id = ((await c.res.clone().json()) as { id?: string }).id;
    if (typeof id !== "string") return;
    after = [`${path.slice(1)}/${id}`];
  }
  const by = c.get("principal")?.subject ?? "unknown";
  await reg.recordWrite(by, before, await reg.resourceStates(after));
});
