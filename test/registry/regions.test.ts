import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import type { Registry } from "../../durable-objects/registry";
import type { RegionResult } from "../../src/model/region";
import { OriginInput } from "../../src/model/origin";
import { ServiceInput } from "../../src/model/service";

// The Registry's side of regional checks, through its RPC methods: what each
// region's checker is handed, how a batch of results is applied (thresholds
// per region, then the majority vote), and what a configuration change does.
// Checkers are stood in for by the test, which reports results itself.

type Stub = DurableObjectStub<Registry>;
const registry = (name: string): Stub => env.REGISTRY.get(env.REGISTRY.idFromName(`regions-${name}`));
const THREE = ["wnam", "weur", "apac"] as const;
/** The scripted origin: the one check that really runs (the Registry's own loop, once regions are gone) finds it. */
const URL_A = `http://127.0.0.1:${inject("originPort")}`;

const service = (hc: Record<string, unknown> = {}) =>
  ServiceInput.parse({
    routes: [{ path_prefix: "/" }],
    health_check: { interval_s: 60, healthy_threshold: 1, unhealthy_threshold: 1, regions: THREE, ...hc },
  });

/** A result of `region`'s checker about svc/a. */
const result = (ok: boolean, extra: Partial<RegionResult> = {}): RegionResult => ({
  service: "svc",
  origin: "a",
  url: URL_A,
  ok,
  latency_ms: 12,
  error: ok ? null : "status 500",
  at: Date.now(),
  ...extra,
});

/** Takes `region`'s due checks and reports `ok` for each, as one checker round would. */
async function round(stub: Stub, region: string, ok: (origin: string) => boolean): Promise<number | null> {
  const { tasks } = await stub.takeRegionChecks(region, 45);
  return stub.reportRegionChecks(
    region,
    tasks.map((t) => result(ok(t.origin), { origin: t.origin, url: t.url })),
  );
}

/** Makes every region's check of every origin due now. */
const due = (stub: Stub) =>
  runInDurableObject(stub, (_i, state) => {
    state.storage.sql.exec(`UPDATE region_checks SET next_check_at = ?`, Date.now());
  });

async function originHealth(stub: Stub, id = "a") {
  const found = await stub.serviceHealth("svc");
  if (!found.ok) throw new Error("no service");
  const o = found.value.origins.find((x) => x.id === id);
  if (!o) throw new Error(`no origin ${id}`);
  return o.health;
}

async function setup(name: string, hc: Record<string, unknown> = {}): Promise<Stub> {
  const stub = registry(name);
  await stub.putService("svc", service(hc));
  await stub.putOrigin("svc", "a", OriginInput.parse({ url: URL_A }));
  return stub;
}

