import { originUrlRefusal } from "../src/model/origin-url";
import { commitOrigin } from "./health-ops";
import { healthOf } from "./rows";
import type { RegistryStore } from "./store";

/**
 * Applies the origin policy to every stored origin: one whose URL it now
 * refuses (registered while MESH_ALLOW_PRIVATE_ORIGINS was true) becomes
 * `disabled` with the reason as its event, and one it allows again is
 * released. Vars change only with a deploy, which restarts the object, so
 * running this when the object starts is enough. Returns how many changed.
 */
export function enforceOriginPolicy(store: RegistryStore, allowPrivate: boolean, now: number): number {
  let changed = 0;
  for (const row of store.originRows()) {
    try {
      const refusal = originUrlRefusal(row.url, allowPrivate);
      const health = healthOf(row);
      if ((health.policy ?? null) === refusal) continue;
      store.transaction(() =>
        commitOrigin(store, row, { ...health, policy: refusal }, refusal ?? "policy: URL allowed again", now),
      );
      changed++;
    } catch (err) {
      // One unreadable row must not keep the registry from starting.
      console.error(`policy: origin ${row.service}/${row.id} could not be judged: ${String(err)}`);
    }
  }
  if (changed > 0) store.bump();
  return changed;
}
