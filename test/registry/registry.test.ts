import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MIGRATIONS, migrate } from "../../durable-objects/schema";
import { OriginInput, type OriginInput as OriginInputT } from "../../src/model/origin";
import { ServiceInput } from "../../src/model/service";

const fresh = (name: string) => env.REGISTRY.get(env.REGISTRY.idFromName(name));
const service = ServiceInput.parse({ routes: [{ path_prefix: "/" }], health_check: null });
const origin = (url: string, extra: Partial<OriginInputT> = {}) => OriginInput.parse({ url, ...extra });

describe("Registry Durable Object", () => {
  it("creates, reads, replaces and deletes services and origins", async () => {
    const reg = fresh("crud");
    expect(await reg.putService("users", service)).toMatchObject({ ok: true, value: { created: true } });
    const replaced = await reg.putService("users", { ...service, timeout_ms: 1000 });
    expect(replaced).toMatchObject({ ok: true, value: { created: false } });
    const added = await reg.addOrigin("users", origin("https://a.example.com"));
    expect(added).toMatchObject({ ok: true, value: { id: "users-1", url: "https://a.example.com" } });
    const put = await reg.putOrigin("users", "b", origin("https://b.example.com", { weight: 4 }));
    expect(put).toMatchObject({ ok: true, value: { created: true } });
    const got = await reg.getService("users");
    expect(got?.timeout_ms).toBe(1000);
    expect(got?.origins.map((o) => o.id)).toEqual(["b", "users-1"]);
    expect(await reg.deleteOrigin("users", "b")).toEqual({ ok: true, value: null });
    expect(await reg.deleteOrigin("users", "b")).toEqual({ ok: false, missing: "origin" });
    expect(await reg.deleteService("users")).toBe(true);
    expect(await reg.getService("users")).toBeNull();
    expect(await reg.addOrigin("users", origin("https://a.example.com"))).toEqual({ ok: false, missing: "service" });
  });

  it("bumps the version on every change and not on reads", async () => {
    const reg = fresh("versions");
    const v0 = await reg.version();
    await reg.putService("s", service);
    await reg.putOrigin("s", "o", origin("https://o.example.com"));
    await reg.patchOrigin("s", "o", { weight: 3 });
    await reg.listServices();
    await reg.catalog();
    expect(await reg.version()).toBe(v0 + 3);
    await reg.deleteService("s");
    expect(await reg.version()).toBe(v0 + 4);
  });

  it("returns a snapshot only when the caller's version is stale", async () => {
    const reg = fresh("snap");
    await reg.putService("s", service);
    await reg.putOrigin("s", "o", origin("https://o.example.com"));
    const snap = await reg.snapshot();
    expect(snap?.services.map((s) => s.name)).toEqual(["s"]);
    expect(snap?.origins[0]).toMatchObject({ service: "s", id: "o", health: { status: "unknown" } });
    expect(await reg.snapshot(snap!.version)).toBeNull();
  });

  it("answers a blocking snapshot read as soon as the version moves, and null when it does not", async () => {
    const reg = fresh("blocking");
    await reg.putService("s", service);
    const known = (await reg.snapshot())!.version;
    const quiet = Date.now();
    expect(await reg.snapshot(known, 150)).toBeNull();
    expect(Date.now() - quiet).toBeGreaterThanOrEqual(140);
    const started = Date.now();
    const waiting = reg.snapshot(known, 10_000);
    await new Promise((r) => setTimeout(r, 50));
    await reg.putOrigin("s", "o", origin("https://o.example.com"));
    const snap = await waiting;
    expect(snap?.version).toBe(known + 1);
    expect(snap?.origins.map((o) => o.id)).toEqual(["o"]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("keeps a blocking read waiting through a write that does not move the version", async () => {
    const reg = fresh("blocking-rollback");
    await reg.putService("s", service);
    const known = (await reg.snapshot())!.version;
    const waiting = reg.snapshot(known, 300);
    // A write to a missing origin changes nothing and must not wake the read with a stale answer.
    expect(await reg.patchOrigin("s", "nope", { weight: 2 })).toEqual({ ok: false, missing: "origin" });
    expect(await waiting).toBeNull();
  });

  it("keeps all 50 origins registered concurrently", async () => {
    const reg = fresh("concurrent");
    await reg.putService("s", service);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0
          ? reg.addOrigin("s", origin(`https://o${i}.example.com`))
          : reg.putOrigin("s", `o${i}`, origin(`https://o${i}.example.com`)),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    const listed = await reg.listOrigins("s");
    expect(listed.ok && listed.value.length).toBe(50);
    const ids = new Set(listed.ok ? listed.value.map((o) => o.id) : []);
    expect(ids.size).toBe(50);
  });

  it("keeps its state when the object is evicted and re-created", async () => {
    const reg = fresh("evict");
    await reg.putService("s", service);
    await reg.putOrigin("s", "o", origin("https://o.example.com", { tags: ["v2"] }));
    const version = await reg.version();
    await evictDurableObject(reg);
    const again = fresh("evict");
    expect(await again.version()).toBe(version);
    const got = await again.getService("s");
    expect(got?.origins[0]).toMatchObject({ id: "o", tags: ["v2"] });
  });

  it("migrates an empty database to the newest schema, once", async () => {
    const reg = fresh("migrate");
    await runInDurableObject(reg, (_instance, state) => {
      const applied = state.storage.sql
        .exec<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version")
        .toArray();
      expect(applied.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
      const tables = state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .toArray()
        .map((r) => r.name);
      expect(tables).toEqual(expect.arrayContaining(["services", "origins", "events", "meta"]));
      // Running it again is a no-op and keeps data.
      expect(migrate(state.storage)).toBe(MIGRATIONS.length);
    });
  });

  it("records transitions as events, newest first", async () => {
    const reg = fresh("events");
    await reg.putService("s", service);
    await reg.putOrigin("s", "o", origin("https://o.example.com"));
    await reg.patchOrigin("s", "o", { drain: true });
    await reg.patchOrigin("s", "o", { drain: false });
    const events = await reg.events("s", 10);
    expect(events.map((e) => `${e.from}->${e.to}`)).toEqual(["draining->unknown", "unknown->draining"]);
    expect(events[1]?.reason).toBe("admin: draining");
  });

  it("applies reported ejections within max_ejection_percent counted across reports", async () => {
    const reg = fresh("ejections");
    await reg.putService("s", service);
    await reg.putOrigin("s", "a", origin("https://a.example.com"));
    await reg.putOrigin("s", "b", origin("https://b.example.com"));
    const v0 = await reg.version();
    const until = Date.now() + 60_000;
    const reason = "outlier: 5 consecutive failures, ejected for 60s";
    const applied = await reg.reportEjections([
      { service: "s", origin: "a", ejected_until: until, reason },
      { service: "s", origin: "b", ejected_until: until, reason },
      { service: "s", origin: "gone", ejected_until: until, reason },
    ]);
    // 50% of two origins: the second report would leave nothing to route to.
    expect(applied).toBe(1);
    expect(await reg.version()).toBe(v0 + 1);
    const listed = await reg.listOrigins("s");
    const status = Object.fromEntries(listed.ok ? listed.value.map((o) => [o.id, o.health.status]) : []);
    expect(status).toEqual({ a: "ejected", b: "unknown" });
    expect((await reg.events("s", 1))[0]).toMatchObject({ origin: "a", from: "unknown", to: "ejected", reason });
    expect(await reg.reportEjections([{ service: "s", origin: "b", ejected_until: until, reason }])).toBe(0);
    expect(await reg.reportEjections([{ service: "s", origin: "a", ejected_until: until + 1, reason }])).toBe(0);
  });
});
