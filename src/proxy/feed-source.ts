import { registry } from "../clients/registry";
import type { MeshEnv } from "../config";
import type { FeedMessage } from "../model/feed";
import type { SnapshotSource } from "./routing-cache";
import { tableFrom } from "./snapshot-delta";

/** One read of the registry's routing feed: its JSON text, or null when `known` is current. */
export type FeedRead = (known: number, waitMs: number) => Promise<string | null>;

/**
 * A snapshot source over the registry's routing feed: it asks for what
 * changed since the table this isolate holds and applies the delta to it
 * (src/proxy/snapshot-delta.ts), or takes the whole table. The feed's text
 * is the registry's own: trusted as it is, not validated again here (its
 * schema, src/model/feed.ts, is checked by the registry's tests).
 * @example routing.get(feedSource((k, w) => registry(env).routingFeed(k, w)), waitUntil)
 */
export function feedSource(read: FeedRead): SnapshotSource {
  return async (known, waitMs, base) => {
    const held = base !== null && base !== undefined && base.version === known ? base : null;
    const text = await read(held === null ? -1 : known, waitMs);
    if (text === null) return null;
    const table = tableFrom(held, JSON.parse(text) as FeedMessage);
    if (table !== null) return table;
    // A delta from a table this isolate does not hold: the whole table instead.
    const whole = await read(-1, 0);
    return whole === null ? null : tableFrom(null, JSON.parse(whole) as FeedMessage);
  };
}

/** This isolate's source of routing tables: the registry's routing feed. */
export function registrySource(env: Pick<MeshEnv, "REGISTRY">): SnapshotSource {
  return feedSource((known, waitMs) => registry(env).routingFeed(known, waitMs));
}
