import type { FeedDelta, FeedMessage } from "../model/feed";
import type { Snapshot, SnapshotOrigin } from "../model/snapshot";

/** Origins in the registry's order: by service, then id. */
function byServiceThenId(a: SnapshotOrigin, b: SnapshotOrigin): number {
  if (a.service !== b.service) return a.service < b.service ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}

const keyOf = (service: string, id: string) => `${service}\u0000${id}`;

/**
 * The table at `delta.version` from the table at `delta.from`; null when
 * `base` is not the table the delta starts from (the caller then asks for
 * the whole table). Origins and services the delta does not name are kept
 * as the same objects, so what an isolate built on them can be kept too.
 * @example const next = applyDelta(current, delta) ?? (await fullTable())
 */
export function applyDelta(base: Snapshot, delta: FeedDelta): Snapshot | null {
  if (base.version !== delta.from) return null;
  const goneServices = new Set(delta.removed_services);
  const services = new Map(base.services.map((s) => [s.name, s]));
  for (const name of goneServices) services.delete(name);
  for (const s of delta.services) services.set(s.name, s);
  const goneOrigins = new Set(delta.removed_origins.map(([s, id]) => keyOf(s, id)));
  const puts = new Map(delta.origins.map((o) => [keyOf(o.service, o.id), o]));
  const origins: SnapshotOrigin[] = [];
  for (const o of base.origins) {
    const key = keyOf(o.service, o.id);
    if (!goneServices.has(o.service) && !goneOrigins.has(key) && !puts.has(key)) origins.push(o);
  }
  for (const o of puts.values()) if (services.has(o.service)) origins.push(o);
  origins.sort(byServiceThenId);
  const names = [...services.keys()].sort();
  const policy = delta.policy === undefined ? base.policy : delta.policy;
  return { version: delta.version, services: names.map((n) => services.get(n)!), origins, policy };
}

/**
 * The table a feed answer gives an isolate that holds `base` (null: none):
 * the whole table, or `base` with the delta applied; null when a delta does
 * not start from `base`.
 */
export function tableFrom(base: Snapshot | null, message: FeedMessage): Snapshot | null {
  if (message.kind === "full")
    return { version: message.version, services: message.services, origins: message.origins, policy: message.policy };
  return base === null ? null : applyDelta(base, message);
}
