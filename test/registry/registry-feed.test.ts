import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RegistryStore } from "../../durable-objects/store";
import { FeedMessage } from "../../src/model/feed";
import { OriginInput } from "../../src/model/origin";
import { ServiceInput } from "../../src/model/service";
import type { Snapshot } from "../../src/model/snapshot";
import { tableFrom } from "../../src/proxy/snapshot-delta";

const fresh = (name: string) => env.REGISTRY.get(env.REGISTRY.idFromName(`feed-${name}`));
const service = ServiceInput.parse({ routes: [{ path_prefix: "/" }], health_check: null });
const origin = (url: string, extra: Partial<OriginInput> = {}) => OriginInput.parse({ url, ...extra });
const message = (text: string | null) => FeedMessage.parse(JSON.parse(text!));

async function seeded(name: string, origins = 30) {
  const reg = fresh(name);
  await reg.putService("s", service);
  for (let i = 0; i < origins; i++)
    await reg.putOrigin("s", `o${i}`, origin(`https://o${i}.example.com`, { ttl_s: 600 }));
  return reg;
}

describe("Registry routing feed", () => {
  it("carries intentions and certificate identities whole in every answer, so a delta brings their changes", async () => {
    const reg = await seeded("policy", 3);
    const base = tableFrom(null, message(await reg.routingFeed()))!;
    expect(base.policy).toEqual({ intentions: [], identities: [] });
    await reg.putIntention("*", "s", { action: "deny", permissions: [], description: "" });
    await reg.putIdentity({ service: "billing", cert_subject_dn: "CN=billing" });
    const delta = message(await reg.routingFeed(base.version));
    expect(delta.kind).toBe("delta");
    const next = tableFrom(base, delta)!;
    expect(next.policy?.intentions).toMatchObject([{ source: "*", destination: "s", action: "deny" }]);
    expect(next.policy?.identities).toEqual([{ service: "billing", cert_subject_dn: "CN=billing" }]);
    expect(next.origins).toHaveLength(3);
  });

  it("answers the whole table, then only the origin a health flip changed", async () => {
    const reg = await seeded("flip");
    const first = message(await reg.routingFeed());
    expect(first).toMatchObject({ kind: "full", services: [{ name: "s" }] });
    expect(first.kind === "full" && first.origins).toHaveLength(30);
    const base = tableFrom(null, first)!;
    const until = Date.now() + 60_000;
    await reg.reportEjections([{ service: "s", origin: "o4", ejected_until: until, reason: "outlier" }]);
    const text = await reg.routingFeed(base.version);
    const delta = message(text);
    expect(delta).toMatchObject({ kind: "delta", from: base.version, version: base.version + 1 });
    expect(delta.kind === "delta" && delta.origins).toEqual([
      expect.objectContaining({
        id: "o4",
        health: expect.objectContaining({ status: "ejected" }),
        ejected_until_ms: until,
      }),
    ]);
    const applied = tableFrom(base, delta)!;
    expect(applied).toEqual(tableFrom(null, message(await reg.routingFeed())));
    // The data plane's snapshot has the same table.
    const { version, services, origins, policy } = (await reg.snapshot())!;
    expect(policy).toEqual({ intentions: [], identities: [] });
    expect(applied).toEqual({ version, services, origins, policy } satisfies Snapshot);
  });

  it("wakes a waiting read for a health flip but not for a write no router cares about", async () => {
    const reg = await seeded("quiet", 3);
    const known = message(await reg.routingFeed()).version;
    const waiting = reg.routingFeed(known, 400);
    // A lease renewed in time changes the row (last heartbeat) and nothing a router sees.
    expect((await reg.heartbeat("s", "o1")).ok).toBe(true);
    expect(await waiting).toBeNull();
    expect(await reg.version()).toBe(known);
    const woken = reg.routingFeed(known, 10_000);
    await reg.patchOrigin("s", "o2", { drain: true });
    expect(message(await woken)).toMatchObject({ kind: "delta", from: known, version: known + 1 });
  });

  it("leaves check times out of the table and keeps them in the metrics' view", async () => {
    const reg = await seeded("volatile", 1);
    await runInDurableObject(reg, (_i, state) => {
      const store = new RegistryStore(state.storage);
      const row = store.originRow("s", "o0")!;
      store.writeOrigin({
        ...row,
        health: JSON.stringify({ ...JSON.parse(row.health), last_check_at: 5, last_check_ms: 12 }),
      });
    });
    const table = message(await reg.routingFeed());
    expect(JSON.stringify(table)).not.toContain("last_check");
    const metrics = await reg.metricsState();
    expect(metrics.origins).toEqual([expect.objectContaining({ id: "o0", last_check_ms: 12 })]);
    expect(metrics.version).toBe(table.version);
  });

  it("sees writes made outside its own store once the version moves", async () => {
    const reg = await seeded("outside", 2);
    const base = tableFrom(null, message(await reg.routingFeed()))!;
    await runInDurableObject(reg, (_i, state) => {
      const store = new RegistryStore(state.storage);
      store.writeOrigin({ ...store.originRow("s", "o1")!, weight: 9 });
      store.bump();
    });
    const next = tableFrom(base, message(await reg.routingFeed(base.version)))!;
    expect(next.origins.find((o) => o.id === "o1")?.weight).toBe(9);
  });
});
