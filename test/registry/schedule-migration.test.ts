import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runActiveChecks } from "../../durable-objects/health-loop";
import type { Registry } from "../../durable-objects/registry";
import { healthOf } from "../../durable-objects/rows";
import { RegistryStore } from "../../durable-objects/store";
import { OriginInput } from "../../src/model/origin";
import { ServiceInput } from "../../src/model/service";

// Migration 2 (per-origin check times) is additive: after `wrangler rollback`
// the previous version runs its own statements on the migrated database, and
// what it writes is picked up again after the next deploy.

const registry = (name: string): DurableObjectStub<Registry> =>
  env.REGISTRY.get(env.REGISTRY.idFromName(`migration-${name}`));
const checked = ServiceInput.parse({ routes: [{ path_prefix: "/" }], health_check: { interval_s: 60 } });

describe("per-origin check schedule, across versions", () => {
  it("leaves the previous version a due round, and checks at once an origin it wrote", async () => {
    const reg = registry("rollback");
    await reg.putService("svc", ServiceInput.parse({ routes: [{ path_prefix: "/" }], health_check: null }));
    await reg.putOrigin("svc", "o", OriginInput.parse({ url: "https://o.example.com" }));
    const result = await runInDurableObject(reg, async (_i, state) => {
      const sql = state.storage.sql;
      const now = Date.now();
      sql.exec(`UPDATE services SET config = ?, next_check_at = ?`, JSON.stringify(checked), now - 1);
      // The previous version's query for due rounds still finds the service.
      const dueForOld = sql
        .exec(`SELECT name FROM services WHERE next_check_at IS NOT NULL AND next_check_at <= ?`, now)
        .toArray();
      // It rewrites an origin with its own column list, which knows nothing of next_check_at.
      sql.exec(`UPDATE origins SET next_check_at = ?`, now + 3_600_000);
      const row = new RegistryStore(state.storage).originRow("svc", "o")!;
      sql.exec(
        `INSERT OR REPLACE INTO origins (service, id, url, weight, zone, tags, metadata, enabled, drain, ttl_s,
           created_at, updated_at, last_heartbeat_at, status, status_since, health, wake_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ...[row.service, row.id, row.url, row.weight, row.zone, row.tags, row.metadata, row.enabled, row.drain],
        ...[row.ttl_s, row.created_at, row.updated_at, row.last_heartbeat_at, row.status, row.status_since],
        ...[row.health, row.wake_at],
      );
      const store = new RegistryStore(state.storage);
      const before = store.originRow("svc", "o")!.next_check_at;
      const wake = store.nextWake();
      const ran = await runActiveChecks(store, async () => new Response("ok"), Date.now);
      return { dueForOld, before, wake, ran, checkedAt: healthOf(store.originRow("svc", "o")!).last_check_at };
    });
    expect(result.dueForOld).toEqual([{ name: "svc" }]);
    expect(result.before).toBeNull();
    expect(result.wake).toBe(0);
    expect(result.ran).toBe(1);
    expect(result.checkedAt).not.toBeNull();
  });
});
