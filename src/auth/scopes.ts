import type { Principal } from "../app-types";
import { MeshError } from "../errors";

export const SCOPE_READ = "mesh:read";
export const SCOPE_WRITE = "mesh:write";
export const SCOPE_HEARTBEAT = "mesh:heartbeat";

/** What an admin request needs: reading, changing, or renewing one service's lease. */
export type Need = { kind: "read" } | { kind: "write" } | { kind: "heartbeat"; service: string };

/**
 * Throws ERR_FORBIDDEN (403) unless the principal may do `need` (SPEC §3):
 * GET needs mesh:read; every change needs mesh:write; a heartbeat needs
 * mesh:write or mesh:heartbeat, and a heartbeat token with a `svc` claim
 * only for that service. Scopes do not imply one another.
 * @example authorize(c.get("principal"), { kind: "heartbeat", service: "users" })
 */
export function authorize(principal: Principal, need: Need): void {
  const has = (scope: string) => principal.scopes.has(scope);
  switch (need.kind) {
    case "read":
      if (!has(SCOPE_READ)) throw new MeshError("ERR_FORBIDDEN", `token lacks scope ${SCOPE_READ}`);
      return;
    case "write":
      if (!has(SCOPE_WRITE)) throw new MeshError("ERR_FORBIDDEN", `token lacks scope ${SCOPE_WRITE}`);
      return;
    case "heartbeat":
      // A write token may change every service anyway, so its svc claim does not narrow heartbeats.
      if (has(SCOPE_WRITE)) return;
      if (!has(SCOPE_HEARTBEAT)) {
        throw new MeshError("ERR_FORBIDDEN", `token lacks scope ${SCOPE_HEARTBEAT} or ${SCOPE_WRITE}`);
      }
      if (principal.service === null) {
        // Fail closed: a heartbeat token without svc would renew every service's origins.
        throw new MeshError(
          "ERR_FORBIDDEN",
          `a ${SCOPE_HEARTBEAT} token must carry a svc claim naming its service (npm run -s token -- --scope ${SCOPE_HEARTBEAT} --svc ${need.service})`,
        );
      }
      if (principal.service !== need.service) {
        throw new MeshError(
          "ERR_FORBIDDEN",
          `token may send heartbeats only for service '${principal.service}', not '${need.service}'`,
        );
      }
      return;
  }
}