describe("Registry: regional checks", () => {
  it("hands each region every enabled origin of the services listing it; its own alarm checks none of them", async () => {
    const stub = await setup("hand-out");
    await stub.putOrigin("svc", "b", OriginInput.parse({ url: "https://b.example.com" }));
    await stub.putOrigin("svc", "off", OriginInput.parse({ url: "https://off.example.com", enabled: false }));
    await stub.putService(
      "other",
      ServiceInput.parse({ routes: [{ path_prefix: "/o" }], health_check: { interval_s: 60, regions: ["weur"] } }),
    );
    await stub.putOrigin("other", "x", OriginInput.parse({ url: "https://x.example.com" }));

    const weur = await stub.takeRegionChecks("weur", 45);
    expect(weur.tasks.map((t) => `${t.service}/${t.origin}`).sort()).toEqual(["other/x", "svc/a", "svc/b"]);
    expect(weur.tasks.find((t) => t.origin === "a")).toMatchObject({ url: URL_A, health_check: { interval_s: 60 } });
    const apac = await stub.takeRegionChecks("apac", 45);
    expect(apac.tasks.map((t) => t.origin).sort()).toEqual(["a", "b"]);
    // Taken checks are scheduled an interval (± 10%) ahead, per region.
    expect(weur.next_wake! - Date.now()).toBeGreaterThan(50_000);
    expect((await stub.takeRegionChecks("weur", 45)).tasks).toEqual([]);
    expect((await stub.takeRegionChecks("eeur", 45)).next_wake).toBeNull();

    // Nothing for the Registry's own loop: no alarm for checks, and the "checks here" mark is off.
    const own = await runInDurableObject(stub, async (_i, state) => ({
      alarm: await state.storage.getAlarm(),
      marks: state.storage.sql.exec(`SELECT next_check_at FROM services`).toArray(),
    }));
    expect(own).toEqual({ alarm: null, marks: [{ next_check_at: null }, { next_check_at: null }] });
  });

  it("gives each checker at most its budget, the most overdue first; the rest stay due", async () => {
    const stub = registry("budget");
    await stub.putService("svc", service());
    for (let i = 0; i < 50; i++)
      await stub.putOrigin("svc", `o${i}`, OriginInput.parse({ url: `https://o${i}.example.com` }));
    const first = await stub.takeRegionChecks("wnam", 45);
    expect(first.tasks).toHaveLength(45);
    expect(first.next_wake! - Date.now()).toBeLessThanOrEqual(0); // five still due: run again at once
    const second = await stub.takeRegionChecks("wnam", 45);
    expect(second.tasks).toHaveLength(5);
    expect(new Set([...first.tasks, ...second.tasks].map((t) => t.origin)).size).toBe(50);
    // Another region has its own budget.
    expect((await stub.takeRegionChecks("weur", 45)).tasks).toHaveLength(45);
  });

  it("one region of three failing keeps the origin healthy; two make it unhealthy, named in the event", async () => {
    const stub = await setup("vote");
    for (const r of THREE) await round(stub, r, () => true);
    expect((await originHealth(stub)).status).toBe("healthy");

    await due(stub);
    await round(stub, "weur", () => false);
    await round(stub, "wnam", () => true);
    await round(stub, "apac", () => true);
    const one = await originHealth(stub);
    expect(one.status).toBe("healthy");
    expect(one.regions).toMatchObject({
      wnam: { status: "healthy", last_error: null },
      weur: { status: "unhealthy", last_error: "status 500", latency_ms: 12 },
      apac: { status: "healthy" },
    });
    expect(one.regions!.weur!.last_check).toEqual(expect.any(String));

    await due(stub);
    await round(stub, "weur", () => false);
    await round(stub, "apac", () => false);
    expect((await originHealth(stub)).status).toBe("unhealthy");
    expect((await stub.events("svc", 1))[0]).toMatchObject({
      origin: "a",
      from: "healthy",
      to: "unhealthy",
      reason: "active: unhealthy in weur, apac of 3: status 500",
    });

    // Recovery: a second region passing again is a majority (with wnam).
    await due(stub);
    await round(stub, "apac", () => true);
    expect((await originHealth(stub)).status).toBe("healthy");
    expect((await stub.events("svc", 1))[0]).toMatchObject({
      from: "unhealthy",
      to: "healthy",
      reason: "active: healthy in 2 of 3 regions (wnam, apac)",
    });
  });

  it("applies the thresholds per region: failures spread over regions do not add up", async () => {
    const stub = await setup("thresholds", { unhealthy_threshold: 2, healthy_threshold: 1 });
    for (const r of THREE) await round(stub, r, () => true);
    await due(stub);
    // weur and apac fail once each: three failures in all, but no region has two.
    await round(stub, "weur", () => false);
    await round(stub, "apac", () => false);
    const h = await originHealth(stub);
    expect(h.status).toBe("healthy");
    expect(h.regions).toMatchObject({ weur: { status: "healthy", last_error: "status 500" } });
    await due(stub);
    await round(stub, "weur", () => false);
    expect((await originHealth(stub)).status).toBe("healthy"); // weur alone now: one of three
    await round(stub, "apac", () => false);
    expect((await originHealth(stub)).status).toBe("unhealthy");
  });

  it("a new origin turns healthy once half its regions pass; regions not yet reporting count for neither side", async () => {
    const stub = await setup("new");
    await round(stub, "weur", () => false);
    expect((await originHealth(stub)).status).toBe("unknown"); // one failing of three is no majority
    await round(stub, "wnam", () => true);
    expect((await originHealth(stub)).status).toBe("unknown");
    await round(stub, "apac", () => true);
    expect((await originHealth(stub)).status).toBe("healthy");
  });

  it("drops results about a gone origin, another URL, or a region the service no longer lists", async () => {
    const stub = await setup("drops");
    await stub.takeRegionChecks("weur", 45);
    await stub.reportRegionChecks("weur", [result(false, { url: "https://old.example.com" })]);
    await stub.reportRegionChecks("weur", [result(false, { origin: "gone" })]);
    await stub.reportRegionChecks("eeur", [result(false)]);
    const h = await originHealth(stub);
    expect(h.last_check).toBeNull();
    expect(h.regions!.weur).toEqual({ status: "unknown", last_check: null, latency_ms: null, last_error: null });
    expect(Object.keys(h.regions!)).toEqual([...THREE]);
  });

  it("a removed region's state is dropped and its checker has nothing left; re-adding starts it afresh", async () => {
    const stub = await setup("removed");
    for (const r of THREE) await round(stub, r, () => r !== "weur");
    await stub.putService("svc", service({ regions: ["wnam", "apac"] }));
    const rows = () =>
      runInDurableObject(stub, (_i, state) =>
        state.storage.sql.exec<{ region: string }>(`SELECT region FROM region_checks ORDER BY region`).toArray(),
      );
    expect((await rows()).map((r) => r.region)).toEqual(["apac", "wnam"]);
    expect(await stub.takeRegionChecks("weur", 45)).toEqual({ tasks: [], next_wake: null });
    expect(await stub.reportRegionChecks("weur", [result(false)])).toBeNull();
    expect(Object.keys((await originHealth(stub)).regions!)).toEqual(["wnam", "apac"]);
    // A reconfigured service is checked at once from every region it keeps.
    expect((await stub.takeRegionChecks("wnam", 45)).tasks).toHaveLength(1);

    await stub.putService("svc", service());
    expect((await originHealth(stub)).regions!.weur!.status).toBe("unknown");

    // Back to no regions: the Registry's own loop checks it again, and the view has no regions.
    await stub.putService("svc", service({ regions: [] }));
    expect(await rows()).toEqual([]);
    expect((await originHealth(stub)).regions).toBeUndefined();
    const mark = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec<{ n: number | null }>(`SELECT next_check_at AS n FROM services`).one(),
    );
    expect(mark.n).not.toBeNull();
  });

  it("forgets an origin's regional state when it or its service is deleted", async () => {
    const stub = await setup("deleted");
    for (const r of THREE) await round(stub, r, () => true);
    const count = () =>
      runInDurableObject(
        stub,
        (_i, state) => state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM region_checks`).one().n,
      );
    expect(await count()).toBe(3);
    await stub.deleteOrigin("svc", "a");
    expect(await count()).toBe(0);
    await stub.putOrigin("svc", "a", OriginInput.parse({ url: URL_A }));
    await round(stub, "weur", () => true);
    await stub.deleteService("svc");
    expect(await count()).toBe(0);
  });
});
