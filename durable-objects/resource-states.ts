import type { Change } from "../src/model/mesh-config";
import type { PolicyStore } from "./policy-store";
import { configOf, toOrigin } from "./rows";
import type { RegistryStore } from "./store";

const ORIGIN_FIELDS = ["url", "weight", "zone", "tags", "metadata", "enabled", "drain", "ttl_s"] as const;

/**
 * The resources at `paths` as a declarative document holds them (a change's
 * `before` / `after`): `services/<name>` (without its origins),
 * `services/<name>/origins/<id>`, `services/<name>/origins/*` (each origin
 * of the service), `intentions/<source>/<destination>`; null for one that
 * does not exist.
 */
export function resourceStates(
  store: RegistryStore,
  policy: PolicyStore,
  paths: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const path of paths) {
    const [kind, a = "", sub, b = ""] = path.split("/");
    if (kind === "services" && sub === undefined) {
      const row = store.serviceRow(a);
      out[path] = row ? configOf(row) : null;
    } else if (kind === "services" && b === "*") {
      for (const o of store.originRows(a).map(toOrigin)) out[`services/${a}/origins/${o.id}`] = originFields(o);
    } else if (kind === "services") {
      const row = store.originRow(a, b);
      out[path] = row ? originFields(toOrigin(row)) : null;
    } else if (kind === "intentions") {
      const i = policy.intention(a, sub ?? "");
      out[path] = i ? { action: i.action, permissions: i.permissions, description: i.description } : null;
    }
  }
  return out;
}

function originFields(o: ReturnType<typeof toOrigin>): Record<string, unknown> {
  return Object.fromEntries(ORIGIN_FIELDS.map((k) => [k, o[k]]));
}

/**
 * The changes between two sets of resource states, origins before their
 * service when it is deleted (so that the inverse recreates the service
 * first); unchanged resources are left out.
 */
export function changesBetween(before: Record<string, unknown>, after: Record<string, unknown>): Change[] {
  const paths = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const changes: Change[] = [];
  for (const path of paths) {
    const was = before[path] ?? null;
    const now = after[path] ?? null;
    if (JSON.stringify(was) === JSON.stringify(now)) continue;
    const op = was === null ? "create" : now === null ? "delete" : "update";
    changes.push({ op, path, before: was, after: now });
  }
  // Deleting a service deletes its origins: list those first, so the inverse puts the service back first.
  const depth = (c: Change) => (c.op === "delete" ? -c.path.split("/").length : c.path.split("/").length);
  return changes.sort((x, y) => depth(x) - depth(y));
}
